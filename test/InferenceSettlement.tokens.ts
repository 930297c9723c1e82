import { expect } from "chai";
import { network } from "hardhat";

import type {
  BlockingTokenTestDouble,
  ERC20TestDouble,
  FalseReturningTokenTestDouble,
  FeeOnTransferTokenTestDouble,
  ReentrantTokenTestDouble,
} from "../types/ethers-contracts/index.js";
import {
  AMOUNT,
  HOLD_PERIOD,
  Disposition,
  MINTED,
  MODEL_ID,
  RefundReason,
  SettlementState,
  anchorRecords,
  deploySettlement,
  fund,
  nextRequestId,
  recordFor,
  rollbackTo,
  settle,
  settleTx,
  type SettlementFixture,
} from "./helpers/settlement-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

interface TokensFixture extends SettlementFixture {
  feeToken: FeeOnTransferTokenTestDouble;
  falseToken: FalseReturningTokenTestDouble;
  blockingToken: BlockingTokenTestDouble;
  reentrantToken: ReentrantTokenTestDouble;
}

/** deploySettlement, and one of each misbehaving token, funded and approved like `token`. */
async function tokensFixture(): Promise<TokensFixture> {
  const f = await deploySettlement(connection);
  const settlementAddress = await f.settlement.getAddress();
  const deploy = async <T>(name: string): Promise<T> => {
    const token = await ethers.deployContract(name);
    await fund(token as unknown as ERC20TestDouble, settlementAddress, [f.payer, f.otherPayer]);
    return token as unknown as T;
  };
  return {
    ...f,
    feeToken: await deploy<FeeOnTransferTokenTestDouble>("FeeOnTransferTokenTestDouble"),
    falseToken: await deploy<FalseReturningTokenTestDouble>("FalseReturningTokenTestDouble"),
    blockingToken: await deploy<BlockingTokenTestDouble>("BlockingTokenTestDouble"),
    reentrantToken: await deploy<ReentrantTokenTestDouble>("ReentrantTokenTestDouble"),
  };
}

function load(): Promise<TokensFixture> {
  return networkHelpers.loadFixture(tokensFixture);
}

describe("InferenceSettlement: tokens", function () {
  describe("a fee-on-transfer token", function () {
    it("is refused with SettlementTransferMismatch naming the token, the amount and what arrived", async function () {
      const f = await load();
      const amount = 1000n;
      await expect(settleTx(f, { token: f.feeToken, amount }))
        .to.be.revertedWithCustomError(f.settlement, "SettlementTransferMismatch")
        .withArgs(await f.feeToken.getAddress(), amount, amount - amount / 100n);
      expect(await f.feeToken.balanceOf(f.payer.address)).to.equal(MINTED);
    });
  });

  describe("a token that returns false", function () {
    it("makes settle revert with SafeERC20FailedOperation", async function () {
      const f = await load();
      await (await f.falseToken.setFailing(true)).wait();
      await expect(settleTx(f, { token: f.falseToken }))
        .to.be.revertedWithCustomError(f.settlement, "SafeERC20FailedOperation")
        .withArgs(await f.falseToken.getAddress());
    });

    it("makes claim and refund revert with SafeERC20FailedOperation and leaves the settlement open", async function () {
      const f = await load();
      const token = await f.falseToken.getAddress();
      const refundable = await settle(f, { token: f.falseToken });
      await rollbackTo(f, 1, Disposition.Faulty);
      const claimable = await settle(f, { token: f.falseToken, version: 1 });
      await (await f.falseToken.setFailing(true)).wait();
      await expect(f.settlement.connect(f.payer).refund(refundable.details, f.payer.address))
        .to.be.revertedWithCustomError(f.settlement, "SafeERC20FailedOperation")
        .withArgs(token);
      await time.increaseTo(claimable.details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(claimable.details, f.payee.address))
        .to.be.revertedWithCustomError(f.settlement, "SafeERC20FailedOperation")
        .withArgs(token);
      for (const { id } of [refundable, claimable]) {
        expect(await f.settlement.stateOf(id)).to.equal(SettlementState.Open);
      }
    });
  });

  describe("a token that blocks addresses", function () {
    it("cannot trap a claim: the payee claims to another address", async function () {
      const f = await load();
      const { id, details } = await settle(f, { token: f.blockingToken });
      await (await f.blockingToken.setBlocked(f.payee.address, true)).wait();
      await time.increaseTo(details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(details, f.payee.address))
        .to.be.revertedWithCustomError(f.blockingToken, "BlockingTokenTestDoubleBlocked")
        .withArgs(f.payee.address);
      const tx = f.settlement.connect(f.payee).claim(details, f.recipient.address);
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.blockingToken,
        [f.settlement, f.recipient],
        [-AMOUNT, AMOUNT],
      );
      await expect(tx)
        .to.emit(f.settlement, "Claimed")
        .withArgs(id, f.payee.address, f.recipient.address, AMOUNT);
    });

    it("cannot trap a refund: the payer is refunded to another address", async function () {
      const f = await load();
      const { id, details } = await settle(f, { token: f.blockingToken });
      await rollbackTo(f, 1, Disposition.Faulty);
      await (await f.blockingToken.setBlocked(f.payer.address, true)).wait();
      await expect(f.settlement.connect(f.payer).refund(details, f.payer.address))
        .to.be.revertedWithCustomError(f.blockingToken, "BlockingTokenTestDoubleBlocked")
        .withArgs(f.payer.address);
      const tx = f.settlement.connect(f.payer).refund(details, f.recipient.address);
      await expect(tx).to.changeTokenBalances(
        ethers,
        f.blockingToken,
        [f.settlement, f.recipient],
        [-AMOUNT, AMOUNT],
      );
      await expect(tx)
        .to.emit(f.settlement, "Refunded")
        .withArgs(id, f.payer.address, f.recipient.address, AMOUNT, RefundReason.VersionFaulty, 0n);
    });
  });

  describe("a re-entering token", function () {
    it("cannot claim from inside settle, although the same call succeeds on its own", async function () {
      const f = await load();
      const token = f.reentrantToken;
      const tokenAddress = await token.getAddress();
      const settlementAddress = await f.settlement.getAddress();
      // A released settlement whose payee is the token itself: it may claim it, but not re-entering.
      const target = await settle(f, { token, payee: tokenAddress });
      await time.increaseTo(target.details.releaseAt);
      const claimData = f.settlement.interface.encodeFunctionData("claim", [
        target.details,
        tokenAddress,
      ]);
      await (await token.arm(settlementAddress, claimData)).wait();

      const outer = settleTx(f, { token, requestId: nextRequestId() });
      await expect(outer).to.emit(f.settlement, "Settled");
      expect(await token.lastReentrySucceeded()).to.equal(false);
      expect(await token.lastReentryResult()).to.equal(
        f.settlement.interface.getError("ReentrancyGuardReentrantCall")!.selector,
      );
      expect(await f.settlement.stateOf(target.id)).to.equal(SettlementState.Open);

      // Control: a plain transfer fires the same callback outside any settlement call.
      await expect(token.connect(f.payer).transfer(f.recipient.address, 1n))
        .to.emit(f.settlement, "Claimed")
        .withArgs(target.id, tokenAddress, tokenAddress, AMOUNT);
      expect(await token.lastReentrySucceeded()).to.equal(true);
      expect(await f.settlement.stateOf(target.id)).to.equal(SettlementState.Claimed);
    });

    it("cannot re-enter settle, refund or challenge from inside challenge, refund or claim", async function () {
      const f = await load();
      const token = f.reentrantToken;
      const settlementAddress = await f.settlement.getAddress();
      const reentrantCall = f.settlement.interface.getError(
        "ReentrancyGuardReentrantCall",
      )!.selector;
      const expectRefusedReentry = async () => {
        expect(await token.lastReentrySucceeded()).to.equal(false);
        expect(await token.lastReentryResult()).to.equal(reentrantCall);
      };

      const challenged = await settle(f, { token });
      const refunded = await settle(f, { token });
      const record = recordFor(challenged.details, challenged.details.settledAt, {
        format: 2,
      });
      await time.increase(60);
      const batch = await anchorRecords(f, [record]);

      // challenge -> settle
      await (
        await token.arm(
          settlementAddress,
          f.settlement.interface.encodeFunctionData("settle", [
            MODEL_ID,
            2,
            0,
            f.payee.address,
            await token.getAddress(),
            AMOUNT,
            nextRequestId(),
            HOLD_PERIOD,
          ]),
        )
      ).wait();
      await expect(
        f.settlement
          .connect(f.payer)
          .challenge(challenged.details, batch.root, record, batch.proof(0), f.payer.address),
      ).to.emit(f.settlement, "Refunded");
      await expectRefusedReentry();

      // refund -> refund (of the same settlement, a second time)
      await rollbackTo(f, 1, Disposition.Faulty);
      await (
        await token.arm(
          settlementAddress,
          f.settlement.interface.encodeFunctionData("refund", [refunded.details, f.payer.address]),
        )
      ).wait();
      await expect(
        f.settlement.connect(f.payer).refund(refunded.details, f.payer.address),
      ).to.changeTokenBalances(ethers, token, [f.settlement, f.payer], [-AMOUNT, AMOUNT]);
      await expectRefusedReentry();

      // claim -> challenge
      const claimed = await settle(f, { token, version: 1 });
      await (
        await token.arm(
          settlementAddress,
          f.settlement.interface.encodeFunctionData("challenge", [
            challenged.details,
            batch.root,
            record,
            batch.proof(0),
            f.payer.address,
          ]),
        )
      ).wait();
      await time.increaseTo(claimed.details.releaseAt);
      await expect(f.settlement.connect(f.payee).claim(claimed.details, f.payee.address))
        .to.emit(f.settlement, "Claimed")
        .withArgs(claimed.id, f.payee.address, f.payee.address, AMOUNT);
      await expectRefusedReentry();
    });
  });
});
