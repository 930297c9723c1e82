/**
 * Deterministic random inference records (seeded PRNG) for benchmarks and tests: the same seed and
 * count give the same records on every machine.
 */
import { closeSync, openSync, writeSync } from "node:fs";

import {
  type InferenceRecord,
  RECORD_FORMAT_V1,
  checksumAddress,
} from "../../src/records/record.js";

/** mulberry32: a small, fast 32-bit PRNG. Returns uint32s. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function randomHex(next: () => number, nbytes: number, buf: Buffer): string {
  for (let i = 0; i < nbytes; i += 4) buf.writeUInt32BE(next(), i);
  return "0x" + buf.toString("hex", 0, nbytes);
}

export interface RandomRecordsOptions {
  /** Distinct agents drawn from (default 1024) and distinct nodes (default 16). */
  agents?: number;
  nodes?: number;
  /** servedAt of the first record (default 1_750_000_000); later ones are 0-2 s apart. */
  startAt?: number;
}

/**
 * `count` random records of one batch: one model, random versions, proof paths and hashes, agents
 * and nodes from small pools (as in real traffic), servedAt non-decreasing.
 */
export function randomRecords(
  count: number,
  seed: number,
  options: RandomRecordsOptions = {},
): InferenceRecord[] {
  const next = prng(seed);
  const buf = Buffer.alloc(32);
  const pool = (size: number) =>
    Array.from({ length: size }, () => checksumAddress(randomHex(next, 20, buf)));
  const agents = pool(options.agents ?? 1024);
  const nodes = pool(options.nodes ?? 16);
  const modelId = randomHex(next, 32, buf);
  let servedAt = options.startAt ?? 1_750_000_000;
  const records: InferenceRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    records[i] = {
      format: RECORD_FORMAT_V1,
      requestId: randomHex(next, 32, buf),
      modelId,
      version: 1 + (next() % 8),
      blobId: randomHex(next, 32, buf),
      inputHash: randomHex(next, 32, buf),
      outputHash: randomHex(next, 32, buf),
      proofPath: next() % 4,
      proofCommitment: randomHex(next, 32, buf),
      agent: agents[next() % agents.length],
      node: nodes[next() % nodes.length],
      servedAt,
    };
    servedAt += next() % 3;
  }
  return records;
}

/** Writes records as JSON Lines (in chunks: a million lines exceed V8's string limit). */
export function writeRecordsJsonl(path: string, records: readonly InferenceRecord[]): void {
  const fd = openSync(path, "w");
  try {
    for (let i = 0; i < records.length; i += 10_000) {
      const lines = records.slice(i, i + 10_000).map((r) => JSON.stringify(r) + "\n");
      writeSync(fd, lines.join(""));
    }
  } finally {
    closeSync(fd);
  }
}
