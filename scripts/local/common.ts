/**
 * What the local-network scripts (scripts/local/*.ts) share: who is who among Hardhat's default
 * accounts, the local delays, the demo model, and how a script finds its network and arguments,
 * whether it runs as `npx tsx scripts/local/X.ts --network NAME` or as
 * `npx hardhat run scripts/local/X.ts --network NAME`.
 *
 * Accounts of `npx hardhat node` (the default mnemonic "test test ... junk"):
 *
 * | index  | role                                                                    |
 * | ------ | ----------------------------------------------------------------------- |
 * | #0     | deployer: Safe infrastructure, the Safes, the suite; sends `activate`   |
 * | #1..#3 | owners of the governance Safe (2 of 3): GOVERNOR, ADMIN with a delay    |
 * | #4..#6 | owners of the guardian Safe (2 of 3): GUARDIAN                          |
 * | #7     | publisher: PUBLISHER, and publisher of the demo model                   |
 */
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import type { ParseArgsOptionsConfig } from "node:util";

import type { NetworkConnection } from "hardhat/types/network";

import { fail, parseCliArgs } from "../../src/ground/cli.js";
import { openNetwork } from "../../src/chain/connect.js";
import { packageRoot } from "../../src/deploy/deployment.js";
import { LOCAL_CHAIN_IDS } from "../../src/governance/safe.js";

/** Account indices, as in the table above. */
export const ACCOUNTS = {
  deployer: 0,
  governanceOwners: [1, 2, 3],
  guardianOwners: [4, 5, 6],
  publisher: 7,
} as const;

/** Both Safes are 2 of 3. */
export const SAFE_THRESHOLD = 2;

/** Salt nonces of the two Safes (their addresses differ even with the same owners). */
export const SALT = { governance: 1n, guardian: 2n } as const;

/** Delays of the local deployment, in seconds: short, but within the contracts' bounds. */
export const LOCAL_DELAYS = {
  promotionDelay: 3600, // 1 hour (the contract's minimum)
  proposalGracePeriod: 86400, // 1 day
  maxAnchorDelay: 86400, // 1 day
  holdPeriod: 86400, // 1 day
  adminExecutionDelay: 3600, // at least promotionDelay
} as const;

/** Where scripts/local/safes.ts writes the parameters (git-ignored). */
export const GENERATED_PARAMETERS = join(
  packageRoot(),
  "deploy",
  "parameters",
  "localhost.generated.json",
);

/** The model the scenario creates. Its id is keccak256("demo/model"), as `npm run gov` derives it. */
export const DEMO_MODEL = "demo/model";

/**
 * The script's own arguments: those after the script file in `process.argv`, parsed strictly
 * against `options` plus `--network`. Under `npx hardhat run`, Hardhat has taken `--network`
 * already; it is then in `hre.globalOptions.network`.
 */
export async function scriptArgs<T extends ParseArgsOptionsConfig>(
  scriptUrl: string,
  options: T,
  usage: string,
): Promise<{ networkName: string; values: Record<string, string | boolean | undefined> }> {
  const script = fileURLToPath(scriptUrl);
  const at = process.argv.findIndex((a, i) => i > 0 && resolve(a) === script);
  const runByHardhat = process.argv.some((a) => /hardhat(\.js)?$/.test(a)) && at >= 0;
  const rest = at >= 0 ? process.argv.slice(at + 1) : [];
  const values = parseCliArgs(
    { ...options, network: { type: "string" } },
    usage,
    runByHardhat ? [] : rest,
  ) as Record<string, string | boolean | undefined>;
  let networkName = values.network as string | undefined;
  if (networkName === undefined) {
    const { default: hre } = await import("hardhat");
    networkName = hre.globalOptions.network;
  }
  if (networkName === undefined || networkName === "") fail(`missing --network (usage: ${usage})`);
  return { networkName, values };
}

/**
 * Opens `networkName` and checks that it answers and, unless `anyChain`, that it is a local chain
 * (31337 or 1337).
 */
export async function connectLocal(
  networkName: string,
  { anyChain = false }: { anyChain?: boolean } = {},
): Promise<{ connection: NetworkConnection; chainId: bigint }> {
  const hint = networkName === "localhost" ? " (is `npx hardhat node` running?)" : "";
  const connection = await openNetwork(networkName, hint);
  const { chainId } = await connection.ethers.provider.getNetwork();
  if (!anyChain && !LOCAL_CHAIN_IDS.includes(chainId)) {
    await connection.close();
    fail(`network ${networkName} is chain ${chainId}: these scripts are for local chains only`);
  }
  return { connection, chainId };
}
