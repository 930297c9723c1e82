/**
 * npm run record:verify -- --batch DIR --request REQUEST_ID --network NAME [--anchor ADDRESS]
 * npm run record:verify -- --entry FILE --root ROOT --network NAME [--anchor ADDRESS]
 *
 * Verifies inference records on-chain against their anchored batch and prints their standing in
 * words: with --batch, every record of the request in DIR/proofs.jsonl; with --entry, one
 * {"record", "proof"} JSON file (a line of proofs.jsonl) against ROOT. Exit 0 when every record is
 * included and conforming, 2 when one is not, 1 on any error.
 */
import { readFileSync } from "node:fs";

import { isHexString } from "ethers";

import {
  type ProofEntry,
  describeVerdict,
  findEntries,
  parseProofEntry,
  readBatchSummary,
  verifyEntry,
} from "../src/node/anchoring.js";
import { describeFsError, fail, main, parseCliArgs, requireOption } from "../src/ground/cli.js";
import { connectTool } from "../src/chain/connect.js";

const NAME = "record:verify";
const USAGE =
  "npm run record:verify -- (--batch DIR --request ID | --entry FILE --root ROOT) --network NAME [--anchor ADDRESS]";

function readEntry(path: string): ProofEntry {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    fail(`cannot read ${path}: ${describeFsError(e)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail(`${path} is not valid JSON`);
  }
  return parseProofEntry(value, path);
}

main(NAME, async () => {
  const args = parseCliArgs(
    {
      batch: { type: "string" },
      request: { type: "string" },
      entry: { type: "string" },
      root: { type: "string" },
      network: { type: "string" },
      anchor: { type: "string" },
    },
    USAGE,
  );
  const networkName = requireOption(args.network, "--network", USAGE);
  let root: string;
  let entries: ProofEntry[];
  if (args.batch !== undefined) {
    const request = requireOption(args.request, "--request", USAGE);
    if (!isHexString(request, 32)) fail("--request must be 32 bytes of hex");
    const summary = readBatchSummary(args.batch);
    root = summary.root;
    entries = await findEntries(args.batch, summary.files.proofs, request);
    if (entries.length === 0) fail(`no record of request ${request} in ${args.batch}`);
  } else {
    const entryFile = requireOption(args.entry, "--entry (or --batch)", USAGE);
    root = requireOption(args.root, "--root", USAGE);
    if (!isHexString(root, 32)) fail("--root must be 32 bytes of hex");
    entries = [readEntry(entryFile)];
  }
  const tool = await connectTool(networkName, args.anchor);
  let allConform = true;
  try {
    const latest = await tool.ethers.provider.getBlock("latest");
    if (latest === null) fail("the network returned no latest block");
    for (const entry of entries) {
      const verdict = await verifyEntry(
        tool.anchor,
        tool.registry,
        entry.record.modelId,
        root,
        entry,
        BigInt(latest.timestamp),
      );
      allConform &&= verdict.included && verdict.flags === 0n;
      process.stdout.write(
        `${NAME}: request ${entry.record.requestId} in batch ${root}\n` +
          describeVerdict(entry, verdict)
            .map((line) => `  ${line}\n`)
            .join(""),
      );
    }
  } finally {
    await tool.close();
  }
  if (!allConform) process.exitCode = 2;
});
