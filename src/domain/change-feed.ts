import type {BookStore} from './book-store.js';
import type {Change, LoggedChange} from './change.js';
import {encodeCursor} from './cursor.js';
import {ChangesTrimmedError} from './errors.js';
import type {Subscription} from './subscription.js';
import type {WatchHub} from './watch-hub.js';

/** Changes read from the log at once, and so published to watchers as one chunk at most. */
export const CHANGES_PER_READ = 512;
/** How soon a failed read of the log is tried again when no commit wakes the feed first. */
const RETRY_MS = 1000;

export interface ChangeFeedOptions {
  /** The log position the feed starts after: the store's last position when the server starts. */
  readonly position: number;
  /** Told when reading the log fails; the feed tries again. */
  readonly onReadError?: (error: unknown) => void;
  /**
   * Told when a periodic read (`poll`) found changes that no wake-up had
   * announced: wake-ups are being lost (a dead notification connection), and
   * watchers get changes only as often as the poll runs. Told again with
   * false once a wake-up brings changes again.
   */
  readonly onMissedWakeUps?: (missing: boolean) => void;
}

/**
 * The one path from the store to every watcher: woken after a commit (here,
 * or in another replica of a shared database), the feed reads the store's
 * change log from where it stopped and publishes what it finds, in log
 * order, to the hub, which queues it for each watcher.
 *
 * A wake-up only says "read the log": a lost or late one delays changes but
 * never loses one, because the next read starts where the last one ended.
 */
export class ChangeFeed {
  #position: number;
  #reading = false;
  #readAgain = false;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** Whether the read under way, or asked for, was a poll and not a wake-up. */
  #polling = false;
  /** Polls in a row that found changes with no wake-up finding any in between. */
  #pollsFinding = 0;
  #missingWakeUps = false;

  constructor(
    readonly store: BookStore,
    readonly hub: WatchHub<Change>,
    readonly options: ChangeFeedOptions,
  ) {
    this.#position = options.position;
  }

  /** The last change published to watchers. */
  get position(): number {
    return this.#position;
  }

  /** The cursor that resumes right after `position`. */
  cursorAt(position: number): string {
    return encodeCursor(this.store.catalogueId, position);
  }

  /** Adds the cursor of each logged change. */
  withCursors(changes: readonly LoggedChange[]): Change[] {
    return changes.map((change) => ({...change, cursor: this.cursorAt(change.position)}));
  }

  /** Registers a watcher of everything published from now on. */
  subscribe(signal: AbortSignal): Subscription<Change> {
    return this.hub.subscribe(signal);
  }

  /** Reads the log up to its end and publishes what is new; call after every commit. */
  catchUp(): void {
    if (this.#closed) return;
    this.#polling = false;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    void this.#read();
  }

  /**
   * Reads the log as `catchUp` does, unasked: call now and then, so that a
   * lost wake-up delays changes by at most the interval, never for good.
   */
  poll(): void {
    if (this.#closed || this.#reading) return;
    this.#polling = true;
    void this.#read();
  }

  /** Stops reading; open watchers keep what they were sent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
  }

  /**
   * With no watcher, nobody needs the changes themselves: the feed moves to
   * the end of the log without reading them (a watcher that resumes from a
   * cursor reads its catch-up from the store). Not if a watcher subscribed
   * meanwhile, which must get every change after it subscribed.
   */
  async #skipUnwatched(): Promise<boolean> {
    const subscribed = this.hub.subscribedCount;
    const last = await this.store.lastPosition();
    if (this.hub.subscribedCount !== subscribed || this.#closed) return false;
    this.#position = Math.max(this.#position, last);
    return true;
  }

  async #read(): Promise<void> {
    this.#reading = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    try {
      do {
        this.#readAgain = false;
        if (this.hub.watcherCount === 0 && (await this.#skipUnwatched())) continue;
        let found = false;
        for (;;) {
          const logged = await this.store.readChanges(this.#position, CHANGES_PER_READ);
          if (this.#closed || logged.length === 0) break;
          if (!found) this.#noteFound(this.#polling);
          found = true;
          const changes = this.withCursors(logged);
          this.#position = logged.at(-1)!.position;
          this.hub.publish(changes);
          // A short read reached the end of the log; a commit since then asks for another.
          if (logged.length < CHANGES_PER_READ) break;
        }
      } while (this.#readAgain && !this.#closed);
    } catch (error: unknown) {
      if (error instanceof ChangesTrimmedError) {
        // This feed fell further behind than the log keeps (a replica cut off
        // from its database for long): what it missed is gone, so every
        // watcher is told, and resumes or starts again, rather than silently
        // skipping changes.
        this.hub.endAll(new ChangesTrimmedError(error.oldest, this.cursorAt(error.oldest)));
        this.#position = error.oldest;
        this.#readAgain = true;
      } else {
        this.options.onReadError?.(error);
      }
      if (!this.#closed) {
        this.#retry = setTimeout(() => this.catchUp(), this.#readAgain ? 0 : RETRY_MS);
        // Retrying never keeps the process alive by itself.
        this.#retry.unref();
      }
    } finally {
      this.#reading = false;
      this.#polling = false;
    }
  }

  /**
   * Tells when polls start finding what wake-ups missed, and when wake-ups
   * bring changes again. One poll that finds changes proves nothing: it may
   * have read a commit whose wake-up was on its way. Two in a row, with no
   * wake-up finding anything in between, do.
   */
  #noteFound(byPoll: boolean): void {
    this.#pollsFinding = byPoll ? this.#pollsFinding + 1 : 0;
    const missing = byPoll ? this.#pollsFinding >= 2 || this.#missingWakeUps : false;
    if (missing === this.#missingWakeUps) return;
    this.#missingWakeUps = missing;
    this.options.onMissedWakeUps?.(missing);
  }
}
