/**
 * The incident report (`npm run incident`): after an incident, what happened while a version was
 * live, read from the chain alone.
 *
 *   const report = await incidentReport({ provider, registry, anchor, settlement, actionLog,
 *                                         modelId, version: 2, batchDirs: ["batch-42"] });
 *   console.log(formatIncidentReport(report));   // or JSON.stringify(report)
 *
 * What it reads, all at one block (the latest when the report starts):
 * - the registry: the version's record (blob id, proof mask, status, faultyAt, dispositionAt), its
 *   windows (epochs; one that opened and closed in one block was never live), its incidents (who,
 *   when, disposition, reason, target), and what is live now;
 * - events, by eth_getLogs in bounded block ranges from a start block (by default the block its
 *   first window opened in: nothing bound to the version can be older):
 *   - InferenceSettlement `Settled` filtered by the model and the version's epochs (payments bound
 *     to those windows), their state now (`stateOf`), their `Claimed` / `Refunded` events, and the
 *     per-token totals of `volume(model, epoch, token)`;
 *   - AgentActionLog `ActionLogged` of the model: actions logged while the version was live (live
 *     epoch among its windows) and proven actions about outputs it served (served version), with
 *     the record flags stored beside them, checked against the log's counters;
 *   - InferenceAnchor `BatchAnchored` / `BatchDisputed` of the model: batches anchored while the
 *     version was live, or whose served range overlaps its windows, and their disputes;
 * - with batch directories (batch:build output), every record claiming the version, verified
 *   on-chain (`verifyRecordWithHint`) with its standing: Conforming while live, NotLive for a stale
 *   node still serving after the rollback, Unconfirmable for records anchored after the window
 *   closed, and VersionFaulty once the version is marked.
 *
 * "After the close" is everything after the version's last window ended (the rollback or revoke):
 * stale records, batches, refunds, claims and actions from then on.
 *
 * The report is plain data (numbers, strings, booleans; amounts as decimal strings), so that
 * `JSON.stringify` prints it as is (`--json`).
 */
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import {
  Contract,
  type Log,
  type Provider,
  formatUnits,
  getAddress,
  isAddress,
  toBeHex,
  zeroPadValue,
} from "ethers";

import type {
  AgentActionLog,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
} from "../../types/ethers-contracts/index.js";
import { readBatchSummary, parseProofEntry } from "./anchoring.js";
import { describeRevert, epochHint, resolveAddress, type EpochHistory } from "./chain.js";
import { CliError, describeFsError, fail, oneLine, parseCliArgs, requireOption } from "./cli.js";
import { DEFAULT_BLOCK_RANGE } from "./deployment.js";
import {
  Disposition,
  EndReason,
  RefundReason,
  SettlementState,
  VersionStatus,
  type SettledEventArgs,
  type SettlementDetails,
  detailsFromSettled,
  enumNames,
} from "./enums.js";
import { parseModelId, type ModelRef } from "./gov.js";
import { readSafeState } from "./safe.js";
import { STANDINGS, decodeFlags, flagOf, standingAt } from "./standing.js";

// ------------------------------------------------------------------ enums in words

// Names by enum value, from the one mirror of each enum (./enums.ts).
export const VERSION_STATUSES = enumNames(VersionStatus);
export const DISPOSITION_NAMES = enumNames(Disposition);
export const END_REASONS = enumNames(EndReason);
export const SETTLEMENT_STATES = enumNames(SettlementState);
export const REFUND_REASONS = enumNames(RefundReason);
/** Proof paths by bit of the proof mask (contracts/libraries/ProofPaths.sol). */
export const PROOF_PATHS = ["none", "TEE", "ZKML", "optimistic"] as const;

/** Whether a payment in `state` is still to be claimed or refunded. */
function isOpenState(state: string): boolean {
  return state === "Open" || state === "Contested" || state === "Proven";
}

function nameOf(names: readonly string[], value: bigint | number): string {
  return names[Number(value)] ?? `unknown (${value})`;
}

// ------------------------------------------------------------------ the report

/** A block and its time (Unix seconds). */
export interface BlockTime {
  block: number;
  time: number;
}

/** The version's registered record and its status now. */
export interface ReportVersion {
  blobId: string;
  weightsHash: string;
  metadataURI: string;
  proofMask: number;
  proofPaths: string[];
  zkVerifier: string;
  publisher: string;
  registeredAt: number;
  status: string;
  /** When its fault counts from (IModelRegistry.faultyAt); 0 if not Faulty. */
  faultyAt: number;
  /** When the guardian last marked it Faulty or Withdrawn; 0 if never. */
  dispositionAt: number;
}

/** One window (epoch) in which the version was live. */
export interface ReportWindow {
  epoch: number;
  startTime: number;
  startBlock: number;
  /** null while the window is open (the version is live now). */
  endTime: number | null;
  endBlock: number | null;
  endReason: string;
  /** Opened and closed in one block (`start == end`): recorded, but never live. */
  neverLive: boolean;
  /** Seconds; null while open. */
  duration: number | null;
}

/** An incident about the version (a rollback, or a revocation after it was live). */
export interface ReportIncident {
  id: number;
  kind: "rollback" | "revoke";
  at: number;
  atBlock: number;
  by: string;
  /** When `by` is a Safe: its threshold and owners. */
  bySafe: { threshold: number; owners: string[] } | null;
  disposition: string;
  /** The version made live instead (rollback); 0 for a revoke. */
  target: number;
  /** How many of the version's windows the incident covers (its first `windowCount`). */
  windowCount: number;
  /** The epochs of those windows (incidentWindows). */
  epochs: number[];
  reasonHash: string;
  reasonURI: string;
  txHash: string | null;
}

/** When a payment was claimed or refunded. */
export interface ReportEventRef {
  at: number;
  block: number;
  txHash: string;
  /** At or after the version's last window closed. */
  afterClose: boolean;
}

/** A refund of a payment bound to the version. */
export interface ReportRefund extends ReportEventRef {
  settlementId: string;
  payer: string;
  to: string;
  token: string;
  amount: string;
  reason: string;
  /** The record's flags, for a challenge; 0 otherwise. */
  flags: number;
  flagNames: string[];
}

/** A claim of a payment bound to the version. */
export interface ReportClaim extends ReportEventRef {
  settlementId: string;
  payee: string;
  to: string;
  token: string;
  amount: string;
}

/** A payment bound to one of the version's epochs. */
export interface ReportPayment {
  settlementId: string;
  payer: string;
  payee: string;
  requestId: string;
  token: string;
  amount: string;
  epoch: number;
  settledAt: number;
  releaseAt: number;
  block: number;
  txHash: string;
  /** Its state now: Open, Contested, Proven, Claimed or Refunded. */
  state: string;
  /**
   * For an open (or contested, or proven) payment: "refundable" (the version's fault counts from
   * before its release), "paused" (a pause of the version that began before its release holds the
   * claim), "unproven" (contested, the proof deadline passed: the payer takes it back),
   * "contested" (the payee must prove its service by the proof deadline), "claimable" (released,
   * no fault before release) or "held" (not released yet); else null.
   */
  openStatus: "refundable" | "paused" | "unproven" | "contested" | "claimable" | "held" | null;
  claim: ReportClaim | null;
  refund: ReportRefund | null;
}

/** Totals of the payments bound to the version, for one token. */
export interface ReportTokenTotals {
  token: string;
  symbol: string | null;
  decimals: number | null;
  /** From `volume(model, epoch, token)`, summed over the version's epochs. */
  settledCount: number;
  settledAmount: string;
  refundedCount: number;
  refundedAmount: string;
  /** From the payments' states now. */
  claimedCount: number;
  claimedAmount: string;
  openCount: number;
  openAmount: string;
}

/** An agent's action bound to the version (logged while live, or about an output it served). */
export interface ReportAction {
  id: number;
  agent: string;
  loggedAt: number;
  block: number;
  txHash: string;
  liveVersion: number;
  liveEpoch: number;
  proven: boolean;
  servedVersion: number;
  servedEpoch: number;
  /** The record's flags when the action was logged (proven actions). */
  servedFlags: number;
  flagNames: string[];
  requestId: string;
  actionHash: string;
  uri: string;
  /** Logged while the version was live (its live epoch is one of the windows). */
  loggedWhileLive: boolean;
  /** Proven to be about an output the version served (whenever it was logged). */
  servedByVersion: boolean;
  /** Logged at or after the version's last window closed. */
  loggedAfterClose: boolean;
}

/** A guardian's dispute of a batch. */
export interface ReportDispute {
  index: number;
  by: string;
  at: number;
  block: number;
  reasonHash: string;
  reasonURI: string;
  txHash: string;
}

/** A batch anchored by a node that bears on the version. */
export interface ReportBatch {
  root: string;
  node: string;
  count: number;
  firstServedAt: number;
  lastServedAt: number;
  anchoredAt: number;
  block: number;
  txHash: string;
  fileRef: string;
  /** Anchored while the version was live. */
  anchoredWhileLive: boolean;
  /** Its served range overlaps one of the version's windows. */
  coversWindow: boolean;
  /** Anchored at or after the version's last window closed. */
  anchoredAfterClose: boolean;
  disputes: ReportDispute[];
  /** How many of its records claim the version (known from a batch directory), else null. */
  recordsOfVersion: number | null;
}

/** Where a record's servedAt falls relative to the version's windows. */
export type ServedWhen = "live" | "after-close" | "outside-windows";

/** A record of a batch directory that claims the version, verified on-chain. */
export interface ReportRecord {
  dir: string;
  root: string;
  index: number;
  requestId: string;
  agent: string;
  node: string;
  servedAt: number;
  served: ServedWhen;
  /** Whether `node` anchored the batch on this chain; nothing is verified otherwise. */
  anchored: boolean;
  anchoredAt: number | null;
  included: boolean | null;
  flags: number | null;
  flagNames: string[];
  /** The primary standing (most severe flag). */
  standing: string | null;
  /**
   * The primary standing without the flags of the version's later marking (VersionFaulty,
   * VersionWithdrawn): what the record says about the node. Conforming for honest service.
   */
  servedStanding: string | null;
  /** The version live at servedAt (0: nothing), when servedAt is in the past. */
  liveVersionThen: number | null;
  /** A verification that reverted (in words), else null. */
  error: string | null;
}

/** A batch directory given to the report. */
export interface ReportBatchDir {
  dir: string;
  root: string;
  modelId: string;
  count: number;
  /** Records of the directory that claim the version. */
  recordsOfVersion: number;
  /** Why the directory was skipped (another model), else null. */
  skipped: string | null;
}

/** Everything that happened after the version's last window closed. */
export interface ReportAfterClose {
  since: BlockTime;
  /** Records claiming the version served after the close (stale nodes). */
  staleRecords: ReportRecord[];
  /** Batches anchored after the close that cover a window or hold records of the version. */
  batches: ReportBatch[];
  refunds: ReportRefund[];
  claims: ReportClaim[];
  /** Actions about the version's outputs (or in its windows) logged after the close. */
  actions: ReportAction[];
}

export interface IncidentReport {
  model: { id: string; name: string | null };
  version: number;
  chainId: number;
  contracts: { registry: string; anchor: string; settlement: string; actionLog: string };
  /** The block every view was read at. */
  readAt: BlockTime;
  /** The eth_getLogs scan: blocks [fromBlock, toBlock], `blockRange` blocks per request. */
  scan: { fromBlock: number; toBlock: number; blockRange: number; requests: number };
  versionRecord: ReportVersion;
  /** What is live now. */
  live: { version: number; epoch: number; paused: boolean };
  windows: ReportWindow[];
  /** When the last window closed, if it did. */
  closedAt: BlockTime | null;
  incidents: ReportIncident[];
  payments: ReportPayment[];
  totals: ReportTokenTotals[];
  refunds: ReportRefund[];
  claims: ReportClaim[];
  actions: {
    whileLive: ReportAction[];
    servedByVersion: ReportAction[];
    /** The log's own counters: actionsInLiveEpoch over the windows, actionsServedByVersion. */
    counters: { inLiveEpochs: number; servedByVersion: number };
  };
  batches: ReportBatch[];
  /** From the batch directories given; null when none was given. */
  records: {
    dirs: ReportBatchDir[];
    items: ReportRecord[];
    whileLive: number;
    afterClose: number;
    outsideWindows: number;
    notAnchored: number;
    /** Records per primary standing. */
    byStanding: Record<string, number>;
  } | null;
  afterClose: ReportAfterClose | null;
  /** Counters that disagree with the events read (a start block too late, ...). */
  warnings: string[];
}

export interface IncidentReportOptions {
  provider: Provider;
  registry: ModelRegistry;
  anchor: InferenceAnchor;
  settlement: InferenceSettlement;
  actionLog: AgentActionLog;
  modelId: string;
  /** The name the id was derived from, for the report's title. */
  modelName?: string;
  version: number;
  /** First block of the event scan (default: the block the version's first window opened in). */
  fromBlock?: number;
  /** Last block read (default: the latest block). */
  toBlock?: number;
  /** Blocks per eth_getLogs request (default 2,000). */
  blockRange?: number;
  /** Batch directories (batch:build output) whose records claiming the version are verified. */
  batchDirs?: string[];
  /** How each directory is named in the report (default: its path). */
  batchNames?: string[];
}

// ------------------------------------------------------------------ helpers

const PAGE = 100n;
const ID_CHUNK = 100;
const VERIFY_CONCURRENCY = 8;

const VERSION_MARK_FLAGS = flagOf("VersionFaulty") | flagOf("VersionWithdrawn");

function topicOfUint(value: number | bigint): string {
  return zeroPadValue(toBeHex(value), 32);
}

function num(value: bigint | number): number {
  return Number(value);
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Reads logs in [from, to] in ranges of `range` blocks, counting requests. */
class LogReader {
  requests = 0;
  private readonly times = new Map<number, number>();

  constructor(
    private readonly provider: Provider,
    private readonly from: number,
    private readonly to: number,
    private readonly range: number,
  ) {}

  async logs(address: string, topics: Array<string | string[] | null>): Promise<Log[]> {
    const out: Log[] = [];
    for (let start = this.from; start <= this.to; start += this.range) {
      const end = Math.min(start + this.range - 1, this.to);
      let chunk: Log[];
      try {
        chunk = await this.provider.getLogs({ address, topics, fromBlock: start, toBlock: end });
      } catch (e) {
        throw new CliError(
          `eth_getLogs for blocks ${start}-${end} failed (try a smaller --block-range): ` +
            oneLine(e instanceof Error ? e.message : String(e)),
        );
      }
      this.requests++;
      out.push(...chunk);
    }
    out.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    return out;
  }

  /** Like `logs`, with the topic at `position` one of `values` (queried in chunks). */
  async logsAnyOf(
    address: string,
    topics: Array<string | string[] | null>,
    position: number,
    values: string[],
  ): Promise<Log[]> {
    const out: Log[] = [];
    for (let i = 0; i < values.length; i += ID_CHUNK) {
      const t = [...topics];
      t[position] = values.slice(i, i + ID_CHUNK);
      out.push(...(await this.logs(address, t)));
    }
    out.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    return out;
  }

  async timeOf(block: number): Promise<number> {
    const cached = this.times.get(block);
    if (cached !== undefined) return cached;
    const b = await this.provider.getBlock(block);
    if (b === null) throw new CliError(`block ${block} is not available`);
    this.times.set(block, b.timestamp);
    return b.timestamp;
  }
}

/** Half-open window membership: [start, end), end null = still open. */
function inWindow(t: number, w: ReportWindow): boolean {
  return !w.neverLive && t >= w.startTime && (w.endTime === null || t < w.endTime);
}

function inAnyWindow(t: number, windows: ReportWindow[]): boolean {
  return windows.some((w) => inWindow(t, w));
}

/** Whether the closed range [first, last] overlaps a window. */
function overlapsWindow(first: number, last: number, windows: ReportWindow[]): boolean {
  return windows.some(
    (w) => !w.neverLive && last >= w.startTime && (w.endTime === null || first < w.endTime),
  );
}

const ERC20_METADATA_ABI = [
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
];

async function tokenMetadata(
  provider: Provider,
  token: string,
): Promise<{ symbol: string | null; decimals: number | null }> {
  const c = new Contract(token, ERC20_METADATA_ABI, provider);
  let symbol: string | null = null;
  let decimals: number | null = null;
  try {
    symbol = String(await c.symbol());
  } catch {
    symbol = null;
  }
  try {
    decimals = Number(await c.decimals());
  } catch {
    decimals = null;
  }
  return { symbol, decimals };
}

async function safeOf(
  provider: Provider,
  account: string,
): Promise<{ threshold: number; owners: string[] } | null> {
  try {
    if ((await provider.getCode(account)) === "0x") return null;
    const state = await readSafeState(provider, account);
    return { threshold: Number(state.threshold), owners: state.owners };
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ building the report

/**
 * Builds the incident report of `version` of `modelId`: see the file doc. Throws a CliError (one
 * line) for an unknown model or version, a bad block range, an unreadable batch directory.
 */
export async function incidentReport(options: IncidentReportOptions): Promise<IncidentReport> {
  const { provider, registry, anchor, settlement, actionLog, modelId } = options;
  const version = options.version;
  if (!Number.isSafeInteger(version) || version < 1 || version >= 2 ** 32) {
    fail(`the version must be a whole number from 1, got ${version}`);
  }
  const range = options.blockRange ?? DEFAULT_BLOCK_RANGE;
  if (!Number.isSafeInteger(range) || range < 1) {
    fail(`the block range must be a positive whole number, got ${range}`);
  }
  const latest = await provider.getBlockNumber();
  const toBlock = options.toBlock ?? latest;
  if (!Number.isSafeInteger(toBlock) || toBlock < 0 || toBlock > latest) {
    fail(`the last block ${toBlock} is not in 0..${latest}`);
  }
  const blockTag = toBlock;
  const at = { blockTag };
  const readBlock = await provider.getBlock(toBlock);
  if (readBlock === null) fail(`block ${toBlock} is not available`);
  const readAt: BlockTime = { block: toBlock, time: readBlock.timestamp };
  const { chainId } = await provider.getNetwork();
  const contracts = {
    registry: getAddress(await registry.getAddress()),
    anchor: getAddress(await anchor.getAddress()),
    settlement: getAddress(await settlement.getAddress()),
    actionLog: getAddress(await actionLog.getAddress()),
  };
  const modelLabel = options.modelName ?? modelId;

  // ---- the registry: the version, its windows and incidents
  if (!(await registry.modelExists(modelId, at))) {
    fail(`no model ${modelLabel} on the registry ${contracts.registry} (chain ${chainId})`);
  }
  const versionCount = num(await registry.versionCount(modelId, at));
  if (version > versionCount) {
    fail(`model ${modelLabel} has no version ${version} (it has ${versionCount})`);
  }
  const v = await registry.getVersion(modelId, version, at);
  const faultyAt = num(await registry.faultyAt(modelId, version, at));
  const proofMask = num(v.proofMask);
  const versionRecord: ReportVersion = {
    blobId: v.blobId,
    weightsHash: v.weightsHash,
    metadataURI: v.metadataURI,
    proofMask,
    proofPaths: PROOF_PATHS.filter((_, bit) => (proofMask >> bit) & 1),
    zkVerifier: getAddress(v.zkVerifier),
    publisher: getAddress(v.publisher),
    registeredAt: num(v.registeredAt),
    status: nameOf(VERSION_STATUSES, v.status),
    faultyAt,
    dispositionAt: num(v.dispositionAt),
  };
  const [liveVersion, liveEpoch, paused] = await registry.live(modelId, at);
  const live = { version: num(liveVersion), epoch: num(liveEpoch), paused };

  const windows: ReportWindow[] = [];
  const windowTotal = await registry.windowCount(modelId, version, at);
  for (let offset = 0n; offset < windowTotal; offset += PAGE) {
    for (const view of await registry.windowsOf(modelId, version, offset, PAGE, at)) {
      const e = view.epoch;
      const open = num(e.endReason) === 0;
      const startTime = num(e.startTime);
      const endTime = open ? null : num(e.endTime);
      windows.push({
        epoch: num(view.id),
        startTime,
        startBlock: num(e.startBlock),
        endTime,
        endBlock: open ? null : num(e.endBlock),
        endReason: nameOf(END_REASONS, e.endReason),
        neverLive: endTime !== null && endTime === startTime,
        duration: endTime === null ? null : endTime - startTime,
      });
    }
  }
  const last = windows[windows.length - 1];
  const closedAt: BlockTime | null =
    last === undefined || last.endTime === null || last.endBlock === null
      ? null
      : { time: last.endTime, block: last.endBlock };
  const afterCloseTime = (t: number) => closedAt !== null && t >= closedAt.time;

  const incidentIds: bigint[] = [];
  for (let offset = 0n; ; offset += PAGE) {
    const page = await registry.incidentsOfVersion(modelId, version, offset, PAGE, at);
    incidentIds.push(...page);
    if (BigInt(page.length) < PAGE) break;
  }
  const incidents: ReportIncident[] = [];
  for (const id of incidentIds) {
    const i = await registry.getIncident(id, at);
    // Positional: an ethers Result is an Array, so `i.at` is Array.prototype.at, not the field.
    const incidentAt = i[2];
    const by = getAddress(i.by);
    let txHash: string | null = null;
    try {
      const logs = await provider.getLogs({
        address: contracts.registry,
        topics: [registry.interface.getEvent("IncidentOpened").topicHash, topicOfUint(id)],
        fromBlock: num(i.atBlock),
        toBlock: num(i.atBlock),
      });
      txHash = logs[0]?.transactionHash ?? null;
    } catch {
      txHash = null;
    }
    incidents.push({
      id: num(id),
      kind: num(i.target) === 0 ? "revoke" : "rollback",
      at: num(incidentAt),
      atBlock: num(i.atBlock),
      by,
      bySafe: await safeOf(provider, by),
      disposition: nameOf(DISPOSITION_NAMES, i.disposition),
      target: num(i.target),
      windowCount: num(i.windowCount),
      epochs: (await registry.incidentWindows(id, 0, i.windowCount, at)).map((w) => num(w.id)),
      reasonHash: i.reasonHash,
      reasonURI: i.reasonURI,
      txHash,
    });
  }

  // ---- the scan
  const fromBlock = options.fromBlock ?? windows[0]?.startBlock ?? toBlock;
  if (!Number.isSafeInteger(fromBlock) || fromBlock < 0 || fromBlock > toBlock) {
    fail(`the first block ${fromBlock} is not in 0..${toBlock}`);
  }
  const reader = new LogReader(provider, fromBlock, toBlock, range);
  const warnings: string[] = [];
  const modelTopic = modelId;
  const epochs = windows.map((w) => w.epoch);

  // ---- payments bound to the version's epochs
  const payments: ReportPayment[] = [];
  const detailsById = new Map<string, SettlementDetails>();
  const settledTopic = settlement.interface.getEvent("Settled").topicHash;
  const settledLogs =
    epochs.length === 0
      ? []
      : await reader.logsAnyOf(
          contracts.settlement,
          [settledTopic, null, modelTopic, null],
          3,
          epochs.map(topicOfUint),
        );
  for (const log of settledLogs) {
    const parsed = settlement.interface.parseLog(log);
    if (parsed === null) continue;
    const d = detailsFromSettled(parsed.args as unknown as SettledEventArgs);
    detailsById.set(parsed.args.settlementId as string, d);
    if (num(d.version) !== version) continue; // an epoch is one version's; defensive
    payments.push({
      settlementId: parsed.args.settlementId as string,
      payer: getAddress(d.payer),
      payee: getAddress(d.payee),
      requestId: d.requestId as string,
      token: getAddress(d.token),
      amount: (d.amount as bigint).toString(),
      epoch: num(d.epoch),
      settledAt: num(d.settledAt),
      releaseAt: num(d.releaseAt),
      block: log.blockNumber,
      txHash: log.transactionHash,
      state: "Open",
      openStatus: null,
      claim: null,
      refund: null,
    });
  }
  const states = await mapLimit(payments, VERIFY_CONCURRENCY, (p) =>
    settlement.stateOf(p.settlementId, at),
  );
  // The settlement's own rules (IInferenceSettlement claim / refund), from releaseState.
  const [, pausedSinceRaw] = await registry.releaseState(modelId, version, at);
  const pausedSince = num(pausedSinceRaw);
  payments.forEach((p, i) => (p.state = nameOf(SETTLEMENT_STATES, states[i])));
  // The contract's own proof deadline of each contested payment (one rule, one place).
  const contestedIds = payments.filter((p) => p.state === "Contested").map((p) => p.settlementId);
  const deadlines = await mapLimit(contestedIds, VERIFY_CONCURRENCY, async (id) =>
    num(await settlement.proofDeadlineOf(detailsById.get(id)!, at)),
  );
  const proofDeadlineOf = new Map(contestedIds.map((id, i) => [id, deadlines[i]]));
  payments.forEach((p) => {
    if (isOpenState(p.state)) {
      const contested = p.state === "Contested";
      const proofDeadline = proofDeadlineOf.get(p.settlementId) ?? 0;
      p.openStatus =
        faultyAt !== 0 && faultyAt < p.releaseAt
          ? "refundable"
          : pausedSince !== 0 && pausedSince < p.releaseAt
            ? "paused"
            : contested && readAt.time >= proofDeadline
              ? "unproven"
              : contested
                ? "contested"
                : readAt.time >= p.releaseAt
                  ? "claimable"
                  : "held";
    }
  });
  const byId = new Map(payments.map((p) => [p.settlementId, p]));
  const closedIds = payments.filter((p) => !isOpenState(p.state)).map((p) => p.settlementId);
  const refunds: ReportRefund[] = [];
  const claims: ReportClaim[] = [];
  if (closedIds.length > 0) {
    const refundedTopic = settlement.interface.getEvent("Refunded").topicHash;
    const claimedTopic = settlement.interface.getEvent("Claimed").topicHash;
    for (const log of await reader.logsAnyOf(
      contracts.settlement,
      [[refundedTopic, claimedTopic]],
      1,
      closedIds,
    )) {
      const parsed = settlement.interface.parseLog(log);
      if (parsed === null) continue;
      const p = byId.get(parsed.args.settlementId as string);
      if (p === undefined) continue;
      const time = await reader.timeOf(log.blockNumber);
      const ref = {
        at: time,
        block: log.blockNumber,
        txHash: log.transactionHash,
        afterClose: afterCloseTime(time),
      };
      if (parsed.name === "Refunded") {
        const flags = parsed.args.flags as bigint;
        p.refund = {
          settlementId: p.settlementId,
          payer: getAddress(parsed.args.payer as string),
          to: getAddress(parsed.args.to as string),
          token: p.token,
          amount: (parsed.args.amount as bigint).toString(),
          reason: nameOf(REFUND_REASONS, parsed.args.reason as bigint),
          flags: num(flags),
          flagNames: decodeFlags(flags),
          ...ref,
        };
        refunds.push(p.refund);
      } else {
        p.claim = {
          settlementId: p.settlementId,
          payee: getAddress(parsed.args.payee as string),
          to: getAddress(parsed.args.to as string),
          token: p.token,
          amount: (parsed.args.amount as bigint).toString(),
          ...ref,
        };
        claims.push(p.claim);
      }
    }
  }
  for (const p of payments) {
    if ((p.state === "Claimed" && p.claim === null) || (p.state === "Refunded" && !p.refund)) {
      warnings.push(
        `payment ${p.settlementId} is ${p.state} but its event was not found in blocks ${fromBlock}-${toBlock}`,
      );
    }
  }

  // per-token totals: volume() over the epochs, and the states now
  const tokens = [...new Set(payments.map((p) => p.token))].sort();
  const totals: ReportTokenTotals[] = [];
  for (const token of tokens) {
    const meta = await tokenMetadata(provider, token);
    let settledCount = 0n;
    let settledAmount = 0n;
    let refundedCount = 0n;
    let refundedAmount = 0n;
    for (const epoch of epochs) {
      const vol = await settlement.volume(modelId, epoch, token, at);
      settledCount += vol.settledCount;
      settledAmount += vol.settledAmount;
      refundedCount += vol.refundedCount;
      refundedAmount += vol.refundedAmount;
    }
    const mine = payments.filter((p) => p.token === token);
    const sum = (list: ReportPayment[]) => list.reduce((s, p) => s + BigInt(p.amount), 0n);
    const claimed = mine.filter((p) => p.state === "Claimed");
    const open = mine.filter((p) => isOpenState(p.state));
    totals.push({
      token,
      ...meta,
      settledCount: num(settledCount),
      settledAmount: settledAmount.toString(),
      refundedCount: num(refundedCount),
      refundedAmount: refundedAmount.toString(),
      claimedCount: claimed.length,
      claimedAmount: sum(claimed).toString(),
      openCount: open.length,
      openAmount: sum(open).toString(),
    });
    if (num(settledCount) !== mine.length) {
      warnings.push(
        `volume() counts ${settledCount} payments in ${meta.symbol ?? token} bound to the version's epochs; ${mine.length} Settled events were found from block ${fromBlock}`,
      );
    }
  }

  // ---- agent actions
  const actionTopic = actionLog.interface.getEvent("ActionLogged").topicHash;
  const epochSet = new Set(epochs);
  const whileLive: ReportAction[] = [];
  const servedBy: ReportAction[] = [];
  for (const log of await reader.logs(contracts.actionLog, [actionTopic, null, null, modelTopic])) {
    const parsed = actionLog.interface.parseLog(log);
    if (parsed === null) continue;
    const a = parsed.args.action;
    const liveV = num(a.liveVersion);
    const liveE = num(a.liveEpoch);
    const proven = a.proven as boolean;
    const loggedWhileLive = liveV === version && epochSet.has(liveE);
    const servedByVersion = proven && num(a.servedVersion) === version;
    if (!loggedWhileLive && !servedByVersion) continue;
    const flags = a.servedFlags as bigint;
    const loggedAt = num(a.loggedAt);
    const action: ReportAction = {
      id: num(parsed.args.actionId as bigint),
      agent: getAddress(a.agent as string),
      loggedAt,
      block: log.blockNumber,
      txHash: log.transactionHash,
      liveVersion: liveV,
      liveEpoch: liveE,
      proven,
      servedVersion: num(a.servedVersion),
      servedEpoch: num(a.servedEpoch),
      servedFlags: num(flags),
      flagNames: decodeFlags(flags),
      requestId: a.requestId as string,
      actionHash: a.actionHash as string,
      uri: parsed.args.uri as string,
      loggedWhileLive,
      servedByVersion,
      loggedAfterClose: afterCloseTime(loggedAt),
    };
    if (loggedWhileLive) whileLive.push(action);
    if (servedByVersion) servedBy.push(action);
  }
  let inLiveEpochs = 0;
  for (const epoch of epochs) {
    inLiveEpochs += num(await actionLog.actionsInLiveEpoch(modelId, epoch, at));
  }
  const servedCounter = num(await actionLog.actionsServedByVersion(modelId, version, at));
  if (inLiveEpochs !== whileLive.length) {
    warnings.push(
      `the action log counts ${inLiveEpochs} actions logged in the version's epochs; ${whileLive.length} were found from block ${fromBlock}`,
    );
  }
  if (servedCounter !== servedBy.length) {
    warnings.push(
      `the action log counts ${servedCounter} proven actions served by version ${version}; ${servedBy.length} were found from block ${fromBlock}`,
    );
  }

  // ---- batch directories (read before the batches, to know which batches hold the version)
  let records: IncidentReport["records"] = null;
  const dirRecordsByBatch = new Map<string, number>();
  const batchKey = (node: string, root: string) => `${getAddress(node)}:${root.toLowerCase()}`;
  if (options.batchDirs !== undefined && options.batchDirs.length > 0) {
    const dirs: ReportBatchDir[] = [];
    const items: ReportRecord[] = [];
    const history: EpochHistory = {
      epochAt: (m, t) => registry.epochAt(m, t, at),
      epochCount: (m) => registry.epochCount(m, at),
      getEpoch: (m, e) => registry.getEpoch(m, e, at),
    };
    for (const [n, dir] of options.batchDirs.entries()) {
      const name = options.batchNames?.[n] ?? dir;
      const summary = readBatchSummary(dir);
      const root = summary.root.toLowerCase();
      const entry: ReportBatchDir = {
        dir: name,
        root,
        modelId: summary.modelId.toLowerCase(),
        count: summary.count,
        recordsOfVersion: 0,
        skipped: null,
      };
      dirs.push(entry);
      if (summary.modelId.toLowerCase() !== modelId.toLowerCase()) {
        entry.skipped = `a batch of model ${summary.modelId}`;
        continue;
      }
      const { claimed, nodes } = await readVersionEntries(
        dir,
        summary.files.proofs,
        modelId,
        version,
      );
      entry.recordsOfVersion = claimed.length;
      for (const node of nodes) {
        const key = batchKey(node, root);
        dirRecordsByBatch.set(
          key,
          (dirRecordsByBatch.get(key) ?? 0) + claimed.filter((c) => c.record.node === node).length,
        );
      }
      const anchoredAtOf = new Map<string, number>();
      for (const node of new Set(claimed.map((c) => c.record.node))) {
        const b = await anchor.getBatch(modelId, node, root, at);
        anchoredAtOf.set(getAddress(node), num(b.anchoredAt));
      }
      const verified = await mapLimit(claimed, VERIFY_CONCURRENCY, async (c) => {
        const r = c.record;
        const anchoredAt = anchoredAtOf.get(getAddress(r.node)) ?? 0;
        const served: ServedWhen = inAnyWindow(r.servedAt, windows)
          ? "live"
          : afterCloseTime(r.servedAt)
            ? "after-close"
            : "outside-windows";
        const item: ReportRecord = {
          dir: name,
          root,
          index: c.index,
          requestId: r.requestId,
          agent: r.agent,
          node: r.node,
          servedAt: r.servedAt,
          served,
          anchored: anchoredAt !== 0,
          anchoredAt: anchoredAt === 0 ? null : anchoredAt,
          included: null,
          flags: null,
          flagNames: [],
          standing: null,
          servedStanding: null,
          liveVersionThen: null,
          error: null,
        };
        if (anchoredAt === 0) return item;
        try {
          let result: [boolean, bigint, bigint];
          if (r.servedAt < readAt.time && r.servedAt <= anchoredAt) {
            const hint = await epochHint(history, modelId, r.servedAt);
            result = await anchor.verifyRecordWithHint(modelId, root, r, c.proof, hint, at);
            item.liveVersionThen = num(await registry.versionAt(modelId, r.servedAt, at));
          } else {
            result = await anchor.verifyRecord(modelId, root, r, c.proof, at);
          }
          const [included, flags, primary] = result;
          item.included = included;
          item.flags = num(flags);
          item.flagNames = decodeFlags(flags);
          item.standing = standingAt(primary).name;
          item.servedStanding = primaryOf(flags & ~VERSION_MARK_FLAGS);
        } catch (e) {
          item.error = describeRevert(e, [anchor.interface, registry.interface]);
        }
        return item;
      });
      items.push(...verified);
    }
    const byStanding: Record<string, number> = {};
    for (const item of items) {
      const key = item.standing ?? (item.anchored ? "error" : "not anchored");
      byStanding[key] = (byStanding[key] ?? 0) + 1;
    }
    records = {
      dirs,
      items,
      whileLive: items.filter((i) => i.served === "live").length,
      afterClose: items.filter((i) => i.served === "after-close").length,
      outsideWindows: items.filter((i) => i.served === "outside-windows").length,
      notAnchored: items.filter((i) => !i.anchored).length,
      byStanding,
    };
  }

  // ---- batches and disputes
  const anchoredTopic = anchor.interface.getEvent("BatchAnchored").topicHash;
  const disputedTopic = anchor.interface.getEvent("BatchDisputed").topicHash;
  const batches: ReportBatch[] = [];
  for (const log of await reader.logs(contracts.anchor, [anchoredTopic, modelTopic])) {
    const parsed = anchor.interface.parseLog(log);
    if (parsed === null) continue;
    const node = getAddress(parsed.args.operator as string);
    const root = (parsed.args.root as string).toLowerCase();
    const first = num(parsed.args.firstServedAt as bigint);
    const lastServed = num(parsed.args.lastServedAt as bigint);
    const fromDirs = dirRecordsByBatch.get(batchKey(node, root));
    const coversWindow = overlapsWindow(first, lastServed, windows);
    // Cheap test first: only batches that may bear on the version need their block's time.
    const mayBeLive = windows.some(
      (w) =>
        !w.neverLive &&
        log.blockNumber >= w.startBlock &&
        (w.endBlock === null || log.blockNumber <= w.endBlock),
    );
    if (!coversWindow && !mayBeLive && !fromDirs) continue;
    const anchoredAt = await reader.timeOf(log.blockNumber);
    const anchoredWhileLive = inAnyWindow(anchoredAt, windows);
    if (!coversWindow && !anchoredWhileLive && !fromDirs) continue;
    batches.push({
      root,
      node,
      count: num(parsed.args.count as bigint),
      firstServedAt: first,
      lastServedAt: lastServed,
      anchoredAt,
      block: log.blockNumber,
      txHash: log.transactionHash,
      fileRef: parsed.args.fileRef as string,
      anchoredWhileLive,
      coversWindow,
      anchoredAfterClose: afterCloseTime(anchoredAt),
      disputes: [],
      recordsOfVersion: fromDirs ?? null,
    });
  }
  if (batches.length > 0) {
    const byBatch = new Map(batches.map((b) => [batchKey(b.node, b.root), b]));
    for (const log of await reader.logs(contracts.anchor, [disputedTopic, modelTopic])) {
      const parsed = anchor.interface.parseLog(log);
      if (parsed === null) continue;
      const b = byBatch.get(batchKey(parsed.args.operator as string, parsed.args.root as string));
      if (b === undefined) continue;
      b.disputes.push({
        index: num(parsed.args.disputeIndex as bigint),
        by: getAddress(parsed.args.by as string),
        at: await reader.timeOf(log.blockNumber),
        block: log.blockNumber,
        reasonHash: parsed.args.reasonHash as string,
        reasonURI: parsed.args.reasonURI as string,
        txHash: log.transactionHash,
      });
    }
  }

  // ---- after the close
  const afterClose: ReportAfterClose | null =
    closedAt === null
      ? null
      : {
          since: closedAt,
          staleRecords: records?.items.filter((r) => r.served === "after-close") ?? [],
          batches: batches.filter((b) => b.anchoredAfterClose),
          refunds: refunds.filter((r) => r.afterClose),
          claims: claims.filter((c) => c.afterClose),
          actions: uniqueActions([...whileLive, ...servedBy]).filter((a) => a.loggedAfterClose),
        };

  return {
    model: { id: modelId.toLowerCase(), name: options.modelName ?? null },
    version,
    chainId: num(chainId),
    contracts,
    readAt,
    scan: { fromBlock, toBlock, blockRange: range, requests: reader.requests },
    versionRecord,
    live,
    windows,
    closedAt,
    incidents,
    payments,
    totals,
    refunds,
    claims,
    actions: {
      whileLive,
      servedByVersion: servedBy,
      counters: { inLiveEpochs, servedByVersion: servedCounter },
    },
    batches,
    records,
    afterClose,
    warnings,
  };
}

/** The primary standing of `flags` (lowest set bit), Conforming for none. */
function primaryOf(flags: bigint): string {
  for (let i = 1; i < STANDINGS.length; i++) {
    if ((flags >> BigInt(i)) & 1n) return STANDINGS[i].name;
  }
  return "Conforming";
}

function uniqueActions(actions: ReportAction[]): ReportAction[] {
  const seen = new Map<number, ReportAction>();
  for (const a of actions) seen.set(a.id, a);
  return [...seen.values()].sort((a, b) => a.id - b.id);
}

/**
 * The entries of proofs.jsonl whose record claims `version` of `modelId`, and the nodes its
 * records name (a batch is one node's), streamed.
 */
async function readVersionEntries(
  dir: string,
  proofsFile: string,
  modelId: string,
  version: number,
): Promise<{ claimed: ReturnType<typeof parseProofEntry>[]; nodes: Set<string> }> {
  const path = join(dir, proofsFile);
  const found: ReturnType<typeof parseProofEntry>[] = [];
  const nodes = new Set<string>();
  try {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        fail(`${path} line ${lineNo}: not valid JSON`);
      }
      const entry = parseProofEntry(value, `${path} line ${lineNo}`);
      nodes.add(entry.record.node);
      if (entry.record.version === version && entry.record.modelId === modelId.toLowerCase()) {
        found.push(entry);
      }
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    fail(`cannot read ${path}: ${describeFsError(e)}`);
  }
  return { claimed: found, nodes };
}

// ------------------------------------------------------------------ words

/** A Unix time as `2031-01-06 09:00:00Z`. */
export function formatTime(t: number): string {
  return new Date(t * 1000).toISOString().replace("T", " ").replace(".000Z", "Z");
}

/** Seconds as `3d 6h`, `45m 10s`: units from the largest non-zero one, trailing zeros dropped. */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  const units: Array<[string, number]> = [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  let rest = seconds;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
  }
  while (parts.length > 1 && parts[parts.length - 1].startsWith("0")) parts.pop();
  return parts.length === 0 ? "0s" : parts.join(" ");
}

/** An amount of `token` in words: `14.0 TEST`, or raw units when the token has no metadata. */
export function formatAmount(report: IncidentReport, token: string, amount: string): string {
  const t = report.totals.find((x) => x.token === token);
  if (t === undefined || t.decimals === null) return `${amount} units of ${token}`;
  return `${formatUnits(amount, t.decimals)} ${t.symbol ?? token}`;
}

export interface FormatOptions {
  /** Names for known addresses (e.g. "node A", "guardian Safe"), shown beside or instead of them. */
  labels?: Record<string, string>;
}

function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Sums amounts per token: `14.0 TEST` (`, ` between tokens), `nothing` for none. */
function amountsText(report: IncidentReport, items: Array<{ token: string; amount: string }>) {
  const sums = new Map<string, bigint>();
  for (const i of items) sums.set(i.token, (sums.get(i.token) ?? 0n) + BigInt(i.amount));
  if (sums.size === 0) return "nothing";
  return [...sums.entries()].map(([t, s]) => formatAmount(report, t, s.toString())).join(", ");
}

/** Formatting helpers bound to a report and its labels. */
class Words {
  private readonly labels = new Map<string, string>();

  constructor(
    readonly report: IncidentReport,
    options: FormatOptions,
  ) {
    for (const [address, label] of Object.entries(options.labels ?? {})) {
      if (isAddress(address)) this.labels.set(getAddress(address), label);
    }
  }

  /** An address: its label if known, else shortened. */
  who(address: string): string {
    return this.labels.get(getAddress(address)) ?? short(address);
  }

  labelled(address: string): boolean {
    return this.labels.has(getAddress(address));
  }

  /** An address in full, with its label if known. */
  full(address: string): string {
    const label = this.labels.get(getAddress(address));
    return label === undefined ? address : `${label} ${address}`;
  }

  amount(token: string, amount: string): string {
    return formatAmount(this.report, token, amount);
  }

  /** The standing now, and what it was when served if the version's marking changed it. */
  record(r: ReportRecord): string {
    const head = `${short(r.requestId)} served ${formatTime(r.servedAt)} by ${this.who(r.node)} for ${this.who(r.agent)}`;
    if (!r.anchored) return `${head}: its batch is not anchored by this node`;
    if (r.error !== null) return `${head}: verification reverted: ${r.error}`;
    if (r.included === false) return `${head}: NotIncluded (the proof does not match the batch)`;
    const standing =
      r.servedStanding !== r.standing
        ? `${r.servedStanding} as served, ${r.standing} now`
        : (r.standing ?? "");
    const flags = r.flagNames.length > 1 ? ` (flags ${r.flagNames.join(" + ")})` : "";
    const liveThen =
      r.liveVersionThen === null
        ? ""
        : r.liveVersionThen === 0
          ? "; nothing was live then"
          : `; v${r.liveVersionThen} was live then`;
    return `${head}: ${standing}${flags}${liveThen}`;
  }

  action(a: ReportAction): string {
    const v = this.report.version;
    const live =
      a.liveVersion === 0 ? "nothing live" : `v${a.liveVersion} live, epoch ${a.liveEpoch}`;
    const proof = a.proven
      ? `proven served by v${a.servedVersion} in epoch ${a.servedEpoch}` +
        (a.flagNames.length === 0 ? " (conforming)" : ` (${a.flagNames.join(" + ")})`)
      : "unproven (no record)";
    const note =
      a.servedByVersion && a.liveVersion !== v
        ? `: counts for v${v}, which served it, not the live v${a.liveVersion}`
        : "";
    return `#${a.id} by ${this.who(a.agent)} at ${formatTime(a.loggedAt)} (${live}), request ${short(a.requestId)}: ${proof}${note}`;
  }

  batch(b: ReportBatch): string {
    const v = this.report.version;
    const why = [
      b.anchoredWhileLive
        ? "anchored while live"
        : b.anchoredAfterClose
          ? "anchored after the close"
          : "anchored outside the windows",
      b.coversWindow ? `served inside v${v}'s window` : "",
      b.recordsOfVersion !== null ? `${b.recordsOfVersion} of its records claim v${v}` : "",
    ]
      .filter((s) => s !== "")
      .join(", ");
    return (
      `${short(b.root)} by ${this.who(b.node)}: ${plural(b.count, "record")} served ` +
      `${formatTime(b.firstServedAt)} to ${formatTime(b.lastServedAt)}, anchored ` +
      `${formatTime(b.anchoredAt)} (block ${b.block}): ${why}`
    );
  }
}

/** "after the rollback", "after the revoke", ...: how the version's last window ended. */
function afterWords(report: IncidentReport): string {
  const last = report.windows[report.windows.length - 1];
  switch (last?.endReason) {
    case "Rollback":
      return "after the rollback";
    case "Revoke":
      return "after the revoke";
    case "Pause":
      return "after the pause";
    case "Promotion":
      return "after it was replaced";
    default:
      return "after its window closed";
  }
}

/** The one-paragraph summary of the report. */
export function summarizeIncident(report: IncidentReport): string {
  const v = `v${report.version}`;
  const name = report.model.name ?? report.model.id;
  const live = report.windows.filter((w) => !w.neverLive);
  const parts: string[] = [];
  if (live.length === 0) {
    parts.push(
      `${v} of ${name} was never live` +
        (report.windows.length > 0
          ? ` (${plural(report.windows.length, "window")} opened and closed in one block)`
          : "") +
        (report.incidents.length > 0 ? `; ${plural(report.incidents.length, "incident")}.` : "."),
    );
  } else {
    const total = live.reduce((s, w) => s + (w.duration ?? report.readAt.time - w.startTime), 0);
    const closed =
      report.closedAt === null
        ? "it is live now"
        : `the last closed ${formatTime(report.closedAt.time)}`;
    parts.push(
      `${v} of ${name} was live in ${plural(live.length, "window")} (${formatDuration(total)}; ${closed})` +
        (report.incidents.length === 0
          ? " and has no incident."
          : `; ${plural(report.incidents.length, "incident")}: ${report.incidents
              .map(
                (i) =>
                  `#${i.id} ${i.kind}${i.kind === "rollback" ? ` to v${i.target}` : ""}, ${v} ${i.disposition}, at ${formatTime(i.at)}`,
              )
              .join("; ")}.`),
    );
  }
  if (report.records !== null) {
    const r = report.records;
    const asServed = (when: ServedWhen, standing: string) =>
      r.items.filter((i) => i.served === when && i.servedStanding === standing).length;
    parts.push(
      `${plural(r.whileLive, "record")} served by ${v} while live (${asServed("live", "Conforming")} conforming, ` +
        `${asServed("live", "Unconfirmable")} Unconfirmable: anchored after the window closed); ` +
        `${plural(r.afterClose, "stale record")} served under ${v} ${afterWords(report)} (${asServed("after-close", "NotLive")} NotLive)` +
        (r.outsideWindows > 0 ? `; ${r.outsideWindows} outside its windows` : "") +
        ".",
    );
  }
  const open = report.payments.filter((p) => isOpenState(p.state));
  const refundable = open.filter((p) => p.openStatus === "refundable");
  parts.push(
    `${plural(report.payments.length, "payment")} bound to ${v} (${amountsText(report, report.payments)}): ` +
      `${report.refunds.length} refunded totalling ${amountsText(report, report.refunds)}, ` +
      `${report.claims.length} claimed (${amountsText(report, report.claims)}), ` +
      `${open.length} open` +
      (refundable.length > 0
        ? ` (${refundable.length} refundable, ${amountsText(report, refundable)})`
        : "") +
      ".",
  );
  const actions = uniqueActions([...report.actions.whileLive, ...report.actions.servedByVersion]);
  const lateProven = report.actions.servedByVersion.filter((a) => !a.loggedWhileLive);
  parts.push(
    `${plural(actions.length, "agent action")}: ${report.actions.whileLive.length} logged while ${v} was live, ` +
      `${report.actions.servedByVersion.length} proven about outputs ${v} served` +
      (lateProven.length > 0
        ? ` (${lateProven.length} logged ${afterWords(report)}, attributed to ${v}, not to the version live then)`
        : "") +
      ".",
  );
  return parts.join(" ");
}

/** The report in words: sections with counts and totals, then the summary. */
export function formatIncidentReport(report: IncidentReport, options: FormatOptions = {}): string {
  const w = new Words(report, options);
  const out: string[] = [];
  const line = (text = "") => out.push(text);
  const v = `v${report.version}`;
  const name =
    report.model.name === null ? report.model.id : `${report.model.name} (${report.model.id})`;
  line(`INCIDENT REPORT: model ${name}, version ${report.version}`);
  line(
    `  chain ${report.chainId}, read at block ${report.readAt.block} (${formatTime(report.readAt.time)}); ` +
      `events of blocks ${report.scan.fromBlock}-${report.scan.toBlock} ` +
      `(${report.scan.blockRange} per request, ${plural(report.scan.requests, "eth_getLogs request")})`,
  );
  line(
    `  registry ${report.contracts.registry}, anchor ${report.contracts.anchor}, ` +
      `settlement ${report.contracts.settlement}, action log ${report.contracts.actionLog}`,
  );

  const r = report.versionRecord;
  line();
  line(`VERSION ${report.version}`);
  line(
    `  status ${r.status}` +
      (r.faultyAt !== 0 ? `; its fault counts from ${formatTime(r.faultyAt)}` : "") +
      (r.dispositionAt !== 0 ? `; marked ${formatTime(r.dispositionAt)}` : ""),
  );
  line(`  weights: blob ${r.blobId}, hash ${r.weightsHash}`);
  line(
    `  proof paths ${r.proofPaths.join(", ")} (mask 0x${r.proofMask.toString(16).padStart(2, "0")})` +
      (BigInt(r.zkVerifier) !== 0n ? `, ZK verifier ${r.zkVerifier}` : "") +
      `; metadata ${r.metadataURI}`,
  );
  line(`  published by ${w.full(r.publisher)} at ${formatTime(r.registeredAt)}`);
  line(
    `  live now: ` +
      (report.live.version === 0
        ? report.live.paused
          ? "nothing (paused)"
          : "nothing"
        : `v${report.live.version} (epoch ${report.live.epoch})`),
  );

  line();
  line(`WINDOWS: ${report.windows.length}`);
  if (report.windows.length === 0) line(`  ${v} was never made live`);
  for (const x of report.windows) {
    if (x.neverLive) {
      line(
        `  epoch ${x.epoch}: opened and closed at ${formatTime(x.startTime)} in block ${x.startBlock} (${x.endReason}): NEVER LIVE`,
      );
    } else if (x.endTime === null) {
      line(`  epoch ${x.epoch}: from ${formatTime(x.startTime)} (block ${x.startBlock}): OPEN`);
    } else {
      line(
        `  epoch ${x.epoch}: ${formatTime(x.startTime)} (block ${x.startBlock}) to ` +
          `${formatTime(x.endTime)} (block ${x.endBlock}), ${formatDuration(x.duration ?? 0)}, ended by ${x.endReason}`,
      );
    }
  }

  line();
  line(`INCIDENTS: ${report.incidents.length}`);
  for (const i of report.incidents) {
    const by =
      i.bySafe === null
        ? w.full(i.by)
        : `${w.labelled(i.by) ? "the " : "the Safe "}${w.full(i.by)} (${i.bySafe.threshold} of ${i.bySafe.owners.length} owners)`;
    const what =
      i.kind === "rollback"
        ? `rollback to v${i.target}, ${v} marked ${i.disposition}`
        : `revoke, ${v} marked ${i.disposition}`;
    line(`  #${i.id} at ${formatTime(i.at)} (block ${i.atBlock}): ${what}, by ${by}`);
    line(
      `     covers ${plural(i.windowCount, "window")} (epoch${i.epochs.length === 1 ? "" : "s"} ${i.epochs.join(", ")}); reason ${i.reasonHash}` +
        (i.reasonURI === "" ? "" : ` (${i.reasonURI})`) +
        (i.txHash === null ? "" : `; tx ${i.txHash}`),
    );
  }

  line();
  const epochs = report.windows.map((x) => x.epoch).join(", ");
  line(
    `PAYMENTS bound to ${v}'s ${report.windows.length === 1 ? "epoch" : "epochs"} ${epochs || "(none)"}: ${report.payments.length}`,
  );
  for (const p of report.payments) {
    const state =
      p.state === "Claimed" && p.claim !== null
        ? `Claimed ${formatTime(p.claim.at)}${p.claim.afterClose ? ", after the close (released before the fault)" : ""}`
        : p.state === "Refunded" && p.refund !== null
          ? `Refunded ${formatTime(p.refund.at)} (${p.refund.reason}${p.refund.reason === "Challenge" ? `: ${p.refund.flagNames.join(" + ")}` : ""})`
          : isOpenState(p.state)
            ? `${p.state}, ${p.openStatus}`
            : p.state;
    line(
      `  ${short(p.settlementId)}: ${w.who(p.payer)} paid ${w.who(p.payee)} ${w.amount(p.token, p.amount)} ` +
        `at ${formatTime(p.settledAt)}, release ${formatTime(p.releaseAt)}: ${state}`,
    );
  }
  for (const t of report.totals) {
    const f = (a: string) => w.amount(t.token, a);
    line(
      `  totals in ${t.symbol ?? "token"} ${t.token}: settled ${t.settledCount} = ${f(t.settledAmount)}, ` +
        `refunded ${t.refundedCount} = ${f(t.refundedAmount)} (volume()); ` +
        `claimed ${t.claimedCount} = ${f(t.claimedAmount)}, open ${t.openCount} = ${f(t.openAmount)}`,
    );
  }

  line();
  line(`REFUNDS: ${report.refunds.length}, ${amountsText(report, report.refunds)}`);
  for (const f of report.refunds) {
    line(
      `  ${short(f.settlementId)}: ${w.amount(f.token, f.amount)} to ${w.who(f.to)} at ${formatTime(f.at)}, ${f.reason}` +
        (f.reason === "Challenge" ? ` (${f.flagNames.join(" + ")})` : ""),
    );
  }

  line();
  const a = report.actions;
  const actions = uniqueActions([...a.whileLive, ...a.servedByVersion]);
  line(
    `AGENT ACTIONS: ${actions.length}: ${a.whileLive.length} logged while ${v} was live, ` +
      `${a.servedByVersion.length} proven served by ${v} ` +
      `(the log's counters: ${a.counters.inLiveEpochs} in ${v}'s epochs, ${a.counters.servedByVersion} served by ${v})`,
  );
  for (const x of actions) line(`  ${w.action(x)}`);

  line();
  const disputes = report.batches.reduce((s, b) => s + b.disputes.length, 0);
  line(
    `BATCHES anchored by nodes, bearing on ${v}: ${report.batches.length} (${plural(disputes, "dispute")})`,
  );
  for (const b of report.batches) {
    line(`  ${w.batch(b)}`);
    for (const d of b.disputes) {
      line(
        `     disputed (#${d.index}) by ${w.who(d.by)} at ${formatTime(d.at)}: reason ${short(d.reasonHash)}` +
          (d.reasonURI === "" ? "" : ` (${d.reasonURI})`),
      );
    }
  }

  if (report.records !== null) {
    const rec = report.records;
    line();
    line(
      `RECORDS claiming ${v} in ${plural(rec.dirs.length, "batch directory", "batch directories")}, verified on-chain: ${rec.items.length} ` +
        `(${rec.whileLive} served while live, ${rec.afterClose} after the close, ${rec.outsideWindows} outside the windows` +
        (rec.notAnchored > 0 ? `, ${rec.notAnchored} in batches not anchored` : "") +
        `)`,
    );
    line(
      `  standing now: ${Object.entries(rec.byStanding)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ")}`,
    );
    for (const d of rec.dirs) {
      line(
        `  ${d.dir} (root ${short(d.root)}, ${plural(d.count, "record")}): ` +
          (d.skipped !== null ? `skipped, ${d.skipped}` : `${d.recordsOfVersion} claim ${v}`),
      );
    }
    const live = rec.items.filter((i) => i.served === "live");
    if (live.length > 0) line(`  served while ${v} was live:`);
    for (const i of live) line(`    ${w.record(i)}`);
    const outside = rec.items.filter((i) => i.served === "outside-windows");
    if (outside.length > 0) line(`  served outside ${v}'s windows (before or between them):`);
    for (const i of outside) line(`    ${w.record(i)}`);
    const after = rec.items.filter((i) => i.served === "after-close");
    if (after.length > 0) line(`  served after the close: see below`);
  }

  line();
  if (report.afterClose === null) {
    line(
      report.windows.length === 0
        ? `AFTER ITS WINDOWS: none, ${v} was never live`
        : `AFTER ITS WINDOWS: none yet, ${v} is live`,
    );
  } else {
    const ac = report.afterClose;
    line(
      `${afterWords(report).toUpperCase()} (the window closed ${formatTime(ac.since.time)}, block ${ac.since.block}):`,
    );
    line(
      report.records === null
        ? `  stale records: unknown (pass the nodes' batch directories with --batch)`
        : `  stale records (claiming ${v}, served after the close): ${ac.staleRecords.length}`,
    );
    for (const i of ac.staleRecords) line(`    ${w.record(i)}`);
    line(`  batches anchored: ${ac.batches.length}`);
    for (const b of ac.batches) {
      line(
        `    ${short(b.root)} by ${w.who(b.node)} at ${formatTime(b.anchoredAt)}` +
          (b.coversWindow ? `: served inside ${v}'s window, anchored late (Unconfirmable)` : "") +
          (b.recordsOfVersion !== null ? `; ${b.recordsOfVersion} records claim ${v}` : ""),
      );
    }
    line(`  refunds: ${ac.refunds.length}, ${amountsText(report, ac.refunds)}`);
    line(
      `  claims: ${ac.claims.length}, ${amountsText(report, ac.claims)}` +
        (ac.claims.length > 0 ? " (released before the fault: the payee's due)" : ""),
    );
    line(`  actions logged: ${ac.actions.length}`);
    for (const x of ac.actions) line(`    ${w.action(x)}`);
  }

  if (report.warnings.length > 0) {
    line();
    line(`WARNINGS: ${report.warnings.length}`);
    for (const x of report.warnings) line(`  ${x}`);
  }

  line();
  line(`SUMMARY`);
  line(`  ${summarizeIncident(report)}`);
  return out.join("\n");
}

// ------------------------------------------------------------------ command line

export const INCIDENT_USAGE =
  "npm run incident -- --model NAME|0x… --version V --network NAME [--from-block N] [--block-range N] " +
  "[--batch DIR ...] [--json] [--anchor ADDRESS] [--settlement ADDRESS] [--action-log ADDRESS]";

/** A parsed `npm run incident` command line. */
export interface IncidentRequest {
  model: ModelRef;
  version: number;
  network: string;
  fromBlock?: number;
  blockRange?: number;
  batchDirs: string[];
  json: boolean;
  overrides: { anchor?: string; settlement?: string; actionLog?: string };
}

function wholeNumber(raw: string, flag: string, min: number): number {
  if (!/^\d+$/.test(raw)) fail(`${flag} must be a whole number, got ${raw}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) fail(`${flag} must be at least ${min}, got ${raw}`);
  return n;
}

function optionalAddress(raw: string | undefined, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!isAddress(raw)) fail(`${flag} must be an address, got ${raw}`);
  return getAddress(raw);
}

/** Parses the arguments after `npm run incident --`; throws a one-line CliError when wrong. */
export function parseIncidentArgs(argv: string[]): IncidentRequest {
  const args = parseCliArgs(
    {
      model: { type: "string" },
      version: { type: "string" },
      network: { type: "string" },
      "from-block": { type: "string" },
      "block-range": { type: "string" },
      batch: { type: "string", multiple: true },
      json: { type: "boolean" },
      anchor: { type: "string" },
      settlement: { type: "string" },
      "action-log": { type: "string" },
    },
    INCIDENT_USAGE,
    argv,
  );
  const model = parseModelId(requireOption(args.model, "--model", INCIDENT_USAGE));
  const rawVersion = requireOption(args.version, "--version", INCIDENT_USAGE);
  const digits = rawVersion.replace(/^v/i, "");
  if (!/^\d+$/.test(digits))
    fail(`--version must be a whole number like 2 or v2, got ${rawVersion}`);
  const version = Number(digits);
  if (version < 1 || version >= 2 ** 32) {
    fail(`--version must be from 1 to ${2 ** 32 - 1}, got ${rawVersion}`);
  }
  const network = requireOption(args.network, "--network", INCIDENT_USAGE);
  const batchDirs = args.batch ?? [];
  if (batchDirs.some((d) => d === "")) fail("--batch is empty");
  return {
    model,
    version,
    network,
    fromBlock:
      args["from-block"] === undefined
        ? undefined
        : wholeNumber(args["from-block"], "--from-block", 0),
    blockRange:
      args["block-range"] === undefined
        ? undefined
        : wholeNumber(args["block-range"], "--block-range", 1),
    batchDirs,
    json: args.json === true,
    overrides: {
      anchor: optionalAddress(args.anchor, "--anchor"),
      settlement: optionalAddress(args.settlement, "--settlement"),
      actionLog: optionalAddress(args["action-log"], "--action-log"),
    },
  };
}

/** What the command line connects to (scripts/lib/connect.ts ToolConnection, in part). */
export interface IncidentTool {
  ethers: HardhatEthers;
  chainId: bigint;
  anchor: InferenceAnchor;
  registry: ModelRegistry;
}

/**
 * The settlement and the action log of the command line: `--settlement` / `--action-log`, else
 * the Ignition deployment of the chain; each must have code and use the tool's anchor and its
 * registry (one suite). Throws a one-line CliError otherwise.
 */
export async function incidentContracts(
  tool: IncidentTool,
  overrides: IncidentRequest["overrides"],
  networkName: string,
): Promise<{ settlement: InferenceSettlement; actionLog: AgentActionLog }> {
  const { ethers, chainId } = tool;
  const codeAt = async (contract: string, override: string | undefined, flag: string) => {
    const address = resolveAddress(contract, chainId, override, flag);
    if ((await ethers.provider.getCode(address)) === "0x") {
      fail(`no contract at ${address} (${contract}) on network ${networkName} (chain ${chainId})`);
    }
    return address;
  };
  const settlement = (await ethers.getContractAt(
    "InferenceSettlement",
    await codeAt("InferenceSettlement", overrides.settlement, "--settlement"),
  )) as unknown as InferenceSettlement;
  const actionLog = (await ethers.getContractAt(
    "AgentActionLog",
    await codeAt("AgentActionLog", overrides.actionLog, "--action-log"),
  )) as unknown as AgentActionLog;
  const registryAddress = getAddress(await tool.registry.getAddress());
  const anchorAddress = getAddress(await tool.anchor.getAddress());
  for (const [label, contract] of [
    ["settlement", settlement],
    ["action log", actionLog],
  ] as const) {
    const address = getAddress(await contract.getAddress());
    let uses: [string, string];
    try {
      uses = [getAddress(await contract.registry()), getAddress(await contract.anchor())];
    } catch {
      fail(`the ${label} ${address} does not answer registry() and anchor(): not a suite contract`);
    }
    if (uses[0] !== registryAddress || uses[1] !== anchorAddress) {
      fail(
        `the ${label} ${address} uses registry ${uses[0]} and anchor ${uses[1]}, not ` +
          `${registryAddress} and ${anchorAddress}: it belongs to another deployment`,
      );
    }
  }
  return { settlement, actionLog };
}

/** The report as JSON (plain data already: no bigint). */
export function incidentReportJson(report: IncidentReport): string {
  return JSON.stringify(report, null, 2);
}
