import {fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions} from 'node:child_process';
import {once} from 'node:events';

/**
 * Every process the harness starts, so that none outlives it: each is
 * killed when it is done with, and whatever is left when the harness exits,
 * however it exits.
 */
const running = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return track(spawn(command, args, options));
}

export function forkTracked(module: string, args: readonly string[], options: ForkOptions = {}): ChildProcess {
  return track(fork(module, args, options));
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL if the process has not gone within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (hasExited(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}
