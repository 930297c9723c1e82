import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import {
  MaxUint256,
  TypedDataEncoder,
  Wallet,
  ZeroAddress,
  ZeroHash,
  id,
  keccak256,
  toUtf8Bytes,
} from "ethers";
import { network } from "hardhat";

import { INFERENCE_ANCHOR_FUNCTION_ROLES, Role } from "../src/chain/roles.js";
import {
  ATTESTATION_TYPES,
  Batch,
  Disposition,
  FILE_REF,
  MAX_ANCHOR_DELAY,
  MODEL_ID,
  OTHER_MODEL_ID,
  REASON_HASH,
  REASON_URI,
  UNKNOWN_MODEL_ID,
  VersionStatus,
  anchorBatch,
  deployAnchor,
  expected,
  makeRecord,
  minedAt,
  rollbackTo,
  type AnchorFixture,
} from "./helpers/anchor-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

async function anchorFixture(): Promise<AnchorFixture> {
  return deployAnchor(connection);
}

function loadFixture(): Promise<AnchorFixture> {
  return networkHelpers.loadFixture(anchorFixture);
}

async function now(): Promise<bigint> {
  return BigInt(await time.latest());
}

interface BatchRecord {
  count: bigint;
  firstServedAt: bigint;
  lastServedAt: bigint;
  anchoredAt: bigint;
  disputeCount: bigint;
}

const NO_BATCH: BatchRecord = {
  count: 0n,
  firstServedAt: 0n,
  lastServedAt: 0n,
  anchoredAt: 0n,
  disputeCount: 0n,
};

/** The batch `root` of `modelId` anchored by `node`, as a plain object. */
async function batchOf(
  f: AnchorFixture,
  modelId: string,
  node: HardhatEthersSigner,
  root: string,
): Promise<BatchRecord> {
  const b = await f.anchor.getBatch(modelId, node.address, root);
  return {
    count: b.count,
    firstServedAt: b.firstServedAt,
    lastServedAt: b.lastServedAt,
    anchoredAt: b.anchoredAt,
    disputeCount: b.disputeCount,
  };
}

interface DisputeRecord {
  by: string;
  at: bigint;
  reasonHash: string;
  reasonURI: string;
}

/** Disputes of `node`'s batch `root` of MODEL_ID, as plain objects. */
async function disputesOf(
  f: AnchorFixture,
  node: HardhatEthersSigner,
  root: string,
  offset: bigint | number,
  limit: bigint | number,
): Promise<DisputeRecord[]> {
  const page = await f.anchor.disputesOf(MODEL_ID, node.address, root, offset, limit);
  // On an ethers Result, `.at` is Array.prototype.at: read the fields by position.
  return page.map((d) => ({
    by: d[0] as string,
    at: d[1] as bigint,
    reasonHash: d[2] as string,
    reasonURI: d[3] as string,
  }));
}

/** A one-record batch of MODEL_ID served by `node` a little before now, not anchored. */
async function pendingBatch(f: AnchorFixture): Promise<Batch> {
  await time.increase(60);
  return new Batch([makeRecord(f, (await now()) - 30n)]);
}

describe("InferenceAnchor", function () {
  describe("deployment", function () {
    it("starts with its authority, registry, backdating bound and EIP-712 domain", async function () {
      const f = await loadFixture();
      const { anchor } = f;
      expect(await anchor.authority()).to.equal(await f.manager.getAddress());
      expect(await anchor.registry()).to.equal(await f.registry.getAddress());
      expect(await anchor.maxAnchorDelay()).to.equal(MAX_ANCHOR_DELAY);
      const domain = await anchor.eip712Domain();
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal(
        ["InferenceAnchor", "1", f.chainId, await anchor.getAddress()],
      );
      const typeString =
        TypedDataEncoder.from(ATTESTATION_TYPES).encodeType("InferenceAttestation");
      expect(await anchor.ATTESTATION_TYPEHASH()).to.equal(keccak256(toUtf8Bytes(typeString)));
    });

    it("rejects a backdating bound outside its limits, and accepts both limits with MaxAnchorDelaySet", async function () {
      const f = await loadFixture();
      const [min, max] = [await f.anchor.MIN_ANCHOR_DELAY(), await f.anchor.MAX_ANCHOR_DELAY()];
      const [authority, registry] = [await f.manager.getAddress(), await f.registry.getAddress()];
      const factory = await ethers.getContractFactory("InferenceAnchor");
      for (const value of [0n, min - 1n, max + 1n]) {
        await expect(factory.deploy(authority, registry, value))
          .to.be.revertedWithCustomError(f.anchor, "AnchorInvalidPeriod")
          .withArgs(value, min, max);
      }
      for (const value of [min, max]) {
        const deployed = await factory.deploy(authority, registry, value);
        await expect(deployed.deploymentTransaction())
          .to.emit(deployed, "MaxAnchorDelaySet")
          .withArgs(0, value);
        expect(await deployed.getFunction("maxAnchorDelay")()).to.equal(value);
      }
    });

    it("gives each restricted function the role of the shared table", async function () {
      const f = await loadFixture();
      const address = await f.anchor.getAddress();
      for (const [name, role] of Object.entries(INFERENCE_ANCHOR_FUNCTION_ROLES)) {
        const selector = f.anchor.interface.getFunction(
          name as keyof typeof INFERENCE_ANCHOR_FUNCTION_ROLES,
        ).selector;
        expect(await f.manager.getTargetFunctionRole(address, selector), name).to.equal(Role[role]);
      }
    });
  });

  describe("anchor", function () {
    it("stores the batch under the anchoring node and emits BatchAnchored with the node and file reference", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      const batch = new Batch([
        makeRecord(f, t - 30n),
        makeRecord(f, t - 10n),
        makeRecord(f, t - 20n),
      ]);
      const first = t - 40n;
      const last = t - 5n;
      const at = t + 3n;
      await time.setNextBlockTimestamp(at);
      const tx = f.anchor
        .connect(f.node)
        .anchor(MODEL_ID, batch.root, batch.records.length, first, last, FILE_REF);
      await expect(tx)
        .to.emit(f.anchor, "BatchAnchored")
        .withArgs(
          MODEL_ID,
          batch.root,
          f.node.address,
          batch.records.length,
          first,
          last,
          FILE_REF,
        );
      expect(await batchOf(f, MODEL_ID, f.node, batch.root)).to.deep.equal({
        count: BigInt(batch.records.length),
        firstServedAt: first,
        lastServedAt: last,
        anchoredAt: at,
        disputeCount: 0n,
      });
      // The key is (model, node, root): nothing under another node or another model.
      expect(await batchOf(f, MODEL_ID, f.secondNode, batch.root)).to.deep.equal(NO_BATCH);
      expect(await batchOf(f, OTHER_MODEL_ID, f.node, batch.root)).to.deep.equal(NO_BATCH);
    });

    it("rejects accounts that are not allowed operators of the model, and stores nothing", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      // Never operators, or (otherNode) an operator of another model only.
      const outsiders: HardhatEthersSigner[] = [f.stranger, f.governor, f.guardian, f.otherNode];
      for (const account of outsiders) {
        await expect(
          f.anchor
            .connect(account)
            .anchor(MODEL_ID, batch.root, 1, batch.firstServedAt, batch.lastServedAt, FILE_REF),
        )
          .to.be.revertedWithCustomError(f.anchor, "AnchorUnauthorizedOperator")
          .withArgs(MODEL_ID, account.address);
        expect(await batchOf(f, MODEL_ID, account, batch.root)).to.deep.equal(NO_BATCH);
      }
    });

    it("rejects a node once the governor disallowed it, and accepts it again when re-allowed", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await (
        await f.anchor.connect(f.governor).setOperator(MODEL_ID, f.node.address, false)
      ).wait();
      const send = () =>
        f.anchor
          .connect(f.node)
          .anchor(MODEL_ID, batch.root, 1, batch.firstServedAt, batch.lastServedAt, FILE_REF);
      await expect(send())
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnauthorizedOperator")
        .withArgs(MODEL_ID, f.node.address);
      expect(await batchOf(f, MODEL_ID, f.node, batch.root)).to.deep.equal(NO_BATCH);
      await (await f.anchor.connect(f.governor).setOperator(MODEL_ID, f.node.address, true)).wait();
      await expect(send()).to.emit(f.anchor, "BatchAnchored");
    });

    it("rejects a model that does not exist as an unauthorized operator", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await expect(
        f.anchor
          .connect(f.node)
          .anchor(
            UNKNOWN_MODEL_ID,
            batch.root,
            1,
            batch.firstServedAt,
            batch.lastServedAt,
            FILE_REF,
          ),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnauthorizedOperator")
        .withArgs(UNKNOWN_MODEL_ID, f.node.address);
    });

    it("rejects a zero root", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await expect(
        f.anchor
          .connect(f.node)
          .anchor(MODEL_ID, ZeroHash, 1, batch.firstServedAt, batch.lastServedAt, FILE_REF),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorZeroRoot")
        .withArgs(MODEL_ID);
      expect(await batchOf(f, MODEL_ID, f.node, ZeroHash)).to.deep.equal(NO_BATCH);
    });

    it("rejects a batch of no records", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await expect(
        f.anchor
          .connect(f.node)
          .anchor(MODEL_ID, batch.root, 0, batch.firstServedAt, batch.lastServedAt, FILE_REF),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorEmptyBatch")
        .withArgs(MODEL_ID, batch.root);
      expect(await batchOf(f, MODEL_ID, f.node, batch.root)).to.deep.equal(NO_BATCH);
    });

    it("rejects a root the same node anchored already for the model, and keeps the first batch", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      const { anchoredAt } = await anchorBatch(connection, f, batch.records);
      const stored = await batchOf(f, MODEL_ID, f.node, batch.root);
      await time.increase(10);
      await expect(
        f.anchor
          .connect(f.node)
          .anchor(
            MODEL_ID,
            batch.root,
            7,
            batch.firstServedAt + 1,
            batch.lastServedAt + 1,
            id("other file"),
          ),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorBatchExists")
        .withArgs(MODEL_ID, batch.root, anchoredAt);
      expect(await batchOf(f, MODEL_ID, f.node, batch.root)).to.deep.equal(stored);
    });

    it("files a root copied by another node under that node, leaving the first node's batch as it was", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await anchorBatch(connection, f, batch.records);
      const original = await batchOf(f, MODEL_ID, f.node, batch.root);
      await time.increase(10);
      // The squatter declares a narrower range and anchors later: under its own key only.
      const squat = await anchorBatch(connection, f, batch.records, {
        operator: f.secondNode,
        first: batch.lastServedAt,
        last: batch.lastServedAt,
      });
      expect(await batchOf(f, MODEL_ID, f.node, batch.root)).to.deep.equal(original);
      expect(await batchOf(f, MODEL_ID, f.secondNode, batch.root)).to.deep.equal({
        count: 1n,
        firstServedAt: BigInt(batch.lastServedAt),
        lastServedAt: BigInt(batch.lastServedAt),
        anchoredAt: squat.anchoredAt,
        disputeCount: 0n,
      });
    });

    it("accepts the same root from the same node for another model, as a separate batch", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await (
        await f.anchor.connect(f.governor).setOperator(OTHER_MODEL_ID, f.node.address, true)
      ).wait();
      const mine = await anchorBatch(connection, f, batch.records);
      const theirs = await anchorBatch(connection, f, batch.records, { modelId: OTHER_MODEL_ID });
      const [a, b] = [
        await batchOf(f, MODEL_ID, f.node, batch.root),
        await batchOf(f, OTHER_MODEL_ID, f.node, batch.root),
      ];
      expect([a.anchoredAt, b.anchoredAt]).to.deep.equal([mine.anchoredAt, theirs.anchoredAt]);
    });

    it("rejects a range whose first time is after its last, and accepts a range of one second", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      const t = BigInt(batch.firstServedAt);
      await expect(f.anchor.connect(f.node).anchor(MODEL_ID, batch.root, 1, t + 1n, t, FILE_REF))
        .to.be.revertedWithCustomError(f.anchor, "AnchorReversedRange")
        .withArgs(t + 1n, t);
      expect(await batchOf(f, MODEL_ID, f.node, batch.root)).to.deep.equal(NO_BATCH);
      await expect(
        f.anchor.connect(f.node).anchor(MODEL_ID, batch.root, 1, t, t, FILE_REF),
      ).to.emit(f.anchor, "BatchAnchored");
    });

    it("rejects a last served time that is not strictly before the anchoring block's time", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      const first = BigInt(batch.firstServedAt);
      const base = (await now()) + 10n;
      // [anchoring time, lastServedAt]: one second after, then the anchoring second itself.
      for (const [at, last] of [
        [base, base + 1n],
        [base + 1n, base + 1n],
      ]) {
        await time.setNextBlockTimestamp(at);
        await expect(
          f.anchor.connect(f.node).anchor(MODEL_ID, batch.root, 1, first, last, FILE_REF),
        )
          .to.be.revertedWithCustomError(f.anchor, "AnchorServedInFuture")
          .withArgs(last, at);
        expect(await batchOf(f, MODEL_ID, f.node, batch.root)).to.deep.equal(NO_BATCH);
      }
      const at = base + 2n;
      await time.setNextBlockTimestamp(at);
      await expect(
        f.anchor.connect(f.node).anchor(MODEL_ID, batch.root, 1, first, at - 1n, FILE_REF),
      )
        .to.emit(f.anchor, "BatchAnchored")
        .withArgs(MODEL_ID, batch.root, f.node.address, 1, first, at - 1n, FILE_REF);
    });

    it("rejects a first served time older than maxAnchorDelay, and accepts it exactly at the bound", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      const delay = await f.anchor.maxAnchorDelay();
      const at = (await now()) + 10n;
      const last = at - 1n;
      await time.setNextBlockTimestamp(at);
      await expect(
        f.anchor.connect(f.node).anchor(MODEL_ID, batch.root, 1, at - delay - 1n, last, FILE_REF),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorTooLate")
        .withArgs(at - delay - 1n, at - delay);
      expect(await batchOf(f, MODEL_ID, f.node, batch.root)).to.deep.equal(NO_BATCH);
      const atNext = at + 1n;
      await time.setNextBlockTimestamp(atNext);
      await expect(
        f.anchor.connect(f.node).anchor(MODEL_ID, batch.root, 1, atNext - delay, last, FILE_REF),
      ).to.emit(f.anchor, "BatchAnchored");
      expect((await batchOf(f, MODEL_ID, f.node, batch.root)).firstServedAt).to.equal(
        atNext - delay,
      );
    });

    it("applies a new maxAnchorDelay to the next batch", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      const shorter = await f.anchor.MIN_ANCHOR_DELAY();
      await (await f.anchor.connect(f.governor).setMaxAnchorDelay(shorter)).wait();
      const at = (await now()) + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(
        f.anchor
          .connect(f.node)
          .anchor(MODEL_ID, batch.root, 1, at - shorter - 1n, at - 1n, FILE_REF),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorTooLate")
        .withArgs(at - shorter - 1n, at - shorter);
    });

    it("accepts batches while the model is paused", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await (await f.registry.connect(f.guardian).pause(MODEL_ID)).wait();
      expect((await f.registry.live(MODEL_ID)).paused).to.equal(true);
      const { anchoredAt } = await anchorBatch(connection, f, batch.records);
      expect((await batchOf(f, MODEL_ID, f.node, batch.root)).anchoredAt).to.equal(anchoredAt);
    });

    it("accepts batches of records that claim Faulty or Withdrawn versions", async function () {
      const f = await loadFixture();
      await time.increase(60);
      const t = await now();
      await rollbackTo(f.registry, f.guardian, MODEL_ID, 1, Disposition.Faulty);
      await (
        await f.registry
          .connect(f.guardian)
          .revoke(MODEL_ID, 3, Disposition.Withdrawn, REASON_HASH, REASON_URI)
      ).wait();
      expect([
        await f.registry.versionStatus(MODEL_ID, 2),
        await f.registry.versionStatus(MODEL_ID, 3),
      ]).to.deep.equal([VersionStatus.Faulty, VersionStatus.Withdrawn]);
      const records = [makeRecord(f, t - 10n), makeRecord(f, t - 5n, { version: 3 })];
      const { batch, anchoredAt } = await anchorBatch(connection, f, records);
      expect((await batchOf(f, MODEL_ID, f.node, batch.root)).anchoredAt).to.equal(anchoredAt);
    });
  });

  describe("setOperator", function () {
    it("allows and disallows an operator per model and emits OperatorSet", async function () {
      const f = await loadFixture();
      const account = f.stranger.address;
      await expect(f.anchor.connect(f.governor).setOperator(MODEL_ID, account, true))
        .to.emit(f.anchor, "OperatorSet")
        .withArgs(MODEL_ID, account, true);
      expect(await f.anchor.isOperator(MODEL_ID, account)).to.equal(true);
      expect(await f.anchor.isOperator(OTHER_MODEL_ID, account)).to.equal(false);
      await expect(f.anchor.connect(f.governor).setOperator(OTHER_MODEL_ID, account, true))
        .to.emit(f.anchor, "OperatorSet")
        .withArgs(OTHER_MODEL_ID, account, true);
      await expect(f.anchor.connect(f.governor).setOperator(MODEL_ID, account, false))
        .to.emit(f.anchor, "OperatorSet")
        .withArgs(MODEL_ID, account, false);
      expect(await f.anchor.isOperator(MODEL_ID, account)).to.equal(false);
      expect(await f.anchor.isOperator(OTHER_MODEL_ID, account)).to.equal(true);
    });

    it("rejects the zero address and an unknown model", async function () {
      const f = await loadFixture();
      await expect(
        f.anchor.connect(f.governor).setOperator(MODEL_ID, ZeroAddress, true),
      ).to.be.revertedWithCustomError(f.anchor, "AnchorZeroAddress");
      expect(await f.anchor.isOperator(MODEL_ID, ZeroAddress)).to.equal(false);
      await expect(
        f.anchor.connect(f.governor).setOperator(UNKNOWN_MODEL_ID, f.stranger.address, true),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownModel")
        .withArgs(UNKNOWN_MODEL_ID);
      expect(await f.anchor.isOperator(UNKNOWN_MODEL_ID, f.stranger.address)).to.equal(false);
    });
  });

  describe("setMaxAnchorDelay", function () {
    it("sets a bound within the limits, both limits included, and emits MaxAnchorDelaySet", async function () {
      const f = await loadFixture();
      const [min, max] = [await f.anchor.MIN_ANCHOR_DELAY(), await f.anchor.MAX_ANCHOR_DELAY()];
      let previous = await f.anchor.maxAnchorDelay();
      for (const value of [min, max, (min + max) / 2n]) {
        await expect(f.anchor.connect(f.governor).setMaxAnchorDelay(value))
          .to.emit(f.anchor, "MaxAnchorDelaySet")
          .withArgs(previous, value);
        expect(await f.anchor.maxAnchorDelay()).to.equal(value);
        previous = value;
      }
    });

    it("rejects a bound outside the limits and keeps the current one", async function () {
      const f = await loadFixture();
      const [min, max] = [await f.anchor.MIN_ANCHOR_DELAY(), await f.anchor.MAX_ANCHOR_DELAY()];
      for (const value of [0n, min - 1n, max + 1n, 2n ** 32n - 1n]) {
        await expect(f.anchor.connect(f.governor).setMaxAnchorDelay(value))
          .to.be.revertedWithCustomError(f.anchor, "AnchorInvalidPeriod")
          .withArgs(value, min, max);
      }
      expect(await f.anchor.maxAnchorDelay()).to.equal(MAX_ANCHOR_DELAY);
    });
  });

  describe("enclave keys", function () {
    it("registers a key for a node and emits EnclaveKeyRegistered with the governor", async function () {
      const f = await loadFixture();
      const key = Wallet.createRandom().address;
      const tx = f.anchor.connect(f.governor).registerEnclaveKey(key, f.secondNode.address);
      await expect(tx)
        .to.emit(f.anchor, "EnclaveKeyRegistered")
        .withArgs(key, f.secondNode.address, f.governor.address);
      const at = await minedAt(tx);
      const k = await f.anchor.enclaveKey(key);
      expect([k.node, k.registeredAt, k.revokedAt]).to.deep.equal([f.secondNode.address, at, 0n]);
      const fixtureKey = await f.anchor.enclaveKey(f.enclave.address);
      expect([fixtureKey.node, fixtureKey.registeredAt]).to.deep.equal([
        f.node.address,
        f.enclaveRegisteredAt,
      ]);
    });

    it("rejects a zero key or a zero node", async function () {
      const f = await loadFixture();
      const key = Wallet.createRandom().address;
      for (const [k, n] of [
        [ZeroAddress, f.node.address],
        [key, ZeroAddress],
      ]) {
        await expect(
          f.anchor.connect(f.governor).registerEnclaveKey(k, n),
        ).to.be.revertedWithCustomError(f.anchor, "AnchorZeroAddress");
      }
      expect((await f.anchor.enclaveKey(key)).registeredAt).to.equal(0n);
    });

    it("never registers a key again, for any node, even after its revocation", async function () {
      const f = await loadFixture();
      const before = await f.anchor.enclaveKey(f.enclave.address);
      for (const node of [f.node.address, f.secondNode.address]) {
        await expect(f.anchor.connect(f.governor).registerEnclaveKey(f.enclave.address, node))
          .to.be.revertedWithCustomError(f.anchor, "AnchorEnclaveKeyExists")
          .withArgs(f.enclave.address, f.node.address);
      }
      await (
        await f.anchor.connect(f.guardian).revokeEnclaveKey(f.enclave.address, REASON_HASH)
      ).wait();
      const revoked = await f.anchor.enclaveKey(f.enclave.address);
      for (const node of [f.node.address, f.secondNode.address]) {
        await expect(f.anchor.connect(f.governor).registerEnclaveKey(f.enclave.address, node))
          .to.be.revertedWithCustomError(f.anchor, "AnchorEnclaveKeyExists")
          .withArgs(f.enclave.address, f.node.address);
      }
      const after = await f.anchor.enclaveKey(f.enclave.address);
      expect([after.node, after.registeredAt, after.revokedAt]).to.deep.equal([
        before.node,
        before.registeredAt,
        revoked.revokedAt,
      ]);
    });

    it("revokes a key, records when, and emits EnclaveKeyRevoked with the guardian and reason", async function () {
      const f = await loadFixture();
      const tx = f.anchor.connect(f.guardian).revokeEnclaveKey(f.enclave.address, REASON_HASH);
      await expect(tx)
        .to.emit(f.anchor, "EnclaveKeyRevoked")
        .withArgs(f.enclave.address, f.node.address, f.guardian.address, REASON_HASH);
      const at = await minedAt(tx);
      const k = await f.anchor.enclaveKey(f.enclave.address);
      expect([k.node, k.registeredAt, k.revokedAt]).to.deep.equal([
        f.node.address,
        f.enclaveRegisteredAt,
        at,
      ]);
    });

    it("rejects revoking an unknown key, or a key twice", async function () {
      const f = await loadFixture();
      const unknown = Wallet.createRandom().address;
      await expect(f.anchor.connect(f.guardian).revokeEnclaveKey(unknown, REASON_HASH))
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownEnclaveKey")
        .withArgs(unknown);
      const at = await minedAt(
        f.anchor.connect(f.guardian).revokeEnclaveKey(f.enclave.address, REASON_HASH),
      );
      await time.increase(60);
      await expect(f.anchor.connect(f.guardian).revokeEnclaveKey(f.enclave.address, id("again")))
        .to.be.revertedWithCustomError(f.anchor, "AnchorEnclaveKeyRevoked")
        .withArgs(f.enclave.address, at);
      expect((await f.anchor.enclaveKey(f.enclave.address)).revokedAt).to.equal(at);
    });
  });

  describe("disputeBatch", function () {
    it("rejects a batch that the node did not anchor for the model", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await anchorBatch(connection, f, batch.records);
      const cases: Array<[string, string, string]> = [
        [MODEL_ID, f.secondNode.address, batch.root], // anchored by another node only
        [OTHER_MODEL_ID, f.node.address, batch.root], // anchored for another model only
        [MODEL_ID, f.node.address, ZeroHash],
        [UNKNOWN_MODEL_ID, f.node.address, batch.root],
      ];
      for (const [modelId, node, root] of cases) {
        await expect(
          f.anchor.connect(f.guardian).disputeBatch(modelId, node, root, REASON_HASH, REASON_URI),
        )
          .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownBatch")
          .withArgs(modelId, node, root);
      }
      expect(await disputesOf(f, f.node, batch.root, 0, 10)).to.deep.equal([]);
    });

    it("appends disputes in order with their index, emits BatchDisputed and counts them in the batch", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await anchorBatch(connection, f, batch.records);
      const stored = await batchOf(f, MODEL_ID, f.node, batch.root);
      const reasons = [
        [REASON_HASH, REASON_URI],
        [id("second report"), "ipfs://second"],
        [id("third report"), ""],
      ];
      const expectedDisputes: DisputeRecord[] = [];
      const guardian = f.anchor.connect(f.guardian);
      for (const [i, [hash, uri]] of reasons.entries()) {
        expect(
          await guardian.disputeBatch.staticCall(MODEL_ID, f.node.address, batch.root, hash, uri),
        ).to.equal(BigInt(i));
        const tx = guardian.disputeBatch(MODEL_ID, f.node.address, batch.root, hash, uri);
        await expect(tx)
          .to.emit(f.anchor, "BatchDisputed")
          .withArgs(MODEL_ID, batch.root, f.node.address, i, f.guardian.address, hash, uri);
        expectedDisputes.push({
          by: f.guardian.address,
          at: await minedAt(tx),
          reasonHash: hash,
          reasonURI: uri,
        });
      }
      expect(await batchOf(f, MODEL_ID, f.node, batch.root)).to.deep.equal({
        ...stored,
        disputeCount: BigInt(reasons.length),
      });
      expect(await disputesOf(f, f.node, batch.root, 0, MaxUint256)).to.deep.equal(
        expectedDisputes,
      );
    });

    it("pages disputes by offset and limit, clipping at the end", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await anchorBatch(connection, f, batch.records);
      for (let i = 0; i < 4; i++) {
        await (
          await f.anchor
            .connect(f.guardian)
            .disputeBatch(MODEL_ID, f.node.address, batch.root, id(`r${i}`), `u${i}`)
        ).wait();
      }
      const all = await disputesOf(f, f.node, batch.root, 0, 100);
      expect(all.map((d) => d.reasonURI)).to.deep.equal(["u0", "u1", "u2", "u3"]);
      const pages: Array<[bigint, bigint]> = [
        [0n, 2n],
        [1n, 2n],
        [3n, 5n],
        [4n, 1n],
        [9n, 1n],
        [2n, 0n],
        [MaxUint256, MaxUint256],
      ];
      for (const [offset, limit] of pages) {
        const n = BigInt(all.length);
        const start = offset < n ? offset : n;
        const end = start + (limit < n - start ? limit : n - start);
        expect(
          await disputesOf(f, f.node, batch.root, offset, limit),
          `${offset}, ${limit}`,
        ).to.deep.equal(all.slice(Number(start), Number(end)));
      }
    });

    it("makes verification report BatchDisputed for a record of the disputed batch", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await anchorBatch(connection, f, batch.records);
      const verify = async () => [
        ...(await f.anchor.verifyRecord(MODEL_ID, batch.root, batch.records[0], batch.proof(0))),
      ];
      expect(await verify()).to.deep.equal(expected());
      await (
        await f.anchor
          .connect(f.guardian)
          .disputeBatch(MODEL_ID, f.node.address, batch.root, REASON_HASH, REASON_URI)
      ).wait();
      expect(await verify()).to.deep.equal(expected("BatchDisputed"));
    });
  });

  describe("access control", function () {
    it("rejects every restricted function from every account without its role", async function () {
      const f = await loadFixture();
      const batch = await pendingBatch(f);
      await anchorBatch(connection, f, batch.records);
      const [deployer] = await ethers.getSigners();
      const args: Record<keyof typeof INFERENCE_ANCHOR_FUNCTION_ROLES, unknown[]> = {
        setOperator: [MODEL_ID, f.stranger.address, true],
        setMaxAnchorDelay: [await f.anchor.MIN_ANCHOR_DELAY()],
        registerEnclaveKey: [Wallet.createRandom().address, f.node.address],
        revokeEnclaveKey: [f.enclave.address, REASON_HASH],
        disputeBatch: [MODEL_ID, f.node.address, batch.root, REASON_HASH, REASON_URI],
      };
      const holders = { GOVERNOR: [f.governor], GUARDIAN: [f.guardian] };
      const everyone = [
        deployer,
        f.admin,
        f.governor,
        f.guardian,
        f.publisher,
        f.otherPublisher,
        f.stranger,
        f.node,
        f.secondNode,
        f.otherNode,
      ];
      let checked = 0;
      for (const [name, role] of Object.entries(INFERENCE_ANCHOR_FUNCTION_ROLES) as Array<
        [keyof typeof INFERENCE_ANCHOR_FUNCTION_ROLES, keyof typeof holders]
      >) {
        for (const account of everyone.filter((a) => !holders[role].includes(a))) {
          await expect(
            f.anchor.connect(account).getFunction(name)(...args[name]),
            `${name} by ${account.address}`,
          )
            .to.be.revertedWithCustomError(f.anchor, "AccessManagedUnauthorized")
            .withArgs(account.address);
          checked++;
        }
      }
      expect(checked).to.equal(
        Object.keys(INFERENCE_ANCHOR_FUNCTION_ROLES).length * (everyone.length - 1),
      );
      // Nothing changed.
      expect(await f.anchor.isOperator(MODEL_ID, f.stranger.address)).to.equal(false);
      expect(await f.anchor.maxAnchorDelay()).to.equal(MAX_ANCHOR_DELAY);
      expect((await f.anchor.enclaveKey(f.enclave.address)).revokedAt).to.equal(0n);
      expect((await batchOf(f, MODEL_ID, f.node, batch.root)).disputeCount).to.equal(0n);
    });
  });
});
