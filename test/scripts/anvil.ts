/**
 * The tools on a second, independent EVM client: anvil (npm @foundry-rs/anvil, its binary from the
 * package), started here on a free loopback port. Where the clients differ, the tools handle it:
 * Hardhat's node refuses a transaction that reverts at send time, with its revert data; anvil
 * mines it (status 0) and ethers' `wait()` throws without data, so the tools replay the call
 * (chain.ts's failureData) and say the same words on both. The whole local-network flow also runs
 * on anvil in `.ci/run`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { describeFailedSend, failureData } from "../../src/chain/chain.js";
import { deploySuite, type Suite } from "../../src/deploy/deploy-local.js";
import { packageRoot } from "../../src/deploy/deployment.js";
import { acknowledgeLive } from "../../src/node/routing.js";

const ANVIL = join(packageRoot(), "node_modules", ".bin", "anvil");
const MODEL = "0x" + "ab".repeat(32);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function startAnvil(port: number): Promise<ChildProcess> {
  const child = spawn(
    ANVIL,
    ["--host", "127.0.0.1", "--port", String(port), "--chain-id", "31337", "--accounts", "10"],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (((await r.json()) as { result?: string }).result === "0x7a69") return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error("anvil did not answer within 10 s");
}

/** The suite on `connection`, a model with v1 live (epoch 1), account #4 its operator. */
async function liveModel(connection: NetworkConnection) {
  const { ethers } = connection;
  const [deployer, governor, guardian, publisher, node] = await ethers.getSigners();
  const suite: Suite = await deploySuite(deployer, {
    governor: governor.address,
    guardian: guardian.address,
    admin: deployer.address,
    publishers: [publisher.address],
  });
  const { registry, anchor } = suite;
  await (await registry.connect(governor).createModel(MODEL, [publisher.address])).wait();
  const blob = "0x" + "01".repeat(32);
  await (
    await registry
      .connect(publisher)
      .registerVersion(MODEL, blob, blob, "ipfs://v1", 1, ethers.ZeroAddress)
  ).wait();
  await (await registry.connect(governor).propose(MODEL, 1)).wait();
  await connection.provider.request({
    method: "evm_increaseTime",
    params: [Number(await registry.promotionDelay())],
  });
  await connection.provider.request({ method: "evm_mine", params: [] });
  await (await registry.activate(MODEL)).wait();
  await (await anchor.connect(governor).setOperator(MODEL, node.address, true)).wait();
  return { suite, node };
}

/** Sends an acknowledgement of a future epoch past estimation (a fixed gas limit): it reverts. */
async function revertedAcknowledgement(connection: NetworkConnection): Promise<string> {
  const { suite, node } = await liveModel(connection);
  const { routing } = suite;
  try {
    await (await routing.connect(node).acknowledge(MODEL, 99, { gasLimit: 300_000 })).wait();
  } catch (e) {
    return describeFailedSend(e, [routing.interface], connection.ethers.provider);
  }
  throw new Error("the acknowledgement of epoch 99 did not revert");
}

describe("the tools on anvil", function () {
  this.timeout(120_000);
  let anvil: ChildProcess | undefined;
  let connection: NetworkConnection;

  before(async function () {
    const port = await freePort();
    anvil = await startAnvil(port);
    connection = await network.create({
      network: "localhost",
      override: { url: `http://127.0.0.1:${port}` },
    });
  });

  after(async function () {
    await connection?.close();
    anvil?.kill();
  });

  it("is anvil, on chain 31337 with Hardhat's accounts", async function () {
    const client = (await connection.provider.request({
      method: "web3_clientVersion",
      params: [],
    })) as string;
    expect(client).to.match(/^anvil\//);
    const [first] = await connection.ethers.getSigners();
    expect(first.address).to.equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  });

  it("describes a transaction anvil mined as reverted with its custom error, as on Hardhat's network", async function () {
    const onAnvil = await revertedAcknowledgement(connection);
    expect(onAnvil).to.equal(`NodeRoutingNotLive(modelId=${MODEL}, epoch=99, liveEpoch=1)`);
    const local = await network.create();
    try {
      expect(await revertedAcknowledgement(local)).to.equal(onAnvil);
    } finally {
      await local.close();
    }
  });

  it("finds no revert data to replay when the mined transaction succeeds on the state before its block", async function () {
    // A status-0 receipt whose call succeeds before its block: another transaction raced it.
    // The error is then left as it is (nothing is invented).
    const { ethers } = connection;
    const [, , , , node] = await ethers.getSigners();
    const sent = await node.sendTransaction({ to: node.address, value: 0n });
    const mined = (await sent.wait())!;
    const fake = { receipt: { status: 0, hash: mined.hash } }; // as if it had reverted
    expect(await failureData(fake, ethers.provider)).to.equal(undefined);
  });

  it("acknowledges the live epoch with npm run node:ack's code, and says so the second time", async function () {
    const { suite, node } = await liveModel(connection);
    const first = await acknowledgeLive(suite.routing, suite.registry, node, MODEL);
    expect(first.status).to.equal("acknowledged");
    const [, epoch] = await suite.registry.live(MODEL);
    expect(first.epoch).to.equal(epoch);
    expect(await suite.routing.isRoutable(MODEL, node.address)).to.equal(true);
    const second = await acknowledgeLive(suite.routing, suite.registry, node, MODEL);
    expect([second.status, second.at]).to.deep.equal(["already-acknowledged", first.at]);
  });
});
