/**
 * Batch directories given by hand (`--batch DIR`, batch:build output): read as copies of
 * batches. A directory's records are trusted for nothing: their Merkle root is recomputed, and
 * the directory counts as the copy of the anchored batch of (a node its records name, that root)
 * only. batch.json's own root is used only to say which anchored batch a broken copy claims to be.
 */
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { parseProofEntry, readBatchSummary } from "../node/anchoring.js";
import { EncodedRecords } from "../records/batch.js";
import { CliError, describeFsError } from "../ground/cli.js";
import { RecordMerkleTree } from "../records/merkle.js";
import type { ReportBatchDir } from "./types.js";

/** A directory read: its report entry, and its records and tree when every line parsed. */
export interface DirCopy {
  entry: ReportBatchDir;
  path: string;
  proofsFile: string;
  nodes: Set<string>;
  records?: EncodedRecords;
  tree?: RecordMerkleTree;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Reads the directory `path` (named `name`) as a copy of a batch of `modelId`. */
export async function readDirCopy(path: string, name: string, modelId: string): Promise<DirCopy> {
  const entry: ReportBatchDir = {
    dir: name,
    root: "",
    recordsRoot: null,
    modelId: "",
    count: 0,
    records: 0,
    status: "unreadable",
    detail: null,
    badProofs: 0,
  };
  const copy: DirCopy = { entry, path, proofsFile: "", nodes: new Set() };
  let summary;
  try {
    summary = readBatchSummary(path);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    entry.detail = e.message;
    return copy;
  }
  entry.root = summary.root.toLowerCase();
  entry.modelId = summary.modelId.toLowerCase();
  entry.count = summary.count;
  copy.proofsFile = summary.files.proofs;
  if (entry.modelId !== modelId.toLowerCase()) {
    entry.status = "other-model";
    entry.detail = `a batch of model ${summary.modelId}`;
    return copy;
  }
  const records = new EncodedRecords();
  const file = join(path, summary.files.proofs);
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === "") continue;
      const where = `${summary.files.proofs} line ${lineNo}`;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new CliError(`${where}: not valid JSON`);
      }
      const r = parseProofEntry(value, where).record;
      if (r.modelId !== entry.modelId) {
        throw new CliError(`${where}: a record of model ${r.modelId}, not ${entry.modelId}`);
      }
      copy.nodes.add(r.node);
      records.push(r);
    }
  } catch (e) {
    entry.status = "corrupt";
    entry.detail =
      e instanceof CliError
        ? e.message
        : `cannot read ${summary.files.proofs}: ${describeFsError(e)}`;
    entry.records = records.count;
    return copy;
  }
  entry.records = records.count;
  if (records.count === 0) {
    entry.status = "corrupt";
    entry.detail = `${summary.files.proofs} holds no record`;
    return copy;
  }
  entry.status = "not-anchored"; // until matched with an anchored batch
  copy.records = records;
  copy.tree = RecordMerkleTree.fromLeaves(records.leaves());
  entry.recordsRoot = copy.tree.root.toLowerCase();
  entry.badProofs = await countBadProofs(file, copy.tree);
  return copy;
}

/**
 * The proofs.jsonl lines whose proof is not the proof of their record in the recomputed tree
 * (an edited sibling): the report rebuilds proofs from the records, so such a line cannot make a
 * record read included or not; it is only counted, to say the directory was tampered with.
 */
async function countBadProofs(file: string, tree: RecordMerkleTree): Promise<number> {
  let bad = 0;
  let i = 0;
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      const proof = (JSON.parse(line) as { proof: string[] }).proof.map((p) => p.toLowerCase());
      const want = tree.proof(i++);
      if (proof.length !== want.length || proof.some((p, k) => p !== want[k].toLowerCase())) bad++;
    }
  } catch (e) {
    throw new CliError(`cannot re-read ${file}: ${message(e)}`);
  }
  return bad;
}
