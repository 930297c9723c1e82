/**
 * Benchmark section "merkle": our typed-array tree (src/records/merkle.ts) against
 * @openzeppelin/merkle-tree's StandardMerkleTree on the same seeded random records, and ours alone
 * at a million records (in child processes, so that their peak memory is their own).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { spawnSync } from "node:child_process";
import { isDeepStrictEqual } from "node:util";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

import { RecordMerkleTree } from "../../src/records/merkle.js";
import { KECCAK, RECORD_TYPES, recordValues } from "../../src/records/record.js";
import { randomRecords } from "./records.js";
import { type Timing, measure, rate, sum } from "./timing.js";

export const MERKLE_SEED = 20_250_601;

export interface MerkleBenchOptions {
  /** Records of the comparison with StandardMerkleTree (default 10^5). */
  compareRecords?: number;
  /** Records of the large run, ours alone (default 10^6). */
  largeRecords?: number;
}

/** Runs scripts/bench/merkle-large.ts in a fresh Node.js process and returns its JSON. */
function runChild(args: string[]): Record<string, unknown> {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, "../..");
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", resolve(here, "merkle-large.ts"), ...args],
    { cwd: root, encoding: "utf8", maxBuffer: 1 << 24, stdio: ["ignore", "pipe", "inherit"] },
  );
  if (child.status !== 0) {
    throw new Error(`merkle-large ${args.join(" ")} failed (exit ${child.status ?? child.signal})`);
  }
  return JSON.parse(child.stdout) as Record<string, unknown>;
}

/** Ours vs StandardMerkleTree: build + every proof (hex, as StandardMerkleTree returns them). */
async function compare(count: number) {
  const records = randomRecords(count, MERKLE_SEED);

  const [ours, oursBuild] = await measure(() => RecordMerkleTree.fromRecords(records));
  const [oursProofs, oursProofsTime] = await measure(() => ours.allProofsHex());

  const [smt, smtBuild] = await measure(() =>
    StandardMerkleTree.of(records.map(recordValues), [...RECORD_TYPES]),
  );
  const [smtProofs, smtProofsTime] = await measure(() => {
    const proofs: string[][] = new Array(count);
    for (let i = 0; i < count; i++) proofs[i] = smt.getProof(i);
    return proofs;
  });

  if (ours.root !== smt.root) {
    throw new Error(`roots differ at ${count} records: ours ${ours.root}, theirs ${smt.root}`);
  }
  const step = Math.max(1, Math.floor(count / 1000));
  for (let i = 0; i < count; i += step) {
    if (!isDeepStrictEqual(oursProofs[i], smtProofs[i])) {
      throw new Error(`proofs of record ${i} differ at ${count} records`);
    }
  }
  const oursTotal = sum(oursBuild, oursProofsTime);
  const smtTotal = sum(smtBuild, smtProofsTime);
  return {
    records: count,
    root: ours.root,
    rootsEqual: true,
    proofsComparedEqual: Math.ceil(count / step),
    ours: {
      build: oursBuild,
      allProofsHex: oursProofsTime,
      total: oursTotal,
      rate: rate(count, oursTotal),
    },
    standardMerkleTree: {
      build: smtBuild,
      allProofs: smtProofsTime,
      total: smtTotal,
      rate: rate(count, smtTotal),
    },
    speedup: Number((smtTotal.ms / Math.max(oursTotal.ms, 1)).toFixed(1)),
    speedupCpu: Number((smtTotal.cpuMs / Math.max(oursTotal.cpuMs, 1)).toFixed(1)),
  };
}

/**
 * The "merkle" section. Takes about a minute on the 2-core dev machine, most of it
 * StandardMerkleTree at 10^5 records.
 */
export async function benchMerkle(options: MerkleBenchOptions = {}) {
  const compareRecords = options.compareRecords ?? 100_000;
  const largeRecords = options.largeRecords ?? 1_000_000;
  await compare(Math.min(1000, compareRecords)); // warm-up: both sides compiled by the JIT first
  const comparison = await compare(compareRecords);
  const tmp = mkdtempSync(join(tmpdir(), "bench-merkle-"));
  let large: Record<string, unknown>;
  let cli: Record<string, unknown>;
  try {
    const jsonl = join(tmp, "records.jsonl");
    large = runChild(["tree", String(largeRecords), String(MERKLE_SEED), jsonl]);
    cli = runChild(["cli", jsonl]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (cli.root !== large.root) {
    throw new Error(
      `batch:build's root ${String(cli.root)} differs from the tree's ${String(large.root)}`,
    );
  }
  const largeTime = (large.buildAndAllProofs as { total: Timing }).total;
  return {
    seed: MERKLE_SEED,
    keccakBackend: KECCAK.backend,
    comparison,
    large,
    batchBuild: cli,
    targets: {
      speedupVsStandardMerkleTree: {
        target: 50,
        measured: comparison.speedup,
        measuredCpu: comparison.speedupCpu,
        met: comparison.speedup >= 50,
        metCpu: comparison.speedupCpu >= 50,
      },
      largeBuildAndAllProofsMs: {
        target: 15_000,
        measured: largeTime.ms,
        measuredCpu: largeTime.cpuMs,
        met: largeTime.ms < 15_000,
        metCpu: largeTime.cpuMs < 15_000,
      },
      note:
        "wall times grow with the machine's other load (machine.loadAverageAtStart; 2 cores): " +
        "CPU times (user + system of the measuring process) much less",
    },
  };
}
