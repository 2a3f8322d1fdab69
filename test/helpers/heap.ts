import {setImmediate as nextTurn} from 'node:timers/promises';
import {setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';

// `node --test` runs each test file in its own process, so exposing gc here
// affects only the file that imports this helper, and needs no flag on the
// command line. A new context picks up the flag set after start-up.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Heap in use after full garbage collections, in bytes: what the process
 * still holds on to, without the garbage a plain heapUsed reading includes.
 * Collects several times, letting the event loop turn in between, so objects
 * freed by close callbacks and finalizers are counted as freed.
 */
export async function settledHeapUsed(rounds = 4): Promise<number> {
  for (let i = 0; i < rounds; i++) {
    collectGarbage();
    await nextTurn();
  }
  return process.memoryUsage().heapUsed;
}
