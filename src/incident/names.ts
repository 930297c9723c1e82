/** The contracts' enums in words, from the one mirror of each enum (../enums.ts). */
import {
  Disposition,
  EndReason,
  RefundReason,
  SettlementState,
  VersionStatus,
  enumNames,
} from "../chain/enums.js";

export const VERSION_STATUSES = enumNames(VersionStatus);
export const DISPOSITION_NAMES = enumNames(Disposition);
export const END_REASONS = enumNames(EndReason);
export const SETTLEMENT_STATES = enumNames(SettlementState);
export const REFUND_REASONS = enumNames(RefundReason);
/** Proof paths by bit of the proof mask (contracts/libraries/ProofPaths.sol). */
export const PROOF_PATHS = ["none", "TEE", "ZKML", "optimistic"] as const;

/** Whether a payment in `state` is still to be claimed or refunded. */
export function isOpenState(state: string): boolean {
  return state === "Open" || state === "Contested" || state === "Proven";
}

/** The name of enum value `value`, or `unknown (value)`. */
export function nameOf(names: readonly string[], value: bigint | number): string {
  return names[Number(value)] ?? `unknown (${value})`;
}
