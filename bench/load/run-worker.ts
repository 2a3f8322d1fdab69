import type {ChildProcess} from 'node:child_process';
import {forkTracked, stopChild} from '../children.js';

/** Starts a load process with its parameters as one JSON argument, its IPC channel open. */
export function forkWorker(main: string, params: object): ChildProcess {
  return forkTracked(main, [JSON.stringify(params)], {stdio: ['ignore', 'inherit', 'inherit', 'ipc']});
}

/**
 * The next IPC message from `child` of type `type`; rejects if the process
 * exits first or nothing comes within `timeoutMs`.
 */
export function nextReport<Report extends {type: string}, Type extends Report['type']>(
  child: ChildProcess,
  type: Type,
  timeoutMs: number,
): Promise<Extract<Report, {type: Type}>> {
  return new Promise((resolve, reject) => {
    const cleanUp = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: Report): void => {
      if (message.type !== type) return;
      cleanUp();
      resolve(message as Extract<Report, {type: Type}>);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanUp();
      reject(new Error(`load process exited (code ${code}, signal ${signal}) before reporting "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanUp();
      void stopChild(child);
      reject(new Error(`load process sent no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
