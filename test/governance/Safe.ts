/**
 * Governance by real Safe 1.5.0 multisigs (the audited artifacts of @safe-global/safe-smart-account):
 * the governance Safe (2 of 3) holds GOVERNOR and ADMIN (with an execution delay), the guardian
 * Safe (2 of 3, other owners) holds GUARDIAN. See test/helpers/safe-fixture.ts.
 */
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { AbiCoder, Interface, concat, getAddress, id, type TransactionReceipt } from "ethers";
import { network } from "hardhat";

import { Role } from "../../src/chain/roles.js";
import {
  SAFE_ERROR_CODES,
  approvedHashSignature,
  buildSafeTransaction,
  deploySafeInfrastructure,
  describeRevertData,
  describeSafeError,
  encodeSignatures,
  execSafeTransaction,
  loadSafeArtifacts,
  readSafeState,
  safeAt,
  safeExec,
  safeTxHash,
  signSafeTransaction,
  simulateFromSafe,
  type SafeSignature,
  type SafeTransaction,
} from "../../src/governance/safe.js";
import {
  CancelReason,
  Disposition,
  MODEL_ID,
  REASON_HASH,
  REASON_URI,
  VersionStatus,
  incidentRecord,
} from "../helpers/registry-actions.js";
import {
  PROMOTION_DELAY,
  deploySafeGovernance,
  type SafeAccount,
} from "../helpers/safe-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

/** The storage slot of a Safe's fallback handler: keccak256("fallback_manager.handler.address"). */
const FALLBACK_HANDLER_SLOT = id("fallback_manager.handler.address");

async function safeGovernanceFixture() {
  return deploySafeGovernance(connection);
}

function loadFixture() {
  return networkHelpers.loadFixture(safeGovernanceFixture);
}

type Fixture = Awaited<ReturnType<typeof safeGovernanceFixture>>;

/** The Safe transaction of `safe` at its current nonce calling `registry.<fn>(...args)`. */
async function registryTx(
  f: Fixture,
  safe: SafeAccount,
  fn: string,
  args: unknown[],
): Promise<SafeTransaction> {
  const { nonce } = await readSafeState(ethers.provider, safe.address);
  return buildSafeTransaction({
    to: await f.registry.getAddress(),
    data: (f.registry.interface as Interface).encodeFunctionData(fn, args),
    nonce,
  });
}

/** The timestamp of the block that holds `receipt`. */
async function minedAt(receipt: Promise<TransactionReceipt>): Promise<bigint> {
  const block = await ethers.provider.getBlock((await receipt).blockNumber);
  if (block === null) throw new Error("no block");
  return BigInt(block.timestamp);
}

/** The error `promise` rejects with (the test fails if it resolves). */
async function caught(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the promise resolved").to.be.instanceOf(Error);
  return error as Error;
}

/** The message of the error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<string> {
  return (await caught(promise)).message;
}

async function chainId(): Promise<bigint> {
  return (await ethers.provider.getNetwork()).chainId;
}

/** Each of `signers` signs `tx` for `safe`. */
async function signAll(
  safe: SafeAccount,
  tx: SafeTransaction,
  signers: Fixture["stranger"][],
): Promise<SafeSignature[]> {
  const id = await chainId();
  return Promise.all(signers.map((s) => signSafeTransaction(s, safe.address, id, tx)));
}

describe("Safe governance (Safe 1.5.0 multisigs)", function () {
  describe("the Safe library", function () {
    it("creates Safes of version 1.5.0 on the SafeL2 singleton with the given owners, threshold and fallback handler", async function () {
      const f = await loadFixture();
      for (const safe of [f.governance, f.guardian]) {
        const contract = safeAt(safe.address, ethers.provider);
        expect(await contract.VERSION()).to.equal("1.5.0");
        expect(await readSafeState(ethers.provider, safe.address)).to.deep.equal({
          owners: safe.owners.map((o) => o.address),
          threshold: 2n,
          nonce: safe === f.governance ? 3n : 0n, // createModel, propose v1, propose v2
        });
        // The proxy's slot 0 is its singleton.
        const singleton = await ethers.provider.getStorage(safe.address, 0);
        expect(getAddress("0x" + singleton.slice(26))).to.equal(f.infra.singleton);
        const handler = await ethers.provider.getStorage(safe.address, FALLBACK_HANDLER_SLOT);
        expect(getAddress("0x" + handler.slice(26))).to.equal(f.infra.fallbackHandler);
      }
      // The singleton runs the package's audited SafeL2 bytecode, not a recompilation.
      expect(await ethers.provider.getCode(f.infra.singleton)).to.equal(
        loadSafeArtifacts().safe.deployedBytecode,
      );
    });

    it("computes the same transaction hash as the Safe's getTransactionHash", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const onChain = await safeAt(f.governance.address, ethers.provider).getTransactionHash(
        tx.to,
        tx.value,
        tx.data,
        tx.operation,
        tx.safeTxGas,
        tx.baseGas,
        tx.gasPrice,
        tx.gasToken,
        tx.refundReceiver,
        tx.nonce,
      );
      expect(safeTxHash(f.governance.address, await chainId(), tx)).to.equal(onChain);
    });

    it("executes signatures given in any order, sorted by owner address, and emits SafeL2's execution events", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const sigs = await signAll(f.governance, tx, [
        f.governance.owners[2],
        f.governance.owners[0],
      ]);
      const safe = safeAt(f.governance.address, ethers.provider);
      const hash = safeTxHash(f.governance.address, await chainId(), tx);
      await expect(execSafeTransaction(f.stranger, f.governance.address, tx, sigs.reverse()))
        .to.emit(safe, "ExecutionSuccess")
        .withArgs(hash, 0n)
        .and.to.emit(safe, "SafeMultiSigTransaction")
        .and.to.emit(f.registry, "VersionProposed");
      expect((await f.registry.pendingProposal(MODEL_ID)).version).to.equal(3n);
    });

    it("lets the owner who executes count as a signer through a pre-validated signature, and no one else", async function () {
      const f = await loadFixture();
      const [owner0, owner1] = f.governance.owners;
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const [sig1] = await signAll(f.governance, tx, [owner1]);
      const sigs = [approvedHashSignature(owner0.address), sig1];

      await expect(
        execSafeTransaction(f.stranger, f.governance.address, tx, sigs),
      ).to.be.revertedWith("GS025");
      await expect(execSafeTransaction(owner0, f.governance.address, tx, sigs)).to.emit(
        f.registry,
        "VersionProposed",
      );
    });

    it("previews a call as the Safe would make it, without signatures and without using a nonce", async function () {
      const f = await loadFixture();
      const registryAddress = await f.registry.getAddress();
      const data = f.registry.interface.encodeFunctionData("propose", [MODEL_ID, 3n]);
      const interfaces = [f.registry.interface, f.manager.interface];

      expect(
        await simulateFromSafe(ethers.provider, f.governance.address, registryAddress, data, {
          interfaces,
        }),
      ).to.deep.equal({ success: true, returnData: "0x" });
      expect(
        await simulateFromSafe(ethers.provider, f.guardian.address, registryAddress, data, {
          interfaces,
        }),
      ).to.deep.include({
        success: false,
        reason: `AccessManagedUnauthorized(${f.guardian.address})`,
      });

      expect((await readSafeState(ethers.provider, f.governance.address)).nonce).to.equal(3n);
      expect((await f.registry.pendingProposal(MODEL_ID)).version).to.equal(0n);
    });

    it("describes Safe revert codes and the target's custom errors in words", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const [one] = await signAll(f.governance, tx, [f.governance.owners[0]]);
      const error = await caught(execSafeTransaction(f.stranger, f.governance.address, tx, [one]));
      expect(describeSafeError(error)).to.equal(`GS020: ${SAFE_ERROR_CODES.GS020}`);
      expect(SAFE_ERROR_CODES.GS020).to.match(/signatures data too short/);
      expect(SAFE_ERROR_CODES.GS026).to.match(/invalid owner provided/);
      expect(SAFE_ERROR_CODES.GS013).to.match(/failed/);

      const gs026 = concat([
        "0x08c379a0",
        AbiCoder.defaultAbiCoder().encode(["string"], ["GS026"]),
      ]);
      expect(describeRevertData(gs026)).to.equal(`GS026: ${SAFE_ERROR_CODES.GS026}`);

      const unauthorized = await caught(
        safeExec(f.guardian.address, f.guardian.owners, {
          to: await f.registry.getAddress(),
          data: f.registry.interface.encodeFunctionData("propose", [MODEL_ID, 3n]),
        }),
      );
      expect(describeSafeError(unauthorized, [f.registry.interface])).to.equal(
        `AccessManagedUnauthorized(${f.guardian.address})`,
      );
    });

    it("refuses to deploy its own Safe singleton on a chain that is not a local one", async function () {
      const sepolia = await network.create({ override: { chainId: 11155111 } });
      try {
        const [signer] = await sepolia.ethers.getSigners();
        expect(await rejection(deploySafeInfrastructure(signer))).to.match(
          /local chains; chain 11155111 must use the canonical Safe 1\.5\.0 deployments/,
        );
      } finally {
        await sepolia.close();
      }
    });
  });

  describe("signatures", function () {
    it("rejects fewer signatures than the threshold with GS020 and executes nothing", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const sigs = await signAll(f.governance, tx, [f.governance.owners[0]]);

      await expect(
        execSafeTransaction(f.governance.owners[0], f.governance.address, tx, sigs),
      ).to.be.revertedWith("GS020");
      expect((await readSafeState(ethers.provider, f.governance.address)).nonce).to.equal(tx.nonce);
      expect((await f.registry.pendingProposal(MODEL_ID)).version).to.equal(0n);
      expect((await f.registry.getVersion(MODEL_ID, 3n)).status).to.equal(VersionStatus.Registered);
    });

    it("rejects the guardian Safe's single signature with GS020 and keeps v2 live", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.guardian, "rollback", [
        MODEL_ID,
        2n,
        1n,
        Disposition.Faulty,
        REASON_HASH,
        REASON_URI,
      ]);
      const sigs = await signAll(f.guardian, tx, [f.guardian.owners[1]]);

      await expect(
        execSafeTransaction(f.guardian.owners[1], f.guardian.address, tx, sigs),
      ).to.be.revertedWith("GS020");
      const [version] = await f.registry.live(MODEL_ID);
      expect(version).to.equal(2n);
      expect(await f.registry.incidentCount()).to.equal(0n);
    });

    it("rejects threshold signatures that are not sorted by owner address with GS026 and executes nothing", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const sigs = await signAll(f.governance, tx, f.governance.owners.slice(0, 2));
      const descending = [...sigs].sort((a, b) => (BigInt(a.signer) > BigInt(b.signer) ? -1 : 1));
      const wrongOrder = descending
        .map((s) => s.data)
        .join("")
        .replaceAll("0x", "");

      await expect(
        execSafeTransaction(f.stranger, f.governance.address, tx, "0x" + wrongOrder),
      ).to.be.revertedWith("GS026");
      expect((await readSafeState(ethers.provider, f.governance.address)).nonce).to.equal(tx.nonce);
      expect((await f.registry.pendingProposal(MODEL_ID)).version).to.equal(0n);

      // The same signatures in ascending order go through.
      await expect(
        execSafeTransaction(f.stranger, f.governance.address, tx, encodeSignatures(descending)),
      ).to.emit(f.registry, "VersionProposed");
    });

    it("rejects a signature by an account that is not an owner with GS026", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const sigs = await signAll(f.governance, tx, [f.governance.owners[0], f.stranger]);

      await expect(
        execSafeTransaction(f.stranger, f.governance.address, tx, sigs),
      ).to.be.revertedWith("GS026");
      expect((await f.registry.pendingProposal(MODEL_ID)).version).to.equal(0n);
    });

    it("rejects the governance Safe's transaction signed by the guardian Safe's owners with GS026", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const sigs = await signAll(f.governance, tx, f.guardian.owners.slice(0, 2));

      await expect(
        execSafeTransaction(f.stranger, f.governance.address, tx, sigs),
      ).to.be.revertedWith("GS026");
      expect(
        await rejection(
          safeExec(f.governance.address, f.guardian.owners, { to: tx.to, data: tx.data }),
        ),
      ).to.match(/needs 2 owner signatures; 0 of the given signers are owners/);
    });

    it("rejects one owner's signature given twice with GS026", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const [sig] = await signAll(f.governance, tx, [f.governance.owners[0]]);

      await expect(
        execSafeTransaction(f.stranger, f.governance.address, tx, [sig, sig]),
      ).to.be.revertedWith("GS026");
    });

    it("rejects a replay of executed signatures, which signed a used nonce, with GS026", async function () {
      const f = await loadFixture();
      const tx = await registryTx(f, f.governance, "propose", [MODEL_ID, 3n]);
      const sigs = await signAll(f.governance, tx, f.governance.owners.slice(0, 2));
      await (await execSafeTransaction(f.stranger, f.governance.address, tx, sigs)).wait();
      await f.guardianCalls("cancelProposal", [MODEL_ID]);

      await expect(
        execSafeTransaction(f.stranger, f.governance.address, tx, sigs),
      ).to.be.revertedWith("GS026");
      expect((await f.registry.pendingProposal(MODEL_ID)).version).to.equal(0n);
    });
  });

  describe("the guardian Safe", function () {
    it("rolls back at once with its threshold of signatures, and the incident records the Safe", async function () {
      const f = await loadFixture();
      const args = [MODEL_ID, 2n, 1n, Disposition.Faulty, REASON_HASH, REASON_URI];
      const receipt = f.guardianCalls("rollback", args);

      await expect(receipt)
        .to.emit(f.registry, "RolledBack")
        .withArgs(MODEL_ID, 2n, 1n, 1n, Disposition.Faulty, f.guardian.address);
      // No delay: the rollback took effect in the block of the Safe transaction.
      expect(incidentRecord(await f.registry.getIncident(1n))).to.deep.include({
        by: f.guardian.address,
        at: await minedAt(receipt),
        version: 2n,
        target: 1n,
        disposition: Disposition.Faulty,
        reasonHash: REASON_HASH,
        reasonURI: REASON_URI,
      });
      const [version] = await f.registry.live(MODEL_ID);
      expect(version).to.equal(1n);
      expect((await f.registry.getVersion(MODEL_ID, 2n)).status).to.equal(VersionStatus.Faulty);
    });

    it("cancels a pending proposal of the governance Safe", async function () {
      const f = await loadFixture();
      await f.governanceCalls("propose", [MODEL_ID, 3n]);

      await expect(f.guardianCalls("cancelProposal", [MODEL_ID]))
        .to.emit(f.registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 3n, f.guardian.address, CancelReason.Guardian);
      expect((await f.registry.pendingProposal(MODEL_ID)).version).to.equal(0n);
      expect((await f.registry.getVersion(MODEL_ID, 3n)).status).to.equal(VersionStatus.Registered);
    });

    it("cannot call the governor's functions (AccessManagedUnauthorized of the Safe)", async function () {
      const f = await loadFixture();
      for (const [fn, args] of [
        ["propose", [MODEL_ID, 3n]],
        ["createModel", [id("model:other"), []]],
        ["setPublisher", [MODEL_ID, f.stranger.address, true]],
      ] as const) {
        await expect(f.guardianCalls(fn, [...args]))
          .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
          .withArgs(f.guardian.address);
      }
      expect((await readSafeState(ethers.provider, f.guardian.address)).nonce).to.equal(0n);
    });
  });

  describe("the governance Safe", function () {
    it("proposes a promotion that no one can activate before the delay and that a stranger activates after it", async function () {
      const f = await loadFixture();
      const proposal = f.governanceCalls("propose", [MODEL_ID, 3n]);
      await expect(proposal)
        .to.emit(f.registry, "VersionProposed")
        .withArgs(MODEL_ID, 3n, f.governance.address, anyValue, anyValue);
      const proposed = await minedAt(proposal);
      const { earliestActivation } = await f.registry.pendingProposal(MODEL_ID);
      expect(earliestActivation).to.equal(proposed + PROMOTION_DELAY);

      await networkHelpers.time.setNextBlockTimestamp(earliestActivation - 1n);
      await expect(f.registry.connect(f.stranger).activate(MODEL_ID))
        .to.be.revertedWithCustomError(f.registry, "ModelRegistryActivationTooEarly")
        .withArgs(MODEL_ID, 3n, earliestActivation);
      // Nor can the Safe that proposed it.
      await networkHelpers.time.setNextBlockTimestamp(earliestActivation - 1n);
      await expect(f.governanceCalls("activate", [MODEL_ID]))
        .to.be.revertedWithCustomError(f.registry, "ModelRegistryActivationTooEarly")
        .withArgs(MODEL_ID, 3n, earliestActivation);

      await networkHelpers.time.setNextBlockTimestamp(earliestActivation);
      await expect(f.registry.connect(f.stranger).activate(MODEL_ID))
        .to.emit(f.registry, "VersionActivated")
        .withArgs(MODEL_ID, 3n, 3n, f.stranger.address);
      const [version] = await f.registry.live(MODEL_ID);
      expect(version).to.equal(3n);
    });

    it("cannot call the guardian's functions (AccessManagedUnauthorized of the Safe)", async function () {
      const f = await loadFixture();
      await f.governanceCalls("propose", [MODEL_ID, 3n]);
      for (const [fn, args] of [
        ["rollback", [MODEL_ID, 2n, 1n, Disposition.Faulty, REASON_HASH, REASON_URI]],
        ["cancelProposal", [MODEL_ID]],
        ["pause", [MODEL_ID]],
        ["revoke", [MODEL_ID, 3n, Disposition.Withdrawn, REASON_HASH, REASON_URI]],
      ] as const) {
        await expect(f.governanceCalls(fn, [...args]))
          .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
          .withArgs(f.governance.address);
      }
      expect((await f.registry.pendingProposal(MODEL_ID)).version).to.equal(3n);
    });

    it("changes a role only after ADMIN's execution delay: scheduled, not ready before the delay, executed after it", async function () {
      const f = await loadFixture();
      const [, , , , , , , , , newPublisher] = await ethers.getSigners();
      const managerAddress = await f.manager.getAddress();
      const grant = f.manager.interface.encodeFunctionData("grantRole", [
        Role.PUBLISHER,
        newPublisher.address,
        0n,
      ]);
      const operationId = await f.manager.hashOperation(
        f.governance.address,
        managerAddress,
        grant,
      );
      const managerCall = (fn: string, args: unknown[]) =>
        safeExec(f.governance.address, f.governance.owners, {
          to: managerAddress,
          data: (f.manager.interface as Interface).encodeFunctionData(fn, args),
        });

      const scheduled = managerCall("schedule", [managerAddress, grant, 0n]);
      await expect(scheduled)
        .to.emit(f.manager, "OperationScheduled")
        .withArgs(operationId, 1n, anyValue, f.governance.address, managerAddress, grant);
      const readyAt = (await minedAt(scheduled)) + PROMOTION_DELAY;
      expect(await f.manager.getSchedule(operationId)).to.equal(readyAt);

      await networkHelpers.time.setNextBlockTimestamp(readyAt - 1n);
      await expect(managerCall("execute", [managerAddress, grant]))
        .to.be.revertedWithCustomError(f.manager, "AccessManagerNotReady")
        .withArgs(operationId);
      const [isPublisher] = await f.manager.hasRole(Role.PUBLISHER, newPublisher.address);
      expect(isPublisher).to.equal(false);

      await networkHelpers.time.setNextBlockTimestamp(readyAt);
      await expect(managerCall("execute", [managerAddress, grant]))
        .to.emit(f.manager, "OperationExecuted")
        .withArgs(operationId, 1n)
        .and.to.emit(f.manager, "RoleGranted");
      const [granted] = await f.manager.hasRole(Role.PUBLISHER, newPublisher.address);
      expect(granted).to.equal(true);
    });

    it("cannot change a role by calling grantRole directly without scheduling it (AccessManagerNotScheduled)", async function () {
      const f = await loadFixture();
      const [, , , , , , , , , newPublisher] = await ethers.getSigners();
      const managerAddress = await f.manager.getAddress();
      const grant = f.manager.interface.encodeFunctionData("grantRole", [
        Role.PUBLISHER,
        newPublisher.address,
        0n,
      ]);
      const operationId = await f.manager.hashOperation(
        f.governance.address,
        managerAddress,
        grant,
      );

      await expect(
        safeExec(f.governance.address, f.governance.owners, { to: managerAddress, data: grant }),
      )
        .to.be.revertedWithCustomError(f.manager, "AccessManagerNotScheduled")
        .withArgs(operationId);
      const [isPublisher] = await f.manager.hasRole(Role.PUBLISHER, newPublisher.address);
      expect(isPublisher).to.equal(false);
    });
  });

  describe("the owners of the Safes", function () {
    it("cannot call the registry or the manager directly with their own keys", async function () {
      const f = await loadFixture();
      const [govOwner] = f.governance.owners;
      const [guardianOwner] = f.guardian.owners;

      await expect(f.registry.connect(govOwner).propose(MODEL_ID, 3n))
        .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
        .withArgs(govOwner.address);
      await expect(
        f.registry
          .connect(guardianOwner)
          .rollback(MODEL_ID, 2n, 1n, Disposition.Faulty, REASON_HASH, REASON_URI),
      )
        .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
        .withArgs(guardianOwner.address);
      await expect(f.registry.connect(guardianOwner).cancelProposal(MODEL_ID))
        .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
        .withArgs(guardianOwner.address);
      await expect(f.manager.connect(govOwner).grantRole(Role.GOVERNOR, govOwner.address, 0n))
        .to.be.revertedWithCustomError(f.manager, "AccessManagerUnauthorizedAccount")
        .withArgs(govOwner.address, Role.ADMIN);
      const [version] = await f.registry.live(MODEL_ID);
      expect(version).to.equal(2n);
    });
  });
});
