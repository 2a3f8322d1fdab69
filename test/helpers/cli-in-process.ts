import {runCli} from '../../src/cli/cli.js';

export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI command running in this process, for tests that act while it runs (a watch). */
export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once the output so far satisfies `condition`; rejects if the command ends first. */
  output(what: string, condition: (stdout: string, stderr: string) => boolean): Promise<void>;
  /** What Ctrl-C or SIGTERM does to the process: aborts the CLI's signal. */
  interrupt(): void;
  readonly finished: Promise<CliOutcome>;
}

/**
 * Starts `books <argv>` through `runCli` with a fake CliIo that records what
 * it writes. The environment is `env` alone, not the test process's.
 */
export function startCli(argv: readonly string[], env: Record<string, string> = {}): CliRun {
  let stdout = '';
  let stderr = '';
  let ended = false;
  const waiters = new Set<{check: () => void; fail: (error: Error) => void}>();
  const wrote = (): void => {
    for (const waiter of waiters) waiter.check();
  };
  const interrupted = new AbortController();
  const finished = runCli(argv, {
    stdout: (text) => {
      stdout += text;
      wrote();
    },
    stderr: (text) => {
      stderr += text;
      wrote();
    },
    stderrIsTerminal: false,
    env,
    signal: interrupted.signal,
  })
    .then((code) => ({code, stdout, stderr}))
    .finally(() => {
      ended = true;
      for (const waiter of waiters) waiter.fail(new Error(`books ${argv.join(' ')} ended first`));
    });
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    output(what, condition) {
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          check: () => {
            if (!condition(stdout, stderr)) return;
            waiters.delete(waiter);
            resolve();
          },
          fail: (error: Error) => {
            waiters.delete(waiter);
            reject(new Error(`waiting for ${what}: ${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
          },
        };
        waiters.add(waiter);
        waiter.check();
        if (ended) waiter.fail(new Error('the command had ended'));
      });
    },
    interrupt: () => interrupted.abort(),
    finished,
  };
}

/** Runs `books <argv>` to the end in this process. */
export function runCliInProcess(argv: readonly string[], env: Record<string, string> = {}): Promise<CliOutcome> {
  return startCli(argv, env).finished;
}
