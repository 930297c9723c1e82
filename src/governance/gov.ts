/**
 * The core of the governance command line (scripts/gov.ts, `npm run gov`), testable in-process:
 * parse a command, encode the governance call, choose the Safe that must make it, preview it from
 * that Safe, then write a Safe{Wallet} Transaction Builder file for the owners to sign, or (on a
 * local chain, with the owners' keys) sign and execute it.
 *
 *   npm run gov -- <command> [arguments] --network NAME [--safe ADDRESS]
 *                  [--out FILE | --execute [--owners I,J]]
 *                  [--registry ADDRESS] [--anchor ADDRESS] [--settlement ADDRESS]
 *
 * Model ids. `--model` takes a bytes32 id as 0x and 64 hex digits, used as is, or a name, whose id
 * is keccak256 of its UTF-8 bytes (ethers `id(name)`): `--model model:alpha` is
 * `--model 0x` + keccak256("model:alpha"). A value starting with 0x that is not 32 bytes of hex is
 * refused rather than taken as a name. Reasons: `--reason TEXT` goes on chain as
 * reasonHash = keccak256(UTF-8 TEXT); keep the text (and publish it at `--reason-uri`).
 *
 * Addresses. The target contract is `--registry` / `--anchor` / `--settlement` when given (a
 * registry command given only `--anchor` uses that anchor's registry), else the address Hardhat
 * Ignition recorded for the chain in deploy/deployments/chain-<id>/deployed_addresses.json.
 *
 * Which Safe. Each restricted function needs one role (src/chain/roles.ts): GOVERNOR functions
 * go through the governance Safe, GUARDIAN functions through the guardian Safe. Without `--safe`
 * the Safe is found on chain, where the truth is: the AccessManager of the target contract
 * (`authority()`) is asked for the accounts its RoleGranted events name for that role, those that
 * still hold it (`hasRole`) and are Safes are kept, and exactly one must remain; otherwise the
 * command stops and asks for `--safe`. The log query starts at block 0: a provider that limits
 * log ranges makes discovery fail, and `--safe ADDRESS` is then needed. With `--safe` the Safe is
 * used as given, whether or not it holds the role: the preview says what the contract thinks.
 * `activate` needs no role: it is sent directly by the network's first account.
 *
 * The preview. Before anything is signed or written, the call is run as an eth_call from the Safe
 * (or the account) on the latest block (safe.ts simulateFromSafe). If it would revert, the
 * contract's custom error is decoded with the contracts' ABIs and explained with its NatSpec from
 * contracts/interfaces/*.sol, and the command fails with nothing written or sent. The contracts'
 * rules are not re-implemented here: the preview is the check.
 *
 * Then, one of:
 * - `--out FILE`: a Transaction Builder batch file (src/governance/tx-builder.ts), written atomically;
 * - `--execute` (local chains 31337 and 1337 only; refused elsewhere): threshold owners sign
 *   (EIP-712) and the network's first account executes; owners are `--owners 1,2` (indices into
 *   the network's accounts), else the private keys in the env var OWNER_KEYS (comma-separated),
 *   else the network's accounts that own the Safe. `activate --execute` sends from the first
 *   account, on any network (no owner key is involved);
 * - neither: the calldata and the Safe transaction hash at the current nonce are printed, and
 *   nothing is written or sent.
 */
import { Disposition } from "../chain/enums.js";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { type ParseArgsOptionsConfig } from "node:util";

import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import {
  Contract,
  Interface,
  Wallet,
  getAddress,
  hexlify,
  id,
  isAddress,
  isHexString,
  type JsonFragment,
  type JsonFragmentType,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from "ethers";

import { failureData, resolveAddress } from "../chain/chain.js";
import { fail, oneLine, parseCliArgs } from "../ground/cli.js";
import { packageRoot } from "../ground/package-root.js";
import { type ModelRef, parseDuration, parseModelId } from "./values.js";
import {
  INFERENCE_ANCHOR_FUNCTION_ROLES,
  INFERENCE_SETTLEMENT_FUNCTION_ROLES,
  MODEL_REGISTRY_FUNCTION_ROLES,
  Role,
  type RoleName,
} from "../chain/roles.js";
import {
  LOCAL_CHAIN_IDS,
  buildSafeTransaction,
  describeRevertData,
  describeSafeError,
  execSafeTransaction,
  readSafeState,
  safeInterface,
  safeTxHash,
  signSafeTransaction,
  simulateFromSafe,
  type SafeSignature,
  type SafeState,
} from "./safe.js";
import {
  buildTxBuilderBatch,
  contractCallTransaction,
  writeTxBuilderFile,
  type AbiFunction,
  type TxBuilderBatch,
} from "./tx-builder.js";

// ------------------------------------------------------------------ commands

// The parsing of model ids and durations is Hardhat-free (./values.ts), so that other tools' arguments use it
// without this module's Hardhat types.
export { type ModelRef, parseDuration, parseModelId } from "./values.js";

/** The suite contracts a command may call. */
export type GovTarget = "ModelRegistry" | "InferenceAnchor" | "InferenceSettlement";

type OptionValues = Record<string, string | string[] | boolean | undefined>;

interface BuiltCall {
  args: unknown[];
  model?: ModelRef;
  reason?: { text: string; hash: string };
}

interface CommandSpec {
  target: GovTarget;
  fn: string;
  /** Command-specific options (all take a value). */
  options: Record<string, { multiple?: boolean }>;
  /** The command's own arguments, for the usage line. */
  usage: string;
  build(v: OptionValues, usage: string): BuiltCall;
  /** Sent directly by an account (no role), not through a Safe. */
  direct?: boolean;
}

const COMMON_USAGE =
  "--network NAME [--safe ADDRESS] [--out FILE | --execute [--owners I,J]] " +
  "[--registry ADDRESS] [--anchor ADDRESS] [--settlement ADDRESS]";

const COMMON_OPTIONS = {
  network: { type: "string" },
  safe: { type: "string" },
  out: { type: "string" },
  execute: { type: "boolean" },
  owners: { type: "string" },
  registry: { type: "string" },
  anchor: { type: "string" },
  settlement: { type: "string" },
} as const satisfies ParseArgsOptionsConfig;

function str(v: OptionValues, flag: string, usage: string): string {
  const value = v[flag];
  if (value === undefined || value === "" || typeof value !== "string") {
    fail(`missing --${flag} (usage: ${usage})`);
  }
  return value;
}

function optionalStr(v: OptionValues, flag: string): string | undefined {
  const value = v[flag];
  return typeof value === "string" ? value : undefined;
}

function model(v: OptionValues, usage: string): ModelRef {
  return parseModelId(str(v, "model", usage));
}

function uint(v: OptionValues, flag: string, usage: string, bits = 32): bigint {
  const raw = str(v, flag, usage);
  const digits =
    flag === "version" || flag === "from" || flag === "to" ? raw.replace(/^v/i, "") : raw;
  if (!/^\d+$/.test(digits)) fail(`--${flag} must be a whole number, got ${raw}`);
  const n = BigInt(digits);
  if (n >= 1n << BigInt(bits)) fail(`--${flag} ${raw} does not fit in uint${bits}`);
  return n;
}

function duration(v: OptionValues, flag: string, usage: string): bigint {
  return parseDuration(str(v, flag, usage), flag);
}

function address(v: OptionValues, flag: string, usage: string): string {
  const raw = str(v, flag, usage);
  if (!isAddress(raw)) fail(`--${flag} must be an address, got ${raw}`);
  return getAddress(raw);
}

function bytes32(v: OptionValues, flag: string, usage: string): string {
  const raw = str(v, flag, usage);
  if (!isHexString(raw, 32))
    fail(`--${flag} must be 32 bytes of hex (0x and 64 digits), got ${raw}`);
  return hexlify(raw);
}

function bool(v: OptionValues, flag: string, usage: string): boolean {
  const raw = str(v, flag, usage);
  if (raw === "true") return true;
  if (raw === "false") return false;
  fail(`--${flag} must be true or false, got ${raw}`);
}

/** IModelRegistry.Disposition values accepted on the command line. */
export const DISPOSITIONS = {
  faulty: Disposition.Faulty,
  withdrawn: Disposition.Withdrawn,
} as const;

function disposition(v: OptionValues, usage: string): bigint {
  const raw = str(v, "disposition", usage);
  const value = DISPOSITIONS[raw.toLowerCase() as keyof typeof DISPOSITIONS];
  if (value === undefined) fail(`bad --disposition ${raw}: expected faulty or withdrawn`);
  return value;
}

function reason(v: OptionValues, usage: string): { text: string; hash: string } {
  const text = str(v, "reason", usage);
  return { text, hash: id(text) };
}

const MODEL_OPT = { model: {} };
const REASON_OPTS = { reason: {}, "reason-uri": {} };

/** Every command, by name. */
export const COMMANDS: Record<string, CommandSpec> = {
  rollback: {
    target: "ModelRegistry",
    fn: "rollback",
    options: { ...MODEL_OPT, from: {}, to: {}, disposition: {}, ...REASON_OPTS },
    usage:
      "--model ID --from V --to V --disposition faulty|withdrawn --reason TEXT [--reason-uri URI]",
    build(v, usage) {
      const m = model(v, usage);
      const from = uint(v, "from", usage);
      const to = uint(v, "to", usage);
      const d = disposition(v, usage);
      const r = reason(v, usage);
      return {
        args: [m.id, from, to, d, r.hash, optionalStr(v, "reason-uri") ?? ""],
        model: m,
        reason: r,
      };
    },
  },
  revoke: {
    target: "ModelRegistry",
    fn: "revoke",
    options: { ...MODEL_OPT, version: {}, disposition: {}, ...REASON_OPTS },
    usage: "--model ID --version V --disposition faulty|withdrawn --reason TEXT [--reason-uri URI]",
    build(v, usage) {
      const m = model(v, usage);
      const version = uint(v, "version", usage);
      const d = disposition(v, usage);
      const r = reason(v, usage);
      return {
        args: [m.id, version, d, r.hash, optionalStr(v, "reason-uri") ?? ""],
        model: m,
        reason: r,
      };
    },
  },
  pause: {
    target: "ModelRegistry",
    fn: "pause",
    options: { ...MODEL_OPT },
    usage: "--model ID",
    build(v, usage) {
      const m = model(v, usage);
      return { args: [m.id], model: m };
    },
  },
  resume: {
    target: "ModelRegistry",
    fn: "resume",
    options: { ...MODEL_OPT },
    usage: "--model ID",
    build(v, usage) {
      const m = model(v, usage);
      return { args: [m.id], model: m };
    },
  },
  "cancel-proposal": {
    target: "ModelRegistry",
    fn: "cancelProposal",
    options: { ...MODEL_OPT },
    usage: "--model ID",
    build(v, usage) {
      const m = model(v, usage);
      return { args: [m.id], model: m };
    },
  },
  propose: {
    target: "ModelRegistry",
    fn: "propose",
    options: { ...MODEL_OPT, version: {} },
    usage: "--model ID --version V",
    build(v, usage) {
      const m = model(v, usage);
      return { args: [m.id, uint(v, "version", usage)], model: m };
    },
  },
  activate: {
    target: "ModelRegistry",
    fn: "activate",
    options: { ...MODEL_OPT },
    usage: "--model ID",
    direct: true,
    build(v, usage) {
      const m = model(v, usage);
      return { args: [m.id], model: m };
    },
  },
  "create-model": {
    target: "ModelRegistry",
    fn: "createModel",
    options: { ...MODEL_OPT, publisher: { multiple: true } },
    usage: "--model ID --publisher ADDRESS [--publisher ADDRESS ...]",
    build(v, usage) {
      const m = model(v, usage);
      const raw = v.publisher;
      const list = Array.isArray(raw) ? raw : [];
      if (list.length === 0) fail(`missing --publisher (usage: ${usage})`);
      const publishers = list.map((p) => {
        if (!isAddress(p)) fail(`--publisher must be an address, got ${p}`);
        return getAddress(p);
      });
      return { args: [m.id, publishers], model: m };
    },
  },
  "set-publisher": {
    target: "ModelRegistry",
    fn: "setPublisher",
    options: { ...MODEL_OPT, publisher: {}, allowed: {} },
    usage: "--model ID --publisher ADDRESS --allowed true|false",
    build(v, usage) {
      const m = model(v, usage);
      return {
        args: [m.id, address(v, "publisher", usage), bool(v, "allowed", usage)],
        model: m,
      };
    },
  },
  "set-promotion-delay": {
    target: "ModelRegistry",
    fn: "setPromotionDelay",
    options: { delay: {} },
    usage: "--delay SECONDS|30m|24h|3d",
    build: (v, usage) => ({ args: [duration(v, "delay", usage)] }),
  },
  "set-proposal-grace-period": {
    target: "ModelRegistry",
    fn: "setProposalGracePeriod",
    options: { period: {} },
    usage: "--period SECONDS|30m|24h|3d",
    build: (v, usage) => ({ args: [duration(v, "period", usage)] }),
  },
  "set-operator": {
    target: "InferenceAnchor",
    fn: "setOperator",
    options: { ...MODEL_OPT, operator: {}, allowed: {} },
    usage: "--model ID --operator ADDRESS --allowed true|false",
    build(v, usage) {
      const m = model(v, usage);
      return {
        args: [m.id, address(v, "operator", usage), bool(v, "allowed", usage)],
        model: m,
      };
    },
  },
  "set-max-anchor-delay": {
    target: "InferenceAnchor",
    fn: "setMaxAnchorDelay",
    options: { delay: {} },
    usage: "--delay SECONDS|30m|24h|3d",
    build: (v, usage) => ({ args: [duration(v, "delay", usage)] }),
  },
  "register-enclave-key": {
    target: "InferenceAnchor",
    fn: "registerEnclaveKey",
    options: { key: {}, node: {} },
    usage: "--key ADDRESS --node ADDRESS",
    build: (v, usage) => ({ args: [address(v, "key", usage), address(v, "node", usage)] }),
  },
  "revoke-enclave-key": {
    target: "InferenceAnchor",
    fn: "revokeEnclaveKey",
    options: { key: {}, reason: {} },
    usage: "--key ADDRESS --reason TEXT",
    build(v, usage) {
      const r = reason(v, usage);
      return { args: [address(v, "key", usage), r.hash], reason: r };
    },
  },
  "dispute-batch": {
    target: "InferenceAnchor",
    fn: "disputeBatch",
    options: { ...MODEL_OPT, operator: {}, root: {}, ...REASON_OPTS },
    usage: "--model ID --operator ADDRESS --root BYTES32 --reason TEXT [--reason-uri URI]",
    build(v, usage) {
      const m = model(v, usage);
      const operator = address(v, "operator", usage);
      const root = bytes32(v, "root", usage);
      const r = reason(v, usage);
      return {
        args: [m.id, operator, root, r.hash, optionalStr(v, "reason-uri") ?? ""],
        model: m,
        reason: r,
      };
    },
  },
  "set-hold-period": {
    target: "InferenceSettlement",
    fn: "setHoldPeriod",
    options: { period: {} },
    usage: "--period SECONDS|30m|24h|3d",
    build: (v, usage) => ({ args: [duration(v, "period", usage)] }),
  },
};

/** The usage line of `command` (or of the tool). */
export function usageOf(command?: string): string {
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (spec === undefined) {
    return `npm run gov -- <${Object.keys(COMMANDS).join("|")}> [arguments] ${COMMON_USAGE}`;
  }
  return `npm run gov -- ${command} ${spec.usage} ${COMMON_USAGE}`;
}

/** The help text: every command with its arguments. */
export function helpText(): string {
  const lines = [`usage: ${usageOf()}`, "", "commands:"];
  for (const [name, spec] of Object.entries(COMMANDS)) {
    const who = spec.direct ? "anyone" : roleOf(spec.target, spec.fn);
    lines.push(`  ${name} ${spec.usage}    (${spec.target}.${spec.fn}, ${who})`);
  }
  lines.push(
    "",
    "--model takes 0x + 64 hex digits (the id) or a name (id = keccak256(utf8(name))).",
    "Without --safe the Safe holding the function's role is found from the AccessManager.",
    "--execute is for local chains (31337, 1337): owners from --owners I,J (account indices),",
    "else OWNER_KEYS (comma-separated private keys), else the network's accounts that own the Safe.",
  );
  return lines.join("\n");
}

/** The role `target.fn` requires (src/chain/roles.ts). */
export function roleOf(target: GovTarget, fn: string): RoleName {
  const table: Record<string, RoleName> =
    target === "ModelRegistry"
      ? MODEL_REGISTRY_FUNCTION_ROLES
      : target === "InferenceAnchor"
        ? INFERENCE_ANCHOR_FUNCTION_ROLES
        : INFERENCE_SETTLEMENT_FUNCTION_ROLES;
  const role = table[fn];
  if (role === undefined) throw new Error(`${target}.${fn} has no role in src/chain/roles.ts`);
  return role;
}

/** A parsed command line. */
export interface GovRequest {
  command: string;
  usage: string;
  target: GovTarget;
  functionName: string;
  args: unknown[];
  direct: boolean;
  model?: ModelRef;
  reason?: { text: string; hash: string };
  network?: string;
  safe?: string;
  out?: string;
  execute: boolean;
  /** Account indices given with --owners. */
  owners?: number[];
  overrides: { registry?: string; anchor?: string; settlement?: string };
}

function optionalAddress(raw: string | undefined, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!isAddress(raw)) fail(`--${flag} must be an address, got ${raw}`);
  return getAddress(raw);
}

/**
 * Parses `argv` (the arguments after `npm run gov --`): the command, then its options. Throws a
 * one-line CliError for an unknown command, an unknown option, a missing or malformed value.
 */
export function parseGovArgs(argv: readonly string[]): GovRequest {
  const [command, ...rest] = argv;
  if (command === undefined || command.startsWith("-")) {
    fail(`missing command (usage: ${usageOf()})`);
  }
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (spec === undefined) {
    fail(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(", ")})`);
  }
  const usage = usageOf(command);
  const options: ParseArgsOptionsConfig = { ...COMMON_OPTIONS };
  for (const [flag, o] of Object.entries(spec.options)) {
    options[flag] = { type: "string", multiple: o.multiple === true };
  }
  const values = parseCliArgs(options, usage, [...rest]) as OptionValues;
  const common = values as OptionValues & {
    network?: string;
    safe?: string;
    out?: string;
    execute?: boolean;
    owners?: string;
    registry?: string;
    anchor?: string;
    settlement?: string;
  };
  const execute = common.execute === true;
  if (common.out !== undefined && execute) fail("--out and --execute exclude each other");
  if (common.out === "") fail("--out is empty");
  if (common.owners !== undefined && !execute) fail("--owners is for --execute");
  let owners: number[] | undefined;
  if (common.owners !== undefined) {
    owners = common.owners.split(",").map((s) => {
      if (!/^\d+$/.test(s.trim()))
        fail(`--owners takes account indices like 1,2; got ${common.owners}`);
      return Number(s.trim());
    });
    if (new Set(owners).size !== owners.length)
      fail(`--owners lists an account twice: ${common.owners}`);
  }
  if (spec.direct) {
    if (common.safe !== undefined)
      fail(`${command} is sent by the network's first account, not a Safe: drop --safe`);
    if (common.out !== undefined)
      fail(`${command} is not a Safe transaction: run it with --execute, not --out`);
    if (owners !== undefined) fail(`${command} needs no owners: drop --owners`);
  }
  const built = spec.build(values, usage);
  return {
    command,
    usage,
    target: spec.target,
    functionName: spec.fn,
    args: built.args,
    direct: spec.direct === true,
    model: built.model,
    reason: built.reason,
    network: common.network,
    safe: optionalAddress(common.safe, "safe"),
    out: common.out,
    execute,
    owners,
    overrides: {
      registry: optionalAddress(common.registry, "registry"),
      anchor: optionalAddress(common.anchor, "anchor"),
      settlement: optionalAddress(common.settlement, "settlement"),
    },
  };
}

// ------------------------------------------------------------------ ABIs and interface docs

type Abi = JsonFragment[];

const abiCache = new Map<string, Abi>();

/** The compiled ABI of `contract` (Hardhat artifacts, with internal types). */
async function abiOf(contract: string): Promise<Abi> {
  const cached = abiCache.get(contract);
  if (cached !== undefined) return cached;
  const { artifacts } = await import("hardhat");
  const abi = (await artifacts.readArtifact(contract)).abi as Abi;
  abiCache.set(contract, abi);
  return abi;
}

/** Enum value names and error notices, read from contracts/interfaces/*.sol. */
export interface InterfaceDocs {
  enums: Map<string, string[]>;
  errors: Map<string, string>;
}

const INTERFACE_FILES = ["IModelRegistry.sol", "IInferenceAnchor.sol", "IInferenceSettlement.sol"];

let cachedDocs: InterfaceDocs | undefined;

/**
 * Reads the enums and the `/// @notice` of each custom error of the suite's interfaces, so that a
 * revert is explained in the contracts' own words. Missing files give empty maps (no words).
 */
export function interfaceDocs(): InterfaceDocs {
  if (cachedDocs !== undefined) return cachedDocs;
  const docs: InterfaceDocs = { enums: new Map(), errors: new Map() };
  const dir = join(packageRoot(), "contracts/interfaces") + sep;
  for (const file of INTERFACE_FILES) {
    let source: string;
    try {
      source = readFileSync(dir + file, "utf8");
    } catch {
      continue;
    }
    for (const match of source.matchAll(/\benum\s+(\w+)\s*\{([^}]*)\}/g)) {
      const names = match[2]
        .replace(/\/\/[^\n]*/g, "")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      docs.enums.set(match[1], names);
    }
    const lines = source.split(/\r?\n/);
    lines.forEach((line, i) => {
      const error = /^\s*error\s+(\w+)\s*\(/.exec(line);
      if (error === null) return;
      const comment: string[] = [];
      for (let j = i - 1; j >= 0; j--) {
        const doc = /^\s*\/\/\/\s?(.*)$/.exec(lines[j]);
        if (doc === null) break;
        comment.unshift(doc[1].trim());
      }
      const text = comment.join(" ");
      const notice = /@notice\s+([^@]*)/.exec(text)?.[1] ?? (text.startsWith("@") ? "" : text);
      if (notice.trim() !== "") docs.errors.set(error[1], notice.trim());
    });
  }
  cachedDocs = docs;
  return docs;
}

// ------------------------------------------------------------------ values in words

/** Formats values for messages: enums by name, times as ISO dates, the requested model by name. */
class Words {
  constructor(private readonly model: ModelRef | undefined) {}

  modelId(value: string): string {
    const id = hexlify(value);
    return this.model?.name !== undefined && this.model.id === id
      ? `${this.model.name} (${id})`
      : id;
  }

  value(param: JsonFragmentType, value: unknown): string {
    const type = param.type ?? "";
    const internal = param.internalType ?? "";
    if (type.endsWith("[]") && Array.isArray(value)) {
      const inner = {
        ...param,
        type: type.slice(0, -2),
        internalType: internal.replace(/\[\]$/, ""),
      };
      return `[${value.map((v: unknown) => this.value(inner, v)).join(", ")}]`;
    }
    const enumMatch = /^enum\s+(?:\w+\.)?(\w+)$/.exec(internal);
    if (enumMatch !== null) {
      const names = interfaceDocs().enums.get(enumMatch[1]);
      const name = names?.[Number(value)];
      return name ?? String(value);
    }
    if (type === "bytes32" && param.name === "modelId" && typeof value === "string") {
      return this.modelId(value);
    }
    if (type === "uint48" && !/block/i.test(param.name ?? "") && typeof value === "bigint") {
      return value === 0n ? "0" : `${value} (${isoTime(value)})`;
    }
    if (type === "address" && typeof value === "string") return getAddress(value);
    if (type === "string") return JSON.stringify(value);
    return String(value);
  }

  named(params: readonly JsonFragmentType[], values: readonly unknown[]): string {
    return params.map((p, i) => `${p.name || i}=${this.value(p, values[i])}`).join(", ");
  }
}

function isoTime(seconds: bigint): string {
  const ms = Number(seconds) * 1000;
  return Number.isFinite(ms) && ms < 8.64e15 ? new Date(ms).toISOString() : "far future";
}

function abiEntry(
  abi: Abi,
  kind: "error" | "event" | "function",
  name: string,
): JsonFragment | undefined {
  return abi.find((f) => f.type === kind && f.name === name);
}

/** Context to explain AccessManagedUnauthorized: who needs which role where. */
interface AccessContext {
  provider: Provider;
  manager?: string;
  target: GovTarget;
  fn: string;
  role?: RoleName;
}

/**
 * A revert in words: `ErrorName(arg=value, ...): its NatSpec notice` for a custom error of one of
 * `abis`, or the Safe / string / panic reading of safe.ts's describeRevertData.
 */
export async function describeGovRevert(
  revertData: string,
  abis: readonly Abi[],
  model: ModelRef | undefined,
  access?: AccessContext,
): Promise<string> {
  const words = new Words(model);
  for (const abi of abis) {
    const iface = new Interface(abi);
    let parsed;
    try {
      parsed = iface.parseError(revertData);
    } catch {
      parsed = null;
    }
    if (parsed === null) continue;
    const params = abiEntry(abi, "error", parsed.name)?.inputs ?? [];
    const values = [...parsed.args] as unknown[];
    const head = `${parsed.name}(${words.named(params, values)})`;
    if (parsed.name === "AccessManagedUnauthorized" && access !== undefined) {
      return `${head}: ${await explainUnauthorized(String(values[0]), access)}`;
    }
    const notice = interfaceDocs().errors.get(parsed.name);
    if (notice === undefined) return head;
    const explained = notice.replace(/`(\w+)`/g, (_all, name: string) => {
      const i = params.findIndex((p) => p.name === name);
      return i < 0 ? name : words.value(params[i], values[i]);
    });
    return `${head}: ${explained.replace(/\.$/, "")}`;
  }
  return describeRevertData(revertData);
}

async function explainUnauthorized(caller: string, access: AccessContext): Promise<string> {
  const base = `${getAddress(caller)} may not call ${access.target}.${access.fn}`;
  if (access.role === undefined || access.manager === undefined) return base;
  try {
    const manager = new Contract(access.manager, await abiOf("AccessManager"), access.provider);
    const [isMember, delay] = (await manager.hasRole(Role[access.role], caller)) as [
      boolean,
      bigint,
    ];
    if (!isMember) return `${base}: it needs ${access.role}, which it does not hold`;
    if (delay > 0n) {
      return `${base}: it holds ${access.role} with an execution delay of ${delay} s, so the call must be scheduled through the AccessManager ${access.manager}`;
    }
    return `${base} (it holds ${access.role}: the function's role may differ on this deployment)`;
  } catch {
    return base;
  }
}

/** One event in words. */
function describeEvent(
  name: string,
  params: readonly JsonFragmentType[],
  values: readonly unknown[],
  words: Words,
): string {
  const a: Record<string, unknown> = {};
  params.forEach((p, i) => {
    if (p.name) a[p.name] = values[i];
  });
  const w = (field: string): string => {
    const i = params.findIndex((p) => p.name === field);
    return i < 0 ? "?" : words.value(params[i], values[i]);
  };
  const m = a.modelId === undefined ? "" : `model ${w("modelId")}`;
  switch (name) {
    case "RolledBack":
      return `RolledBack: ${m} from v${a.fromVersion} to v${a.toVersion}, incident ${a.incidentId} (${w("disposition")}) by ${w("by")}`;
    case "IncidentOpened":
      return `IncidentOpened: incident ${a.incidentId} on ${m} v${a.version} (${w("disposition")}), target v${a.target}, ${a.windowCount} window(s), by ${w("by")}, reasonHash ${a.reasonHash}, reasonURI ${w("reasonURI")}`;
    case "VersionRevoked":
      return `VersionRevoked: ${m} v${a.version} (${w("disposition")}), incident ${a.incidentId}, by ${w("by")}`;
    case "VersionActivated":
      return `VersionActivated: ${m} v${a.version} live in epoch ${a.epoch}, by ${w("by")}`;
    case "EpochClosed":
      return `EpochClosed: ${m} epoch ${a.epoch} of v${a.version} closed (${w("reason")})`;
    case "VersionRetired":
      return `VersionRetired: ${m} v${a.version}`;
    case "VersionProposed":
      return `VersionProposed: ${m} v${a.version} by ${w("by")}, activatable from ${w("earliestActivation")} until ${w("expiresAt")}`;
    case "ProposalCancelled":
      return `ProposalCancelled: ${m} v${a.version} by ${w("by")} (${w("reason")})`;
    case "ModelPaused":
      return `ModelPaused: ${m} (v${a.version} kept) by ${w("by")}`;
    case "ModelResumed":
      return `ModelResumed: ${m} v${a.version} by ${w("by")}`;
    case "ModelCreated":
      return `ModelCreated: ${m} by ${w("by")}, publishers ${w("publishers")}`;
    default:
      return `${name}: ${words.named(params, values)}`;
  }
}

/**
 * A failed transaction in words: its revert decoded (replayed when the client mined it without
 * returning its data, as anvil does: chain.ts's failureData), else safe.ts's reading of the error.
 */
async function describeFailure(
  e: unknown,
  abis: readonly Abi[],
  model: ModelRef | undefined,
  provider: Provider,
): Promise<string> {
  const data = await failureData(e, provider);
  if (data !== undefined) return describeGovRevert(data, abis, model);
  return describeSafeError(e);
}

/** The events of `receipt` emitted by `emitters` (address → ABI), in words. */
function describeReceipt(
  receipt: TransactionReceipt,
  emitters: Map<string, Abi>,
  words: Words,
): string[] {
  const lines: string[] = [];
  for (const log of receipt.logs) {
    const abi = emitters.get(getAddress(log.address));
    if (abi === undefined) continue;
    const parsed = new Interface(abi).parseLog(log);
    if (parsed === null || parsed.name === "SafeMultiSigTransaction") continue;
    const params = abiEntry(abi, "event", parsed.name)?.inputs ?? [];
    lines.push(describeEvent(parsed.name, params, [...parsed.args] as unknown[], words));
  }
  return lines;
}

// ------------------------------------------------------------------ running a command

export interface GovRunOptions {
  /** Where progress lines go (one per call); nowhere by default. */
  print?: (line: string) => void;
  /** The OWNER_KEYS value: comma-separated private keys of owners (for --execute). */
  ownerKeys?: string;
}

export interface GovSafeInfo {
  address: string;
  /** The role the call needs, and whether the Safe was found from it (no --safe). */
  role: RoleName;
  discovered: boolean;
  owners: string[];
  threshold: bigint;
  nonce: bigint;
}

export interface GovOutcome {
  command: string;
  chainId: bigint;
  target: { name: GovTarget; address: string };
  functionName: string;
  data: string;
  /** Who makes the call: the Safe, or the account for `activate`. */
  sender: string;
  safe?: GovSafeInfo;
  /** The block the preview ran on. */
  simulatedAt: number;
  /** --out: the file written and its content. */
  file?: string;
  batch?: TxBuilderBatch;
  /** --execute: the transaction, the Safe transaction hash (Safe calls) and the events in words. */
  txHash?: string;
  safeTxHash?: string;
  events: string[];
}

/** The address of the command's target: the override, else the recorded deployment. */
async function targetAddress(
  request: GovRequest,
  chainId: bigint,
  provider: Provider,
): Promise<string> {
  const { registry, anchor, settlement } = request.overrides;
  switch (request.target) {
    case "ModelRegistry": {
      if (registry !== undefined) return registry;
      if (anchor !== undefined) {
        await requireCode(provider, anchor, "--anchor", chainId);
        const contract = new Contract(anchor, await abiOf("InferenceAnchor"), provider);
        try {
          return getAddress((await contract.registry()) as string);
        } catch (e) {
          fail(`cannot read the registry of the anchor ${anchor}: ${oneLine(messageOf(e))}`);
        }
      }
      return getAddress(resolveAddress("ModelRegistry", chainId, undefined, "--registry"));
    }
    case "InferenceAnchor":
      return getAddress(resolveAddress("InferenceAnchor", chainId, anchor, "--anchor"));
    case "InferenceSettlement":
      return getAddress(resolveAddress("InferenceSettlement", chainId, settlement, "--settlement"));
  }
}

async function requireCode(
  provider: Provider,
  at: string,
  what: string,
  chainId: bigint,
): Promise<void> {
  if ((await provider.getCode(at)) === "0x")
    fail(`no contract at ${at} (${what}) on chain ${chainId}`);
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return (e as Error & { shortMessage?: string }).shortMessage ?? e.message;
  return String(e);
}

async function safeStateOf(provider: Provider, at: string, chainId: bigint): Promise<SafeState> {
  if ((await provider.getCode(at)) === "0x")
    fail(`${at} is not a Safe on chain ${chainId}: it has no code`);
  try {
    return await readSafeState(provider, at);
  } catch {
    fail(
      `${at} is not a Safe on chain ${chainId}: it does not answer getOwners/getThreshold/nonce`,
    );
  }
}

/**
 * The one Safe holding `role` on `manager`: accounts named by its RoleGranted events for the role
 * that still hold it and are Safes.
 */
async function discoverSafe(
  provider: Provider,
  manager: string,
  role: RoleName,
  chainId: bigint,
): Promise<string> {
  const contract = new Contract(manager, await abiOf("AccessManager"), provider);
  let accounts: string[];
  try {
    const logs = await contract.queryFilter(contract.filters.RoleGranted(Role[role]), 0, "latest");
    accounts = [
      ...new Set(
        logs.map((log) =>
          getAddress((contract.interface.parseLog(log)?.args.account as string) ?? ""),
        ),
      ),
    ];
  } catch (e) {
    fail(
      `cannot list the holders of ${role} from the AccessManager ${manager} (${oneLine(messageOf(e))}); pass --safe ADDRESS`,
    );
  }
  const safes: string[] = [];
  for (const account of accounts) {
    const [isMember] = (await contract.hasRole(Role[role], account)) as [boolean, bigint];
    if (!isMember || (await provider.getCode(account)) === "0x") continue;
    try {
      await readSafeState(provider, account);
      safes.push(account);
    } catch {
      // a contract that is not a Safe
    }
  }
  if (safes.length === 0) {
    fail(
      `no Safe holds ${role} on the AccessManager ${manager} (chain ${chainId}); pass --safe ADDRESS`,
    );
  }
  if (safes.length > 1) {
    fail(
      `several Safes hold ${role} on the AccessManager ${manager} (${safes.join(", ")}); pass --safe ADDRESS`,
    );
  }
  return safes[0];
}

/** The owners who sign for --execute, as signers, with their labels for messages. */
async function ownerSigners(
  request: GovRequest,
  ethers: HardhatEthers,
  options: GovRunOptions,
  safe: string,
  state: SafeState,
): Promise<Signer[]> {
  const accounts = await ethers.getSigners();
  let candidates: Array<{ signer: Signer; address: string; label: string }>;
  let explicit = true;
  if (request.owners !== undefined) {
    candidates = request.owners.map((i) => {
      const signer = accounts[i];
      if (signer === undefined) {
        fail(`--owners: the network has no account ${i} (it has ${accounts.length})`);
      }
      return { signer, address: signer.address, label: `account ${i}` };
    });
  } else if (options.ownerKeys !== undefined && options.ownerKeys.trim() !== "") {
    candidates = options.ownerKeys
      .split(",")
      .map((k) => k.trim())
      .filter((k) => k !== "")
      .map((key, i) => {
        let wallet: Wallet;
        try {
          wallet = new Wallet(key, ethers.provider);
        } catch {
          fail(`OWNER_KEYS: entry ${i + 1} is not a private key`);
        }
        return { signer: wallet, address: wallet.address, label: `OWNER_KEYS entry ${i + 1}` };
      });
  } else {
    explicit = false;
    candidates = accounts.map((signer, i) => ({
      signer,
      address: signer.address,
      label: `account ${i}`,
    }));
  }
  const seen = new Set<string>();
  const signing: Signer[] = [];
  for (const c of candidates) {
    const owner = getAddress(c.address);
    const isOwner = state.owners.includes(owner);
    if (explicit && !isOwner) fail(`${c.label} (${owner}) is not an owner of the Safe ${safe}`);
    if (explicit && seen.has(owner)) fail(`${c.label} (${owner}) is given twice`);
    seen.add(owner);
    if (isOwner && signing.length < Number(state.threshold)) signing.push(c.signer);
  }
  if (signing.length < Number(state.threshold)) {
    const source =
      request.owners !== undefined
        ? "--owners"
        : explicit
          ? "OWNER_KEYS"
          : "the network's accounts";
    fail(
      `the Safe ${safe} needs ${state.threshold} owner signatures; ${signing.length} of ${source} own it (use --owners I,J or OWNER_KEYS)`,
    );
  }
  return signing;
}

/**
 * Runs a parsed command on the network of `ethers` (a Hardhat network connection's): see the file
 * doc. Throws a CliError (one line) when anything is wrong, with nothing written or sent unless the
 * failure is the execution itself.
 */
/**
 * ADMIN carries an execution delay of at least the promotion delay (so re-wiring the registry is
 * never faster than a reviewed promotion). The registry cannot see ADMIN's delay, so the preview
 * enforces it: a promotion delay above the execution delay of the Safe's ADMIN access (the
 * governance Safe holds ADMIN in the deployed layout) is refused before anything is written.
 * verify-deployment reports the same as drift when it happened anyway.
 */
async function refuseDelayAboveAdmin(
  provider: Provider,
  manager: string | undefined,
  safe: string,
  newDelay: bigint,
): Promise<void> {
  if (manager === undefined)
    fail("cannot read the AccessManager: the ADMIN delay cannot be checked");
  const access = new Contract(
    manager,
    ["function getAccess(uint64,address) view returns (uint48,uint32,uint32,uint48)"],
    provider,
  );
  const [since, currentDelay, pendingDelay, effect] = (await access.getAccess(0n, safe)) as [
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  if (since === 0n) {
    fail(
      `${safe} does not hold ADMIN: cannot confirm that ADMIN's execution delay stays at least the new promotion delay; nothing was written or sent`,
    );
  }
  // currentDelay is the delay in force now; a pending drop counts from now on (it will apply).
  const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);
  const adminDelay = effect > now && pendingDelay < currentDelay ? pendingDelay : currentDelay;
  if (newDelay > adminDelay) {
    fail(
      `a promotion delay of ${newDelay}s exceeds ADMIN's execution delay of ${adminDelay}s: ADMIN could then re-wire the registry faster than a reviewed promotion; raise ADMIN's delay first; nothing was written or sent`,
    );
  }
}

export async function runGov(
  request: GovRequest,
  ethers: HardhatEthers,
  options: GovRunOptions = {},
): Promise<GovOutcome> {
  const print = options.print ?? (() => {});
  const provider = ethers.provider as unknown as Provider;
  const { chainId } = await ethers.provider.getNetwork();

  if (request.execute && !request.direct && !LOCAL_CHAIN_IDS.includes(chainId)) {
    fail(
      `--execute signs with owner keys and is for local chains only (31337, 1337); chain ${chainId}: write a Transaction Builder file with --out FILE and sign in Safe{Wallet}`,
    );
  }

  if (request.out !== undefined) {
    const file = request.out;
    if (existsSync(file) && statSync(file).isDirectory()) fail(`--out ${file} is a directory`);
    if (!existsSync(dirname(file))) {
      fail(`--out ${file}: the directory ${dirname(file)} does not exist`);
    }
  }

  // (1) addresses and ABIs
  const targetAt = await targetAddress(request, chainId, provider);
  await requireCode(provider, targetAt, request.target, chainId);
  const [registryAbi, anchorAbi, settlementAbi] = await Promise.all([
    abiOf("ModelRegistry"),
    abiOf("InferenceAnchor"),
    abiOf("InferenceSettlement"),
  ]);
  const targetAbi = {
    ModelRegistry: registryAbi,
    InferenceAnchor: anchorAbi,
    InferenceSettlement: settlementAbi,
  }[request.target];
  const errorAbis = [targetAbi, registryAbi, anchorAbi, settlementAbi];
  const fnAbi = abiEntry(targetAbi, "function", request.functionName) as AbiFunction | undefined;
  if (fnAbi === undefined)
    throw new Error(`${request.target} has no function ${request.functionName}`);
  const words = new Words(request.model);

  // (2) the call
  const data = new Interface(targetAbi).encodeFunctionData(request.functionName, request.args);
  const callText = `${request.functionName}(${words.named(fnAbi.inputs, request.args)})`;
  print(`${request.command}: ${request.target} ${targetAt} on chain ${chainId}: ${callText}`);
  if (request.reason !== undefined) {
    print(`reason ${JSON.stringify(request.reason.text)} -> reasonHash ${request.reason.hash}`);
  }

  // who makes it
  const accounts = await ethers.getSigners();
  let sender: string;
  let safe: GovSafeInfo | undefined;
  let role: RoleName | undefined;
  let manager: string | undefined;
  if (request.direct) {
    const first = accounts[0];
    if (first === undefined)
      fail(`the network has no account configured to send ${request.command}`);
    sender = getAddress(first.address);
    print(
      `sent directly by the network's first account ${sender} (anyone may call ${request.functionName})`,
    );
  } else {
    role = roleOf(request.target, request.functionName);
    try {
      const managed = new Contract(targetAt, targetAbi, provider);
      manager = getAddress((await managed.authority()) as string);
    } catch {
      manager = undefined;
    }
    let address: string;
    if (request.safe !== undefined) {
      address = request.safe;
    } else {
      if (manager === undefined)
        fail(`cannot read the AccessManager of ${targetAt}; pass --safe ADDRESS`);
      address = await discoverSafe(provider, manager, role, chainId);
    }
    const state = await safeStateOf(provider, address, chainId);
    safe = { address, role, discovered: request.safe === undefined, ...state };
    sender = address;
    const label = !safe.discovered
      ? "Safe"
      : role === "GUARDIAN"
        ? "guardian Safe"
        : role === "GOVERNOR"
          ? "governance Safe"
          : `${role} Safe`;
    print(
      `through the ${label} ${address} (${state.threshold} of ${state.owners.length} owners, nonce ${state.nonce})` +
        (safe.discovered
          ? `: the Safe holding ${role} on the AccessManager ${manager}`
          : `: given by --safe (${request.functionName} needs ${role})`),
    );
  }

  // (3) the preview, before anything is signed or written
  const block = await provider.getBlockNumber();
  let simulation;
  try {
    simulation = await simulateFromSafe(provider, sender, targetAt, data);
  } catch (e) {
    fail(`cannot preview the call: ${oneLine(messageOf(e))}`);
  }
  if (!simulation.success) {
    const why =
      simulation.revertData === undefined
        ? simulation.reason
        : await describeGovRevert(simulation.revertData, errorAbis, request.model, {
            provider,
            manager,
            target: request.target,
            fn: request.functionName,
            role,
          });
    const who = request.direct ? `the account ${sender}` : `the Safe ${sender}`;
    fail(
      `the call would revert when made by ${who} (preview at block ${block}): ${why}; nothing was written or sent`,
    );
  }
  print(
    `preview from ${request.direct ? "the account" : "the Safe"} at block ${block}: the call succeeds`,
  );
  if (request.functionName === "setPromotionDelay") {
    await refuseDelayAboveAdmin(provider, manager, sender, BigInt(request.args[0] as bigint));
  }

  const outcome: GovOutcome = {
    command: request.command,
    chainId,
    target: { name: request.target, address: targetAt },
    functionName: request.functionName,
    data,
    sender,
    safe,
    simulatedAt: block,
    events: [],
  };

  // (4) write, execute, or show
  if (request.out !== undefined && safe !== undefined) {
    const file = request.out;
    const modelText =
      request.model === undefined ? "" : ` ${request.model.name ?? request.model.id}`;
    const description = [
      `${request.target}.${callText} on ${targetAt}`,
      request.reason === undefined
        ? ""
        : `reason: ${JSON.stringify(request.reason.text)} (keccak256 ${request.reason.hash})`,
      `through the Safe ${safe.address} (needs ${safe.role}); previewed from the Safe at block ${block} of chain ${chainId}: succeeds`,
      "written by npm run gov",
    ]
      .filter((s) => s !== "")
      .join(". ");
    const batch = buildTxBuilderBatch(
      {
        chainId,
        safe: safe.address,
        name: `gov ${request.command}${modelText}`,
        description,
        transactions: [contractCallTransaction(targetAt, fnAbi, request.args)],
      },
      [data],
    );
    try {
      writeTxBuilderFile(file, batch);
    } catch (e) {
      fail(`cannot write ${file}: ${oneLine(messageOf(e))}`);
    }
    outcome.file = file;
    outcome.batch = batch;
    print(
      `wrote ${file}: a Transaction Builder batch for the Safe ${safe.address} on chain ${chainId} (checksum ${batch.meta.checksum}); owners import it in Safe{Wallet} > Apps > Transaction Builder, check the call, then create and sign the transaction`,
    );
    return outcome;
  }

  if (!request.execute) {
    print(`to ${targetAt}`);
    print(`data ${data}`);
    if (safe !== undefined) {
      const tx = buildSafeTransaction({ to: targetAt, data, nonce: safe.nonce });
      print(`safeTxHash at nonce ${safe.nonce}: ${safeTxHash(safe.address, chainId, tx)}`);
    }
    print(
      "nothing was written or sent: add --out FILE to write a Transaction Builder file, or --execute on a local chain",
    );
    return outcome;
  }

  const emitters = new Map<string, Abi>([[targetAt, targetAbi]]);
  let receipt: TransactionReceipt | null;
  if (safe === undefined) {
    const signer = accounts[0];
    try {
      const sent = await signer.sendTransaction({ to: targetAt, data });
      receipt = await sent.wait();
    } catch (e) {
      const why = await describeFailure(e, errorAbis, request.model, ethers.provider);
      fail(`${request.command} failed: ${why}`);
    }
  } else {
    const signing = await ownerSigners(request, ethers, options, safe.address, safe);
    const tx = buildSafeTransaction({ to: targetAt, data, nonce: safe.nonce });
    outcome.safeTxHash = safeTxHash(safe.address, chainId, tx);
    const signatures: SafeSignature[] = [];
    for (const owner of signing) {
      signatures.push(await signSafeTransaction(owner, safe.address, chainId, tx));
    }
    print(
      `signed Safe transaction ${outcome.safeTxHash} (nonce ${safe.nonce}) by ${signatures.map((s) => s.signer).join(", ")}`,
    );
    emitters.set(
      getAddress(safe.address),
      safeInterface().fragments.map((f) => JSON.parse(f.format("json")) as JsonFragment),
    );
    const executor = accounts[0] ?? signing[0];
    try {
      const sent = await execSafeTransaction(executor, safe.address, tx, signatures);
      receipt = await sent.wait();
    } catch (e) {
      const why = await describeFailure(e, errorAbis, request.model, ethers.provider);
      fail(`the Safe transaction failed: ${why}`);
    }
  }
  if (receipt === null) fail("the transaction was not mined");
  if (receipt.status !== 1) fail(`the transaction ${receipt.hash} reverted`);
  outcome.txHash = receipt.hash;
  outcome.events = describeReceipt(receipt, emitters, words);
  print(`executed in tx ${receipt.hash} (block ${receipt.blockNumber}, gas ${receipt.gasUsed})`);
  for (const line of outcome.events) print(`  ${line}`);
  return outcome;
}
