/**
 * The watch's alert: one JSON object per cause, the shape of schemas/watch-alert.schema.json. Every
 * alert names its cause with an `id` that is the same whenever the same cause is seen again (an
 * event: its transaction and log index; a lapse: model, epoch and node; a batch: model, node and
 * root), so that the watch raises it once and a webhook receiver can drop a redelivery.
 */

/** What the watch alerts on. */
export const ALERT_KINDS = [
  /** RolledBack: the guardian rolled a version back. */
  "rollback",
  /** VersionRevoked: a version was marked Faulty or Withdrawn. */
  "revoke",
  /** ModelPaused: nothing is live until a resume, rollback or revoke. */
  "pause",
  /** A batch anchored after a close holds records claiming a closed version (verified file). */
  "stale-batch",
  /** A batch anchored after a close whose file could not be obtained or verified. */
  "batch-unverified",
  /** An operator has not acknowledged the live epoch `ackGrace` seconds after the switch. */
  "unacknowledged",
  /** A Settled payment to an operator that has not acknowledged the live epoch past the grace. */
  "payment-to-unacknowledged",
  /** BatchDisputed: the guardian disputed a batch. */
  "batch-disputed",
] as const;

export type AlertKind = (typeof ALERT_KINDS)[number];

/** The format tag of every alert (and of the JSON schema). */
export const ALERT_FORMAT = "rollback-trail/watch-alert@1";

/** A record of a batch, with its standing as InferenceAnchor.verifyRecord would return it. */
export interface AlertRecord {
  requestId: string;
  version: number;
  servedAt: number;
  node: string;
  /** The names of the set flags, most severe first (empty: Conforming). */
  flags: string[];
  primary: string;
}

/** One alert: the cause, where it is on the chain, and its evidence. */
export interface Alert {
  format: typeof ALERT_FORMAT;
  /** The cause's key: the same cause always has the same id (see the file doc). */
  id: string;
  kind: AlertKind;
  chainId: number;
  model: { id: string; name: string | null };
  /** The block the alert was raised at: the event's block, or the first block past a deadline. */
  block: { number: number; time: number; iso: string };
  /** The cause's transaction: the event's, or for `unacknowledged` the switch's. */
  txHash: string | null;
  logIndex: number | null;
  /** The node concerned (the batch's operator, the lagging node, the payee), or null. */
  node: string | null;
  /** Request ids the alert is about (stale records, a payment's request), possibly none. */
  requestIds: string[];
  /** Stale records with their standing flags (`stale-batch`), else empty. */
  records: AlertRecord[];
  /** One line in words. */
  summary: string;
  /** What is specific to the kind (see the schema). */
  details: Record<string, unknown>;
}

export function isoOf(time: number): string {
  return new Date(time * 1000).toISOString().replace(".000Z", "Z");
}

/** The alert as one JSON Lines line (no newline). */
export function alertLine(alert: Alert): string {
  return JSON.stringify(alert);
}

/** The alert in words, for a terminal (stderr). */
export function alertHumanLine(alert: Alert): string {
  return `ALERT ${alert.kind} at block ${alert.block.number} (${alert.block.iso}): ${alert.summary}`;
}

/** A model as alerts name it: its name if known, else its id. */
export function modelLabel(model: { id: string; name: string | null }): string {
  return model.name ?? model.id;
}
