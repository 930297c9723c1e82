/**
 * The package as a third party gets it: `npm pack` (which builds it: prepack), the tarball
 * installed into a scratch project outside the repository (examples/consumer, copied), then in
 * that project: the public entry points resolve and nothing else does, the SDK's declarations
 * type-check the project's TypeScript, Hardhat compiles a contract that inherits VersionBound from
 * the package, and a script builds a batch, anchors it and verifies a record on Hardhat's
 * in-process network with the SDK. Needs the npm registry (for the consumer's own dependencies,
 * the same versions as ours: their tarballs come from npm's cache after `npm ci`).
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { expect } from "chai";

import { ROOT } from "../helpers/cli-run.js";

/**
 * The environment of a command in the scratch project: ours without what `npm test` and
 * `hardhat test` set for this repository (npm_config_local_prefix, HARDHAT_CONFIG, ...), which
 * would point the project's npm and Hardhat back at this repository.
 */
function scratchEnv(): NodeJS.ProcessEnv {
  // npm's own settings (registry, cache, proxy: npm_config_*) are kept, except the prefix.
  const ours =
    /^(npm_lifecycle_|npm_package_|npm_config_local_prefix$|npm_command$|INIT_CWD$|HARDHAT_)/;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !ours.test(k)));
}

/** Runs a command, returning stdout; a failure carries its stderr's last lines. */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 << 20,
      env: scratchEnv(),
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; status?: number };
    const tail = `${err.stdout ?? ""}\n${err.stderr ?? ""}`
      .trim()
      .split("\n")
      .slice(-15)
      .join("\n");
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) exited ${err.status}:\n${tail}`);
  }
}

describe("the npm package, packed and installed in a project outside the repository", function () {
  this.timeout(15 * 60_000);
  let scratch: string;
  let project: string;
  let tarball: string;
  const node = process.execPath; // Node 22 (the project's `node` package) under npm test

  before(function () {
    scratch = mkdtempSync(join(tmpdir(), "trail-pack-"));
    run("npm", ["pack", "--pack-destination", scratch], ROOT);
    const tarballs = readdirSync(scratch).filter((f) => f.endsWith(".tgz"));
    expect(tarballs, "npm pack wrote one tarball").to.have.length(1);
    tarball = join(scratch, tarballs[0]);
    project = join(scratch, "consumer");
    cpSync(join(ROOT, "examples/consumer"), project, {
      recursive: true,
      filter: (src) => !/node_modules|artifacts|cache/.test(src.slice(ROOT.length)),
    });
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
    manifest.devDependencies["rollback-trail"] = `file:${tarball}`;
    writeFileSync(join(project, "package.json"), JSON.stringify(manifest, null, 2));
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], project);
    // npm on Node 20 skips Hardhat's native simulator (see the README's "Why a postinstall step"):
    // the package ships the same fix for its users.
    run(
      node,
      ["node_modules/rollback-trail/scripts/toolchain/install-native-optionals.mjs"],
      project,
    );
  });

  after(function () {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it("ships the SDK, the Solidity sources and the ABIs, and no tests or sources of the tools", function () {
    const installed = join(project, "node_modules/rollback-trail");
    for (const path of [
      "contracts/VersionBound.sol",
      "contracts/interfaces/IModelRegistry.sol",
      "contracts/libraries/InferenceRecordLib.sol",
      "abi/ModelRegistry.json",
      "abi/IInferenceAnchor.json",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/records/index.d.ts",
      "dist/types/ethers-contracts/index.js",
      "artifacts/contracts/ModelRegistry.sol/ModelRegistry.json",
    ]) {
      expect(existsSync(join(installed, path)), path).to.equal(true);
    }
    for (const path of [
      "src",
      "test",
      "scripts/demo",
      "contracts/test",
      "contracts/bench",
      ".ci",
      "deploy/modules",
      "deploy/deployments/chain-31337",
      "dist/src/index.js.map",
    ]) {
      expect(existsSync(join(installed, path)), path).to.equal(false);
    }
    const abi = JSON.parse(readFileSync(join(installed, "abi/ModelRegistry.json"), "utf8"));
    expect(abi.some((f: { name?: string }) => f.name === "live")).to.equal(true);
    const exported = readdirSync(join(installed, "dist/src")).filter((f) => !f.includes("."));
    expect(exported).to.include.members(["records", "node", "chain", "incident", "contracts"]);
  });

  it("resolves every public entry point, and refuses a path that is not exported", function () {
    const script = `
      const names = ["", "/records", "/chain", "/store", "/node", "/governance", "/deploy", "/incident", "/watch", "/contracts"];
      const seen = {};
      for (const n of names) seen[n || "."] = Object.keys(await import("rollback-trail" + n)).length;
      let refused = "";
      try { await import("rollback-trail/dist/src/chain/connect.js"); } catch (e) { refused = e.code; }
      console.log(JSON.stringify({ seen, refused }));`;
    const out = JSON.parse(run(node, ["--input-type=module", "-e", script], project));
    for (const [name, count] of Object.entries(out.seen)) expect(count, name).to.be.greaterThan(0);
    expect(out.refused).to.equal("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it("type-checks the project's TypeScript against the SDK's declarations", function () {
    run(node, ["node_modules/typescript/bin/tsc", "-p", "."], project);
  });

  it("declares its public API without Hardhat: no declaration reachable from an entry point imports it", function () {
    // A project without Hardhat that type-checks its dependencies (skipLibCheck: false) must not
    // meet an import of Hardhat's types: follow every relative import from each entry point.
    const installed = join(project, "node_modules/rollback-trail");
    const faces = [
      "",
      "records",
      "chain",
      "store",
      "node",
      "governance",
      "deploy",
      "incident",
      "watch",
      "contracts",
    ];
    const seen = new Set<string>();
    const bare = new Set<string>();
    const queue = faces.map((f) => join(installed, "dist/src", f, "index.d.ts"));
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      // Comments hold examples (`from "rollback-trail"`): only code counts.
      const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
      for (const m of text.matchAll(/(?:from\s+|import\()["']([^"']+)["']/g)) {
        const spec = m[1];
        if (spec.startsWith(".")) queue.push(join(dirname(file), spec.replace(/\.js$/, ".d.ts")));
        else bare.add(spec);
      }
    }
    expect(seen.size).to.be.greaterThan(30);
    const hardhat = [...bare].filter((s) => /^(hardhat|@nomicfoundation\/)/.test(s));
    expect(hardhat, "Hardhat types in the public declarations").to.deep.equal([]);
    expect(
      [...bare].every((s) =>
        /^(ethers|@openzeppelin\/|@noble\/|cli-progress|hash-wasm|node:)/.test(s),
      ),
      [...bare].join(", "),
    ).to.equal(true);
  });

  it("compiles a contract inheriting VersionBound from the package, builds, anchors and verifies with the SDK, and runs the incident report", function () {
    const hardhat = join(project, "node_modules/hardhat/dist/src/cli.js");
    run(node, [hardhat, "build", "--quiet"], project);
    expect(existsSync(join(project, "artifacts/contracts/TipJar.sol/TipJar.json"))).to.equal(true);
    const lines = run(node, [hardhat, "run", "scripts/flow.ts"], project).trim().split("\n");
    const seen = JSON.parse(lines[lines.length - 1]);
    expect(seen.liveVersion).to.equal(1);
    expect(seen.tipEpoch).to.equal(seen.liveEpoch);
    expect(seen.mismatch).to.equal("VersionBoundVersionMismatch");
    expect(seen.anchored).to.equal("anchored");
    expect(seen.onChainCount).to.equal(3);
    expect(seen.standing).to.equal("Conforming");
    expect(seen.verdict[0]).to.equal("included: yes");
    // The report read the same chain: one batch, its three records, all conforming, complete.
    expect(seen.report).to.deep.equal({ complete: true, batches: 1, records: 3, conforming: 3 });
  });
});
