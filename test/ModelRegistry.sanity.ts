import { expect } from "chai";
import { network } from "hardhat";

import { deployRegistry } from "./helpers/registry-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

async function fixture() {
  return deployRegistry(connection);
}

describe("sanity", function () {
  it("deploys and rolls back", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const id = ethers.id("m");
    await f.registry.connect(f.governor).createModel(id, [f.publisher.address]);
    await f.registry
      .connect(f.publisher)
      .registerVersion(id, ethers.id("b1"), ethers.id("w1"), "ipfs://1", 1, ethers.ZeroAddress);
    await f.registry
      .connect(f.publisher)
      .registerVersion(id, ethers.id("b2"), ethers.id("w2"), "ipfs://2", 1, ethers.ZeroAddress);
    await f.registry.connect(f.governor).propose(id, 1);
    await networkHelpers.time.increase(24 * 3600);
    await f.registry.activate(id);
    await f.registry.connect(f.governor).propose(id, 2);
    await networkHelpers.time.increase(24 * 3600);
    await f.registry.activate(id);
    await expect(
      f.registry.connect(f.guardian).rollback(id, 1, 1, ethers.id("r"), "ipfs://r"),
    ).to.emit(f.registry, "RolledBack");
    expect(await f.registry.live(id)).to.deep.equal([1n, 3n, false]);
    await expect(f.registry.connect(f.stranger).pause(id))
      .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
      .withArgs(f.stranger.address);
  });
});
