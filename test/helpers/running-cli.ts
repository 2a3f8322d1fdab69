import type {TestContext} from 'node:test';
import {runCli} from '../../src/cli/cli.js';
import {eventually} from './eventually.js';

export interface RunningCli {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves to the exit status. */
  readonly exited: Promise<number>;
  /** Ctrl-C. */
  stop(): Promise<number>;
  /** Waits until `count` lines are on stdout. */
  lines(count: number): Promise<string[]>;
}

/** Runs the CLI in-process, as the `books` command would, until `stop()`. */
export function startCli(t: TestContext, args: string[]): RunningCli {
  const interrupt = new AbortController();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = runCli(args, {
    stdout: (text) => void stdout.push(...text.split('\n').slice(0, -1)),
    stderr: (text) => void stderr.push(text),
    stderrIsTerminal: false,
    env: {},
    signal: interrupt.signal,
  });
  const stop = (): Promise<number> => {
    interrupt.abort();
    return exited;
  };
  t.after(stop);
  return {
    stdout,
    stderr,
    exited,
    stop,
    async lines(count) {
      await eventually(
        `${count} lines of output (have ${stdout.length}: ${stdout.join(' | ')})`,
        () => stdout.length >= count,
        20_000,
      );
      return stdout.slice(0, count);
    },
  };
}
