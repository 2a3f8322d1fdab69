import type {TestContext} from 'node:test';
import {startCli as startCliRun} from './cli-in-process.js';

/** A CLI command running in this process, read line by line; interrupted after the test. */
export interface RunningCli {
  /** Complete lines written to stdout so far. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves to the exit status. */
  readonly exited: Promise<number>;
  /** Ctrl-C; resolves to the exit status. */
  stop(): Promise<number>;
  /** Waits until `count` lines are on stdout; returns them. */
  lines(count: number): Promise<string[]>;
}

/** Runs `books <args>` in-process (see cli-in-process.ts) until `stop()` or the end of the test. */
export function startCli(t: TestContext, args: string[]): RunningCli {
  const run = startCliRun(args);
  const exited = run.finished.then(({code}) => code);
  const lines = (): string[] => run.stdout.split('\n').slice(0, -1);
  const stop = (): Promise<number> => {
    run.interrupt();
    return exited;
  };
  t.after(stop);
  return {
    get stdout() {
      return lines();
    },
    get stderr() {
      return [run.stderr];
    },
    exited,
    stop,
    async lines(count) {
      await run.output(`${count} lines of output`, () => lines().length >= count);
      return lines().slice(0, count);
    },
  };
}
