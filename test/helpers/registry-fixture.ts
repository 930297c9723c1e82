import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import { configureRoles, grantAll, selectorsByRole, wireTarget } from "../../src/chain/access.js";
import { MODEL_REGISTRY_FUNCTION_ROLES, Role } from "../../src/chain/roles.js";
import type {
  AccessManager,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
} from "../../types/ethers-contracts/index.js";

export const PROMOTION_DELAY = 24n * 3600n;
export const GRACE_PERIOD = 2n * 24n * 3600n;

export interface RegistryFixture {
  manager: AccessManager;
  registry: ModelRegistry;
  /** Holds ADMIN with an execution delay equal to the promotion delay. */
  admin: HardhatEthersSigner;
  governor: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  publisher: HardhatEthersSigner;
  otherPublisher: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
}

/**
 * The registry wired as deployed: roles per the shared table, GUARDIAN guarding GOVERNOR and
 * PUBLISHER, ADMIN held by `admin` with an execution delay of the promotion delay, and the
 * deployer holding nothing.
 */
export async function deployRegistry(
  connection: NetworkConnection<"generic">,
): Promise<RegistryFixture> {
  const { ethers } = connection;
  const [deployer, admin, governor, guardian, publisher, otherPublisher, stranger] =
    await ethers.getSigners();
  const manager = (await ethers.deployContract("AccessManager", [
    deployer.address,
  ])) as unknown as AccessManager;
  const registry = (await ethers.deployContract("ModelRegistry", [
    await manager.getAddress(),
    PROMOTION_DELAY,
    GRACE_PERIOD,
  ])) as unknown as ModelRegistry;

  await wireTarget(manager, registry, MODEL_REGISTRY_FUNCTION_ROLES);
  await configureRoles(manager);
  await grantAll(manager, "GOVERNOR", [governor.address]);
  await grantAll(manager, "GUARDIAN", [guardian.address]);
  await grantAll(manager, "PUBLISHER", [publisher.address, otherPublisher.address]);
  await grantAll(manager, "ADMIN", [admin.address], PROMOTION_DELAY);
  await (await manager.renounceRole(Role.ADMIN, deployer.address)).wait();

  return { manager, registry, admin, governor, guardian, publisher, otherPublisher, stranger };
}

/**
 * Runs `calls` (calldata for the AccessManager itself) as the delayed ADMIN: schedules them all,
 * waits the admin's execution delay, and executes them.
 */
export async function asDelayedAdmin(
  connection: NetworkConnection<"generic">,
  f: RegistryFixture,
  calls: string[],
): Promise<void> {
  const target = await f.manager.getAddress();
  for (const data of calls) {
    await (await f.manager.connect(f.admin).schedule(target, data, 0)).wait();
  }
  await connection.networkHelpers.time.increase(PROMOTION_DELAY);
  for (const data of calls) {
    await (await f.manager.connect(f.admin).execute(target, data)).wait();
  }
}

/**
 * The AccessManager calls (for asDelayedAdmin) that give each restricted function of `target` its
 * role per `functionRoles`.
 */
export async function wiringCalls(
  f: RegistryFixture,
  target: InferenceAnchor | InferenceSettlement,
  functionRoles: Record<string, keyof typeof Role>,
): Promise<string[]> {
  const address = await target.getAddress();
  return [...selectorsByRole(target.interface, functionRoles)].map(([role, selectors]) =>
    f.manager.interface.encodeFunctionData("setTargetFunctionRole", [
      address,
      selectors,
      Role[role],
    ]),
  );
}
