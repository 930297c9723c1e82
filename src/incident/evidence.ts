/**
 * Every batch that bears on the version gets an evidence status (see BatchEvidence): its records
 * are looked for in the batch directories given by hand (matched by node and recomputed root),
 * then by its anchored file reference in the local store and the configured sources. Whatever
 * was obtained is checked against the chain (the file's SHA-256 against the reference, the
 * records' Merkle root and count against the anchored ones) before a single record counts.
 */
import type { InferenceAnchor } from "../../types/ethers-contracts/index.js";
import type { EncodedRecords } from "../records/batch.js";
import { RecordMerkleTree } from "../records/merkle.js";
import { RECORD_JSON_MAX_BYTES } from "../records/record.js";
import { type BatchSource, type ContentStore, obtainByRef } from "../store/index.js";
import { BatchFileError, parseBatchFile } from "../records/batch-file.js";
import { batchKey } from "./batches.js";
import { type DirCopy, readDirCopy } from "./directories.js";
import { num } from "./reads.js";
import type { EvidenceProblem, NotProduced, ReportBatch, ReportBatchDir } from "./types.js";

const ZERO_REF = "0x" + "0".repeat(64);
const FETCH_CONCURRENCY = 4;

/** A batch whose evidence is verified: its records, their tree, and where they came from. */
export interface ObtainedBatch {
  batch: ReportBatch;
  records: EncodedRecords;
  tree: RecordMerkleTree;
  from: string;
}

export interface EvidenceOptions {
  anchor: InferenceAnchor;
  modelId: string;
  blockTag: number;
  batches: ReportBatch[];
  dirs: Array<{ path: string; name: string }>;
  sources: BatchSource[];
  cache?: ContentStore;
  /**
   * Called with each batch as soon as its evidence is verified; its records are not kept after
   * (memory holds a few batches at a time, whatever the number of records).
   */
  onObtained: (o: ObtainedBatch) => void;
  /** Called after each batch is settled (verified or not), e.g. for a progress bar. */
  onSettled?: (b: ReportBatch) => void;
}

export interface Evidence {
  dirs: ReportBatchDir[];
  problems: EvidenceProblem[];
  notProduced: NotProduced[];
}

/** Sets every batch's evidence, and lists what is missing or broken. */
export async function gatherEvidence(options: EvidenceOptions): Promise<Evidence> {
  const byKey = new Map(options.batches.map((b) => [batchKey(b.node, b.root), b]));
  // The batches verified so far, and where from (directories: to tell duplicates).
  const obtained = new Map<ReportBatch, string>();
  const problems: EvidenceProblem[] = [];
  const dirs: ReportBatchDir[] = [];
  for (const { path, name } of options.dirs) {
    const copy = await readDirCopy(path, name, options.modelId);
    dirs.push(copy.entry);
    await matchDir(copy, byKey, obtained, options);
    const e = copy.entry;
    if (e.status === "unreadable" || e.status === "not-anchored" || e.status === "corrupt") {
      problems.push({ kind: "directory", message: `${name}: ${e.status}: ${e.detail ?? ""}` });
    }
  }
  for (const b of options.batches) if (obtained.has(b)) options.onSettled?.(b);
  // Fetched a few at a time, delivered in the batches' order (a deterministic report), and
  // dropped once delivered: memory holds FETCH_CONCURRENCY batches whatever their number.
  const rest = options.batches.filter((b) => !obtained.has(b));
  const inFlight: Array<{ b: ReportBatch; got: Promise<ObtainedBatch | null> }> = [];
  const deliver = async () => {
    const { b, got } = inFlight.shift()!;
    const o = await got;
    if (o !== null) {
      obtained.set(b, o.from);
      options.onObtained(o);
    }
    options.onSettled?.(b);
  };
  for (const b of rest) {
    const got = fetchByRef(b, options);
    got.catch(() => {}); // awaited in order by deliver(); no unhandled rejection meanwhile
    inFlight.push({ b, got });
    if (inFlight.length >= FETCH_CONCURRENCY) await deliver();
  }
  while (inFlight.length > 0) await deliver();

  for (const b of options.batches) {
    if (obtained.has(b)) continue;
    const unreadable = b.evidence.attempts.some(
      (a) => a.outcome === "error" || a.outcome === "too-large",
    );
    b.evidence.status =
      b.evidence.corrupt.length > 0 ? "corrupt" : unreadable ? "unavailable" : "missing";
    const what = `batch ${b.root} of node ${b.node} (${b.count} record${b.count === 1 ? "" : "s"}, anchored block ${b.block})`;
    const tried = b.evidence.attempts.map((a) => `${a.source}: ${a.outcome}`).join("; ");
    problems.push(
      b.evidence.status === "missing"
        ? {
            kind: "missing-batch",
            node: b.node,
            root: b.root,
            message: `${what}: no directory or source had it (${tried || "nothing to ask"})`,
          }
        : b.evidence.status === "unavailable"
          ? {
              kind: "unavailable-batch",
              node: b.node,
              root: b.root,
              message: `${what}: no source had it, and some could not be read (${tried})`,
            }
          : {
              kind: "corrupt-batch",
              node: b.node,
              root: b.root,
              message:
                `${what}: every copy obtained was wrong: ` +
                b.evidence.corrupt.map((c) => `${c.from}: ${c.what} (${c.detail})`).join("; "),
            },
    );
  }
  return {
    dirs,
    problems,
    notProduced: notProducedByNode(options.batches),
  };
}

/**
 * Matches a directory with the anchored batch its records are (a node its records name, their
 * recomputed root); else with the batch its batch.json names (a corrupt copy of it); else it is
 * not a batch of this chain, or one that does not bear on the version.
 */
async function matchDir(
  copy: DirCopy,
  byKey: Map<string, ReportBatch>,
  obtained: Map<ReportBatch, string>,
  options: EvidenceOptions,
): Promise<void> {
  const e = copy.entry;
  if (e.status === "other-model" || (e.status === "unreadable" && e.root === "")) return;
  const nodes = [...copy.nodes];
  if (copy.tree !== undefined && copy.records !== undefined) {
    const root = copy.tree.root.toLowerCase();
    const b = nodes.map((n) => byKey.get(batchKey(n, root))).find((x) => x !== undefined);
    if (b !== undefined && copy.records.count !== b.count) {
      // The node anchored another count than its records: the batch is not what was anchored.
      const detail = `holds ${copy.records.count} records, ${b.count} were anchored`;
      b.evidence.corrupt.push({ from: e.dir, what: "count", detail });
      b.evidence.attempts.push({ source: e.dir, outcome: "altered", detail });
      e.status = "corrupt";
      e.detail = `its records are batch ${b.root} of node ${b.node}, but ${detail}`;
      return;
    }
    if (b !== undefined) {
      if (obtained.has(b)) {
        e.status = "duplicate";
        e.detail = `the same batch as ${obtained.get(b)}: read once`;
        return;
      }
      e.status = "used";
      if (e.root !== root) e.detail = `batch.json states root ${e.root}; its records' root is used`;
      obtained.set(b, e.dir);
      b.evidence.status = "verified";
      b.evidence.from = e.dir;
      b.evidence.attempts.push({ source: e.dir, outcome: "found" });
      options.onObtained({ batch: b, records: copy.records, tree: copy.tree, from: e.dir });
      // The directory's records are collected: drop them (a directory may be large).
      copy.records = undefined;
      copy.tree = undefined;
      return;
    }
  }
  // Not a verified copy: the batch it claims to be, by batch.json's root.
  const claimed = options.batches.find(
    (b) => b.root === e.root && (nodes.length === 0 || copy.nodes.has(b.node)),
  );
  if (claimed !== undefined) {
    const what =
      copy.records === undefined
        ? "format"
        : copy.records.count !== claimed.count
          ? "count"
          : "root";
    const detail =
      what === "format"
        ? (e.detail ?? "unreadable records")
        : what === "count"
          ? `holds ${copy.records!.count} records, ${claimed.count} were anchored`
          : `its records' root ${e.recordsRoot} is not the anchored root`;
    claimed.evidence.corrupt.push({ from: e.dir, what, detail });
    claimed.evidence.attempts.push({ source: e.dir, outcome: "altered", detail });
    e.status = "corrupt";
    e.detail = `a broken copy of batch ${claimed.root} of node ${claimed.node}: ${detail}`;
    return;
  }
  if (copy.tree !== undefined) {
    const at = { blockTag: options.blockTag };
    for (const node of nodes) {
      const got = await options.anchor.getBatch(options.modelId, node, e.recordsRoot!, at);
      if (num(got.anchoredAt) !== 0) {
        e.status = "unrelated";
        e.detail = `anchored by ${node}, but it does not bear on the version`;
        return;
      }
    }
    e.status = "not-anchored";
    e.detail =
      `no node its records name (${nodes.join(", ")}) anchored its records' root ` +
      `${e.recordsRoot} for this model`;
  }
}

/** The batch's file by its anchored reference, checked; null (evidence noted) if none was. */
async function fetchByRef(b: ReportBatch, options: EvidenceOptions): Promise<ObtainedBatch | null> {
  if (b.fileRef === ZERO_REF) {
    b.evidence.attempts.push({ source: "reference", outcome: "no-reference" });
    return null;
  }
  // A record's line is at most RECORD_JSON_MAX_BYTES and a newline.
  const maxBytes = b.count * (RECORD_JSON_MAX_BYTES + 1);
  const got = await obtainByRef(b.fileRef, options.sources, {
    cache: options.cache,
    maxBytes,
  });
  b.evidence.attempts.push(...got.attempts);
  for (const a of got.attempts) {
    if (a.outcome === "altered") {
      b.evidence.corrupt.push({
        from: a.source,
        what: "bytes",
        detail: `the bytes do not hash to the anchored reference${a.detail ? ` (${a.detail})` : ""}`,
      });
    }
  }
  if (got.status !== "obtained") return null;
  let records: EncodedRecords;
  try {
    records = parseBatchFile(got.bytes, `file ${b.fileRef}`);
  } catch (e) {
    if (!(e instanceof BatchFileError)) throw e;
    b.evidence.corrupt.push({ from: got.from, what: "format", detail: e.message });
    return null;
  }
  const tree = RecordMerkleTree.fromLeaves(records.leaves());
  if (records.count !== b.count) {
    b.evidence.corrupt.push({
      from: got.from,
      what: "count",
      detail: `holds ${records.count} records, ${b.count} were anchored`,
    });
    return null;
  }
  if (tree.root.toLowerCase() !== b.root) {
    b.evidence.corrupt.push({
      from: got.from,
      what: "root",
      detail: `its records' root ${tree.root.toLowerCase()} is not the anchored root`,
    });
    return null;
  }
  b.evidence.status = "verified";
  b.evidence.from = got.from;
  return { batch: b, records, tree, from: got.from };
}

function notProducedByNode(batches: ReportBatch[]): NotProduced[] {
  const byNode = new Map<string, NotProduced>();
  for (const b of batches) {
    if (b.evidence.status === "verified" || b.evidence.status === "unavailable") continue;
    const n = byNode.get(b.node) ?? {
      node: b.node,
      missingBatches: 0,
      corruptBatches: 0,
      records: 0,
    };
    if (b.evidence.status === "missing") n.missingBatches++;
    else n.corruptBatches++;
    n.records += b.count;
    byNode.set(b.node, n);
  }
  return [...byNode.values()];
}
