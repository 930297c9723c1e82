/**
 * A record's standing computed off-chain, equal to what `InferenceAnchor.verifyRecord` returns for
 * a record included under an anchored root (the report only classifies records of verified
 * batches, whose root it recomputed): the same checks on the same facts, read once per report
 * instead of once per record. The registry's facts (every version, every epoch) are read at the
 * report's block into a {@link RegistrySnapshot}; the batch's facts come from the chain too.
 *
 * The rules mirror `InferenceAnchor._assess` / `_versionFlags` and `ModelRegistry.recordContext`
 * line by line; test/scripts/incident.classify.ts fuzzes random histories and records against the
 * contract to keep them equal, and `npm run bench` compares both on a sample at scale.
 */
import type { ModelRegistry } from "../../types/ethers-contracts/index.js";
import { VersionStatus } from "../chain/enums.js";
import type { InferenceRecord } from "../records/record.js";
import { STANDINGS, flagOf } from "../records/standing.js";
import { num } from "./reads.js";

/** VersionStatus values (IModelRegistry.VersionStatus). */
const STATUS_NONE = Number(VersionStatus.None);
const STATUS_FAULTY = Number(VersionStatus.Faulty);
const OPTIMISTIC = 3;
const FORMAT_V1 = 1;

/** What the checks need of one version. */
export interface VersionFacts {
  blobId: string;
  status: number;
  proofMask: number;
  registeredAt: number;
  withdrawn: boolean;
  withdrawnAt: number;
}

/** One epoch: `end` null while open. */
export interface EpochFacts {
  version: number;
  start: number;
  end: number | null;
}

/** The registry's facts about one model at one block. */
export interface RegistrySnapshot {
  /** By version number (1-based); absent: not registered. */
  versions: Map<number, VersionFacts>;
  /** Epoch i is `epochs[i - 1]`, in order of opening. */
  epochs: EpochFacts[];
}

/** The facts of the batch a record is included in. */
export interface BatchFacts {
  modelId: string;
  anchoredAt: number;
  firstServedAt: number;
  lastServedAt: number;
  disputeCount: number;
}

const PAGE = 500n;

/** Reads every version and epoch of `modelId` at `blockTag`. */
export async function readRegistrySnapshot(
  registry: ModelRegistry,
  modelId: string,
  blockTag: number,
): Promise<RegistrySnapshot> {
  const at = { blockTag };
  const versions = new Map<number, VersionFacts>();
  const count = num(await registry.versionCount(modelId, at));
  const reads = await Promise.all(
    Array.from({ length: count }, (_, i) => registry.getVersion(modelId, i + 1, at)),
  );
  reads.forEach((v, i) =>
    versions.set(i + 1, {
      blobId: v.blobId.toLowerCase(),
      status: num(v.status),
      proofMask: num(v.proofMask),
      registeredAt: num(v.registeredAt),
      withdrawn: v.withdrawn,
      withdrawnAt: num(v.withdrawnAt),
    }),
  );
  const epochs: EpochFacts[] = [];
  const total = BigInt(await registry.epochCount(modelId, at));
  for (let offset = 0n; offset < total; offset += PAGE) {
    for (const view of await registry.epochs(modelId, offset, PAGE, at)) {
      const e = view.epoch;
      epochs.push({
        version: num(e.version),
        start: num(e.startTime),
        end: num(e.endReason) === 0 ? null : num(e.endTime),
      });
    }
  }
  return { versions, epochs };
}

/**
 * The epoch live at `t` (0: none) and its facts: the last epoch opened at or before `t`, if `t`
 * is before its end (epochs never overlap; a zero-length one was never live). What
 * `ModelRegistry.epochAt` answers.
 */
export function epochAtOffChain(
  snap: RegistrySnapshot,
  t: number,
): { epoch: number; facts: EpochFacts | null } {
  const list = snap.epochs;
  let lo = 0;
  let hi = list.length; // the first index whose start is after t
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].start <= t) lo = mid + 1;
    else hi = mid;
  }
  const e = list[lo - 1];
  if (e === undefined || !(e.end === null || t < e.end)) return { epoch: 0, facts: null };
  return { epoch: lo, facts: e };
}

const FLAG = {
  UnknownFormat: flagOf("UnknownFormat"),
  WrongModel: flagOf("WrongModel"),
  UnknownVersion: flagOf("UnknownVersion"),
  WrongBlob: flagOf("WrongBlob"),
  ProofPathNotAllowed: flagOf("ProofPathNotAllowed"),
  OutsideBatchRange: flagOf("OutsideBatchRange"),
  NotLive: flagOf("NotLive"),
  Unconfirmable: flagOf("Unconfirmable"),
  VersionFaulty: flagOf("VersionFaulty"),
  VersionWithdrawn: flagOf("VersionWithdrawn"),
  BatchDisputed: flagOf("BatchDisputed"),
};

/** InferenceAnchor._versionFlags over the snapshot. */
function versionFlags(snap: RegistrySnapshot, r: InferenceRecord, anchoredAt: number): bigint {
  const v = snap.versions.get(r.version);
  if (v === undefined || v.status === STATUS_NONE || v.registeredAt >= anchoredAt) {
    return FLAG.UnknownVersion;
  }
  let flags = 0n;
  if (r.blobId.toLowerCase() !== v.blobId) flags |= FLAG.WrongBlob;
  if (!(r.proofPath <= OPTIMISTIC && ((v.proofMask >> r.proofPath) & 1) === 1)) {
    flags |= FLAG.ProofPathNotAllowed;
  }
  if (v.status === STATUS_FAULTY) flags |= FLAG.VersionFaulty;
  if (v.withdrawn && v.withdrawnAt >= r.servedAt) flags |= FLAG.VersionWithdrawn;
  return flags;
}

/**
 * The flags `verifyRecord(modelId, root, r, proof)` returns for `r` included in the batch `b`
 * (InferenceAnchor._assess), and the version live at servedAt when the history was asked (a
 * record served before its batch's anchoring), else null.
 */
export function classifyRecord(
  snap: RegistrySnapshot,
  b: BatchFacts,
  r: InferenceRecord,
): { flags: bigint; liveVersionThen: number | null } {
  let flags = 0n;
  if (r.format !== FORMAT_V1) flags |= FLAG.UnknownFormat;
  if (r.modelId.toLowerCase() !== b.modelId.toLowerCase()) flags |= FLAG.WrongModel;
  flags |= versionFlags(snap, r, b.anchoredAt);
  if (r.servedAt < b.firstServedAt || r.servedAt > b.lastServedAt) {
    flags |= FLAG.OutsideBatchRange;
  }
  let liveVersionThen: number | null = null;
  // Asked only for a record served before the anchoring: the history before then is final.
  if (r.servedAt < b.anchoredAt) {
    const { epoch, facts } = epochAtOffChain(snap, r.servedAt);
    liveVersionThen = facts?.version ?? 0;
    if (epoch === 0 || facts === null || facts.version !== r.version) flags |= FLAG.NotLive;
    else if (facts.end !== null && facts.end <= b.anchoredAt) flags |= FLAG.Unconfirmable;
  }
  if (b.disputeCount !== 0) flags |= FLAG.BatchDisputed;
  return { flags, liveVersionThen };
}

/** The primary standing of `flags` (lowest set bit), Conforming for none. */
export function primaryOf(flags: bigint): string {
  for (let i = 1; i < STANDINGS.length; i++) {
    if ((flags >> BigInt(i)) & 1n) return STANDINGS[i].name;
  }
  return "Conforming";
}
