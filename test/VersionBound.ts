import { expect } from "chai";
import { network } from "hardhat";

import type { RatingBoard } from "../types/ethers-contracts/index.js";
import {
  Disposition,
  MODEL_ID,
  OTHER_MODEL_ID,
  UNKNOWN_MODEL_ID,
  deploySettlement,
  pauseModel,
  promote,
  resumeModel,
  revokeVersion,
  rollbackTo,
  type SettlementFixture,
} from "./helpers/settlement-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

interface BoardFixture extends SettlementFixture {
  board: RatingBoard;
}

/** deploySettlement (v2 live in epoch 2), and a RatingBoard bound to its registry. */
async function ratingBoardFixture(): Promise<BoardFixture> {
  const f = await deploySettlement(connection);
  const board = (await ethers.deployContract("RatingBoard", [
    await f.registry.getAddress(),
  ])) as unknown as RatingBoard;
  return { ...f, board };
}

function load(): Promise<BoardFixture> {
  return networkHelpers.loadFixture(ratingBoardFixture);
}

describe("VersionBound (through RatingBoard)", function () {
  it("exposes the registry it is bound to", async function () {
    const f = await load();
    expect(await f.board.registry()).to.equal(await f.registry.getAddress());
  });

  it("emits Rated with the live epoch when the expected version is live and no epoch is expected", async function () {
    const f = await load();
    const [version, epoch] = await f.registry.live(MODEL_ID);
    expect([version, epoch]).to.deep.equal([2n, 2n]);
    await expect(f.board.connect(f.payer).rate(MODEL_ID, 2, 0, 5))
      .to.emit(f.board, "Rated")
      .withArgs(MODEL_ID, epoch, version, f.payer.address, 5n);
  });

  it("emits Rated when the expected version and epoch are both live", async function () {
    const f = await load();
    await expect(f.board.connect(f.stranger).rate(MODEL_ID, 2, 2, 1))
      .to.emit(f.board, "Rated")
      .withArgs(MODEL_ID, 2n, 2n, f.stranger.address, 1n);
  });

  it("binds a rating made after a rollback to the target's new epoch", async function () {
    const f = await load();
    await rollbackTo(f, 1, Disposition.Faulty);
    const [, epoch] = await f.registry.live(MODEL_ID);
    expect(epoch).to.equal(3n);
    await expect(f.board.connect(f.payer).rate(MODEL_ID, 1, 0, 2))
      .to.emit(f.board, "Rated")
      .withArgs(MODEL_ID, epoch, 1n, f.payer.address, 2n);
  });

  it("reverts with VersionBoundVersionMismatch when another version is live, checked before the epoch", async function () {
    const f = await load();
    for (const [expected, epoch] of [
      [1n, 0n],
      [1n, 1n],
      [3n, 2n],
    ]) {
      await expect(f.board.connect(f.payer).rate(MODEL_ID, expected, epoch, 3))
        .to.be.revertedWithCustomError(f.board, "VersionBoundVersionMismatch")
        .withArgs(MODEL_ID, expected, 2n);
    }
  });

  it("reverts with VersionBoundVersionMismatch when a rollback lands before the rating", async function () {
    const f = await load();
    await rollbackTo(f, 1, Disposition.Withdrawn);
    await expect(f.board.connect(f.payer).rate(MODEL_ID, 2, 2, 4))
      .to.be.revertedWithCustomError(f.board, "VersionBoundVersionMismatch")
      .withArgs(MODEL_ID, 2n, 1n);
  });

  it("reverts with VersionBoundEpochMismatch when the expected version is live in another epoch", async function () {
    const f = await load();
    await pauseModel(f);
    await resumeModel(f); // v2 again, in epoch 3
    await expect(f.board.connect(f.payer).rate(MODEL_ID, 2, 2, 4))
      .to.be.revertedWithCustomError(f.board, "VersionBoundEpochMismatch")
      .withArgs(MODEL_ID, 2n, 3n);
    // The same version re-promoted after a Withdrawn rollback is another epoch too.
    await rollbackTo(f, 1, Disposition.Withdrawn); // v1, epoch 4
    await promote(f, 2); // v2, epoch 5
    for (const stale of [2n, 3n]) {
      await expect(f.board.connect(f.payer).rate(MODEL_ID, 2, stale, 4))
        .to.be.revertedWithCustomError(f.board, "VersionBoundEpochMismatch")
        .withArgs(MODEL_ID, stale, 5n);
    }
    await expect(f.board.connect(f.payer).rate(MODEL_ID, 2, 5, 4))
      .to.emit(f.board, "Rated")
      .withArgs(MODEL_ID, 5n, 2n, f.payer.address, 4n);
  });

  it("reverts with VersionBoundModelPaused while the model is paused, whatever is expected", async function () {
    const f = await load();
    await pauseModel(f);
    for (const [version, epoch] of [
      [2n, 0n],
      [2n, 2n],
      [1n, 0n],
      [0n, 0n],
    ]) {
      await expect(f.board.connect(f.payer).rate(MODEL_ID, version, epoch, 1))
        .to.be.revertedWithCustomError(f.board, "VersionBoundModelPaused")
        .withArgs(MODEL_ID);
    }
  });

  it("reverts with VersionBoundNothingLive before the first activation, for an unknown model, and after the live version is revoked", async function () {
    const f = await load();
    for (const modelId of [OTHER_MODEL_ID, UNKNOWN_MODEL_ID]) {
      for (const version of [0n, 1n]) {
        await expect(f.board.connect(f.payer).rate(modelId, version, 0, 1))
          .to.be.revertedWithCustomError(f.board, "VersionBoundNothingLive")
          .withArgs(modelId);
      }
    }
    await revokeVersion(f, 2, Disposition.Withdrawn);
    await expect(f.board.connect(f.payer).rate(MODEL_ID, 2, 0, 1))
      .to.be.revertedWithCustomError(f.board, "VersionBoundNothingLive")
      .withArgs(MODEL_ID);
  });

  it("reverts with VersionBoundRegistryUnreadable when bound to an address that is not a registry, and bubbles a registry's own revert", async function () {
    const f = await load();
    const noCode = (await ethers.deployContract("RatingBoard", [
      f.stranger.address,
    ])) as unknown as RatingBoard;
    await expect(noCode.rate(MODEL_ID, 2, 0, 1))
      .to.be.revertedWithCustomError(noCode, "VersionBoundRegistryUnreadable")
      .withArgs(f.stranger.address);
    // A contract without `live` (a token) reverts without data, which is passed on unchanged.
    const token = (await ethers.deployContract("RatingBoard", [
      await f.token.getAddress(),
    ])) as unknown as RatingBoard;
    await expect(token.rate(MODEL_ID, 2, 0, 1)).to.be.revertedWithoutReason(ethers);
  });
});
