import type {ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {createWriteStream, existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {decodeCursor} from '../../src/domain/feed/index.js';
import {hasExited, spawnTracked} from '../children.js';
import {BOOKS_BIN} from '../paths.js';
import {say} from './clock.js';
import type {ConsumerRun} from './consumer-check.js';

/**
 * The real CLI, `books changes --reconnect --cursor-file <file> --json`, as
 * a consumer that keeps its place in a file: killed and started again, it
 * must go on right after the cursor the file holds.
 */
export class CliConsumer {
  readonly runs: ConsumerRun[] = [];
  #child: ChildProcess | undefined;
  #closed: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cursorFile: string,
    readonly catalogueId: string,
    /** Told when the process exits without the soak asking it to. */
    readonly onUnexpectedExit: (run: ConsumerRun) => void,
  ) {}

  get current(): ConsumerRun | undefined {
    return this.runs.at(-1);
  }

  get running(): boolean {
    return this.#child !== undefined && !hasExited(this.#child);
  }

  /** The position the cursor file holds, if it holds one. */
  storedPosition(): number | undefined {
    if (!existsSync(this.cursorFile)) return undefined;
    const cursor = readFileSync(this.cursorFile, 'utf8').trim();
    return cursor === '' ? undefined : decodeCursor(cursor, this.catalogueId);
  }

  /** The last change this consumer printed, in any run (or where it started). */
  reached(): number {
    for (const run of [...this.runs].reverse()) {
      const last = run.lines.at(-1)?.position ?? run.startPosition;
      if (last !== undefined) return last;
    }
    return this.storedPosition() ?? 0;
  }

  start(address: string): ConsumerRun {
    const run: ConsumerRun = {
      index: this.runs.length,
      address,
      startPosition: this.storedPosition(),
      lines: [],
      strayLines: [],
      partialTail: '',
      stderr: '',
    };
    this.runs.push(run);
    const child = spawnTracked(
      process.execPath,
      [BOOKS_BIN, 'changes', '--reconnect', '--cursor-file', this.cursorFile, '--json', '--address', address],
      {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, BOOKS_ADDRESS: ''}},
    );
    this.#child = child;
    // Kept as printed, beside the cursor file, for a failed run to be looked into.
    const stdout = createWriteStream(join(dirname(this.cursorFile), `consumer-${run.index}.jsonl`));
    const stderr = createWriteStream(join(dirname(this.cursorFile), `consumer-${run.index}.stderr`));
    child.stdout!.pipe(stdout);
    child.stderr!.pipe(stderr);
    // Lines by hand rather than readline: a line cut short by SIGKILL must
    // be told from a whole one (readline hands over the rest as a line).
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) this.#take(run, line);
    });
    child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    // 'close': the process has exited and its pipes are drained.
    this.#closed = once(child, 'close').then(([code, signal]) => {
      run.partialTail = pending;
      run.exit = {code: code as number | null, signal: signal as NodeJS.Signals | null};
      run.cursorAtExit = this.storedPosition();
      if (run.end === undefined) {
        run.end = 'exited by itself';
        say(
          `consumer EXITED by itself (code ${code}, signal ${signal}): ${run.stderr.trim().split('\n').at(-1) ?? ''}`,
        );
        this.onUnexpectedExit(run);
      }
    });
    return run;
  }

  /** SIGKILL: it gets no chance to store anything more. */
  async kill(): Promise<void> {
    await this.#end('killed', 'SIGKILL');
  }

  /** SIGTERM at the end of the run: it exits 0. */
  async stop(): Promise<void> {
    await this.#end('stopped', 'SIGTERM');
  }

  async #end(end: 'killed' | 'stopped', signal: NodeJS.Signals): Promise<void> {
    const run = this.current;
    if (run !== undefined && this.running) {
      run.end = end;
      this.#child?.kill(signal);
    }
    await this.#closed;
  }

  #take(run: ConsumerRun, line: string): void {
    try {
      const parsed = JSON.parse(line) as {
        type?: unknown;
        book?: {id: number; title: string; author: string};
        cursor?: unknown;
      };
      if ((parsed.type !== 'created' && parsed.type !== 'deleted') || parsed.book === undefined) throw new Error();
      const {id, title, author} = parsed.book;
      run.lines.push({
        position: decodeCursor(String(parsed.cursor), this.catalogueId),
        kind: parsed.type,
        id,
        title,
        author,
      });
    } catch {
      run.strayLines.push(line);
    }
  }
}
