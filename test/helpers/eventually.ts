import {setTimeout as delay} from 'node:timers/promises';

/**
 * Waits until `condition` holds, for effects the server applies after the
 * client has moved on (a cancelled call reaches the server a moment later).
 * Fails with `what` if it does not hold within `timeoutMs`: a bound on a
 * condition that never comes, generous enough for a busy machine, and shorter
 * than the test timeout so that the failure says what was awaited.
 */
export async function eventually(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await delay(5);
  }
}
