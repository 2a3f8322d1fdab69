import type {BooksClient} from '../../src/client/client.js';
import type {WriteLedger} from '../../test/helpers/write-ledger.js';

/** Writes in flight at most: a server that stalls gets no more than this piled on it. */
const MAX_IN_FLIGHT = 32;

export interface Writer {
  /** Stops starting writes and waits for those in flight. */
  stop(): Promise<void>;
}

/**
 * Inserts and deletes at `ratePerSecond`, spread over every server in
 * turn, each recorded in `ledger`: two inserts for each delete, so that the
 * catalogue grows and a delete always finds a book. Paced by a clock rather
 * than by replies, so that a server that is down is not spun on.
 */
export function startWriter(
  ledger: WriteLedger,
  clients: readonly BooksClient[],
  ratePerSecond: number,
  random: () => number,
): Writer {
  const inFlight = new Set<Promise<unknown>>();
  let writes = 0;
  const timer = setInterval(
    () => {
      if (inFlight.size >= MAX_IN_FLIGHT) return;
      const via = writes++ % clients.length;
      const client = clients[via]!;
      const write = random() < 1 / 3 ? ledger.deleteOne(client, via) : ledger.insert(client, ledger.newBook(), via);
      inFlight.add(write);
      void write.finally(() => inFlight.delete(write));
    },
    Math.max(1, 1000 / ratePerSecond),
  );
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
