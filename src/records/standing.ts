/**
 * The standings and flags of InferenceAnchor.verifyRecord, in words. The names and values are the
 * `Standing` mirror in ./enums.ts (IInferenceAnchor.Standing: value = flag bit position; lower
 * bit = more severe); this module adds the words.
 */
import {
  AttestationStatus,
  Standing,
  enumNames,
  flagOf,
  type AttestationStatusName,
  type StandingName,
} from "../chain/enums.js";

export { flagOf, type StandingName };

/** What each standing means, in words. */
const STANDING_WORDS: { readonly [name in StandingName]: string } = {
  Conforming: "the claimed version was live when served and stayed live until anchoring",
  NotIncluded: "the proof does not put this record in the anchored batch",
  UnknownFormat: "the record format is unknown to the contract",
  WrongModel: "the record names another model than the batch",
  UnknownVersion: "the claimed version was never registered",
  WrongBlob: "the blob id is not the registered weights of the claimed version",
  ProofPathNotAllowed: "the claimed version may not be served with this proof path",
  OutsideBatchRange: "servedAt lies outside the batch's declared time range",
  NotLive: "the claimed version was not live at servedAt (a stale or early node)",
  Unconfirmable:
    "the version's window closed before the batch was anchored: the time cannot be confirmed",
  VersionFaulty: "the version has since been marked Faulty",
  VersionWithdrawn: "the version has since been marked Withdrawn",
  BatchDisputed: "the guardian disputed the batch",
};

/** One standing: its name and what it means. */
export interface StandingInfo {
  readonly name: StandingName;
  readonly words: string;
}

/** Every standing, in enum order: STANDINGS[i] is the standing of value (and flag bit) i. */
export const STANDINGS: readonly StandingInfo[] = enumNames(Standing).map((name) => ({
  name,
  words: STANDING_WORDS[name],
}));

/** The names of the standings whose flag is set in `flags`, most severe first. */
export function decodeFlags(flags: bigint): StandingName[] {
  return STANDINGS.filter((s) => (flags & flagOf(s.name)) !== 0n).map((s) => s.name);
}

/** The standing with enum value `value`. */
export function standingAt(value: bigint | number): StandingInfo {
  const s = STANDINGS[Number(value)];
  if (s === undefined) throw new Error(`unknown standing ${value}`);
  return s;
}

/** The outcomes of InferenceAnchor.verifyAttestation, in enum order (see AttestationStatus). */
export const ATTESTATION_STATUSES: readonly AttestationStatusName[] = enumNames(AttestationStatus);
