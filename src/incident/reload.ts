/**
 * A record of a verified batch obtained again, with its proof, for the few settlement calls that
 * need one after the batch's records were dropped (memory holds a few batches at a time): from
 * the directory it was verified from, else by its anchored reference (the local store has it:
 * verified files are cached), checked again against the anchored root.
 */
import { RecordMerkleTree } from "../records/merkle.js";
import type { InferenceRecord } from "../records/record.js";
import { RECORD_JSON_MAX_BYTES } from "../records/record.js";
import { type BatchSource, type ContentStore, obtainByRef } from "../store/index.js";
import { parseBatchFile } from "../records/batch-file.js";
import { fail } from "../ground/cli.js";
import { readDirCopy } from "./directories.js";
import type { ReportBatch } from "./types.js";

export function reloader(ctx: {
  batches: ReportBatch[];
  dirs: Array<{ path: string; name: string }>;
  modelId: string;
  sources: BatchSource[];
  cache?: ContentStore;
}): (root: string, index: number) => Promise<{ record: InferenceRecord; proof: string[] }> {
  // The last batch loaded: the calls come batch by batch.
  let last: { root: string; get: (i: number) => InferenceRecord; tree: RecordMerkleTree } | null =
    null;
  return async (root, index) => {
    if (last?.root !== root) {
      const b = ctx.batches.find((x) => x.root === root && x.evidence.status === "verified");
      if (b === undefined) fail(`batch ${root} is not a verified batch of this report`);
      const dir = ctx.dirs.find((d) => d.name === b.evidence.from);
      if (dir !== undefined) {
        const copy = await readDirCopy(dir.path, dir.name, ctx.modelId);
        if (copy.records === undefined || copy.tree?.root.toLowerCase() !== root) {
          fail(`${dir.name} changed while the report was made`);
        }
        const records = copy.records;
        last = { root, get: (i) => records.get(i), tree: copy.tree };
      } else {
        const got = await obtainByRef(b.fileRef, ctx.sources, {
          cache: ctx.cache,
          maxBytes: b.count * (RECORD_JSON_MAX_BYTES + 1),
        });
        if (got.status !== "obtained") fail(`batch ${root} could not be obtained again`);
        const records = parseBatchFile(got.bytes, `file ${b.fileRef}`);
        const tree = RecordMerkleTree.fromLeaves(records.leaves());
        if (tree.root.toLowerCase() !== root) fail(`batch ${root} changed in storage`);
        last = { root, get: (i) => records.get(i), tree };
      }
    }
    return { record: last.get(index), proof: last.tree.proof(index) };
  };
}
