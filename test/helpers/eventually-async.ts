import {setTimeout as delay} from 'node:timers/promises';

/**
 * `eventually` for a condition that must be asked for (a health check, a
 * query): true once `condition` resolves true; `giveUp` ends the wait at
 * once with its reason (a server that exited will never answer). Fails
 * with `what` after `timeoutMs`, a bound for a busy machine.
 */
export async function eventuallyAsync(
  what: string,
  condition: () => Promise<boolean>,
  giveUp: () => string | undefined = () => undefined,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = giveUp();
    if (reason !== undefined) throw new Error(`gave up waiting for: ${what}: ${reason}`);
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await delay(20);
  }
}
