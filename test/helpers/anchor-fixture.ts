/**
 * The InferenceAnchor test fixture: the registry as deployed (deployRegistry), an anchor wired
 * through the AccessManager's delayed ADMIN, two models with versions, operators, an enclave key,
 * and helpers to build, anchor and verify batches of inference records.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  AbiCoder,
  Wallet,
  ZeroAddress,
  ZeroHash,
  id,
  keccak256,
  type ContractTransactionResponse,
} from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { signAttestation } from "../../src/records/attestation.js";
import { ProofMask, Standing, flagsOf, type StandingName } from "../../src/chain/enums.js";
import {
  ProofPath,
  RECORD_FIELDS,
  RECORD_FORMAT_V1,
  type InferenceRecord,
} from "../../src/records/record.js";
import { INFERENCE_ANCHOR_FUNCTION_ROLES } from "../../src/chain/roles.js";
import type {
  InferenceAnchor,
  ModelRegistry,
  ZkVerifierTestDouble,
} from "../../types/ethers-contracts/index.js";
import { anchorTree, type AnchorRange, type Batch } from "./batch.js";
import {
  minedAt,
  registryActions,
  sendRollback as sendGuardianRollback,
} from "./registry-actions.js";
import {
  asDelayedAdmin,
  deployRegistry,
  wiringCalls,
  type RegistryFixture,
} from "./registry-fixture.js";

// Shared definitions, under the names these tests use (Path and Mask are ProofPath and ProofMask).
export {
  ATTESTATION_TYPES,
  attestationDomain,
  attestedFields,
} from "../../src/records/attestation.js";
export {
  AttestationStatus,
  Disposition,
  ProofMask as Mask,
  Standing,
  VersionStatus,
  flagsOf,
  type StandingName,
} from "../../src/chain/enums.js";
export { ProofPath as Path } from "../../src/records/record.js";
export { Batch } from "./batch.js";
export { minedAt } from "./registry-actions.js";

// ------------------------------------------------------------------ constants and enums

/** The anchor's backdating bound in the fixture. */
export const MAX_ANCHOR_DELAY = 24n * 3600n;

export const MODEL_ID = id("anchor:model:alpha");
export const OTHER_MODEL_ID = id("anchor:model:beta");
/** Never created in the registry. */
export const UNKNOWN_MODEL_ID = id("anchor:model:unknown");

export const REASON_HASH = id("dispute report");
export const REASON_URI = "ipfs://dispute-report";
export const FILE_REF = id("walrus:batch-file");

/** ZkVerifierTestDouble.Mode */
export const ZkMode = { Honest: 0n, Reverts: 1n, ReturnsGarbage: 2n } as const;

/** ZkVerifierGasTestDouble.Mode */
export const ZkGasMode = {
  NeedsBudget: 0n,
  BurnsAllGas: 1n,
  ReturnsTrueTwice: 2n,
  ReturnsTrueAndMegabytes: 3n,
  ReturnsNothing: 4n,
} as const;

/** The documented primary standing of a flag word: the set flag of lowest bit. */
export function primaryOf(flags: bigint): bigint {
  if (flags === 0n) return Standing.Conforming;
  let bit = 0n;
  while (((flags >> bit) & 1n) === 0n) bit++;
  return bit;
}

/** What verifyRecord is expected to return for a record with these flags (included). */
export function expected(...standings: StandingName[]): [boolean, bigint, bigint] {
  const flags = flagsOf(...standings);
  return [!standings.includes("NotIncluded"), flags, primaryOf(flags)];
}

// ------------------------------------------------------------------ versions

/** The blob id of test version `n` of `modelId`. */
export function blobOf(modelId: string, n: number): string {
  return id(`anchor-blob:${modelId}:${n}`);
}

/** How the fixture registers each version of MODEL_ID (version n at index n - 1). */
export const VERSION_MASKS = [
  ProofMask.NONE | ProofMask.TEE, // v1: promoted first, the rollback target
  ProofMask.NONE | ProofMask.TEE | ProofMask.ZKML, // v2: live at the end, ZK verifier set
  ProofMask.NONE | ProofMask.OPTIMISTIC, // v3: registered, never proposed
] as const;

// ------------------------------------------------------------------ fixture

export interface AnchorFixture extends RegistryFixture {
  anchor: InferenceAnchor;
  zk: ZkVerifierTestDouble;
  /** A node allowed to anchor batches of MODEL_ID; `enclave` is its registered enclave key. */
  node: HardhatEthersSigner;
  /** Another node allowed to anchor batches of MODEL_ID (no enclave key). */
  secondNode: HardhatEthersSigner;
  /** A node allowed to anchor batches of OTHER_MODEL_ID only. */
  otherNode: HardhatEthersSigner;
  agent: HardhatEthersSigner;
  enclave: Wallet;
  /** When v1 and v2 of MODEL_ID became live (epochs 1 and 2). */
  v1LiveAt: bigint;
  v2LiveAt: bigint;
  /** When `enclave` was registered. */
  enclaveRegisteredAt: bigint;
  chainId: bigint;
}

/**
 * The registry deployed by deployRegistry, plus: an InferenceAnchor wired per
 * INFERENCE_ANCHOR_FUNCTION_ROLES; MODEL_ID with v1 (NONE|TEE), v2 (NONE|TEE|ZKML with the ZK
 * test double) and v3 (NONE|OPTIMISTIC), v1 then v2 promoted (v2 live); OTHER_MODEL_ID with v1
 * live; `node` and `secondNode` allowed to anchor MODEL_ID, `otherNode` OTHER_MODEL_ID; `enclave`
 * registered for `node`.
 */
export async function deployAnchor(
  connection: NetworkConnection<"generic">,
): Promise<AnchorFixture> {
  const { ethers } = connection;
  const f = await deployRegistry(connection);
  const signers = await ethers.getSigners();
  const [node, secondNode, otherNode, agent] = signers.slice(7, 11);

  const anchor = (await ethers.deployContract("InferenceAnchor", [
    await f.manager.getAddress(),
    await f.registry.getAddress(),
    MAX_ANCHOR_DELAY,
  ])) as unknown as InferenceAnchor;
  await asDelayedAdmin(
    connection,
    f,
    await wiringCalls(f, anchor, INFERENCE_ANCHOR_FUNCTION_ROLES),
  );
  const zk = (await ethers.deployContract(
    "ZkVerifierTestDouble",
  )) as unknown as ZkVerifierTestDouble;
  const zkAddress = await zk.getAddress();

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
          id(`weights:${n}`),
          `ipfs://v${n}`,
          mask,
          (mask & ProofMask.ZKML) !== 0 ? zkAddress : ZeroAddress,
        )
    ).wait();
  }
  await (
    await registry
      .connect(publisher)
      .registerVersion(
        OTHER_MODEL_ID,
        blobOf(OTHER_MODEL_ID, 1),
        id("weights:other:1"),
        "ipfs://other/v1",
        ProofMask.NONE | ProofMask.TEE,
        ZeroAddress,
      )
  ).wait();
  const { promote } = registryActions(connection, f);
  const v1LiveAt = (await promote(MODEL_ID, 1n)).activated.timestamp;
  await promote(OTHER_MODEL_ID, 1n);
  const v2LiveAt = (await promote(MODEL_ID, 2n)).activated.timestamp;

  for (const [modelId, operator] of [
    [MODEL_ID, node],
    [MODEL_ID, secondNode],
    [OTHER_MODEL_ID, otherNode],
  ] as const) {
    await (await anchor.connect(governor).setOperator(modelId, operator.address, true)).wait();
  }
  const enclave = new Wallet(id("anchor test enclave key"));
  const enclaveRegisteredAt = await minedAt(
    anchor.connect(governor).registerEnclaveKey(enclave.address, node.address),
  );
  const { chainId } = await ethers.provider.getNetwork();

  return {
    ...f,
    anchor,
    zk,
    node,
    secondNode,
    otherNode,
    agent,
    enclave,
    v1LiveAt,
    v2LiveAt,
    enclaveRegisteredAt,
    chainId,
  };
}

/**
 * Sends the guardian's rollback of `modelId` from its current version to `toVersion`, marking the
 * current one `disposition`, for this fixture's REASON_HASH and REASON_URI. The ONLY place the
 * anchor tests call `rollback` (through registry-actions' sendRollback, which copes with either
 * ABI). `overrides` (e.g. a gas limit) go last.
 */
export async function sendRollback(
  registry: ModelRegistry,
  guardian: HardhatEthersSigner,
  modelId: string,
  toVersion: number | bigint,
  disposition: bigint,
  overrides: { gasLimit?: bigint | number } = {},
): Promise<ContractTransactionResponse> {
  const reason = { hash: REASON_HASH, uri: REASON_URI };
  return sendGuardianRollback(
    registry,
    guardian,
    modelId,
    toVersion,
    disposition,
    reason,
    overrides,
  );
}

/** The guardian's rollback (see sendRollback), mined; returns its block's timestamp. */
export async function rollbackTo(
  registry: ModelRegistry,
  guardian: HardhatEthersSigner,
  modelId: string,
  toVersion: number | bigint,
  disposition: bigint,
): Promise<bigint> {
  return minedAt(sendRollback(registry, guardian, modelId, toVersion, disposition));
}

/**
 * Sends the transactions in order with automining off and mines them together in one block at
 * timestamp `at`; returns the receipts' transaction indices (to check the order). Each
 * transaction needs an explicit gas limit (nothing is estimated against the pending block).
 */
export async function inOneBlock(
  connection: NetworkConnection<"generic">,
  at: bigint,
  send: Array<() => Promise<ContractTransactionResponse>>,
): Promise<number[]> {
  const { provider, networkHelpers } = connection;
  await provider.request({ method: "evm_setAutomine", params: [false] });
  const txs: ContractTransactionResponse[] = [];
  try {
    for (const s of send) txs.push(await s());
    await networkHelpers.time.setNextBlockTimestamp(at);
    await provider.request({ method: "evm_mine", params: [] });
  } finally {
    await provider.request({ method: "evm_setAutomine", params: [true] });
  }
  const receipts = await Promise.all(txs.map(async (tx) => (await tx.wait())!));
  for (const r of receipts) {
    if (r.blockNumber !== receipts[0].blockNumber) throw new Error("not mined in one block");
    if ((await r.getBlock()).timestamp !== Number(at)) throw new Error("not mined at `at`");
  }
  return receipts.map((r) => r.index);
}

// ------------------------------------------------------------------ records and batches

let requestCounter = 0;

/** A conforming-shaped record of MODEL_ID v2 (path NONE) served by `node`, with `overrides`. */
export function makeRecord(
  f: Pick<AnchorFixture, "node" | "agent">,
  servedAt: bigint | number,
  overrides: Partial<InferenceRecord> = {},
): InferenceRecord {
  const n = ++requestCounter;
  return {
    format: RECORD_FORMAT_V1,
    requestId: id(`request:${n}`),
    modelId: MODEL_ID,
    version: 2,
    blobId: blobOf(MODEL_ID, 2),
    inputHash: id(`input:${n}`),
    outputHash: id(`output:${n}`),
    proofPath: ProofPath.NONE,
    proofCommitment: ZeroHash,
    agent: f.agent.address,
    node: f.node.address,
    servedAt: Number(servedAt),
    ...overrides,
  };
}

/** A record rebuilt from its StandardMerkleTree value list (RECORD_FIELDS order). */
export function recordFromValues(values: readonly unknown[]): InferenceRecord {
  return Object.fromEntries(
    RECORD_FIELDS.map((field, i) => [field, values[i]]),
  ) as unknown as InferenceRecord;
}

export interface AnchorOptions extends AnchorRange {
  modelId?: string;
  /** The anchoring node; `node` if omitted. */
  operator?: HardhatEthersSigner;
}

/** Builds the tree of `records`, anchors it, and returns it with the anchoring time. */
export async function anchorBatch(
  connection: NetworkConnection<"generic">,
  f: AnchorFixture,
  records: InferenceRecord[],
  options: AnchorOptions = {},
): Promise<{ batch: Batch; anchoredAt: bigint }> {
  const batch = await anchorTree(
    connection,
    f.anchor.connect(options.operator ?? f.node),
    options.modelId ?? MODEL_ID,
    records,
    FILE_REF,
    options,
  );
  return { batch, anchoredAt: batch.anchoredAt };
}

// ------------------------------------------------------------------ attestations

/** `record` with the proof path and commitment of a TEE attestation signed by `signer`. */
export async function teeRecord(
  signer: Wallet,
  chainId: bigint,
  verifyingContract: string,
  record: InferenceRecord,
): Promise<{ record: InferenceRecord; signature: string }> {
  const unsigned = { ...record, proofPath: ProofPath.TEE };
  const signature = await signAttestation(signer, chainId, verifyingContract, unsigned);
  return { record: { ...unsigned, proofCommitment: keccak256(signature) }, signature };
}

const LIMB = (1n << 128n) - 1n;

/**
 * The ZK public inputs of `record`: inputHash, outputHash, blobId, requestId as 128-bit limbs
 * (high first), then agent, node and servedAt.
 */
export function zkInstancesOf(r: InferenceRecord): bigint[] {
  return [
    ...[r.inputHash, r.outputHash, r.blobId, r.requestId].flatMap((h) => [
      BigInt(h) >> 128n,
      BigInt(h) & LIMB,
    ]),
    BigInt(r.agent),
    BigInt(r.node),
    BigInt(r.servedAt),
  ];
}

/** The proof the ZK test double accepts for `instances`: keccak256(abi.encode(instances)). */
export function zkProofFor(instances: readonly bigint[]): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint256[]"], [instances]));
}

/** `record` with the proof path ZKML and the commitment of the proof the double accepts. */
export function zkRecord(record: InferenceRecord): { record: InferenceRecord; proof: string } {
  const proof = zkProofFor(zkInstancesOf(record));
  return {
    record: { ...record, proofPath: ProofPath.ZKML, proofCommitment: keccak256(proof) },
    proof,
  };
}
