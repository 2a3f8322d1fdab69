// The change feed: everything a committed change passes through between the
// store and a service method. A store wakes the feed (change-feed.ts), which
// reads the log, gives each change its cursor and fans it out to one bounded
// queue per watcher (fan-out.ts); Watch and WatchChanges read those queues.
export {
  ChangeFeed,
  checkedChanges,
  decodeCursor,
  type ChangeRow,
  type ChangesRequest,
  type FeedOptions,
} from './change-feed.js';
export {type Subscription, WatchHub} from './fan-out.js';
