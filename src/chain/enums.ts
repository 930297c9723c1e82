/**
 * TypeScript mirrors of the contracts' enums, one definition each: the value of each member is its
 * Solidity enum value (as the bigint ethers returns for it). Keep the members in declaration order
 * when the Solidity enum changes. Proof paths are not an enum: see ProofPath below.
 */
/** Proof paths, as numbered in contracts/libraries/ProofPaths.sol. */
export const ProofPath = { NONE: 0, TEE: 1, ZKML: 2, OPTIMISTIC: 3 } as const;

/** IModelRegistry.VersionStatus (contracts/interfaces/IModelRegistry.sol). */
export const VersionStatus = {
  None: 0n,
  Registered: 1n,
  Proposed: 2n,
  Active: 3n,
  Retired: 4n,
  Faulty: 5n,
  Withdrawn: 6n,
} as const;

/** IModelRegistry.Disposition (contracts/interfaces/IModelRegistry.sol). */
export const Disposition = { None: 0n, Faulty: 1n, Withdrawn: 2n } as const;

/** IModelRegistry.EndReason (contracts/interfaces/IModelRegistry.sol). */
export const EndReason = { Open: 0n, Promotion: 1n, Rollback: 2n, Revoke: 3n, Pause: 4n } as const;

/** IModelRegistry.CancelReason (contracts/interfaces/IModelRegistry.sol). */
export const CancelReason = {
  Guardian: 0n,
  Superseded: 1n,
  Rollback: 2n,
  Revoke: 3n,
  Expired: 4n,
} as const;

/**
 * IInferenceAnchor.Standing (contracts/interfaces/IInferenceAnchor.sol): also the bit position of
 * each flag of verifyRecord's flag word (lower bit = more severe).
 */
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

/** The flag bit of a standing: `1 << standing`. */
export function flagOf(standing: StandingName): bigint {
  return 1n << Standing[standing];
}

/** The flag word of a set of standings: bit `1 << standing` for each. */
export function flagsOf(...standings: StandingName[]): bigint {
  return standings.reduce((acc, s) => acc | flagOf(s), 0n);
}

/** IInferenceAnchor.AttestationStatus (contracts/interfaces/IInferenceAnchor.sol). */
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
export type AttestationStatusName = keyof typeof AttestationStatus;

/** IInferenceSettlement.SettlementState (contracts/interfaces/IInferenceSettlement.sol). */
export const SettlementState = {
  None: 0n,
  Open: 1n,
  Claimed: 2n,
  Refunded: 3n,
  Contested: 4n,
  Proven: 5n,
} as const;

/** IInferenceSettlement.RefundReason (contracts/interfaces/IInferenceSettlement.sol). */
export const RefundReason = { VersionFaulty: 0n, Challenge: 1n, Unproven: 2n } as const;

/**
 * Proof-mask bits (contracts/libraries/ProofPaths.sol: a version's `proofMask` has bit
 * `1 << path` for each ProofPath it may be served with; ALL is every defined bit).
 */
export const ProofMask = {
  NONE: 1 << ProofPath.NONE,
  TEE: 1 << ProofPath.TEE,
  ZKML: 1 << ProofPath.ZKML,
  OPTIMISTIC: 1 << ProofPath.OPTIMISTIC,
  ALL: 0x0f,
} as const;

/** Names of the members of `enumeration`, in enum order (index = value). */
export function enumNames<K extends string>(enumeration: { readonly [name in K]: bigint }): K[] {
  const names = Object.keys(enumeration) as K[];
  const ordered = [...names].sort((a, b) => Number(enumeration[a] - enumeration[b]));
  ordered.forEach((name, i) => {
    if (enumeration[name] !== BigInt(i)) throw new Error(`enum mirror has a gap at ${name}`);
  });
  return ordered;
}

/** IInferenceSettlement.SettlementDetails as a plain object (also a valid call argument). */
export interface SettlementDetails {
  modelId: string;
  epoch: bigint;
  payer: string;
  requestId: string;
  version: bigint;
  payee: string;
  token: string;
  amount: bigint;
  settledAt: bigint;
  releaseAt: bigint;
}

/** A `Settled` event's parsed args: every field of the details, under the same names. */
export type SettledEventArgs = SettlementDetails;

/**
 * The settlement's details from its `Settled` event: the event carries every field (model and
 * epoch as topics), so this is what claim / refund / challenge take back, and what the contract's
 * commitment is the hash of.
 */
export function detailsFromSettled(args: SettledEventArgs): SettlementDetails {
  return {
    modelId: args.modelId,
    epoch: args.epoch,
    payer: args.payer,
    requestId: args.requestId,
    version: args.version,
    payee: args.payee,
    token: args.token,
    amount: args.amount,
    settledAt: args.settledAt,
    releaseAt: args.releaseAt,
  };
}
