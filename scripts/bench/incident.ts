/**
 * The `incident` section of `npm run bench`: the full audit of 10^6 records in 1,000 batches and
 * 10^5 settlements (scripts/bench/incident-chain.ts) against a `hardhat node` over HTTP, timed and
 * its peak memory measured in a child process (`npm run incident -- … --out DIR`, under
 * /usr/bin/time), beside today's path, one on-chain verification per record, on a sample of the
 * same records; the fast path's standings must equal the contract's on that sample, or the
 * benchmark fails. Budgets: 60 s and 1 GB for the audit.
 *
 * BENCH_INCIDENT_SCALE=0.01 runs the same on a hundredth of the data (a quick try).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";

import type { InferenceAnchor, ModelRegistry } from "../../types/ethers-contracts/index.js";
import { fail } from "../../src/ground/cli.js";
import { verifyOnChain } from "../../src/incident/onchain.js";
import type { ReportRecord } from "../../src/incident/types.js";
import { RecordMerkleTree } from "../../src/records/merkle.js";
import { ContentStore } from "../../src/store/index.js";
import { parseBatchFile } from "../../src/records/batch-file.js";
import {
  BENCH_MODEL,
  BENCH_MODEL_ID,
  FULL_SHAPE,
  buildChain,
  startNode,
} from "./incident-chain.js";

export const AUDIT_BUDGET = { seconds: 60, peakMB: 1024 };
/** Records verified one by one on-chain (today's path), from the first batches. */
const SAMPLE_BATCHES = 2;

const log = (line: string) => process.stderr.write(`bench incident: ${line}\n`);

/** Runs the audit CLI under /usr/bin/time; returns its wall time, peak RSS and stderr. */
async function timedAudit(
  args: string[],
): Promise<{ seconds: number; peakMB: number; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "/usr/bin/time",
      ["-f", "BENCHTIME %e %M", "tsx", "scripts/incident.ts", ...args],
      {
        stdio: ["ignore", "ignore", "pipe"],
        // BENCH_AUDIT_NODE_OPTIONS (e.g. --cpu-prof) reaches the audit only: for profiling it.
        env: { ...process.env, NODE_OPTIONS: process.env.BENCH_AUDIT_NODE_OPTIONS ?? "" },
      },
    );
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      for (const l of err.split("\n")) if (l.startsWith("incident phase")) log(l);
      const m = /BENCHTIME ([\d.]+) (\d+)/.exec(err);
      if (m === null) return reject(new Error(`the audit printed no timing: ${err.slice(-500)}`));
      const rest = err.replace(m[0], "").trim();
      if (code !== 0 && code !== 3)
        return reject(new Error(`the audit exited ${code}: ${rest.slice(-500)}`));
      resolve({ seconds: Number(m[1]), peakMB: Math.round(Number(m[2]) / 1024), code: code ?? -1 });
    });
  });
}

export async function benchIncident(): Promise<unknown> {
  const scale = Number(process.env.BENCH_INCIDENT_SCALE ?? "1");
  const shape = {
    ...FULL_SHAPE,
    records: Math.round(FULL_SHAPE.records * scale),
    settlements: Math.round(FULL_SHAPE.settlements * scale),
  };
  const work = mkdtempSync(join(tmpdir(), "bench-incident-"));
  const node = await startNode();
  try {
    const { network } = await import("hardhat");
    const connection = await network.create("benchNode");
    const setupStarted = performance.now();
    const chain = await buildChain(connection.ethers as HardhatEthers, work, shape, log);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    log(`chain built in ${setupSeconds.toFixed(0)} s; the audit...`);
    const out = join(work, "dossier");
    const audit = await timedAudit([
      "--model",
      BENCH_MODEL,
      "--version",
      "2",
      "--network",
      "benchNode",
      "--anchor",
      chain.addresses.anchor,
      "--settlement",
      chain.addresses.settlement,
      "--action-log",
      chain.addresses.actionLog,
      "--routing",
      chain.addresses.routing,
      "--store",
      chain.store,
      "--out",
      out,
      "--quiet",
      "--summary",
    ]);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    if (report.records.total !== shape.records) {
      fail(`the audit classified ${report.records.total} records of ${shape.records}`);
    }

    // Today's path on a sample: each record verified on-chain, one by one.
    log("the per-record path on a sample...");
    const byKey = new Map<string, ReportRecord>();
    const sampleRoots = new Set(
      report.batches.slice(0, SAMPLE_BATCHES).map((b: { root: string }) => b.root),
    );
    for await (const line of createInterface({
      input: createReadStream(join(out, "records.jsonl")),
    })) {
      const r = JSON.parse(line) as ReportRecord;
      if (sampleRoots.has(r.root)) byKey.set(`${r.root}#${r.index}`, r);
    }
    const store = new ContentStore(chain.store);
    const ctx = {
      anchor: chain.suite.anchor as unknown as InferenceAnchor,
      registry: chain.suite.registry as unknown as ModelRegistry,
      modelId: BENCH_MODEL_ID,
      blockTag: report.readAt.block,
      readTime: report.readAt.time,
    };
    let checked = 0;
    const started = performance.now();
    for (const b of report.batches.slice(0, SAMPLE_BATCHES)) {
      const bytes = store.get(b.fileRef);
      if (bytes === undefined) fail(`batch ${b.root} is not in the store`);
      const records = parseBatchFile(bytes, b.fileRef);
      const tree = RecordMerkleTree.fromLeaves(records.leaves());
      for (let i = 0; i < records.count; i++) {
        const got = await verifyOnChain(
          ctx,
          b.root,
          { record: records.get(i), proof: tree.proof(i) },
          b.anchoredAt,
        );
        const fast = byKey.get(`${b.root}#${i}`);
        if (fast === undefined || !got.included || Number(got.flags) !== fast.flags) {
          fail(
            `record ${i} of batch ${b.root}: the contract answers ${got.flags}, the fast path ${fast?.flags}`,
          );
        }
        checked++;
      }
    }
    const perRecordSeconds = (performance.now() - started) / 1000;
    await connection.close();
    return {
      shape,
      setupSeconds: Math.round(setupSeconds),
      audit: {
        records: report.records.total,
        batches: report.batches.length,
        settlements: report.payments.count,
        seconds: audit.seconds,
        peakMB: audit.peakMB,
        exitCode: audit.code,
        complete: report.complete,
        budget: AUDIT_BUDGET,
        withinBudget: audit.seconds <= AUDIT_BUDGET.seconds && audit.peakMB <= AUDIT_BUDGET.peakMB,
      },
      perRecordPath: {
        sampleRecords: checked,
        seconds: Number(perRecordSeconds.toFixed(1)),
        msPerRecord: Number(((perRecordSeconds * 1000) / checked).toFixed(2)),
        projectedSecondsForAll: Math.round((perRecordSeconds / checked) * shape.records),
        standingsEqualOnSample: true,
      },
    };
  } finally {
    node.kill();
    rmSync(work, { recursive: true, force: true });
  }
}
