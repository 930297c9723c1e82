/**
 * The InferenceAnchor test fixture: the registry as deployed (deployRegistry), an anchor wired
 * through the AccessManager's delayed ADMIN, two models with versions, operators, an enclave key,
 * and helpers to build, anchor and verify batches of inference records.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  AbiCoder,
  BaseContract,
  Wallet,
  ZeroAddress,
  ZeroHash,
  id,
  keccak256,
  type ContractTransactionResponse,
} from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { selectorsByRole } from "../../scripts/lib/access.js";
import {
  RECORD_FIELDS,
  RECORD_FORMAT_V1,
  RECORD_TYPES,
  recordValues,
  type InferenceRecord,
} from "../../scripts/lib/record.js";
import { INFERENCE_ANCHOR_FUNCTION_ROLES, Role } from "../../scripts/lib/roles.js";
import type {
  InferenceAnchor,
  ModelRegistry,
  ZkVerifierTestDouble,
} from "../../types/ethers-contracts/index.js";
import { PROMOTION_DELAY, deployRegistry, type RegistryFixture } from "./registry-fixture.js";

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

/** IInferenceAnchor.Standing: also the bit position of each flag. */
export const Standing = {
  Conforming: 0n,
  NotIncluded: 1n,
  UnknownFormat: 2n,
  WrongModel: 3n,
  UnknownVersion: 4n,
  WrongBlob: 5n,
  ProofPathNotAllowed: 6n,
  OutsideBatchRange: 7n,
  NotLive: 8n,
  Unconfirmable: 9n,
  VersionFaulty: 10n,
  VersionWithdrawn: 11n,
  BatchDisputed: 12n,
} as const;
export type StandingName = keyof typeof Standing;

/** IInferenceAnchor.AttestationStatus */
export const AttestationStatus = {
  Valid: 0n,
  NotIncluded: 1n,
  RecordMismatch: 2n,
  NoAttestationPath: 3n,
  ProofPathNotAllowed: 4n,
  CommitmentMismatch: 5n,
  BadSignature: 6n,
  UnknownKey: 7n,
  WrongNode: 8n,
  KeyNotYetRegistered: 9n,
  KeyRevoked: 10n,
  ProofRejected: 11n,
} as const;

/** IModelRegistry.VersionStatus */
export const VersionStatus = {
  None: 0n,
  Registered: 1n,
  Proposed: 2n,
  Active: 3n,
  Retired: 4n,
  Faulty: 5n,
  Withdrawn: 6n,
} as const;

/** IModelRegistry.Disposition */
export const Disposition = { None: 0n, Faulty: 1n, Withdrawn: 2n } as const;

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

/** Proof paths (contracts/libraries/ProofPaths.sol). */
export const Path = { NONE: 0, TEE: 1, ZKML: 2, OPTIMISTIC: 3 } as const;

/** Proof-mask bits: `1 << path`. */
export const Mask = {
  NONE: 1 << Path.NONE,
  TEE: 1 << Path.TEE,
  ZKML: 1 << Path.ZKML,
  OPTIMISTIC: 1 << Path.OPTIMISTIC,
} as const;

/** The flag word of a set of standings: bit `1 << standing` for each. */
export function flagsOf(...standings: StandingName[]): bigint {
  return standings.reduce((acc, s) => acc | (1n << Standing[s]), 0n);
}

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
  Mask.NONE | Mask.TEE, // v1: promoted first, the rollback target
  Mask.NONE | Mask.TEE | Mask.ZKML, // v2: live at the end of the fixture, ZK verifier set
  Mask.NONE | Mask.OPTIMISTIC, // v3: registered, never proposed
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

/** Waits for `tx` and returns the timestamp of the block that holds it. */
export async function minedAt(
  tx: ContractTransactionResponse | Promise<ContractTransactionResponse>,
): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  return BigInt((await receipt.getBlock()).timestamp);
}

/**
 * Runs `calls` (calldata for the AccessManager itself) as the delayed ADMIN: schedules them all,
 * waits the admin's execution delay, and executes them.
 */
export async function asDelayedAdmin(
  connection: NetworkConnection<"generic">,
  f: RegistryFixture,
  calls: string[],
): Promise<void> {
  const target = await f.manager.getAddress();
  for (const data of calls) {
    await (await f.manager.connect(f.admin).schedule(target, data, 0)).wait();
  }
  await connection.networkHelpers.time.increase(PROMOTION_DELAY);
  for (const data of calls) {
    await (await f.manager.connect(f.admin).execute(target, data)).wait();
  }
}

/** Gives each restricted function of `anchor` its role, through the delayed ADMIN. */
export async function wireAnchor(
  connection: NetworkConnection<"generic">,
  f: RegistryFixture,
  anchor: InferenceAnchor,
): Promise<void> {
  const address = await anchor.getAddress();
  const calls = [...selectorsByRole(anchor.interface, INFERENCE_ANCHOR_FUNCTION_ROLES)].map(
    ([role, selectors]) =>
      f.manager.interface.encodeFunctionData("setTargetFunctionRole", [
        address,
        selectors,
        Role[role],
      ]),
  );
  await asDelayedAdmin(connection, f, calls);
}

/** Proposes `version`, waits the promotion delay and activates it; returns when it went live. */
export async function promote(
  connection: NetworkConnection<"generic">,
  f: RegistryFixture,
  modelId: string,
  version: number,
): Promise<bigint> {
  await (await f.registry.connect(f.governor).propose(modelId, version)).wait();
  const { earliestActivation } = await f.registry.pendingProposal(modelId);
  await connection.networkHelpers.time.setNextBlockTimestamp(earliestActivation);
  return minedAt(f.registry.connect(f.stranger).activate(modelId));
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
  await wireAnchor(connection, f, anchor);
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
          (mask & Mask.ZKML) !== 0 ? zkAddress : ZeroAddress,
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
        Mask.NONE | Mask.TEE,
        ZeroAddress,
      )
  ).wait();
  const v1LiveAt = await promote(connection, f, MODEL_ID, 1);
  await promote(connection, f, OTHER_MODEL_ID, 1);
  const v2LiveAt = await promote(connection, f, MODEL_ID, 2);

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
 * current one `disposition`. The ONLY place the tests call `rollback`: it passes `fromVersion`
 * when the registry's ABI has it (rollback(modelId, fromVersion, toVersion, ...)) and omits it
 * otherwise. `overrides` (e.g. a gas limit) go last.
 */
export async function sendRollback(
  registry: ModelRegistry,
  guardian: HardhatEthersSigner,
  modelId: string,
  toVersion: number | bigint,
  disposition: bigint,
  overrides: { gasLimit?: bigint | number } = {},
): Promise<ContractTransactionResponse> {
  const fromVersion = await registry.currentVersion(modelId);
  // Untyped on purpose: the same call works with either ABI.
  const rollback = (registry.connect(guardian) as BaseContract).getFunction("rollback");
  const args =
    rollback.fragment.inputs.length === 6
      ? [modelId, fromVersion, toVersion, disposition, REASON_HASH, REASON_URI]
      : [modelId, toVersion, disposition, REASON_HASH, REASON_URI];
  return (await rollback(...args, overrides)) as ContractTransactionResponse;
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
    proofPath: Path.NONE,
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

/** A Merkle tree of records (the batch file's tree). */
export class Batch {
  readonly tree: StandardMerkleTree<(string | number)[]>;
  constructor(readonly records: InferenceRecord[]) {
    this.tree = StandardMerkleTree.of(records.map(recordValues), [...RECORD_TYPES]);
  }
  get root(): string {
    return this.tree.root;
  }
  /** The proof of the record at `index` (in `records`). */
  proof(index: number): string[] {
    return this.tree.getProof(recordValues(this.records[index]));
  }
  get firstServedAt(): number {
    return Math.min(...this.records.map((r) => r.servedAt));
  }
  get lastServedAt(): number {
    return Math.max(...this.records.map((r) => r.servedAt));
  }
}

export interface AnchorOptions {
  modelId?: string;
  /** The anchoring node; `node` if omitted. */
  operator?: HardhatEthersSigner;
  first?: bigint | number;
  last?: bigint | number;
  /** The anchoring block's timestamp; the next block's natural one if omitted. */
  at?: bigint | number;
}

/** Builds the tree of `records`, anchors it, and returns it with the anchoring time. */
export async function anchorBatch(
  connection: NetworkConnection<"generic">,
  f: AnchorFixture,
  records: InferenceRecord[],
  options: AnchorOptions = {},
): Promise<{ batch: Batch; anchoredAt: bigint }> {
  const batch = new Batch(records);
  if (options.at !== undefined) {
    await connection.networkHelpers.time.setNextBlockTimestamp(options.at);
  }
  const anchoredAt = await minedAt(
    f.anchor
      .connect(options.operator ?? f.node)
      .anchor(
        options.modelId ?? MODEL_ID,
        batch.root,
        records.length,
        options.first ?? batch.firstServedAt,
        options.last ?? batch.lastServedAt,
        FILE_REF,
      ),
  );
  return { batch, anchoredAt };
}

// ------------------------------------------------------------------ attestations

/** The EIP-712 type an enclave signs: every record field but proofCommitment, in record order. */
export const ATTESTATION_TYPES = {
  InferenceAttestation: [
    { name: "format", type: "uint8" },
    { name: "requestId", type: "bytes32" },
    { name: "modelId", type: "bytes32" },
    { name: "version", type: "uint32" },
    { name: "blobId", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "proofPath", type: "uint8" },
    { name: "agent", type: "address" },
    { name: "node", type: "address" },
    { name: "servedAt", type: "uint48" },
  ],
};

/** The EIP-712 domain of an InferenceAnchor deployment. */
export function attestationDomain(chainId: bigint, verifyingContract: string) {
  return { name: "InferenceAnchor", version: "1", chainId, verifyingContract };
}

/** The signed part of a record (every field but proofCommitment). */
export function attestedFields(r: InferenceRecord): Record<string, unknown> {
  const { proofCommitment: _ignored, ...rest } = r;
  return rest;
}

/** The enclave's signature of `record` for the anchor at `verifyingContract` on `chainId`. */
export async function signAttestation(
  signer: Wallet,
  chainId: bigint,
  verifyingContract: string,
  record: InferenceRecord,
): Promise<string> {
  return signer.signTypedData(
    attestationDomain(chainId, verifyingContract),
    ATTESTATION_TYPES,
    attestedFields(record),
  );
}

/** `record` with the proof path and commitment of a TEE attestation signed by `signer`. */
export async function teeRecord(
  signer: Wallet,
  chainId: bigint,
  verifyingContract: string,
  record: InferenceRecord,
): Promise<{ record: InferenceRecord; signature: string }> {
  const unsigned = { ...record, proofPath: Path.TEE };
  const signature = await signAttestation(signer, chainId, verifyingContract, unsigned);
  return { record: { ...unsigned, proofCommitment: keccak256(signature) }, signature };
}

const LIMB = (1n << 128n) - 1n;

/** The ZK public inputs of `record`: inputHash, outputHash, blobId as 128-bit limbs, high first. */
export function zkInstancesOf(r: InferenceRecord): bigint[] {
  return [r.inputHash, r.outputHash, r.blobId].flatMap((h) => [
    BigInt(h) >> 128n,
    BigInt(h) & LIMB,
  ]);
}

/** The proof the ZK test double accepts for `instances`: keccak256(abi.encode(instances)). */
export function zkProofFor(instances: readonly bigint[]): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint256[]"], [instances]));
}

/** `record` with the proof path ZKML and the commitment of the proof the double accepts. */
export function zkRecord(record: InferenceRecord): { record: InferenceRecord; proof: string } {
  const proof = zkProofFor(zkInstancesOf(record));
  return { record: { ...record, proofPath: Path.ZKML, proofCommitment: keccak256(proof) }, proof };
}
