/**
 * The Hardhat Ignition module of the suite, built from its parameters. The module file
 * deploy/modules/RollbackTrail.ts builds it from the parameters given to
 * `npx hardhat ignition deploy`; code (tests, scripts) builds it with `buildRollbackTrailModule`.
 *
 * Why a builder instead of `m.getParameter`: Ignition resolves `m.getParameter` values only after
 * the module graph is built, so a module cannot compare two parameters (adminExecutionDelay must be
 * at least promotionDelay) nor make one grant per element of an array parameter (publishers). Built
 * from concrete values, the module checks them before any transaction and has exactly one future
 * per grant. The parameter files keep Ignition's format (`{ "RollbackTrail": { ... } }`).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { NetworkConnection } from "hardhat/types/network";

import { IGNITION_MODULE } from "../src/chain/chain.js";
import {
  FutureIds,
  MANAGED_CONTRACTS,
  packageRoot,
  ParameterError,
  parseRollbackTrailParameters,
  readParameterFile,
  tableSelectors,
} from "../src/deploy/deployment.js";
import { GUARDED_ROLES, ROLE_LABELS, Role } from "../src/chain/roles.js";

/** Roles labelled on the AccessManager, in the order deploy-local.ts labels them. */
const LABELLED_ROLES = ["PUBLISHER", "GOVERNOR", "GUARDIAN"] as const;

/**
 * The RollbackTrail module for `deploymentParameters` (Ignition's format). Throws a
 * ParameterError naming `source` if they are invalid, before anything is sent.
 *
 * Same order and semantics as src/deploy/deploy-local.ts, in phases that each wait for the
 * previous one (Ignition batches the futures within a phase): deploy AccessManager (the deployer,
 * account 0, as initial admin), ModelRegistry, InferenceAnchor, NodeRouting,
 * InferenceSettlement, AgentActionLog; give each restricted function its role from the role table; label the roles;
 * make GUARDIAN the guardian of GOVERNOR and PUBLISHER; grant GOVERNOR and ADMIN (with
 * adminExecutionDelay) to the governance Safe, GUARDIAN to the guardian Safe, PUBLISHER to each
 * publisher; finally the deployer renounces ADMIN and keeps nothing.
 */
export function buildRollbackTrailModule(deploymentParameters: unknown, source = "parameters") {
  const p = parseRollbackTrailParameters(deploymentParameters, source);
  return buildModule(IGNITION_MODULE, (m) => {
    const deployer = m.getAccount(0);
    // Every future is sent by the deployer, whatever `--default-sender` says: it is the admin.
    const from = deployer;

    const manager = m.contract("AccessManager", [deployer], { from });
    const registry = m.contract(
      "ModelRegistry",
      [manager, p.promotionDelay, p.proposalGracePeriod],
      { from },
    );
    const anchor = m.contract("InferenceAnchor", [manager, registry, p.maxAnchorDelay], { from });
    // Not AccessManaged: nodes acknowledge the live epoch; nobody configures anything. Before
    // the settlement, which reads it (settleToRoutable).
    const routing = m.contract("NodeRouting", [registry, anchor], { from });
    const settlement = m.contract(
      "InferenceSettlement",
      [manager, registry, anchor, routing, p.holdPeriod],
      { from },
    );
    const actionLog = m.contract("AgentActionLog", [registry, anchor], {
      from,
      after: [settlement],
    });

    const targets = {
      ModelRegistry: registry,
      InferenceAnchor: anchor,
      InferenceSettlement: settlement,
    };
    const wiring = MANAGED_CONTRACTS.flatMap((contract) =>
      [...tableSelectors(contract)].map(([role, selectors]) =>
        m.call(manager, "setTargetFunctionRole", [targets[contract], selectors, Role[role]], {
          id: FutureIds.wire(contract, role),
          from,
          after: [actionLog],
        }),
      ),
    );
    const labels = LABELLED_ROLES.map((role) =>
      m.call(manager, "labelRole", [Role[role], ROLE_LABELS[role]], {
        id: FutureIds.label(role),
        from,
        after: wiring,
      }),
    );
    const guardians = GUARDED_ROLES.map((role) =>
      m.call(manager, "setRoleGuardian", [Role[role], Role.GUARDIAN], {
        id: FutureIds.guardian(role),
        from,
        after: labels,
      }),
    );
    const grant = (id: string, role: bigint, account: string, executionDelay: bigint) =>
      m.call(manager, "grantRole", [role, account, executionDelay], {
        id,
        from,
        after: guardians,
      });
    const grants = [
      grant(FutureIds.grant("GOVERNOR"), Role.GOVERNOR, p.governanceSafe, 0n),
      grant(FutureIds.grant("GUARDIAN"), Role.GUARDIAN, p.guardianSafe, 0n),
      ...p.publishers.map((publisher, i) =>
        grant(FutureIds.grantPublisher(i), Role.PUBLISHER, publisher, 0n),
      ),
      grant(FutureIds.grant("ADMIN"), Role.ADMIN, p.governanceSafe, p.adminExecutionDelay),
    ];
    m.call(manager, "renounceRole", [Role.ADMIN, deployer], {
      id: FutureIds.renounce,
      from,
      after: grants,
    });

    return { manager, registry, anchor, settlement, actionLog, routing };
  });
}

export type RollbackTrailModule = ReturnType<typeof buildRollbackTrailModule>;

/**
 * Deploys the suite on `connection` through Ignition (in-process: tests, scripts) and returns the
 * contracts as ethers instances. `deploymentId` as for `ignition deploy --deployment-id`.
 */
export async function deployRollbackTrail(
  connection: NetworkConnection,
  deploymentParameters: unknown,
  options: { deploymentId?: string; source?: string } = {},
) {
  const module = buildRollbackTrailModule(deploymentParameters, options.source);
  return await connection.ignition.deploy(module, { deploymentId: options.deploymentId });
}

/** The Ignition task a Hardhat command line runs (`deploy`, `visualize`...) and its `--parameters`. */
export function ignitionTask(argv: string[]): { task: string; parameters?: string } | undefined {
  const at = argv.indexOf("ignition");
  if (at < 0 || at + 1 >= argv.length) return undefined;
  let parameters: string | undefined;
  for (let i = at + 2; i < argv.length; i++) {
    if (argv[i] === "--parameters") parameters = argv[i + 1];
    else if (argv[i].startsWith("--parameters="))
      parameters = argv[i].slice("--parameters=".length);
  }
  return { task: argv[at + 1], parameters };
}

/**
 * The parameters of the Hardhat command line `argv`, read as `ignition deploy` reads them:
 * `--parameters FILE.json|FILE.json5` (from `cwd`) or inline JSON, else
 * deploy/RollbackTrail.config.json. `ignition visualize` gets deploy/parameters/local.json. Any
 * other command is a ParameterError: the module file cannot know which parameters to use.
 */
export async function commandLineParameters(
  argv: string[],
  cwd: string = process.cwd(),
): Promise<{ raw: unknown; source: string }> {
  const run = ignitionTask(argv);
  if (run?.task === "visualize") {
    const local = join(packageRoot(), "deploy", "parameters", "local.json");
    return { raw: await readParameterFile(local), source: "deploy/parameters/local.json" };
  }
  if (run?.task !== "deploy") {
    throw new ParameterError(
      `deploy/modules/${IGNITION_MODULE}.ts reads its parameters from ` +
        "`npx hardhat ignition deploy ... --parameters FILE`; in code, use " +
        "buildRollbackTrailModule or deployRollbackTrail from deploy/rollback-trail.ts",
    );
  }
  if (run.parameters !== undefined) {
    if (/\.json5?$/.test(run.parameters)) {
      return {
        raw: await readParameterFile(resolve(cwd, run.parameters)),
        source: run.parameters,
      };
    }
    try {
      return {
        raw: JSON.parse(run.parameters, (_key, v) =>
          typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
        ),
        source: "--parameters",
      };
    } catch {
      throw new ParameterError("--parameters is neither a .json / .json5 file nor valid JSON");
    }
  }
  const config = join(packageRoot(), "deploy", `${IGNITION_MODULE}.config.json`);
  if (existsSync(config)) {
    return {
      raw: await readParameterFile(config),
      source: `deploy/${IGNITION_MODULE}.config.json`,
    };
  }
  throw new ParameterError(
    `${IGNITION_MODULE} needs parameters: pass --parameters deploy/parameters/<network>.json`,
  );
}
