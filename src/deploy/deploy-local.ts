/**
 * Deploys the whole suite with plain ethers transactions and wires its AccessManager from the role
 * table: for local chains (the demo, the benchmarks, tests). Deployments to real networks go
 * through the Hardhat Ignition modules in deploy/, which follow the same table.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type {
  AccessManager,
  AgentActionLog,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
  NodeRouting,
} from "../../types/ethers-contracts/index.js";
import { configureRoles, grantAll, wireTarget } from "../chain/access.js";
import {
  INFERENCE_ANCHOR_FUNCTION_ROLES,
  INFERENCE_SETTLEMENT_FUNCTION_ROLES,
  MODEL_REGISTRY_FUNCTION_ROLES,
  Role,
} from "../chain/roles.js";

/** Governance parameters, in seconds. */
export interface SuiteParameters {
  promotionDelay: bigint;
  proposalGracePeriod: bigint;
  maxAnchorDelay: bigint;
  holdPeriod: bigint;
}

export const DEFAULT_PARAMETERS: SuiteParameters = {
  promotionDelay: 24n * 3600n,
  proposalGracePeriod: 2n * 24n * 3600n,
  maxAnchorDelay: 24n * 3600n,
  holdPeriod: 3n * 24n * 3600n,
};

/** Who holds which role. `admin` gets ADMIN with an execution delay of the promotion delay. */
export interface SuiteHolders {
  governor: string;
  guardian: string;
  /** The ADMIN holder; when it is the deployer itself, it keeps ADMIN without delay (benchmarks). */
  admin: string;
  publishers: string[];
}

export interface Suite {
  manager: AccessManager;
  registry: ModelRegistry;
  anchor: InferenceAnchor;
  settlement: InferenceSettlement;
  actionLog: AgentActionLog;
  routing: NodeRouting;
}

/** Deploys and wires the suite. The deployer ends up holding nothing unless it is `admin`. */
export async function deploySuite(
  ethers: HardhatEthers,
  deployer: HardhatEthersSigner,
  holders: SuiteHolders,
  parameters: SuiteParameters = DEFAULT_PARAMETERS,
): Promise<Suite> {
  const deploy = async <T>(name: string, args: unknown[]): Promise<T> => {
    const contract = await ethers.deployContract(name, args, deployer);
    await contract.waitForDeployment();
    return contract as unknown as T;
  };
  const manager = await deploy<AccessManager>("AccessManager", [deployer.address]);
  const registry = await deploy<ModelRegistry>("ModelRegistry", [
    await manager.getAddress(),
    parameters.promotionDelay,
    parameters.proposalGracePeriod,
  ]);
  const anchor = await deploy<InferenceAnchor>("InferenceAnchor", [
    await manager.getAddress(),
    await registry.getAddress(),
    parameters.maxAnchorDelay,
  ]);
  // Before the settlement, which reads it (settleToRoutable).
  const routing = await deploy<NodeRouting>("NodeRouting", [
    await registry.getAddress(),
    await anchor.getAddress(),
  ]);
  const settlement = await deploy<InferenceSettlement>("InferenceSettlement", [
    await manager.getAddress(),
    await registry.getAddress(),
    await anchor.getAddress(),
    await routing.getAddress(),
    parameters.holdPeriod,
  ]);
  const actionLog = await deploy<AgentActionLog>("AgentActionLog", [
    await registry.getAddress(),
    await anchor.getAddress(),
  ]);

  const asAdmin = manager.connect(deployer);
  await wireTarget(asAdmin, registry, MODEL_REGISTRY_FUNCTION_ROLES);
  await wireTarget(asAdmin, anchor, INFERENCE_ANCHOR_FUNCTION_ROLES);
  await wireTarget(asAdmin, settlement, INFERENCE_SETTLEMENT_FUNCTION_ROLES);
  await configureRoles(asAdmin);
  await grantAll(asAdmin, "GOVERNOR", [holders.governor]);
  await grantAll(asAdmin, "GUARDIAN", [holders.guardian]);
  await grantAll(asAdmin, "PUBLISHER", holders.publishers);
  if (holders.admin.toLowerCase() !== deployer.address.toLowerCase()) {
    await grantAll(asAdmin, "ADMIN", [holders.admin], parameters.promotionDelay);
    await (await asAdmin.renounceRole(Role.ADMIN, deployer.address)).wait();
  }
  return { manager, registry, anchor, settlement, actionLog, routing };
}
