import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { ZeroHash, id, type ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import type { InferenceRecord } from "../src/records/record.js";
import type { AgentActionLog } from "../types/ethers-contracts/index.js";
import {
  Disposition,
  MODEL_ID,
  OTHER_MODEL_ID,
  UNKNOWN_MODEL_ID,
  anchorRecords,
  blobOf,
  deploySettlement,
  flagsOf,
  minedAt,
  nextRequestId,
  pauseModel,
  recordFor,
  resumeModel,
  rollbackTo,
  type Batch,
  type SettlementFixture,
} from "./helpers/settlement-fixture.js";

const connection = await network.getOrCreate();
const { networkHelpers } = connection;
const { time } = networkHelpers;

function actionLogFixture(): Promise<SettlementFixture> {
  return deploySettlement(connection);
}

function load(): Promise<SettlementFixture> {
  return networkHelpers.loadFixture(actionLogFixture);
}

const URI = "ipfs://action-report";

/** IAgentActionLog.Action as a plain object. */
interface Action {
  agent: string;
  loggedAt: bigint;
  proven: boolean;
  liveVersion: bigint;
  liveEpoch: bigint;
  servedVersion: bigint;
  servedEpoch: bigint;
  modelId: string;
  requestId: string;
  actionHash: string;
  servedFlags: bigint;
}

const ACTION_FIELDS = [
  "agent",
  "loggedAt",
  "proven",
  "liveVersion",
  "liveEpoch",
  "servedVersion",
  "servedEpoch",
  "modelId",
  "requestId",
  "actionHash",
  "servedFlags",
] as const;

function actionTuple(a: Action): unknown[] {
  return ACTION_FIELDS.map((field) => a[field]);
}

async function storedAction(log: AgentActionLog, actionId: bigint | number): Promise<Action> {
  const a = await log.getAction(actionId);
  return Object.fromEntries(ACTION_FIELDS.map((field) => [field, a[field]])) as unknown as Action;
}

/** An unproven action of `agent`, logged at `loggedAt` while `liveVersion` was live in `liveEpoch`. */
function unproven(
  agent: HardhatEthersSigner,
  loggedAt: bigint,
  live: [bigint, bigint],
  requestId: string,
  actionHash: string,
  modelId = MODEL_ID,
): Action {
  return {
    agent: agent.address,
    loggedAt,
    proven: false,
    liveVersion: live[0],
    liveEpoch: live[1],
    servedVersion: 0n,
    servedEpoch: 0n,
    modelId,
    requestId,
    actionHash,
    servedFlags: 0n,
  };
}

/** Expects `tx` to have logged `expected` as action `actionId`, in the event and in storage. */
async function expectLogged(
  f: SettlementFixture,
  tx: Promise<ContractTransactionResponse>,
  actionId: bigint,
  expected: Action,
): Promise<void> {
  await expect(tx)
    .to.emit(f.actionLog, "ActionLogged")
    .withArgs(actionId, expected.agent, expected.modelId, actionTuple(expected), URI);
  expect(await storedAction(f.actionLog, actionId)).to.deep.equal(expected);
}

/** The payer's record of `requestId` (v2 by default), served by the fixture's node at `servedAt`. */
function payerRecord(
  f: SettlementFixture,
  requestId: string,
  servedAt: bigint,
  overrides: Partial<InferenceRecord> = {},
): InferenceRecord {
  const request = {
    requestId,
    payer: f.payer.address,
    modelId: MODEL_ID,
    version: 2n,
    payee: f.node.address,
  };
  return recordFor(request, servedAt, overrides);
}

/** The payer logs an action about record `index` of `batch`, with its proof. */
function logWithProof(
  f: SettlementFixture,
  batch: Batch,
  actionHash: string,
  index = 0,
  agent: HardhatEthersSigner = f.payer,
) {
  const record = batch.records[index];
  return f.actionLog
    .connect(agent)
    .logWithProof(
      record.modelId,
      record.requestId,
      actionHash,
      URI,
      batch.root,
      record,
      batch.proof(index),
    );
}

describe("AgentActionLog", function () {
  it("stores the registry and the anchor and starts empty", async function () {
    const f = await load();
    expect(await f.actionLog.registry()).to.equal(await f.registry.getAddress());
    expect(await f.actionLog.anchor()).to.equal(await f.anchor.getAddress());
    expect(await f.actionLog.actionCount()).to.equal(0n);
  });

  describe("log", function () {
    it("records an action bound to the live version and epoch, emits ActionLogged and counts it in that epoch", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const actionHash = id("swap 10 ETH");
      expect(
        await f.actionLog.connect(f.payer).log.staticCall(MODEL_ID, requestId, actionHash, URI),
      ).to.equal(0n);
      const tx = f.actionLog.connect(f.payer).log(MODEL_ID, requestId, actionHash, URI);
      const loggedAt = await minedAt(tx);
      await expectLogged(f, tx, 0n, unproven(f.payer, loggedAt, [2n, 2n], requestId, actionHash));
      expect(await f.actionLog.actionCount()).to.equal(1n);
      expect(await f.actionLog.actionsInLiveEpoch(MODEL_ID, 2)).to.equal(1n);
      expect(await f.actionLog.actionsServedInEpoch(MODEL_ID, 2)).to.equal(0n);
      expect(await f.actionLog.actionsServedByVersion(MODEL_ID, 2)).to.equal(0n);
    });

    it("numbers actions in order and counts each in the epoch live when it was logged, 0 while paused", async function () {
      const f = await load();
      const logged: Action[] = [];
      const logOne = async (agent: HardhatEthersSigner, live: [bigint, bigint]) => {
        const requestId = nextRequestId();
        const actionHash = id(`action ${logged.length}`);
        const tx = f.actionLog.connect(agent).log(MODEL_ID, requestId, actionHash, URI);
        const expected = unproven(agent, await minedAt(tx), live, requestId, actionHash);
        await expectLogged(f, tx, BigInt(logged.length), expected);
        logged.push(expected);
      };
      await logOne(f.payer, [2n, 2n]);
      await logOne(f.otherPayer, [2n, 2n]);
      await pauseModel(f);
      await logOne(f.payer, [0n, 0n]);
      await resumeModel(f); // v2 again, in epoch 3
      await logOne(f.otherPayer, [2n, 3n]);
      await rollbackTo(f, 1, Disposition.Faulty); // v1, epoch 4
      await logOne(f.payer, [1n, 4n]);

      expect(await f.actionLog.actionCount()).to.equal(BigInt(logged.length));
      for (const [i, expected] of logged.entries()) {
        expect(await storedAction(f.actionLog, i)).to.deep.equal(expected);
      }
      const counts = await Promise.all(
        [0, 1, 2, 3, 4].map((epoch) => f.actionLog.actionsInLiveEpoch(MODEL_ID, epoch)),
      );
      expect(counts).to.deep.equal([1n, 0n, 2n, 1n, 1n]);
    });

    it("binds 0/0 for a model with nothing live or unknown", async function () {
      const f = await load();
      for (const modelId of [OTHER_MODEL_ID, UNKNOWN_MODEL_ID]) {
        const requestId = nextRequestId();
        const count = await f.actionLog.actionCount();
        const tx = f.actionLog.connect(f.payer).log(modelId, requestId, ZeroHash, URI);
        const expected = unproven(
          f.payer,
          await minedAt(tx),
          [0n, 0n],
          requestId,
          ZeroHash,
          modelId,
        );
        await expectLogged(f, tx, count, expected);
        expect(await f.actionLog.actionsInLiveEpoch(modelId, 0)).to.equal(1n);
      }
    });
  });

  describe("logWithProof", function () {
    it("stores the served version, the record's flags and the epoch live at servedAt, and counts them", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const servedAt = BigInt(await time.latest());
      await time.increase(60);
      const batch = await anchorRecords(f, [payerRecord(f, requestId, servedAt)]);
      const actionHash = id("transfer");
      const tx = logWithProof(f, batch, actionHash);
      await expectLogged(f, tx, 0n, {
        ...unproven(f.payer, await minedAt(tx), [2n, 2n], requestId, actionHash),
        proven: true,
        servedVersion: 2n,
        servedEpoch: 2n,
        servedFlags: 0n,
      });
      expect(await f.actionLog.actionsInLiveEpoch(MODEL_ID, 2)).to.equal(1n);
      expect(await f.actionLog.actionsServedInEpoch(MODEL_ID, 2)).to.equal(1n);
      expect(await f.actionLog.actionsServedByVersion(MODEL_ID, 2)).to.equal(1n);
    });

    it("attributes an action logged after a rollback to the version that served it before the rollback", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const servedAt = BigInt(await time.latest());
      await time.increase(60);
      const batch = await anchorRecords(f, [payerRecord(f, requestId, servedAt)]);
      await rollbackTo(f, 1, Disposition.Faulty); // v1 live, in epoch 3

      // Without the proof the action reads as v1's...
      const unprovenTx = f.actionLog.connect(f.payer).log(MODEL_ID, requestId, id("a"), URI);
      await expectLogged(
        f,
        unprovenTx,
        0n,
        unproven(f.payer, await minedAt(unprovenTx), [1n, 3n], requestId, id("a")),
      );
      // ...with it, v2 (epoch 2) is named as the version that served, with its Faulty flag.
      const tx = logWithProof(f, batch, id("b"));
      await expectLogged(f, tx, 1n, {
        ...unproven(f.payer, await minedAt(tx), [1n, 3n], requestId, id("b")),
        proven: true,
        servedVersion: 2n,
        servedEpoch: 2n,
        servedFlags: flagsOf("VersionFaulty"),
      });
      expect(await f.actionLog.actionsInLiveEpoch(MODEL_ID, 3)).to.equal(2n);
      expect(await f.actionLog.actionsServedInEpoch(MODEL_ID, 2)).to.equal(1n);
      expect(await f.actionLog.actionsServedInEpoch(MODEL_ID, 3)).to.equal(0n);
      expect(await f.actionLog.actionsServedByVersion(MODEL_ID, 2)).to.equal(1n);
      expect(await f.actionLog.actionsServedByVersion(MODEL_ID, 1)).to.equal(0n);
    });

    it("keeps a stale node's claim of v1 with its NotLive flag, in the epoch live at servedAt (v2's)", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const servedAt = BigInt(await time.latest());
      await time.increase(60);
      const batch = await anchorRecords(f, [
        payerRecord(f, requestId, servedAt, { version: 1, blobId: blobOf(MODEL_ID, 1) }),
      ]);
      const tx = logWithProof(f, batch, id("stale"));
      await expectLogged(f, tx, 0n, {
        ...unproven(f.payer, await minedAt(tx), [2n, 2n], requestId, id("stale")),
        proven: true,
        servedVersion: 1n,
        servedEpoch: 2n,
        servedFlags: flagsOf("NotLive"),
      });
      expect(await f.actionLog.actionsServedByVersion(MODEL_ID, 1)).to.equal(1n);
      expect(await f.actionLog.actionsServedInEpoch(MODEL_ID, 2)).to.equal(1n);
    });

    it("leaves the served epoch 0 for a record claiming a servedAt that is not yet past", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const now = BigInt(await time.latest());
      const record = payerRecord(f, requestId, now + 3600n);
      const batch = await anchorRecords(f, [record], { first: now - 10n, last: now });
      const tx = logWithProof(f, batch, id("future"));
      const loggedAt = await minedAt(tx);
      expect(loggedAt).to.be.lessThan(BigInt(record.servedAt));
      await expectLogged(f, tx, 0n, {
        ...unproven(f.payer, loggedAt, [2n, 2n], requestId, id("future")),
        proven: true,
        servedVersion: 2n,
        servedEpoch: 0n,
        servedFlags: flagsOf("OutsideBatchRange"),
      });
      expect(await f.actionLog.actionsServedInEpoch(MODEL_ID, 0)).to.equal(1n);
    });

    it("binds 0/0 as the live version while paused and still proves the served version", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const servedAt = BigInt(await time.latest());
      await time.increase(60);
      const batch = await anchorRecords(f, [payerRecord(f, requestId, servedAt)]);
      await pauseModel(f);
      const tx = logWithProof(f, batch, id("paused"));
      await expectLogged(f, tx, 0n, {
        ...unproven(f.payer, await minedAt(tx), [0n, 0n], requestId, id("paused")),
        proven: true,
        servedVersion: 2n,
        servedEpoch: 2n,
        servedFlags: 0n,
      });
      expect(await f.actionLog.actionsInLiveEpoch(MODEL_ID, 0)).to.equal(1n);
    });

    it("reverts with ActionLogRecordMismatch for a record of another request, model or agent", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const servedAt = BigInt(await time.latest());
      await time.increase(60);
      const batch = await anchorRecords(f, [payerRecord(f, requestId, servedAt)]);
      const record = batch.records[0];
      const proof = batch.proof(0);
      const otherRequest = nextRequestId();
      for (const [modelId, request] of [
        [MODEL_ID, otherRequest],
        [OTHER_MODEL_ID, requestId],
      ]) {
        await expect(
          f.actionLog
            .connect(f.payer)
            .logWithProof(modelId, request, ZeroHash, URI, batch.root, record, proof),
        )
          .to.be.revertedWithCustomError(f.actionLog, "ActionLogRecordMismatch")
          .withArgs(modelId, request, f.payer.address);
      }
      // Another agent cannot claim the payer's record as its own.
      await expect(logWithProof(f, batch, ZeroHash, 0, f.otherPayer))
        .to.be.revertedWithCustomError(f.actionLog, "ActionLogRecordMismatch")
        .withArgs(MODEL_ID, requestId, f.otherPayer.address);
      expect(await f.actionLog.actionCount()).to.equal(0n);
    });

    it("reverts with ActionLogRecordNotIncluded for a record the proof does not put in the batch", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const servedAt = BigInt(await time.latest());
      await time.increase(60);
      const batch = await anchorRecords(f, [
        payerRecord(f, requestId, servedAt),
        payerRecord(f, nextRequestId(), servedAt),
      ]);
      const altered = { ...batch.records[0], version: 1, blobId: blobOf(MODEL_ID, 1) };
      await expect(
        f.actionLog
          .connect(f.payer)
          .logWithProof(MODEL_ID, requestId, ZeroHash, URI, batch.root, altered, batch.proof(0)),
      )
        .to.be.revertedWithCustomError(f.actionLog, "ActionLogRecordNotIncluded")
        .withArgs(MODEL_ID, batch.root);
    });

    it("reverts with the anchor's AnchorUnknownBatch for a root the record's node never anchored", async function () {
      const f = await load();
      const requestId = nextRequestId();
      const record = payerRecord(f, requestId, BigInt(await time.latest()));
      const root = id("never anchored");
      await expect(
        f.actionLog
          .connect(f.payer)
          .logWithProof(MODEL_ID, requestId, ZeroHash, URI, root, record, []),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownBatch")
        .withArgs(MODEL_ID, f.node.address, root);
    });
  });

  describe("getAction", function () {
    it("reverts with ActionLogUnknownAction for an id not logged yet", async function () {
      const f = await load();
      await expect(f.actionLog.getAction(0))
        .to.be.revertedWithCustomError(f.actionLog, "ActionLogUnknownAction")
        .withArgs(0n);
      await (await f.actionLog.connect(f.payer).log(MODEL_ID, ZeroHash, ZeroHash, "")).wait();
      expect((await storedAction(f.actionLog, 0)).agent).to.equal(f.payer.address);
      await expect(f.actionLog.getAction(1))
        .to.be.revertedWithCustomError(f.actionLog, "ActionLogUnknownAction")
        .withArgs(1n);
    });
  });
});
