/**
 * Child process of the "merkle" bench section (see merkle.ts), one fresh process per run so that
 * its peak memory (maxRSS) is its own. Prints one JSON object on stdout.
 *
 *   node --import tsx scripts/bench/merkle-large.ts tree COUNT SEED RECORDS.jsonl
 *     random records → tree + every proof in memory (packed) → the batch files in a temp dir;
 *     then writes the records as JSON Lines to RECORDS.jsonl (untimed) for the next run
 *   node --import tsx scripts/bench/merkle-large.ts cli RECORDS.jsonl
 *     batch:build's pipeline on RECORDS.jsonl (read and validate, tree, write), phase by phase
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { EncodedRecords, readRecordsFile, writeBatchDir } from "../../src/records/batch.js";
import { main } from "../../src/ground/cli.js";
import { RecordMerkleTree } from "../../src/records/merkle.js";
import { RECORD_TYPES } from "../../src/records/record.js";
import { randomRecords, writeRecordsJsonl } from "./records.js";
import { MB, maxRssMB, measure, rate, rssMB, sum } from "./timing.js";

function dirBytes(dir: string): Record<string, number> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).size]));
}

async function treeRun(count: number, seed: number, jsonl: string) {
  const baselineRssMB = rssMB();
  const [records, generate] = await measure(() => randomRecords(count, seed));
  const afterRecordsRssMB = rssMB();
  const [tree, build] = await measure(() => RecordMerkleTree.fromRecords(records));
  const [proofs, allProofs] = await measure(() => tree.allProofs());
  const peakRssMB = maxRssMB();
  const total = sum(build, allProofs);

  const [store, encode] = await measure(() => {
    const s = new EncodedRecords();
    for (const r of records) s.push(r);
    return s;
  });
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    first = Math.min(first, r.servedAt);
    last = Math.max(last, r.servedAt);
  }
  const meta = {
    count,
    modelId: records[0].modelId,
    recordFormat: records[0].format,
    firstServedAt: first,
    lastServedAt: last,
    leafEncoding: [...RECORD_TYPES],
  };
  const tmp = mkdtempSync(join(tmpdir(), "bench-merkle-"));
  try {
    const out = join(tmp, "batch");
    const [, write] = await measure(() => writeBatchDir(out, tree, store, meta));
    const files = dirBytes(out);
    const written = Object.values(files).reduce((a, b) => a + b, 0);
    const peakRssAfterWriteMB = maxRssMB();
    writeRecordsJsonl(jsonl, records);
    return {
      records: count,
      root: tree.root,
      generateRecords: generate,
      buildAndAllProofs: {
        build,
        allProofsPacked: allProofs,
        total,
        rate: rate(count, total),
        treeBytes: tree.nodes.length + tree.treeIndex.byteLength,
        packedProofBytes: proofs.bytes.length,
      },
      memory: {
        baselineRssMB,
        afterRecordsRssMB,
        peakRssMB,
        note: "the peak includes the records as JavaScript objects (afterRecords - baseline)",
      },
      writeFiles: {
        encodeRecords: encode,
        write,
        files,
        megabytesPerSecond: Math.round(written / MB / (write.ms / 1000)),
        peakRssAfterWriteMB,
      },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function cliRun(input: string) {
  const tmp = mkdtempSync(join(tmpdir(), "bench-batch-"));
  try {
    const baselineRssMB = rssMB();
    const [{ records, meta }, read] = await measure(() => readRecordsFile(input));
    const [tree, build] = await measure(() => RecordMerkleTree.fromLeaves(records.leaves()));
    const out = join(tmp, "batch");
    const [, write] = await measure(() => writeBatchDir(out, tree, records, meta));
    const total = sum(read, build, write);
    return {
      records: records.count,
      root: tree.root,
      inputBytes: statSync(input).size,
      readValidateAndHash: read,
      tree: build,
      write,
      total,
      rate: rate(records.count, total),
      files: dirBytes(out),
      baselineRssMB,
      peakRssMB: maxRssMB(),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main("bench merkle-large", async () => {
  const [mode, ...args] = process.argv.slice(2);
  const result =
    mode === "cli"
      ? await cliRun(args[0])
      : await treeRun(Number(args[0]), Number(args[1]), args[2]);
  process.stdout.write(JSON.stringify(result) + "\n");
});
