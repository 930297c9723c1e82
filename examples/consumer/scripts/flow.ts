/**
 * A third party's use of the installed package, on Hardhat's in-process network: deploy the suite
 * and the project's own VersionBound contract, make a version live, then do what a node operator
 * does with the SDK (build a batch of records, anchor it, find a record's proof, verify it on-chain
 * against the version live at its time), then the incident report of that version as a library
 * call. Prints one JSON line of what it saw; exits 1 on a failed
 * check. Run: npx hardhat run scripts/flow.ts
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { type Contract, ZeroAddress, ZeroHash, hexlify, id, randomBytes } from "ethers";
import { network } from "hardhat";
import {
  type InferenceRecord,
  ProofPath,
  RECORD_FORMAT_V1,
  anchorBatch,
  buildBatch,
  deploySuite,
  describeVerdict,
  findEntries,
  formatIncidentReport,
  incidentReport,
  readBatchSummary,
  standingAt,
  verifyEntry,
} from "rollback-trail";

const { ethers } = await network.connect();
const [deployer, governor, guardian, publisher, node, agent] = await ethers.getSigners();
const MODEL = id("consumer/model");
const BLOB = id("consumer/blob/v1");

// The suite, with this account as its own ADMIN (a local chain: no delay to wait for).
const suite = await deploySuite(deployer, {
  governor: governor.address,
  guardian: guardian.address,
  admin: deployer.address,
  publishers: [publisher.address],
});
const { registry, anchor } = suite;
await (await registry.connect(governor).createModel(MODEL, [publisher.address])).wait();
await (
  await registry.connect(publisher).registerVersion(MODEL, BLOB, BLOB, "ipfs://w", 1, ZeroAddress)
).wait();
await (await registry.connect(governor).propose(MODEL, 1)).wait();
await ethers.provider.send("evm_increaseTime", [Number(await registry.promotionDelay())]);
await (await registry.activate(MODEL)).wait();
await (await anchor.connect(governor).setOperator(MODEL, node.address, true)).wait();
const [liveVersion, liveEpoch] = await registry.live(MODEL);

// The project's own contract, inheriting VersionBound from the package.
const tipJar = await ethers.deployContract("TipJar", [await registry.getAddress()]);
const asAgent = tipJar.connect(agent) as Contract;
const tipped = await (await asAgent.tip(MODEL, 1, { value: 1000n })).wait();
const tip = tipJar.interface.parseLog(tipped!.logs[0])!;
assert.equal(tip.args.epoch, liveEpoch);
let mismatch = "";
try {
  await asAgent.tip.staticCall(MODEL, 2, { value: 1n });
} catch (e) {
  mismatch = tipJar.interface.parseError((e as { data: string }).data)?.name ?? "";
}
assert.equal(mismatch, "VersionBoundVersionMismatch");

// A node's records, a batch, its anchor, and one record verified on-chain.
await ethers.provider.send("evm_increaseTime", [30]);
await ethers.provider.send("evm_mine", []);
const now = Number((await ethers.provider.getBlock("latest"))!.timestamp);
const records: InferenceRecord[] = [1, 2, 3].map((i) => ({
  format: RECORD_FORMAT_V1,
  requestId: hexlify(randomBytes(32)),
  modelId: MODEL,
  version: 1,
  blobId: BLOB,
  inputHash: hexlify(randomBytes(32)),
  outputHash: hexlify(randomBytes(32)),
  proofPath: ProofPath.NONE,
  proofCommitment: ZeroHash,
  agent: agent.address,
  node: node.address,
  servedAt: now - 10 + i,
}));
const work = mkdtempSync(join(tmpdir(), "consumer-"));
writeFileSync(join(work, "records.jsonl"), records.map((r) => JSON.stringify(r)).join("\n") + "\n");
await buildBatch(join(work, "records.jsonl"), join(work, "batch"));
const summary = readBatchSummary(join(work, "batch"));
const anchored = await anchorBatch(anchor, node, summary);
await ethers.provider.send("evm_mine", []);
const [entry] = await findEntries(join(work, "batch"), summary.files.proofs, records[1].requestId);
const latest = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
const verdict = await verifyEntry(anchor, registry, MODEL, summary.root, entry, latest);
assert.equal(verdict.included, true);
assert.equal(standingAt(verdict.primary).name, "Conforming");
assert.equal(verdict.liveVersionThen, liveVersion);

// The auditor's side: the incident report of version 1, as a library call, from the chain and
// the batch's folder.
const report = await incidentReport({
  provider: ethers.provider,
  registry,
  anchor,
  settlement: suite.settlement,
  actionLog: suite.actionLog,
  modelId: MODEL,
  version: 1,
  batchDirs: [join(work, "batch")],
});
assert.ok(formatIncidentReport(report).length > 0);

process.stdout.write(
  JSON.stringify({
    report: {
      complete: report.complete,
      batches: report.batches.length,
      records: report.records.total,
      conforming: report.records.byStanding.Conforming ?? 0,
    },
    liveVersion: Number(liveVersion),
    liveEpoch: Number(liveEpoch),
    tipEpoch: Number(tip.args.epoch),
    mismatch,
    anchored: anchored.status,
    root: summary.root,
    onChainCount: Number((await anchor.getBatch(MODEL, node.address, summary.root)).count),
    standing: standingAt(verdict.primary).name,
    verdict: describeVerdict(entry, verdict),
  }) + "\n",
);
rmSync(work, { recursive: true, force: true });
