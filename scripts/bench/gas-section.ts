/**
 * The `gas` section of `npm run bench`: runs scripts/bench/gas.ts under Hardhat with the
 * `production` build profile (the one gas figures are quoted for) in a child process, and returns
 * the JSON it writes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { fail } from "../../src/ground/cli.js";

export async function benchGas(): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), "bench-gas-"));
  const out = join(dir, "gas.json");
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        "hardhat",
        ["--build-profile", "production", "run", "scripts/bench/gas.ts"],
        // Hardhat's progress and compiler warnings go to our stderr; the result to `out`.
        { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, BENCH_GAS_OUT: out } },
      );
      child.on("error", reject);
      child.on("exit", resolve);
    });
    if (code !== 0) fail(`the gas benchmark exited with code ${code}`);
    return JSON.parse(readFileSync(out, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
