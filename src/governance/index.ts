/**
 * Safes and governance calls: the suite is governed by Safe multisigs (a governance Safe behind
 * the promotion delay, a guardian Safe that rolls back at once). These are the Safe v1.5.0
 * helpers the command line uses, for integrators who sign and send from their own code, and the
 * Safe{Wallet} Transaction Builder file format for owners who sign in the wallet.
 *
 * ```ts
 * const { nonce } = await readSafeState(provider, safeAddress);
 * const tx = buildSafeTransaction({ to: registryAddress, data, nonce });
 * const sigs = await Promise.all(owners.map((o) => signSafeTransaction(o, safeAddress, chainId, tx)));
 * await execSafeTransaction(sender, safeAddress, tx, sigs);  // signatures sorted by signer
 * ```
 *
 * Not here: the command line's driver (./gov.ts: runGov, its parsing and revert explanations), which
 * runs on a Hardhat connection; a model id is `ethers.id("org/model")`.
 *
 * @module rollback-trail/governance
 */
export {
  LOCAL_CHAIN_IDS,
  Operation,
  SAFE_TX_TYPES,
  SAFE_VERSION,
  type SafeArtifacts,
  type SafeCall,
  type SafeContract,
  type SafeExecOptions,
  type SafeInfrastructure,
  type SafeSignature,
  type SafeState,
  type SafeTransaction,
  type SimulationResult,
  approvedHashSignature,
  buildSafeTransaction,
  createSafe,
  deploySafeInfrastructure,
  describeSafeError,
  encodeSignatures,
  execSafeTransaction,
  loadSafeArtifacts,
  readSafeState,
  safeAt,
  safeDomain,
  safeExec,
  safeTxHash,
  signSafeTransaction,
  simulateFromSafe,
} from "./safe.js";
export {
  TX_BUILDER_FILE_VERSION,
  TX_BUILDER_VERSION,
  type TxBuilderBatch,
  type TxBuilderBatchOptions,
  type TxBuilderTransaction,
  buildTxBuilderBatch,
  contractCallTransaction,
  hasValidChecksum,
  txBuilderChecksum,
  txBuilderFileText,
  writeTxBuilderFile,
} from "./tx-builder.js";
