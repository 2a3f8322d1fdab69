import type {ChangeFeed} from '../domain/feed/index.js';
import type {Config} from './config.js';

/** How often the change log is trimmed: retention is "at least the last N", so a little more may stay a while. */
const TRIM_EVERY_MS = 5000;

/** The settings of the feed's clock (settings.ts says what each means); a failed read is retried at the next poll. */
export interface FeedTimerOptions extends Pick<Config, 'changesHeartbeatMs' | 'feedPollMs' | 'changesRetention'> {
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
  const {changesHeartbeatMs, feedPollMs, changesRetention, onTrimError, trimEveryMs = TRIM_EVERY_MS} = options;
  const trim = (): void => void feed.trim(changesRetention).catch((error: unknown) => onTrimError?.(error));
  const timers = [
    // Ticks at half the period: a watcher idle for a whole tick gets a heartbeat, so within the period.
    setInterval(() => feed.tick(), changesHeartbeatMs / 2),
    setInterval(() => feed.poll(), feedPollMs),
    setInterval(trim, trimEveryMs),
  ];
  for (const timer of timers) timer.unref();
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
