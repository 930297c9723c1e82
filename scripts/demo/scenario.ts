/**
 * The story of `npm run demo` as a library, so that the tests replay exactly what the demo shows:
 * a model's bad release, its rollback, and everything that happened around it, on a Hardhat
 * network connection (the in-process network: it moves the clock).
 *
 * Cast (Hardhat's default accounts):
 *   #0 deployer (deploys, executes Safe transactions, activates), #1-#3 owners of the governance
 *   Safe (2 of 3: GOVERNOR, ADMIN), #4-#6 owners of the guardian Safe (2 of 3: GUARDIAN),
 *   #7 the publisher, #8 node A (honest), #9 node B (stale), #10-#12 agents alice, bob, carol,
 *   #13 node C (switches back an hour late; serves nothing in the story).
 *
 * Deterministic: every value is derived from fixed labels (request ids, hashes, amounts), and
 * every transaction of the story is mined at a fixed time from DEMO_START (the deployment before
 * it runs at the machine's time and is not part of the story). Times below are from T2, when v2
 * goes live, and TR, the rollback (T2 + 3d 6h):
 *
 *   T2+1h   alice pays node A 5 TEST for r1 (served +30s)     T2+2h  bob pays 3 TEST for r2
 *   T2+3h   node A serves x1 to carol (free)                  T2+4h  node A anchors batch A1
 *   T2+5h   alice logs an action about r1, with proof         T2+6h  bob logs one, without proof
 *   T2+1d   carol pays 8 TEST for r3; node A serves x2 to alice, anchors batch A2 (T2+1d 2h)
 *   T2+1d3h carol logs an action about r3, with proof
 *   T2+3d1h30m node A claims alice's payment (released T2+3d1h, before any fault)
 *   T2+3d3h alice pays 6 TEST for r4                         T2+3d4h bob pays 4 TEST for r5
 *   T2+10m, T2+12m, T2+14m  nodes A, B and C acknowledge v2's epoch on NodeRouting (node:ack)
 *   TR      the guardian Safe rolls v2 back to v1 as Faulty (npm run gov -- rollback ...)
 *   TR+5m   node A acknowledges v1's new epoch; node B never does; node C does at TR+65m
 *   TR+10m  bob's agent, paying only routable nodes (settleToRoutable), is refused node B
 *   TR+20m..60m node B, stale, still serves v2: s1, s2, s3
 *   TR+30m  node A anchors r4, r5 late (batch A3): Unconfirmable
 *   TR+45m  alice logs an action about r4 with proof: attributed to v2, not to the live v1
 *   TR+90m  node B anchors s1-s3 (batch B1): NotLive      TR+2h node A claims bob's r2 payment
 *   TR+2h30m the guardian Safe disputes batch B1          TR+3h carol refunds r3's payment
 *   TR+3h30m carol logs an action without proof (bound to v1: not v2's)
 *   TR+3h45m node B serves s4 to alice, anchors it at TR+3h50m (batch B2) and withholds the
 *           file: B2 is anchored, its file is in no store (the report lists it as missing)
 *   TR+4h   alice refunds r4's payment; bob's r5 payment stays open (refundable)
 *
 * Every other batch's canonical file is published to a content-addressed store in the work
 * directory (`store`), as batch:build publishes to the local store: the report fetches them by
 * their anchored reference.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroAddress, id, parseUnits, type ContractTransactionResponse } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import type { ERC20TestDouble, InferenceSettlement } from "../../types/ethers-contracts/index.js";
import { anchorBatch, findEntries, readBatchSummary } from "../../src/node/anchoring.js";
import { buildBatch } from "../../src/records/batch.js";
import { revertData } from "../../src/chain/chain.js";
import { ContentStore } from "../../src/store/index.js";
import {
  type SettledEventArgs,
  type SettlementDetails,
  detailsFromSettled,
} from "../../src/chain/enums.js";
import { DEFAULT_PARAMETERS, deploySuite, type Suite } from "../../src/deploy/deploy-local.js";
import { parseGovArgs, runGov } from "../../src/governance/gov.js";
import { type InferenceRecord, ProofPath, RECORD_FORMAT_V1 } from "../../src/records/record.js";
import {
  SAFE_VERSION,
  createSafe,
  deploySafeInfrastructure,
  type SafeInfrastructure,
} from "../../src/governance/safe.js";

/** The model of the story. Its id is keccak256 of the name, as `npm run gov` derives it. */
export const DEMO_MODEL = "opengradient/llm";
export const DEMO_MODEL_ID = id(DEMO_MODEL);

/** When the story starts: 2031-01-06 09:00:00Z (later if the machine's clock is past it). */
export const DEMO_START = 1_925_456_400;

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

/** Proof paths none and TEE (ProofPaths bits 0 and 1). */
export const DEMO_PROOF_MASK = 0x03;

export const ROLLBACK_REASON = "v2 returns unsafe completions to trading agents (INC-7)";
export const ROLLBACK_REASON_URI = "ipfs://bafy-incident-7-postmortem";
export const DISPUTE_REASON = "node B kept serving v2 after the rollback";

/** The token all payments use: TEST, 18 decimals. */
export const unit = (n: number | string) => parseUnits(String(n), 18);

export function blobOfVersion(version: number): string {
  return id(`${DEMO_MODEL}/weights/v${version}`);
}

/** A Safe and its owners. */
export interface DemoSafe {
  address: string;
  owners: HardhatEthersSigner[];
}

export interface DemoPayment {
  label: string;
  settlementId: string;
  details: SettlementDetails;
}

export interface DemoBatch {
  name: string;
  dir: string;
  root: string;
  node: string;
  records: InferenceRecord[];
  /** Its canonical file was published to the store (B2's was withheld). */
  published: boolean;
}

export interface DemoScenario extends Suite {
  token: ERC20TestDouble;
  infra: SafeInfrastructure;
  governance: DemoSafe;
  guardian: DemoSafe;
  deployer: HardhatEthersSigner;
  publisher: HardhatEthersSigner;
  nodeA: HardhatEthersSigner;
  nodeB: HardhatEthersSigner;
  /** Acknowledges v1's epoch an hour after the rollback. */
  nodeC: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  carol: HardhatEthersSigner;
  modelId: string;
  /** Key times: v1 and v2 activations, the rollback, the end of the story. */
  times: { start: number; v1Live: number; v2Live: number; rollback: number; end: number };
  /** Payments by label: p1 (alice), p2 (bob), p3 (carol), p4 (alice), p5 (bob). */
  payments: Record<string, DemoPayment>;
  /** Batches by name: A1, A2 (anchored while v2 was live), A3 (late), B1 (stale node). */
  batches: Record<string, DemoBatch>;
  /** The directories of the published batches, in the order A1, A2, A3, B1 (B2 is withheld). */
  batchDirs: string[];
  /** The content-addressed store the published batch files went to. */
  store: ContentStore;
  /** The `npm run gov` arguments that name the contracts (there is no Ignition deployment). */
  govOverrides: string[];
  /** Names of the cast's addresses, for the report (formatIncidentReport's labels). */
  labels: Record<string, string>;
}

export interface ScenarioOptions {
  /** A temporary directory for the batch files (the caller removes it). */
  workDir: string;
  /** Where the story's steps go (nowhere by default). */
  print?: (line: string) => void;
}

/**
 * Plays the story on `connection` (an in-process Hardhat network: it sets block times) and
 * returns who is who, the payments and the batches. Throws on any failure.
 */
export async function runScenario(
  connection: NetworkConnection,
  options: ScenarioOptions,
): Promise<DemoScenario> {
  const print = options.print ?? (() => {});
  const { ethers, networkHelpers } = connection;
  const { time } = networkHelpers;
  const signers = await ethers.getSigners();
  if (signers.length < 14) throw new Error(`the network has ${signers.length} accounts; 14 needed`);
  const [deployer, gov1, gov2, gov3, grd1, grd2, grd3, publisher, nodeA, nodeB, alice, bob, carol] =
    signers;
  const nodeC = signers[13];
  /** The next transaction is mined at `t` (a block at t-1 first, so that previews see t-1). */
  const at = async (t: number) => {
    const latest = await time.latest();
    if (latest >= t)
      throw new Error(`scenario clock: ${t} is not after the latest block ${latest}`);
    if (latest < t - 1) await time.increaseTo(t - 1);
    await time.setNextBlockTimestamp(t);
  };
  const mined = async (sent: Promise<ContractTransactionResponse>) => {
    const receipt = await (await sent).wait();
    if (receipt === null || receipt.status !== 1) throw new Error("a transaction failed");
    return receipt;
  };

  // ---- 1. Safes and the suite
  const infra = await deploySafeInfrastructure(deployer);
  const governance: DemoSafe = {
    address: await createSafe(
      deployer,
      infra,
      [gov1, gov2, gov3].map((s) => s.address),
      2,
      1,
    ),
    owners: [gov1, gov2, gov3],
  };
  const guardian: DemoSafe = {
    address: await createSafe(
      deployer,
      infra,
      [grd1, grd2, grd3].map((s) => s.address),
      2,
      2,
    ),
    owners: [grd1, grd2, grd3],
  };
  const suite = await deploySuite(deployer, {
    governor: governance.address,
    guardian: guardian.address,
    admin: governance.address,
    publishers: [publisher.address],
  });
  const { registry, anchor, settlement, actionLog, routing } = suite;
  const token = (await ethers.deployContract(
    "ERC20TestDouble",
    [],
    deployer,
  )) as unknown as ERC20TestDouble;
  await token.waitForDeployment();
  const settlementAddress = await settlement.getAddress();
  for (const agent of [alice, bob, carol]) {
    await mined(token.connect(deployer).mint(agent.address, unit(100)));
    await mined(token.connect(agent).approve(settlementAddress, unit(100)));
  }
  print(
    `1. Deployed Safe v${SAFE_VERSION} multisigs and the suite: governance Safe ${governance.address} ` +
      `(2 of 3 owners: GOVERNOR, ADMIN), guardian Safe ${guardian.address} (2 of 3: GUARDIAN), ` +
      `ModelRegistry ${await registry.getAddress()}, InferenceAnchor ${await anchor.getAddress()}, ` +
      `InferenceSettlement ${settlementAddress}, AgentActionLog ${await actionLog.getAddress()}; ` +
      `promotion delay ${Number(DEFAULT_PARAMETERS.promotionDelay) / HOUR}h, payment hold ` +
      `${Number(DEFAULT_PARAMETERS.holdPeriod) / DAY}d; agents hold 100 TEST each`,
  );

  const govOverrides = [
    "--registry",
    await registry.getAddress(),
    "--anchor",
    await anchor.getAddress(),
    "--settlement",
    settlementAddress,
  ];
  /** `npm run gov -- <argv> --execute` at time t, in-process; returns its printed lines. */
  const gov = async (t: number, argv: string[]) => {
    await at(t);
    const lines: string[] = [];
    await runGov(parseGovArgs([...argv, "--execute", ...govOverrides]), ethers as HardhatEthers, {
      print: (l) => lines.push(l),
    });
    return lines;
  };

  // ---- 2. the model, its nodes, its versions
  const latest = await time.latest();
  const start = latest < DEMO_START - 10 ? DEMO_START : Math.ceil((latest + DAY) / DAY) * DAY;
  const modelId = DEMO_MODEL_ID;
  await gov(start, ["create-model", "--model", DEMO_MODEL, "--publisher", publisher.address]);
  // Node C's turn comes 30 s after node B's: the versions are registered from start + 3 min.
  for (const [node, t] of [
    [nodeA, start + MINUTE],
    [nodeB, start + 2 * MINUTE],
    [nodeC, start + 2 * MINUTE + 30],
  ] as const) {
    await gov(t, [
      "set-operator",
      "--model",
      DEMO_MODEL,
      "--operator",
      node.address,
      "--allowed",
      "true",
    ]);
  }
  for (const v of [1, 2]) {
    await at(start + (2 + v) * MINUTE);
    await mined(
      registry
        .connect(publisher)
        .registerVersion(
          modelId,
          blobOfVersion(v),
          id(`${DEMO_MODEL}/weights-hash/v${v}`),
          `ipfs://${DEMO_MODEL}/v${v}/model-card.json`,
          DEMO_PROOF_MASK,
          ZeroAddress,
        ),
    );
  }
  print(
    `2. The governance Safe created ${DEMO_MODEL} (id ${modelId}) and allowed node A ` +
      `${nodeA.address}, node B ${nodeB.address} and node C ${nodeC.address} to anchor; the publisher ${publisher.address} ` +
      `registered v1 and v2 (weights ${blobOfVersion(1).slice(0, 10)}…, ${blobOfVersion(2).slice(0, 10)}…)`,
  );

  // ---- 3. promotions: proposed by the governance Safe, activated by anyone after the delay
  const delay = Number(DEFAULT_PARAMETERS.promotionDelay);
  const promote = async (version: number, proposeAt: number) => {
    await gov(proposeAt, ["propose", "--model", DEMO_MODEL, "--version", String(version)]);
    const live = proposeAt + delay + MINUTE;
    await at(live);
    await mined(registry.connect(deployer).activate(modelId));
    return live;
  };
  const v1Live = await promote(1, start + 5 * MINUTE);
  const T2 = await promote(2, v1Live + HOUR);
  const [, epoch2] = await registry.live(modelId);
  print(
    `3. Promotions through the governance Safe and the ${delay / HOUR}h delay: v1 live from ` +
      `${iso(v1Live)}, then v2 live from ${iso(T2)} (epoch ${epoch2})`,
  );
  // The nodes switch to v2 and acknowledge its epoch on NodeRouting (npm run node:ack).
  await at(T2 + 10 * MINUTE);
  await mined(routing.connect(nodeA).acknowledge(modelId, epoch2));
  await at(T2 + 12 * MINUTE);
  await mined(routing.connect(nodeB).acknowledge(modelId, epoch2));
  await at(T2 + 14 * MINUTE);
  await mined(routing.connect(nodeC).acknowledge(modelId, epoch2));

  // ---- 4. v2 serves; agents pay before they are served
  const payments: Record<string, DemoPayment> = {};
  const pay = async (
    t: number,
    label: string,
    agent: HardhatEthersSigner,
    amount: number,
  ): Promise<void> => {
    await at(t);
    const receipt = await mined(
      settlement.connect(agent).settle(
        modelId,
        2,
        epoch2,
        nodeA.address,
        await token.getAddress(),
        unit(amount),
        requestOf(label),
        Number(DEFAULT_PARAMETERS.holdPeriod), // the payer's guard: no shorter hold period
      ),
    );
    for (const log of receipt.logs) {
      const parsed = settlement.interface.parseLog(log);
      if (parsed?.name !== "Settled") continue;
      payments[label] = {
        label,
        settlementId: parsed.args.settlementId as string,
        details: detailsFromSettled(parsed.args as unknown as SettledEventArgs),
      };
    }
  };
  const record = (
    label: string,
    node: HardhatEthersSigner,
    agent: HardhatEthersSigner,
    servedAt: number,
  ): InferenceRecord => ({
    format: RECORD_FORMAT_V1,
    requestId: requestOf(label),
    modelId,
    version: 2,
    blobId: blobOfVersion(2),
    inputHash: id(`${DEMO_MODEL}/input/${label}`),
    outputHash: id(`${DEMO_MODEL}/output/${label}`),
    proofPath: ProofPath.TEE,
    proofCommitment: id(`${DEMO_MODEL}/tee-attestation/${label}`),
    agent: agent.address,
    node: node.address,
    servedAt,
  });
  const batches: Record<string, DemoBatch> = {};
  // The nodes' content-addressed store (a web server or IPFS in production): see ../lib/store.
  const store = new ContentStore(join(options.workDir, "store"));
  const anchorAt = async (
    t: number,
    batchName: string,
    node: HardhatEthersSigner,
    records: InferenceRecord[],
    publish = true,
  ) => {
    const input = join(options.workDir, `${batchName}.jsonl`);
    writeFileSync(input, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const dir = join(options.workDir, batchName);
    await buildBatch(input, dir, {}, publish ? { store } : {});
    const summary = readBatchSummary(dir);
    await at(t);
    const outcome = await anchorBatch(anchor, node, summary);
    if (outcome.status !== "anchored") throw new Error(`batch ${batchName} was not anchored`);
    batches[batchName] = {
      name: batchName,
      dir,
      root: summary.root,
      node: node.address,
      records,
      published: publish,
    };
  };
  const actionWithProof = async (
    t: number,
    agent: HardhatEthersSigner,
    label: string,
    what: string,
  ) => {
    const batch = Object.values(batches).find((b) =>
      b.records.some((r) => r.requestId === requestOf(label)),
    );
    if (batch === undefined) throw new Error(`no batch holds ${label}`);
    const [entry] = await findEntries(batch.dir, "proofs.jsonl", requestOf(label));
    await at(t);
    await mined(
      actionLog
        .connect(agent)
        .logWithProof(
          modelId,
          requestOf(label),
          id(what),
          `ipfs://actions/${label}`,
          batch.root,
          entry.record,
          entry.proof,
        ),
    );
  };
  const actionWithoutProof = async (
    t: number,
    agent: HardhatEthersSigner,
    label: string,
    what: string,
  ) => {
    await at(t);
    await mined(
      actionLog.connect(agent).log(modelId, requestOf(label), id(what), `ipfs://actions/${label}`),
    );
  };

  await pay(T2 + HOUR, "r1", alice, 5);
  await pay(T2 + 2 * HOUR, "r2", bob, 3);
  await anchorAt(T2 + 4 * HOUR, "A1", nodeA, [
    record("r1", nodeA, alice, T2 + HOUR + 30),
    record("r2", nodeA, bob, T2 + 2 * HOUR + 30),
    record("x1", nodeA, carol, T2 + 3 * HOUR),
  ]);
  await actionWithProof(T2 + 5 * HOUR, alice, "r1", "alice rebalanced her portfolio on r1");
  await actionWithoutProof(T2 + 6 * HOUR, bob, "r2", "bob sent a quote on r2");
  await pay(T2 + DAY, "r3", carol, 8);
  await anchorAt(T2 + DAY + 2 * HOUR, "A2", nodeA, [
    record("r3", nodeA, carol, T2 + DAY + 30),
    record("x2", nodeA, alice, T2 + DAY + HOUR),
  ]);
  await actionWithProof(T2 + DAY + 3 * HOUR, carol, "r3", "carol approved a loan on r3");
  print(
    `4. v2 serves: alice, bob and carol pay node A before each request ` +
      `(InferenceSettlement, TEST); node A serves 5 records under v2 and anchors them in batches A1 ` +
      `and A2 while v2 is live; alice and carol log actions with the record as proof, bob without`,
  );

  await at(T2 + 3 * DAY + HOUR + 30 * MINUTE);
  await mined(settlement.connect(nodeA).claim(payments.r1.details, nodeA.address));
  await pay(T2 + 3 * DAY + 3 * HOUR, "r4", alice, 6);
  await pay(T2 + 3 * DAY + 4 * HOUR, "r5", bob, 4);
  print(
    `5. Three days on: node A claims alice's first payment (its 3-day hold ended); alice and bob ` +
      `pay for r4 and r5, which node A serves under v2 but has not anchored yet`,
  );

  // ---- 6. the rollback, by the guardian Safe through the governance command line's core
  const TR = T2 + 3 * DAY + 6 * HOUR;
  const rollbackArgs = [
    "rollback",
    "--model",
    DEMO_MODEL,
    "--from",
    "2",
    "--to",
    "1",
    "--disposition",
    "faulty",
    "--reason",
    ROLLBACK_REASON,
    "--reason-uri",
    ROLLBACK_REASON_URI,
  ];
  const rollbackLines = await gov(TR, rollbackArgs);
  const [, epoch3] = await registry.live(modelId);
  print(
    `6. v2 misbehaves. At ${iso(TR)} the guardian Safe's owners roll back to v1, v2 Faulty ` +
      `(v1 live again in epoch ${epoch3}):`,
  );
  print(`     npm run gov -- ${rollbackArgs.map(quoteArg).join(" ")} --network NAME --execute`);
  for (const l of rollbackLines) print(`     gov: ${l}`);
  // Node A switches back to v1 within minutes and acknowledges it; node C an hour later (below);
  // node B never does.
  await at(TR + 5 * MINUTE);
  await mined(routing.connect(nodeA).acknowledge(modelId, epoch3));
  await at(TR + 10 * MINUTE);
  print(`     ${await refusedStalePayee(settlement.connect(bob), nodeB.address, token)}`);

  // ---- 7. after the rollback: a stale node, late anchoring, claims, refunds, actions
  const stale = [
    record("s1", nodeB, carol, TR + 20 * MINUTE),
    record("s2", nodeB, alice, TR + 40 * MINUTE),
    record("s3", nodeB, bob, TR + 60 * MINUTE),
  ];
  await anchorAt(TR + 30 * MINUTE, "A3", nodeA, [
    record("r4", nodeA, alice, T2 + 3 * DAY + 3 * HOUR + 30),
    record("r5", nodeA, bob, T2 + 3 * DAY + 4 * HOUR + 30),
  ]);
  await actionWithProof(TR + 45 * MINUTE, alice, "r4", "alice hedged on r4");
  // Node C switches back to v1 an hour after the rollback.
  await at(TR + 65 * MINUTE);
  await mined(routing.connect(nodeC).acknowledge(modelId, epoch3));
  await anchorAt(TR + 90 * MINUTE, "B1", nodeB, stale);
  print(
    `7. Node B never updated: it keeps serving v2 for an hour after the rollback and anchors ` +
      `3 records (batch B1); node A anchors r4 and r5, served while v2 was live, only after the ` +
      `rollback (batch A3); alice logs an action about r4 with its record: it is attributed to v2, ` +
      `which served it, not to v1, live when she logged. Node A acknowledged v1's epoch 5 minutes ` +
      `after the rollback, node C an hour after it (1h 5m), node B never`,
  );

  await at(TR + 2 * HOUR);
  await mined(settlement.connect(nodeA).claim(payments.r2.details, nodeA.address));
  await gov(TR + 2 * HOUR + 30 * MINUTE, [
    "dispute-batch",
    "--model",
    DEMO_MODEL,
    "--operator",
    nodeB.address,
    "--root",
    batches.B1.root,
    "--reason",
    DISPUTE_REASON,
  ]);
  await at(TR + 3 * HOUR);
  await mined(settlement.connect(carol).refund(payments.r3.details, carol.address));
  await actionWithoutProof(TR + 3 * HOUR + 30 * MINUTE, carol, "r6", "carol closed a position");
  await anchorAt(
    TR + 3 * HOUR + 50 * MINUTE,
    "B2",
    nodeB,
    [record("s4", nodeB, alice, TR + 3 * HOUR + 45 * MINUTE)],
    false,
  );
  await at(TR + 4 * HOUR);
  await mined(settlement.connect(alice).refund(payments.r4.details, alice.address));
  print(
    `8. Payers: carol and alice take back the payments v2 had not earned (Faulty before their ` +
      `release); bob has not refunded r5 yet; node A claims bob's r2 payment, released before the ` +
      `fault. The guardian Safe disputes batch B1; carol logs an unproven action, now bound to v1. ` +
      `Node B anchors one more record (batch B2) but withholds its file from every store`,
  );

  return {
    ...suite,
    token,
    infra,
    governance,
    guardian,
    deployer,
    publisher,
    nodeA,
    nodeB,
    nodeC,
    alice,
    bob,
    carol,
    modelId,
    times: { start, v1Live, v2Live: T2, rollback: TR, end: TR + 4 * HOUR },
    payments,
    batches,
    batchDirs: ["A1", "A2", "A3", "B1"].map((n) => batches[n].dir),
    store,
    govOverrides,
    labels: {
      [governance.address]: "governance Safe",
      [guardian.address]: "guardian Safe",
      [publisher.address]: "publisher",
      [nodeA.address]: "node A",
      [nodeB.address]: "node B",
      [nodeC.address]: "node C",
      [alice.address]: "alice",
      [bob.address]: "bob",
      [carol.address]: "carol",
    },
  };
}

/**
 * What a payer that pays only routable nodes sees when it asks `settleToRoutable` to pay
 * `payee` (an eth_call: nothing is sent): one line, the contract's refusal decoded.
 */
async function refusedStalePayee(
  settlement: InferenceSettlement,
  payee: string,
  token: ERC20TestDouble,
): Promise<string> {
  try {
    await settlement.settleToRoutable.staticCall(
      DEMO_MODEL_ID,
      1,
      0,
      payee,
      await token.getAddress(),
      unit(1),
      requestOf("routable-check"),
      0,
    );
  } catch (error) {
    const data = revertData(error);
    const parsed = data === undefined ? null : settlement.interface.parseError(data);
    if (parsed?.name === "SettlementPayeeNotRoutable") {
      const [, node, acknowledged, liveEpoch] = parsed.args;
      return (
        `bob's agent pays only routable nodes (settleToRoutable): node B ${node} is refused, ` +
        `SettlementPayeeNotRoutable (last acknowledged epoch ${acknowledged}, live epoch ${liveEpoch})`
      );
    }
    throw error;
  }
  throw new Error("settleToRoutable accepted a node that never switched back");
}

/** The request id of a labelled request of the story. */
export function requestOf(label: string): string {
  return id(`${DEMO_MODEL}/request/${label}`);
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace("T", " ").replace(".000Z", "Z");
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\$`])/g, "\\$1")}"`;
}
