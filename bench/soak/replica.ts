import type {ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {createWriteStream} from 'node:fs';
import {createInterface} from 'node:readline';
import {setTimeout as delay} from 'node:timers/promises';
import {hasExited, spawnTracked} from '../children.js';
import {BOOKS_BIN} from '../paths.js';
import {say} from './clock.js';

/** A server that exited without the soak stopping it. */
export interface UnexpectedExit {
  readonly replica: string;
  readonly at: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The end of its stderr: a crash's error and stack. */
  readonly stderr: string;
  /** When it was listening again. */
  restartedAt?: number;
}

const KEEP_OUTPUT = 4000;

/**
 * One `books server` process on a port of its own that it keeps across
 * restarts, so that clients and the CLI consumer find it again. One that
 * exits unasked is recorded and started again, so that the soak goes on.
 */
export class Replica {
  readonly address: string;
  readonly unexpectedExits: UnexpectedExit[] = [];
  #child: ChildProcess | undefined;
  #expectingExit = false;
  #output = '';
  #stderr = '';
  #restarting: Promise<void> | undefined;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly args: readonly string[],
    /** Every run's output goes on the end of this file. */
    readonly logFile: string,
  ) {
    this.address = `127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && !hasExited(this.#child) && this.#restarting === undefined;
  }

  /** Starts the server and waits for its "listening" line; rejects if it exits first. */
  async start(): Promise<void> {
    this.#expectingExit = false;
    this.#output = '';
    this.#stderr = '';
    const child = spawnTracked(
      process.execPath,
      [BOOKS_BIN, 'server', '--host', '127.0.0.1', '--port', String(this.port), '--web-port', '0', ...this.args],
      {stdio: ['ignore', 'pipe', 'pipe']},
    );
    this.#child = child;
    const log = createWriteStream(this.logFile, {flags: 'a'});
    child.stdout!.pipe(log, {end: false});
    child.stderr!.pipe(log, {end: false});
    child.once('close', () => log.end());
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#keep(chunk.toString());
      this.#stderr = (this.#stderr + chunk.toString()).slice(-KEEP_OUTPUT);
    });
    let listened = false;
    const listening = new Promise<void>((resolve, reject) => {
      createInterface({input: child.stdout!}).on('line', (line) => {
        this.#keep(`${line}\n`);
        if (!listened && line.includes('"msg":"listening"')) {
          listened = true;
          resolve();
        }
      });
      child.once('exit', (code, signal) =>
        reject(
          new Error(`replica ${this.name} exited before listening (code ${code}, signal ${signal}): ${this.#output}`),
        ),
      );
    });
    child.once('exit', (code, signal) => {
      // One that never listened is the starter's to report.
      if (!listened || this.#expectingExit || this.#child !== child) return;
      const exit: UnexpectedExit = {replica: this.name, at: Date.now(), code, signal, stderr: this.#stderr};
      this.unexpectedExits.push(exit);
      say(`replica ${this.name} EXITED unexpectedly (code ${code}, signal ${signal}); starting it again`);
      this.#restarting = this.#startAgain(exit).finally(() => (this.#restarting = undefined));
    });
    await listening;
  }

  /** SIGKILL, as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || hasExited(child)) return;
    this.#expectingExit = true;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM, as at the end of the run: the exit status says whether it shut down cleanly. */
  async stop(): Promise<{code: number | null; signal: NodeJS.Signals | null}> {
    await this.#restarting;
    const child = this.#child;
    if (child === undefined || hasExited(child))
      return {code: child?.exitCode ?? null, signal: child?.signalCode ?? null};
    this.#expectingExit = true;
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    return {code, signal};
  }

  /** Resolves once a replica that exited unasked is listening again. */
  async settled(): Promise<void> {
    await this.#restarting;
  }

  /** The database may be away (the crash may come from that): try again, for a minute, until it starts. */
  async #startAgain(exit: UnexpectedExit): Promise<void> {
    for (let attempt = 1; attempt <= 60; attempt++) {
      try {
        await this.start();
        exit.restartedAt = Date.now();
        return;
      } catch (error: unknown) {
        if (attempt === 60) say(`replica ${this.name} could not be started again: ${String(error)}`);
        await delay(1000);
      }
    }
  }

  #keep(text: string): void {
    this.#output = (this.#output + text).slice(-KEEP_OUTPUT);
  }
}
