/**
 * Wiring of the AccessManager: function roles, labels, guardians and grants, from the one table in
 * roles.ts. Used by the tests and the local demo; the Ignition modules follow the same table.
 */
import type { BaseContract, ContractTransactionResponse, Interface } from "ethers";

import { GUARDED_ROLES, ROLE_LABELS, Role, type RoleName } from "./roles.js";

/** The AccessManager calls this module makes (a subset of OpenZeppelin's IAccessManager). */
export interface AccessManagerLike {
  setTargetFunctionRole(
    target: string,
    selectors: string[],
    roleId: bigint,
  ): Promise<ContractTransactionResponse>;
  labelRole(roleId: bigint, label: string): Promise<ContractTransactionResponse>;
  setRoleGuardian(roleId: bigint, guardian: bigint): Promise<ContractTransactionResponse>;
  grantRole(
    roleId: bigint,
    account: string,
    executionDelay: bigint | number,
  ): Promise<ContractTransactionResponse>;
}

/** The selectors of `functionRoles`, grouped by the role that may call them. */
export function selectorsByRole(
  iface: Interface,
  functionRoles: Record<string, RoleName>,
): Map<RoleName, string[]> {
  const byRole = new Map<RoleName, string[]>();
  for (const [name, role] of Object.entries(functionRoles)) {
    const fn = iface.getFunction(name);
    if (fn === null) throw new Error(`the contract has no function ${name}`);
    byRole.set(role, [...(byRole.get(role) ?? []), fn.selector]);
  }
  return byRole;
}

/** Gives each restricted function of `target` its role. The caller must hold ADMIN. */
export async function wireTarget(
  manager: AccessManagerLike,
  target: BaseContract,
  functionRoles: Record<string, RoleName>,
): Promise<void> {
  const address = await target.getAddress();
  for (const [role, selectors] of selectorsByRole(target.interface, functionRoles)) {
    await (await manager.setTargetFunctionRole(address, selectors, Role[role])).wait();
  }
}

/** Labels the suite's roles and makes GUARDIAN the role guardian of the guarded roles. */
export async function configureRoles(manager: AccessManagerLike): Promise<void> {
  for (const name of ["PUBLISHER", "GOVERNOR", "GUARDIAN"] as const) {
    await (await manager.labelRole(Role[name], ROLE_LABELS[name])).wait();
  }
  for (const name of GUARDED_ROLES) {
    await (await manager.setRoleGuardian(Role[name], Role.GUARDIAN)).wait();
  }
}

/** Grants `role` to each account, with the execution delay the role must carry. */
export async function grantAll(
  manager: AccessManagerLike,
  role: RoleName,
  accounts: string[],
  executionDelay: bigint | number = 0,
): Promise<void> {
  for (const account of accounts) {
    await (await manager.grantRole(Role[role], account, executionDelay)).wait();
  }
}
