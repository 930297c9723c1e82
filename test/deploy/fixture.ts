/**
 * The RollbackTrail Ignition module deployed in-process, with plain accounts standing in for the
 * governance and guardian Safes.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import { buildRollbackTrailModule } from "../../deploy/rollback-trail.js";
import {
  type RollbackTrailParameters,
  type SuiteAddresses,
  parseRollbackTrailParameters,
} from "../../src/deploy/deployment.js";
import type {
  AccessManager,
  AgentActionLog,
  InferenceAnchor,
  InferenceSettlement,
  NodeRouting,
  ModelRegistry,
} from "../../types/ethers-contracts/index.js";

export const PROMOTION_DELAY = 24n * 3600n;
export const ADMIN_DELAY = 2n * 24n * 3600n;

export interface DeployedSuite {
  manager: AccessManager;
  registry: ModelRegistry;
  anchor: InferenceAnchor;
  settlement: InferenceSettlement;
  actionLog: AgentActionLog;
  routing: NodeRouting;
  deployer: HardhatEthersSigner;
  /** Stand-in for the governance Safe: GOVERNOR, and ADMIN with ADMIN_DELAY. */
  governance: HardhatEthersSigner;
  /** Stand-in for the guardian Safe: GUARDIAN. */
  guardian: HardhatEthersSigner;
  publishers: HardhatEthersSigner[];
  stranger: HardhatEthersSigner;
  /** The parameters in Ignition's format, and parsed. */
  deploymentParameters: { RollbackTrail: Record<string, unknown> };
  parameters: RollbackTrailParameters;
  addresses: SuiteAddresses;
  /** The block of the AccessManager's deployment (the first block the deployment mined). */
  fromBlock: number;
}

/** Ignition-format parameters for the given accounts. */
export function parametersFor(
  governance: string,
  guardian: string,
  publishers: string[],
  overrides: Record<string, unknown> = {},
): { RollbackTrail: Record<string, unknown> } {
  return {
    RollbackTrail: {
      governanceSafe: governance,
      guardianSafe: guardian,
      publishers,
      promotionDelay: Number(PROMOTION_DELAY),
      proposalGracePeriod: 2 * 24 * 3600,
      maxAnchorDelay: 24 * 3600,
      holdPeriod: 3 * 24 * 3600,
      adminExecutionDelay: Number(ADMIN_DELAY),
      ...overrides,
    },
  };
}

/** Deploys the module on `connection` (two publishers unless `publisherCount` says otherwise). */
export async function deploySuiteWithIgnition(
  connection: NetworkConnection,
  publisherCount = 2,
): Promise<DeployedSuite> {
  const { ethers } = connection;
  const signers = await ethers.getSigners();
  const [deployer, governance, guardian] = signers;
  const publishers = signers.slice(3, 3 + publisherCount);
  const stranger = signers[10];
  const deploymentParameters = parametersFor(
    governance.address,
    guardian.address,
    publishers.map((p) => p.address),
  );
  const fromBlock = (await ethers.provider.getBlockNumber()) + 1;
  const result = await connection.ignition.deploy(buildRollbackTrailModule(deploymentParameters));
  const suite = {
    manager: result.manager as unknown as AccessManager,
    registry: result.registry as unknown as ModelRegistry,
    anchor: result.anchor as unknown as InferenceAnchor,
    settlement: result.settlement as unknown as InferenceSettlement,
    actionLog: result.actionLog as unknown as AgentActionLog,
    routing: result.routing as unknown as NodeRouting,
  };
  return {
    ...suite,
    deployer,
    governance,
    guardian,
    publishers,
    stranger,
    deploymentParameters,
    parameters: parseRollbackTrailParameters(deploymentParameters, "test"),
    addresses: {
      manager: await suite.manager.getAddress(),
      registry: await suite.registry.getAddress(),
      anchor: await suite.anchor.getAddress(),
      settlement: await suite.settlement.getAddress(),
      actionLog: await suite.actionLog.getAddress(),
      routing: await suite.routing.getAddress(),
    },
    fromBlock,
  };
}

/** Runs an ADMIN operation of `admin` on the AccessManager through its delay: schedule, wait, execute. */
export async function throughAdminDelay(
  connection: NetworkConnection,
  manager: AccessManager,
  admin: HardhatEthersSigner,
  data: string,
  delay: bigint = ADMIN_DELAY,
): Promise<void> {
  const target = await manager.getAddress();
  await (await manager.connect(admin).schedule(target, data, 0)).wait();
  await connection.networkHelpers.time.increase(delay);
  await (await manager.connect(admin).execute(target, data)).wait();
}
