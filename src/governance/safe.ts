/**
 * Safe (v1.5.0) multisigs as governance accounts: load the audited artifacts shipped by
 * `@safe-global/safe-smart-account`, deploy the Safe infrastructure on a local chain, create Safes,
 * build, hash, sign and execute Safe transactions, preview a call as the Safe would make it, and turn
 * Safe's terse "GSxxx" revert codes into words. Used by the tests, the demo, the governance CLI and CI.
 *
 * The flow of one governance action:
 *
 *   const { nonce } = await readSafeState(provider, safe);
 *   await simulateFromSafe(provider, safe, registry, data);                     // preview first
 *   const tx = buildSafeTransaction({ to: registry, data, nonce });
 *   const sigs = [await signSafeTransaction(ownerA, safe, chainId, tx), ...];   // offline, any order
 *   await execSafeTransaction(anyone, safe, tx, sigs);                            // sorted here
 *
 * or, when the owners' signers are all at hand (tests, the local demo), `safeExec(safe, owners, call)`.
 *
 * Transactions are built with `safeTxGas = 0` and `gasPrice = 0` (no refunds): Safe 1.5.0 then
 * reverts the whole `execTransaction` with the inner call's revert data when that call fails, so a
 * failed governance call is never "executed" as a no-op that burns the nonce, and the target's own
 * custom errors (AccessManagedUnauthorized, ModelRegistryActivationTooEarly, ...) reach the caller.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import {
  AbiCoder,
  Contract,
  ContractFactory,
  Interface,
  Signature,
  TypedDataEncoder,
  ZeroAddress,
  concat,
  dataLength,
  getAddress,
  isHexString,
  toBeHex,
  verifyTypedData,
  zeroPadValue,
  type BaseContract,
  type ContractRunner,
  type ContractTransactionResponse,
  type InterfaceAbi,
  type Provider,
  type Signer,
  type TransactionReceipt,
  type TypedDataDomain,
} from "ethers";

import { revertData } from "../chain/chain.js";

// ------------------------------------------------------------------ artifacts

/** The version of the Safe contracts this module is written for (and checks on load). */
export const SAFE_VERSION = "1.5.0";

/** A compiled contract from the npm package (Hardhat artifact format). */
export interface SafeArtifact {
  contractName: string;
  abi: InterfaceAbi;
  /** Creation code. */
  bytecode: string;
  /** Runtime code: what `eth_getCode` returns at a deployment of this contract. */
  deployedBytecode: string;
}

/** The artifacts this module deploys or talks to. */
export interface SafeArtifacts {
  /**
   * The singleton (mastercopy) the proxies delegate to: SafeL2. SafeL2 emits an event for every
   * executed Safe transaction (SafeMultiSigTransaction) and module transaction, so any indexer,
   * including our own tools, can follow a governance Safe from logs alone; the L1 `Safe` needs a
   * tracing node for that. The extra cost is a few thousand gas per transaction.
   */
  safe: SafeArtifact;
  /** The L1 singleton, without the execution events. Same ABI otherwise. */
  safeL1: SafeArtifact;
  proxyFactory: SafeArtifact;
  /**
   * Set as the Safe's fallback handler, as Safe{Wallet} does: it gives the Safe ERC-1271
   * `isValidSignature`, token-receiver callbacks and `simulate`.
   */
  fallbackHandler: SafeArtifact;
}

let cachedArtifacts: SafeArtifacts | undefined;

/**
 * Reads the Safe artifacts from the installed `@safe-global/safe-smart-account` package (they are
 * not copied into this repository, and not recompiled: the bytecode is the audited release's).
 */
export function loadSafeArtifacts(): SafeArtifacts {
  if (cachedArtifacts !== undefined) return cachedArtifacts;
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("@safe-global/safe-smart-account/package.json");
  const { version } = JSON.parse(readFileSync(packageJson, "utf8")) as { version: string };
  if (version !== SAFE_VERSION) {
    throw new Error(
      `@safe-global/safe-smart-account is ${version}; src/governance/safe.ts is written for ${SAFE_VERSION}`,
    );
  }
  const root = path.join(path.dirname(packageJson), "build", "artifacts", "contracts");
  const read = (relative: string): SafeArtifact => {
    const file = path.join(root, relative);
    const { contractName, abi, bytecode, deployedBytecode } = JSON.parse(
      readFileSync(file, "utf8"),
    ) as SafeArtifact;
    if (!isHexString(bytecode) || bytecode === "0x") throw new Error(`${file} has no bytecode`);
    return { contractName, abi, bytecode, deployedBytecode };
  };
  cachedArtifacts = {
    safe: read("SafeL2.sol/SafeL2.json"),
    safeL1: read("Safe.sol/Safe.json"),
    proxyFactory: read("proxies/SafeProxyFactory.sol/SafeProxyFactory.json"),
    fallbackHandler: read(
      "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
    ),
  };
  return cachedArtifacts;
}

/** The ABI interface of a Safe proxy (SafeL2's, a superset of Safe's events). */
export function safeInterface(): Interface {
  return new Interface(loadSafeArtifacts().safe.abi);
}

// ------------------------------------------------------------------ the Safe contract

/** `Enum.Operation` of the Safe contracts. Governance transactions are plain calls. */
export const Operation = { Call: 0, DelegateCall: 1 } as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

/** The calls this module makes on a Safe proxy (a subset of ISafe), typed. */
export interface SafeContract extends BaseContract {
  VERSION(): Promise<string>;
  nonce(): Promise<bigint>;
  getThreshold(): Promise<bigint>;
  getOwners(): Promise<string[]>;
  isOwner(owner: string): Promise<boolean>;
  getTransactionHash(
    to: string,
    value: bigint,
    data: string,
    operation: Operation,
    safeTxGas: bigint,
    baseGas: bigint,
    gasPrice: bigint,
    gasToken: string,
    refundReceiver: string,
    nonce: bigint,
  ): Promise<string>;
  execTransaction(
    to: string,
    value: bigint,
    data: string,
    operation: Operation,
    safeTxGas: bigint,
    baseGas: bigint,
    gasPrice: bigint,
    gasToken: string,
    refundReceiver: string,
    signatures: string,
  ): Promise<ContractTransactionResponse>;
}

/** The Safe at `address`, typed, connected to `runner` (a provider to read, a signer to send). */
export function safeAt(address: string, runner: ContractRunner | null): SafeContract {
  return new Contract(address, loadSafeArtifacts().safe.abi, runner) as unknown as SafeContract;
}

/** The owners, threshold and nonce of a Safe. */
export interface SafeState {
  owners: string[];
  threshold: bigint;
  nonce: bigint;
}

/** Reads the owners, the threshold and the next nonce of the Safe at `safeAddress`. */
export async function readSafeState(provider: Provider, safeAddress: string): Promise<SafeState> {
  const safe = safeAt(safeAddress, provider);
  const [owners, threshold, nonce] = await Promise.all([
    safe.getOwners(),
    safe.getThreshold(),
    safe.nonce(),
  ]);
  return { owners: owners.map((o) => getAddress(o)), threshold, nonce };
}

// ------------------------------------------------------------------ infrastructure

/** Addresses of the Safe infrastructure a Safe is created from. */
export interface SafeInfrastructure {
  /** The singleton (mastercopy) the proxies delegate to. */
  singleton: string;
  /** The SafeProxyFactory. */
  factory: string;
  /** The fallback handler set on new Safes (ZeroAddress for none). */
  fallbackHandler: string;
}

/** Chain ids of local development chains (Hardhat, anvil, ganache). */
export const LOCAL_CHAIN_IDS: readonly bigint[] = [31337n, 1337n];

export interface DeploySafeInfrastructureOptions {
  /** The singleton to deploy: "SafeL2" (default, emits execution events) or the L1 "Safe". */
  singleton?: "SafeL2" | "Safe";
}

async function chainIdOf(runner: Signer | Provider): Promise<bigint> {
  const provider = "getNetwork" in runner ? runner : runner.provider;
  if (provider === null) throw new Error("the signer has no provider");
  return (await provider.getNetwork()).chainId;
}

/**
 * Deploys a singleton, a SafeProxyFactory and a CompatibilityFallbackHandler from the package's
 * artifacts. LOCAL CHAINS ONLY (it refuses other chain ids): on a real network use the canonical
 * deployments of Safe 1.5.0 (safe-deployments), which exist at the same addresses on every
 * supported chain. A self-deployed singleton is not a canonical mastercopy: Safe{Wallet} and the
 * Safe Transaction Service would not support Safes that point to it.
 */
export async function deploySafeInfrastructure(
  signer: Signer,
  options: DeploySafeInfrastructureOptions = {},
): Promise<SafeInfrastructure> {
  const chainId = await chainIdOf(signer);
  if (!LOCAL_CHAIN_IDS.includes(chainId)) {
    throw new Error(
      `deploySafeInfrastructure is for local chains; chain ${chainId} must use the canonical Safe ${SAFE_VERSION} deployments`,
    );
  }
  const artifacts = loadSafeArtifacts();
  const deploy = async (artifact: SafeArtifact): Promise<string> => {
    const contract = await new ContractFactory(artifact.abi, artifact.bytecode, signer).deploy();
    await contract.waitForDeployment();
    return contract.getAddress();
  };
  const singleton = await deploy(options.singleton === "Safe" ? artifacts.safeL1 : artifacts.safe);
  const factory = await deploy(artifacts.proxyFactory);
  const fallbackHandler = await deploy(artifacts.fallbackHandler);
  return { singleton, factory, fallbackHandler };
}

/**
 * Creates a Safe proxy with `owners` and `threshold` through `infra.factory.createProxyWithNonce`
 * and returns its address (from the factory's ProxyCreation event). The address depends on the
 * singleton, the setup (owners, threshold, fallback handler) and `saltNonce`: use another
 * `saltNonce` to create a second Safe with the same setup. No modules, no guard, no payment.
 */
export async function createSafe(
  signer: Signer,
  infra: SafeInfrastructure,
  owners: string[],
  threshold: bigint | number,
  saltNonce: bigint | number = 0n,
): Promise<string> {
  const artifacts = loadSafeArtifacts();
  const initializer = new Interface(artifacts.safe.abi).encodeFunctionData("setup", [
    owners.map((o) => getAddress(o)),
    threshold,
    ZeroAddress, // to: no setup delegatecall
    "0x",
    infra.fallbackHandler,
    ZeroAddress, // paymentToken
    0n, // payment
    ZeroAddress, // paymentReceiver
  ]);
  const factory = new Contract(infra.factory, artifacts.proxyFactory.abi, signer);
  const tx = (await factory.getFunction("createProxyWithNonce")(
    infra.singleton,
    initializer,
    saltNonce,
  )) as ContractTransactionResponse;
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("the Safe creation was not mined");
  for (const log of receipt.logs) {
    if (getAddress(log.address) !== getAddress(infra.factory)) continue;
    const parsed = factory.interface.parseLog(log);
    if (parsed?.name === "ProxyCreation") return getAddress(parsed.args.proxy as string);
  }
  throw new Error("the factory emitted no ProxyCreation event");
}

// ------------------------------------------------------------------ transactions and signatures

/** The SafeTx struct an owner signs (EIP-712), with the nonce that binds it to one execution. */
export interface SafeTransaction {
  to: string;
  value: bigint;
  data: string;
  operation: Operation;
  safeTxGas: bigint;
  baseGas: bigint;
  gasPrice: bigint;
  gasToken: string;
  refundReceiver: string;
  nonce: bigint;
}

/** A call for a Safe to make. */
export interface SafeCall {
  to: string;
  data: string;
  /** Wei sent with the call; 0 by default. */
  value?: bigint;
  /** Call (default) or DelegateCall. Governance should never need a DelegateCall. */
  operation?: Operation;
}

/**
 * The Safe transaction of `call` at `nonce`: no refund (safeTxGas, baseGas, gasPrice 0, no gas
 * token or refund receiver), so that a failing inner call reverts the whole execution.
 */
export function buildSafeTransaction(call: SafeCall & { nonce: bigint | number }): SafeTransaction {
  return {
    to: getAddress(call.to),
    value: call.value ?? 0n,
    data: call.data,
    operation: call.operation ?? Operation.Call,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: ZeroAddress,
    refundReceiver: ZeroAddress,
    nonce: BigInt(call.nonce),
  };
}

/** The EIP-712 types of Safe 1.5.0's SafeTx (the domain has no name or version). */
export const SAFE_TX_TYPES: Record<string, Array<{ name: string; type: string }>> = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

/** The EIP-712 domain of the Safe at `safeAddress`: `EIP712Domain(uint256 chainId,address verifyingContract)`. */
export function safeDomain(safeAddress: string, chainId: bigint | number): TypedDataDomain {
  return { chainId, verifyingContract: getAddress(safeAddress) };
}

/** The hash the owners sign: equals the Safe's `getTransactionHash(...)` for the same fields. */
export function safeTxHash(
  safeAddress: string,
  chainId: bigint | number,
  tx: SafeTransaction,
): string {
  return TypedDataEncoder.hash(safeDomain(safeAddress, chainId), SAFE_TX_TYPES, { ...tx });
}

/** One owner's signature: 65 bytes `r ‖ s ‖ v`, and the owner it is from. */
export interface SafeSignature {
  signer: string;
  data: string;
}

/**
 * `owner` signs `tx` for the Safe at `safeAddress` on chain `chainId` (EIP-712, eth_signTypedData_v4).
 * Hardware wallets that return `v` as 0/1 are normalised to 27/28; the signature is checked to
 * recover to `owner` before it is returned.
 */
export async function signSafeTransaction(
  owner: Signer,
  safeAddress: string,
  chainId: bigint | number,
  tx: SafeTransaction,
): Promise<SafeSignature> {
  const domain = safeDomain(safeAddress, chainId);
  const raw = await owner.signTypedData(domain, SAFE_TX_TYPES, { ...tx });
  const signature = Signature.from(raw); // normalises v to 27/28
  const signer = getAddress(await owner.getAddress());
  const recovered = verifyTypedData(domain, SAFE_TX_TYPES, { ...tx }, signature);
  if (recovered !== signer) {
    throw new Error(`the signature of ${signer} recovers to ${recovered}`);
  }
  return { signer, data: signature.serialized };
}

/**
 * A "pre-validated" signature (v = 1) for `owner`: valid when `owner` itself sends the
 * `execTransaction`, or once it has called `approveHash(safeTxHash)` on the Safe. Lets an owner
 * who executes count as a signer without signing anything.
 */
export function approvedHashSignature(owner: string): SafeSignature {
  const signer = getAddress(owner);
  return {
    signer,
    data: concat([zeroPadValue(signer, 32), zeroPadValue("0x", 32), toBeHex(1, 1)]),
  };
}

/**
 * The `signatures` argument of `execTransaction`: the 65-byte signatures concatenated in
 * ascending order of owner address, as the Safe requires (it rejects any other order with GS026).
 */
export function encodeSignatures(signatures: readonly SafeSignature[]): string {
  for (const s of signatures) {
    if (dataLength(s.data) !== 65) {
      throw new Error(`the signature of ${s.signer} is ${dataLength(s.data)} bytes, not 65`);
    }
  }
  const sorted = [...signatures].sort((a, b) => {
    const x = BigInt(a.signer);
    const y = BigInt(b.signer);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return concat(sorted.map((s) => s.data));
}

/**
 * `executor` (anyone: the Safe checks the signatures, not the sender) sends `execTransaction` of
 * `tx` to the Safe. An array of signatures is sorted with {@link encodeSignatures}; a string is
 * passed on as is (already encoded). Returns the sent transaction.
 */
export async function execSafeTransaction(
  executor: Signer,
  safeAddress: string,
  tx: SafeTransaction,
  signatures: readonly SafeSignature[] | string,
): Promise<ContractTransactionResponse> {
  const encoded = typeof signatures === "string" ? signatures : encodeSignatures(signatures);
  return safeAt(safeAddress, executor).execTransaction(
    tx.to,
    tx.value,
    tx.data,
    tx.operation,
    tx.safeTxGas,
    tx.baseGas,
    tx.gasPrice,
    tx.gasToken,
    tx.refundReceiver,
    encoded,
  );
}

export interface SafeExecOptions {
  /** Who sends `execTransaction`; the first signing owner by default. */
  executor?: Signer;
}

/**
 * One Safe transaction in one call, for when the owners' signers are all at hand (tests, the local
 * demo): reads the Safe's nonce and threshold, has the first `threshold` of `owners` that are
 * owners of the Safe sign `call`, executes it and returns the receipt. Throws when fewer than
 * `threshold` of `owners` own the Safe, and (like any transaction) when the execution reverts.
 */
export async function safeExec(
  safeAddress: string,
  owners: readonly Signer[],
  call: SafeCall,
  options: SafeExecOptions = {},
): Promise<TransactionReceipt> {
  if (owners.length === 0) throw new Error("safeExec needs at least one owner");
  const provider = owners[0].provider;
  if (provider === null) throw new Error("the owner's signer has no provider");
  const [state, chainId] = await Promise.all([
    readSafeState(provider, safeAddress),
    chainIdOf(provider),
  ]);
  const signing: Signer[] = [];
  for (const owner of owners) {
    if (signing.length === Number(state.threshold)) break;
    if (state.owners.includes(getAddress(await owner.getAddress()))) signing.push(owner);
  }
  if (signing.length < Number(state.threshold)) {
    throw new Error(
      `the Safe ${safeAddress} needs ${state.threshold} owner signatures; ${signing.length} of the given signers are owners`,
    );
  }
  const tx = buildSafeTransaction({ ...call, nonce: state.nonce });
  const signatures: SafeSignature[] = [];
  for (const owner of signing) {
    signatures.push(await signSafeTransaction(owner, safeAddress, chainId, tx));
  }
  const sent = await execSafeTransaction(
    options.executor ?? signing[0],
    safeAddress,
    tx,
    signatures,
  );
  const receipt = await sent.wait();
  if (receipt === null) throw new Error("the Safe transaction was not mined");
  return receipt;
}

// ------------------------------------------------------------------ preview

/** The outcome of a call previewed as if the Safe made it. */
export type SimulationResult =
  | { success: true; returnData: string }
  | { success: false; revertData: string | undefined; reason: string };

/**
 * Runs `to.call(data)` with `from: safeAddress` as an `eth_call` on the latest block: what the
 * Safe's execution would do if it ran now, before anyone signs. It needs no signature and changes
 * nothing; it cannot see the Safe's signature checks, and the state may change before the real
 * execution. `interfaces` decode the target's custom errors in `reason`.
 */
export async function simulateFromSafe(
  provider: Provider,
  safeAddress: string,
  to: string,
  data: string,
  options: { value?: bigint; interfaces?: readonly Interface[] } = {},
): Promise<SimulationResult> {
  try {
    const returnData = await provider.call({
      from: getAddress(safeAddress),
      to: getAddress(to),
      data,
      value: options.value ?? 0n,
    });
    return { success: true, returnData };
  } catch (error) {
    const revertData = revertDataOf(error);
    if (revertData === undefined) throw error; // not a revert: a network or provider problem
    return {
      success: false,
      revertData,
      reason: describeRevertData(revertData, options.interfaces),
    };
  }
}

// ------------------------------------------------------------------ errors

/**
 * The revert codes of Safe 1.5.0 (contracts/Safe.sol, base/*.sol, common/SelfAuthorized.sol) and
 * their meaning. `execTransaction` of a governance Safe mostly fails with GS020, GS025 or GS026.
 */
export const SAFE_ERROR_CODES: Readonly<Record<string, string>> = {
  GS000: "could not finish initialization (the setup delegatecall failed)",
  GS001: "threshold needs to be defined (the Safe was not set up)",
  GS002: "the module setup target is not a contract",
  GS010: "not enough gas to execute the Safe transaction",
  GS011: "could not pay the gas costs with ether",
  GS012: "could not pay the gas costs with the gas token",
  GS013:
    "the Safe transaction failed with safeTxGas and gasPrice 0 (Safe before 1.5.0; 1.5.0 reverts with the inner call's own revert data instead)",
  GS020: "signatures data too short: fewer signatures than the threshold",
  GS021: "invalid contract signature location: inside the static part",
  GS022: "invalid contract signature location: length not present",
  GS023: "invalid contract signature location: data not complete",
  GS024: "invalid contract signature provided",
  GS025:
    "the hash has not been approved by this owner (pre-validated signature of another account)",
  GS026:
    "invalid owner provided: a signer is not an owner, the signatures are not sorted by owner address ascending or repeat an owner, or they sign another transaction or nonce",
  GS030: "only owners can approve a hash",
  GS031: "the method can only be called by the Safe itself",
  GS100: "modules have already been initialized",
  GS101: "invalid module address provided",
  GS102: "the module has already been added",
  GS103: "invalid prevModule, module pair provided",
  GS104: "the method can only be called by an enabled module",
  GS105: "invalid starting point for fetching paginated modules",
  GS106: "invalid page size for fetching paginated modules",
  GS200: "owners have already been set up",
  GS201: "the threshold cannot exceed the owner count",
  GS202: "the threshold needs to be greater than 0",
  GS203: "invalid owner address provided",
  GS204: "the address is already an owner",
  GS205: "invalid prevOwner, owner pair provided",
  GS300: "the guard does not implement IERC165",
  GS301: "the module guard does not implement IERC165",
  GS400: "the fallback handler cannot be set to the Safe itself",
};

const ERROR_STRING_SELECTOR = "0x08c379a0"; // Error(string)
const PANIC_SELECTOR = "0x4e487b71"; // Panic(uint256)

/** The revert data of an ethers / provider error, if any (chain.ts's revertData). */
export const revertDataOf = revertData;

/** "GS026: invalid owner provided: ..." for a known code, the code itself otherwise. */
function describeSafeCode(code: string): string {
  const meaning = SAFE_ERROR_CODES[code];
  return meaning === undefined ? code : `${code}: ${meaning}`;
}

/**
 * Words for revert data: a Safe GS code, another `Error(string)`, a `Panic`, or a custom error of
 * one of `interfaces` (e.g. the registry's and the AccessManager's), with its arguments.
 */
export function describeRevertData(
  revertData: string,
  interfaces: readonly Interface[] = [],
): string {
  if (revertData === "0x") return "reverted without data";
  const coder = AbiCoder.defaultAbiCoder();
  const selector = revertData.slice(0, 10).toLowerCase();
  try {
    if (selector === ERROR_STRING_SELECTOR) {
      const [reason] = coder.decode(["string"], "0x" + revertData.slice(10)) as unknown as [string];
      return /^GS\d{3}$/.test(reason) ? describeSafeCode(reason) : reason;
    }
    if (selector === PANIC_SELECTOR) {
      const [code] = coder.decode(["uint256"], "0x" + revertData.slice(10)) as unknown as [bigint];
      return `panic 0x${code.toString(16)}`;
    }
  } catch {
    // malformed: fall through to the raw data
  }
  for (const iface of interfaces) {
    const parsed = iface.parseError(revertData);
    if (parsed !== null) {
      return `${parsed.name}(${parsed.args.map((a: unknown) => String(a)).join(", ")})`;
    }
  }
  return `reverted with ${revertData}`;
}

/**
 * Words for an error thrown while executing or simulating a Safe transaction: a GS code in words
 * ("GS020: signatures data too short: ..."), or the target's revert decoded with `interfaces`, or
 * the error's own message when it carries no revert data.
 */
export function describeSafeError(error: unknown, interfaces: readonly Interface[] = []): string {
  const revertData = revertDataOf(error);
  if (revertData !== undefined) return describeRevertData(revertData, interfaces);
  const message =
    error instanceof Error
      ? ((error as Error & { shortMessage?: string }).shortMessage ?? error.message)
      : String(error);
  const code = /\bGS\d{3}\b/.exec(message);
  return code === null ? message : describeSafeCode(code[0]);
}
