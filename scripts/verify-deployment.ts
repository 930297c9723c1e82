/**
 * npm run verify-deployment -- --network NAME [--from-block N] [--parameters FILE]
 *     [--deployment-id ID] [--block-range N]
 *     [--manager ADDRESS --registry ADDRESS --anchor ADDRESS --settlement ADDRESS --action-log ADDRESS]
 *
 * Checks a deployment of the suite against the role table (src/chain/roles.ts) and the module
 * parameters: who holds each AccessManager role (and ADMIN's execution delay), which role each
 * restricted function requires, the role guardians, the contracts' authority. AccessManager cannot
 * list role members, so its events are replayed from the deployment block in bounded eth_getLogs
 * ranges, and what they name is confirmed with its views at the latest block.
 *
 * Addresses, the deployment block, the deployer and (without --parameters) the expected parameters
 * come from Hardhat Ignition's record in deploy/deployments/<id>/ (default id: chain-<chainId>).
 * Prints one `drift:` line per finding and exits 1 on drift; exits 0 with a short summary
 * otherwise; any error is one line on stderr, exit 1.
 */
import { getAddress, isAddress } from "ethers";

import { IGNITION_MODULE } from "../src/chain/chain.js";
import { fail, main, parseCliArgs, requireOption, userPath } from "../src/ground/cli.js";
import { openNetwork } from "../src/chain/connect.js";
import {
  DEFAULT_BLOCK_RANGE,
  type RollbackTrailParameters,
  type SuiteAddresses,
  type VerificationReport,
  addressesOf,
  deploymentDirOf,
  parseRollbackTrailParameters,
  readDeploymentRecord,
  readParameterFile,
  roleName,
  verifyDeployment,
} from "../src/deploy/deployment.js";
import { Role } from "../src/chain/roles.js";

const NAME = "verify-deployment";
const USAGE =
  "npm run verify-deployment -- --network NAME [--from-block N] [--parameters FILE] " +
  "[--deployment-id ID] [--block-range N] [--manager|--registry|--anchor|--settlement|--action-log|--routing ADDRESS]";

const ADDRESS_FLAGS = {
  manager: "manager",
  registry: "registry",
  anchor: "anchor",
  settlement: "settlement",
  actionLog: "action-log",
  routing: "routing",
} as const satisfies Record<keyof SuiteAddresses, string>;

function wholeNumber(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
    fail(`${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ""}, got ${value}`);
  }
  return Number(value);
}

main(NAME, async () => {
  const args = parseCliArgs(
    {
      network: { type: "string" },
      "from-block": { type: "string" },
      parameters: { type: "string" },
      "deployment-id": { type: "string" },
      "block-range": { type: "string" },
      manager: { type: "string" },
      registry: { type: "string" },
      anchor: { type: "string" },
      settlement: { type: "string" },
      "action-log": { type: "string" },
      routing: { type: "string" },
    },
    USAGE,
  );
  const networkName = requireOption(args.network, "--network", USAGE);
  const fromBlockArg = wholeNumber(args["from-block"], "--from-block", 0);
  const blockRange = wholeNumber(args["block-range"], "--block-range", 1) ?? DEFAULT_BLOCK_RANGE;

  let expected: RollbackTrailParameters | undefined;
  let expectedFrom = "the deployment journal";
  if (args.parameters !== undefined) {
    const file = userPath(args.parameters, NAME);
    expected = parseRollbackTrailParameters(await readParameterFile(file), args.parameters);
    expectedFrom = args.parameters;
  }

  const connection = await openNetwork(networkName);
  try {
    const provider = connection.ethers.provider;
    const { chainId } = await provider.getNetwork();
    const deploymentId = args["deployment-id"] ?? `chain-${chainId}`;
    const dir = deploymentDirOf(deploymentId);
    const record = readDeploymentRecord(dir);

    const recorded = addressesOf(record?.addresses ?? {});
    const addresses: Partial<SuiteAddresses> = {};
    for (const [key, flag] of Object.entries(ADDRESS_FLAGS) as [keyof SuiteAddresses, string][]) {
      const override = args[flag as keyof typeof args];
      if (override !== undefined) {
        if (!isAddress(override)) fail(`--${flag} must be an address, got ${override}`);
        addresses[key] = getAddress(override);
      } else if (recorded[key] !== undefined) {
        addresses[key] = recorded[key];
      }
    }
    for (const key of ["manager", "registry", "anchor", "settlement"] as const) {
      if (addresses[key] === undefined) {
        fail(
          record === undefined
            ? `no deployment recorded in ${dir}; pass --${ADDRESS_FLAGS[key]} ADDRESS (and the others)`
            : `${dir} records no ${IGNITION_MODULE} ${key}; pass --${ADDRESS_FLAGS[key]} ADDRESS`,
        );
      }
      if ((await provider.getCode(addresses[key] as string)) === "0x") {
        fail(
          `no contract at ${addresses[key]} (${key}) on network ${networkName} (chain ${chainId})` +
            (record !== undefined ? `: is ${dir} from an earlier chain?` : ""),
        );
      }
    }

    let fromBlock = fromBlockArg ?? record?.managerBlock;
    if (fromBlock === undefined && record?.managerTxHash !== undefined) {
      fromBlock = (await provider.getTransactionReceipt(record.managerTxHash))?.blockNumber;
    }
    if (fromBlock === undefined) {
      fail(
        `no deployment block recorded in ${dir}; pass --from-block N (the AccessManager's block)`,
      );
    }

    if (expected === undefined) {
      expected = record?.parameters;
      if (expected === undefined) {
        fail(
          `the journal in ${dir} does not record the module's parameters; pass --parameters FILE`,
        );
      }
    }

    const report = await verifyDeployment(
      provider,
      addresses as SuiteAddresses,
      { parameters: expected, deployer: record?.deployer },
      { fromBlock, blockRange },
    );
    print(report, `${networkName} (chain ${chainId})`, expectedFrom);
  } finally {
    await connection.close();
  }
});

function print(report: VerificationReport, where: string, expectedFrom: string): void {
  const { state, findings, notes, holders } = report;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const span =
    `blocks ${state.fromBlock}-${state.toBlock} (${state.logCount} events, ` +
    `${state.requests} eth_getLogs requests), expected state from ${expectedFrom}`;
  for (const f of findings) out(`drift: [${f.kind}] ${f.message}`);
  for (const n of notes) out(`note: ${n}`);
  if (findings.length > 0) {
    out(`${NAME}: ${findings.length} drift finding(s) on ${where}, ${span}`);
    process.exitCode = 1;
    return;
  }
  const roles = [Role.ADMIN, Role.GOVERNOR, Role.GUARDIAN, Role.PUBLISHER].map((role) => {
    const list = holders.get(role) ?? [];
    const who = list
      .map((a) =>
        a.executionDelay === 0n ? a.account : `${a.account} (delay ${a.executionDelay}s)`,
      )
      .join(", ");
    return `${roleName(role)}: ${who === "" ? "nobody" : who}`;
  });
  const wired = state.functionRoles.filter((f) => f.role !== Role.ADMIN).length;
  const keys = state.enclaveKeys.filter((k) => !k.revoked).length;
  out(`${NAME}: no drift on ${where}, ${span}`);
  out(`  ${roles.join("; ")}`);
  out(
    `  ${wired} restricted functions wired as the role table says; GOVERNOR and PUBLISHER ` +
      `guarded by GUARDIAN; promotion delay ${state.current.promotionDelay}s; anchor: ` +
      `${state.operators.length} operator(s), ${keys} enclave key(s) in use ` +
      `(${state.enclaveKeys.length - keys} revoked)`,
  );
}
