import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { HardhatArtifactResolver } from "@nomicfoundation/hardhat-ignition/helpers";
import { deploy } from "@nomicfoundation/ignition-core";
import { expect } from "chai";
import { id } from "ethers";
import hre, { network } from "hardhat";

import { buildRollbackTrailModule } from "../../deploy/rollback-trail.js";
import { deploySuite } from "../../src/deploy/deploy-local.js";
import {
  type FindingKind,
  type SuiteAddresses,
  TARGET_FUNCTION_ROLES,
  type VerificationReport,
  addressesOf,
  readDeploymentRecord,
  verifyDeployment,
} from "../../src/deploy/deployment.js";
import { Role } from "../../src/chain/roles.js";
import {
  ADMIN_DELAY,
  type DeployedSuite,
  deploySuiteWithIgnition,
  parametersFor,
  throughAdminDelay,
} from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

async function deployed(): Promise<DeployedSuite> {
  return networkHelpers.loadFixture(async function rollbackTrail() {
    return deploySuiteWithIgnition(connection);
  });
}

async function verify(suite: DeployedSuite, blockRange?: number): Promise<VerificationReport> {
  return verifyDeployment(
    ethers.provider,
    suite.addresses,
    { parameters: suite.parameters, deployer: suite.deployer.address },
    { fromBlock: suite.fromBlock, blockRange },
  );
}

/** The notes, without those saying the Safes are plain accounts (the tests' stand-ins). */
function notes(report: VerificationReport): string[] {
  return report.notes.filter((n) => !/ has no code: a plain account, not a Safe$/.test(n));
}

function kinds(report: VerificationReport): FindingKind[] {
  return report.findings.map((f) => f.kind);
}

describe("verify-deployment", function () {
  describe("a clean deployment", function () {
    it("shows no drift and the expected holders", async function () {
      const suite = await deployed();
      const report = await verify(suite);
      expect(report.findings).to.deep.equal([]);
      expect(report.notes).to.have.members([
        `the governance Safe ${suite.governance.address} has no code: a plain account, not a Safe`,
        `the guardian Safe ${suite.guardian.address} has no code: a plain account, not a Safe`,
      ]);
      expect(report.state.replayFromCreation).to.equal(true);
      expect(
        report.holders.get(Role.ADMIN)?.map((a) => [a.account, a.executionDelay]),
      ).to.deep.equal([[suite.governance.address, ADMIN_DELAY]]);
      expect(report.holders.get(Role.GOVERNOR)?.map((a) => a.account)).to.deep.equal([
        suite.governance.address,
      ]);
      expect(report.holders.get(Role.GUARDIAN)?.map((a) => a.account)).to.deep.equal([
        suite.guardian.address,
      ]);
      expect(report.holders.get(Role.PUBLISHER)?.map((a) => a.account)).to.have.members(
        suite.publishers.map((p) => p.address),
      );
      const tableSize = Object.values(TARGET_FUNCTION_ROLES).reduce(
        (n, table) => n + Object.keys(table).length,
        0,
      );
      expect(report.state.functionRoles.filter((f) => f.role !== Role.ADMIN)).to.have.length(
        tableSize,
      );
    });

    it("reads the same in small eth_getLogs ranges", async function () {
      const suite = await deployed();
      const whole = await verify(suite);
      const chunked = await verify(suite, 2);
      expect(chunked.state.requests).to.be.greaterThan(whole.state.requests);
      expect(chunked.state.logCount).to.equal(whole.state.logCount);
      expect(chunked.findings).to.deep.equal([]);
    });

    it("agrees with the plain-ethers deployment of deploy-local.ts", async function () {
      const fresh = await network.create();
      try {
        const [deployer, governance, guardian, publisher] = await fresh.ethers.getSigners();
        const fromBlock = (await fresh.ethers.provider.getBlockNumber()) + 1;
        const suite = await deploySuite(deployer, {
          governor: governance.address,
          guardian: guardian.address,
          admin: governance.address,
          publishers: [publisher.address],
        });
        const report = await verifyDeployment(
          fresh.ethers.provider,
          {
            manager: await suite.manager.getAddress(),
            registry: await suite.registry.getAddress(),
            anchor: await suite.anchor.getAddress(),
            settlement: await suite.settlement.getAddress(),
            actionLog: await suite.actionLog.getAddress(),
          },
          {
            parameters: {
              governanceSafe: governance.address,
              guardianSafe: guardian.address,
              publishers: [publisher.address],
              promotionDelay: 86400n,
              proposalGracePeriod: 172800n,
              maxAnchorDelay: 86400n,
              holdPeriod: 259200n,
              adminExecutionDelay: 86400n,
            },
            deployer: deployer.address,
          },
          { fromBlock },
        );
        expect(report.findings).to.deep.equal([]);
      } finally {
        await fresh.close();
      }
    });
  });

  describe("drift", function () {
    it("reports an extra grant once executed through the admin delay, and notes it while pending", async function () {
      const suite = await deployed();
      const { manager, governance, stranger } = suite;
      const data = manager.interface.encodeFunctionData("grantRole", [
        Role.GOVERNOR,
        stranger.address,
        0,
      ]);
      await (
        await manager.connect(governance).schedule(await manager.getAddress(), data, 0)
      ).wait();
      const pending = await verify(suite);
      expect(pending.findings).to.deep.equal([]);
      expect(notes(pending)).to.have.length(1);
      expect(notes(pending)[0]).to.match(
        new RegExp(
          `^pending operation by the governance Safe ${governance.address}, executable from .*: ` +
            `AccessManager\\.grantRole\\(GOVERNOR, ${stranger.address}, 0\\)$`,
        ),
      );

      await networkHelpers.time.increase(ADMIN_DELAY);
      await (await manager.connect(governance).execute(await manager.getAddress(), data)).wait();
      const report = await verify(suite);
      expect(report.findings).to.deep.equal([
        {
          kind: "unexpected-holder",
          message: `${stranger.address} holds GOVERNOR (execution delay 0s); not expected`,
        },
      ]);
      expect(notes(report)).to.deep.equal([]);
    });

    it("reports a function re-wired to another role, and a function the table leaves alone", async function () {
      const suite = await deployed();
      const { manager, registry, governance } = suite;
      const rollback = registry.interface.getFunction("rollback").selector;
      const activate = registry.interface.getFunction("activate").selector;
      await throughAdminDelay(
        connection,
        manager,
        governance,
        manager.interface.encodeFunctionData("setTargetFunctionRole", [
          await registry.getAddress(),
          [rollback],
          Role.GOVERNOR,
        ]),
      );
      await throughAdminDelay(
        connection,
        manager,
        governance,
        manager.interface.encodeFunctionData("setTargetFunctionRole", [
          await registry.getAddress(),
          [activate],
          Role.GUARDIAN,
        ]),
      );
      const report = await verify(suite);
      expect(report.findings).to.have.deep.members([
        {
          kind: "function-role",
          message: `ModelRegistry.rollback (${rollback}) requires GOVERNOR, expected GUARDIAN`,
        },
        {
          kind: "function-role",
          message: `ModelRegistry.activate (${activate}) is wired to GUARDIAN, but the role table gives it no role`,
        },
      ]);
    });

    it("reports a guardian changed and a holder revoked", async function () {
      const suite = await deployed();
      const { manager, governance, guardian } = suite;
      await throughAdminDelay(
        connection,
        manager,
        governance,
        manager.interface.encodeFunctionData("setRoleGuardian", [Role.GOVERNOR, Role.ADMIN]),
      );
      await throughAdminDelay(
        connection,
        manager,
        governance,
        manager.interface.encodeFunctionData("revokeRole", [Role.GUARDIAN, guardian.address]),
      );
      const report = await verify(suite);
      expect(report.findings).to.have.deep.members([
        { kind: "guardian", message: "GOVERNOR is guarded by ADMIN, expected GUARDIAN" },
        {
          kind: "missing-holder",
          message:
            `the guardian Safe ${guardian.address} does not hold GUARDIAN ` +
            "(it was granted, then revoked or renounced)",
        },
      ]);
    });

    it("reports the deployer keeping a role granted back to it", async function () {
      const suite = await deployed();
      const { manager, governance, deployer } = suite;
      await throughAdminDelay(
        connection,
        manager,
        governance,
        manager.interface.encodeFunctionData("grantRole", [Role.GUARDIAN, deployer.address, 0]),
      );
      const report = await verify(suite);
      expect(report.findings).to.deep.equal([
        {
          kind: "unexpected-holder",
          message: `the deployer ${deployer.address} holds GUARDIAN (execution delay 0s); not expected`,
        },
      ]);
    });

    it("reports a deployer that never handed ADMIN over", async function () {
      const fresh = await network.create();
      try {
        const [deployer, governance, guardian] = await fresh.ethers.getSigners();
        const fromBlock = (await fresh.ethers.provider.getBlockNumber()) + 1;
        // deploy-local's benchmark mode: the deployer keeps ADMIN, without delay.
        const suite = await deploySuite(deployer, {
          governor: governance.address,
          guardian: guardian.address,
          admin: deployer.address,
          publishers: [],
        });
        const report = await verifyDeployment(
          fresh.ethers.provider,
          {
            manager: await suite.manager.getAddress(),
            registry: await suite.registry.getAddress(),
            anchor: await suite.anchor.getAddress(),
            settlement: await suite.settlement.getAddress(),
          },
          {
            parameters: {
              governanceSafe: governance.address,
              guardianSafe: guardian.address,
              publishers: [],
              promotionDelay: 86400n,
              proposalGracePeriod: 172800n,
              maxAnchorDelay: 86400n,
              holdPeriod: 259200n,
              adminExecutionDelay: 86400n,
            },
            deployer: deployer.address,
          },
          { fromBlock },
        );
        expect(report.findings).to.have.deep.members([
          {
            kind: "unexpected-holder",
            message: `the deployer ${deployer.address} holds ADMIN (execution delay 0s); not expected`,
          },
          {
            kind: "missing-holder",
            message: `the governance Safe ${governance.address} does not hold ADMIN`,
          },
        ]);
      } finally {
        await fresh.close();
      }
    });

    it("reports an ADMIN delay lowered below the promotion delay, pending then effective", async function () {
      const suite = await deployed();
      const { manager, governance } = suite;
      await throughAdminDelay(
        connection,
        manager,
        governance,
        manager.interface.encodeFunctionData("grantRole", [Role.ADMIN, governance.address, 3600]),
      );
      const pending = await verify(suite);
      expect(pending.findings).to.have.length(1);
      expect(pending.findings[0].kind).to.equal("admin-delay");
      expect(pending.findings[0].message).to.match(
        /ADMIN execution delay of the governance Safe .* drops to 3600s at .*, below the promotion delay 86400s$/,
      );

      // A lowered delay takes effect after AccessManager's setback (at least minSetback).
      await networkHelpers.time.increase(await manager.minSetback());
      const effective = await verify(suite);
      expect(effective.findings).to.deep.equal([
        {
          kind: "admin-delay",
          message:
            `the governance Safe ${governance.address} holds ADMIN with execution delay 3600s, ` +
            "below the promotion delay 86400s",
        },
      ]);
      expect(notes(effective)).to.deep.equal([
        "ADMIN execution delay is 3600s (the parameters say 172800s)",
      ]);
    });

    it("reports a promotion delay scheduled above ADMIN's execution delay as drift while it is pending", async function () {
      const suite = await deployed();
      const { registry, governance } = suite;
      const adminDelay = suite.parameters.adminExecutionDelay;
      await (await registry.connect(governance).setPromotionDelay(adminDelay + 3600n)).wait();
      const report = await verify(suite);
      expect(report.findings).to.deep.equal([
        {
          kind: "admin-delay",
          message:
            `the governance Safe ${governance.address} holds ADMIN with execution delay ` +
            `${adminDelay}s, below the promotion delay ${adminDelay + 3600n}s`,
        },
      ]);
    });

    it("reports one account holding GUARDIAN beside GOVERNOR or ADMIN", async function () {
      const suite = await deployed();
      const { manager, governance } = suite;
      await throughAdminDelay(
        connection,
        manager,
        governance,
        manager.interface.encodeFunctionData("grantRole", [Role.GUARDIAN, governance.address, 0]),
      );
      const report = await verify(suite);
      expect(report.findings).to.deep.include({
        kind: "unexpected-holder",
        message:
          `the governance Safe ${governance.address} holds GUARDIAN and also ADMIN or GOVERNOR: ` +
          "one account could propose, cancel and take versions down alone (governance and " +
          "guardian must be two Safes)",
      });
    });

    it("reports a replay that starts after the deployment", async function () {
      const suite = await deployed();
      const report = await verifyDeployment(
        ethers.provider,
        suite.addresses,
        { parameters: suite.parameters, deployer: suite.deployer.address },
        { fromBlock: suite.fromBlock + 1 },
      );
      expect(kinds(report)).to.include("history");
    });

    it("checks the NodeRouting the settlement reads when none is named", async function () {
      const suite = await deployed();
      const { registry, anchor, manager } = suite.addresses;
      // A routing that reads another "registry" (the anchor), and a settlement wired to it.
      const rogue = await ethers.deployContract("NodeRouting", [anchor, anchor]);
      const settlement = await ethers.deployContract("InferenceSettlement", [
        manager,
        registry,
        anchor,
        await rogue.getAddress(),
        3600,
      ]);
      const report = await verifyDeployment(
        ethers.provider,
        { ...suite.addresses, settlement: await settlement.getAddress(), routing: undefined },
        { parameters: suite.parameters, deployer: suite.deployer.address },
        { fromBlock: suite.fromBlock },
      );
      expect(report.findings.filter((f) => f.kind === "link").map((f) => f.message)).to.deep.equal([
        `NodeRouting.registry() is ${anchor}, expected ${registry}`,
      ]);
    });

    it("reports a NodeRouting that is not the one the settlement reads", async function () {
      const suite = await deployed();
      const other = await ethers.deployContract("NodeRouting", [
        suite.addresses.registry,
        suite.addresses.anchor,
      ]);
      const otherAddress = await other.getAddress();
      const report = await verifyDeployment(
        ethers.provider,
        { ...suite.addresses, routing: otherAddress },
        { parameters: suite.parameters, deployer: suite.deployer.address },
        { fromBlock: suite.fromBlock },
      );
      expect(report.findings.filter((f) => f.kind === "link").map((f) => f.message)).to.deep.equal([
        `InferenceSettlement.nodeRouting() is ${suite.addresses.routing}, expected ${otherAddress}`,
      ]);
    });
  });

  describe("anchor state", function () {
    it("counts operators and enclave keys from the anchor's events", async function () {
      const suite = await deployed();
      const { registry, anchor, governance, guardian, stranger, publishers } = suite;
      const model = id("org/model");
      await (await registry.connect(governance).createModel(model, [publishers[0].address])).wait();
      await (await anchor.connect(governance).setOperator(model, stranger.address, true)).wait();
      await (
        await anchor.connect(governance).setOperator(model, publishers[1].address, true)
      ).wait();
      await (
        await anchor.connect(governance).setOperator(model, publishers[1].address, false)
      ).wait();
      await (
        await anchor.connect(governance).registerEnclaveKey(guardian.address, stranger.address)
      ).wait();
      await (
        await anchor.connect(guardian).revokeEnclaveKey(guardian.address, id("reason"))
      ).wait();
      const report = await verify(suite);
      expect(report.findings).to.deep.equal([]);
      expect(report.state.operators).to.deep.equal([
        { modelId: model, operator: stranger.address },
      ]);
      expect(report.state.enclaveKeys).to.deep.equal([
        { key: guardian.address, node: stranger.address, revoked: true },
      ]);
    });
  });

  describe("Ignition's record", function () {
    it("yields the addresses, deployment block, deployer and parameters of a deployment", async function () {
      const fresh = await network.create();
      const dir = mkdtempSync(join(tmpdir(), "rollback-trail-ignition-"));
      try {
        const [deployer, governance, guardian, publisher] = await fresh.ethers.getSigners();
        const deploymentParameters = parametersFor(governance.address, guardian.address, [
          publisher.address,
        ]);
        const accounts = (await fresh.provider.request({ method: "eth_accounts" })) as string[];
        const result = await deploy({
          artifactResolver: new HardhatArtifactResolver(hre.artifacts),
          provider: fresh.provider,
          deploymentDir: dir,
          ignitionModule: buildRollbackTrailModule(deploymentParameters),
          deploymentParameters: {},
          accounts,
        });
        expect(result.type).to.equal("SUCCESSFUL_DEPLOYMENT");

        const record = readDeploymentRecord(dir);
        expect(record).to.not.equal(undefined);
        expect(record?.deployer).to.equal(deployer.address);
        expect(record?.managerBlock).to.equal(1);
        expect(record?.parameters).to.deep.equal({
          governanceSafe: governance.address,
          guardianSafe: guardian.address,
          publishers: [publisher.address],
          promotionDelay: 86400n,
          proposalGracePeriod: 172800n,
          maxAnchorDelay: 86400n,
          holdPeriod: 259200n,
          adminExecutionDelay: ADMIN_DELAY,
        });
        const addresses = addressesOf(record?.addresses ?? {});
        expect(Object.values(addresses).every((a) => a !== undefined)).to.equal(true);

        const report = await verifyDeployment(
          fresh.ethers.provider,
          addresses as SuiteAddresses,
          { parameters: record!.parameters!, deployer: record?.deployer },
          { fromBlock: record!.managerBlock! },
        );
        expect(report.findings).to.deep.equal([]);
        expect(report.state.replayFromCreation).to.equal(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await fresh.close();
      }
    });

    it("is absent from a directory without deployed_addresses.json", function () {
      expect(readDeploymentRecord(join(tmpdir(), "no-such-rollback-trail-deployment"))).to.equal(
        undefined,
      );
    });
  });
});
