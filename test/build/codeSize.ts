import { expect } from "chai";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import hre from "hardhat";

/*
 * Every deployable contract keeps at least 2 KB of headroom under EIP-170's 24 KiB limit in the
 * `production` build profile (the one deployments use), so that a fix never has to wait for a
 * restructure. Compiled here with the profile's own settings (and per-file overrides) by the same
 * npm `solc` the project builds with, because `npm test` builds the default profile only.
 */

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const LIMIT = 22 * 1024;
const CONTRACTS = [
  "ModelRegistry",
  "InferenceAnchor",
  "InferenceSettlement",
  "AgentActionLog",
  "NodeRouting",
] as const;

interface SolcModule {
  compile(input: string, callbacks: { import: (path: string) => unknown }): string;
}

function readImport(path: string): { contents: string } | { error: string } {
  const candidates = path.startsWith("@") ? [join(ROOT, "node_modules", path)] : [join(ROOT, path)];
  for (const file of candidates) {
    try {
      return { contents: readFileSync(file, "utf8") };
    } catch {
      // try the next
    }
  }
  return { error: `not found: ${path}` };
}

interface ProfileCompiler {
  settings?: Record<string, unknown>;
}

function productionSettings(source: string): Record<string, unknown> {
  const profile = hre.config.solidity.profiles.production as unknown as {
    compilers: ProfileCompiler[];
    overrides: Record<string, ProfileCompiler>;
  };
  return (profile.overrides[source] ?? profile.compilers[0]).settings ?? {};
}

function runtimeSize(solc: SolcModule, name: string): number {
  const source = `contracts/${name}.sol`;
  const input = {
    language: "Solidity",
    sources: { [source]: { content: readFileSync(join(ROOT, source), "utf8") } },
    settings: {
      ...productionSettings(source),
      outputSelection: { [source]: { [name]: ["evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: readImport })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { evm: { deployedBytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length !== 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  return output.contracts[source][name].evm.deployedBytecode.object.length / 2;
}

describe("code size in the production profile", function () {
  this.timeout(600_000);
  const solc = require("solc") as SolcModule;

  for (const name of CONTRACTS) {
    it(`keeps ${name} at or below 22 KB of runtime code (2 KB under the limit)`, function () {
      const size = runtimeSize(solc, name);
      expect(size, `${name}: ${size} bytes`).to.be.at.most(LIMIT);
      expect(size).to.be.greaterThan(1000); // a real contract was measured
    });
  }
});
