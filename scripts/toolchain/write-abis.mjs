// Writes abi/<Contract>.json (the bare ABI array) for each of the suite's contracts and
// interfaces, from Hardhat's artifacts, for the package: integrators that do not use TypeChain
// import `rollback-trail/abi/ModelRegistry.json`. Run by `npm run build:lib` (and so by prepack).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const sources = [
  ...readdirSync(join(root, "contracts"))
    .filter((f) => f.endsWith(".sol"))
    .map((f) => ["", f]),
  ...readdirSync(join(root, "contracts/interfaces")).map((f) => ["interfaces/", f]),
];
const out = join(root, "abi");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
for (const [dir, file] of sources) {
  const name = file.replace(/\.sol$/, "");
  const artifact = join(root, "artifacts/contracts", dir + file, `${name}.json`);
  const { abi } = JSON.parse(readFileSync(artifact, "utf8"));
  writeFileSync(join(out, `${name}.json`), JSON.stringify(abi, null, 2) + "\n");
}
const manager =
  "artifacts/@openzeppelin/contracts/access/manager/AccessManager.sol/AccessManager.json";
writeFileSync(
  join(out, "AccessManager.json"),
  JSON.stringify(JSON.parse(readFileSync(join(root, manager), "utf8")).abi, null, 2) + "\n",
);
process.stderr.write(`write-abis: ${sources.length + 1} ABIs in abi/\n`);
