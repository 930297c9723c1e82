import { expect } from "chai";
import { ZeroAddress, id } from "ethers";
import { network } from "hardhat";

import type { InferenceRecord } from "../src/records/record.js";
import {
  AMOUNT,
  Disposition,
  HOLD_PERIOD,
  MODEL_ID,
  OTHER_MODEL_ID,
  Path,
  REASON_HASH,
  REASON_URI,
  RefundReason,
  SettlementState,
  anchorLater,
  anchorRecords,
  blobOf,
  deploySettlement,
  flagsOf,
  nextRequestId,
  pauseModel,
  recordFor,
  resumeModel,
  revokeVersion,
  rollbackTo,
  servedAfter,
  settle,
  settlementIdOf,
  type Batch,
  type Settlement,
  type SettlementFixture,
  type StandingName,
} from "./helpers/settlement-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

interface ChallengeFixture extends SettlementFixture {
  /** The payer's settlement of one request under v2 (epoch 2), right after the fixture. */
  s: Settlement;
}

/** deploySettlement, and one settlement under v2. */
async function settledFixture(): Promise<ChallengeFixture> {
  const f = await deploySettlement(connection);
  return { ...f, s: await settle(f, { version: 2, epoch: 2 }) };
}

function load(): Promise<ChallengeFixture> {
  return networkHelpers.loadFixture(settledFixture);
}

/** The payer challenges its settlement with record `index` of `batch`, to `to`. */
function challenge(f: ChallengeFixture, batch: Batch, index = 0, to = f.payer.address) {
  return f.settlement
    .connect(f.payer)
    .challenge(f.s.details, batch.root, batch.records[index], batch.proof(index), to);
}

/** Expects a challenge to refund AMOUNT to `to` with reason Challenge and `flags`. */
async function expectChallengeRefund(
  f: ChallengeFixture,
  batch: Batch,
  flags: bigint,
  to = f.payer.address,
): Promise<void> {
  const tx = challenge(f, batch, 0, to);
  await expect(tx).to.changeTokenBalances(
    ethers,
    f.token,
    [f.settlement, to, f.payee.address],
    [-AMOUNT, AMOUNT, 0n],
  );
  await expect(tx)
    .to.emit(f.settlement, "Refunded")
    .withArgs(f.s.id, f.payer.address, to, AMOUNT, RefundReason.Challenge, flags);
  expect(await f.settlement.stateOf(f.s.id)).to.equal(SettlementState.Refunded);
}

describe("InferenceSettlement: challenge", function () {
  describe("with a non-conforming anchored record", function () {
    it("refunds the payer for a stale node's record of v1 served after v2 went live (NotLive)", async function () {
      const f = await load();
      const batch = await anchorLater(f, [
        servedAfter(f.s, 10n, { version: 1, blobId: blobOf(MODEL_ID, 1) }),
      ]);
      await expectChallengeRefund(f, batch, flagsOf("NotLive"));
    });

    it("refunds the payer for a record of the paid version served before it went live (NotLive)", async function () {
      const f = await load();
      const batch = await anchorRecords(f, [recordFor(f.s.details, f.v2LiveAt - 1n)]);
      await expectChallengeRefund(f, batch, flagsOf("NotLive"));
    });

    it("refunds the payer for a record served before the payment, although it conforms otherwise", async function () {
      const f = await load();
      const record = servedAfter(f.s, -1n);
      const batch = await anchorLater(f, [record]);
      const [included, flags] = await f.anchor.verifyRecord(
        MODEL_ID,
        batch.root,
        record,
        batch.proof(0),
      );
      expect([included, flags]).to.deep.equal([true, 0n]);
      await expectChallengeRefund(f, batch, 0n);
    });

    const cases: Array<[string, Partial<InferenceRecord>, StandingName[]]> = [
      [
        "the weights of another version (WrongBlob)",
        { blobId: blobOf(MODEL_ID, 1) },
        ["WrongBlob"],
      ],
      [
        "a proof path the version does not allow (ProofPathNotAllowed)",
        { proofPath: Path.OPTIMISTIC },
        ["ProofPathNotAllowed"],
      ],
      ["an unknown record format (UnknownFormat)", { format: 2 }, ["UnknownFormat"]],
      [
        "a version never registered (UnknownVersion, NotLive)",
        { version: 9, blobId: blobOf(MODEL_ID, 9) },
        ["UnknownVersion", "NotLive"],
      ],
    ];
    for (const [what, overrides, standings] of cases) {
      it(`refunds the payer for a record with ${what}`, async function () {
        const f = await load();
        const batch = await anchorLater(f, [servedAfter(f.s, 10n, overrides)]);
        await expectChallengeRefund(f, batch, flagsOf(...standings));
      });
    }

    it("refunds the payer for a record outside its batch's declared range (OutsideBatchRange)", async function () {
      const f = await load();
      const record = servedAfter(f.s, 10n);
      await time.increase(60);
      const batch = await anchorRecords(f, [record], {
        first: record.servedAt + 1,
        last: record.servedAt + 20,
      });
      await expectChallengeRefund(f, batch, flagsOf("OutsideBatchRange"));
    });

    it("refunds the payer for a record whose bound window a rollback closed before anchoring (Unconfirmable)", async function () {
      const f = await load();
      const record = servedAfter(f.s, 10n);
      await time.increase(60);
      await rollbackTo(f, 1, Disposition.Withdrawn); // ends epoch 2 by Rollback
      const batch = await anchorRecords(f, [record]);
      await expectChallengeRefund(f, batch, flagsOf("Unconfirmable", "VersionWithdrawn"));
    });

    it("refunds the payer for a stale node's record of the paid version served after its rollback (NotLive)", async function () {
      const f = await load();
      const rolledBackAt = await rollbackTo(f, 1, Disposition.Withdrawn);
      const batch = await anchorLater(f, [recordFor(f.s.details, rolledBackAt + 10n)]);
      // Withdrawn before it was served: VersionWithdrawn speaks of records served up to the marking.
      await expectChallengeRefund(f, batch, flagsOf("NotLive"));
    });

    it("refunds the payer for an Unconfirmable record when the version was revoked", async function () {
      const f = await load();
      const record = servedAfter(f.s, 10n);
      await time.increase(60);
      await revokeVersion(f, 2, Disposition.Withdrawn); // ends epoch 2 by Revoke
      const batch = await anchorRecords(f, [record]);
      await expectChallengeRefund(f, batch, flagsOf("Unconfirmable", "VersionWithdrawn"));
    });

    it("refunds the payer for a conforming record of another version than it paid for, with the record's flags", async function () {
      const f = await load();
      const rolledBackAt = await rollbackTo(f, 1, Disposition.Withdrawn); // v1 live, epoch 3
      const record = recordFor(f.s.details, rolledBackAt + 10n, {
        version: 1,
        blobId: blobOf(MODEL_ID, 1),
      });
      const batch = await anchorLater(f, [record]);
      const [included, flags] = await f.anchor.verifyRecord(
        MODEL_ID,
        batch.root,
        record,
        batch.proof(0),
      );
      expect([included, flags]).to.deep.equal([true, 0n]);
      await expectChallengeRefund(f, batch, 0n);
    });

    it("sends the refund to the address the payer chooses", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { proofPath: Path.OPTIMISTIC })]);
      await expectChallengeRefund(f, batch, flagsOf("ProofPathNotAllowed"), f.recipient.address);
    });

    it("accepts a challenge one second before releaseAt", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { blobId: blobOf(MODEL_ID, 3) })]);
      await time.setNextBlockTimestamp(f.s.details.releaseAt - 1n);
      await expectChallengeRefund(f, batch, flagsOf("WrongBlob"));
    });

    it("counts a challenge refund in the volume of the settlement's epoch", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { format: 2 })]);
      await (await challenge(f, batch)).wait();
      const v = await f.settlement.volume(MODEL_ID, 2, await f.token.getAddress());
      expect([v.settledCount, v.settledAmount, v.refundedCount, v.refundedAmount]).to.deep.equal([
        1n,
        AMOUNT,
        1n,
        AMOUNT,
      ]);
    });
  });

  describe("cannot be won by closing the window before the node anchors", function () {
    it("does not count Unconfirmable when a routine pause closed the bound window: the payer got the version it paid for", async function () {
      const f = await load();
      const record = servedAfter(f.s, 10n);
      await time.increase(60);
      await pauseModel(f); // closes v2's epoch 2 by Pause
      await resumeModel(f); // v2 again, in epoch 3
      const batch = await anchorRecords(f, [record]);
      await expect(challenge(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
        .withArgs(f.s.id, flagsOf("Unconfirmable"));
    });

    it("does not let a payer front-run the node's anchor with the permissionless activate of a due promotion", async function () {
      const f = await deploySettlement(connection);
      // v3 proposed and due: anyone may activate it.
      await (await f.registry.connect(f.governor).propose(MODEL_ID, 3)).wait();
      const { earliestActivation } = await f.registry.pendingProposal(MODEL_ID);
      await time.increaseTo(earliestActivation);
      const s = await settle(f, { version: 2 });
      const honest = recordFor(s.details, s.details.settledAt + 1n); // served before the promotion
      await time.increase(5);
      await (await f.registry.connect(f.payer).activate(MODEL_ID)).wait(); // the payer's front-run
      // The node serves what it was paid for (v2) once more after the promotion, then anchors.
      const late = recordFor(s.details, s.details.settledAt + 30n);
      await time.increase(60);
      const batch = await anchorRecords(f, [honest, late]);
      const challengeWith = (i: number) =>
        f.settlement
          .connect(f.payer)
          .challenge(s.details, batch.root, batch.records[i], batch.proof(i), f.payer.address);
      await expect(challengeWith(0))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
        .withArgs(s.id, flagsOf("Unconfirmable"));
      await expect(challengeWith(1))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
        .withArgs(s.id, flagsOf("NotLive"));
      await time.increaseTo(s.details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(s.details, f.payee.address))
        .to.emit(f.settlement, "Claimed")
        .withArgs(s.id, f.payee.address, f.payee.address, AMOUNT);
    });
  });

  describe("reverts", function () {
    it("with SettlementRecordConforms for a conforming record of the paid version served from settledAt on", async function () {
      const f = await load();
      for (const after of [0n, 10n]) {
        const batch = await anchorLater(f, [servedAfter(f.s, after)]);
        await expect(challenge(f, batch))
          .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
          .withArgs(f.s.id, 0n);
      }
    });

    it("with SettlementRecordConforms when the only flags are VersionFaulty, VersionWithdrawn or BatchDisputed", async function () {
      const f = await load();
      // Anchored while v2 was live: conforming then.
      const batch = await anchorLater(f, [servedAfter(f.s, 10n)]);
      await (
        await f.anchor
          .connect(f.guardian)
          .disputeBatch(MODEL_ID, f.node.address, batch.root, REASON_HASH, REASON_URI)
      ).wait();
      await expect(challenge(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
        .withArgs(f.s.id, flagsOf("BatchDisputed"));
      await rollbackTo(f, 1, Disposition.Withdrawn);
      await expect(challenge(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
        .withArgs(f.s.id, flagsOf("VersionWithdrawn", "BatchDisputed"));
    });

    it("with SettlementRecordConforms for a VersionFaulty record, whose payer is refunded through refund instead", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n)]);
      await rollbackTo(f, 1, Disposition.Faulty);
      await expect(challenge(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordConforms")
        .withArgs(f.s.id, flagsOf("VersionFaulty"));
      await expect(f.settlement.connect(f.payer).refund(f.s.details, f.payer.address))
        .to.emit(f.settlement, "Refunded")
        .withArgs(f.s.id, f.payer.address, f.payer.address, AMOUNT, RefundReason.VersionFaulty, 0n);
    });

    it("with SettlementRecordNotIncluded for a record the proof does not put in the batch", async function () {
      const f = await load();
      const included = servedAfter(f.s, 10n, { version: 1, blobId: blobOf(MODEL_ID, 1) });
      const sibling = servedAfter(f.s, 11n);
      const batch = await anchorLater(f, [included, sibling]);
      const altered = { ...included, outputHash: id("another output") };
      await expect(
        f.settlement
          .connect(f.payer)
          .challenge(f.s.details, batch.root, altered, batch.proof(0), f.payer.address),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotIncluded")
        .withArgs(f.s.id, batch.root);
      await expect(
        f.settlement
          .connect(f.payer)
          .challenge(f.s.details, batch.root, included, batch.proof(1), f.payer.address),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotIncluded")
        .withArgs(f.s.id, batch.root);
    });

    it("with the anchor's AnchorUnknownBatch for a root the record's node never anchored", async function () {
      const f = await load();
      const record = servedAfter(f.s, 10n, { format: 2 });
      const root = id("never anchored");
      await expect(
        f.settlement.connect(f.payer).challenge(f.s.details, root, record, [], f.payer.address),
      )
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnknownBatch")
        .withArgs(MODEL_ID, f.node.address, root);
    });

    it("with SettlementRecordMismatch for an anchored record of another request, agent or model", async function () {
      const f = await load();
      const wrongBlob = { blobId: blobOf(MODEL_ID, 1) };
      const records = [
        servedAfter(f.s, 10n, { ...wrongBlob, requestId: nextRequestId() }),
        servedAfter(f.s, 10n, { ...wrongBlob, agent: f.otherPayer.address }),
        servedAfter(f.s, 10n, { ...wrongBlob, modelId: OTHER_MODEL_ID }),
      ];
      const batch = await anchorLater(f, records);
      for (const index of records.keys()) {
        await expect(challenge(f, batch, index))
          .to.be.revertedWithCustomError(f.settlement, "SettlementRecordMismatch")
          .withArgs(f.s.id);
      }
    });

    it("with SettlementRecordMismatch for another node's non-conforming record of the request, which cannot cost the payee", async function () {
      const f = await load();
      const record = servedAfter(f.s, 10n, { node: f.otherNode.address, format: 2 });
      await time.increase(60);
      const batch = await anchorRecords(f, [record], { node: f.otherNode });
      const [included, flags] = await f.anchor.verifyRecord(
        MODEL_ID,
        batch.root,
        record,
        batch.proof(0),
      );
      expect([included, flags]).to.deep.equal([true, flagsOf("UnknownFormat")]);
      await expect(challenge(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordMismatch")
        .withArgs(f.s.id);
      expect(await f.settlement.stateOf(f.s.id)).to.equal(SettlementState.Open);
    });

    it("with SettlementRecordMismatch when the squatter of a request id challenges with the payer's record", async function () {
      const f = await load();
      const squat = await settle(f, { payer: f.otherPayer, requestId: f.s.details.requestId });
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { format: 2 })]);
      await expect(
        f.settlement
          .connect(f.otherPayer)
          .challenge(
            squat.details,
            batch.root,
            batch.records[0],
            batch.proof(0),
            f.otherPayer.address,
          ),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordMismatch")
        .withArgs(squat.id);
    });

    it("with SettlementChallengeClosed from releaseAt on", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { format: 2 })]);
      await time.setNextBlockTimestamp(f.s.details.releaseAt);
      await expect(challenge(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementChallengeClosed")
        .withArgs(f.s.id, f.s.details.releaseAt);
      await time.increaseTo(f.s.details.releaseAt + HOLD_PERIOD);
      await expect(challenge(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementChallengeClosed")
        .withArgs(f.s.id, f.s.details.releaseAt);
    });

    it("with SettlementChallengeClosed at once under a zero hold period", async function () {
      const f = await load();
      await (await f.settlement.connect(f.governor).setHoldPeriod(0)).wait();
      const s = await settle(f);
      const record = recordFor(s.details, s.details.settledAt, { format: 2 });
      const batch = await anchorLater(f, [record]);
      await expect(
        f.settlement
          .connect(f.payer)
          .challenge(s.details, batch.root, record, batch.proof(0), f.payer.address),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementChallengeClosed")
        .withArgs(s.id, s.details.settledAt);
    });

    it("with SettlementUnauthorized for anyone but the payer", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { format: 2 })]);
      for (const caller of [f.payee, f.recipient, f.otherNode, f.stranger]) {
        await expect(
          f.settlement
            .connect(caller)
            .challenge(f.s.details, batch.root, batch.records[0], batch.proof(0), caller.address),
        )
          .to.be.revertedWithCustomError(f.settlement, "SettlementUnauthorized")
          .withArgs(f.s.id, caller.address);
      }
    });

    it("with SettlementZeroArgument for a zero recipient", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { format: 2 })]);
      await expect(challenge(f, batch, 0, ZeroAddress)).to.be.revertedWithCustomError(
        f.settlement,
        "SettlementZeroArgument",
      );
    });

    it("with SettlementUnknown for tampered details", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { format: 2 })]);
      // A later releaseAt would reopen the challenge window if it were accepted.
      const tampered = { ...f.s.details, releaseAt: f.s.details.releaseAt + HOLD_PERIOD };
      await expect(
        f.settlement
          .connect(f.payer)
          .challenge(tampered, batch.root, batch.records[0], batch.proof(0), f.payer.address),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknown")
        .withArgs(f.s.id);
      const unknown = { ...f.s.details, requestId: nextRequestId() };
      await expect(
        f.settlement
          .connect(f.payer)
          .challenge(unknown, batch.root, batch.records[0], batch.proof(0), f.payer.address),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknown")
        .withArgs(settlementIdOf(f.payer.address, unknown.requestId));
    });

    it("with SettlementNotOpen after a challenge refund, for a second challenge, a refund or a claim", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { format: 2 })]);
      await (await challenge(f, batch)).wait();
      await expect(challenge(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(f.s.id, SettlementState.Refunded);
      await rollbackTo(f, 1, Disposition.Faulty);
      await expect(f.settlement.connect(f.payer).refund(f.s.details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(f.s.id, SettlementState.Refunded);
      await time.increaseTo(f.s.details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(f.s.details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(f.s.id, SettlementState.Refunded);
    });

    it("with SettlementNotOpen after a Faulty refund", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { format: 2 })]);
      await rollbackTo(f, 1, Disposition.Faulty);
      await (await f.settlement.connect(f.payer).refund(f.s.details, f.payer.address)).wait();
      await expect(challenge(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(f.s.id, SettlementState.Refunded);
    });
  });
});
