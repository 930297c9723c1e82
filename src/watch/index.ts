/**
 * The watch (`npm run watch`): follows new blocks and raises an alert, once per cause, on a
 * rollback, revoke or pause, a batch anchored after a close whose records claim the closed version
 * (or whose file cannot be checked), a node that has not acknowledged the live epoch in time, a
 * payment settled to such a node, and a batch dispute. Alerts are JSON Lines on stdout and POSTs to
 * a webhook, in order, retried; the state survives a restart. The README's "The watch" section is
 * the user's guide; schemas/watch-alert.schema.json is the alert's shape.
 *
 * @module rollback-trail/watch
 */
export {
  ALERT_FORMAT,
  ALERT_KINDS,
  type Alert,
  type AlertKind,
  type AlertRecord,
  alertHumanLine,
  alertLine,
} from "./alert.js";
// The command line's own parsing and loop (parseWatchArgs, runWatch) stay in ./args.js and
// ./run.js: not public.
export { DEFAULT_ACK_GRACE } from "./args.js";
export { WebhookQueue, type WebhookOptions } from "./deliver.js";
export { BlockClock, Rules, type RulesOptions } from "./detect.js";
export { type AlertSink, Watch, type WatchOptions } from "./follow.js";
export { type BatchCheck, checkAnchoredBatch } from "./stale.js";
export { STATE_FORMAT, type WatchState, readState, writeState } from "./state.js";
