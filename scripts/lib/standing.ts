/**
 * The standings and flags of InferenceAnchor.verifyRecord, in words. Mirrors the `Standing` enum of
 * contracts/interfaces/IInferenceAnchor.sol (value = flag bit position; lower bit = more severe).
 */
export const STANDINGS = [
  {
    name: "Conforming",
    words: "the claimed version was live when served and stayed live until anchoring",
  },
  { name: "NotIncluded", words: "the proof does not put this record in the anchored batch" },
  { name: "UnknownFormat", words: "the record format is unknown to the contract" },
  { name: "WrongModel", words: "the record names another model than the batch" },
  { name: "UnknownVersion", words: "the claimed version was never registered" },
  { name: "WrongBlob", words: "the blob id is not the registered weights of the claimed version" },
  {
    name: "ProofPathNotAllowed",
    words: "the claimed version may not be served with this proof path",
  },
  { name: "OutsideBatchRange", words: "servedAt lies outside the batch's declared time range" },
  {
    name: "NotLive",
    words: "the claimed version was not live at servedAt (a stale or early node)",
  },
  {
    name: "Unconfirmable",
    words:
      "the version's window closed before the batch was anchored: the time cannot be confirmed",
  },
  { name: "VersionFaulty", words: "the version has since been marked Faulty" },
  { name: "VersionWithdrawn", words: "the version has since been marked Withdrawn" },
  { name: "BatchDisputed", words: "the guardian disputed the batch" },
] as const;

export type StandingName = (typeof STANDINGS)[number]["name"];

/** The flag bit of a standing. */
export function flagOf(name: StandingName): bigint {
  return 1n << BigInt(STANDINGS.findIndex((s) => s.name === name));
}

/** The names of the standings whose flag is set in `flags`, most severe first. */
export function decodeFlags(flags: bigint): StandingName[] {
  return STANDINGS.filter((_, i) => (flags >> BigInt(i)) & 1n).map((s) => s.name);
}

/** The standing with enum value `value`. */
export function standingAt(value: bigint | number): (typeof STANDINGS)[number] {
  const s = STANDINGS[Number(value)];
  if (s === undefined) throw new Error(`unknown standing ${value}`);
  return s;
}

/** The outcomes of InferenceAnchor.verifyAttestation, mirroring `AttestationStatus`. */
export const ATTESTATION_STATUSES = [
  "Valid",
  "NotIncluded",
  "NoAttestationPath",
  "ProofPathNotAllowed",
  "CommitmentMismatch",
  "BadSignature",
  "UnknownKey",
  "WrongNode",
  "KeyNotYetRegistered",
  "KeyRevoked",
  "ProofRejected",
] as const;
