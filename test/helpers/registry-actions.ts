/**
 * Shared actions and record helpers of the ModelRegistry mocha tests (and of the other fixtures):
 * the registry's enums (re-exported from src/chain/enums.ts), deterministic version data,
 * "register N versions", "promote a version through the delay", block-time helpers, the
 * guardian's rollback, and conversions of the registry's structs into plain objects so that
 * `deep.equal` compares field by field.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroAddress, id, type BaseContract, type ContractTransactionResponse } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { EndReason, ProofMask } from "../../src/chain/enums.js";
import type { ModelRegistry } from "../../types/ethers-contracts/index.js";
import type { RegistryFixture } from "./registry-fixture.js";

export {
  CancelReason,
  Disposition,
  EndReason,
  ProofMask,
  VersionStatus,
} from "../../src/chain/enums.js";

export const MODEL_ID = id("model:alpha");
export const OTHER_MODEL_ID = id("model:beta");

export const REASON_HASH = id("incident report");
export const REASON_URI = "ipfs://incident-report";

/** The blob id of the `n`th test version of `modelId` (distinct per model and per `n`). */
export function blobOf(modelId: string, n: bigint | number): string {
  return id(`blob:${modelId}:${n}`);
}

/** The weights hash of the `n`th test version of `modelId`. */
export function weightsOf(modelId: string, n: bigint | number): string {
  return id(`weights:${modelId}:${n}`);
}

/** The metadata URI of the `n`th test version of `modelId`. */
export function uriOf(modelId: string, n: bigint | number): string {
  return `ipfs://${modelId.slice(2, 10)}/${n}`;
}

/** When and in which block a transaction was mined. */
export interface Mined {
  timestamp: bigint;
  blockNumber: bigint;
}

/** Waits for `tx` and returns the timestamp and number of the block that holds it. */
export async function mined(
  tx: ContractTransactionResponse | Promise<ContractTransactionResponse>,
): Promise<Mined> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  const block = await receipt.getBlock();
  return { timestamp: BigInt(block.timestamp), blockNumber: BigInt(receipt.blockNumber) };
}

/** Waits for `tx` and returns the timestamp of the block that holds it. */
export async function minedAt(
  tx: ContractTransactionResponse | Promise<ContractTransactionResponse>,
): Promise<bigint> {
  return (await mined(tx)).timestamp;
}

/**
 * Sends `guardian`'s rollback of `modelId` from its current version to `toVersion`, marking the
 * current one `disposition`, for `reason`. It passes `fromVersion` when the registry's ABI has it
 * (rollback(modelId, fromVersion, toVersion, disposition, reasonHash, reasonURI)) and omits it
 * otherwise. `overrides` (e.g. a gas limit) go last.
 */
export async function sendRollback(
  registry: ModelRegistry,
  guardian: HardhatEthersSigner,
  modelId: string,
  toVersion: number | bigint,
  disposition: bigint,
  reason: { hash: string; uri: string },
  overrides: { gasLimit?: bigint | number } = {},
): Promise<ContractTransactionResponse> {
  const fromVersion = await registry.currentVersion(modelId);
  // Untyped on purpose: the same call works with either ABI.
  const rollback = (registry.connect(guardian) as BaseContract).getFunction("rollback");
  const args =
    rollback.fragment.inputs.length === 6
      ? [modelId, fromVersion, toVersion, disposition, reason.hash, reason.uri]
      : [modelId, toVersion, disposition, reason.hash, reason.uri];
  return (await rollback(...args, overrides)) as ContractTransactionResponse;
}

/** The names of the events `contract` emitted in `tx`, in order. */
export async function eventNames(
  contract: BaseContract,
  tx: ContractTransactionResponse | Promise<ContractTransactionResponse>,
): Promise<string[]> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  const address = await contract.getAddress();
  return receipt.logs
    .filter((log) => log.address === address)
    .map((log) => contract.interface.parseLog(log)?.name ?? "unknown");
}

// ------------------------------------------------------------------ plain records of the structs

export interface EpochRecord {
  version: bigint;
  startTime: bigint;
  endTime: bigint;
  startBlock: bigint;
  endBlock: bigint;
  endReason: bigint;
}

export interface EpochViewRecord {
  id: bigint;
  epoch: EpochRecord;
}

export interface VersionRecord {
  blobId: string;
  status: bigint;
  proofMask: bigint;
  zkVerifier: string;
  registeredAt: bigint;
  weightsHash: string;
  publisher: string;
  dispositionAt: bigint;
  metadataURI: string;
}

export interface IncidentRecord {
  modelId: string;
  by: string;
  at: bigint;
  atBlock: bigint;
  version: bigint;
  target: bigint;
  windowCount: bigint;
  disposition: bigint;
  reasonHash: string;
  reasonURI: string;
}

export interface ProposalRecord {
  version: bigint;
  proposedAt: bigint;
  earliestActivation: bigint;
  expiresAt: bigint;
  priorStatus: bigint;
}

export function epochRecord(e: EpochRecord): EpochRecord {
  return {
    version: e.version,
    startTime: e.startTime,
    endTime: e.endTime,
    startBlock: e.startBlock,
    endBlock: e.endBlock,
    endReason: e.endReason,
  };
}

export function epochViews(views: readonly EpochViewRecord[]): EpochViewRecord[] {
  return views.map((v) => ({ id: v.id, epoch: epochRecord(v.epoch) }));
}

export function versionRecord(v: VersionRecord): VersionRecord {
  return {
    blobId: v.blobId,
    status: v.status,
    proofMask: v.proofMask,
    zkVerifier: v.zkVerifier,
    registeredAt: v.registeredAt,
    weightsHash: v.weightsHash,
    publisher: v.publisher,
    dispositionAt: v.dispositionAt,
    metadataURI: v.metadataURI,
  };
}

export function incidentRecord(i: IncidentRecord): IncidentRecord {
  // On an ethers Result, `.at` is Array.prototype.at: read the field by its position instead.
  const at = typeof i.at === "bigint" ? i.at : ((i as unknown as readonly unknown[])[2] as bigint);
  return {
    modelId: i.modelId,
    by: i.by,
    at,
    atBlock: i.atBlock,
    version: i.version,
    target: i.target,
    windowCount: i.windowCount,
    disposition: i.disposition,
    reasonHash: i.reasonHash,
    reasonURI: i.reasonURI,
  };
}

export function proposalRecord(p: ProposalRecord): ProposalRecord {
  return {
    version: p.version,
    proposedAt: p.proposedAt,
    earliestActivation: p.earliestActivation,
    expiresAt: p.expiresAt,
    priorStatus: p.priorStatus,
  };
}

/** The record of an open epoch of `version` opened at `at`. */
export function openEpoch(version: bigint, at: Mined): EpochRecord {
  return {
    version,
    startTime: at.timestamp,
    endTime: 0n,
    startBlock: at.blockNumber,
    endBlock: 0n,
    endReason: EndReason.Open,
  };
}

/** The record of an epoch of `version` opened at `start` and closed at `end` for `reason`. */
export function closedEpoch(
  version: bigint,
  start: Mined,
  end: Mined,
  endReason: bigint,
): EpochRecord {
  return {
    version,
    startTime: start.timestamp,
    endTime: end.timestamp,
    startBlock: start.blockNumber,
    endBlock: end.blockNumber,
    endReason,
  };
}

// ------------------------------------------------------------------ actions

/** A promotion: when it was proposed and when the version became live, in which epoch. */
export interface Promotion {
  version: bigint;
  epoch: bigint;
  proposed: Mined;
  activated: Mined;
}

/** Actions bound to one connection and one deployed fixture. */
export function registryActions(connection: NetworkConnection<"generic">, f: RegistryFixture) {
  const { networkHelpers } = connection;
  const { registry } = f;

  /** The timestamp of the latest block. */
  async function now(): Promise<bigint> {
    return BigInt(await networkHelpers.time.latest());
  }

  /** Makes the next transaction's block carry timestamp `t`. */
  async function nextBlockAt(t: bigint): Promise<void> {
    await networkHelpers.time.setNextBlockTimestamp(t);
  }

  /** Mines an empty block at timestamp `t`. */
  async function mineAt(t: bigint): Promise<void> {
    await networkHelpers.time.increaseTo(t);
  }

  /** Registers `count` versions of `modelId` (test data `blobOf(modelId, n)`, etc.). */
  async function register(
    modelId: string = MODEL_ID,
    count = 1,
    publisher: HardhatEthersSigner = f.publisher,
  ): Promise<bigint[]> {
    const versions: bigint[] = [];
    for (let i = 0; i < count; i++) {
      const n = (await registry.versionCount(modelId)) + 1n;
      await (
        await registry
          .connect(publisher)
          .registerVersion(
            modelId,
            blobOf(modelId, n),
            weightsOf(modelId, n),
            uriOf(modelId, n),
            ProofMask.TEE,
            ZeroAddress,
          )
      ).wait();
      versions.push(n);
    }
    return versions;
  }

  /** The governor proposes `version`. */
  async function propose(modelId: string, version: bigint): Promise<Mined> {
    return mined(registry.connect(f.governor).propose(modelId, version));
  }

  /** Proposes `version`, waits exactly the promotion delay and activates it (as a stranger). */
  async function promote(modelId: string, version: bigint): Promise<Promotion> {
    const proposed = await propose(modelId, version);
    const { earliestActivation } = await registry.pendingProposal(modelId);
    await nextBlockAt(earliestActivation);
    const activated = await mined(registry.connect(f.stranger).activate(modelId));
    const [, epoch] = await registry.live(modelId);
    return { version, epoch, proposed, activated };
  }

  /** Promotes each version in turn. */
  async function promoteAll(modelId: string, versions: bigint[]): Promise<Promotion[]> {
    const promotions: Promotion[] = [];
    for (const version of versions) promotions.push(await promote(modelId, version));
    return promotions;
  }

  /**
   * Sends the transactions in order with automining off and mines them together in one block at
   * timestamp `at`. Each transaction needs an explicit gas limit (nothing is estimated against
   * the pending block); transactions of one sender keep their nonce order.
   */
  async function inOneBlock(
    at: bigint,
    send: Array<() => Promise<ContractTransactionResponse>>,
  ): Promise<Mined> {
    const { provider } = connection;
    await provider.request({ method: "evm_setAutomine", params: [false] });
    const txs: ContractTransactionResponse[] = [];
    try {
      for (const s of send) txs.push(await s());
      await nextBlockAt(at);
      await provider.request({ method: "evm_mine", params: [] });
    } finally {
      await provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const all = await Promise.all(txs.map((tx) => mined(tx)));
    for (const m of all) {
      if (m.blockNumber !== all[0].blockNumber) throw new Error("not mined in one block");
    }
    return all[0];
  }

  return { now, nextBlockAt, mineAt, register, propose, promote, promoteAll, inOneBlock };
}
