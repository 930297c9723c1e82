import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";

import {
  AMOUNT,
  Disposition,
  HOLD_PERIOD,
  MODEL_ID,
  RefundReason,
  SettlementState,
  anchorLater,
  anchorRecords,
  blobOf,
  deploySettlement,
  flagsOf,
  pauseModel,
  recordFor,
  resumeModel,
  rollbackTo,
  servedAfter,
  settle,
  type Batch,
  type Settlement,
  type SettlementFixture,
} from "./helpers/settlement-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

interface ContestFixture extends SettlementFixture {
  /** The payer's settlement of one request under v2 (epoch 2), contested right after. */
  s: Settlement;
  /** releaseAt + the hold period: until when the payee may prove its service. */
  deadline: bigint;
}

/** deploySettlement, one settlement under v2, contested by its payer. */
async function contestedFixture(): Promise<ContestFixture> {
  const f = await deploySettlement(connection);
  const s = await settle(f, { version: 2, epoch: 2 });
  await (await f.settlement.connect(f.payer).contest(s.details)).wait();
  return { ...f, s, deadline: s.details.releaseAt + HOLD_PERIOD };
}

function load(): Promise<ContestFixture> {
  return networkHelpers.loadFixture(contestedFixture);
}

/** The payee proves its service with record `index` of `batch`. */
function prove(f: ContestFixture, batch: Batch, index = 0, s: Settlement = f.s) {
  return f.settlement
    .connect(f.payee)
    .prove(s.details, batch.root, batch.records[index], batch.proof(index));
}

/** The payee claims, to itself. */
function claim(f: ContestFixture, s: Settlement = f.s) {
  return f.settlement.connect(f.payee).claim(s.details, f.payee.address);
}

describe("InferenceSettlement: contest", function () {
  describe("contest", function () {
    it("marks the settlement Contested and emits Contested with the proof deadline one hold period after release", async function () {
      const f = await deploySettlement(connection);
      const s = await settle(f);
      const deadline = s.details.releaseAt + HOLD_PERIOD;
      expect(await f.settlement.proofDeadlineOf(s.details)).to.equal(deadline);
      await expect(f.settlement.connect(f.payer).contest(s.details))
        .to.emit(f.settlement, "Contested")
        .withArgs(s.id, f.payer.address, deadline);
      expect(await f.settlement.stateOf(s.id)).to.equal(SettlementState.Contested);
    });

    it("is accepted one second before releaseAt and refused from releaseAt on with SettlementChallengeClosed", async function () {
      const f = await deploySettlement(connection);
      const early = await settle(f);
      const late = await settle(f);
      await time.setNextBlockTimestamp(early.details.releaseAt - 1n);
      await (await f.settlement.connect(f.payer).contest(early.details)).wait();
      await time.setNextBlockTimestamp(late.details.releaseAt);
      await expect(f.settlement.connect(f.payer).contest(late.details))
        .to.be.revertedWithCustomError(f.settlement, "SettlementChallengeClosed")
        .withArgs(late.id, late.details.releaseAt);
      expect(await f.settlement.stateOf(late.id)).to.equal(SettlementState.Open);
    });

    it("gives the payee at least MIN_PROOF_WINDOW (one day) after release under a short hold period", async function () {
      const f = await deploySettlement(connection);
      await (await f.settlement.connect(f.governor).setHoldPeriod(600)).wait();
      const s = await settle(f);
      expect(await f.settlement.MIN_PROOF_WINDOW()).to.equal(24n * 3600n);
      expect(await f.settlement.proofDeadlineOf(s.details)).to.equal(
        s.details.releaseAt + 24n * 3600n,
      );
    });

    it("reverts with SettlementChallengeClosed at once under a zero hold period", async function () {
      const f = await deploySettlement(connection);
      await (await f.settlement.connect(f.governor).setHoldPeriod(0)).wait();
      const s = await settle(f);
      await expect(f.settlement.connect(f.payer).contest(s.details))
        .to.be.revertedWithCustomError(f.settlement, "SettlementChallengeClosed")
        .withArgs(s.id, s.details.settledAt);
    });

    it("reverts with SettlementUnauthorized for anyone but the payer, the payee included", async function () {
      const f = await deploySettlement(connection);
      const s = await settle(f);
      for (const caller of [f.payee, f.stranger, f.otherPayer]) {
        await expect(f.settlement.connect(caller).contest(s.details))
          .to.be.revertedWithCustomError(f.settlement, "SettlementUnauthorized")
          .withArgs(s.id, caller.address);
      }
    });

    it("reverts with SettlementNotOpen for a second contest and after a refund", async function () {
      const f = await load();
      await expect(f.settlement.connect(f.payer).contest(f.s.details))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(f.s.id, SettlementState.Contested);
      await rollbackTo(f, 1, Disposition.Faulty);
      await (await f.settlement.connect(f.payer).refund(f.s.details, f.payer.address)).wait();
      await expect(f.settlement.connect(f.payer).contest(f.s.details))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(f.s.id, SettlementState.Refunded);
    });

    it("reverts with SettlementUnknown for tampered details", async function () {
      const f = await deploySettlement(connection);
      const s = await settle(f);
      const tampered = { ...s.details, amount: s.details.amount + 1n };
      await expect(f.settlement.connect(f.payer).contest(tampered))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknown")
        .withArgs(s.id);
    });
  });

  describe("claim of a contested settlement", function () {
    it("reverts with SettlementContested naming the proof deadline, also after release", async function () {
      const f = await load();
      await time.increaseTo(f.s.details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(f.s.details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementContested")
        .withArgs(f.s.id, f.deadline);
      expect(await f.settlement.stateOf(f.s.id)).to.equal(SettlementState.Contested);
    });

    it("reverts with SettlementUnauthorized for anyone but the payee before saying it is contested", async function () {
      const f = await load();
      await expect(f.settlement.connect(f.stranger).claim(f.s.details, f.stranger.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnauthorized")
        .withArgs(f.s.id, f.stranger.address);
    });
  });

  describe("prove", function () {
    it("proves a contested settlement with the payee's anchored, conforming record; the payee claims after release", async function () {
      const f = await load();
      const record = servedAfter(f.s, 10n);
      const batch = await anchorLater(f, [record]);
      await expect(prove(f, batch))
        .to.emit(f.settlement, "Proven")
        .withArgs(f.s.id, batch.root, record.servedAt);
      expect(await f.settlement.stateOf(f.s.id)).to.equal(SettlementState.Proven);
      await expect(claim(f))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotReleased")
        .withArgs(f.s.id, f.s.details.releaseAt);
      await time.increaseTo(f.s.details.releaseAt);
      const tx = claim(f);
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.token,
        [f.settlement, f.payee],
        [-AMOUNT, AMOUNT],
      );
      await expect(tx)
        .to.emit(f.settlement, "Claimed")
        .withArgs(f.s.id, f.payee.address, f.payee.address, AMOUNT);
    });

    it("is not undone by a pause over the whole proof window: the proven payee claims once it ends, the payer cannot refund it as unproven", async function () {
      const f = await deploySettlement(connection);
      const s = await settle(f, { version: 2, epoch: 2 });
      await time.increase(60);
      const batch = await anchorRecords(f, [recordFor(s.details, s.details.settledAt + 10n)]);
      await pauseModel(f);
      await (await f.settlement.connect(f.payer).contest(s.details)).wait();
      await (
        await f.settlement
          .connect(f.payee)
          .prove(s.details, batch.root, batch.records[0], batch.proof(0))
      ).wait();
      const deadline = await f.settlement.proofDeadlineOf(s.details);
      await time.increaseTo(deadline);
      await expect(f.settlement.connect(f.payee).claim(s.details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementModelPaused")
        .withArgs(s.id, await f.registry.pausedSince(MODEL_ID));
      await expect(f.settlement.connect(f.payer).refundUnproven(s.details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotContested")
        .withArgs(s.id);
      await resumeModel(f);
      await expect(f.settlement.connect(f.payee).claim(s.details, f.payee.address)).to.emit(
        f.settlement,
        "Claimed",
      );
    });

    it("also proves an uncontested settlement, which then cannot be contested", async function () {
      const f = await load();
      const open = await settle(f);
      const batch = await anchorLater(f, [recordFor(open.details, open.details.settledAt + 5n)]);
      await expect(prove(f, batch, 0, open)).to.emit(f.settlement, "Proven");
      await expect(f.settlement.connect(f.payer).contest(open.details))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(open.id, SettlementState.Proven);
      await expect(prove(f, batch, 0, open))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(open.id, SettlementState.Proven);
    });

    it("accepts a record made Unconfirmable by a routine pause: the payer got the version it paid for", async function () {
      const f = await load();
      const record = servedAfter(f.s, 10n);
      await time.increase(60);
      await pauseModel(f);
      await resumeModel(f);
      const batch = await anchorRecords(f, [record]);
      const [, flags] = await f.anchor.verifyRecord(MODEL_ID, batch.root, record, batch.proof(0));
      expect(flags).to.equal(flagsOf("Unconfirmable"));
      await expect(prove(f, batch)).to.emit(f.settlement, "Proven");
    });

    it("is accepted one second before the proof deadline and refused from it on with SettlementProofWindowClosed", async function () {
      const f = await load();
      const second = await settle(f);
      await (await f.settlement.connect(f.payer).contest(second.details)).wait();
      const batch = await anchorLater(f, [
        servedAfter(f.s, 10n),
        recordFor(second.details, second.details.settledAt + 10n),
      ]);
      await time.setNextBlockTimestamp(f.deadline - 1n);
      await expect(prove(f, batch)).to.emit(f.settlement, "Proven");
      const deadline = await f.settlement.proofDeadlineOf(second.details);
      await time.setNextBlockTimestamp(deadline);
      await expect(prove(f, batch, 1, second))
        .to.be.revertedWithCustomError(f.settlement, "SettlementProofWindowClosed")
        .withArgs(second.id, deadline);
    });

    it("reverts with SettlementRecordNotConforming for a wrong blob, another version, or a record served before payment or from release on", async function () {
      const f = await load();
      const early = await anchorLater(f, [
        servedAfter(f.s, 10n, { blobId: blobOf(MODEL_ID, 3) }),
        servedAfter(f.s, 10n, { version: 1, blobId: blobOf(MODEL_ID, 1) }),
        recordFor(f.s.details, f.s.details.settledAt - 1n),
      ]);
      const expected = [flagsOf("WrongBlob"), flagsOf("NotLive"), 0n];
      for (const [i, flags] of expected.entries()) {
        await expect(prove(f, early, i))
          .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotConforming")
          .withArgs(f.s.id, flags);
      }
      await time.increaseTo(f.s.details.releaseAt + 10n);
      const late = await anchorRecords(f, [recordFor(f.s.details, f.s.details.releaseAt)]);
      await expect(prove(f, late))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotConforming")
        .withArgs(f.s.id, 0n);
    });

    it("reverts with SettlementRecordNotConforming for a record served after the bound version was rolled back", async function () {
      const f = await load();
      const rolledBackAt = await rollbackTo(f, 1, Disposition.Withdrawn);
      const batch = await anchorLater(f, [recordFor(f.s.details, rolledBackAt + 1n)]);
      await expect(prove(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotConforming")
        .withArgs(f.s.id, flagsOf("NotLive"));
    });

    it("reverts with SettlementRecordNotConforming for a record served after a takedown that followed a pause (no epoch closed at the rollback)", async function () {
      const f = await load();
      await pauseModel(f); // closes epoch 2 by Pause
      const rolledBackAt = await rollbackTo(f, 1, Disposition.Withdrawn);
      const batch = await anchorLater(f, [recordFor(f.s.details, rolledBackAt + 1n)]);
      expect((await f.registry.getEpoch(MODEL_ID, 2)).endReason).to.equal(4n); // Pause
      expect(await f.registry.takenDownAt(MODEL_ID, 2)).to.equal(rolledBackAt);
      await expect(prove(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotConforming")
        .withArgs(f.s.id, flagsOf("NotLive"));
    });

    it("reverts with SettlementRecordMismatch for another request's record and SettlementRecordNotIncluded for a wrong proof", async function () {
      const f = await load();
      const other = await settle(f);
      const batch = await anchorLater(f, [
        servedAfter(f.s, 10n),
        recordFor(other.details, other.details.settledAt + 1n),
      ]);
      await expect(
        f.settlement
          .connect(f.payee)
          .prove(f.s.details, batch.root, batch.records[1], batch.proof(1)),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordMismatch")
        .withArgs(f.s.id);
      await expect(
        f.settlement
          .connect(f.payee)
          .prove(f.s.details, batch.root, batch.records[0], batch.proof(1)),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementRecordNotIncluded")
        .withArgs(f.s.id, batch.root);
    });

    it("reverts with SettlementUnauthorized for anyone but the payee", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n)]);
      for (const caller of [f.payer, f.stranger]) {
        await expect(
          f.settlement
            .connect(caller)
            .prove(f.s.details, batch.root, batch.records[0], batch.proof(0)),
        )
          .to.be.revertedWithCustomError(f.settlement, "SettlementUnauthorized")
          .withArgs(f.s.id, caller.address);
      }
    });

    it("keeps the fault rule: a proven settlement of a version marked Faulty before release is refunded, not claimed", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n)]);
      await (await prove(f, batch)).wait();
      const faultyAt = await rollbackTo(f, 1, Disposition.Faulty);
      await time.increaseTo(f.s.details.releaseAt);
      await expect(claim(f))
        .to.be.revertedWithCustomError(f.settlement, "SettlementVersionFaulty")
        .withArgs(f.s.id, faultyAt);
      await expect(f.settlement.connect(f.payer).refund(f.s.details, f.payer.address))
        .to.emit(f.settlement, "Refunded")
        .withArgs(f.s.id, f.payer.address, f.payer.address, AMOUNT, RefundReason.VersionFaulty, 0n);
    });

    it("reverts with SettlementNotOpen once the payment is claimed", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n)]);
      await (await prove(f, batch)).wait();
      await time.increaseTo(f.s.details.releaseAt);
      await (await claim(f)).wait();
      await expect(prove(f, batch))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(f.s.id, SettlementState.Claimed);
      await time.increaseTo(f.deadline);
      await expect(f.settlement.connect(f.payer).refundUnproven(f.s.details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotOpen")
        .withArgs(f.s.id, SettlementState.Claimed);
    });
  });

  describe("refundUnproven", function () {
    it("refunds a contested payment the payee did not prove by the deadline (it never anchored), counted as a refund of the epoch", async function () {
      const f = await load();
      await time.setNextBlockTimestamp(f.deadline);
      const tx = f.settlement.connect(f.payer).refundUnproven(f.s.details, f.recipient.address);
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.token,
        [f.settlement, f.recipient],
        [-AMOUNT, AMOUNT],
      );
      await expect(tx)
        .to.emit(f.settlement, "Refunded")
        .withArgs(f.s.id, f.payer.address, f.recipient.address, AMOUNT, RefundReason.Unproven, 0n);
      expect(await f.settlement.stateOf(f.s.id)).to.equal(SettlementState.Refunded);
      const v = await f.settlement.volume(MODEL_ID, 2, await f.token.getAddress());
      expect([v.refundedCount, v.refundedAmount]).to.deep.equal([1n, AMOUNT]);
    });

    it("refunds the payment of a payee that is no anchor operator of the model: it has no batch to prove with", async function () {
      const f = await deploySettlement(connection);
      const s = await settle(f, { payee: f.stranger.address });
      await (await f.settlement.connect(f.payer).contest(s.details)).wait();
      const record = recordFor(s.details, s.details.settledAt + 1n);
      await time.increase(60);
      await expect(anchorRecords(f, [record], { node: f.stranger }))
        .to.be.revertedWithCustomError(f.anchor, "AnchorUnauthorizedOperator")
        .withArgs(MODEL_ID, f.stranger.address);
      await time.increaseTo(s.details.releaseAt);
      await expect(f.settlement.connect(f.stranger).claim(s.details, f.stranger.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementContested")
        .withArgs(s.id, s.details.releaseAt + HOLD_PERIOD);
      await time.increaseTo(s.details.releaseAt + HOLD_PERIOD);
      await expect(f.settlement.connect(f.payer).refundUnproven(s.details, f.payer.address))
        .to.emit(f.settlement, "Refunded")
        .withArgs(s.id, f.payer.address, f.payer.address, AMOUNT, RefundReason.Unproven, 0n);
    });

    it("reverts with SettlementProofWindowOpen one second before the deadline", async function () {
      const f = await load();
      await time.setNextBlockTimestamp(f.deadline - 1n);
      await expect(f.settlement.connect(f.payer).refundUnproven(f.s.details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementProofWindowOpen")
        .withArgs(f.s.id, f.deadline);
    });

    it("reverts with SettlementNotContested for an uncontested settlement, even long after release", async function () {
      const f = await load();
      const open = await settle(f);
      await time.increaseTo(open.details.releaseAt + 10n * HOLD_PERIOD);
      await expect(f.settlement.connect(f.payer).refundUnproven(open.details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotContested")
        .withArgs(open.id);
    });

    it("reverts with SettlementUnauthorized for anyone but the payer and SettlementZeroArgument for a zero recipient", async function () {
      const f = await load();
      await time.increaseTo(f.deadline);
      for (const caller of [f.payee, f.stranger]) {
        await expect(f.settlement.connect(caller).refundUnproven(f.s.details, caller.address))
          .to.be.revertedWithCustomError(f.settlement, "SettlementUnauthorized")
          .withArgs(f.s.id, caller.address);
      }
      await expect(
        f.settlement.connect(f.payer).refundUnproven(f.s.details, ZeroAddress),
      ).to.be.revertedWithCustomError(f.settlement, "SettlementZeroArgument");
    });
  });

  describe("the other ways out of a contested settlement", function () {
    it("refunds it as VersionFaulty when the version is marked Faulty before release", async function () {
      const f = await load();
      await rollbackTo(f, 1, Disposition.Faulty);
      await expect(f.settlement.connect(f.payer).refund(f.s.details, f.payer.address))
        .to.emit(f.settlement, "Refunded")
        .withArgs(f.s.id, f.payer.address, f.payer.address, AMOUNT, RefundReason.VersionFaulty, 0n);
    });

    it("refunds it on a challenge with a non-conforming record before release", async function () {
      const f = await load();
      const batch = await anchorLater(f, [servedAfter(f.s, 10n, { blobId: blobOf(MODEL_ID, 3) })]);
      await expect(
        f.settlement
          .connect(f.payer)
          .challenge(f.s.details, batch.root, batch.records[0], batch.proof(0), f.payer.address),
      )
        .to.emit(f.settlement, "Refunded")
        .withArgs(
          f.s.id,
          f.payer.address,
          f.payer.address,
          AMOUNT,
          RefundReason.Challenge,
          flagsOf("WrongBlob"),
        );
    });
  });
});
