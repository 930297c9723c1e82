/**
 * What the watch knows between blocks, and its state file: the next block to read, the ids of the
 * alerts raised (so each cause is raised once), the alerts not yet delivered to the webhook (so a
 * restart delivers them first, in order), and what the rules need of each model (its operators,
 * its live epoch, each node's last acknowledgement). The file is written atomically (a temporary
 * file renamed over it), so a crash leaves the previous state or the new one, never half of one.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

import { describeFsError, fail } from "../ground/cli.js";
import type { Alert } from "./alert.js";

export const STATE_FORMAT = "rollback-trail/watch-state@1";

/** The live epoch of a model, as the watch saw it open. */
export interface LiveEpoch {
  epoch: number;
  version: number;
  /** Block time and block of the switch (VersionActivated), and its transaction. */
  since: number;
  block: number;
  txHash: string;
}

/** What the rules know of one model. */
export interface ModelKnowledge {
  /** Allowed operators (checksummed) and the block time each was allowed at. */
  operators: Record<string, number>;
  /** The live epoch, null when nothing is live (paused, revoked, before the first activation). */
  live: LiveEpoch | null;
  /** Each node's last acknowledged epoch and its time. */
  acks: Record<string, { epoch: number; at: number }>;
  /** Last IncidentOpened reason (hash, URI) by incident id, for the rollback's alert. */
  incidents: Record<string, { reasonHash: string; reasonURI: string }>;
}

export interface WatchState {
  format: typeof STATE_FORMAT;
  chainId: number;
  contracts: {
    registry: string;
    anchor: string;
    settlement: string | null;
    routing: string | null;
  };
  /** The next block to read. */
  nextBlock: number;
  /** Ids of every alert raised (or, for history read before --from-block, passed over). */
  raised: string[];
  /** Alerts raised but not yet delivered to the webhook, in order. */
  pending: Alert[];
  /** Ids of alerts the webhook never accepted (after every retry). */
  lost: string[];
  /** By model id (lower case). */
  models: Record<string, ModelKnowledge>;
}

export function emptyState(
  chainId: number,
  contracts: WatchState["contracts"],
  nextBlock: number,
): WatchState {
  return {
    format: STATE_FORMAT,
    chainId,
    contracts,
    nextBlock,
    raised: [],
    pending: [],
    lost: [],
    models: {},
  };
}

export function emptyModel(): ModelKnowledge {
  return { operators: {}, live: null, acks: {}, incidents: {} };
}

/** The state in `path`, undefined when there is no such file; a one-line CliError if unreadable. */
export function readState(path: string, name = path): WatchState | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    fail(`cannot read the state file ${name}: ${describeFsError(e)}`);
  }
  let value: WatchState;
  try {
    value = JSON.parse(text) as WatchState;
  } catch {
    fail(`the state file ${name} is not valid JSON`);
  }
  if (
    value === null ||
    typeof value !== "object" ||
    value.format !== STATE_FORMAT ||
    !Number.isSafeInteger(value.nextBlock) ||
    !Array.isArray(value.raised) ||
    !Array.isArray(value.pending) ||
    typeof value.models !== "object"
  ) {
    fail(`the state file ${name} is not a watch state (${STATE_FORMAT})`);
  }
  value.lost ??= [];
  return value;
}

/** Writes `state` to `path` atomically (a temporary file beside it, renamed over it). */
export function writeState(path: string, state: WatchState, name = path): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, JSON.stringify(state) + "\n");
    renameSync(tmp, path);
  } catch (e) {
    fail(`cannot write the state file ${name}: ${describeFsError(e)}`);
  }
}
