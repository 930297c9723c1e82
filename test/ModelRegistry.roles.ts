import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";

import {
  GUARDED_ROLES,
  MODEL_REGISTRY_FUNCTION_ROLES,
  Role,
  type RoleName,
} from "../src/chain/roles.js";
import type { RolesHarness } from "../types/ethers-contracts/index.js";
import {
  Disposition,
  MODEL_ID,
  OTHER_MODEL_ID,
  ProofMask,
  REASON_HASH,
  REASON_URI,
  blobOf,
  mined,
  registryActions,
  uriOf,
  weightsOf,
} from "./helpers/registry-actions.js";
import { GRACE_PERIOD, PROMOTION_DELAY, deployRegistry } from "./helpers/registry-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

/**
 * The registry as deployed, MODEL_ID with `publisher` as its publisher, versions 1 to 3
 * registered, v1 Retired and v2 live: every restricted function has a call that succeeds.
 */
async function fixture() {
  const f = await deployRegistry(connection);
  const [deployer] = await ethers.getSigners();
  await (await f.registry.connect(f.governor).createModel(MODEL_ID, [f.publisher.address])).wait();
  const act = registryActions(connection, f);
  await act.register(MODEL_ID, 3);
  await act.promoteAll(MODEL_ID, [1n, 2n]);
  const harness = (await ethers.deployContract("RolesHarness")) as unknown as RolesHarness;
  return { ...f, act, deployer, harness };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

function loadFixture(): Promise<Fixture> {
  return networkHelpers.loadFixture(fixture);
}

type RestrictedFunction = keyof typeof MODEL_REGISTRY_FUNCTION_ROLES;

interface RestrictedCall {
  /** Brings the registry into a state where the call succeeds for an allowed caller. */
  prepare?: (f: Fixture) => Promise<unknown>;
  args: (f: Fixture) => unknown[];
  /** An event the successful call emits. */
  emits: string;
}

/** One successful call of each restricted function (a missing function fails to compile). */
const CALLS = {
  createModel: { args: () => [OTHER_MODEL_ID, []], emits: "ModelCreated" },
  setPublisher: {
    args: (f) => [MODEL_ID, f.otherPublisher.address, true],
    emits: "PublisherSet",
  },
  propose: { args: () => [MODEL_ID, 3n], emits: "VersionProposed" },
  setPromotionDelay: {
    args: () => [PROMOTION_DELAY * 2n],
    emits: "PromotionDelayChangeScheduled",
  },
  setProposalGracePeriod: { args: () => [GRACE_PERIOD * 2n], emits: "ProposalGracePeriodSet" },
  registerVersion: {
    args: () => [
      MODEL_ID,
      blobOf(MODEL_ID, 4),
      weightsOf(MODEL_ID, 4),
      uriOf(MODEL_ID, 4),
      ProofMask.TEE,
      ZeroAddress,
    ],
    emits: "VersionRegistered",
  },
  cancelProposal: {
    prepare: (f) => f.registry.connect(f.governor).propose(MODEL_ID, 3n),
    args: () => [MODEL_ID],
    emits: "ProposalCancelled",
  },
  rollback: {
    args: () => [MODEL_ID, 2n, 1n, Disposition.Faulty, REASON_HASH, REASON_URI],
    emits: "RolledBack",
  },
  revoke: {
    args: () => [MODEL_ID, 3n, Disposition.Withdrawn, REASON_HASH, REASON_URI],
    emits: "VersionRevoked",
  },
  pause: { args: () => [MODEL_ID], emits: "ModelPaused" },
  resume: {
    prepare: (f) => f.registry.connect(f.guardian).pause(MODEL_ID),
    args: () => [MODEL_ID],
    emits: "ModelResumed",
  },
} satisfies Record<RestrictedFunction, RestrictedCall>;

const ACCOUNTS = [
  "admin",
  "governor",
  "guardian",
  "publisher",
  "otherPublisher",
  "stranger",
] as const;
type Account = (typeof ACCOUNTS)[number];

/** The role each fixture account holds in the AccessManager. */
const HELD: Record<Account, RoleName | null> = {
  admin: "ADMIN",
  governor: "GOVERNOR",
  guardian: "GUARDIAN",
  publisher: "PUBLISHER",
  otherPublisher: "PUBLISHER",
  stranger: null,
};

/** Sends the call of `fn` from `signer`, after its preparation. */
async function callAs(f: Fixture, fn: RestrictedFunction, signer: HardhatEthersSigner) {
  const call: RestrictedCall = CALLS[fn];
  if (call.prepare !== undefined) await call.prepare(f);
  return f.registry.connect(signer).getFunction(fn)(...call.args(f));
}

/** Schedules `data` on `target` as `caller` and returns the operation id and when it is due. */
async function schedule(f: Fixture, caller: HardhatEthersSigner, target: string, data: string) {
  const operationId = await f.manager.hashOperation(caller.address, target, data);
  const tx = await f.manager.connect(caller).schedule(target, data, 0);
  await mined(tx);
  const due = await f.manager.getSchedule(operationId);
  return { tx, operationId, due };
}

/** ADMIN grants `role` to `account` with `executionDelay`, waiting ADMIN's execution delay. */
async function adminGrant(f: Fixture, role: bigint, account: string, executionDelay: bigint) {
  const managerAddress = await f.manager.getAddress();
  const data = f.manager.interface.encodeFunctionData("grantRole", [role, account, executionDelay]);
  const { due } = await schedule(f, f.admin, managerAddress, data);
  await f.act.nextBlockAt(due);
  await (await f.manager.connect(f.admin).execute(managerAddress, data)).wait();
}

describe("ModelRegistry roles", function () {
  describe("role ids", function () {
    it("are the same in contracts/libraries/Roles.sol and src/chain/roles.ts", async function () {
      const { harness, manager } = await loadFixture();
      expect(await harness.admin()).to.equal(Role.ADMIN);
      expect(await harness.publisher()).to.equal(Role.PUBLISHER);
      expect(await harness.governor()).to.equal(Role.GOVERNOR);
      expect(await harness.guardian()).to.equal(Role.GUARDIAN);
      expect(await manager.ADMIN_ROLE()).to.equal(Role.ADMIN);
    });

    it("are distinct and none is the AccessManager's PUBLIC_ROLE", async function () {
      const { manager } = await loadFixture();
      const ids = Object.values(Role);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(ids).not.to.include(await manager.PUBLIC_ROLE());
    });
  });

  describe("wiring", function () {
    it("gives each restricted function the role of the shared table", async function () {
      const { manager, registry } = await loadFixture();
      const target = await registry.getAddress();
      for (const [fn, role] of Object.entries(MODEL_REGISTRY_FUNCTION_ROLES)) {
        const selector = registry.interface.getFunction(fn as RestrictedFunction).selector;
        expect(await manager.getTargetFunctionRole(target, selector)).to.equal(
          Role[role],
          `${fn} should require ${role}`,
        );
      }
    });

    it("lists every state-changing function of the registry except activate and setAuthority", async function () {
      const { registry } = await loadFixture();
      const stateChanging: string[] = [];
      registry.interface.forEachFunction((fn) => {
        if (!fn.constant) stateChanging.push(fn.name);
      });
      expect(
        stateChanging.filter((name) => name !== "activate" && name !== "setAuthority"),
      ).to.have.members(Object.keys(MODEL_REGISTRY_FUNCTION_ROLES));
    });

    it("holds the roles as deployed: ADMIN with its execution delay, the deployer without ADMIN", async function () {
      const { manager, admin, governor, guardian, publisher, otherPublisher, stranger, deployer } =
        await loadFixture();
      expect(await manager.hasRole(Role.ADMIN, admin.address)).to.deep.equal([
        true,
        PROMOTION_DELAY,
      ]);
      expect(await manager.hasRole(Role.ADMIN, deployer.address)).to.deep.equal([false, 0n]);
      expect(await manager.hasRole(Role.GOVERNOR, governor.address)).to.deep.equal([true, 0n]);
      expect(await manager.hasRole(Role.GUARDIAN, guardian.address)).to.deep.equal([true, 0n]);
      for (const account of [publisher, otherPublisher]) {
        expect(await manager.hasRole(Role.PUBLISHER, account.address)).to.deep.equal([true, 0n]);
      }
      for (const role of [Role.ADMIN, Role.GOVERNOR, Role.GUARDIAN, Role.PUBLISHER]) {
        expect((await manager.hasRole(role, stranger.address))[0]).to.equal(false);
      }
    });

    it("makes GUARDIAN the guardian of the guarded roles, and leaves ADMIN guarded by itself", async function () {
      const { manager } = await loadFixture();
      expect(GUARDED_ROLES).to.have.members(["GOVERNOR", "PUBLISHER"]);
      for (const name of GUARDED_ROLES) {
        expect(await manager.getRoleGuardian(Role[name])).to.equal(Role.GUARDIAN);
      }
      expect(await manager.getRoleGuardian(Role.ADMIN)).to.equal(Role.ADMIN);
      expect(await manager.getRoleGuardian(Role.GUARDIAN)).to.equal(Role.ADMIN);
    });
  });

  describe("restricted functions", function () {
    for (const [fn, role] of Object.entries(MODEL_REGISTRY_FUNCTION_ROLES) as Array<
      [RestrictedFunction, RoleName]
    >) {
      for (const account of ACCOUNTS) {
        if (HELD[account] === role) continue;
        it(`rejects ${fn} from the ${account} with AccessManagedUnauthorized`, async function () {
          const f = await loadFixture();
          const signer = f[account];
          await expect(callAs(f, fn, signer))
            .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
            .withArgs(signer.address);
        });
      }

      const allowed = ACCOUNTS.filter((a) => HELD[a] === role && a !== "otherPublisher");
      for (const account of allowed) {
        it(`lets the ${account} (${role}) call ${fn}`, async function () {
          const f = await loadFixture();
          await expect(callAs(f, fn, f[account])).to.emit(f.registry, CALLS[fn].emits);
        });
      }
    }

    it("stops a PUBLISHER that is not a publisher of the model in the registry, after the AccessManager", async function () {
      const f = await loadFixture();
      await expect(callAs(f, "registerVersion", f.otherPublisher))
        .to.be.revertedWithCustomError(f.registry, "ModelRegistryUnauthorizedPublisher")
        .withArgs(MODEL_ID, f.otherPublisher.address);
    });

    it("lets any account activate a due proposal, since activate is not restricted", async function () {
      const { registry, governor, stranger, act } = await loadFixture();
      await registry.connect(governor).propose(MODEL_ID, 3);
      await act.nextBlockAt((await registry.pendingProposal(MODEL_ID)).earliestActivation);
      await expect(registry.connect(stranger).activate(MODEL_ID))
        .to.emit(registry, "VersionActivated")
        .withArgs(MODEL_ID, 3n, 3n, stranger.address);
    });

    it("lets only the AccessManager change the registry's authority", async function () {
      const { registry, manager, admin, governor, stranger } = await loadFixture();
      for (const signer of [admin, governor, stranger]) {
        await expect(registry.connect(signer).setAuthority(stranger.address))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(signer.address);
      }
      expect(await registry.authority()).to.equal(await manager.getAddress());
    });
  });

  describe("ADMIN's execution delay", function () {
    it("makes a role grant wait: unscheduled and early executions revert, a due one succeeds", async function () {
      const f = await loadFixture();
      const { manager, registry, admin, stranger } = f;
      const managerAddress = await manager.getAddress();
      const data = manager.interface.encodeFunctionData("grantRole", [
        Role.GOVERNOR,
        stranger.address,
        0n,
      ]);
      const operationId = await manager.hashOperation(admin.address, managerAddress, data);

      await expect(manager.connect(admin).grantRole(Role.GOVERNOR, stranger.address, 0))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
        .withArgs(operationId);

      const scheduled = await schedule(f, admin, managerAddress, data);
      const at = await mined(scheduled.tx);
      expect(scheduled.due).to.equal(at.timestamp + PROMOTION_DELAY);
      await expect(scheduled.tx)
        .to.emit(manager, "OperationScheduled")
        .withArgs(operationId, 1n, scheduled.due, admin.address, managerAddress, data);

      await expect(manager.connect(admin).execute(managerAddress, data))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotReady")
        .withArgs(operationId);
      await f.act.nextBlockAt(scheduled.due - 1n);
      await expect(manager.connect(admin).execute(managerAddress, data, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotReady")
        .withArgs(operationId);
      expect((await manager.hasRole(Role.GOVERNOR, stranger.address))[0]).to.equal(false);

      await f.act.nextBlockAt(scheduled.due);
      const execution = await manager.connect(admin).execute(managerAddress, data);
      await expect(execution)
        .to.emit(manager, "RoleGranted")
        .withArgs(Role.GOVERNOR, stranger.address, 0n, scheduled.due, true);
      await expect(execution).to.emit(manager, "OperationExecuted").withArgs(operationId, 1n);
      expect(await manager.hasRole(Role.GOVERNOR, stranger.address)).to.deep.equal([true, 0n]);
      await expect(registry.connect(stranger).createModel(OTHER_MODEL_ID, []))
        .to.emit(registry, "ModelCreated")
        .withArgs(OTHER_MODEL_ID, stranger.address, []);
    });

    it("does not let an account without ADMIN schedule a role grant", async function () {
      const { manager, guardian, stranger } = await loadFixture();
      const managerAddress = await manager.getAddress();
      const data = manager.interface.encodeFunctionData("grantRole", [
        Role.GOVERNOR,
        stranger.address,
        0n,
      ]);
      const selector = manager.interface.getFunction("grantRole").selector;
      for (const signer of [guardian, stranger]) {
        await expect(manager.connect(signer).schedule(managerAddress, data, 0))
          .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedCall")
          .withArgs(signer.address, managerAddress, selector);
      }
    });
  });

  describe("GUARDIAN as role guardian", function () {
    it("can cancel an operation that a delayed GOVERNOR scheduled, which then never executes", async function () {
      const f = await loadFixture();
      const { manager, registry, governor, guardian, stranger } = f;
      const governorDelay = 3600n;
      await adminGrant(f, Role.GOVERNOR, governor.address, governorDelay);
      expect(await manager.hasRole(Role.GOVERNOR, governor.address)).to.deep.equal([
        true,
        governorDelay,
      ]);

      const registryAddress = await registry.getAddress();
      const data = registry.interface.encodeFunctionData("createModel", [OTHER_MODEL_ID, []]);
      const selector = registry.interface.getFunction("createModel").selector;
      const operationId = await manager.hashOperation(governor.address, registryAddress, data);
      await expect(registry.connect(governor).createModel(OTHER_MODEL_ID, []))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
        .withArgs(operationId);

      const { due } = await schedule(f, governor, registryAddress, data);
      await expect(manager.connect(stranger).cancel(governor.address, registryAddress, data))
        .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedCancel")
        .withArgs(stranger.address, governor.address, registryAddress, selector);
      await expect(manager.connect(guardian).cancel(governor.address, registryAddress, data))
        .to.emit(manager, "OperationCanceled")
        .withArgs(operationId, 1n);
      expect(await manager.getSchedule(operationId)).to.equal(0n);

      await f.act.nextBlockAt(due);
      await expect(
        registry.connect(governor).createModel(OTHER_MODEL_ID, [], { gasLimit: 1_000_000 }),
      )
        .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
        .withArgs(operationId);
      expect(await registry.modelExists(OTHER_MODEL_ID)).to.equal(false);
    });

    it("leaves an uncancelled operation of a delayed GOVERNOR executable once due", async function () {
      const f = await loadFixture();
      const { manager, registry, governor } = f;
      await adminGrant(f, Role.GOVERNOR, governor.address, 3600n);
      const registryAddress = await registry.getAddress();
      const data = registry.interface.encodeFunctionData("createModel", [OTHER_MODEL_ID, []]);
      const { operationId, due } = await schedule(f, governor, registryAddress, data);
      await f.act.nextBlockAt(due);
      const tx = await registry.connect(governor).createModel(OTHER_MODEL_ID, []);
      await expect(tx)
        .to.emit(registry, "ModelCreated")
        .withArgs(OTHER_MODEL_ID, governor.address, []);
      await expect(tx).to.emit(manager, "OperationExecuted").withArgs(operationId, 1n);
    });

    it("cannot cancel an ADMIN operation, since ADMIN is not guarded", async function () {
      const f = await loadFixture();
      const { manager, admin, guardian, stranger } = f;
      const managerAddress = await manager.getAddress();
      const data = manager.interface.encodeFunctionData("grantRole", [
        Role.GUARDIAN,
        stranger.address,
        0n,
      ]);
      await schedule(f, admin, managerAddress, data);
      await expect(manager.connect(guardian).cancel(admin.address, managerAddress, data))
        .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedCancel")
        .withArgs(
          guardian.address,
          admin.address,
          managerAddress,
          manager.interface.getFunction("grantRole").selector,
        );
    });

    it("cannot be made guardian of ADMIN: the role is locked (AccessManagerLockedRole(0))", async function () {
      const f = await loadFixture();
      const { manager, admin, guardian } = f;
      await expect(manager.connect(guardian).setRoleGuardian(Role.ADMIN, Role.GUARDIAN))
        .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedAccount")
        .withArgs(guardian.address, Role.ADMIN);

      // Not even ADMIN itself, through its execution delay, can give ADMIN a guardian.
      const managerAddress = await manager.getAddress();
      const data = manager.interface.encodeFunctionData("setRoleGuardian", [
        Role.ADMIN,
        Role.GUARDIAN,
      ]);
      const { due } = await schedule(f, admin, managerAddress, data);
      await f.act.nextBlockAt(due);
      await expect(manager.connect(admin).execute(managerAddress, data))
        .to.be.revertedWithCustomError(manager, "AccessManagerLockedRole")
        .withArgs(Role.ADMIN);
      expect(await manager.getRoleGuardian(Role.ADMIN)).to.equal(Role.ADMIN);
    });
  });
});
