/**
 * The incident report's data: plain values (numbers, strings, booleans; amounts as decimal
 * strings), so that `JSON.stringify` prints it as is (`--json`).
 */
import type { Provider } from "ethers";

import type {
  AgentActionLog,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
  NodeRouting,
} from "../../types/ethers-contracts/index.js";
import type { BatchSource, ContentStore } from "../store/index.js";

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

/** A record of a payment's request by its payee, from a verified batch. */
export interface ServiceRecord {
  source: string;
  root: string;
  index: number;
  /** The version the record claims (another version than the payment's is non-conforming). */
  version: number;
  servedAt: number;
  /** Its standing now, when it claims the report's version (verified on-chain); else null. */
  standing: string | null;
}

/** The service a payment paid for, as the verified evidence shows it. */
export interface PaymentService {
  records: ServiceRecord[];
  /**
   * "found": the payee's record(s) of the request; "none": every batch of the payee that bears
   * on the version is verified and none holds it; "unknown": some of them are missing or corrupt.
   */
  found: "found" | "none" | "unknown";
  /** What each side can still do, each as the settlement answers a simulated call. */
  payerCan: string[];
  payeeCan: string[];
}

/** A payment bound to one of the version's epochs (or, in otherVersionPayments, another's). */
export interface ReportPayment {
  settlementId: string;
  payer: string;
  payee: string;
  requestId: string;
  token: string;
  amount: string;
  /** The version it is bound to. */
  version: number;
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
  /** For a contested payment: when the payer contested it, and the contract's proof deadline. */
  contestedAt: number | null;
  proofDeadline: number | null;
  claim: ReportClaim | null;
  refund: ReportRefund | null;
  service: PaymentService | null;
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

/** Where a batch's records stand as evidence: see {@link BatchEvidence}. */
export type EvidenceStatus = "verified" | "missing" | "unavailable" | "corrupt";

/** Why a copy of a batch that was obtained is not the anchored batch. */
export interface CorruptCopy {
  /** Where the copy came from: a batch directory's name or a source's label. */
  from: string;
  /**
   * "bytes": the file does not hash to the anchored reference (altered in storage or transit);
   * "format": a line is not a record, or the records mix models or formats;
   * "root": the records' Merkle root is not the anchored root;
   * "count": it holds another number of records than anchored.
   */
  what: "bytes" | "format" | "root" | "count";
  detail: string;
}

/** One place asked for a batch's file, and what it answered. */
export interface EvidenceAttempt {
  source: string;
  outcome: "found" | "not-found" | "altered" | "too-large" | "error" | "no-reference";
  detail?: string;
}

/**
 * A batch's evidence: `verified` when its records were obtained and their recomputed root and
 * count equal the anchored ones; `missing` when every source asked answered that it does not
 * have it (and no directory was it); `unavailable` when some source could not be read (an
 * error after retries, a file over the size limit) and none had it: not the node's fault as far
 * as the report can tell; `corrupt` when copies were obtained but none was the anchored batch
 * (each says why).
 */
export interface BatchEvidence {
  status: EvidenceStatus;
  /** Where the verified records came from; null unless verified. */
  from: string | null;
  corrupt: CorruptCopy[];
  attempts: EvidenceAttempt[];
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
  evidence: BatchEvidence;
  /** How many of its records claim the version; null unless its evidence is verified. */
  recordsOfVersion: number | null;
}

/** Where a record's servedAt falls relative to the version's windows. */
export type ServedWhen = "live" | "after-close" | "outside-windows";

/**
 * A record that claims the version, from a batch whose evidence is verified (so it is included
 * under an anchored root), verified on-chain.
 */
export interface ReportRecord {
  /** Where its batch's records came from (a batch directory's name or a source's label). */
  source: string;
  root: string;
  index: number;
  requestId: string;
  agent: string;
  node: string;
  servedAt: number;
  served: ServedWhen;
  anchoredAt: number;
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
  /** A verification that reverted on-chain (in words), else null. */
  error: string | null;
}

/** What became of a batch directory given with `--batch`. */
export interface ReportBatchDir {
  dir: string;
  /** The root batch.json states, and the root of the records it holds (null if unreadable). */
  root: string;
  recordsRoot: string | null;
  modelId: string;
  /** The count batch.json states, and the records it holds. */
  count: number;
  records: number;
  /**
   * "used": its records are a verified anchored batch; "duplicate": the same batch as a
   * directory before it (read once); "other-model": a batch of another model; "not-anchored":
   * no node of its records anchored its root; "unrelated": anchored, but the batch does not bear
   * on the version; "corrupt": it claims an anchored batch (by
   * batch.json's root) but its records are not that batch; "unreadable": see `detail`.
   */
  status:
    "used" | "duplicate" | "other-model" | "unrelated" | "not-anchored" | "corrupt" | "unreadable";
  detail: string | null;
  /** Its proofs.jsonl lines whose proof does not lead to its records' root (rebuilt instead). */
  badProofs: number;
}

/** One operator of the model in the routing section. */
export interface ReportRoutingNode {
  node: string;
  /** Whether it is an operator at the read block (a removed one is still listed). */
  operator: boolean;
  /** Every acknowledgement it made on NodeRouting, in order. */
  acknowledgements: Array<{ epoch: number; at: number }>;
  routable: boolean;
  /** Its first acknowledgement of an epoch after the version's last window (null: never). */
  switchedAt: number | null;
  switchedTo: number | null;
  /** switchedAt − the close (null: it never switched, or the version is still live). */
  lagSeconds: number | null;
  /** Records claiming the version it served after the close, and after its own switch. */
  staleAfterClose: number;
  staleAfterOwnSwitch: number;
  /** Payments to it after the close: claims of the version's payments, and payments of another version for its stale service. */
  paymentsAfterClose: number;
}

/** How fast the network's nodes switched: NodeRouting's acknowledgements. */
export interface ReportRouting {
  contract: string;
  nodes: ReportRoutingNode[];
}

/** Something the report could not see or could not trust: the audit is incomplete. */
export interface EvidenceProblem {
  kind:
    | "missing-batch"
    | "unavailable-batch"
    | "corrupt-batch"
    | "directory"
    | "foreign-records"
    | "verification"
    | "scan";
  message: string;
  node?: string;
  root?: string;
}

/** Per node: anchored records the report could not obtain as evidence. */
export interface NotProduced {
  node: string;
  missingBatches: number;
  corruptBatches: number;
  /** The anchored count of those batches. */
  records: number;
}

/** Everything that happened after the version's last window closed. */
export interface ReportAfterClose {
  since: BlockTime;
  /** Records claiming the version served after the close (stale nodes), from verified batches (the first DEFAULT_RECORDS_IN_MEMORY). */
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
  /** Payments bound to another version whose request a record claiming this version served. */
  otherVersionPayments: ReportPayment[];
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
  /**
   * The records claiming the version in the batches whose evidence is verified, classified
   * off-chain by the contract's rules (a random sample cross-checked on-chain: any difference is
   * a problem). `items` holds the first of them (all unless `truncated`; every one goes to the
   * record sink, e.g. the dossier's records.jsonl); the counts are over all.
   */
  records: {
    dirs: ReportBatchDir[];
    total: number;
    items: ReportRecord[];
    truncated: boolean;
    /** How many of them were verified on-chain too (the cross-check sample). */
    checkedOnChain: number;
    whileLive: number;
    afterClose: number;
    outsideWindows: number;
    /** Records per primary standing. */
    byStanding: Record<string, number>;
    /** Records per standing as served (without the version's later marking). */
    byServedStanding: Record<string, number>;
  };
  /** How much of the anchored evidence was obtained. */
  evidence: {
    batches: number;
    verified: number;
    missing: number;
    unavailable: number;
    corrupt: number;
    /** Anchored but not produced, by node (missing or corrupt batches; not unavailable ones). */
    notProduced: NotProduced[];
  };
  /** Everything that makes the audit incomplete; empty for a complete one. */
  problems: EvidenceProblem[];
  /** No problem and no warning: every piece of evidence was seen. */
  complete: boolean;
  /** Names of addresses given with --labels (checksummed address -> name). */
  labels: Record<string, string>;
  /** The nodes' switches, when a NodeRouting is given; else null. */
  routing: ReportRouting | null;
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
  /** Batch directories (batch:build output): copies of batches, matched by node and root. */
  batchDirs?: string[];
  /** How each directory is named in the report (default: its path). */
  batchNames?: string[];
  /** Where batch files are fetched by their anchored reference, in order (after the cache). */
  sources?: BatchSource[];
  /** The local content-addressed store: asked first, and verified files are kept in it. */
  cache?: ContentStore;
  /** Names of addresses (any case -> name), carried into the report. */
  labels?: Record<string, string>;
  /** Receives every record claiming the version, as it is classified (e.g. into records.jsonl). */
  recordSink?: (r: ReportRecord) => void;
  /** Records kept in `records.items` (default DEFAULT_RECORDS_IN_MEMORY). */
  recordsInMemory?: number;
  /**
   * Records of the version not served while live whose record and proof stay in memory for the
   * payments bound to another version (default 10,000; the others are obtained again if needed).
   */
  notLiveInMemory?: number;
  /** Records cross-checked on-chain (default DEFAULT_ONCHAIN_SAMPLE; 0 for none). */
  onChainSample?: number;
  /** The suite's NodeRouting, for the routing section (optional). */
  routing?: NodeRouting;
  /** Called once the batches bearing on the version are known, with their number (progress). */
  onBatchesKnown?: (count: number) => void;
  /** Called after each batch's evidence is settled (progress). */
  onBatchSettled?: (b: ReportBatch) => void;
}

// ------------------------------------------------------------------ helpers
