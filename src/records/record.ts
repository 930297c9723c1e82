/**
 * The inference record: one format, one encoder (the TypeScript side; the Solidity side is
 * contracts/libraries/InferenceRecordLib.sol, and a fuzzed test proves that both agree).
 *
 * Leaf = keccak256(bytes.concat(keccak256(abi.encode(record)))), exactly the
 * @openzeppelin/merkle-tree StandardMerkleTree leaf for RECORD_TYPES, so a tree dumped by our tools
 * loads in StandardMerkleTree and vice versa. Every field is static, so abi.encode is twelve 32-byte
 * words, one per field, in this order.
 *
 * Two implementations of the leaf: `recordLeaf` (ethers' AbiCoder and keccak256: the slow, simple
 * reference) and `leafHashBytes` (a direct encoder into one reused buffer and hash-wasm's
 * WebAssembly keccak: ~15x faster, for Merkle trees of millions of records). Tests keep them equal.
 */
import { AbiCoder, isHexString, keccak256 } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { TrailError } from "../ground/errors.js";
import { ProofPath } from "../chain/enums.js";

/** The current record format. Bump it when a field is added, so that leaves can evolve. */
export const RECORD_FORMAT_V1 = 1;

/** Field names, in encoding order. */
export const RECORD_FIELDS = [
  "format",
  "requestId",
  "modelId",
  "version",
  "blobId",
  "inputHash",
  "outputHash",
  "proofPath",
  "proofCommitment",
  "agent",
  "node",
  "servedAt",
] as const;

/** Solidity types of RECORD_FIELDS, in order: the StandardMerkleTree leaf encoding. */
export const RECORD_TYPES = [
  "uint8",
  "bytes32",
  "bytes32",
  "uint32",
  "bytes32",
  "bytes32",
  "bytes32",
  "uint8",
  "bytes32",
  "address",
  "address",
  "uint48",
] as const;

/** Size of abi.encode(record): one 32-byte word per field. */
export const RECORD_ENCODED_BYTES = RECORD_FIELDS.length * 32;

export { ProofPath };

/** An inference record. Hex strings are 0x-prefixed; addresses are checksummed after parsing. */
export interface InferenceRecord {
  format: number;
  requestId: string;
  modelId: string;
  version: number;
  blobId: string;
  inputHash: string;
  outputHash: string;
  proofPath: number;
  proofCommitment: string;
  agent: string;
  node: string;
  servedAt: number;
}

/** A record field that does not fit its type. The message names the field and the rule. */
export class RecordError extends TrailError {
  constructor(message: string) {
    super(message);
    this.name = "RecordError";
  }
}

const UINT_MAX: Record<string, number> = {
  uint8: 2 ** 8 - 1,
  uint32: 2 ** 32 - 1,
  uint48: 2 ** 48 - 1,
};

function parseUint(field: string, type: string, value: unknown): number {
  const n = typeof value === "string" && /^(0|[1-9][0-9]*)$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > UINT_MAX[type]) {
    throw new RecordError(`${field} must be a ${type} (an integer from 0 to ${UINT_MAX[type]})`);
  }
  return n;
}

/**
 * 0 if `value` is not 0x followed by exactly 2 * nbytes hex digits (ethers' isHexString(value,
 * nbytes)), 1 if its digits are all lowercase, 2 otherwise. A loop, not a regular expression:
 * parsing millions of records, this was the hot spot.
 */
function hexKind(value: string, nbytes: number): number {
  if (
    value.length !== 2 + 2 * nbytes ||
    value.charCodeAt(0) !== 48 ||
    value.charCodeAt(1) !== 120
  ) {
    return 0;
  }
  let kind = 1;
  for (let i = 2; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue;
    if (c >= 65 && c <= 70) kind = 2;
    else return 0;
  }
  return kind;
}

function parseBytes32(field: string, value: unknown): string {
  const kind = typeof value === "string" ? hexKind(value, 32) : 0;
  if (kind === 0) {
    throw new RecordError(`${field} must be 32 bytes of hex (0x followed by 64 hex digits)`);
  }
  return kind === 1 ? (value as string) : (value as string).toLowerCase();
}

function parseAddress(field: string, value: unknown): string {
  if (typeof value !== "string" || hexKind(value, 20) === 0) {
    throw new RecordError(`${field} must be an address (0x followed by 40 hex digits)`);
  }
  // What ethers' getAddress does (tests keep them equal), with the fast cached checksum: parsing
  // a million records spent most of its time in @noble/hashes for these two fields.
  const checksummed = checksumLowerHex(value.slice(2).toLowerCase());
  if (checksummed !== value && /([A-F].*[a-f])|([a-f].*[A-F])/.test(value)) {
    throw new RecordError(`${field} has a wrong checksum (${value})`);
  }
  return checksummed;
}

/**
 * Checks an untrusted value (e.g. one parsed JSON line) and returns it as a record.
 * @throws RecordError naming the first field that is missing, unknown or malformed.
 */
export function parseRecord(value: unknown): InferenceRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RecordError("a record must be a JSON object");
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(RECORD_FIELDS as readonly string[]).includes(key)) {
      throw new RecordError(`unknown field ${key}`);
    }
  }
  for (const field of RECORD_FIELDS) {
    if (!(field in obj)) throw new RecordError(`missing field ${field}`);
  }
  const record: InferenceRecord = {
    format: parseUint("format", "uint8", obj.format),
    requestId: parseBytes32("requestId", obj.requestId),
    modelId: parseBytes32("modelId", obj.modelId),
    version: parseUint("version", "uint32", obj.version),
    blobId: parseBytes32("blobId", obj.blobId),
    inputHash: parseBytes32("inputHash", obj.inputHash),
    outputHash: parseBytes32("outputHash", obj.outputHash),
    proofPath: parseUint("proofPath", "uint8", obj.proofPath),
    proofCommitment: parseBytes32("proofCommitment", obj.proofCommitment),
    agent: parseAddress("agent", obj.agent),
    node: parseAddress("node", obj.node),
    servedAt: parseUint("servedAt", "uint48", obj.servedAt),
  };
  if (record.format !== RECORD_FORMAT_V1) {
    throw new RecordError(`format must be ${RECORD_FORMAT_V1} (the only format defined)`);
  }
  if (record.proofPath > ProofPath.OPTIMISTIC) {
    throw new RecordError(`proofPath must be 0 (none), 1 (TEE), 2 (ZKML) or 3 (optimistic)`);
  }
  return record;
}

/** The record as the value list of a StandardMerkleTree leaf (RECORD_TYPES order). */
export function recordValues(r: InferenceRecord): (string | number)[] {
  return RECORD_FIELDS.map((field) => r[field]);
}

/** The record as a struct argument for contract calls (ethers accepts the object as is). */
export function recordStruct(r: InferenceRecord): InferenceRecord {
  return { ...r };
}

/** abi.encode(record), via ethers: the reference encoding. */
export function encodeRecord(r: InferenceRecord): string {
  return AbiCoder.defaultAbiCoder().encode([...RECORD_TYPES], recordValues(r));
}

/** The leaf hash, via ethers: the reference (slow, simple) implementation. */
export function recordLeaf(r: InferenceRecord): string {
  return keccak256(keccak256(encodeRecord(r)));
}

// ------------------------------------------------------------------------------------------------
// Fast path: direct ABI encoding and WebAssembly keccak.
//
// Measured on the 2-core dev machine, two keccak256 per 384-byte record: @noble/hashes ~28k
// records/s, js-sha3 ~74k/s, hash-wasm's public API ~290-380k/s, hash-wasm's WebAssembly module
// driven directly ~410k/s (no allocation per hash, and the encoder writes straight into the
// module's memory). hash-wasm is pure WebAssembly: no native addon, no install script.
//
// Driving the module directly also makes it synchronous (hash-wasm's createKeccak is async, which
// would need a top-level await here). It relies on hash-wasm's internals (the module embedded in
// dist/keccak.umd.min.js and its exports Hash_Init/Hash_Update/Hash_Final/Hash_GetBuffer, as its
// own WASMInterface.ts uses them), so the version is pinned exactly, the module is checked against
// @noble/hashes at load, and anything unexpected falls back to @noble/hashes (correct but ~10x
// slower; KECCAK.backend then says "noble", and a test fails on it).

/**
 * A keccak256 over a scratch buffer: write the input at buffer[0..len), call hashBuffer(len), read
 * the digest at buffer[0..32). Low level: for this module and merkle.ts. len <= buffer.length.
 */
export interface KeccakScratch {
  readonly backend: "hash-wasm" | "noble";
  readonly buffer: Uint8Array;
  hashBuffer(len: number): void;
}

function nobleKeccak(): KeccakScratch {
  const buffer = new Uint8Array(16 * 1024);
  return {
    backend: "noble",
    buffer,
    hashBuffer(len: number) {
      buffer.set(keccak_256(buffer.subarray(0, len)));
    },
  };
}

// The WebAssembly global, typed here: tsconfig's lib (es2023, no DOM) does not declare it.
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface HashWasmExports {
  memory: { buffer: ArrayBuffer };
  Hash_GetBuffer(): number;
  Hash_Init(bits: number): void;
  Hash_Update(len: number): void;
  Hash_Final(padding: number): void;
}

function hashWasmKeccak(): KeccakScratch | undefined {
  try {
    const require = createRequire(import.meta.url);
    const source = readFileSync(require.resolve("hash-wasm/dist/keccak.umd.min.js"), "utf8");
    const modules = source.match(/"AGFzbQ[A-Za-z0-9+/]+={0,2}"/g); // base64 of "\0asm"
    if (modules?.length !== 1) return undefined;
    const bytes = Buffer.from(modules[0].slice(1, -1), "base64");
    const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(bytes), {});
    const ex = instance.exports as unknown as HashWasmExports;
    // hash-wasm's MAX_HEAP: the input area at Hash_GetBuffer(); this module never grows memory.
    const buffer = new Uint8Array(ex.memory.buffer, ex.Hash_GetBuffer(), 16 * 1024);
    const scratch: KeccakScratch = {
      backend: "hash-wasm",
      buffer,
      hashBuffer(len: number) {
        ex.Hash_Init(256);
        ex.Hash_Update(len);
        ex.Hash_Final(0x01); // keccak padding (SHA-3 would be 0x06)
      },
    };
    // Self-test against @noble/hashes: empty input, one block, several blocks.
    const reference = nobleKeccak();
    for (const len of [0, 32, 135, 136, 384, 1000]) {
      for (let i = 0; i < len; i++) buffer[i] = reference.buffer[i] = (i * 131 + len) & 255;
      scratch.hashBuffer(len);
      reference.hashBuffer(len);
      for (let i = 0; i < 32; i++) if (buffer[i] !== reference.buffer[i]) return undefined;
    }
    return scratch;
  } catch {
    return undefined;
  }
}

/** The keccak256 that the fast path uses (see KeccakScratch). */
export const KECCAK: KeccakScratch = hashWasmKeccak() ?? nobleKeccak();

const kbuf = KECCAK.buffer;
const digestView = kbuf.subarray(0, 32);

/** keccak256 of `data` as 32 new bytes, via KECCAK. */
export function keccak256Bytes(data: Uint8Array): Uint8Array {
  if (data.length > kbuf.length) return keccak_256(data);
  kbuf.set(data);
  KECCAK.hashBuffer(data.length);
  return digestView.slice();
}

/** Hex digit value of each char code, or -1. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE["0123456789abcdef".charCodeAt(i)] = i;
  HEX_VALUE["0123456789ABCDEF".charCodeAt(i)] = i;
}

/** Writes the `nbytes` bytes of the 0x-prefixed hex `value` at out[at..]; false if malformed. */
function writeHex(out: Uint8Array, at: number, value: string, nbytes: number): boolean {
  if (value.length !== 2 + 2 * nbytes || value.charCodeAt(0) !== 48) return false;
  const x = value.charCodeAt(1);
  if (x !== 120 && x !== 88) return false;
  for (let i = 0, c = 2; i < nbytes; i++, c += 2) {
    const hi = HEX_VALUE[value.charCodeAt(c) & 127];
    const lo = HEX_VALUE[value.charCodeAt(c + 1) & 127];
    // A char code >= 128 is masked into range, so also reject it explicitly.
    if (hi < 0 || lo < 0 || (value.charCodeAt(c) | value.charCodeAt(c + 1)) > 127) return false;
    out[at + i] = (hi << 4) | lo;
  }
  return true;
}

/** Writes the word of a uint field (big-endian, left-padded) at out[at..at+32). */
function writeUintWord(out: Uint8Array, at: number, field: string, type: string, n: number): void {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > UINT_MAX[type]) {
    throw new RecordError(`${field} must be a ${type} (an integer from 0 to ${UINT_MAX[type]})`);
  }
  out.fill(0, at, at + 26);
  const hi = Math.floor(n / 2 ** 32); // < 2^16 for a uint48
  out[at + 26] = hi >>> 8;
  out[at + 27] = hi & 255;
  out[at + 28] = n >>> 24;
  out[at + 29] = (n >>> 16) & 255;
  out[at + 30] = (n >>> 8) & 255;
  out[at + 31] = n & 255;
}

function writeBytes32Word(out: Uint8Array, at: number, field: string, value: string): void {
  if (typeof value !== "string" || !writeHex(out, at, value, 32)) {
    throw new RecordError(`${field} must be 32 bytes of hex (0x followed by 64 hex digits)`);
  }
}

function writeAddressWord(out: Uint8Array, at: number, field: string, value: string): void {
  out.fill(0, at, at + 12);
  if (typeof value !== "string" || !writeHex(out, at + 12, value, 20)) {
    throw new RecordError(`${field} must be an address (0x followed by 40 hex digits)`);
  }
}

/**
 * Writes abi.encode(record) (RECORD_ENCODED_BYTES bytes) into `out` at `offset`, with no
 * allocation. Equal to `encodeRecord` for every record that `parseRecord` accepts; unlike it, it
 * does not check address checksums (parseRecord does).
 * @throws RecordError for a field that does not fit its type.
 */
export function encodeRecordInto(out: Uint8Array, r: InferenceRecord, offset = 0): void {
  if (offset < 0 || offset + RECORD_ENCODED_BYTES > out.length) {
    throw new RangeError(
      `encodeRecordInto: no room for ${RECORD_ENCODED_BYTES} bytes at ${offset}`,
    );
  }
  writeUintWord(out, offset, "format", "uint8", r.format);
  writeBytes32Word(out, offset + 32, "requestId", r.requestId);
  writeBytes32Word(out, offset + 64, "modelId", r.modelId);
  writeUintWord(out, offset + 96, "version", "uint32", r.version);
  writeBytes32Word(out, offset + 128, "blobId", r.blobId);
  writeBytes32Word(out, offset + 160, "inputHash", r.inputHash);
  writeBytes32Word(out, offset + 192, "outputHash", r.outputHash);
  writeUintWord(out, offset + 224, "proofPath", "uint8", r.proofPath);
  writeBytes32Word(out, offset + 256, "proofCommitment", r.proofCommitment);
  writeAddressWord(out, offset + 288, "agent", r.agent);
  writeAddressWord(out, offset + 320, "node", r.node);
  writeUintWord(out, offset + 352, "servedAt", "uint48", r.servedAt);
}

/** abi.encode(record) as new bytes, via the fast encoder. */
export function encodeRecordBytes(r: InferenceRecord): Uint8Array {
  const out = new Uint8Array(RECORD_ENCODED_BYTES);
  encodeRecordInto(out, r);
  return out;
}

/**
 * The leaf of an encoded record, keccak256(keccak256(encoded)), written into out[outOffset..+32).
 * `encoded` is read at encoded[offset..offset+RECORD_ENCODED_BYTES).
 */
export function leafHashOfEncodedInto(
  encoded: Uint8Array,
  offset: number,
  out: Uint8Array,
  outOffset: number,
): void {
  kbuf.set(encoded.subarray(offset, offset + RECORD_ENCODED_BYTES));
  KECCAK.hashBuffer(RECORD_ENCODED_BYTES);
  KECCAK.hashBuffer(32);
  out.set(digestView, outOffset);
}

/**
 * The leaf of `r` written into out[outOffset..+32): the record is encoded straight into the
 * hasher's memory, so nothing is allocated. The fastest way to hash many records.
 * @throws RecordError for a field that does not fit its type.
 */
export function leafHashInto(r: InferenceRecord, out: Uint8Array, outOffset = 0): void {
  encodeRecordInto(kbuf, r);
  KECCAK.hashBuffer(RECORD_ENCODED_BYTES);
  KECCAK.hashBuffer(32);
  out.set(digestView, outOffset);
}

/** The leaf hash as 32 bytes: the fast equivalent of `recordLeaf` (which returns it as hex). */
export function leafHashBytes(r: InferenceRecord): Uint8Array {
  const out = new Uint8Array(32);
  leafHashInto(r, out);
  return out;
}

/** The leaf hash as 0x-prefixed hex, via the fast path: always equal to `recordLeaf(r)`. */
export function leafHash(r: InferenceRecord): string {
  return "0x" + Buffer.from(leafHashBytes(r).buffer).toString("hex");
}

// ------------------------------------------------------------------------------------------------
// Decoding (the inverse of encodeRecordInto), with fast address checksums.

const checksumCache = new Map<string, string>();
const CHECKSUM_CACHE_MAX = 1 << 16;
const addressChars = Buffer.from("0x" + "0".repeat(40), "latin1");

/**
 * The EIP-55 checksummed form of a 40-digit lowercase hex address (no 0x), as ethers' getAddress
 * returns it, computed with hash-wasm. Batches repeat few agents and nodes, so results are cached.
 */
function checksumLowerHex(lower: string): string {
  let cached = checksumCache.get(lower);
  if (cached !== undefined) return cached;
  // keccak256 of the ASCII bytes of the lowercase digits, as EIP-55 specifies.
  for (let i = 0; i < 40; i++) kbuf[i] = lower.charCodeAt(i);
  KECCAK.hashBuffer(40);
  // Digit i is uppercased when nibble i of the hash is >= 8. Built in a buffer: a flat string.
  for (let i = 0; i < 40; i++) {
    const c = lower.charCodeAt(i);
    const nibble = i & 1 ? kbuf[i >> 1] & 15 : kbuf[i >> 1] >> 4;
    addressChars[2 + i] = c >= 97 && nibble >= 8 ? c - 32 : c;
  }
  cached = addressChars.toString("latin1");
  if (checksumCache.size >= CHECKSUM_CACHE_MAX) checksumCache.clear();
  checksumCache.set(lower, cached);
  return cached;
}

/** EIP-55 checksummed address of any 0x-prefixed 40-digit hex (case ignored); fast, cached. */
export function checksumAddress(address: string): string {
  if (!isHexString(address, 20)) {
    throw new RecordError(`not an address (0x followed by 40 hex digits): ${address}`);
  }
  return checksumLowerHex(address.slice(2).toLowerCase());
}

function readUint(b: Buffer, at: number, field: string, max: number): number {
  for (let i = at; i < at + 26; i++) {
    if (b[i] !== 0) throw new RecordError(`${field}: encoded value exceeds 48 bits`);
  }
  const n = b.readUIntBE(at + 26, 6);
  if (n > max) throw new RecordError(`${field}: encoded value ${n} exceeds ${max}`);
  return n;
}

function readAddress(b: Buffer, at: number, field: string): string {
  for (let i = at; i < at + 12; i++) {
    if (b[i] !== 0) throw new RecordError(`${field}: encoded address has nonzero padding`);
  }
  return checksumLowerHex(b.toString("hex", at + 12, at + 32));
}

/**
 * The record encoded at encoded[offset..offset+RECORD_ENCODED_BYTES): the inverse of
 * encodeRecordInto, normalized as parseRecord returns it (lowercase bytes32, checksummed addresses).
 * @throws RecordError if a word does not fit its field's type.
 */
export function decodeRecord(encoded: Uint8Array, offset = 0): InferenceRecord {
  if (offset < 0 || offset + RECORD_ENCODED_BYTES > encoded.length) {
    throw new RangeError(`decodeRecord: no ${RECORD_ENCODED_BYTES} bytes at ${offset}`);
  }
  const b = Buffer.from(encoded.buffer, encoded.byteOffset + offset, RECORD_ENCODED_BYTES);
  const b32 = (at: number) => "0x" + b.toString("hex", at, at + 32);
  return {
    format: readUint(b, 0, "format", UINT_MAX.uint8),
    requestId: b32(32),
    modelId: b32(64),
    version: readUint(b, 96, "version", UINT_MAX.uint32),
    blobId: b32(128),
    inputHash: b32(160),
    outputHash: b32(192),
    proofPath: readUint(b, 224, "proofPath", UINT_MAX.uint8),
    proofCommitment: b32(256),
    agent: readAddress(b, 288, "agent"),
    node: readAddress(b, 320, "node"),
    servedAt: readUint(b, 352, "servedAt", UINT_MAX.uint48),
  };
}

// ------------------------------------------------------------------------------------------------
// JSON straight from the encoding (writers of millions of records: no objects, no strings).

const HEX_CHARS = Uint8Array.from(Buffer.from("0123456789abcdef", "latin1"));

/** Writes bytes[at..at+len) as lowercase hex digits (no 0x) into out at pos; returns the end. */
export function writeHexAscii(
  bytes: Uint8Array,
  at: number,
  len: number,
  out: Uint8Array,
  pos: number,
): number {
  for (let i = at; i < at + len; i++) {
    const b = bytes[i];
    out[pos++] = HEX_CHARS[b >> 4];
    out[pos++] = HEX_CHARS[b & 15];
  }
  return pos;
}

/** The JSON text before each field's value (RECORD_FIELDS order), as bytes. */
const JSON_KEYS = RECORD_FIELDS.map((field, i) => {
  const quote = RECORD_TYPES[i].startsWith("uint") ? "" : '"';
  return Uint8Array.from(Buffer.from(`${i === 0 ? "{" : ","}"${field}":${quote}`, "latin1"));
});

/** Longest JSON text of a record written by writeEncodedRecordJson (with room to spare). */
export const RECORD_JSON_MAX_BYTES = 1024;

/**
 * Writes the JSON of the record encoded at encoded[offset..offset+RECORD_ENCODED_BYTES) into `out`
 * at `pos` (which needs RECORD_JSON_MAX_BYTES of room) and returns the end: the same bytes as
 * JSON.stringify(decodeRecord(encoded, offset)), without building the object or the string.
 * @throws RecordError if a word does not fit its field's type.
 */
export function writeEncodedRecordJson(
  encoded: Uint8Array,
  offset: number,
  out: Buffer,
  pos: number,
): number {
  const b = Buffer.from(encoded.buffer, encoded.byteOffset + offset, RECORD_ENCODED_BYTES);
  for (let f = 0; f < RECORD_FIELDS.length; f++) {
    const key = JSON_KEYS[f];
    out.set(key, pos);
    pos += key.length;
    const at = 32 * f;
    const type = RECORD_TYPES[f];
    if (type === "bytes32") {
      out[pos++] = 48; // 0
      out[pos++] = 120; // x
      pos = writeHexAscii(b, at, 32, out, pos);
      out[pos++] = 34; // "
    } else if (type === "address") {
      pos += out.write(readAddress(b, at, RECORD_FIELDS[f]), pos, "latin1");
      out[pos++] = 34;
    } else {
      const n = readUint(b, at, RECORD_FIELDS[f], UINT_MAX[type]);
      pos += out.write(String(n), pos, "latin1");
    }
  }
  out[pos++] = 125; // }
  return pos;
}
