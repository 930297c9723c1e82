/**
 * Deploys the whole suite with plain ethers transactions and wires its AccessManager from the role
 * table: for local chains (the demo, the benchmarks, tests). Deployments to real networks go
 * through the Hardhat Ignition modules in deploy/, which follow the same table.
 */
import type { BaseContract, Signer } from "ethers";

import type {
  AccessManager,
  AgentActionLog,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
  NodeRouting,
} from "../../types/ethers-contracts/index.js";
import {
  AccessManager__factory,
  AgentActionLog__factory,
  InferenceAnchor__factory,
  InferenceSettlement__factory,
  ModelRegistry__factory,
  NodeRouting__factory,
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

/**
 * Deploys and wires the suite from `deployer` (any ethers Signer with a provider: a Hardhat
 * signer, a Wallet on a JSON-RPC node). The deployer ends up holding nothing unless it is `admin`.
 * The bytecode comes from the compiled factories (types/ethers-contracts), so no Hardhat runtime
 * is needed.
 */
export async function deploySuite(
  deployer: Signer,
  holders: SuiteHolders,
  parameters: SuiteParameters = DEFAULT_PARAMETERS,
): Promise<Suite> {
  const deployerAddress = await deployer.getAddress();
  const deployed = async <T extends BaseContract>(pending: Promise<T>): Promise<T> => {
    const contract = await pending;
    await contract.waitForDeployment();
    return contract;
  };
  const manager = await deployed(new AccessManager__factory(deployer).deploy(deployerAddress));
  const registry = await deployed(
    new ModelRegistry__factory(deployer).deploy(
      await manager.getAddress(),
      parameters.promotionDelay,
      parameters.proposalGracePeriod,
    ),
  );
  const anchor = await deployed(
    new InferenceAnchor__factory(deployer).deploy(
      await manager.getAddress(),
      await registry.getAddress(),
      parameters.maxAnchorDelay,
    ),
  );
  // Before the settlement, which reads it (settleToRoutable).
  const routing = await deployed(
    new NodeRouting__factory(deployer).deploy(
      await registry.getAddress(),
      await anchor.getAddress(),
    ),
  );
  const settlement = await deployed(
    new InferenceSettlement__factory(deployer).deploy(
      await manager.getAddress(),
      await registry.getAddress(),
      await anchor.getAddress(),
      await routing.getAddress(),
      parameters.holdPeriod,
    ),
  );
  const actionLog = await deployed(
    new AgentActionLog__factory(deployer).deploy(
      await registry.getAddress(),
      await anchor.getAddress(),
    ),
  );

  const asAdmin = manager.connect(deployer);
  await wireTarget(asAdmin, registry, MODEL_REGISTRY_FUNCTION_ROLES);
  await wireTarget(asAdmin, anchor, INFERENCE_ANCHOR_FUNCTION_ROLES);
  await wireTarget(asAdmin, settlement, INFERENCE_SETTLEMENT_FUNCTION_ROLES);
  await configureRoles(asAdmin);
  await grantAll(asAdmin, "GOVERNOR", [holders.governor]);
  await grantAll(asAdmin, "GUARDIAN", [holders.guardian]);
  await grantAll(asAdmin, "PUBLISHER", holders.publishers);
  if (holders.admin.toLowerCase() !== deployerAddress.toLowerCase()) {
    await grantAll(asAdmin, "ADMIN", [holders.admin], parameters.promotionDelay);
    await (await asAdmin.renounceRole(Role.ADMIN, deployerAddress)).wait();
  }
  return { manager, registry, anchor, settlement, actionLog, routing };
}
