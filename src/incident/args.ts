/** The command line of `npm run incident`: its arguments, its contracts, its labels. */
import { readFileSync } from "node:fs";

import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { getAddress, isAddress } from "ethers";

import type {
  AgentActionLog,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
} from "../../types/ethers-contracts/index.js";
import { resolveAddress } from "../chain/chain.js";
import { describeFsError, fail, parseCliArgs, requireOption } from "../ground/cli.js";
import { parseModelId, type ModelRef } from "../governance/values.js";

export const INCIDENT_USAGE =
  "npm run incident -- --model NAME|0x… --version V --network NAME [--from-block N] [--block-range N] " +
  "[--batch DIR ...] [--source dir:PATH|https://…/{ref}|https://…/ipfs/{cid} ...] [--store DIR] " +
  "[--labels FILE] [--json | --summary] [--out DIR] [--quiet] [--accept-incomplete] " +
  "[--anchor ADDRESS] [--settlement ADDRESS] [--action-log ADDRESS] [--routing ADDRESS]" +
  "  |  npm run incident -- check DIR --network NAME [--source SPEC ...] [--store DIR] [--quiet]";

/** Exit code of `check` when the dossier differs from what the chain and storage give. */
export const EXIT_DIFFERS = 4;

/** Exit code of a report whose evidence is incomplete (problems or warnings), unless accepted. */
export const EXIT_INCOMPLETE = 3;

/** A parsed `npm run incident` command line. */
export interface IncidentRequest {
  model: ModelRef;
  version: number;
  network: string;
  fromBlock?: number;
  blockRange?: number;
  batchDirs: string[];
  /** --source specs, in order (parsed by the store's parseSource). */
  sources: string[];
  /** The local store (default: TRAIL_STORE or .trail/store). */
  store?: string;
  labelsFile?: string;
  /** Write the dossier there (--out). */
  out?: string;
  quiet: boolean;
  json: boolean;
  summary: boolean;
  acceptIncomplete: boolean;
  overrides: { anchor?: string; settlement?: string; actionLog?: string; routing?: string };
}

function wholeNumber(raw: string, flag: string, min: number): number {
  if (!/^\d+$/.test(raw)) fail(`${flag} must be a whole number, got ${raw}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) fail(`${flag} must be at least ${min}, got ${raw}`);
  return n;
}

function optionalAddress(raw: string | undefined, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!isAddress(raw)) fail(`${flag} must be an address, got ${raw}`);
  return getAddress(raw);
}

/** Parses the arguments after `npm run incident --`; throws a one-line CliError when wrong. */
export function parseIncidentArgs(argv: string[]): IncidentRequest {
  const args = parseCliArgs(
    {
      model: { type: "string" },
      version: { type: "string" },
      network: { type: "string" },
      "from-block": { type: "string" },
      "block-range": { type: "string" },
      batch: { type: "string", multiple: true },
      source: { type: "string", multiple: true },
      store: { type: "string" },
      labels: { type: "string" },
      json: { type: "boolean" },
      summary: { type: "boolean" },
      out: { type: "string" },
      quiet: { type: "boolean" },
      "accept-incomplete": { type: "boolean" },
      anchor: { type: "string" },
      settlement: { type: "string" },
      "action-log": { type: "string" },
      routing: { type: "string" },
    },
    INCIDENT_USAGE,
    argv,
  );
  const model = parseModelId(requireOption(args.model, "--model", INCIDENT_USAGE));
  const rawVersion = requireOption(args.version, "--version", INCIDENT_USAGE);
  const digits = rawVersion.replace(/^v/i, "");
  if (!/^\d+$/.test(digits))
    fail(`--version must be a whole number like 2 or v2, got ${rawVersion}`);
  const version = Number(digits);
  if (version < 1 || version >= 2 ** 32) {
    fail(`--version must be from 1 to ${2 ** 32 - 1}, got ${rawVersion}`);
  }
  const network = requireOption(args.network, "--network", INCIDENT_USAGE);
  const batchDirs = args.batch ?? [];
  if (batchDirs.some((d) => d === "")) fail("--batch is empty");
  const sources = args.source ?? [];
  if (sources.some((d) => d === "")) fail("--source is empty");
  if (args.json === true && args.summary === true) fail("--json and --summary exclude each other");
  if (args.store === "") fail("--store is empty");
  if (args.labels === "") fail("--labels is empty");
  if (args.out === "") fail("--out is empty");
  return {
    model,
    version,
    network,
    fromBlock:
      args["from-block"] === undefined
        ? undefined
        : wholeNumber(args["from-block"], "--from-block", 0),
    blockRange:
      args["block-range"] === undefined
        ? undefined
        : wholeNumber(args["block-range"], "--block-range", 1),
    batchDirs,
    sources,
    store: args.store,
    labelsFile: args.labels,
    out: args.out,
    quiet: args.quiet === true,
    json: args.json === true,
    summary: args.summary === true,
    acceptIncomplete: args["accept-incomplete"] === true,
    overrides: {
      anchor: optionalAddress(args.anchor, "--anchor"),
      settlement: optionalAddress(args.settlement, "--settlement"),
      actionLog: optionalAddress(args["action-log"], "--action-log"),
      routing: optionalAddress(args.routing, "--routing"),
    },
  };
}

/** What the command line connects to (src/chain/connect.ts ToolConnection, in part). */
export interface IncidentTool {
  ethers: HardhatEthers;
  chainId: bigint;
  anchor: InferenceAnchor;
  registry: ModelRegistry;
}

/**
 * The settlement and the action log of the command line: `--settlement` / `--action-log`, else
 * the Ignition deployment of the chain; each must have code and use the tool's anchor and its
 * registry (one suite). Throws a one-line CliError otherwise.
 */
export async function incidentContracts(
  tool: IncidentTool,
  overrides: IncidentRequest["overrides"],
  networkName: string,
): Promise<{ settlement: InferenceSettlement; actionLog: AgentActionLog }> {
  const { ethers, chainId } = tool;
  const codeAt = async (contract: string, override: string | undefined, flag: string) => {
    const address = resolveAddress(contract, chainId, override, flag);
    if ((await ethers.provider.getCode(address)) === "0x") {
      fail(`no contract at ${address} (${contract}) on network ${networkName} (chain ${chainId})`);
    }
    return address;
  };
  const settlement = (await ethers.getContractAt(
    "InferenceSettlement",
    await codeAt("InferenceSettlement", overrides.settlement, "--settlement"),
  )) as unknown as InferenceSettlement;
  const actionLog = (await ethers.getContractAt(
    "AgentActionLog",
    await codeAt("AgentActionLog", overrides.actionLog, "--action-log"),
  )) as unknown as AgentActionLog;
  const registryAddress = getAddress(await tool.registry.getAddress());
  const anchorAddress = getAddress(await tool.anchor.getAddress());
  for (const [label, contract] of [
    ["settlement", settlement],
    ["action log", actionLog],
  ] as const) {
    const address = getAddress(await contract.getAddress());
    let uses: [string, string];
    try {
      uses = [getAddress(await contract.registry()), getAddress(await contract.anchor())];
    } catch {
      fail(`the ${label} ${address} does not answer registry() and anchor(): not a suite contract`);
    }
    if (uses[0] !== registryAddress || uses[1] !== anchorAddress) {
      fail(
        `the ${label} ${address} uses registry ${uses[0]} and anchor ${uses[1]}, not ` +
          `${registryAddress} and ${anchorAddress}: it belongs to another deployment`,
      );
    }
  }
  return { settlement, actionLog };
}

/**
 * Reads a labels file: JSON (an object of address -> name) or CSV (`address,name` per line; a
 * header line, blank lines and `#` comments are skipped). Throws a one-line CliError naming the
 * file and line of the first bad entry.
 */
export function readLabels(path: string, name = path): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    fail(`cannot read ${name}: ${describeFsError(e)}`);
  }
  const out: Record<string, string> = {};
  const add = (address: string, label: string, where: string) => {
    if (!isAddress(address)) fail(`${where}: not an address: ${address}`);
    if (label.trim() === "") fail(`${where}: empty name for ${address}`);
    out[getAddress(address)] = label.trim();
  };
  if (text.trimStart().startsWith("{")) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      fail(`${name} is not valid JSON`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(`${name}: expected an object of address -> name`);
    }
    for (const [address, label] of Object.entries(value)) {
      if (typeof label !== "string") fail(`${name}: the name of ${address} is not a string`);
      add(address, label, name);
    }
    return out;
  }
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const comma = line.indexOf(",");
    const address = comma < 0 ? line : line.slice(0, comma).trim();
    if (i === 0 && !isAddress(address)) return; // a header
    if (comma < 0) fail(`${name} line ${i + 1}: expected address,name`);
    add(address, line.slice(comma + 1), `${name} line ${i + 1}`);
  });
  return out;
}

/** A parsed `npm run incident -- check DIR …` command line. */
export interface CheckRequest {
  dir: string;
  network: string;
  sources: string[];
  store?: string;
  quiet: boolean;
  overrides: { anchor?: string; settlement?: string; actionLog?: string };
}

/** Parses `check DIR --network NAME [--source …] [--store DIR] [--quiet]` (argv after "check"). */
export function parseCheckArgs(argv: string[]): CheckRequest {
  const dir = argv[0];
  if (dir === undefined || dir.startsWith("--") || dir === "") {
    fail(`check takes the dossier directory first (usage: ${INCIDENT_USAGE})`);
  }
  const args = parseCliArgs(
    {
      network: { type: "string" },
      source: { type: "string", multiple: true },
      store: { type: "string" },
      quiet: { type: "boolean" },
      anchor: { type: "string" },
      settlement: { type: "string" },
      "action-log": { type: "string" },
    },
    INCIDENT_USAGE,
    argv.slice(1),
  );
  return {
    dir,
    network: requireOption(args.network, "--network", INCIDENT_USAGE),
    sources: args.source ?? [],
    store: args.store,
    quiet: args.quiet === true,
    overrides: {
      anchor: optionalAddress(args.anchor, "--anchor"),
      settlement: optionalAddress(args.settlement, "--settlement"),
      actionLog: optionalAddress(args["action-log"], "--action-log"),
    },
  };
}
