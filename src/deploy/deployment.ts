/**
 * Reading and checking a deployment of the suite: the parameters of the Ignition module
 * deploy/modules/RollbackTrail.ts, what Hardhat Ignition recorded in deploy/deployments/<id>/, and
 * the check that the AccessManager's role holders, function wiring and role guardians are those the
 * role table (roles.ts) and the parameters call for.
 *
 * AccessManager cannot list the members of a role, so the state is rebuilt by replaying its events
 * from the deployment block (eth_getLogs in bounded block ranges), then every role, function and
 * guardian found is confirmed with the manager's own views at one block, so the verdict is that of
 * one consistent snapshot.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { Contract, Interface, type Log, type Provider, ZeroAddress, getAddress } from "ethers";

import { selectorsByRole } from "../chain/access.js";
import { IGNITION_MODULE } from "../chain/chain.js";
import { CliError, describeFsError, oneLine } from "../ground/cli.js";
import { packageRoot } from "../ground/package-root.js";
import {
  GUARDED_ROLES,
  INFERENCE_ANCHOR_FUNCTION_ROLES,
  INFERENCE_SETTLEMENT_FUNCTION_ROLES,
  MODEL_REGISTRY_FUNCTION_ROLES,
  ROLE_LABELS,
  Role,
  type RoleName,
} from "../chain/roles.js";

// ------------------------------------------------------------------------------ the contracts

/** The suite's contracts, by the names the Ignition module records them under. */
export const SUITE_CONTRACTS = [
  "AccessManager",
  "ModelRegistry",
  "InferenceAnchor",
  "InferenceSettlement",
  "AgentActionLog",
  "NodeRouting",
] as const;
export type SuiteContract = (typeof SUITE_CONTRACTS)[number];

/** The restricted functions of each AccessManaged contract and the role each requires. */
export const TARGET_FUNCTION_ROLES = {
  ModelRegistry: MODEL_REGISTRY_FUNCTION_ROLES,
  InferenceAnchor: INFERENCE_ANCHOR_FUNCTION_ROLES,
  InferenceSettlement: INFERENCE_SETTLEMENT_FUNCTION_ROLES,
} as const satisfies Partial<Record<SuiteContract, Record<string, RoleName>>>;
export type ManagedContract = keyof typeof TARGET_FUNCTION_ROLES;
export const MANAGED_CONTRACTS = Object.keys(TARGET_FUNCTION_ROLES) as ManagedContract[];

export { packageRoot };

function artifactPath(name: SuiteContract): string {
  return name === "AccessManager"
    ? join(
        packageRoot(),
        "artifacts/@openzeppelin/contracts/access/manager/AccessManager.sol/AccessManager.json",
      )
    : join(packageRoot(), "artifacts/contracts", `${name}.sol`, `${name}.json`);
}

const interfaces = new Map<SuiteContract, Interface>();

/** The ABI of a suite contract, read from its compiled artifact (`npx hardhat build`). */
export function suiteInterface(name: SuiteContract): Interface {
  let iface = interfaces.get(name);
  if (iface === undefined) {
    const path = artifactPath(name);
    let artifact: { abi?: unknown };
    try {
      artifact = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new CliError(
        `no compiled artifact of ${name} (${path}: ${describeFsError(e)}); run npm run build`,
      );
    }
    if (!Array.isArray(artifact.abi)) throw new CliError(`${path} holds no ABI`);
    iface = new Interface(artifact.abi);
    interfaces.set(name, iface);
  }
  return iface;
}

/** The selectors of `contract`'s restricted functions, grouped by role, from the role table. */
export function tableSelectors(contract: ManagedContract): Map<RoleName, string[]> {
  return selectorsByRole(suiteInterface(contract), TARGET_FUNCTION_ROLES[contract]);
}

// --------------------------------------------------------------------------------- parameters

/** The parameters of the RollbackTrail Ignition module. Delays are in seconds. */
export interface RollbackTrailParameters {
  /** Gets GOVERNOR, and ADMIN with `adminExecutionDelay`. */
  governanceSafe: string;
  /** Gets GUARDIAN. */
  guardianSafe: string;
  /** Each gets PUBLISHER (may be empty: publishers can be granted later through ADMIN). */
  publishers: string[];
  promotionDelay: bigint;
  proposalGracePeriod: bigint;
  maxAnchorDelay: bigint;
  holdPeriod: bigint;
  /** ADMIN's execution delay: at least `promotionDelay`. */
  adminExecutionDelay: bigint;
}

const ADDRESS_PARAMETERS = ["governanceSafe", "guardianSafe"] as const;
const DELAY_PARAMETERS = [
  "promotionDelay",
  "proposalGracePeriod",
  "maxAnchorDelay",
  "holdPeriod",
  "adminExecutionDelay",
] as const;
export const PARAMETER_NAMES = [...ADDRESS_PARAMETERS, "publishers", ...DELAY_PARAMETERS] as const;

const UINT32_MAX = 2n ** 32n - 1n;

/** A parameter file or object that does not describe a valid deployment. */
export class ParameterError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = "ParameterError";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseAddress(value: unknown, what: string): string {
  if (typeof value !== "string") throw new ParameterError(`${what} must be an address string`);
  let address: string;
  try {
    address = getAddress(value);
  } catch {
    throw new ParameterError(`${what} is not a valid address (or has a bad checksum): ${value}`);
  }
  if (address === ZeroAddress) throw new ParameterError(`${what} is the zero address`);
  return address;
}

function parseDelay(value: unknown, what: string): bigint {
  let n: bigint | undefined;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === "string" && /^\d+n?$/.test(value)) n = BigInt(value.replace(/n$/, ""));
  if (n === undefined || n < 0n || n > UINT32_MAX) {
    throw new ParameterError(`${what} must be a whole number of seconds in uint32, got ${value}`);
  }
  return n;
}

/**
 * The RollbackTrail parameters in Ignition's parameter format (`{ "RollbackTrail": {...} }`, with
 * `$global` as a fallback, as Ignition reads them), checked: both Safes and every publisher are
 * non-zero addresses, publishers are distinct, delays fit a uint32, and `adminExecutionDelay` is at
 * least `promotionDelay` (so ADMIN can never make a version live faster than a reviewed promotion).
 * Unknown names in the module's section are rejected (a typo would otherwise fall back silently).
 * `source` names the input in the messages (a file name).
 */
export function parseRollbackTrailParameters(
  deploymentParameters: unknown,
  source: string,
): RollbackTrailParameters {
  const where = (name: string) => `${source}: ${IGNITION_MODULE}.${name}`;
  if (!isRecord(deploymentParameters)) {
    throw new ParameterError(`${source}: the parameters must be a JSON object`);
  }
  const own = deploymentParameters[IGNITION_MODULE] ?? {};
  const global = deploymentParameters.$global ?? {};
  if (!isRecord(own)) {
    throw new ParameterError(`${source}: "${IGNITION_MODULE}" must be an object of parameters`);
  }
  if (!isRecord(global)) throw new ParameterError(`${source}: "$global" must be an object`);
  const unknown = Object.keys(own).filter(
    (k) => !(PARAMETER_NAMES as readonly string[]).includes(k),
  );
  if (unknown.length > 0) {
    throw new ParameterError(
      `${where(unknown[0])} is not a parameter of the module (expected: ${PARAMETER_NAMES.join(", ")})`,
    );
  }
  const value = (name: string): unknown => {
    const v = own[name] ?? global[name];
    if (v === undefined || v === null) throw new ParameterError(`${where(name)} is missing`);
    return v;
  };

  const rawPublishers = value("publishers");
  if (!Array.isArray(rawPublishers)) {
    throw new ParameterError(`${where("publishers")} must be an array of addresses (may be empty)`);
  }
  const publishers = rawPublishers.map((p, i) => parseAddress(p, `${where("publishers")}[${i}]`));
  const seen = new Set<string>();
  for (const p of publishers) {
    if (seen.has(p)) throw new ParameterError(`${where("publishers")} lists ${p} twice`);
    seen.add(p);
  }
  const parameters: RollbackTrailParameters = {
    governanceSafe: parseAddress(value("governanceSafe"), where("governanceSafe")),
    guardianSafe: parseAddress(value("guardianSafe"), where("guardianSafe")),
    publishers,
    promotionDelay: parseDelay(value("promotionDelay"), where("promotionDelay")),
    proposalGracePeriod: parseDelay(value("proposalGracePeriod"), where("proposalGracePeriod")),
    maxAnchorDelay: parseDelay(value("maxAnchorDelay"), where("maxAnchorDelay")),
    holdPeriod: parseDelay(value("holdPeriod"), where("holdPeriod")),
    adminExecutionDelay: parseDelay(value("adminExecutionDelay"), where("adminExecutionDelay")),
  };
  if (parameters.governanceSafe === parameters.guardianSafe) {
    throw new ParameterError(
      `${where("guardianSafe")} is the governance Safe ${parameters.governanceSafe}: one account ` +
        `would hold ADMIN, GOVERNOR and GUARDIAN (it could propose, cancel others' proposals and ` +
        `take versions down alone); use two Safes with different owners`,
    );
  }
  if (parameters.adminExecutionDelay < parameters.promotionDelay) {
    throw new ParameterError(
      `${where("adminExecutionDelay")} (${parameters.adminExecutionDelay}s) must be at least ` +
        `promotionDelay (${parameters.promotionDelay}s): otherwise ADMIN could re-wire the ` +
        `registry faster than a reviewed promotion`,
    );
  }
  return parameters;
}

/**
 * The raw content of an Ignition parameter file (JSON or JSON5; `"123n"` strings are bigints), read
 * as `npx hardhat ignition deploy --parameters FILE` reads it.
 */
export async function readParameterFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ParameterError(`cannot read parameters ${path}: ${describeFsError(e)}`);
  }
  if (!path.endsWith(".json5")) {
    try {
      return JSON.parse(text, (_key, v) =>
        typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
      );
    } catch (e) {
      throw new ParameterError(
        `${path} is not valid JSON: ${oneLine(e instanceof Error ? e.message : String(e))}`,
      );
    }
  }
  const { readDeploymentParameters } = await import("@nomicfoundation/hardhat-ignition/helpers");
  try {
    return await readDeploymentParameters(path);
  } catch {
    throw new ParameterError(`${path} is not valid JSON5`);
  }
}

// --------------------------------------------------------------------------- Ignition records

/** Ids of the module's futures (Ignition records them as `RollbackTrail#<id>`). */
export const FutureIds = {
  wire: (contract: ManagedContract, role: RoleName) => `wire_${contract}_${role}`,
  label: (role: RoleName) => `label_${role}`,
  guardian: (role: RoleName) => `guardian_${role}`,
  grant: (role: Exclude<RoleName, "PUBLISHER">) => `grant_${role}`,
  grantPublisher: (index: number) => `grant_PUBLISHER_${index}`,
  renounce: "renounce_ADMIN",
} as const;

/** Where Ignition keeps deployment `deploymentId` (deploy/ is `paths.ignition`). */
export function deploymentDirOf(deploymentId: string, root = packageRoot()): string {
  return join(root, "deploy", "deployments", deploymentId);
}

/** What a deployment directory tells about the suite. */
export interface DeploymentRecord {
  dir: string;
  /** From deployed_addresses.json. */
  addresses: Partial<Record<SuiteContract, string>>;
  /** The account that deployed the AccessManager (its initial admin). */
  deployer?: string;
  /** The AccessManager's deployment transaction and its block, from the journal. */
  managerTxHash?: string;
  managerBlock?: number;
  /** The module parameters, rebuilt from the arguments the journal recorded (all futures ran). */
  parameters?: RollbackTrailParameters;
}

/** Undoes Ignition's journal encoding of bigints (`{ "_kind": "bigint", "value": "..." }`). */
function journalReviver(_key: string, value: unknown): unknown {
  if (isRecord(value) && value._kind === "bigint" && typeof value.value === "string") {
    return BigInt(value.value);
  }
  return value;
}

/**
 * Reads deploy/deployments/<id>/ (deployed_addresses.json and journal.jsonl). Returns undefined if
 * the directory holds no deployed_addresses.json.
 */
export function readDeploymentRecord(dir: string): DeploymentRecord | undefined {
  const addressesFile = join(dir, "deployed_addresses.json");
  if (!existsSync(addressesFile)) return undefined;
  let recorded: unknown;
  try {
    recorded = JSON.parse(readFileSync(addressesFile, "utf8"));
  } catch (e) {
    throw new CliError(`cannot read ${addressesFile}: ${describeFsError(e)}`);
  }
  if (!isRecord(recorded)) throw new CliError(`${addressesFile} is not a JSON object`);
  const record: DeploymentRecord = { dir, addresses: {} };
  for (const name of SUITE_CONTRACTS) {
    const address = recorded[`${IGNITION_MODULE}#${name}`];
    if (typeof address === "string") record.addresses[name] = address;
  }

  const journalFile = join(dir, "journal.jsonl");
  if (!existsSync(journalFile)) return record;
  const deployments = new Map<string, { from?: string; constructorArgs?: unknown[] }>();
  const calls = new Map<string, unknown[]>();
  const managerId = `${IGNITION_MODULE}#AccessManager`;
  for (const line of readFileSync(journalFile, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line, journalReviver);
    } catch {
      continue; // a torn last line of an interrupted run
    }
    const futureId = message.futureId;
    if (typeof futureId !== "string") continue;
    switch (message.type) {
      case "DEPLOYMENT_EXECUTION_STATE_INITIALIZE":
        deployments.set(futureId, {
          from: typeof message.from === "string" ? message.from : undefined,
          constructorArgs: Array.isArray(message.constructorArgs)
            ? message.constructorArgs
            : undefined,
        });
        break;
      case "CALL_EXECUTION_STATE_INITIALIZE":
        if (Array.isArray(message.args)) calls.set(futureId, message.args);
        break;
      case "TRANSACTION_SEND":
        if (futureId === managerId && isRecord(message.transaction)) {
          const hash = message.transaction.hash;
          if (typeof hash === "string") record.managerTxHash = hash;
        }
        break;
      case "TRANSACTION_CONFIRM":
        if (futureId === managerId && isRecord(message.receipt)) {
          if (typeof message.hash === "string") record.managerTxHash = message.hash;
          const block = message.receipt.blockNumber;
          if (typeof block === "number" || typeof block === "bigint") {
            record.managerBlock = Number(block);
          }
        }
        break;
    }
  }
  const from = deployments.get(managerId)?.from;
  if (from !== undefined) record.deployer = getAddress(from);
  record.parameters = parametersFromJournal(deployments, calls);
  return record;
}

/** The module parameters as recorded in the journal's arguments, if every future was recorded. */
function parametersFromJournal(
  deployments: Map<string, { constructorArgs?: unknown[] }>,
  calls: Map<string, unknown[]>,
): RollbackTrailParameters | undefined {
  const id = (local: string) => `${IGNITION_MODULE}#${local}`;
  const ctor = (name: SuiteContract) => deployments.get(id(name))?.constructorArgs;
  const registry = ctor("ModelRegistry");
  const anchor = ctor("InferenceAnchor");
  const settlement = ctor("InferenceSettlement");
  const governor = calls.get(id(FutureIds.grant("GOVERNOR")));
  const guardian = calls.get(id(FutureIds.grant("GUARDIAN")));
  const admin = calls.get(id(FutureIds.grant("ADMIN")));
  if ([registry, anchor, settlement, governor, guardian, admin].includes(undefined)) {
    return undefined;
  }
  const publishers: unknown[] = [];
  for (let i = 0; calls.has(id(FutureIds.grantPublisher(i))); i++) {
    publishers.push(calls.get(id(FutureIds.grantPublisher(i)))?.[1]);
  }
  try {
    return parseRollbackTrailParameters(
      {
        [IGNITION_MODULE]: {
          governanceSafe: governor?.[1],
          guardianSafe: guardian?.[1],
          publishers,
          promotionDelay: registry?.[1],
          proposalGracePeriod: registry?.[2],
          maxAnchorDelay: anchor?.[2],
          holdPeriod: settlement?.[4],
          adminExecutionDelay: admin?.[2],
        },
      },
      "journal",
    );
  } catch {
    return undefined; // a journal of another version of the module
  }
}

// ------------------------------------------------------------------------ on-chain state

/** The suite's addresses. `actionLog` and `routing` are optional (not AccessManaged). */
export interface SuiteAddresses {
  manager: string;
  registry: string;
  anchor: string;
  settlement: string;
  actionLog?: string;
  routing?: string;
}

/** The suite's addresses from a deployment record (undefined entries are missing). */
export function addressesOf(record: Partial<Record<SuiteContract, string>>): {
  [K in keyof SuiteAddresses]: string | undefined;
} {
  return {
    manager: record.AccessManager,
    registry: record.ModelRegistry,
    anchor: record.InferenceAnchor,
    settlement: record.InferenceSettlement,
    actionLog: record.AgentActionLog,
    routing: record.NodeRouting,
  };
}

/** One account's access to one role, as AccessManager.getAccess reports it. */
export interface RoleAccess {
  account: string;
  /** When the membership takes effect (a future time: the grant is pending). */
  since: bigint;
  executionDelay: bigint;
  /** A scheduled change of the execution delay, effective at `effect` (0: none). */
  pendingDelay: bigint;
  effect: bigint;
}

export interface FunctionRole {
  target: string;
  selector: string;
  role: bigint;
}

export interface PendingOperation {
  operationId: string;
  caller: string;
  target: string;
  data: string;
  /** When it may be executed. */
  schedule: bigint;
}

/** The suite as seen at one block. */
export interface SuiteState {
  fromBlock: number;
  toBlock: number;
  timestamp: bigint;
  logCount: number;
  /** eth_getLogs requests made. */
  requests: number;
  /** Whether the first replayed AccessManager event belongs to its creation transaction. */
  replayFromCreation: boolean;
  /** Accounts seen in role events, by role, with their access now (members and pending grants). */
  members: Map<bigint, RoleAccess[]>;
  /** Every account seen granted a role (any role) in the replay. */
  seenAccounts: Map<bigint, Set<string>>;
  /** The role of every table function and of every (target, selector) seen in the replay. */
  functionRoles: FunctionRole[];
  /** Targets that appear in TargetFunctionRoleUpdated / TargetClosed events. */
  targetsSeen: Set<string>;
  /** Roles seen in events or in the table: their guardian, admin, grant delay. */
  guardians: Map<bigint, bigint>;
  roleAdmins: Map<bigint, bigint>;
  grantDelays: Map<bigint, bigint>;
  closedTargets: string[];
  targetAdminDelays: Map<string, bigint>;
  /** `authority()` of each AccessManaged contract. */
  authorities: Map<ManagedContract, string>;
  /** Immutable links between the contracts that do not point where they should. */
  brokenLinks: string[];
  pendingOperations: PendingOperation[];
  /** InferenceAnchor: operators allowed now, per model; enclave keys registered and revoked. */
  operators: { modelId: string; operator: string }[];
  enclaveKeys: { key: string; node: string; revoked: boolean }[];
  current: {
    promotionDelay: bigint;
    /** A scheduled promotion-delay change (0 if none): ADMIN's delay must cover it too. */
    pendingPromotionDelay: bigint;
    proposalGracePeriod: bigint;
    maxAnchorDelay: bigint;
    holdPeriod: bigint;
  };
}

export interface ReadOptions {
  /** First block to replay: the deployment block (the AccessManager's creation). */
  fromBlock: number;
  /** Last block (default: the latest block when the read starts). */
  toBlock?: number;
  /** Blocks per eth_getLogs request (default 2,000). */
  blockRange?: number;
}

export const DEFAULT_BLOCK_RANGE = 2000;

/** The public role of AccessManager (everyone): type(uint64).max. */
const PUBLIC_ROLE = 2n ** 64n - 1n;

/** A role id in words: its label in roles.ts, PUBLIC, or `role <id>`. */
export function roleName(roleId: bigint): string {
  for (const [name, id] of Object.entries(Role))
    if (id === roleId) return ROLE_LABELS[name as RoleName];
  return roleId === PUBLIC_ROLE ? "PUBLIC" : `role ${roleId}`;
}

/** Every log of `addresses` in [fromBlock, toBlock], in order, `range` blocks per request. */
async function fetchLogs(
  provider: Provider,
  addresses: string[],
  fromBlock: number,
  toBlock: number,
  range: number,
): Promise<{ logs: Log[]; requests: number }> {
  const logs: Log[] = [];
  let requests = 0;
  for (let start = fromBlock; start <= toBlock; start += range) {
    const end = Math.min(start + range - 1, toBlock);
    let chunk: Log[];
    try {
      chunk = await provider.getLogs({ address: addresses, fromBlock: start, toBlock: end });
    } catch (e) {
      throw new CliError(
        `eth_getLogs for blocks ${start}-${end} failed (try a smaller --block-range): ` +
          oneLine(e instanceof Error ? e.message : String(e)),
      );
    }
    requests++;
    logs.push(...chunk);
  }
  logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  return { logs, requests };
}

/**
 * Replays the AccessManager's and InferenceAnchor's events from `fromBlock` and confirms what they
 * describe with the contracts' views at the last block.
 */
export async function readSuiteState(
  provider: Provider,
  addresses: SuiteAddresses,
  options: ReadOptions,
): Promise<SuiteState> {
  const range = options.blockRange ?? DEFAULT_BLOCK_RANGE;
  if (!Number.isSafeInteger(range) || range < 1) {
    throw new CliError(`the block range must be a positive whole number, got ${range}`);
  }
  const toBlock = options.toBlock ?? (await provider.getBlockNumber());
  if (options.fromBlock < 0 || options.fromBlock > toBlock) {
    throw new CliError(`the first block ${options.fromBlock} is not in 0..${toBlock}`);
  }
  const blockTag = toBlock;
  const block = await provider.getBlock(toBlock);
  if (block === null) throw new CliError(`block ${toBlock} is not available`);

  const managerIface = suiteInterface("AccessManager");
  const anchorIface = suiteInterface("InferenceAnchor");
  const manager = new Contract(addresses.manager, managerIface, provider);
  const registry = new Contract(addresses.registry, suiteInterface("ModelRegistry"), provider);
  const anchor = new Contract(addresses.anchor, anchorIface, provider);
  const settlement = new Contract(
    addresses.settlement,
    suiteInterface("InferenceSettlement"),
    provider,
  );
  const managerAddress = getAddress(addresses.manager);
  const anchorAddress = getAddress(addresses.anchor);

  const { logs, requests } = await fetchLogs(
    provider,
    [managerAddress, anchorAddress],
    options.fromBlock,
    toBlock,
    range,
  );

  const seenAccounts = new Map<bigint, Set<string>>();
  const seenRoles = new Set<bigint>([Role.ADMIN, Role.PUBLISHER, Role.GOVERNOR, Role.GUARDIAN]);
  const seenSelectors = new Map<string, Set<string>>();
  const targetsSeen = new Set<string>();
  const scheduled = new Map<string, PendingOperation>();
  const operators = new Map<string, { modelId: string; operator: string }>();
  const enclaveKeys = new Map<string, { key: string; node: string; revoked: boolean }>();
  let firstManagerLog: Log | undefined;

  for (const log of logs) {
    const address = getAddress(log.address);
    if (address === managerAddress) {
      firstManagerLog ??= log;
      const event = managerIface.parseLog(log);
      if (event === null) continue;
      const a = event.args;
      switch (event.name) {
        case "RoleGranted": {
          const role = a.roleId as bigint;
          seenRoles.add(role);
          const accounts = seenAccounts.get(role) ?? new Set<string>();
          accounts.add(getAddress(a.account as string));
          seenAccounts.set(role, accounts);
          break;
        }
        case "RoleRevoked":
        case "RoleGuardianChanged":
        case "RoleAdminChanged":
        case "RoleGrantDelayChanged":
          seenRoles.add(a.roleId as bigint);
          break;
        case "TargetFunctionRoleUpdated": {
          const target = getAddress(a.target as string);
          targetsSeen.add(target);
          const selectors = seenSelectors.get(target) ?? new Set<string>();
          selectors.add(a.selector as string);
          seenSelectors.set(target, selectors);
          seenRoles.add(a.roleId as bigint);
          break;
        }
        case "TargetClosed":
        case "TargetAdminDelayUpdated":
          targetsSeen.add(getAddress(a.target as string));
          break;
        case "OperationScheduled":
          scheduled.set(`${a.operationId}/${a.nonce}`, {
            operationId: a.operationId as string,
            caller: getAddress(a.caller as string),
            target: getAddress(a.target as string),
            data: a.data as string,
            schedule: a.schedule as bigint,
          });
          break;
        case "OperationExecuted":
        case "OperationCanceled":
          scheduled.delete(`${a.operationId}/${a.nonce}`);
          break;
      }
    } else if (address === anchorAddress) {
      const event = anchorIface.parseLog(log);
      if (event === null) continue;
      const a = event.args;
      if (event.name === "OperatorSet") {
        const key = `${a.modelId}/${getAddress(a.operator as string)}`;
        if (a.allowed as boolean) {
          operators.set(key, {
            modelId: a.modelId as string,
            operator: getAddress(a.operator as string),
          });
        } else operators.delete(key);
      } else if (event.name === "EnclaveKeyRegistered") {
        const key = getAddress(a.key as string);
        enclaveKeys.set(key, { key, node: getAddress(a.node as string), revoked: false });
      } else if (event.name === "EnclaveKeyRevoked") {
        const key = getAddress(a.key as string);
        enclaveKeys.set(key, { key, node: getAddress(a.node as string), revoked: true });
      }
    }
  }

  let replayFromCreation = false;
  if (firstManagerLog !== undefined) {
    const receipt = await provider.getTransactionReceipt(firstManagerLog.transactionHash);
    replayFromCreation =
      receipt?.contractAddress != null && getAddress(receipt.contractAddress) === managerAddress;
  }

  // Confirm with the views at `blockTag`: membership of every account seen, per role.
  const members = new Map<bigint, RoleAccess[]>();
  for (const [role, accounts] of seenAccounts) {
    const list: RoleAccess[] = [];
    for (const account of accounts) {
      const access = await roleAccess(manager, role, account, blockTag);
      if (access !== undefined) list.push(access);
    }
    if (list.length > 0) members.set(role, list);
  }

  // Function roles: every function of the table, and every (target, selector) seen.
  const managed: Record<ManagedContract, string> = {
    ModelRegistry: getAddress(addresses.registry),
    InferenceAnchor: getAddress(addresses.anchor),
    InferenceSettlement: getAddress(addresses.settlement),
  };
  const pairs = new Map<string, { target: string; selector: string }>();
  for (const contract of MANAGED_CONTRACTS) {
    for (const selectors of tableSelectors(contract).values()) {
      for (const selector of selectors) {
        pairs.set(`${managed[contract]}/${selector}`, { target: managed[contract], selector });
      }
    }
  }
  for (const [target, selectors] of seenSelectors) {
    for (const selector of selectors) pairs.set(`${target}/${selector}`, { target, selector });
  }
  const functionRoles: FunctionRole[] = [];
  for (const { target, selector } of pairs.values()) {
    const role = (await manager.getTargetFunctionRole(target, selector, { blockTag })) as bigint;
    functionRoles.push({ target, selector, role });
  }

  const guardians = new Map<bigint, bigint>();
  const roleAdmins = new Map<bigint, bigint>();
  const grantDelays = new Map<bigint, bigint>();
  for (const role of seenRoles) {
    if (role === Role.ADMIN || role === PUBLIC_ROLE) continue; // locked roles
    guardians.set(role, (await manager.getRoleGuardian(role, { blockTag })) as bigint);
    roleAdmins.set(role, (await manager.getRoleAdmin(role, { blockTag })) as bigint);
    grantDelays.set(role, (await manager.getRoleGrantDelay(role, { blockTag })) as bigint);
  }

  const closedTargets: string[] = [];
  const targetAdminDelays = new Map<string, bigint>();
  for (const target of new Set([...Object.values(managed), ...targetsSeen])) {
    if ((await manager.isTargetClosed(target, { blockTag })) as boolean) closedTargets.push(target);
    const delay = (await manager.getTargetAdminDelay(target, { blockTag })) as bigint;
    if (delay !== 0n) targetAdminDelays.set(target, delay);
  }

  const authorities = new Map<ManagedContract, string>();
  for (const [name, contract] of [
    ["ModelRegistry", registry],
    ["InferenceAnchor", anchor],
    ["InferenceSettlement", settlement],
  ] as const) {
    authorities.set(name, getAddress((await contract.authority({ blockTag })) as string));
  }

  const brokenLinks: string[] = [];
  const link = async (what: string, actual: Promise<unknown>, expected: string) => {
    const got = getAddress((await actual) as string);
    if (got !== getAddress(expected)) brokenLinks.push(`${what} is ${got}, expected ${expected}`);
  };
  await link("InferenceAnchor.registry()", anchor.registry({ blockTag }), addresses.registry);
  await link(
    "InferenceSettlement.registry()",
    settlement.registry({ blockTag }),
    addresses.registry,
  );
  await link("InferenceSettlement.anchor()", settlement.anchor({ blockTag }), addresses.anchor);
  if (addresses.actionLog !== undefined) {
    const actionLog = new Contract(addresses.actionLog, suiteInterface("AgentActionLog"), provider);
    await link("AgentActionLog.registry()", actionLog.registry({ blockTag }), addresses.registry);
    await link("AgentActionLog.anchor()", actionLog.anchor({ blockTag }), addresses.anchor);
  }
  // The settlement names its NodeRouting (settleToRoutable reads it): checked whether or not the
  // record or the caller named one, so a settlement wired to another routing cannot pass.
  const settlementRouting = getAddress((await settlement.nodeRouting({ blockTag })) as string);
  if (addresses.routing !== undefined) {
    await link(
      "InferenceSettlement.nodeRouting()",
      Promise.resolve(settlementRouting),
      addresses.routing,
    );
  }
  const routingAddress = addresses.routing ?? settlementRouting;
  if ((await provider.getCode(routingAddress, blockTag)) === "0x") {
    brokenLinks.push(`NodeRouting ${routingAddress} has no code`);
  } else {
    const routing = new Contract(routingAddress, suiteInterface("NodeRouting"), provider);
    await link("NodeRouting.registry()", routing.registry({ blockTag }), addresses.registry);
    await link("NodeRouting.anchor()", routing.anchor({ blockTag }), addresses.anchor);
  }

  return {
    fromBlock: options.fromBlock,
    toBlock,
    timestamp: BigInt(block.timestamp),
    logCount: logs.length,
    requests,
    replayFromCreation,
    members,
    seenAccounts,
    functionRoles,
    targetsSeen,
    guardians,
    roleAdmins,
    grantDelays,
    closedTargets,
    targetAdminDelays,
    authorities,
    brokenLinks,
    pendingOperations: [...scheduled.values()],
    operators: [...operators.values()],
    enclaveKeys: [...enclaveKeys.values()],
    current: {
      promotionDelay: (await registry.promotionDelay({ blockTag })) as bigint,
      pendingPromotionDelay: ((await registry.pendingPromotionDelay({ blockTag })) as [bigint])[0],
      proposalGracePeriod: (await registry.proposalGracePeriod({ blockTag })) as bigint,
      maxAnchorDelay: (await anchor.maxAnchorDelay({ blockTag })) as bigint,
      holdPeriod: (await settlement.holdPeriod({ blockTag })) as bigint,
    },
  };
}

/** `account`'s access to `role` at `blockTag`, or undefined if it holds nothing (not even pending). */
async function roleAccess(
  manager: Contract,
  role: bigint,
  account: string,
  blockTag: number,
): Promise<RoleAccess | undefined> {
  const [since, executionDelay, pendingDelay, effect] = (await manager.getAccess(role, account, {
    blockTag,
  })) as [bigint, bigint, bigint, bigint];
  if (since === 0n) return undefined;
  return { account, since, executionDelay, pendingDelay, effect };
}

// ---------------------------------------------------------------------------- verification

export type FindingKind =
  | "unexpected-holder"
  | "missing-holder"
  | "admin-delay"
  | "function-role"
  | "unknown-target"
  | "guardian"
  | "role-admin"
  | "target-closed"
  | "authority"
  | "link"
  | "history";

/** One way the deployment differs from what the table and the parameters call for. */
export interface Finding {
  kind: FindingKind;
  message: string;
}

export interface Expectations {
  /** The module parameters the deployment must match. */
  parameters: RollbackTrailParameters;
  /** The deploying account, if known: it must hold nothing (named as such in the findings). */
  deployer?: string;
}

export interface VerificationReport {
  state: SuiteState;
  /** Drift: empty when the deployment is as expected. */
  findings: Finding[];
  /** Facts worth knowing that are not drift (pending operations, changed parameters...). */
  notes: string[];
  /** The expected holders by role, for the summary. */
  holders: Map<bigint, RoleAccess[]>;
}

function seconds(s: bigint): string {
  return `${s}s`;
}

function when(timestamp: bigint): string {
  return new Date(Number(timestamp) * 1000).toISOString();
}

/** Compares `state` with `expectations`; pure (no chain access). */
export function findDrift(
  state: SuiteState,
  addresses: SuiteAddresses,
  expectations: Expectations,
): Omit<VerificationReport, "state"> {
  const { parameters } = expectations;
  const deployer =
    expectations.deployer === undefined ? undefined : getAddress(expectations.deployer);
  const findings: Finding[] = [];
  const notes: string[] = [];
  const add = (kind: FindingKind, message: string) => findings.push({ kind, message });

  const who = (account: string): string => {
    const names: string[] = [];
    if (account === deployer) names.push("the deployer");
    if (account === parameters.governanceSafe) names.push("the governance Safe");
    if (account === parameters.guardianSafe) names.push("the guardian Safe");
    if (parameters.publishers.includes(account)) names.push("publisher");
    return names.length === 0 ? account : `${names.join(" / ")} ${account}`;
  };

  // Role holders.
  const expected = new Map<bigint, string[]>([
    [Role.ADMIN, [parameters.governanceSafe]],
    [Role.GOVERNOR, [parameters.governanceSafe]],
    [Role.GUARDIAN, [parameters.guardianSafe]],
    [Role.PUBLISHER, parameters.publishers],
  ]);
  const holders = new Map<bigint, RoleAccess[]>();
  const roles = new Set<bigint>([...expected.keys(), ...state.members.keys()]);
  for (const role of roles) {
    const want = expected.get(role) ?? [];
    const have = state.members.get(role) ?? [];
    for (const access of have) {
      const pending = access.since > state.timestamp;
      const delay = `execution delay ${seconds(access.executionDelay)}`;
      if (!want.includes(access.account)) {
        add(
          "unexpected-holder",
          pending
            ? `${who(access.account)} will hold ${roleName(role)} from ${when(access.since)} (${delay}); not expected`
            : `${who(access.account)} holds ${roleName(role)} (${delay}); not expected`,
        );
      } else if (pending) {
        notes.push(
          `${who(access.account)} holds ${roleName(role)} only from ${when(access.since)}`,
        );
      } else {
        holders.set(role, [...(holders.get(role) ?? []), access]);
      }
    }
    for (const account of want) {
      if (!have.some((a) => a.account === account)) {
        const granted = state.seenAccounts.get(role)?.has(account) ?? false;
        add(
          "missing-holder",
          `${who(account)} does not hold ${roleName(role)}` +
            (granted ? " (it was granted, then revoked or renounced)" : ""),
        );
      }
    }
  }

  // ADMIN's execution delay: at least the registry's promotion delay, now and after a pending change.
  const admin = state.members.get(Role.ADMIN)?.find((a) => a.account === parameters.governanceSafe);
  // A scheduled increase counts already: it will apply without any further act.
  const floor =
    state.current.pendingPromotionDelay > state.current.promotionDelay
      ? state.current.pendingPromotionDelay
      : state.current.promotionDelay;
  if (admin !== undefined) {
    if (admin.executionDelay < floor) {
      add(
        "admin-delay",
        `${who(admin.account)} holds ADMIN with execution delay ${seconds(admin.executionDelay)}, ` +
          `below the promotion delay ${seconds(floor)}`,
      );
    }
    if (admin.effect > state.timestamp && admin.pendingDelay < floor) {
      add(
        "admin-delay",
        `the ADMIN execution delay of ${who(admin.account)} drops to ` +
          `${seconds(admin.pendingDelay)} at ${when(admin.effect)}, below the promotion delay ${seconds(floor)}`,
      );
    }
    if (admin.executionDelay !== parameters.adminExecutionDelay) {
      notes.push(
        `ADMIN execution delay is ${seconds(admin.executionDelay)} (the parameters say ` +
          `${seconds(parameters.adminExecutionDelay)})`,
      );
    }
  }
  for (const [role, accesses] of state.members) {
    if (role === Role.ADMIN) continue;
    for (const a of accesses) {
      if (a.executionDelay !== 0n && (expected.get(role) ?? []).includes(a.account)) {
        notes.push(
          `${who(a.account)} holds ${roleName(role)} with execution delay ${seconds(a.executionDelay)}`,
        );
      }
    }
  }

  // Separation of duties: no account both governs (ADMIN or GOVERNOR) and guards (GUARDIAN).
  const governs = new Set(
    [Role.ADMIN, Role.GOVERNOR].flatMap((r) => (state.members.get(r) ?? []).map((a) => a.account)),
  );
  for (const a of state.members.get(Role.GUARDIAN) ?? []) {
    if (governs.has(a.account)) {
      add(
        "unexpected-holder",
        `${who(a.account)} holds GUARDIAN and also ADMIN or GOVERNOR: one account could propose, ` +
          `cancel and take versions down alone (governance and guardian must be two Safes)`,
      );
    }
  }

  // Function roles.
  const contractAt = new Map<string, ManagedContract>([
    [getAddress(addresses.registry), "ModelRegistry"],
    [getAddress(addresses.anchor), "InferenceAnchor"],
    [getAddress(addresses.settlement), "InferenceSettlement"],
  ]);
  const expectedRole = new Map<string, bigint>();
  for (const contract of MANAGED_CONTRACTS) {
    for (const [role, selectors] of tableSelectors(contract)) {
      for (const selector of selectors) expectedRole.set(`${contract}/${selector}`, Role[role]);
    }
  }
  const unknownTargets = new Map<string, string[]>();
  for (const { target, selector, role } of state.functionRoles) {
    const contract = contractAt.get(target);
    if (contract === undefined) {
      if (role !== Role.ADMIN) {
        unknownTargets.set(target, [
          ...(unknownTargets.get(target) ?? []),
          `${selector} -> ${roleName(role)}`,
        ]);
      }
      continue;
    }
    const fn = suiteInterface(contract).getFunction(selector);
    const name = `${contract}.${fn?.name ?? "?"} (${selector})`;
    const want = expectedRole.get(`${contract}/${selector}`);
    if (want === undefined) {
      // Not in the table: AccessManager's default (ADMIN) is expected.
      if (role !== Role.ADMIN) {
        add(
          "function-role",
          `${name} is wired to ${roleName(role)}, but the role table gives it no role`,
        );
      }
    } else if (role !== want) {
      add("function-role", `${name} requires ${roleName(role)}, expected ${roleName(want)}`);
    }
  }
  for (const [target, wiring] of unknownTargets) {
    add(
      "unknown-target",
      `the AccessManager wires functions of ${target}, which is not part of the suite: ${wiring.join(", ")}`,
    );
  }

  // Role guardians and admins.
  for (const [role, guardian] of state.guardians) {
    const want = (GUARDED_ROLES as RoleName[]).some((r) => Role[r] === role)
      ? Role.GUARDIAN
      : Role.ADMIN;
    if (guardian !== want) {
      add(
        "guardian",
        `${roleName(role)} is guarded by ${roleName(guardian)}, expected ${roleName(want)}`,
      );
    }
  }
  for (const [role, roleAdmin] of state.roleAdmins) {
    if (roleAdmin !== Role.ADMIN) {
      add(
        "role-admin",
        `${roleName(role)} is administered by ${roleName(roleAdmin)}, expected ADMIN`,
      );
    }
  }
  for (const [role, delay] of state.grantDelays) {
    if (delay !== 0n) notes.push(`${roleName(role)} has a grant delay of ${seconds(delay)}`);
  }

  // Targets and authority.
  for (const target of state.closedTargets) {
    add(
      "target-closed",
      `${contractAt.get(target) ?? target} is closed: none of its restricted functions can be called`,
    );
  }
  for (const [target, delay] of state.targetAdminDelays) {
    notes.push(`${contractAt.get(target) ?? target} has a target admin delay of ${seconds(delay)}`);
  }
  for (const [contract, authority] of state.authorities) {
    if (authority !== getAddress(addresses.manager)) {
      add(
        "authority",
        `${contract}'s authority is ${authority}, not the AccessManager ${addresses.manager}`,
      );
    }
  }
  for (const broken of state.brokenLinks) add("link", broken);

  if (!state.replayFromCreation) {
    add(
      "history",
      `the replay from block ${state.fromBlock} did not start at the AccessManager's creation: ` +
        "grants before it are not seen; pass --from-block at or before the deployment block",
    );
  }

  // Not drift, but worth knowing.
  const managerIface = suiteInterface("AccessManager");
  for (const op of state.pendingOperations) {
    notes.push(
      `pending operation by ${who(op.caller)}, executable from ${when(op.schedule)}: ` +
        describeCall(op.target, op.data, addresses, managerIface),
    );
  }
  const changed = (name: string, now: bigint, expected: bigint) => {
    if (now !== expected) {
      notes.push(`${name} is ${seconds(now)} (the parameters say ${seconds(expected)})`);
    }
  };
  changed("promotionDelay", state.current.promotionDelay, parameters.promotionDelay);
  changed("proposalGracePeriod", state.current.proposalGracePeriod, parameters.proposalGracePeriod);
  changed("maxAnchorDelay", state.current.maxAnchorDelay, parameters.maxAnchorDelay);
  changed("holdPeriod", state.current.holdPeriod, parameters.holdPeriod);

  return { findings, notes, holders };
}

/** A scheduled call in words: `Contract.function(args)` when the target is known. */
function describeCall(
  target: string,
  data: string,
  addresses: SuiteAddresses,
  managerIface: Interface,
): string {
  const byAddress: [string | undefined, SuiteContract][] = [
    [addresses.manager, "AccessManager"],
    [addresses.registry, "ModelRegistry"],
    [addresses.anchor, "InferenceAnchor"],
    [addresses.settlement, "InferenceSettlement"],
  ];
  const name = byAddress.find(([a]) => a !== undefined && getAddress(a) === target)?.[1];
  if (name !== undefined) {
    const iface = name === "AccessManager" ? managerIface : suiteInterface(name);
    try {
      const tx = iface.parseTransaction({ data });
      if (tx !== null) {
        const args = tx.args.map((v, i) =>
          tx.fragment.inputs[i]?.name === "roleId" ? roleName(v as bigint) : String(v),
        );
        return `${name}.${tx.name}(${args.join(", ")})`;
      }
    } catch {
      // fall through to the raw form
    }
  }
  return `${target} data ${data.slice(0, 10)}…`;
}

/**
 * Reads the suite's state from `options.fromBlock` and compares it with `expectations`. The
 * function the command line tool and the tests share.
 */
export async function verifyDeployment(
  provider: Provider,
  addresses: SuiteAddresses,
  expectations: Expectations,
  options: ReadOptions,
): Promise<VerificationReport> {
  const state = await readSuiteState(provider, addresses, options);
  const report = { state, ...findDrift(state, addresses, expectations) };
  const { governanceSafe, guardianSafe } = expectations.parameters;
  for (const [label, account] of [
    ["governance Safe", governanceSafe],
    ["guardian Safe", guardianSafe],
  ] as const) {
    if ((await provider.getCode(account, state.toBlock)) === "0x") {
      report.notes.push(`the ${label} ${account} has no code: a plain account, not a Safe`);
    }
  }
  return report;
}
