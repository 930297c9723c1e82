/**
 * The fixture of the InferenceSettlement, AgentActionLog and VersionBound (RatingBoard) tests: the
 * registry as deployed (deployRegistry), an InferenceAnchor and an InferenceSettlement wired
 * through the AccessManager's delayed ADMIN, an AgentActionLog, a plain test token, a model with
 * v1 then v2 promoted (v3 registered), and helpers to settle, roll back, and build, anchor and
 * prove batches of inference records.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  AbiCoder,
  MaxUint256,
  ZeroAddress,
  ZeroHash,
  id,
  keccak256,
  type ContractTransactionResponse,
} from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import {
  ProofMask,
  type SettledEventArgs,
  type SettlementDetails,
  detailsFromSettled,
} from "../../src/chain/enums.js";
import { ProofPath, RECORD_FORMAT_V1, type InferenceRecord } from "../../src/records/record.js";
import {
  INFERENCE_ANCHOR_FUNCTION_ROLES,
  INFERENCE_SETTLEMENT_FUNCTION_ROLES,
} from "../../src/chain/roles.js";
import type {
  AgentActionLog,
  ERC20TestDouble,
  InferenceAnchor,
  InferenceSettlement,
  NodeRouting,
} from "../../types/ethers-contracts/index.js";
import { anchorTree, type AnchorRange, type Batch } from "./batch.js";
import { minedAt, registryActions, sendRollback } from "./registry-actions.js";
import {
  asDelayedAdmin,
  deployRegistry,
  wiringCalls,
  type RegistryFixture,
} from "./registry-fixture.js";

// Shared definitions, under the names these tests use (Path is ProofPath).
export {
  Disposition,
  RefundReason,
  SettlementState,
  flagsOf,
  type SettlementDetails,
  type StandingName,
} from "../../src/chain/enums.js";
export { ProofPath as Path } from "../../src/records/record.js";
export { Batch } from "./batch.js";
export { minedAt } from "./registry-actions.js";

// ------------------------------------------------------------------ constants

export const DAY = 24n * 3600n;
/** The settlement's hold period in the fixture. */
export const HOLD_PERIOD = 3n * DAY;
/** The anchor's backdating bound in the fixture. */
export const MAX_ANCHOR_DELAY = DAY;
/** What the payers are minted, and the default amount of one settlement. */
export const MINTED = 10n ** 24n;
export const AMOUNT = 10n ** 18n;

/** v1, v2 (live at the end of the fixture) and v3 (registered) of MODEL_ID. */
export const MODEL_ID = id("settlement:model:alpha");
/** Created with v1 registered, never promoted: nothing is live. */
export const OTHER_MODEL_ID = id("settlement:model:beta");
/** Never created. */
export const UNKNOWN_MODEL_ID = id("settlement:model:unknown");

export const REASON_HASH = id("settlement incident report");
export const REASON_URI = "ipfs://settlement-incident-report";
export const FILE_REF = id("walrus:settlement-batch");

/** How the fixture registers each version of MODEL_ID (version n at index n - 1). */
export const VERSION_MASKS = [
  ProofMask.NONE | ProofMask.TEE, // v1: promoted first, the rollback target
  ProofMask.NONE | ProofMask.TEE, // v2: live at the end of the fixture
  ProofMask.NONE | ProofMask.OPTIMISTIC, // v3: registered, never proposed
] as const;

/** The blob id of test version `n` of `modelId`. */
export function blobOf(modelId: string, n: number | bigint): string {
  return id(`settlement-blob:${modelId}:${n}`);
}

// ------------------------------------------------------------------ fixture

export interface SettlementFixture extends RegistryFixture {
  connection: NetworkConnection<"generic">;
  anchor: InferenceAnchor;
  settlement: InferenceSettlement;
  actionLog: AgentActionLog;
  /** The NodeRouting the settlement reads in settleToRoutable (no acknowledgements yet). */
  routing: NodeRouting;
  token: ERC20TestDouble;
  /**
   * The node that serves the records and, allowed for MODEL_ID, anchors them. It is paid for its
   * service: the settlements' default payee (`payee` is the same signer).
   */
  node: HardhatEthersSigner;
  /** Another node allowed for MODEL_ID. */
  otherNode: HardhatEthersSigner;
  /** Agents that pay (and act); both minted MINTED of `token` and approved the settlement. */
  payer: HardhatEthersSigner;
  otherPayer: HardhatEthersSigner;
  /** The payee of the settlements: `node`, which a challenge's record must name. */
  payee: HardhatEthersSigner;
  /** An address a payee or payer sends its money to instead of its own. */
  recipient: HardhatEthersSigner;
  /** When v1 and v2 of MODEL_ID became live (epochs 1 and 2). */
  v1LiveAt: bigint;
  v2LiveAt: bigint;
}

/** Proposes `version`, waits the promotion delay and activates it; returns when it went live. */
export async function promote(
  f: RegistryFixture & Pick<SettlementFixture, "connection">,
  version: number | bigint,
  modelId: string = MODEL_ID,
): Promise<bigint> {
  const { activated } = await registryActions(f.connection, f).promote(modelId, BigInt(version));
  return activated.timestamp;
}

/**
 * The guardian rolls `modelId` back from its current version to `toVersion`, marking the current
 * one `disposition`; returns when. The ONLY place these tests call `ModelRegistry.rollback`
 * (through registry-actions' sendRollback, which copes with either ABI).
 */
export async function rollbackTo(
  f: Pick<SettlementFixture, "registry" | "guardian">,
  toVersion: number | bigint,
  disposition: bigint,
  modelId: string = MODEL_ID,
): Promise<bigint> {
  const reason = { hash: REASON_HASH, uri: REASON_URI };
  return minedAt(sendRollback(f.registry, f.guardian, modelId, toVersion, disposition, reason));
}

/** The guardian pauses `modelId`; returns when. */
export async function pauseModel(
  f: Pick<SettlementFixture, "registry" | "guardian">,
  modelId: string = MODEL_ID,
): Promise<bigint> {
  return minedAt(f.registry.connect(f.guardian).pause(modelId));
}

/** The guardian resumes `modelId` (a new epoch of the same version); returns when. */
export async function resumeModel(
  f: Pick<SettlementFixture, "registry" | "guardian">,
  modelId: string = MODEL_ID,
): Promise<bigint> {
  return minedAt(f.registry.connect(f.guardian).resume(modelId));
}

/** The guardian marks `version` Faulty or Withdrawn outside a rollback; returns when. */
export async function revokeVersion(
  f: Pick<SettlementFixture, "registry" | "guardian">,
  version: number | bigint,
  disposition: bigint,
  modelId: string = MODEL_ID,
): Promise<bigint> {
  return minedAt(
    f.registry.connect(f.guardian).revoke(modelId, version, disposition, REASON_HASH, REASON_URI),
  );
}

/** Mints MINTED of `token` to each account and approves `spender` for all of it. */
export async function fund(
  token: ERC20TestDouble,
  spender: string,
  accounts: HardhatEthersSigner[],
): Promise<void> {
  for (const account of accounts) {
    await (await token.mint(account.address, MINTED)).wait();
    await (await token.connect(account).approve(spender, MaxUint256)).wait();
  }
}

/**
 * deployRegistry, plus: an InferenceAnchor (maxAnchorDelay 1 day) and an InferenceSettlement
 * (hold period HOLD_PERIOD) wired per INFERENCE_ANCHOR_FUNCTION_ROLES and
 * INFERENCE_SETTLEMENT_FUNCTION_ROLES through the delayed ADMIN; an AgentActionLog; MODEL_ID
 * with v1, v2 (NONE|TEE) and v3 (NONE|OPTIMISTIC), v1 then v2 promoted (v2 live in epoch 2);
 * OTHER_MODEL_ID with v1 registered and nothing live; `node` (the payee) and `otherNode` allowed
 * for MODEL_ID; `payer`
 * and `otherPayer` funded with an ERC20TestDouble approved for the settlement.
 */
export async function deploySettlement(
  connection: NetworkConnection<"generic">,
): Promise<SettlementFixture> {
  const { ethers } = connection;
  const f = await deployRegistry(connection);
  const signers = await ethers.getSigners();
  const [node, otherNode, payer, otherPayer, recipient] = signers.slice(7, 12);
  const managerAddress = await f.manager.getAddress();
  const registryAddress = await f.registry.getAddress();

  const anchor = (await ethers.deployContract("InferenceAnchor", [
    managerAddress,
    registryAddress,
    MAX_ANCHOR_DELAY,
  ])) as unknown as InferenceAnchor;
  const anchorAddress = await anchor.getAddress();
  const routing = (await ethers.deployContract("NodeRouting", [
    registryAddress,
    anchorAddress,
  ])) as unknown as NodeRouting;
  const settlement = (await ethers.deployContract("InferenceSettlement", [
    managerAddress,
    registryAddress,
    anchorAddress,
    await routing.getAddress(),
    HOLD_PERIOD,
  ])) as unknown as InferenceSettlement;
  const actionLog = (await ethers.deployContract("AgentActionLog", [
    registryAddress,
    anchorAddress,
  ])) as unknown as AgentActionLog;
  await asDelayedAdmin(connection, f, [
    ...(await wiringCalls(f, anchor, INFERENCE_ANCHOR_FUNCTION_ROLES)),
    ...(await wiringCalls(f, settlement, INFERENCE_SETTLEMENT_FUNCTION_ROLES)),
  ]);

  const { registry, governor, publisher } = f;
  for (const modelId of [MODEL_ID, OTHER_MODEL_ID]) {
    await (await registry.connect(governor).createModel(modelId, [publisher.address])).wait();
  }
  for (const [i, mask] of VERSION_MASKS.entries()) {
    const n = i + 1;
    await (
      await registry
        .connect(publisher)
        .registerVersion(
          MODEL_ID,
          blobOf(MODEL_ID, n),
          id(`settlement-weights:${n}`),
          `ipfs://settlement/v${n}`,
          mask,
          ZeroAddress,
        )
    ).wait();
  }
  await (
    await registry
      .connect(publisher)
      .registerVersion(
        OTHER_MODEL_ID,
        blobOf(OTHER_MODEL_ID, 1),
        id("settlement-weights:other:1"),
        "ipfs://settlement/other/v1",
        ProofMask.NONE,
        ZeroAddress,
      )
  ).wait();
  const base = { ...f, connection };
  const v1LiveAt = await promote(base, 1);
  const v2LiveAt = await promote(base, 2);
  for (const account of [node, otherNode]) {
    await (await anchor.connect(governor).setOperator(MODEL_ID, account.address, true)).wait();
  }

  const token = (await ethers.deployContract("ERC20TestDouble")) as unknown as ERC20TestDouble;
  await fund(token, await settlement.getAddress(), [payer, otherPayer]);

  return {
    ...base,
    anchor,
    settlement,
    actionLog,
    routing,
    token,
    node,
    otherNode,
    payer,
    otherPayer,
    payee: node,
    recipient,
    v1LiveAt,
    v2LiveAt,
  };
}

// ------------------------------------------------------------------ settlements

/** A Settled event's arguments in order (the details' order), for `withArgs`. */
export function settledArgs(id: string, d: SettlementDetails): unknown[] {
  return [
    id,
    d.modelId,
    d.epoch,
    d.payer,
    d.requestId,
    d.version,
    d.payee,
    d.token,
    d.amount,
    d.settledAt,
    d.releaseAt,
  ];
}

/** `settlementId = keccak256(abi.encode(payer, requestId))`, computed off-chain. */
export function settlementIdOf(payer: string, requestId: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [payer, requestId]));
}

let requestCounter = 0;

/** A fresh request id. */
export function nextRequestId(): string {
  return id(`settlement:request:${++requestCounter}`);
}

export interface SettleOptions {
  payer?: HardhatEthersSigner;
  payee?: string;
  token?: { getAddress(): Promise<string> };
  amount?: bigint;
  requestId?: string;
  modelId?: string;
  /** The expected version; the live one if omitted. */
  version?: bigint | number;
  /** The expected epoch; 0 (any) if omitted. */
  epoch?: bigint | number;
  /** The payer's guard on the hold period; the hold period the payer reads now if omitted. */
  minHoldPeriod?: bigint | number;
  /** Call settleToRoutable (the payee must have acknowledged the live epoch) instead of settle. */
  toRoutable?: boolean;
}

export interface Settlement {
  id: string;
  details: SettlementDetails;
}

/** The settle call `options` describe (defaults: the fixture's payer, payee, token, AMOUNT). */
export async function settleTx(
  f: SettlementFixture,
  options: SettleOptions = {},
): Promise<ContractTransactionResponse> {
  const modelId = options.modelId ?? MODEL_ID;
  const version = options.version ?? (await f.registry.live(modelId)).version;
  const payer = f.settlement.connect(options.payer ?? f.payer);
  return (options.toRoutable === true ? payer.settleToRoutable : payer.settle)(
    modelId,
    version,
    options.epoch ?? 0,
    options.payee ?? f.payee.address,
    await (options.token ?? f.token).getAddress(),
    options.amount ?? AMOUNT,
    options.requestId ?? nextRequestId(),
    options.minHoldPeriod ?? (await f.settlement.holdPeriod()),
  );
}

/** Settles as `options` describe and returns the id and the details from the Settled event. */
export async function settle(
  f: SettlementFixture,
  options: SettleOptions = {},
): Promise<Settlement> {
  const receipt = await (await settleTx(f, options)).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  for (const log of receipt.logs) {
    const parsed = f.settlement.interface.parseLog(log);
    if (parsed?.name !== "Settled") continue;
    return {
      id: parsed.args.settlementId as string,
      details: detailsFromSettled(parsed.args as unknown as SettledEventArgs),
    };
  }
  throw new Error("no Settled event");
}

// ------------------------------------------------------------------ records and batches

let recordCounter = 0;

/**
 * A conforming-shaped record of the settlement's request (its request id, payer as agent, model
 * and paid version, the version's blob, path NONE), served by its payee at `servedAt`,
 * with `overrides`.
 */
export function recordFor(
  details: Pick<SettlementDetails, "requestId" | "payer" | "modelId" | "version" | "payee">,
  servedAt: bigint | number,
  overrides: Partial<InferenceRecord> = {},
): InferenceRecord {
  const n = ++recordCounter;
  const version = overrides.version ?? Number(details.version);
  return {
    format: RECORD_FORMAT_V1,
    requestId: details.requestId,
    modelId: details.modelId,
    version,
    blobId: blobOf(details.modelId, version),
    inputHash: id(`settlement:input:${n}`),
    outputHash: id(`settlement:output:${n}`),
    proofPath: ProofPath.NONE,
    proofCommitment: ZeroHash,
    agent: details.payer,
    node: details.payee,
    servedAt: Number(servedAt),
    ...overrides,
  };
}

/** A record of `s`'s request served `after` seconds after it settled. */
export function servedAfter(
  s: Settlement,
  after: bigint,
  overrides: Partial<InferenceRecord> = {},
): InferenceRecord {
  return recordFor(s.details, s.details.settledAt + after, overrides);
}

export interface AnchorOptions extends AnchorRange {
  /** The node that anchors (and served the records); the fixture's `node` if omitted. */
  node?: HardhatEthersSigner;
}

/**
 * Builds the tree of `records` (of MODEL_ID) and anchors it as `node` (the fixture's by default),
 * which must be the records' node: the anchor verifies a record against the batches anchored by
 * `record.node`.
 */
export async function anchorRecords(
  f: Pick<SettlementFixture, "connection" | "anchor" | "node">,
  records: InferenceRecord[],
  options: AnchorOptions = {},
): Promise<Batch> {
  const anchor = f.anchor.connect(options.node ?? f.node);
  return anchorTree(f.connection, anchor, MODEL_ID, records, FILE_REF, options);
}

/** Lets a minute pass (so that every `servedAt` is in the past), then anchors `records` as the node. */
export async function anchorLater(
  f: Pick<SettlementFixture, "connection" | "anchor" | "node">,
  records: InferenceRecord[],
): Promise<Batch> {
  await f.connection.networkHelpers.time.increase(60);
  return anchorRecords(f, records);
}
