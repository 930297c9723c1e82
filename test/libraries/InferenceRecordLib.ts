import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { getAddress, hexlify } from "ethers";
import { network } from "hardhat";

import {
  RECORD_TYPES,
  encodeRecord,
  recordLeaf,
  recordValues,
  type InferenceRecord,
} from "../../src/records/record.js";
import type { InferenceRecordHarness } from "../../types/ethers-contracts/index.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

/** Records per fuzz run (at least 300), and how many eth_calls run at once. */
const RUNS = 320;
const CONCURRENCY = 32;

/** sfc32: a small, fast, seedable PRNG (32-bit state words). */
function sfc32(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) next(); // mix the seed in
  return next;
}

/** A generator of random record fields, edge values (0, 1, max - 1, max) included often. */
function recordGenerator(seed: number) {
  const next = sfc32(seed);
  const bytes = (n: number) => {
    const out = new Uint8Array(n);
    const mode = next() % 8;
    if (mode === 0) return out; // all zero
    if (mode === 1) return out.fill(0xff); // all ones
    for (let i = 0; i < n; i++) out[i] = next() & 0xff;
    return out;
  };
  const uint = (bits: number): number => {
    const max = 2 ** bits - 1;
    const edges = [0, 1, max - 1, max];
    const pick = next() % 8;
    if (pick < edges.length) return edges[pick];
    // Up to 48 random bits: the bits above 32 from one draw, the low 32 from another.
    const high = bits > 32 ? next() % 2 ** (bits - 32) : 0;
    const low = bits >= 32 ? next() : next() % (max + 1);
    return high * 2 ** 32 + low;
  };
  return (): InferenceRecord => ({
    format: uint(8),
    requestId: hexlify(bytes(32)),
    modelId: hexlify(bytes(32)),
    version: uint(32),
    blobId: hexlify(bytes(32)),
    inputHash: hexlify(bytes(32)),
    outputHash: hexlify(bytes(32)),
    proofPath: uint(8),
    proofCommitment: hexlify(bytes(32)),
    agent: getAddress(hexlify(bytes(20))),
    node: getAddress(hexlify(bytes(20))),
    servedAt: uint(48),
  });
}

async function harnessFixture(): Promise<InferenceRecordHarness> {
  return (await ethers.deployContract(
    "InferenceRecordHarness",
  )) as unknown as InferenceRecordHarness;
}

/** Maps `items` through `fn`, at most `limit` at a time, keeping the order. */
async function mapConcurrently<T, U>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<U>,
): Promise<U[]> {
  const out: U[] = [];
  for (let i = 0; i < items.length; i += limit) {
    out.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  }
  return out;
}

describe("InferenceRecordLib", function () {
  it("hashes and encodes random records exactly as the TypeScript encoder and StandardMerkleTree do", async function () {
    const harness = await networkHelpers.loadFixture(harnessFixture);
    const seed = process.env.FUZZ_SEED
      ? Number(process.env.FUZZ_SEED)
      : Math.floor(Math.random() * 2 ** 32);
    const generate = recordGenerator(seed);
    const records = Array.from({ length: RUNS }, generate);
    const tree = StandardMerkleTree.of(records.map(recordValues), [...RECORD_TYPES]);

    const onChain = await mapConcurrently(records, CONCURRENCY, (r) =>
      Promise.all([harness.leaf(r), harness.leafMemory(r), harness.encode(r)]),
    );
    try {
      for (const [i, r] of records.entries()) {
        const [leaf, leafMemory, encoded] = onChain[i];
        const context = `record ${i}: ${JSON.stringify(r)}`;
        expect(encoded, context).to.equal(encodeRecord(r));
        expect(leaf, context).to.equal(recordLeaf(r));
        expect(leafMemory, context).to.equal(leaf);
        expect(tree.leafHash(recordValues(r)), context).to.equal(leaf);
      }
    } catch (error) {
      console.error(`InferenceRecordLib fuzz failed: rerun with FUZZ_SEED=${seed}`);
      throw error;
    }
  });

  it("covers the extreme values of every integer and address field in the fuzzed records", async function () {
    // The generator's edge values reach every field's bounds within the runs of a seed.
    const records = Array.from({ length: RUNS }, recordGenerator(1));
    const seen = (pick: (r: InferenceRecord) => unknown, value: unknown) =>
      records.some((r) => pick(r) === value);
    const bounds: Array<[string, (r: InferenceRecord) => unknown, unknown, unknown]> = [
      ["format", (r) => r.format, 0, 2 ** 8 - 1],
      ["version", (r) => r.version, 0, 2 ** 32 - 1],
      ["proofPath", (r) => r.proofPath, 0, 2 ** 8 - 1],
      ["servedAt", (r) => r.servedAt, 0, 2 ** 48 - 1],
      [
        "agent",
        (r) => r.agent,
        getAddress("0x" + "00".repeat(20)),
        getAddress("0x" + "ff".repeat(20)),
      ],
      [
        "node",
        (r) => r.node,
        getAddress("0x" + "00".repeat(20)),
        getAddress("0x" + "ff".repeat(20)),
      ],
    ];
    for (const [field, pick, min, max] of bounds) {
      expect(seen(pick, min), `${field} = ${min}`).to.equal(true);
      expect(seen(pick, max), `${field} = ${max}`).to.equal(true);
    }
  });
});
