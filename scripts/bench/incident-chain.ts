/**
 * The chain of the incident benchmark, on a `hardhat node` over HTTP (a child process): the
 * suite, a model whose v2 goes live, 10^5 settlements bound to v2, then 10^6 records in 1,000
 * batches of 1,000 anchored by 10 nodes (the last tenth served by stale nodes after v2 is rolled
 * back as Withdrawn), their canonical batch files in a content-addressed folder.
 *
 * Transactions go in JSON-RPC batches of unlocked-account `eth_sendTransaction`s with automining
 * off, mined a few hundred per block at fixed times: setting up takes minutes, the audit is what
 * the benchmark times.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { Interface, ZeroAddress, id, toBeHex } from "ethers";

import { EncodedRecords } from "../../src/records/batch.js";
import { writeBatchJsonl } from "../../src/records/batch-write.js";
import { fail } from "../../src/ground/cli.js";
import { Disposition } from "../../src/chain/enums.js";
import { deploySuite, type Suite } from "../../src/deploy/deploy-local.js";
import { RecordMerkleTree } from "../../src/records/merkle.js";
import { type InferenceRecord, ProofPath, RECORD_FORMAT_V1 } from "../../src/records/record.js";
import { ContentStore } from "../../src/store/index.js";

export const BENCH_PORT = 8546;
export const BENCH_URL = `http://127.0.0.1:${BENCH_PORT}`;
export const BENCH_MODEL = "bench/incident-model";
export const BENCH_MODEL_ID = id(BENCH_MODEL);

export interface ChainShape {
  records: number;
  batchSize: number;
  settlements: number;
  nodes: number;
}

export const FULL_SHAPE: ChainShape = {
  records: 1_000_000,
  batchSize: 1000,
  settlements: 100_000,
  nodes: 10,
};

/** Starts `hardhat node` on BENCH_PORT and waits until it answers. */
export async function startNode(): Promise<ChildProcess> {
  const child = spawn(
    "hardhat",
    ["node", "--hostname", "127.0.0.1", "--port", String(BENCH_PORT)],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) fail(`the benchmark's hardhat node exited (${child.exitCode})`);
    try {
      await rpc("eth_chainId", []);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  child.kill();
  fail(`the benchmark's hardhat node did not answer on ${BENCH_URL} within 60 s`);
}

/** One JSON-RPC call to the benchmark node. */
export async function rpc(method: string, params: unknown[]): Promise<unknown> {
  const [r] = await rpcBatch([[method, params]]);
  return r;
}

/**
 * A JSON-RPC batch; throws on the first error answer. Each on a fresh connection: a kept-alive
 * socket that the node closes between two batches would lose a batch of transactions.
 */
export async function rpcBatch(calls: Array<[string, unknown[]]>): Promise<unknown[]> {
  const body = JSON.stringify(
    calls.map(([method, params], i) => ({ jsonrpc: "2.0", id: i, method, params })),
  );
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      BENCH_URL,
      { method: "POST", agent: false, headers: { "content-type": "application/json" } },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (data += d));
        res.on("end", () => resolve(data));
        res.on("error", reject);
      },
    );
    req.on("error", (e) => reject(new Error(`${calls[0][0]} x${calls.length}: ${e.message}`)));
    req.end(body);
  });
  const out = JSON.parse(text) as Array<{
    id: number;
    result?: unknown;
    error?: { message: string };
  }>;
  out.sort((a, b) => a.id - b.id);
  for (const r of out) if (r.error) throw new Error(`${calls[r.id][0]}: ${r.error.message}`);
  return out.map((r) => r.result);
}

/** Sends `txs` (from unlocked accounts) in batches, mining a block every `perBlock`. */
async function sendMined(
  txs: Array<{ from: string; to: string; data: string; gas: number }>,
  perBlock: number,
  clock: { t: number },
): Promise<void> {
  for (let i = 0; i < txs.length; i += perBlock) {
    const chunk = txs
      .slice(i, i + perBlock)
      .map(
        (tx) => ["eth_sendTransaction", [{ ...tx, gas: toBeHex(tx.gas) }]] as [string, unknown[]],
      );
    await rpcBatch(chunk);
    clock.t += 1;
    await rpc("evm_mine", [clock.t]);
  }
}

export interface BenchChain {
  suite: Suite;
  addresses: { anchor: string; settlement: string; actionLog: string; routing: string };
  store: string;
  shape: ChainShape;
  rollbackAt: number;
}

const recordOf = (i: number, node: string, agent: string, servedAt: number, requestId?: string) =>
  ({
    format: RECORD_FORMAT_V1,
    requestId: requestId ?? id(`bench/free/${i}`),
    modelId: BENCH_MODEL_ID,
    version: 2,
    blobId: id("bench/blob/2"),
    inputHash: id(`bench/in/${i}`),
    outputHash: id(`bench/out/${i}`),
    proofPath: ProofPath.NONE,
    proofCommitment: id(`bench/c/${i}`),
    agent,
    node,
    servedAt,
  }) satisfies InferenceRecord;

/** Builds the benchmark's chain and batch files (see the file doc). */
export async function buildChain(
  ethers: HardhatEthers,
  workDir: string,
  shape: ChainShape,
  log: (line: string) => void,
): Promise<BenchChain> {
  const signers = await ethers.getSigners();
  const [deployer, governor, guardian, publisher] = signers;
  const nodes = signers.slice(4, 4 + shape.nodes).map((s) => s.address);
  const payers = signers.slice(4 + shape.nodes, 20).map((s) => s.address);
  if (payers.length === 0) fail("the benchmark node needs 20 accounts");
  const clock = { t: 2_000_000_000 };
  await rpc("evm_setNextBlockTimestamp", [clock.t]);
  const suite = await deploySuite(
    deployer,
    {
      governor: governor.address,
      guardian: guardian.address,
      admin: deployer.address,
      publishers: [publisher.address],
    },
    {
      promotionDelay: 3600n,
      proposalGracePeriod: 86400n,
      maxAnchorDelay: 7n * 86400n,
      holdPeriod: 3600n,
    },
  );
  const { registry, anchor, settlement } = suite;
  await (await registry.connect(governor).createModel(BENCH_MODEL_ID, [publisher.address])).wait();
  for (const v of [1, 2]) {
    await (
      await registry
        .connect(publisher)
        .registerVersion(
          BENCH_MODEL_ID,
          id(`bench/blob/${v}`),
          id(`bench/w/${v}`),
          "ipfs://b",
          0x03,
          ZeroAddress,
        )
    ).wait();
  }
  for (const v of [1, 2]) {
    await (await registry.connect(governor).propose(BENCH_MODEL_ID, v)).wait();
    const p = await registry.pendingProposal(BENCH_MODEL_ID);
    clock.t = Number(p.earliestActivation) + 1;
    await rpc("evm_setNextBlockTimestamp", [clock.t]);
    await (await registry.activate(BENCH_MODEL_ID)).wait();
  }
  for (const n of nodes) {
    await (await anchor.connect(governor).setOperator(BENCH_MODEL_ID, n, true)).wait();
  }
  const token = await ethers.deployContract("ERC20TestDouble", [], deployer);
  await token.waitForDeployment();
  const tokenAddress = await token.getAddress();
  const settlementAddress = await settlement.getAddress();
  const erc20 = new Interface([
    "function mint(address,uint256)",
    "function approve(address,uint256)",
  ]);
  const setupTxs = payers.flatMap((p) => [
    {
      from: deployer.address,
      to: tokenAddress,
      data: erc20.encodeFunctionData("mint", [p, 10n ** 30n]),
      gas: 100_000,
    },
    {
      from: p,
      to: tokenAddress,
      data: erc20.encodeFunctionData("approve", [settlementAddress, 10n ** 30n]),
      gas: 100_000,
    },
  ]);
  clock.t = Number((await ethers.provider.getBlock("latest"))!.timestamp);
  await rpc("evm_setAutomine", [false]);
  try {
    await sendMined(setupTxs, 100, clock);
    const [, epoch] = await registry.live(BENCH_MODEL_ID);
    log(`${shape.settlements} settlements...`);
    const iface = settlement.interface;
    const pay = Array.from({ length: shape.settlements }, (_, i) => ({
      from: payers[i % payers.length],
      to: settlementAddress,
      data: iface.encodeFunctionData("settle", [
        BENCH_MODEL_ID,
        2,
        epoch,
        nodes[i % nodes.length],
        tokenAddress,
        1000n,
        id(`bench/paid/${i}`),
        0,
      ]),
      gas: 200_000,
    }));
    const payStart = clock.t + 12;
    await sendMined(pay, 250, clock);
    const payEnd = clock.t;
    if (payEnd - payStart >= 3600) fail("the settlements took longer than the hold period");

    // The records: every paid request served by its payee during the hold, the rest free.
    const store = join(workDir, "store");
    mkdirSync(store, { recursive: true });
    const contentStore = new ContentStore(store);
    const batches = shape.records / shape.batchSize;
    const staleFrom = Math.floor(batches * 0.9);
    const anchorIface = anchor.interface;
    const anchorAddress = await anchor.getAddress();
    const anchorTx = async (b: number, servedBase: number) => {
      const node = nodes[b % nodes.length];
      const recs = new EncodedRecords();
      // The first records of each batch serve paid requests of its node: payment j goes to node
      // j mod N, so batch b (node b mod N) serves j = (floor(b / N) * P + k) * N + (b mod N) for
      // k < P = settlements / batches: every payment's request once, by its payee, for its payer.
      const perBatch = Math.ceil(shape.settlements / batches);
      for (let k = 0; k < shape.batchSize; k++) {
        const i = b * shape.batchSize + k;
        const j = (Math.floor(b / nodes.length) * perBatch + k) * nodes.length + (b % nodes.length);
        const paid = k < perBatch && j < shape.settlements;
        recs.push(
          paid
            ? recordOf(
                i,
                node,
                payers[j % payers.length],
                servedBase + (k % 600),
                id(`bench/paid/${j}`),
              )
            : recordOf(i, node, payers[i % payers.length], servedBase + (k % 600)),
        );
      }
      const tree = RecordMerkleTree.fromLeaves(recs.leaves());
      const file = join(workDir, `batch-${b}.jsonl`);
      const ref = await writeBatchJsonl(file, recs);
      await contentStore.putFile(file);
      rmSync(file);
      return {
        from: node,
        to: anchorAddress,
        data: anchorIface.encodeFunctionData("anchor", [
          BENCH_MODEL_ID,
          tree.root,
          shape.batchSize,
          servedBase,
          servedBase + Math.min(599, shape.batchSize - 1),
          ref,
        ]),
        gas: 300_000,
      };
    };
    log(`${staleFrom} batches served while v2 is live...`);
    const live: Array<{ from: string; to: string; data: string; gas: number }> = [];
    for (let b = 0; b < staleFrom; b++) live.push(await anchorTx(b, payEnd + 1));
    clock.t = payEnd + 601 + 60;
    await sendMined(live, 200, clock);
    // The rollback (v2 Withdrawn): the rest are stale nodes' records served after it.
    clock.t += 12;
    await rpc("evm_setNextBlockTimestamp", [clock.t]);
    await rpc("evm_setAutomine", [true]);
    const guardianRegistry = registry.connect(guardian);
    await (
      await guardianRegistry.rollback(
        BENCH_MODEL_ID,
        2,
        1,
        Number(Disposition.Withdrawn),
        id("bench rollback"),
        "",
      )
    ).wait();
    const rollbackAt = clock.t;
    await rpc("evm_setAutomine", [false]);
    log(`${batches - staleFrom} stale batches after the rollback...`);
    const stale: Array<{ from: string; to: string; data: string; gas: number }> = [];
    for (let b = staleFrom; b < batches; b++) stale.push(await anchorTx(b, rollbackAt + 1));
    clock.t = rollbackAt + 601 + 60;
    await sendMined(stale, 200, clock);
    // Past every payment's release: the audit reads a settled incident (no challenge is open).
    clock.t += 7200;
    await rpc("evm_mine", [clock.t]);
    return {
      suite,
      addresses: {
        anchor: anchorAddress,
        settlement: settlementAddress,
        actionLog: await suite.actionLog.getAddress(),
        routing: await suite.routing.getAddress(),
      },
      store,
      shape,
      rollbackAt,
    };
  } finally {
    await rpc("evm_setAutomine", [true]);
  }
}
