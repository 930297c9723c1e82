/**
 * Shared chain helpers of the command-line tools: finding the suite's contracts on a network,
 * decoding a revert into words, and the epoch hint of a time.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { type Interface, type Provider, isAddress, isHexString } from "ethers";

import { fail } from "../ground/cli.js";

/** The Ignition module id the deployment records addresses under (`<module>#<contract>`). */
export const IGNITION_MODULE = "RollbackTrail";

/** Where Ignition keeps the deployment of `chainId` (deploy/ is `paths.ignition`). */
export function deploymentDir(chainId: bigint, root = process.cwd()): string {
  return join(root, "deploy", "deployments", `chain-${chainId}`);
}

/**
 * The address of `contract` on `chainId`: `override` if given (it must be an address), else the
 * one Hardhat Ignition recorded in deploy/deployments/chain-<id>/deployed_addresses.json.
 */
export function resolveAddress(
  contract: string,
  chainId: bigint,
  override: string | undefined,
  flag: string,
): string {
  if (override !== undefined) {
    if (!isAddress(override)) fail(`${flag} must be an address, got ${override}`);
    return override;
  }
  const file = join(deploymentDir(chainId), "deployed_addresses.json");
  if (!existsSync(file)) {
    fail(`no deployment recorded for chain ${chainId} (${file}); pass ${flag} ADDRESS`);
  }
  let addresses: Record<string, string>;
  try {
    addresses = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    fail(`${file} is not valid JSON`);
  }
  const address = addresses[`${IGNITION_MODULE}#${contract}`];
  if (address === undefined || !isAddress(address)) {
    fail(`${file} has no ${IGNITION_MODULE}#${contract}; pass ${flag} ADDRESS`);
  }
  return address;
}

/**
 * The revert data carried by an error thrown by ethers or a provider (Hardhat's, anvil's), if
 * any. Looks in the places the different layers put it (`data`, `error.data`, `info.error.data`,
 * `cause`, `revert`).
 */
export function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown): string | undefined => {
    if (e === null || typeof e !== "object" || seen.has(e)) return undefined;
    seen.add(e);
    const record = e as Record<string, unknown>;
    const data = record.data;
    if (typeof data === "string" && isHexString(data) && data.length >= 10) return data;
    if (typeof data === "object" && data !== null) {
      const nested = (data as Record<string, unknown>).data;
      if (typeof nested === "string" && isHexString(nested) && nested.length >= 10) return nested;
    }
    for (const key of ["error", "info", "cause", "revert"]) {
      const found = visit(record[key]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(error);
}

/**
 * The revert data of a failed send or wait, replayed when the error has none. The clients differ
 * here: Hardhat's node refuses a transaction that reverts at send time, with its revert data;
 * anvil mines it (status 0) and ethers' `wait()` then throws CALL_EXCEPTION with the receipt but no
 * data. The call is then replayed with `eth_call` on the state before its block: exact when the
 * transaction was alone in its block (automine), the best reading otherwise.
 */
export async function failureData(
  error: unknown,
  provider: Provider | null | undefined,
): Promise<string | undefined> {
  const found = revertData(error);
  if (found !== undefined || provider == null) return found;
  // ethers' CALL_EXCEPTION from wait() carries the receipt, not the call's input: read the
  // transaction back by its hash.
  const receipt = (error as { receipt?: { status?: number | null; hash?: string } }).receipt;
  if (receipt?.status !== 0 || receipt.hash === undefined) return undefined;
  const tx = await provider.getTransaction(receipt.hash);
  if (tx === null || tx.to === null || tx.blockNumber === null) return undefined;
  try {
    await provider.call({
      to: tx.to,
      from: tx.from,
      data: tx.data,
      value: tx.value,
      blockTag: tx.blockNumber - 1,
    });
    return undefined; // it succeeds on the state before its block: another transaction raced it
  } catch (replayed) {
    return revertData(replayed);
  }
}

/** describeRevert for a failed send or wait, with the revert replayed if the error has none. */
export async function describeFailedSend(
  error: unknown,
  interfaces: Interface[],
  provider: Provider | null | undefined,
): Promise<string> {
  const data = await failureData(error, provider);
  return describeRevert(data === undefined ? error : { data }, interfaces);
}

/**
 * A revert as one line: `ErrorName(arg=value, ...)` decoded with the first interface that knows
 * it, or the error's own first line.
 */
export function describeRevert(e: unknown, interfaces: Interface[]): string {
  const data = revertData(e);
  if (data !== undefined) {
    for (const iface of interfaces) {
      try {
        const parsed = iface.parseError(data);
        if (parsed === null) continue;
        const args = parsed.fragment.inputs
          .map((input, i) => `${input.name || i}=${String(parsed.args[i])}`)
          .join(", ");
        return `${parsed.name}(${args})`;
      } catch {
        // not this interface's error
      }
    }
  }
  const message = e instanceof Error ? e.message : String(e);
  const custom = /custom error '([^']+)'/.exec(message);
  return custom ? custom[1] : message.split("\n", 1)[0];
}

/** The registry views `epochHint` needs. */
export interface EpochHistory {
  epochAt(modelId: string, timepoint: bigint | number): Promise<bigint>;
  epochCount(modelId: string): Promise<bigint>;
  getEpoch(modelId: string, epoch: bigint | number): Promise<{ startTime: bigint }>;
}

/**
 * The hint ModelRegistry.epochAtWithHint expects for `timepoint` (strictly in the past): the epoch
 * live then or, when nothing was live, the last epoch opened at or before it (0 before the first).
 * Computed off-chain in O(log n) calls; the contract checks it in O(1).
 */
export async function epochHint(
  registry: EpochHistory,
  modelId: string,
  timepoint: bigint | number,
): Promise<bigint> {
  const live = await registry.epochAt(modelId, timepoint);
  if (live !== 0n) return live;
  let lo = 0n;
  let hi = await registry.epochCount(modelId);
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if ((await registry.getEpoch(modelId, mid)).startTime <= BigInt(timepoint)) lo = mid;
    else hi = mid - 1n;
  }
  return lo;
}
