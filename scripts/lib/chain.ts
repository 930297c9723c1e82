/**
 * Shared chain helpers of the command-line tools: finding the suite's contracts on a network,
 * decoding a revert into words, and the epoch hint of a time.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { type Interface, isAddress } from "ethers";

import { fail } from "./cli.js";

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

/** The revert data carried by an ethers / Hardhat error, if any. */
export function revertData(e: unknown): string | undefined {
  for (let cause: unknown = e, depth = 0; cause !== undefined && depth < 5; depth++) {
    const c = cause as { data?: unknown; error?: unknown; cause?: unknown };
    if (typeof c.data === "string" && c.data.startsWith("0x") && c.data.length >= 10) return c.data;
    if (typeof c.data === "object" && c.data !== null) {
      const inner = (c.data as { data?: unknown }).data;
      if (typeof inner === "string" && inner.startsWith("0x")) return inner;
    }
    cause = c.error ?? c.cause;
  }
  return undefined;
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
