/**
 * The incident report's evidence (src/incident/evidence.ts): every anchored batch gets a
 * status whether or not its file is at hand, files come from real stores by their anchored
 * reference, broken copies never count, transient RPC failures are retried, and the payments meet
 * the records of the service they paid for. On the story of `npm run demo`, on its own network.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { BrowserProvider, id, type Provider } from "ethers";
import { network } from "hardhat";

import type {
  AgentActionLog,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
} from "../../types/ethers-contracts/index.js";
import { CliError } from "../../src/ground/cli.js";
import {
  DEMO_MODEL,
  blobOfVersion,
  requestOf,
  runScenario,
  unit,
} from "../../scripts/demo/scenario.js";
import { anchorBatch, readBatchSummary } from "../../src/node/anchoring.js";
import { buildBatch } from "../../src/records/batch.js";
import type { InferenceRecord } from "../../src/records/record.js";
import { safeExec } from "../../src/governance/safe.js";
import { HttpSource } from "../../src/store/http-source.js";
import { serve } from "../helpers/http-server.js";
import type { DemoScenario } from "../../scripts/demo/scenario.js";
import {
  formatIncidentReport,
  incidentReport,
  renderHtml,
  type IncidentReport,
  type IncidentReportOptions,
} from "../../src/incident/index.js";
import { readLabels } from "../../src/incident/args.js";
import { LogReader } from "../../src/incident/reads.js";
import { type Eip1193Provider, retryingProvider } from "../../src/chain/rpc-retry.js";
import { ContentStore, parseSource } from "../../src/store/index.js";
import { FlakyEip1193ProviderTestDouble } from "../helpers/flaky-provider.js";
import { startHttpStore } from "../helpers/http-store.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const provider = ethers.provider as unknown as Provider;

let work: string;

async function demoScenario(): Promise<DemoScenario> {
  return runScenario(connection, { workDir: work });
}

function base(s: DemoScenario): IncidentReportOptions {
  return {
    provider,
    registry: s.registry,
    anchor: s.anchor,
    settlement: s.settlement,
    actionLog: s.actionLog,
    modelId: s.modelId,
    modelName: DEMO_MODEL,
    version: 2,
  };
}

/** The records of a report without where they came from: the same evidence reads the same. */
const standings = (r: IncidentReport) =>
  r.records.items.map((i) => [i.requestId, i.node, i.standing, i.servedStanding, i.flagNames]);

/** A copy of batch `name`'s directory under a new name, edited by `edit`. */
function editedCopy(s: DemoScenario, name: string, copy: string, edit: (dir: string) => void) {
  const dir = join(work, copy);
  cpSync(s.batches[name].dir, dir, { recursive: true });
  edit(dir);
  return dir;
}

function editLines(file: string, edit: (lines: string[]) => string[]) {
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
  writeFileSync(file, edit(lines).join("\n") + "\n");
}

/** A record of the demo model by `node` for `agent` (v2 and its weights unless overridden). */
function demoRecord(
  s: DemoScenario,
  label: string,
  node: string,
  agent: string,
  servedAt: number,
  overrides: Partial<InferenceRecord> = {},
): InferenceRecord {
  return {
    format: 1,
    requestId: requestOf(label),
    modelId: s.modelId,
    version: 2,
    blobId: blobOfVersion(2),
    inputHash: id(`review/input/${label}`),
    outputHash: id(`review/output/${label}`),
    proofPath: 1,
    proofCommitment: id(`review/commitment/${label}`),
    agent,
    node,
    servedAt,
    ...overrides,
  };
}

/** Builds a batch directory of `records` and anchors it as `node` (count overridable). */
async function anchorOwn(
  node: HardhatEthersSigner,
  s: DemoScenario,
  name: string,
  records: InferenceRecord[],
  count?: number,
  waitSeconds = 0,
): Promise<{ dir: string; root: string }> {
  if (waitSeconds > 0) await networkHelpers.time.increase(waitSeconds);
  const input = join(work, `${name}.jsonl`);
  writeFileSync(input, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const dir = join(work, name);
  await buildBatch(input, dir);
  const summary = readBatchSummary(dir);
  if (count === undefined) await anchorBatch(s.anchor, node, summary);
  else {
    const served = records.map((r) => r.servedAt);
    await (
      await s.anchor
        .connect(node)
        .anchor(
          s.modelId,
          summary.root,
          count,
          Math.min(...served),
          Math.max(...served),
          summary.fileRef!,
        )
    ).wait();
  }
  return { dir, root: summary.root };
}

describe("incident report: evidence from storage, and what it cannot prove", function () {
  before(function () {
    work = mkdtempSync(join(tmpdir(), "incident-evidence-"));
  });
  after(async function () {
    rmSync(work, { recursive: true, force: true });
    await connection.close();
  });

  describe("records come from storage by the batch's anchored reference", function () {
    it("fetches every batch from a real HTTP store on loopback, then from the local cache alone", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const byDirs = await incidentReport({ ...base(s), batchDirs: s.batchDirs });
      const files = s.batchDirs.map((d) => readFileSync(join(d, "batch.jsonl")));
      const http = await startHttpStore(files);
      const cache = new ContentStore(join(work, "cache-http"));
      let fetched: IncidentReport;
      try {
        fetched = await incidentReport({
          ...base(s),
          sources: [parseSource(http.template)],
          cache,
        });
      } finally {
        await http.close();
      }
      // Every published batch verified; node B's withheld B2 is missing, and says so.
      expect(fetched.batches.map((b) => [b.evidence.status, b.evidence.from])).to.deep.equal([
        ...files.map(() => ["verified", http.template]),
        ["missing", null],
      ]);
      expect(fetched.problems.map((p) => [p.kind, p.root])).to.deep.equal([
        ["missing-batch", s.batches.B2.root],
      ]);
      expect(standings(fetched)).to.deep.equal(standings(byDirs));
      expect(fetched.afterClose?.staleRecords).to.have.length(3);
      // The server is gone: the verified files were kept in the local store.
      const again = await incidentReport({ ...base(s), cache });
      expect(again.batches.map((b) => b.evidence.from)).to.deep.equal([
        ...files.map(() => "cache"),
        null,
      ]);
      expect(standings(again)).to.deep.equal(standings(byDirs));
    });

    it("reads IPFS through a gateway template ({cid}) and a dir: source", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const files = s.batchDirs.map((d) => readFileSync(join(d, "batch.jsonl")));
      const gateway = await startHttpStore(files);
      try {
        const viaCid = await incidentReport({
          ...base(s),
          sources: [parseSource(gateway.cidTemplate)],
        });
        expect(viaCid.evidence.verified).to.equal(4);
      } finally {
        await gateway.close();
      }
      const folder = new ContentStore(join(work, "folder-source"));
      for (const f of files) folder.put(f);
      const viaDir = await incidentReport({
        ...base(s),
        sources: [parseSource(`dir:${folder.root}`)],
      });
      expect(viaDir.batches.map((b) => b.evidence.from)).to.deep.equal([
        ...files.map(() => `dir:${folder.root}`),
        null,
      ]);
    });

    it("a store answering altered bytes is never used: corrupt (bytes), and a good store after it verifies", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const files = s.batchDirs.map((d) => readFileSync(join(d, "batch.jsonl")));
      const liar = await startHttpStore(files, "altered");
      const honest = await startHttpStore(files);
      const cache = new ContentStore(join(work, "cache-liar"));
      try {
        const lied = await incidentReport({
          ...base(s),
          sources: [parseSource(liar.template)],
          cache,
        });
        expect(lied.batches.map((b) => b.evidence.status)).to.deep.equal([
          ...files.map(() => "corrupt"),
          "missing",
        ]);
        expect(lied.batches[0].evidence.corrupt.map((c) => [c.from, c.what])).to.deep.equal([
          [liar.template, "bytes"],
        ]);
        expect(lied.records.items).to.deep.equal([]);
        expect(lied.problems.map((p) => p.kind)).to.deep.equal([
          ...files.map(() => "corrupt-batch"),
          "missing-batch",
        ]);
        expect(lied.evidence.corrupt).to.equal(4);
        // Nothing altered was kept.
        expect(
          s.batchDirs.every(
            (d) => !cache.has(JSON.parse(readFileSync(join(d, "batch.json"), "utf8")).fileRef),
          ),
        ).to.equal(true);
        const both = await incidentReport({
          ...base(s),
          sources: [parseSource(liar.template), parseSource(honest.template)],
          cache,
        });
        expect(both.batches.map((b) => b.evidence.status)).to.deep.equal([
          ...files.map(() => "verified"),
          "missing",
        ]);
        expect(both.batches[0].evidence.attempts.map((a) => [a.source, a.outcome])).to.deep.equal([
          ["cache", "not-found"],
          [liar.template, "altered"],
          [honest.template, "found"],
        ]);
        expect(both.problems).to.have.length(1);
      } finally {
        await liar.close();
        await honest.close();
      }
    });
  });

  describe("broken evidence never reads as a clean audit", function () {
    it("a proofs.jsonl with fewer records than anchored: corrupt (count), none of its records counted", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const dirs = [...s.batchDirs];
      dirs[3] = editedCopy(s, "B1", "B1-short", (d) =>
        editLines(join(d, "proofs.jsonl"), (l) => l.slice(0, 2)),
      );
      const report = await incidentReport({
        ...base(s),
        batchDirs: dirs,
        batchNames: ["A1", "A2", "A3", "B1-short"],
      });
      const b1 = report.batches[3];
      expect(b1.evidence.status).to.equal("corrupt");
      expect(b1.evidence.corrupt).to.deep.equal([
        { from: "B1-short", what: "count", detail: "holds 2 records, 3 were anchored" },
      ]);
      expect(report.records.dirs[3].status).to.equal("corrupt");
      expect(report.afterClose?.staleRecords).to.deep.equal([]);
      expect(report.evidence.notProduced).to.deep.equal([
        { node: s.nodeB.address, missingBatches: 1, corruptBatches: 1, records: 4 },
      ]);
      expect(report.complete).to.equal(false);
      expect(formatIncidentReport(report)).to.include("EVIDENCE PROBLEMS: 3");
    });

    it("an edited servedAt: the records' root is not the anchored one (corrupt: root); an edited proof sibling: rebuilt, counted", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const edited = editedCopy(s, "B1", "B1-servedAt", (d) =>
        editLines(join(d, "proofs.jsonl"), (lines) =>
          lines.map((l, i) => {
            if (i !== 0) return l;
            const e = JSON.parse(l);
            e.record.servedAt -= 3600; // "served before the rollback"
            return JSON.stringify(e);
          }),
        ),
      );
      const r1 = await incidentReport({
        ...base(s),
        batchDirs: [...s.batchDirs.slice(0, 3), edited],
        batchNames: ["A1", "A2", "A3", "B1-servedAt"],
      });
      expect(r1.batches[3].evidence.status).to.equal("corrupt");
      expect(r1.batches[3].evidence.corrupt[0].what).to.equal("root");
      expect(r1.records.items.filter((i) => i.node === s.nodeB.address)).to.deep.equal([]);

      const sibling = editedCopy(s, "B1", "B1-proof", (d) =>
        editLines(join(d, "proofs.jsonl"), (lines) =>
          lines.map((l, i) => {
            if (i !== 1) return l;
            const e = JSON.parse(l);
            e.proof[0] = "0x" + "ab".repeat(32);
            return JSON.stringify(e);
          }),
        ),
      );
      const clean = await incidentReport({ ...base(s), batchDirs: s.batchDirs });
      const r2 = await incidentReport({
        ...base(s),
        batchDirs: [...s.batchDirs.slice(0, 3), sibling],
      });
      expect(r2.records.dirs[3].badProofs).to.equal(1);
      expect(r2.batches[3].evidence.status).to.equal("verified");
      expect(standings(r2)).to.deep.equal(standings(clean));
      expect(r2.records.items.every((i) => i.included === true)).to.equal(true);
    });

    it("batch.json's root edited: its records are still matched by their own root; a directory given twice is read once", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const lying = editedCopy(s, "B1", "B1-root", (d) => {
        const f = join(d, "batch.json");
        const j = JSON.parse(readFileSync(f, "utf8"));
        j.root = "0x" + "12".repeat(32);
        writeFileSync(f, JSON.stringify(j));
      });
      const clean = await incidentReport({ ...base(s), batchDirs: s.batchDirs });
      const report = await incidentReport({
        ...base(s),
        batchDirs: [...s.batchDirs.slice(0, 3), lying, s.batchDirs[0]],
        batchNames: ["A1", "A2", "A3", "B1-root", "A1-again"],
      });
      expect(report.records.dirs.map((d) => d.status)).to.deep.equal([
        "used",
        "used",
        "used",
        "used",
        "duplicate",
      ]);
      expect(report.records.dirs[3].detail).to.match(/^batch\.json states root 0x1212/);
      expect(report.records.dirs[4].detail).to.equal("the same batch as A1: read once");
      expect(standings(report)).to.deep.equal(standings(clean));
      expect(report.records.items).to.have.length(10);
    });

    it("a node that blips during the scan: retried below ethers, the same report as without blips", async function () {
      this.timeout(120_000);
      const s = await networkHelpers.loadFixture(demoScenario);
      const clean = await incidentReport({ ...base(s), batchDirs: s.batchDirs });
      const flaky = new FlakyEip1193ProviderTestDouble(connection.provider as Eip1193Provider, 5);
      const retrying = retryingProvider(flaky, { baseDelayMs: 1 });
      const p = new BrowserProvider(retrying, 31337, { staticNetwork: true });
      const report = await incidentReport({
        ...base(s),
        provider: p as unknown as Provider,
        registry: s.registry.connect(p) as ModelRegistry,
        anchor: s.anchor.connect(p) as InferenceAnchor,
        settlement: s.settlement.connect(p) as InferenceSettlement,
        actionLog: s.actionLog.connect(p) as AgentActionLog,
        batchDirs: s.batchDirs,
      });
      expect(flaky.failed).to.be.greaterThan(10);
      expect(retrying.unavailable).to.equal(undefined);
      expect({ ...report, scan: null }).to.deep.equal({ ...clean, scan: null });
      expect(report.records.items.every((i) => i.error === null)).to.equal(true);
    });

    it("a node that dies mid-scan: no report, one line saying the evidence could not be read", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const dying = new FlakyEip1193ProviderTestDouble(
        connection.provider as Eip1193Provider,
        0,
        40,
      );
      const retrying = retryingProvider(dying, { attempts: 3, baseDelayMs: 1 });
      const p = new BrowserProvider(retrying, 31337, { staticNetwork: true });
      let threw = false;
      try {
        await incidentReport({
          ...base(s),
          provider: p as unknown as Provider,
          registry: s.registry.connect(p) as ModelRegistry,
          anchor: s.anchor.connect(p) as InferenceAnchor,
          settlement: s.settlement.connect(p) as InferenceSettlement,
          actionLog: s.actionLog.connect(p) as AgentActionLog,
          batchDirs: s.batchDirs,
        });
      } catch {
        threw = true;
      }
      expect(threw).to.equal(true);
      const unavailable = retrying.unavailable;
      expect(unavailable).to.be.instanceOf(CliError);
      expect(unavailable?.message).to.match(
        /^the node did not answer eth_\w+ after 3 attempts \(Failed to make POST request .*\): the evidence could not be read; nothing was reported$/,
      );
    });

    it("a failed log read suggests a smaller --block-range only when the node says the range is too large", async function () {
      const failing = (message: string) =>
        new LogReader(
          { getLogs: async () => Promise.reject(new Error(message)) } as unknown as Provider,
          0,
          10,
          5,
        );
      const messageOf = async (reader: LogReader) => {
        try {
          await reader.logs("0x" + "11".repeat(20), []);
        } catch (e) {
          return (e as Error).message;
        }
        return expect.fail("expected the read to fail");
      };
      expect(await messageOf(failing("query returned more than 10000 results"))).to.equal(
        "eth_getLogs for blocks 0-4 failed (the node limits ranges: try a smaller --block-range): query returned more than 10000 results",
      );
      expect(await messageOf(failing("invalid params: bad address"))).to.equal(
        "eth_getLogs for blocks 0-4 failed: invalid params: bad address",
      );
    });
  });

  describe("records at scale: classified off-chain, streamed, cross-checked on-chain", function () {
    it("keeps only the first records in memory and streams every one to the sink", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const full = await incidentReport({ ...base(s), batchDirs: s.batchDirs });
      const sunk: IncidentReport["records"]["items"] = [];
      const capped = await incidentReport({
        ...base(s),
        batchDirs: s.batchDirs,
        recordsInMemory: 3,
        recordSink: (r) => sunk.push(r),
      });
      expect(capped.records.items).to.deep.equal(full.records.items.slice(0, 3));
      expect([capped.records.total, capped.records.truncated]).to.deep.equal([10, true]);
      expect(sunk).to.deep.equal(full.records.items);
      expect(capped.records.byStanding).to.deep.equal(full.records.byStanding);
      expect(formatIncidentReport(capped)).to.include(
        "the first 3 are listed here; every record is in records.jsonl (--out)",
      );
      expect(full.records.checkedOnChain).to.equal(10);
    });

    it("the on-chain cross-check names a record whose off-chain standing differs from the contract's", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const { crossCheck } = await import("../../src/incident/onchain.js");
      const report = await incidentReport({ ...base(s), batchDirs: s.batchDirs });
      const item = report.records.items.find((i) => i.served === "after-close")!;
      const batch = s.batches.B1;
      const index = batch.records.findIndex((r) => r.requestId === item.requestId);
      const { Batch } = await import("../helpers/batch.js");
      const tree = new Batch(batch.records);
      const sampled = {
        root: batch.root,
        record: batch.records[index],
        proof: tree.proof(index),
        item: { ...item, index, flags: 0, flagNames: [] }, // a wrong off-chain answer
      };
      const ctx = {
        anchor: s.anchor,
        registry: s.registry,
        modelId: s.modelId,
        blockTag: report.readAt.block,
        readTime: report.readAt.time,
      };
      expect(await crossCheck(ctx, [sampled])).to.deep.equal([
        `record ${index} of batch ${batch.root} (${item.source}): the contract answers NotLive + VersionFaulty + BatchDisputed, the off-chain standing was Conforming`,
      ]);
      expect(await crossCheck(ctx, [{ ...sampled, item }])).to.deep.equal([]);
    });
  });

  describe("payments meet the service they paid for", function () {
    it("each payment bound to v2: the payee's record of its request, and what each side can still do", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const report = await incidentReport({ ...base(s), batchDirs: s.batchDirs });
      const byRequest = new Map(report.payments.map((p) => [p.requestId, p]));
      for (const p of report.payments) {
        expect(p.service?.found, p.requestId).to.equal("found");
        expect(p.service?.records.every((r) => r.version === 2)).to.equal(true);
      }
      const open = report.payments.filter((p) => p.state === "Open");
      expect(open).to.have.length(1);
      expect(open[0].service?.payerCan).to.include(
        "refund (the version's fault counts from before release)",
      );
      // A closed payment: nothing left to do.
      const claimed = byRequest.get(requestOf("r2"));
      expect(claimed?.state).to.equal("Claimed");
      expect(claimed?.service?.payerCan).to.deep.equal([]);
    });

    it("a payment bound to v1 for a request the stale node served under v2: its own section, with the challenge the payer can make", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const token = await s.token.getAddress();
      // carol pays node B, under the live v1, for the request node B served (stale) under v2.
      await (
        await s.token.connect(s.carol).approve(await s.settlement.getAddress(), unit(1))
      ).wait();
      const [v, e] = await s.registry.live(s.modelId);
      await (
        await s.settlement
          .connect(s.carol)
          .settle(s.modelId, v, e, s.nodeB.address, token, unit(1), requestOf("s1"), 0)
      ).wait();
      const report = await incidentReport({ ...base(s), batchDirs: s.batchDirs });
      expect(report.otherVersionPayments).to.have.length(1);
      const p = report.otherVersionPayments[0];
      expect([p.payer, p.payee, p.version, p.state, p.openStatus]).to.deep.equal([
        s.carol.address,
        s.nodeB.address,
        1,
        "Open",
        "held",
      ]);
      expect(p.service?.records.map((r) => [r.version, r.standing])).to.deep.equal([
        [2, "NotLive"],
      ]);
      expect(p.service?.payerCan).to.deep.equal([
        `challenge with record 0 of batch ${s.batches.B1.root}`,
      ]);
      expect(p.service?.payeeCan).to.deep.equal([]);
      // The same when no stale record stays in memory: the record is obtained again.
      const again = await incidentReport({
        ...base(s),
        batchDirs: s.batchDirs,
        notLiveInMemory: 0,
      });
      expect(again.otherVersionPayments.map((x) => x.service?.payerCan)).to.deep.equal([
        p.service?.payerCan,
      ]);
      const viaStore = await incidentReport({
        ...base(s),
        sources: [parseSource(`dir:${s.store.root}`)],
        notLiveInMemory: 0,
      });
      expect(viaStore.otherVersionPayments.map((x) => x.service?.payerCan)).to.deep.equal([
        p.service?.payerCan,
      ]);
      expect(formatIncidentReport(report)).to.include(
        "PAYMENTS bound to another version for requests served under v2: 1",
      );
    });
  });

  describe("what a review found, each closed", function () {
    it("a batch anchored in a gap between two windows of the version (a pause) is listed, its stale record NotLive", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const pause = () =>
        safeExec(s.guardian.address, s.guardian.owners, {
          to: s.registry.target as string,
          data: s.registry.interface.encodeFunctionData("pause", [s.modelId]),
        });
      const resume = () =>
        safeExec(s.guardian.address, s.guardian.owners, {
          to: s.registry.target as string,
          data: s.registry.interface.encodeFunctionData("resume", [s.modelId]),
        });
      await pause();
      const pausedAt = await networkHelpers.time.latest();
      await networkHelpers.time.increase(600);
      const { root } = await anchorOwn(s.nodeA, s, "gap", [
        demoRecord(s, "g1", s.nodeA.address, s.alice.address, pausedAt + 300, {
          version: 1,
          blobId: blobOfVersion(1),
        }),
      ]);
      await networkHelpers.time.increase(600);
      await resume();
      const report = await incidentReport({
        ...base(s),
        version: 1,
        batchDirs: [join(work, "gap")],
      });
      const gap = report.batches.find((b) => b.root === root.toLowerCase());
      expect(gap?.evidence.status).to.equal("verified");
      expect(report.records.items.map((i) => [i.requestId, i.standing, i.served])).to.deep.equal([
        [requestOf("g1"), "NotLive", "outside-windows"],
      ]);
    });

    it("records naming another node are no evidence about it: skipped and listed", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const t = await networkHelpers.time.latest();
      const { dir } = await anchorOwn(s.nodeA, s, "planted", [
        demoRecord(s, "own", s.nodeA.address, s.alice.address, t - 10),
        demoRecord(s, "planted", s.nodeB.address, s.bob.address, t - 5),
      ]);
      const report = await incidentReport({ ...base(s), batchDirs: [...s.batchDirs, dir] });
      expect(report.records.items.map((i) => i.requestId)).to.not.include(requestOf("planted"));
      expect(report.records.items.map((i) => i.requestId)).to.include(requestOf("own"));
      const foreign = report.problems.filter((p) => p.kind === "foreign-records");
      expect(foreign).to.have.length(1);
      expect(foreign[0].message).to.match(/holds 1 record\(s\) naming another node/);
    });

    it("a directory whose node anchored another count than its records is corrupt (count)", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const t = await networkHelpers.time.latest();
      const { dir, root } = await anchorOwn(
        s.nodeA,
        s,
        "miscounted",
        [demoRecord(s, "m1", s.nodeA.address, s.alice.address, t - 10)],
        5,
      );
      const report = await incidentReport({ ...base(s), batchDirs: [dir] });
      const b = report.batches.find((x) => x.root === root.toLowerCase())!;
      expect(b.evidence.status).to.equal("corrupt");
      expect(b.evidence.corrupt).to.deep.equal([
        { from: dir, what: "count", detail: "holds 1 records, 5 were anchored" },
      ]);
    });

    it("a source that cannot be read makes a batch unavailable, not missing: the node is not blamed", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const broken = await serve((_req, res) => res.writeHead(500).end("down"));
      try {
        const source = new HttpSource(`${broken.base}/{ref}`, { retryDelaysMs: [1, 1, 1] });
        const report = await incidentReport({ ...base(s), sources: [source] });
        expect(report.batches.map((b) => b.evidence.status)).to.deep.equal([
          "unavailable",
          "unavailable",
          "unavailable",
          "unavailable",
          "unavailable",
        ]);
        expect(report.evidence.notProduced).to.deep.equal([]);
        expect(report.problems.map((p) => p.kind)).to.deep.equal(
          report.batches.map(() => "unavailable-batch"),
        );
      } finally {
        await broken.close();
      }
    });

    it("a scan that starts after the version's first window is an evidence problem", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const first = (await incidentReport(base(s))).windows[0].startBlock;
      const report = await incidentReport({ ...base(s), fromBlock: first + 1 });
      expect(report.problems[0]).to.deep.equal({
        kind: "scan",
        message: `the scan starts at block ${first + 1}, after the version's first window opened (block ${first}): payments and batches before it are not seen`,
      });
      expect(report.complete).to.equal(false);
    });
  });

  describe("routing: how fast the nodes switched", function () {
    it("lists each operator's acknowledgements, its switch and lag after the close, and who never switched", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const report = await incidentReport({
        ...base(s),
        batchDirs: s.batchDirs,
        routing: s.routing,
        labels: s.labels,
      });
      const r = report.routing!;
      expect(r.contract).to.equal(await s.routing.getAddress());
      const [a, b] = [s.nodeA.address, s.nodeB.address].map((x) =>
        r.nodes.find((n) => n.node === x)!,
      );
      const T2 = s.times.v2Live;
      const TR = s.times.rollback;
      expect(a.acknowledgements.map((x) => x.at)).to.deep.equal([T2 + 600, TR + 300]);
      expect([a.switchedTo, a.switchedAt, a.lagSeconds, a.routable]).to.deep.equal([
        3,
        TR + 300,
        300,
        true,
      ]);
      expect([a.staleAfterClose, a.paymentsAfterClose]).to.deep.equal([0, 1]); // bob's r2, claimed
      expect(b.acknowledgements.map((x) => x.at)).to.deep.equal([T2 + 720]);
      expect([b.switchedAt, b.lagSeconds, b.routable]).to.deep.equal([null, null, false]);
      expect([b.staleAfterClose, b.staleAfterOwnSwitch]).to.deep.equal([3, 0]);
      // Node C lags an hour: it acknowledged v1's epoch 65 minutes after the close.
      const c = r.nodes.find((n) => n.node === s.nodeC.address)!;
      expect(c.acknowledgements.map((x) => x.at)).to.deep.equal([T2 + 840, TR + 3900]);
      expect([c.switchedTo, c.lagSeconds, c.routable, c.staleAfterClose]).to.deep.equal([
        3,
        3900,
        true,
        0,
      ]);
      expect(r.nodes).to.have.length(3);
      const text = formatIncidentReport(report);
      expect(text).to.include(
        "node C: epoch 2 at 2031-01-08 10:21:00Z, epoch 3 at 2031-01-11 17:12:00Z; switched to epoch 3 1h 5m after the close; routable now",
      );
      expect(text).to.include(
        "node A: epoch 2 at 2031-01-08 10:17:00Z, epoch 3 at 2031-01-11 16:12:00Z; switched to epoch 3 5m after the close; routable now",
      );
      expect(text).to.include(
        "node B: epoch 2 at 2031-01-08 10:19:00Z; NEVER acknowledged an epoch after the close; not routable now",
      );
    });

    it("a node that acknowledged the next epoch and kept serving the old version contradicts itself", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      // Node B acknowledges v1's epoch now (after it served s1-s3), then serves v2 again.
      const [, epoch] = await s.registry.live(s.modelId);
      await (await s.routing.connect(s.nodeB).acknowledge(s.modelId, epoch)).wait();
      const switched = await networkHelpers.time.latest();
      const { dir } = await anchorOwn(
        s.nodeB,
        s,
        "after-switch",
        [demoRecord(s, "after-switch", s.nodeB.address, s.carol.address, switched + 1)],
        undefined,
        5,
      );
      const report = await incidentReport({
        ...base(s),
        batchDirs: [...s.batchDirs, dir],
        routing: s.routing,
      });
      const b = report.routing!.nodes.find((n) => n.node === s.nodeB.address)!;
      expect([b.staleAfterClose, b.staleAfterOwnSwitch]).to.deep.equal([4, 1]);
      expect(formatIncidentReport(report)).to.include(
        "1 after its own switch (it contradicted its acknowledgement)",
      );
    });
  });

  describe("labels", function () {
    it("reads JSON and CSV, and refuses a bad line with one line", function () {
      const a = "0x" + "aa".repeat(20);
      const json = join(work, "labels.json");
      writeFileSync(json, JSON.stringify({ [a]: "node A" }));
      const csv = join(work, "labels.csv");
      writeFileSync(csv, `address,name\n# the stale node\n${a},node A\n`);
      const want = { "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa": "node A" };
      expect(readLabels(json)).to.deep.equal(want);
      expect(readLabels(csv)).to.deep.equal(want);
      const bad = join(work, "bad.csv");
      writeFileSync(bad, `${a},node A\n0x1234,nobody\n`);
      expect(() => readLabels(bad, "bad.csv")).to.throw(
        CliError,
        "bad.csv line 2: not an address: 0x1234",
      );
    });

    it("names nodes, agents and Safes in the words of the report", async function () {
      const s = await networkHelpers.loadFixture(demoScenario);
      const report = await incidentReport({ ...base(s), batchDirs: s.batchDirs, labels: s.labels });
      expect(report.labels[s.nodeB.address]).to.equal("node B");
      const text = formatIncidentReport(report);
      expect(text).to.include("by node B");
      expect(text).to.include("alice paid node A");
      // --summary: the evidence problems and the summary, nothing else
      const summary = formatIncidentReport(report, { summaryOnly: true });
      expect(summary.split("\n")[0]).to.equal("EVIDENCE PROBLEMS: 1 (the audit is incomplete)");
      expect(summary).to.include("SUMMARY\n");
      expect(summary).to.include("(node B: 1)");
      expect(summary).to.not.include("WINDOWS:");
    });
  });
});
