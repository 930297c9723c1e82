/**
 * The stale-batch rule: a batch anchored after an epoch of its model closed may hold records that
 * claim the closed version (a node still serving it, or anchoring late). The chain does not say
 * which version a batch's records claim, so the watch obtains the batch's file by its anchored
 * reference (the local store, then each source: src/store), checks it against the chain
 * (SHA-256 against the reference, count and Merkle root against the anchored ones) and judges each
 * record claiming a closed version with the off-chain standings of src/incident/classify.ts
 * (equal to InferenceAnchor.verifyRecord) over the registry as it was at the anchoring block.
 */
import type { InferenceAnchor, ModelRegistry } from "../../types/ethers-contracts/index.js";
import type { EncodedRecords } from "../records/batch.js";
import { oneLine } from "../ground/cli.js";
import {
  classifyRecord,
  epochAtOffChain,
  primaryOf,
  readRegistrySnapshot,
} from "../incident/classify.js";
import { RecordMerkleTree } from "../records/merkle.js";
import { RECORD_JSON_MAX_BYTES } from "../records/record.js";
import { decodeFlags } from "../records/standing.js";
import {
  type BatchSource,
  type ContentStore,
  type SourceAttempt,
  obtainByRef,
} from "../store/index.js";
import { BatchFileError, parseBatchFile } from "../records/batch-file.js";
import type { AlertRecord } from "./alert.js";

const ZERO_REF = "0x" + "0".repeat(64);

/** A BatchAnchored event, decoded. */
export interface AnchoredBatch {
  modelId: string;
  root: string;
  node: string;
  count: number;
  firstServedAt: number;
  lastServedAt: number;
  fileRef: string;
  block: number;
  anchoredAt: number;
}

/** An epoch that had closed by the anchoring, of a version not live then. */
export interface ClosedEpoch {
  epoch: number;
  version: number;
  endTime: number;
}

export type BatchCheck =
  /** No epoch of a version other than the live one had closed: nothing can be stale. */
  | { kind: "not-after-close" }
  /** Verified; no record claims a closed version. */
  | { kind: "clean"; closed: ClosedEpoch[]; from: string }
  | {
      kind: "stale";
      closed: ClosedEpoch[];
      liveVersion: number;
      from: string;
      /** The stale records (at most `maxRecords`) and how many there are in all. */
      records: AlertRecord[];
      staleCount: number;
    }
  | {
      kind: "unverified";
      closed: ClosedEpoch[];
      liveVersion: number;
      /** missing: no source had it; altered: bytes of another digest; corrupt: wrong records. */
      status: "no-reference" | "missing" | "altered" | "corrupt";
      why: string;
      attempts: SourceAttempt[];
    };

export interface BatchCheckContext {
  registry: ModelRegistry;
  anchor: InferenceAnchor;
  sources: BatchSource[];
  cache?: ContentStore;
  /** The most stale records an alert lists (the count is always given). */
  maxRecords: number;
}

/** Checks one anchored batch (see the file doc). */
export async function checkAnchoredBatch(
  ctx: BatchCheckContext,
  b: AnchoredBatch,
): Promise<BatchCheck> {
  const snap = await readRegistrySnapshot(ctx.registry, b.modelId, b.block);
  const liveVersion = epochAtOffChain(snap, b.anchoredAt).facts?.version ?? 0;
  const closed: ClosedEpoch[] = [];
  snap.epochs.forEach((e, i) => {
    if (e.end !== null && e.end <= b.anchoredAt && e.version !== liveVersion) {
      closed.push({ epoch: i + 1, version: e.version, endTime: e.end });
    }
  });
  if (closed.length === 0) return { kind: "not-after-close" };
  const unverified = (
    status: "no-reference" | "missing" | "altered" | "corrupt",
    why: string,
    attempts: SourceAttempt[] = [],
  ): BatchCheck => ({ kind: "unverified", closed, liveVersion, status, why, attempts });

  if (b.fileRef.toLowerCase() === ZERO_REF) {
    return unverified("no-reference", "the batch was anchored without a file reference");
  }
  const got = await obtainByRef(b.fileRef, ctx.sources, {
    cache: ctx.cache,
    maxBytes: b.count * (RECORD_JSON_MAX_BYTES + 1),
  });
  const tried = got.attempts
    .map((a) => `${a.source}: ${a.outcome}${a.detail ? ` (${a.detail})` : ""}`)
    .join("; ");
  if (got.status !== "obtained") {
    return unverified(
      got.status,
      got.status === "missing"
        ? `its file is not available (${tried || "no source to ask"})`
        : `every copy found has other bytes than the anchored reference (${tried})`,
      got.attempts,
    );
  }
  let records: EncodedRecords;
  try {
    records = parseBatchFile(got.bytes, `file ${b.fileRef}`);
  } catch (e) {
    if (!(e instanceof BatchFileError)) throw e;
    return unverified(
      "corrupt",
      `the file from ${got.from} is not a batch file: ${oneLine(e.message)}`,
      got.attempts,
    );
  }
  if (records.count !== b.count) {
    return unverified(
      "corrupt",
      `the file from ${got.from} holds ${records.count} records, ${b.count} were anchored`,
      got.attempts,
    );
  }
  const root = RecordMerkleTree.fromLeaves(records.leaves()).root.toLowerCase();
  if (root !== b.root.toLowerCase()) {
    return unverified(
      "corrupt",
      `the records of the file from ${got.from} have root ${root}, not the anchored root`,
      got.attempts,
    );
  }
  const closedVersions = new Set(closed.map((c) => c.version));
  const onChain = await ctx.anchor.getBatch(b.modelId, b.node, b.root, { blockTag: b.block });
  const facts = {
    modelId: b.modelId,
    anchoredAt: b.anchoredAt,
    firstServedAt: b.firstServedAt,
    lastServedAt: b.lastServedAt,
    disputeCount: Number(onChain.disputeCount),
  };
  const stale: AlertRecord[] = [];
  let staleCount = 0;
  for (let i = 0; i < records.count; i++) {
    const r = records.get(i);
    if (!closedVersions.has(r.version)) continue;
    staleCount++;
    if (stale.length >= ctx.maxRecords) continue;
    const { flags } = classifyRecord(snap, facts, r);
    stale.push({
      requestId: r.requestId,
      version: r.version,
      servedAt: r.servedAt,
      node: r.node,
      flags: decodeFlags(flags),
      primary: primaryOf(flags),
    });
  }
  if (staleCount === 0) return { kind: "clean", closed, from: got.from };
  return { kind: "stale", closed, liveVersion, from: got.from, records: stale, staleCount };
}
