/**
 * The EIP-712 attestation a TEE enclave signs for an inference record: every record field but
 * proofCommitment (which commits to the signature itself), in record order. The type is derived
 * from RECORD_FIELDS and RECORD_TYPES, so the record format in ./record.ts stays its only source;
 * the contract's side is InferenceAnchor.attestationDigest.
 */
import type { Signer, TypedDataDomain, TypedDataField } from "ethers";

import { RECORD_FIELDS, RECORD_TYPES, type InferenceRecord } from "./record.js";

/** The record field that the attestation leaves out. */
const UNSIGNED_FIELD = "proofCommitment";

/** The EIP-712 types of the attestation: InferenceAttestation, the record minus proofCommitment. */
export const ATTESTATION_TYPES: { InferenceAttestation: TypedDataField[] } = {
  InferenceAttestation: RECORD_FIELDS.map((name, i) => ({ name, type: RECORD_TYPES[i] })).filter(
    (field) => field.name !== UNSIGNED_FIELD,
  ),
};

/** The EIP-712 domain of the InferenceAnchor deployed at `anchorAddress` on `chainId`. */
export function attestationDomain(
  chainId: bigint | number,
  anchorAddress: string,
): TypedDataDomain {
  return { name: "InferenceAnchor", version: "1", chainId, verifyingContract: anchorAddress };
}

/** The signed part of a record: every field but proofCommitment. */
export function attestedFields(record: InferenceRecord): Omit<InferenceRecord, "proofCommitment"> {
  const { proofCommitment: _unsigned, ...signed } = record;
  return signed;
}

/** `signer`'s attestation of `record` for the anchor at `anchorAddress` on `chainId`. */
export async function signAttestation(
  signer: Pick<Signer, "signTypedData">,
  chainId: bigint | number,
  anchorAddress: string,
  record: InferenceRecord,
): Promise<string> {
  return signer.signTypedData(
    attestationDomain(chainId, anchorAddress),
    ATTESTATION_TYPES,
    attestedFields(record),
  );
}
