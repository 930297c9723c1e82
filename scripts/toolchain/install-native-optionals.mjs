#!/usr/bin/env node
// The prepare step (npm ci / npm install here; also usable by hand in a project using this
// package): install the platform's optional native packages that npm skipped because of
// their `engines` field.
//
// Why: Hardhat 3's simulator (@nomicfoundation/edr) ships its native code as optional
// dependencies with `engines: node >= 22`. npm always skips an optional dependency whose engines
// do not match the Node.js that runs npm (even with --force), so `npm ci` on Node 20 leaves
// Hardhat without its simulator although the project brings Node 22 (the `node` package) to run
// it. Listing the native package as a plain dependency would break every other platform.
//
// What: for each optional entry of package-lock.json that matches this machine's os / cpu / libc
// and is missing from node_modules, fetch exactly the locked version with `npm pack`, check its
// integrity against the lockfile, and unpack it in place. On Node >= 22, or where nothing is
// missing, it does nothing. It never edits package.json or package-lock.json.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

const root = process.cwd();

function fail(message) {
  console.error(`install-native-optionals: ${message}`);
  process.exit(1);
}

function machineLibc() {
  if (process.platform !== "linux") return undefined;
  const report = process.report?.getReport?.();
  return report?.header?.glibcVersionRuntime ? "glibc" : "musl";
}

function matches(list, value) {
  if (!Array.isArray(list) || list.length === 0) return true;
  if (value === undefined) return false;
  const denied = list.filter((v) => v.startsWith("!")).map((v) => v.slice(1));
  if (denied.includes(value)) return false;
  const allowed = list.filter((v) => !v.startsWith("!"));
  return allowed.length === 0 || allowed.includes(value);
}

let lock;
try {
  lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
} catch {
  process.exit(0); // no lockfile: nothing is pinned, nothing to complete
}

const libc = machineLibc();
const missing = Object.entries(lock.packages ?? {}).filter(
  ([path, entry]) =>
    path.startsWith("node_modules/") &&
    entry.optional === true &&
    entry.engines !== undefined &&
    matches(entry.os, process.platform) &&
    matches(entry.cpu, process.arch) &&
    (entry.libc === undefined || matches(entry.libc, libc)) &&
    !existsSync(join(root, path, "package.json")),
);

for (const [path, entry] of missing) {
  const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  const spec = `${name}@${entry.version}`;
  // Unpack inside node_modules so that the final rename never crosses file systems.
  const work = mkdtempSync(join(root, "node_modules", ".native-optional-"));
  try {
    let packed;
    try {
      const out = execFileSync("npm", ["pack", spec, "--json", "--pack-destination", work], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        shell: process.platform === "win32",
      });
      packed = JSON.parse(out)[0];
    } catch (error) {
      fail(
        `could not fetch ${spec} from the npm registry (${String(error.message).split("\n")[0]})`,
      );
    }
    if (entry.integrity && packed.integrity !== entry.integrity) {
      fail(
        `${spec}: integrity ${packed.integrity} does not match package-lock.json (${entry.integrity})`,
      );
    }
    const unpacked = join(work, "unpacked");
    mkdirSync(unpacked);
    execFileSync("tar", [
      "-xzf",
      join(work, packed.filename),
      "-C",
      unpacked,
      "--strip-components=1",
    ]);
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(unpacked, target);
    console.log(
      `install-native-optionals: installed ${spec} (npm skipped it: its engines field excludes the Node.js that ran npm)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
