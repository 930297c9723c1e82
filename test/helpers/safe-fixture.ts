/**
 * The suite governed by real Safe 1.5.0 multisigs, as it would be deployed:
 *
 * - a governance Safe, 2 of 3 owners, holding GOVERNOR and ADMIN (ADMIN with an execution delay
 *   of the promotion delay, so that its role changes wait like promotions do);
 * - a guardian Safe, 2 of 3 owners, holding GUARDIAN. Its owners are other people than the
 *   governance owners (separation of duties: no one key set both proposes and takes down), and it
 *   keeps a threshold of 2 even though it must act fast: a rollback marks a version Faulty for
 *   good, which one stolen key should not be able to do. Two of three owners reachable in an
 *   emergency is the price of that.
 * - a publisher EOA (PUBLISHER, and publisher of the model).
 *
 * State: MODEL_ID created by the governance Safe, versions 1 to 3 registered by the publisher,
 * v1 then v2 promoted (proposed by the governance Safe, activated by a stranger after the delay):
 * v1 Retired, v2 live, v3 Registered.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroAddress, type Interface } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { DEFAULT_PARAMETERS, deploySuite, type Suite } from "../../src/deploy/deploy-local.js";
import {
  createSafe,
  deploySafeInfrastructure,
  safeExec,
  type SafeInfrastructure,
} from "../../src/governance/safe.js";
import { MODEL_ID, ProofMask, blobOf, uriOf, weightsOf } from "./registry-actions.js";

export const PROMOTION_DELAY = DEFAULT_PARAMETERS.promotionDelay;

/** A Safe and the signers of its owners (in the order they were given at creation). */
export interface SafeAccount {
  address: string;
  owners: HardhatEthersSigner[];
  threshold: bigint;
}

export interface SafeGovernanceFixture extends Suite {
  deployer: HardhatEthersSigner;
  infra: SafeInfrastructure;
  governance: SafeAccount;
  guardian: SafeAccount;
  publisher: HardhatEthersSigner;
  /** Holds nothing and owns no Safe. */
  stranger: HardhatEthersSigner;
  /** The governance Safe makes `registry.<fn>(...args)`. */
  governanceCalls(fn: string, args: unknown[]): ReturnType<typeof safeExec>;
  /** The guardian Safe makes `registry.<fn>(...args)`. */
  guardianCalls(fn: string, args: unknown[]): ReturnType<typeof safeExec>;
  /** The governance Safe proposes `version`, then the stranger activates it after the delay. */
  promote(version: bigint): Promise<void>;
}

/** Deploys the Safes and the suite and brings MODEL_ID to "v1 Retired, v2 live, v3 Registered". */
export async function deploySafeGovernance(
  connection: NetworkConnection<"generic">,
): Promise<SafeGovernanceFixture> {
  const { ethers, networkHelpers } = connection;
  const signers = await ethers.getSigners();
  const [deployer, gov1, gov2, gov3, grd1, grd2, grd3, publisher, stranger] = signers;

  const infra = await deploySafeInfrastructure(deployer);
  const makeSafe = async (
    owners: HardhatEthersSigner[],
    threshold: bigint,
    saltNonce: bigint,
  ): Promise<SafeAccount> => {
    const addresses = owners.map((o) => o.address);
    const address = await createSafe(deployer, infra, addresses, threshold, saltNonce);
    return { address, owners, threshold };
  };
  const governance = await makeSafe([gov1, gov2, gov3], 2n, 1n);
  const guardian = await makeSafe([grd1, grd2, grd3], 2n, 2n);

  const suite = await deploySuite(deployer, {
    governor: governance.address,
    guardian: guardian.address,
    admin: governance.address,
    publishers: [publisher.address],
  });
  const { registry } = suite;
  const registryAddress = await registry.getAddress();

  const calls = (safe: SafeAccount) => (fn: string, args: unknown[]) =>
    safeExec(safe.address, safe.owners, {
      to: registryAddress,
      data: (registry.interface as Interface).encodeFunctionData(fn, args),
    });
  const governanceCalls = calls(governance);
  const guardianCalls = calls(guardian);

  async function promote(version: bigint): Promise<void> {
    await governanceCalls("propose", [MODEL_ID, version]);
    const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
    await networkHelpers.time.setNextBlockTimestamp(earliestActivation);
    await (await registry.connect(stranger).activate(MODEL_ID)).wait();
  }

  await governanceCalls("createModel", [MODEL_ID, [publisher.address]]);
  for (let n = 1n; n <= 3n; n++) {
    await (
      await registry
        .connect(publisher)
        .registerVersion(
          MODEL_ID,
          blobOf(MODEL_ID, n),
          weightsOf(MODEL_ID, n),
          uriOf(MODEL_ID, n),
          ProofMask.TEE,
          ZeroAddress,
        )
    ).wait();
  }
  await promote(1n);
  await promote(2n);

  return {
    ...suite,
    deployer,
    infra,
    governance,
    guardian,
    publisher,
    stranger,
    governanceCalls,
    guardianCalls,
    promote,
  };
}
