import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { network } from "hardhat";

import {
  anchorBatch,
  describeVerdict,
  findEntries,
  readBatchSummary,
  verifyEntry,
} from "../../src/node/anchoring.js";
import { buildBatch } from "../../src/records/batch.js";
import { epochHint } from "../../src/chain/chain.js";
import { CliError } from "../../src/ground/cli.js";
import { deploySuite } from "../../src/deploy/deploy-local.js";
import { type InferenceRecord, ProofPath, RECORD_FORMAT_V1 } from "../../src/records/record.js";
import { flagOf } from "../../src/records/standing.js";
import { sha256Ref } from "../../src/store/index.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

const MODEL = ethers.id("tools/model");
const BLOB_V1 = ethers.id("tools/blob/v1");
const BLOB_V2 = ethers.id("tools/blob/v2");

async function fixture() {
  const [deployer, governor, guardian, publisher, node, agent] = await ethers.getSigners();
  const suite = await deploySuite(deployer, {
    governor: governor.address,
    guardian: guardian.address,
    admin: deployer.address,
    publishers: [publisher.address],
  });
  const { registry, anchor } = suite;
  await registry.connect(governor).createModel(MODEL, [publisher.address]);
  for (const blob of [BLOB_V1, BLOB_V2]) {
    await registry
      .connect(publisher)
      .registerVersion(MODEL, blob, blob, "ipfs://m", 1, ethers.ZeroAddress);
  }
  const delay = Number(await registry.promotionDelay());
  for (const version of [1, 2]) {
    await registry.connect(governor).propose(MODEL, version);
    await networkHelpers.time.increase(delay);
    await registry.activate(MODEL);
  }
  await anchor.connect(governor).setOperator(MODEL, node.address, true);
  // The records below are served a little after v2 went live.
  await networkHelpers.time.increase(60);
  return { ...suite, governor, guardian, node, agent };
}

function record(
  node: string,
  agent: string,
  servedAt: number,
  version = 2,
  blobId = BLOB_V2,
): InferenceRecord {
  return {
    format: RECORD_FORMAT_V1,
    requestId: hexlify(randomBytes(32)),
    modelId: MODEL,
    version,
    blobId,
    inputHash: hexlify(randomBytes(32)),
    outputHash: hexlify(randomBytes(32)),
    proofPath: ProofPath.NONE,
    proofCommitment: ethers.ZeroHash,
    agent,
    node,
    servedAt,
  };
}

describe("anchoring tools (batch:anchor, record:verify cores)", function () {
  let work: string;
  beforeEach(function () {
    work = mkdtempSync(join(tmpdir(), "anchoring-"));
  });
  afterEach(function () {
    rmSync(work, { recursive: true, force: true });
  });

  async function writeBatch(records: InferenceRecord[], name = "batch"): Promise<string> {
    const input = join(work, `${name}.jsonl`);
    writeFileSync(input, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const dir = join(work, name);
    await buildBatch(input, dir);
    return dir;
  }

  it("anchors a built batch once and reports a second run as already anchored, sending nothing", async function () {
    const { anchor, node, agent } = await networkHelpers.loadFixture(fixture);
    const t = await networkHelpers.time.latest();
    const dir = await writeBatch([
      record(node.address, agent.address, t - 5),
      record(node.address, agent.address, t - 3),
    ]);
    const summary = readBatchSummary(dir);

    const first = await anchorBatch(anchor, node, summary);
    expect(first.status).to.equal("anchored");
    const stored = await anchor.getBatch(MODEL, node.address, summary.root);
    expect(stored.count).to.equal(2n);
    expect(stored.firstServedAt).to.equal(BigInt(t - 5));
    expect(stored.lastServedAt).to.equal(BigInt(t - 3));
    expect(first.anchoredAt).to.equal(stored.anchoredAt);

    // The file reference anchored is batch.json's fileRef: the SHA-256 of batch.jsonl.
    const batchFile = readFileSync(join(dir, "batch.jsonl"));
    expect(summary.fileRef).to.equal(sha256Ref(batchFile));
    expect(first.fileRef).to.equal(summary.fileRef);
    const [event] = await anchor.queryFilter(
      anchor.filters.BatchAnchored(MODEL, summary.root, node.address),
    );
    expect(event.transactionHash).to.equal(first.txHash);
    expect(event.args.fileRef).to.equal(summary.fileRef);

    const nonceBefore = await ethers.provider.getTransactionCount(node.address);
    const second = await anchorBatch(anchor, node, summary);
    expect(second.status).to.equal("already-anchored");
    expect(second.anchoredAt).to.equal(stored.anchoredAt);
    expect(await ethers.provider.getTransactionCount(node.address)).to.equal(nonceBefore);
  });

  it("reports a call that would revert in words and sends nothing, so the batch can be anchored later", async function () {
    const { anchor, governor, node, agent } = await networkHelpers.loadFixture(fixture);
    const t = await networkHelpers.time.latest();
    const dir = await writeBatch([record(node.address, agent.address, t - 5)]);
    const summary = readBatchSummary(dir);
    await anchor.connect(governor).setOperator(MODEL, node.address, false);
    const nonceBefore = await ethers.provider.getTransactionCount(node.address);

    let error: unknown;
    try {
      await anchorBatch(anchor, node, summary);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CliError);
    expect((error as Error).message).to.equal(
      `anchoring would revert: AnchorUnauthorizedOperator(modelId=${MODEL}, account=${node.address}); nothing was sent`,
    );
    expect(await ethers.provider.getTransactionCount(node.address)).to.equal(nonceBefore);

    await anchor.connect(governor).setOperator(MODEL, node.address, true);
    expect((await anchorBatch(anchor, node, summary)).status).to.equal("anchored");
  });

  it("finds a request's record in proofs.jsonl and verifies it on-chain as conforming", async function () {
    const { anchor, registry, node, agent } = await networkHelpers.loadFixture(fixture);
    const t = await networkHelpers.time.latest();
    const records = [
      record(node.address, agent.address, t - 5),
      record(node.address, agent.address, t - 4),
    ];
    const dir = await writeBatch(records);
    const summary = readBatchSummary(dir);
    await anchorBatch(anchor, node, summary);
    await networkHelpers.mine(1);

    const entries = await findEntries(
      dir,
      summary.files.proofs,
      records[1].requestId.toUpperCase().replace("0X", "0x"),
    );
    expect(entries).to.have.length(1);
    expect(entries[0].record).to.deep.equal(records[1]);
    const verdict = await verifyEntry(
      anchor,
      registry,
      MODEL,
      summary.root,
      entries[0],
      BigInt(await networkHelpers.time.latest()),
    );
    expect(verdict.included).to.equal(true);
    expect(verdict.flags).to.equal(0n);
    expect(verdict.hint).to.equal(await registry.epochAt(MODEL, records[1].servedAt));
    expect(verdict.liveVersionThen).to.equal(2n);
    const words = describeVerdict(entries[0], verdict);
    expect(words[0]).to.equal("included: yes");
    expect(words[1]).to.match(/^standing: Conforming: /);
    expect(words[2]).to.equal("flags: none");
  });

  it("says in words that a stale node's record after a rollback was not live and is Faulty", async function () {
    const { anchor, registry, guardian, node, agent } = await networkHelpers.loadFixture(fixture);
    await registry.connect(guardian).rollback(MODEL, 2, 1, 1, ethers.id("bad"), "ipfs://incident");
    await networkHelpers.time.increase(30);
    const t = await networkHelpers.time.latest();
    const stale = record(node.address, agent.address, t - 10); // still claims v2 after the rollback
    const dir = await writeBatch([stale]);
    const summary = readBatchSummary(dir);
    await anchorBatch(anchor, node, summary);
    await networkHelpers.mine(1);

    const [entry] = await findEntries(dir, summary.files.proofs, stale.requestId);
    const verdict = await verifyEntry(
      anchor,
      registry,
      MODEL,
      summary.root,
      entry,
      BigInt(await networkHelpers.time.latest()),
    );
    expect(verdict.included).to.equal(true);
    expect(verdict.flags).to.equal(flagOf("NotLive") | flagOf("VersionFaulty"));
    const words = describeVerdict(entry, verdict);
    expect(words[1]).to.match(/^standing: NotLive: /);
    expect(words[2]).to.equal("flags: NotLive, VersionFaulty");
    expect(words[4]).to.equal(`live then: version 1 (epoch ${verdict.hint})`);
  });

  it("computes the hint of a time when nothing was live as the last epoch opened before it", async function () {
    const { registry, guardian } = await networkHelpers.loadFixture(fixture);
    const liveEpoch = await registry.epochCount(MODEL);
    await registry.connect(guardian).pause(MODEL);
    await networkHelpers.time.increase(10);
    const duringPause = (await networkHelpers.time.latest()) - 5;
    await registry.connect(guardian).resume(MODEL);
    await networkHelpers.mine(1);

    expect(await registry.epochAt(MODEL, duringPause)).to.equal(0n);
    const hint = await epochHint(registry, MODEL, duringPause);
    expect(hint).to.equal(liveEpoch);
    expect(await registry.epochAtWithHint(MODEL, duringPause, hint)).to.deep.equal([0n, 0n, 0n]);
  });

  it("refuses a directory without a batch summary with one line", async function () {
    expect(() => readBatchSummary(work)).to.throw(
      CliError,
      /^cannot read .*batch\.json: no such file or directory$/,
    );
    writeFileSync(join(work, "batch.json"), JSON.stringify({ root: "0x12" }));
    expect(() => readBatchSummary(work)).to.throw(
      CliError,
      /is not a batch summary written by batch:build$/,
    );
  });

  it("anchors the keccak256 of a legacy batch.json without fileRef, and refuses a malformed fileRef", async function () {
    const { anchor, node, agent } = await networkHelpers.loadFixture(fixture);
    const t = await networkHelpers.time.latest();
    const dir = await writeBatch([record(node.address, agent.address, t - 5)]);
    const path = join(dir, "batch.json");
    const current = JSON.parse(readFileSync(path, "utf8"));
    const { fileRef, ...legacy } = current;
    delete legacy.files.batch;
    writeFileSync(path, JSON.stringify(legacy, null, 2) + "\n");
    const summary = readBatchSummary(dir);
    expect(summary.fileRef).to.equal(undefined);
    expect(fileRef).to.match(/^0x[0-9a-f]{64}$/);

    const outcome = await anchorBatch(anchor, node, summary);
    expect(outcome.fileRef).to.equal(ethers.keccak256(ethers.toUtf8Bytes(summary.text)));
    const [event] = await anchor.queryFilter(anchor.filters.BatchAnchored(MODEL, summary.root));
    expect(event.args.fileRef).to.equal(outcome.fileRef);

    writeFileSync(path, JSON.stringify({ ...current, fileRef: "0x1234" }));
    expect(() => readBatchSummary(dir)).to.throw(
      CliError,
      /batch\.json: fileRef must be 32 bytes of hex \(the SHA-256 of batch\.jsonl\)$/,
    );
  });
});
