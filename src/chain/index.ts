/**
 * The suite as the chain holds it: its enums, flags and roles as numbered in the contracts, the
 * epoch hint its history views take, reverts in words, and a JSON-RPC provider that retries what a
 * node drops (never what it answers).
 *
 * Not here: connectTool/openNetwork (./connect.ts), which open a Hardhat network for the command
 * lines; a library user brings its own ethers provider and signer.
 *
 * @module rollback-trail/chain
 */
export {
  AttestationStatus,
  type AttestationStatusName,
  CancelReason,
  Disposition,
  EndReason,
  ProofMask,
  ProofPath,
  RefundReason,
  type SettledEventArgs,
  SettlementState,
  type SettlementDetails,
  Standing,
  type StandingName,
  VersionStatus,
  detailsFromSettled,
  enumNames,
  flagOf,
  flagsOf,
} from "./enums.js";
export { ROLE_LABELS, Role, type RoleName } from "./roles.js";
export {
  type EpochHistory,
  IGNITION_MODULE,
  describeRevert,
  epochHint,
  revertData,
} from "./chain.js";
export {
  type Eip1193Provider,
  type RetryOptions,
  type RetryingProvider,
  RpcUnavailableError,
  isTransientRpcError,
  retryingProvider,
} from "./rpc-retry.js";
