/**
 * File references: a batch file is named by the SHA-256 of its bytes, written `0x` + 64 lowercase
 * hex digits (the bytes32 `fileRef` of InferenceAnchor.anchor). The same digest is also a raw
 * CIDv1 (multicodec raw 0x55, multihash sha2-256), so one on-chain value names the file in a
 * folder, behind an HTTP URL and on IPFS.
 */
import { createHash } from "node:crypto";

import { fail } from "../ground/cli.js";

/** A file reference: `0x` followed by the 64 hex digits of a SHA-256 digest. */
export type Ref = string;

const REF_PATTERN = /^0x[0-9a-fA-F]{64}$/;

/** What a reference looks like, for messages. */
const REF_WORDS = "0x followed by 64 hex digits (a SHA-256 digest)";

/**
 * The 64 lowercase hex digits of `ref`, without 0x.
 * @throws CliError if `ref` is not 0x followed by 64 hex digits.
 */
export function refHex(ref: Ref): string {
  if (typeof ref !== "string" || !REF_PATTERN.test(ref)) {
    fail(`not a file reference (${REF_WORDS}): ${shorten(String(ref))}`);
  }
  return ref.slice(2).toLowerCase();
}

/** The reference of `bytes`: their SHA-256 digest. */
export function sha256Ref(bytes: Uint8Array): Ref {
  return "0x" + createHash("sha256").update(bytes).digest("hex");
}

// CIDv1 prefix of a raw block named by a sha2-256 multihash: version 1, codec raw (0x55),
// hash function sha2-256 (0x12), digest length 32 (0x20); each a one-byte varint.
const CID_PREFIX = Uint8Array.of(0x01, 0x55, 0x12, 0x20);
const CID_BYTES = CID_PREFIX.length + 32;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** 36 bytes are 288 bits: 58 base32 digits (the last holds 3 bits and 2 zero bits). */
const CID_DIGITS = Math.ceil((8 * CID_BYTES) / 5);

/** RFC 4648 base32, lowercase, without padding (the multibase `b` alphabet). */
function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1; // keep only the bits not yet written: no overflow
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The bytes of lowercase base32 digits, or undefined if a digit is not in the alphabet. */
function unbase32(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((5 * text.length) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const ch of text) {
    const digit = BASE32.indexOf(ch);
    if (digit < 0) return undefined;
    value = ((value << 5) | digit) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out[at++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

/** The raw CIDv1 of the bytes `ref` names, in base32 (`bafkrei…`). */
export function cidOfRef(ref: Ref): string {
  const bytes = new Uint8Array(CID_BYTES);
  bytes.set(CID_PREFIX);
  bytes.set(Buffer.from(refHex(ref), "hex"), CID_PREFIX.length);
  return cidOfBytes(bytes);
}

/**
 * The reference a raw sha2-256 CIDv1 in base32 names (the inverse of cidOfRef).
 * @throws CliError for anything else (CIDv0 `Qm…`, other codecs such as UnixFS dag-pb, other
 *   hash functions or bases), saying which.
 */
export function refOfCid(cid: string): Ref {
  const text = typeof cid === "string" ? cid : String(cid);
  const why = (reason: string): never =>
    fail(`not a raw sha2-256 CIDv1 in base32 (bafkrei…): ${shorten(text)} (${reason})`);
  if (text.startsWith("Qm")) why("a CIDv0 names a UnixFS object, not raw bytes");
  if (!text.startsWith("b")) why("base32 CIDs start with b");
  const bytes = unbase32(text.slice(1));
  if (bytes === undefined) why("not lowercase base32");
  const b = bytes as Uint8Array;
  if (b[0] !== 0x01) why("not CID version 1");
  if (b[1] !== CID_PREFIX[1]) {
    why(b[1] === 0x70 ? "a dag-pb (UnixFS) CID, not raw bytes" : "its codec is not raw (0x55)");
  }
  if (b[2] !== CID_PREFIX[2] || b[3] !== CID_PREFIX[3]) why("its hash is not sha2-256");
  // Exactly one spelling per CID: no extra digits, no stray bits in the last one.
  if (text.length - 1 !== CID_DIGITS || b.length !== CID_BYTES || cidOfBytes(b) !== text) {
    why("wrong length, or stray bits in its last digit");
  }
  return "0x" + Buffer.from(b.subarray(CID_PREFIX.length)).toString("hex");
}

function cidOfBytes(bytes: Uint8Array): string {
  return "b" + base32(bytes);
}

/** A value in a message: long garbage cut short, so the message stays one readable line. */
function shorten(text: string): string {
  const line = text.replace(/[\r\n]+/g, " ");
  return line.length > 100 ? `${line.slice(0, 100)}…` : line;
}
