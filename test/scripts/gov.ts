/**
 * The governance command line (npm run gov): its core (src/governance/gov.ts) run in-process on the
 * suite governed by real Safe 1.5.0 multisigs (test/helpers/safe-fixture.ts), the Transaction
 * Builder files it writes (src/governance/tx-builder.ts), and the real CLI once, as a child process.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { HDNodeWallet, Interface, getAddress, id } from "ethers";
import { network } from "hardhat";

import { CliError } from "../../src/ground/cli.js";
import {
  parseGovArgs,
  runGov,
  type GovOutcome,
  type GovRunOptions,
} from "../../src/governance/gov.js";
import { safeAt } from "../../src/governance/safe.js";
import {
  encodeLikeTransactionBuilder,
  hasValidChecksum,
  txBuilderChecksum,
  type TxBuilderBatch,
  type UnsignedTxBuilderBatch,
} from "../../src/governance/tx-builder.js";
import { Disposition, MODEL_ID, VersionStatus } from "../helpers/registry-actions.js";
import { deploySafeGovernance } from "../helpers/safe-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

const ROOT = process.cwd();
const REASON = "v2 leaks prompts; incident report 2024-17";
const REASON_URI = "ipfs://incident-17";
/** The mnemonic of Hardhat's default accounts. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

async function safeGovernanceFixture() {
  return deploySafeGovernance(connection);
}

type Fixture = Awaited<ReturnType<typeof safeGovernanceFixture>>;

/** The contract overrides every command gets here (there is no Ignition deployment in tests). */
async function overrides(f: Fixture): Promise<string[]> {
  return [
    "--registry",
    await f.registry.getAddress(),
    "--anchor",
    await f.anchor.getAddress(),
    "--settlement",
    await f.settlement.getAddress(),
  ];
}

/** Runs `npm run gov -- ...argv` in-process; returns the outcome and the printed lines. */
async function gov(
  f: Fixture,
  argv: string[],
  options: GovRunOptions = {},
): Promise<{ outcome: GovOutcome; lines: string[] }> {
  const lines: string[] = [];
  const request = parseGovArgs([...argv, ...(await overrides(f))]);
  const outcome = await runGov(request, ethers, { print: (l) => lines.push(l), ...options });
  return { outcome, lines };
}

/** The one-line CliError message of a failing promise or function. */
async function cliError(run: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await run();
  } catch (e) {
    expect(e).to.be.instanceOf(CliError);
    const message = (e as Error).message;
    expect(message).to.not.include("\n");
    return message;
  }
  expect.fail("expected a CliError");
}

const govError = (f: Fixture, argv: string[], options: GovRunOptions = {}) =>
  cliError(() => gov(f, argv, options));

const rollbackArgs = (from = "2", to = "1") => [
  "rollback",
  "--model",
  "model:alpha",
  "--from",
  from,
  "--to",
  to,
  "--disposition",
  "faulty",
  "--reason",
  REASON,
  "--reason-uri",
  REASON_URI,
];

describe("gov: governance CLI through the Safes", function () {
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "gov-"));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe("arguments", function () {
    it("takes a model id as 0x bytes32 or as a name hashed with keccak256(utf8(name))", function () {
      const byName = parseGovArgs(["pause", "--model", "model:alpha"]);
      expect(byName.model).to.deep.equal({ id: MODEL_ID, name: "model:alpha" });
      expect(byName.args).to.deep.equal([id("model:alpha")]);
      const byId = parseGovArgs(["pause", "--model", MODEL_ID.toUpperCase().replace("0X", "0x")]);
      expect(byId.model).to.deep.equal({ id: MODEL_ID });
      expect(byId.args).to.deep.equal(byName.args);
    });

    it("refuses a 0x model id that is not 32 bytes", async function () {
      expect(await cliError(() => parseGovArgs(["pause", "--model", "0x1234"]))).to.match(
        /--model 0x1234: a 0x id must be 32 bytes/,
      );
    });

    it("converts versions, dispositions, reasons and publishers", function () {
      const r = parseGovArgs(rollbackArgs("v2", "1"));
      expect(r.target).to.equal("ModelRegistry");
      expect(r.functionName).to.equal("rollback");
      expect(r.args).to.deep.equal([MODEL_ID, 2n, 1n, Disposition.Faulty, id(REASON), REASON_URI]);
      const [a, b] = ["0x" + "11".repeat(20), "0x" + "22".repeat(20)];
      const c = parseGovArgs(["create-model", "--model", "m", "--publisher", a, "--publisher", b]);
      expect(c.args).to.deep.equal([id("m"), [getAddress(a), getAddress(b)]]);
      const d = parseGovArgs(["set-promotion-delay", "--delay", "2d"]);
      expect(d.args).to.deep.equal([172800n]);
    });

    it("gives one line for an unknown command, a missing --model or a bad disposition", async function () {
      expect(await cliError(() => parseGovArgs(["frobnicate", "--model", "m"]))).to.match(
        /^unknown command "frobnicate" \(commands: rollback, revoke, /,
      );
      expect(await cliError(() => parseGovArgs(["pause"]))).to.match(
        /^missing --model \(usage: npm run gov -- pause --model ID /,
      );
      const bad = rollbackArgs();
      bad[bad.indexOf("faulty")] = "broken";
      expect(await cliError(() => parseGovArgs(bad))).to.equal(
        "bad --disposition broken: expected faulty or withdrawn",
      );
      expect(await cliError(() => parseGovArgs([]))).to.match(/^missing command/);
      expect(
        await cliError(() => parseGovArgs(["pause", "--model", "m", "--version", "3"])),
      ).to.match(/^Unknown option '--version'/);
      expect(
        await cliError(() => parseGovArgs(["pause", "--model", "m", "--out", "f", "--execute"])),
      ).to.equal("--out and --execute exclude each other");
      expect(
        await cliError(() =>
          parseGovArgs(["set-operator", "--model", "m", "--operator", "0x12", "--allowed", "true"]),
        ),
      ).to.equal("--operator must be an address, got 0x12");
      expect(
        await cliError(() => parseGovArgs(["activate", "--model", "m", "--out", "f"])),
      ).to.match(/^activate is not a Safe transaction/);
      expect(
        await cliError(() => parseGovArgs(["pause", "--model", "m", "--owners", "1,2"])),
      ).to.equal("--owners is for --execute");
    });
  });

  describe("Transaction Builder files", function () {
    it("computes the checksum as the Transaction Builder does (its own test vector)", function () {
      // The batch of the Transaction Builder's checksum test (apps/tx-builder/src/lib/checksum.test),
      // whose expected checksum is 0x86c81826...: name nulled, checksum left out.
      const to = "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6";
      const batch = {
        version: "1.0",
        chainId: "4",
        createdAt: 1646321521061,
        meta: {
          name: "test batch file",
          txBuilderVersion: "1.4.0",
          checksum: "",
          createdFromSafeAddress: "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
          createdFromOwnerAddress: to,
        },
        transactions: [
          {
            to,
            value: "0",
            contractMethod: {
              inputs: [{ internalType: "address", name: "paramAddress", type: "address" }],
              name: "testAddress",
              payable: false,
            },
            contractInputsValues: { paramAddress: to },
          },
          {
            to,
            value: "0",
            contractMethod: {
              inputs: [{ internalType: "bool", name: "paramBool", type: "bool" }],
              name: "testBool",
              payable: false,
            },
            contractInputsValues: { paramAddress: "", paramBool: "false" },
          },
          {
            to,
            value: "2000000000000000000",
            data: "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6",
          },
        ],
      } as unknown as UnsignedTxBuilderBatch;
      expect(txBuilderChecksum(batch)).to.equal(
        "0x86c81826dbf7e8a37612153294cc85fdf5c81998dd0a44b86d945502a7eace7c",
      );
      // the name does not count; the order of keys does not count; the transactions' order does
      const renamed = { ...batch, meta: { ...batch.meta, name: "other" } };
      expect(txBuilderChecksum(renamed)).to.equal(txBuilderChecksum(batch));
      const reordered = Object.fromEntries(Object.entries(batch).reverse()) as typeof batch;
      expect(txBuilderChecksum(reordered)).to.equal(txBuilderChecksum(batch));
      const reversed = { ...batch, transactions: [...batch.transactions].reverse() };
      expect(txBuilderChecksum(reversed)).to.not.equal(txBuilderChecksum(batch));
    });
  });

  describe("previews and files", function () {
    it("a rollback for the guardian Safe previews OK and writes a Transaction Builder file", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const registry = await f.registry.getAddress();
      const out = join(dir, "rollback.json");
      const { outcome, lines } = await gov(f, [...rollbackArgs(), "--out", out]);

      // the guardian Safe was found from the AccessManager (no --safe)
      expect(outcome.safe?.address).to.equal(f.guardian.address);
      expect(outcome.safe?.role).to.equal("GUARDIAN");
      expect(outcome.safe?.discovered).to.equal(true);
      expect(lines.join("\n")).to.include(`through the guardian Safe ${f.guardian.address}`);

      const batch = JSON.parse(readFileSync(out, "utf8")) as TxBuilderBatch;
      expect(readdirSync(dir)).to.deep.equal(["rollback.json"]); // no temporary file left
      expect(batch).to.deep.equal(outcome.batch);
      expect(batch.version).to.equal("1.0");
      expect(batch.chainId).to.equal("31337");
      expect(batch.createdAt).to.be.a("number");
      expect(batch.meta.createdFromSafeAddress).to.equal(f.guardian.address);
      expect(batch.meta.createdFromOwnerAddress).to.equal("");
      expect(batch.meta.txBuilderVersion).to.match(/^1\.\d+\.\d+$/);
      expect(hasValidChecksum(batch)).to.equal(true);
      expect(batch.transactions).to.have.length(1);
      const [tx] = batch.transactions;
      expect(tx.to).to.equal(registry);
      expect(tx.value).to.equal("0");
      expect(tx.data).to.equal(null);
      expect(tx.contractMethod).to.deep.equal({
        name: "rollback",
        payable: false,
        inputs: [
          { internalType: "bytes32", name: "modelId", type: "bytes32" },
          { internalType: "uint32", name: "fromVersion", type: "uint32" },
          { internalType: "uint32", name: "toVersion", type: "uint32" },
          { internalType: "enum IModelRegistry.Disposition", name: "disposition", type: "uint8" },
          { internalType: "bytes32", name: "reasonHash", type: "bytes32" },
          { internalType: "string", name: "reasonURI", type: "string" },
        ],
      });
      expect(tx.contractInputsValues).to.deep.equal({
        modelId: MODEL_ID,
        fromVersion: "2",
        toVersion: "1",
        disposition: "1",
        reasonHash: id(REASON),
        reasonURI: REASON_URI,
      });
      // what the Transaction Builder will encode is the call we previewed
      const expected = (f.registry.interface as Interface).encodeFunctionData("rollback", [
        MODEL_ID,
        2,
        1,
        Disposition.Faulty,
        id(REASON),
        REASON_URI,
      ]);
      expect(outcome.data).to.equal(expected);
      expect(encodeLikeTransactionBuilder(tx)).to.equal(expected);
      // nothing was sent
      expect((await f.registry.live(MODEL_ID)).version).to.equal(2n);
    });

    it("the same rollback for the governance Safe fails the preview with AccessManagedUnauthorized and writes nothing", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const out = join(dir, "rollback.json");
      const message = await govError(f, [
        ...rollbackArgs(),
        "--safe",
        f.governance.address,
        "--out",
        out,
      ]);
      expect(message).to.include(`AccessManagedUnauthorized(caller=${f.governance.address})`);
      expect(message).to.include("it needs GUARDIAN, which it does not hold");
      expect(message).to.match(/nothing was written or sent$/);
      expect(existsSync(out)).to.equal(false);
      expect(readdirSync(dir)).to.deep.equal([]);
    });

    it("a rollback from a version that is not the current one fails the preview with ModelRegistryUnexpectedCurrentVersion", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const out = join(dir, "rollback.json");
      const message = await govError(f, [...rollbackArgs("3", "1"), "--out", out]);
      expect(message).to.include(
        `ModelRegistryUnexpectedCurrentVersion(modelId=model:alpha (${MODEL_ID}), expected=3, current=2)`,
      );
      expect(message).to.include("someone activated another version first");
      expect(existsSync(out)).to.equal(false);
      expect(readdirSync(dir)).to.deep.equal([]);
    });

    it("explains other reverts with the interfaces' words (unknown model, invalid target)", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const unknown = await govError(f, ["pause", "--model", "model:nope"]);
      expect(unknown).to.include(
        `ModelRegistryUnknownModel(modelId=model:nope (${id("model:nope")}))`,
      );
      expect(unknown).to.include(`No model model:nope (${id("model:nope")}) was created`);
      const target = await govError(f, rollbackArgs("2", "3"));
      expect(target).to.include("ModelRegistryInvalidRollbackTarget(");
      expect(target).to.include("version=3, status=Registered)");
      expect(target).to.include("A rollback target must be Retired");
    });

    it("refuses a --safe that is not a Safe and an --out in a missing directory", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      expect(await govError(f, [...rollbackArgs(), "--safe", f.stranger.address])).to.equal(
        `${f.stranger.address} is not a Safe on chain 31337: it has no code`,
      );
      const out = join(dir, "missing", "rollback.json");
      expect(await govError(f, [...rollbackArgs(), "--out", out])).to.equal(
        `--out ${out}: the directory ${join(dir, "missing")} does not exist`,
      );
    });

    it("without --out or --execute prints the call and its Safe transaction hash, and sends nothing", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const { outcome, lines } = await gov(f, ["propose", "--model", MODEL_ID, "--version", "3"]);
      expect(outcome.safe?.address).to.equal(f.governance.address);
      const registry = await f.registry.getAddress();
      const safe = safeAt(f.governance.address, ethers.provider);
      const hash = await safe.getTransactionHash(
        registry,
        0n,
        outcome.data,
        0,
        0n,
        0n,
        0n,
        ethers.ZeroAddress,
        ethers.ZeroAddress,
        await safe.nonce(),
      );
      expect(lines).to.include(`safeTxHash at nonce ${await safe.nonce()}: ${hash}`);
      expect(lines.at(-1)).to.match(/^nothing was written or sent/);
      expect((await f.registry.pendingProposal(MODEL_ID)).version).to.equal(0n);
    });

    it("writes create-model with several publishers as the Transaction Builder encodes them", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const [a, b] = [f.publisher.address, f.stranger.address];
      const out = join(dir, "create.json");
      const { outcome } = await gov(f, [
        "create-model",
        "--model",
        "model:gamma",
        "--publisher",
        a,
        "--publisher",
        b,
        "--out",
        out,
      ]);
      expect(outcome.safe?.address).to.equal(f.governance.address);
      const batch = JSON.parse(readFileSync(out, "utf8")) as TxBuilderBatch;
      expect(batch.meta.createdFromSafeAddress).to.equal(f.governance.address);
      expect(batch.transactions[0].contractInputsValues).to.deep.equal({
        modelId: id("model:gamma"),
        publishers: JSON.stringify([a, b]),
      });
      expect(encodeLikeTransactionBuilder(batch.transactions[0])).to.equal(outcome.data);
    });
  });

  describe("--execute", function () {
    it("the guardian owners sign and the rollback happens", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const { outcome } = await gov(f, [...rollbackArgs(), "--execute", "--owners", "4,5"]);
      expect(outcome.safe?.address).to.equal(f.guardian.address);
      expect(outcome.txHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(outcome.events).to.include(
        `RolledBack: model model:alpha (${MODEL_ID}) from v2 to v1, incident 1 (Faulty) by ${f.guardian.address}`,
      );
      expect(outcome.events.some((e) => e.startsWith("IncidentOpened: incident 1 "))).to.equal(
        true,
      );
      expect(outcome.events.some((e) => e.startsWith("ExecutionSuccess: "))).to.equal(true);
      expect((await f.registry.live(MODEL_ID)).version).to.equal(1n);
      expect(await f.registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Faulty);
      const incident = await f.registry.getIncident(1);
      expect(incident.by).to.equal(f.guardian.address);
      expect(incident.reasonHash).to.equal(id(REASON));
      expect(incident.reasonURI).to.equal(REASON_URI);
    });

    it("signs with the keys in OWNER_KEYS", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const signers = await ethers.getSigners();
      const keys = [5, 6].map((i) => {
        const wallet = HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
        expect(wallet.address).to.equal(signers[i].address);
        return wallet.privateKey;
      });
      const { outcome } = await gov(f, ["pause", "--model", "model:alpha", "--execute"], {
        ownerKeys: keys.join(","),
      });
      expect(outcome.events).to.include(
        `ModelPaused: model model:alpha (${MODEL_ID}) (v2 kept) by ${f.guardian.address}`,
      );
      expect((await f.registry.live(MODEL_ID)).paused).to.equal(true);
      // a key that does not own the guardian Safe is refused before anything is signed
      const stranger = HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, "m/44'/60'/0'/0/8");
      const message = await govError(f, ["resume", "--model", "model:alpha", "--execute"], {
        ownerKeys: `${keys[0]},${stranger.privateKey}`,
      });
      expect(message).to.equal(
        `OWNER_KEYS entry 2 (${stranger.address}) is not an owner of the Safe ${f.guardian.address}`,
      );
      expect((await f.registry.live(MODEL_ID)).paused).to.equal(true);
    });

    it("propose goes through the governance Safe; activate fails the preview before the delay and works after it", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const { outcome } = await gov(f, [
        "propose",
        "--model",
        "model:alpha",
        "--version",
        "3",
        "--execute",
      ]);
      expect(outcome.safe?.address).to.equal(f.governance.address);
      expect(
        outcome.events.some((e) =>
          e.startsWith(
            `VersionProposed: model model:alpha (${MODEL_ID}) v3 by ${f.governance.address}`,
          ),
        ),
      ).to.equal(true);
      const proposal = await f.registry.pendingProposal(MODEL_ID);
      expect(proposal.version).to.equal(3n);

      const early = await govError(f, ["activate", "--model", "model:alpha", "--execute"]);
      expect(early).to.include(
        `ModelRegistryActivationTooEarly(modelId=model:alpha (${MODEL_ID}), version=3, earliestActivation=${proposal.earliestActivation} (`,
      );
      expect(early).to.include("The promotion delay of the pending proposal has not passed");
      expect((await f.registry.live(MODEL_ID)).version).to.equal(2n);

      await networkHelpers.time.increaseTo(proposal.earliestActivation);
      const [first] = await ethers.getSigners();
      const activated = await gov(f, ["activate", "--model", "model:alpha", "--execute"]);
      expect(activated.outcome.sender).to.equal(first.address);
      expect(activated.outcome.safe).to.equal(undefined);
      expect(
        activated.outcome.events.some((e) =>
          e.startsWith(
            `VersionActivated: model model:alpha (${MODEL_ID}) v3 live in epoch 3, by ${first.address}`,
          ),
        ),
      ).to.equal(true);
      expect((await f.registry.live(MODEL_ID)).version).to.equal(3n);
    });

    it("set-promotion-delay above ADMIN's execution delay is refused before anything is sent; one within it goes through", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const message = await govError(f, ["set-promotion-delay", "--delay", "2d", "--execute"]);
      expect(message).to.equal(
        "a promotion delay of 172800s exceeds ADMIN's execution delay of 86400s: ADMIN could then re-wire the registry faster than a reviewed promotion; raise ADMIN's delay first; nothing was written or sent",
      );
      expect(await f.registry.pendingPromotionDelay()).to.deep.equal([0n, 0n]);
      await gov(f, ["set-promotion-delay", "--delay", "12h", "--execute"]);
      expect((await f.registry.pendingPromotionDelay())[0]).to.equal(12n * 3600n);
    });

    it("anchor and settlement commands go through the Safe of their role", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const key = ethers.Wallet.createRandom().address;
      const node = f.stranger.address;
      const registered = await gov(f, [
        "register-enclave-key",
        "--key",
        key,
        "--node",
        node,
        "--execute",
      ]);
      expect(registered.outcome.safe?.address).to.equal(f.governance.address);
      expect(registered.outcome.events).to.include(
        `EnclaveKeyRegistered: key=${key}, node=${node}, by=${f.governance.address}`,
      );
      const revoked = await gov(f, [
        "revoke-enclave-key",
        "--key",
        key,
        "--reason",
        "key leaked",
        "--execute",
      ]);
      expect(revoked.outcome.safe?.address).to.equal(f.guardian.address);
      expect(revoked.outcome.events).to.include(
        `EnclaveKeyRevoked: key=${key}, node=${node}, by=${f.guardian.address}, reasonHash=${id("key leaked")}`,
      );
      const again = await govError(f, ["revoke-enclave-key", "--key", key, "--reason", "x"]);
      expect(again).to.include(`AnchorEnclaveKeyRevoked(key=${key}, revokedAt=`);
      const hold = await gov(f, ["set-hold-period", "--period", "1d", "--execute"]);
      expect(hold.outcome.safe?.address).to.equal(f.governance.address);
      expect(hold.outcome.events).to.include("HoldPeriodSet: oldPeriod=259200, newPeriod=86400");
      expect(await f.settlement.holdPeriod()).to.equal(86400n);
    });

    it("is refused on a chain that is not local, before anything is read or signed", async function () {
      const f = await networkHelpers.loadFixture(safeGovernanceFixture);
      const other = await network.create({ override: { chainId: 11155111 } });
      try {
        const request = parseGovArgs([...rollbackArgs(), "--execute", ...(await overrides(f))]);
        const message = await cliError(() => runGov(request, other.ethers));
        expect(message).to.match(
          /^--execute signs with owner keys and is for local chains only \(31337, 1337\); chain 11155111: /,
        );
      } finally {
        await other.close();
      }
    });
  });

  describe("the command line", function () {
    it("prints one line and exits 1 on bad arguments, without a stack trace", function () {
      const bad = rollbackArgs();
      bad[bad.indexOf("faulty")] = "broken";
      const result = spawnSync("tsx", ["scripts/gov.ts", ...bad, "--network", "hardhatMainnet"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}` },
      });
      expect(result.status).to.equal(1);
      expect(result.stdout).to.equal("");
      expect(result.stderr).to.equal(
        "gov: bad --disposition broken: expected faulty or withdrawn\n",
      );
    });
  });
});
