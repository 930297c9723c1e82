import { join } from "node:path";

import { expect } from "chai";
import type { Interface } from "ethers";
import { network } from "hardhat";

import {
  buildRollbackTrailModule,
  commandLineParameters,
  deployRollbackTrail,
} from "../../deploy/rollback-trail.js";
import {
  FutureIds,
  packageRoot,
  ParameterError,
  TARGET_FUNCTION_ROLES,
  parseRollbackTrailParameters,
  readParameterFile,
} from "../../src/deploy/deployment.js";
import { GUARDED_ROLES, Role, type RoleName } from "../../src/chain/roles.js";
import {
  ADMIN_DELAY,
  PROMOTION_DELAY,
  type DeployedSuite,
  deploySuiteWithIgnition,
  parametersFor,
} from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

const ALL_ROLES: RoleName[] = ["ADMIN", "PUBLISHER", "GOVERNOR", "GUARDIAN"];

async function expectParameterError(promise: Promise<unknown>, message: RegExp): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error).to.be.instanceOf(ParameterError);
  expect((error as Error).message).to.match(message);
}

async function deployed(): Promise<DeployedSuite> {
  return networkHelpers.loadFixture(async function rollbackTrail() {
    return deploySuiteWithIgnition(connection);
  });
}

describe("RollbackTrail Ignition module", function () {
  describe("wiring", function () {
    it("gives every restricted function the role of the table", async function () {
      const suite = await deployed();
      const targets = {
        ModelRegistry: suite.registry,
        InferenceAnchor: suite.anchor,
        InferenceSettlement: suite.settlement,
      };
      let checked = 0;
      for (const [contract, table] of Object.entries(TARGET_FUNCTION_ROLES)) {
        const target = targets[contract as keyof typeof targets];
        const iface = target.interface as Interface;
        for (const [name, role] of Object.entries(table)) {
          const selector = iface.getFunction(name)?.selector as string;
          expect(
            await suite.manager.getTargetFunctionRole(await target.getAddress(), selector),
            `${contract}.${name}`,
          ).to.equal(Role[role as RoleName]);
          checked++;
        }
      }
      expect(checked).to.be.greaterThan(0);
    });

    it("makes GUARDIAN the guardian of GOVERNOR and PUBLISHER, and only of them", async function () {
      const { manager } = await deployed();
      for (const role of GUARDED_ROLES) {
        expect(await manager.getRoleGuardian(Role[role])).to.equal(Role.GUARDIAN);
      }
      expect(await manager.getRoleGuardian(Role.GUARDIAN)).to.equal(Role.ADMIN);
    });

    it("labels the roles", async function () {
      const { manager, fromBlock } = await deployed();
      const labels = await manager.queryFilter(manager.filters.RoleLabel(), fromBlock);
      // Ignition sends the futures of one phase in the order of their ids.
      const sorted = labels
        .map((e) => [e.args.roleId, e.args.label] as const)
        .sort(([a], [b]) => Number(a - b));
      expect(sorted).to.deep.equal([
        [Role.PUBLISHER, "PUBLISHER"],
        [Role.GOVERNOR, "GOVERNOR"],
        [Role.GUARDIAN, "GUARDIAN"],
      ]);
    });

    it("runs the phases in deploy-local's order, the deployer's renounce last", async function () {
      const { manager, fromBlock } = await deployed();
      const phase: Record<string, number> = {
        TargetFunctionRoleUpdated: 1,
        RoleLabel: 2,
        RoleGuardianChanged: 3,
        RoleGranted: 4,
        RoleRevoked: 5,
      };
      const logs = await ethers.provider.getLogs({
        address: await manager.getAddress(),
        fromBlock,
      });
      const events = logs.map((log) => manager.interface.parseLog(log)?.name as string);
      expect(events[0]).to.equal("RoleGranted"); // the constructor's grant to the deployer
      const phases = events.slice(1).map((name) => phase[name]);
      expect(phases).to.deep.equal([...phases].sort((a, b) => a - b));
      expect(events.at(-1)).to.equal("RoleRevoked");
    });

    it("deploys with the parameters and points every contract at the others", async function () {
      const { manager, registry, anchor, settlement, actionLog } = await deployed();
      const managerAddress = await manager.getAddress();
      expect(await registry.authority()).to.equal(managerAddress);
      expect(await anchor.authority()).to.equal(managerAddress);
      expect(await settlement.authority()).to.equal(managerAddress);
      expect(await registry.promotionDelay()).to.equal(PROMOTION_DELAY);
      expect(await registry.proposalGracePeriod()).to.equal(2n * 24n * 3600n);
      expect(await anchor.maxAnchorDelay()).to.equal(24n * 3600n);
      expect(await settlement.holdPeriod()).to.equal(3n * 24n * 3600n);
      expect(await anchor.registry()).to.equal(await registry.getAddress());
      expect(await settlement.registry()).to.equal(await registry.getAddress());
      expect(await settlement.anchor()).to.equal(await anchor.getAddress());
      expect(await actionLog.registry()).to.equal(await registry.getAddress());
      expect(await actionLog.anchor()).to.equal(await anchor.getAddress());
    });
  });

  describe("holders", function () {
    it("grants GOVERNOR and delayed ADMIN to the governance Safe, GUARDIAN and PUBLISHER", async function () {
      const { manager, governance, guardian, publishers } = await deployed();
      expect(await manager.hasRole(Role.ADMIN, governance.address)).to.deep.equal([
        true,
        ADMIN_DELAY,
      ]);
      expect(await manager.hasRole(Role.GOVERNOR, governance.address)).to.deep.equal([true, 0n]);
      expect(await manager.hasRole(Role.GUARDIAN, guardian.address)).to.deep.equal([true, 0n]);
      for (const p of publishers) {
        expect(await manager.hasRole(Role.PUBLISHER, p.address)).to.deep.equal([true, 0n]);
      }
      // Nothing more: the guardian Safe is not a governor, the governance Safe not a guardian.
      expect((await manager.hasRole(Role.GUARDIAN, governance.address))[0]).to.equal(false);
      expect((await manager.hasRole(Role.GOVERNOR, guardian.address))[0]).to.equal(false);
    });

    it("leaves the deployer holding nothing", async function () {
      const { manager, deployer } = await deployed();
      for (const role of ALL_ROLES) {
        expect(await manager.hasRole(Role[role], deployer.address), role).to.deep.equal([
          false,
          0n,
        ]);
      }
      await expect(
        manager.connect(deployer).grantRole(Role.GOVERNOR, deployer.address, 0),
      ).to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedAccount");
    });

    it("makes the governance Safe wait the admin delay for a grant", async function () {
      const { manager, governance, stranger } = await deployed();
      await expect(
        manager.connect(governance).grantRole(Role.GOVERNOR, stranger.address, 0),
      ).to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled");
    });

    it("deploys with no publisher at all", async function () {
      const fresh = await network.create();
      try {
        const suite = await deploySuiteWithIgnition(fresh, 0);
        const grants = await suite.manager.queryFilter(
          suite.manager.filters.RoleGranted(Role.PUBLISHER),
          suite.fromBlock,
        );
        expect(grants).to.have.length(0);
        expect(await suite.manager.getRoleGuardian(Role.PUBLISHER)).to.equal(Role.GUARDIAN);
      } finally {
        await fresh.close();
      }
    });
  });

  describe("module", function () {
    it("has one grant future per publisher and renounces ADMIN after every other call", function () {
      const [, a, b, c, d] = [
        "0x0000000000000000000000000000000000000001",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
      ];
      const module = buildRollbackTrailModule(parametersFor(a, b, [c, d]));
      const ids = [...module.futures].map((f) => f.id);
      expect(ids).to.include.members([
        `RollbackTrail#${FutureIds.grantPublisher(0)}`,
        `RollbackTrail#${FutureIds.grantPublisher(1)}`,
      ]);
      expect(ids).to.not.include(`RollbackTrail#${FutureIds.grantPublisher(2)}`);
      expect(ids.filter((id) => id.startsWith("RollbackTrail#"))).to.include.members(
        [
          "AccessManager",
          "ModelRegistry",
          "InferenceAnchor",
          "InferenceSettlement",
          "AgentActionLog",
        ].map((n) => `RollbackTrail#${n}`),
      );

      // renounce_ADMIN depends, directly or not, on every other future.
      const byId = new Map([...module.futures].map((f) => [f.id, f]));
      const renounce = byId.get(`RollbackTrail#${FutureIds.renounce}`);
      expect(renounce).to.not.equal(undefined);
      const before = new Set<string>();
      const visit = (f: { id: string; dependencies: Set<{ id: string }> }) => {
        for (const dep of f.dependencies) {
          if (!before.has(dep.id)) {
            before.add(dep.id);
            const next = byId.get(dep.id);
            if (next !== undefined) visit(next);
          }
        }
      };
      visit(renounce!);
      expect(before.size).to.equal(module.futures.size - 1);
    });
  });

  describe("parameter validation", function () {
    const governance = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const guardian = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

    it("rejects an admin execution delay below the promotion delay, before sending anything", async function () {
      const fresh = await network.create();
      try {
        const block = await fresh.ethers.provider.getBlockNumber();
        const parameters = parametersFor(governance, guardian, [], {
          adminExecutionDelay: Number(PROMOTION_DELAY) - 1,
        });
        await expectParameterError(
          deployRollbackTrail(fresh, parameters, { source: "params.json" }),
          new RegExp(
            "^params\\.json: RollbackTrail\\.adminExecutionDelay \\(86399s\\) must be at least " +
              "promotionDelay \\(86400s\\): otherwise ADMIN could re-wire the registry faster " +
              "than a reviewed promotion$",
          ),
        );
        expect(await fresh.ethers.provider.getBlockNumber()).to.equal(block);
      } finally {
        await fresh.close();
      }
    });

    it("rejects the same Safe as governance and guardian, before sending anything", async function () {
      const fresh = await network.create();
      try {
        const block = await fresh.ethers.provider.getBlockNumber();
        await expectParameterError(
          deployRollbackTrail(fresh, parametersFor(governance, governance, []), {
            source: "params.json",
          }),
          new RegExp(
            `^params\\.json: RollbackTrail\\.guardianSafe is the governance Safe ${governance}: ` +
              "one account would hold ADMIN, GOVERNOR and GUARDIAN",
          ),
        );
        expect(await fresh.ethers.provider.getBlockNumber()).to.equal(block);
      } finally {
        await fresh.close();
      }
    });

    it("accepts an admin execution delay equal to the promotion delay", function () {
      const p = parseRollbackTrailParameters(
        parametersFor(governance, guardian, [], { adminExecutionDelay: Number(PROMOTION_DELAY) }),
        "t",
      );
      expect(p.adminExecutionDelay).to.equal(PROMOTION_DELAY);
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["a missing Safe", { governanceSafe: undefined }, /RollbackTrail\.governanceSafe is missing/],
      ["a bad address", { guardianSafe: "0x1234" }, /guardianSafe is not a valid address/],
      [
        "the zero address",
        { guardianSafe: "0x0000000000000000000000000000000000000000" },
        /guardianSafe is the zero address/,
      ],
      ["publishers not an array", { publishers: governance }, /publishers must be an array/],
      ["a duplicate publisher", { publishers: [governance, governance] }, /lists 0x7099.* twice/],
      ["a bad publisher", { publishers: ["nope"] }, /publishers\[0\] is not a valid address/],
      ["a negative delay", { holdPeriod: -1 }, /holdPeriod must be a whole number of seconds/],
      ["a delay above uint32", { maxAnchorDelay: 2 ** 32 }, /maxAnchorDelay must be a whole/],
      ["a fractional delay", { promotionDelay: 1.5 }, /promotionDelay must be a whole/],
      ["an unknown parameter", { holdPeriode: 1 }, /holdPeriode is not a parameter of the module/],
    ];
    for (const [what, overrides, message] of cases) {
      it(`rejects ${what}`, function () {
        expect(() =>
          buildRollbackTrailModule(parametersFor(governance, guardian, [], overrides), "f.json"),
        ).to.throw(ParameterError, message);
      });
    }

    it("reads $global parameters and bigint strings as Ignition does", function () {
      const p = parseRollbackTrailParameters(
        {
          $global: { holdPeriod: "7n", publishers: [] },
          RollbackTrail: {
            governanceSafe: governance.toLowerCase(),
            guardianSafe: guardian,
            promotionDelay: 3600n,
            proposalGracePeriod: 3600,
            maxAnchorDelay: 600,
            adminExecutionDelay: "3600",
          },
        },
        "t",
      );
      expect(p).to.deep.equal({
        governanceSafe: governance,
        guardianSafe: guardian,
        publishers: [],
        promotionDelay: 3600n,
        proposalGracePeriod: 3600n,
        maxAnchorDelay: 600n,
        holdPeriod: 7n,
        adminExecutionDelay: 3600n,
      });
    });

    it("accepts the repository's local parameter file", async function () {
      const raw = await readParameterFile(join(packageRoot(), "deploy/parameters/local.json"));
      const p = parseRollbackTrailParameters(raw, "local.json");
      expect(p.adminExecutionDelay >= p.promotionDelay).to.equal(true);
      // The example for Sepolia holds placeholders that must be replaced.
      const example = await readParameterFile(
        join(packageRoot(), "deploy/parameters/sepolia.example.json"),
      );
      expect(() => parseRollbackTrailParameters(example, "sepolia.example.json")).to.throw(
        ParameterError,
        /governanceSafe is not a valid address/,
      );
    });
  });

  describe("parameters of the command line (deploy/modules/RollbackTrail.ts)", function () {
    const cli = (...args: string[]) => ["node", "hardhat", ...args];
    const module = "deploy/modules/RollbackTrail.ts";

    it("reads --parameters FILE of ignition deploy, from the given directory", async function () {
      const { raw, source } = await commandLineParameters(
        cli(
          "ignition",
          "deploy",
          module,
          "--network",
          "localhost",
          "--parameters",
          "parameters/local.json",
        ),
        join(packageRoot(), "deploy"),
      );
      expect(source).to.equal("parameters/local.json");
      expect(parseRollbackTrailParameters(raw, source).publishers).to.have.length(1);
    });

    it("reads inline JSON, with --parameters=VALUE too", async function () {
      const { raw, source } = await commandLineParameters(
        cli("ignition", "deploy", module, '--parameters={"RollbackTrail":{"holdPeriod":"5n"}}'),
      );
      expect(source).to.equal("--parameters");
      expect(raw).to.deep.equal({ RollbackTrail: { holdPeriod: 5n } });
      await expectParameterError(
        commandLineParameters(cli("ignition", "deploy", module, "--parameters", "{nope")),
        /neither a \.json \/ \.json5 file nor valid JSON/,
      );
    });

    it("refuses to guess: no --parameters and no RollbackTrail.config.json, or not ignition deploy", async function () {
      await expectParameterError(
        commandLineParameters(cli("ignition", "deploy", module, "--network", "sepolia")),
        /RollbackTrail needs parameters: pass --parameters/,
      );
      await expectParameterError(
        commandLineParameters(cli("test", "mocha")),
        /reads its parameters from `npx hardhat ignition deploy/,
      );
      await expectParameterError(
        commandLineParameters(cli("ignition", "deploy", module, "--parameters", "missing.json")),
        /cannot read parameters .*missing\.json: no such file or directory/,
      );
    });

    it("shows the local parameters to ignition visualize", async function () {
      const { source } = await commandLineParameters(cli("ignition", "visualize", module));
      expect(source).to.equal("deploy/parameters/local.json");
    });
  });
});
