/**
 * Batch files of the Safe{Wallet} Transaction Builder app ("Apps > Transaction Builder > drag and
 * drop a JSON file"): the owners of a Safe import one, review the decoded calls, and propose and
 * sign it in their own wallets. npm run gov writes them (scripts/gov.ts).
 *
 * The format, as the Transaction Builder itself writes and reads it (its source:
 * safe-global/safe-react-apps apps/tx-builder, now apps/tx-builder of safe-global/safe-wallet-monorepo;
 * src/typings/models.ts, src/store/transactionLibraryContext.tsx, src/lib/checksum.ts, src/utils.ts):
 *
 *   {
 *     "version": "1.0",
 *     "chainId": "31337",                       // decimal string
 *     "createdAt": 1700000000000,               // milliseconds, a number
 *     "meta": { "name", "description", "txBuilderVersion", "createdFromSafeAddress",
 *               "createdFromOwnerAddress": "", "checksum" },
 *     "transactions": [{
 *       "to": "0x…", "value": "0",              // wei as a decimal string (numbers are refused)
 *       "data": null,                           // null: the app encodes contractMethod + values
 *       "contractMethod": { "inputs": [{ "internalType", "name", "type" }], "name", "payable" },
 *       "contractInputsValues": { "<input name>": "<value as a string>" }
 *     }]
 *   }
 *
 * A transaction with a non-empty `data` is shown as "custom hex data"; with `data: null` the app
 * shows the method and its named arguments and encodes them itself (web3-eth-abi) from the string
 * values: integers in decimal, booleans "true"/"false", addresses and bytes as hex, strings as they
 * are, arrays as JSON arrays. We write `data: null` so that owners review the call in words, and
 * check before writing that the app's encoding of our strings is our calldata
 * ({@link encodeLikeTransactionBuilder}, which follows the app's parser for the types we use).
 *
 * The checksum. The app computes `keccak256(utf8(serialize(batch')))` where `batch'` is the batch
 * with `meta.name` set to null and `meta.checksum` removed, and `serialize` is its own canonical
 * form: an array is `[e1,e2]`; an object is `{` + JSON.stringify(sorted keys) + each value's form
 * followed by a comma + `}`; anything else is JSON.stringify(value), undefined counting as null.
 * {@link txBuilderChecksum} reproduces it and is tested against the app's own test vector
 * (0x86c81826… of its checksum test). What we cannot be certain of: that the version of the app
 * deployed when a file is imported still uses this algorithm (older versions hashed `meta.name`
 * and, when given one, an empty `checksum`). A mismatch is not fatal there: the app still loads the
 * batch and shows a transient warning that the file "was modified since it was generated".
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

import {
  Interface,
  getAddress,
  hexlify,
  id,
  isAddress,
  isHexString,
  type JsonFragment,
  type JsonFragmentType,
} from "ethers";

/** `version` of the batch file format. */
export const TX_BUILDER_FILE_VERSION = "1.0";

/** `meta.txBuilderVersion`: the Transaction Builder release whose format we follow. */
export const TX_BUILDER_VERSION = "1.18.0";

/** One input of a contract method, as the Transaction Builder keeps it (no tuples here). */
export interface TxBuilderInput {
  internalType: string;
  name: string;
  type: string;
}

export interface TxBuilderContractMethod {
  inputs: TxBuilderInput[];
  name: string;
  payable: boolean;
}

export interface TxBuilderTransaction {
  to: string;
  /** Wei, decimal string. */
  value: string;
  /** null: the Transaction Builder encodes `contractMethod` with `contractInputsValues`. */
  data: string | null;
  contractMethod: TxBuilderContractMethod | null;
  contractInputsValues: Record<string, string> | null;
}

export interface TxBuilderMeta {
  name: string;
  description: string;
  txBuilderVersion: string;
  createdFromSafeAddress: string;
  createdFromOwnerAddress: string;
  checksum: string;
}

export interface TxBuilderBatch {
  version: string;
  /** Decimal string. */
  chainId: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  meta: TxBuilderMeta;
  transactions: TxBuilderTransaction[];
}

/** A function of a contract ABI in JSON form, with the `internalType`s the compiler emits. */
export type AbiFunction = JsonFragment & { name: string; inputs: readonly JsonFragmentType[] };

// ------------------------------------------------------------------ values as strings

const INT_TYPE = /^u?int(\d*)$/;
const BYTES_TYPE = /^bytes(\d*)$/;

/** The Transaction Builder's string form of `value` for an ABI input of `type`. */
export function inputValueString(type: string, value: unknown): string {
  if (type.endsWith("[]")) {
    const base = type.slice(0, -2);
    if (base.includes("[") || base.startsWith("tuple")) {
      throw new Error(`unsupported Transaction Builder input type ${type}`);
    }
    if (!Array.isArray(value)) throw new Error(`a ${type} value must be an array`);
    return JSON.stringify(value.map((v: unknown) => inputValueString(base, v)));
  }
  if (type === "address") {
    if (typeof value !== "string" || !isAddress(value)) throw new Error(`not an address: ${value}`);
    return getAddress(value);
  }
  if (type === "bool") {
    if (typeof value !== "boolean") throw new Error(`not a boolean: ${String(value)}`);
    return value ? "true" : "false";
  }
  if (type === "string") {
    if (typeof value !== "string") throw new Error(`not a string: ${String(value)}`);
    return value;
  }
  if (INT_TYPE.test(type)) {
    if (typeof value !== "bigint" && typeof value !== "number") {
      throw new Error(`not an integer: ${String(value)}`);
    }
    return BigInt(value).toString(10);
  }
  if (BYTES_TYPE.test(type)) {
    if (typeof value !== "string" || !isHexString(value)) throw new Error(`not hex: ${value}`);
    return hexlify(value);
  }
  throw new Error(`unsupported Transaction Builder input type ${type}`);
}

/**
 * The value the Transaction Builder parses from the string `raw` for an input of `type`, for the
 * types {@link inputValueString} writes. Follows the app's `parseInputValue` (src/utils.ts): a
 * boolean is true/false/1/0, an integer loses its quotes and spaces, an array of non-strings is
 * split on its top-level commas and loses its quotes, an array of strings is JSON, anything else
 * is passed on as it is.
 */
function parseLikeTransactionBuilder(type: string, raw: string): unknown {
  const trimmed = raw.trim();
  if (type === "bool") {
    const lower = trimmed.toLowerCase();
    if (lower === "true" || lower === "1") return true;
    if (lower === "false" || lower === "0") return false;
    throw new Error(`invalid boolean ${raw}`);
  }
  if (INT_TYPE.test(type)) {
    const digits = trimmed.replace(/["']/g, "").trim();
    if (digits === "") throw new Error("empty integer");
    return BigInt(digits);
  }
  if (type === "string[]") return JSON.parse(trimmed) as unknown;
  if (type.endsWith("[]")) {
    if (!(trimmed.startsWith("[") && trimmed.endsWith("]")))
      throw new Error(`invalid array ${raw}`);
    const inner = trimmed.slice(1, -1);
    if (inner.trim() === "") return [];
    const base = type.slice(0, -2);
    return inner
      .split(",")
      .map((item) => parseLikeTransactionBuilder(base, item.replace(/["']/g, "").trim()));
  }
  return raw;
}

/**
 * The calldata the Transaction Builder will make of `tx` when `data` is null: its contract method
 * encoded with its values parsed as the app parses them. Used to check a batch before writing it.
 */
export function encodeLikeTransactionBuilder(tx: TxBuilderTransaction): string {
  if (tx.data !== null) return tx.data;
  if (tx.contractMethod === null) return "0x";
  const method = tx.contractMethod;
  const values = method.inputs.map((input, index) =>
    parseLikeTransactionBuilder(
      input.type,
      tx.contractInputsValues?.[input.name || String(index)] ?? "",
    ),
  );
  const iface = new Interface([
    {
      type: "function",
      name: method.name,
      inputs: method.inputs.map(({ name, type }) => ({ name, type })),
      outputs: [],
      stateMutability: method.payable ? "payable" : "nonpayable",
    },
  ]);
  return iface.encodeFunctionData(method.name, values);
}

/**
 * The batch transaction calling `fn` (from a compiled ABI, for its input names and internal types)
 * on `to` with `args`, written as the Transaction Builder writes a call it encoded: `data` null,
 * the method and its arguments as strings.
 */
export function contractCallTransaction(
  to: string,
  fn: AbiFunction,
  args: readonly unknown[],
): TxBuilderTransaction {
  if (fn.inputs.length !== args.length) {
    throw new Error(`${fn.name} takes ${fn.inputs.length} arguments, ${args.length} given`);
  }
  const inputs: TxBuilderInput[] = fn.inputs.map((input, i) => {
    const name = input.name ?? "";
    if (name === "") throw new Error(`input ${i} of ${fn.name} has no name`);
    const type = input.type ?? "";
    return { internalType: input.internalType ?? type, name, type };
  });
  const contractInputsValues: Record<string, string> = {};
  inputs.forEach((input, i) => {
    contractInputsValues[input.name] = inputValueString(input.type, args[i]);
  });
  return {
    to: getAddress(to),
    value: "0",
    data: null,
    contractMethod: { inputs, name: fn.name, payable: fn.stateMutability === "payable" },
    contractInputsValues,
  };
}

// ------------------------------------------------------------------ checksum

/** The Transaction Builder's canonical serialization (see the file doc). */
export function serializeForChecksum(json: unknown): string {
  if (Array.isArray(json))
    return `[${json.map((e: unknown) => serializeForChecksum(e)).join(",")}]`;
  if (typeof json === "object" && json !== null) {
    const record = json as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let acc = `{${JSON.stringify(keys)}`;
    for (const key of keys) acc += `${serializeForChecksum(record[key])},`;
    return `${acc}}`;
  }
  return JSON.stringify(json === undefined ? null : json);
}

/** A batch whose meta may lack the checksum (it is ignored when present). */
export type UnsignedTxBuilderBatch = Omit<TxBuilderBatch, "meta"> & {
  meta: Omit<TxBuilderMeta, "checksum"> & { checksum?: string };
};

/** `meta.checksum` of `batch`: keccak256 of its serialization with no name and no checksum. */
export function txBuilderChecksum(batch: UnsignedTxBuilderBatch): string {
  const { checksum: _ignored, ...meta } = batch.meta;
  return id(serializeForChecksum({ ...batch, meta: { ...meta, name: null } }));
}

/** Whether `meta.checksum` is the one the Transaction Builder computes for `batch`. */
export function hasValidChecksum(batch: TxBuilderBatch): boolean {
  return batch.meta.checksum === txBuilderChecksum(batch);
}

// ------------------------------------------------------------------ batch and file

export interface TxBuilderBatchOptions {
  chainId: bigint | number;
  safe: string;
  name: string;
  description: string;
  transactions: TxBuilderTransaction[];
  /** Milliseconds; now by default. */
  createdAt?: number;
}

/**
 * A complete batch file with its checksum. Throws if the Transaction Builder would encode a
 * transaction differently from what `expectedData[i]` (when given) says.
 */
export function buildTxBuilderBatch(
  options: TxBuilderBatchOptions,
  expectedData: readonly string[] = [],
): TxBuilderBatch {
  options.transactions.forEach((tx, i) => {
    const expected = expectedData[i];
    if (expected === undefined) return;
    const encoded = encodeLikeTransactionBuilder(tx);
    if (encoded.toLowerCase() !== expected.toLowerCase()) {
      throw new Error(
        `the Transaction Builder would encode transaction ${i} as ${encoded}, not ${expected}`,
      );
    }
  });
  const unsigned: UnsignedTxBuilderBatch = {
    version: TX_BUILDER_FILE_VERSION,
    chainId: BigInt(options.chainId).toString(10),
    createdAt: options.createdAt ?? Date.now(),
    meta: {
      name: options.name,
      description: options.description,
      txBuilderVersion: TX_BUILDER_VERSION,
      createdFromSafeAddress: getAddress(options.safe),
      createdFromOwnerAddress: "",
    },
    transactions: options.transactions,
  };
  return { ...unsigned, meta: { ...unsigned.meta, checksum: txBuilderChecksum(unsigned) } };
}

/** The file's text: the batch as 2-space JSON and a final newline. */
export function txBuilderFileText(batch: TxBuilderBatch): string {
  return `${JSON.stringify(batch, null, 2)}\n`;
}

/**
 * Writes `text` to `path` atomically: into a temporary file beside it, flushed to disk, then
 * renamed over `path`. A reader sees the old file or the whole new one, never a part.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o644);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or renamed already
    }
    throw e;
  }
}

/** Writes `batch` to `path` atomically (written to a temporary file, then renamed). */
export function writeTxBuilderFile(path: string, batch: TxBuilderBatch): void {
  writeFileAtomic(path, txBuilderFileText(batch));
}
