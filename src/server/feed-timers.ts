import type {ChangeFeed} from '../domain/feed/index.js';

/** How often the change log is trimmed: retention is "at least the last N", so a little more may stay a while. */
const TRIM_EVERY_MS = 5000;

export interface FeedTimerOptions {
  /** An idle WatchChanges stream is sent a heartbeat this often (default 15 s). */
  readonly changesHeartbeatMs?: number;
  /** The change log is read this often even without a wake-up (default 1 s): a lost wake-up or a failed read delays changes by at most this. */
  readonly feedPollMs?: number;
  /** Changes the log keeps at least; without it, the log is never trimmed. */
  readonly changesRetention?: number;
  /** Told when trimming the log fails (the next trim tries again). */
  readonly onTrimError?: (error: unknown) => void;
  /** How often the log is trimmed (default TRIM_EVERY_MS). */
  readonly trimEveryMs?: number;
}

/**
 * Runs the feed's clock: heartbeats, the periodic read of the log (which
 * also retries a failed read), and retention. Returns the function that
 * stops it. None of these timers keeps the process alive by itself.
 */
export function startFeedTimers(feed: ChangeFeed, options: FeedTimerOptions): () => void {
  const {changesHeartbeatMs = 15_000, feedPollMs = 1000, changesRetention, onTrimError} = options;
  const timers = [
    // Ticks at half the period: a watcher idle for a whole tick gets a heartbeat, so within the period.
    setInterval(() => feed.tick(), changesHeartbeatMs / 2),
    setInterval(() => feed.poll(), feedPollMs),
  ];
  if (changesRetention !== undefined) {
    const trim = (): void => void feed.trim(changesRetention).catch((error: unknown) => onTrimError?.(error));
    timers.push(setInterval(trim, options.trimEveryMs ?? TRIM_EVERY_MS));
  }
  for (const timer of timers) timer.unref();
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
