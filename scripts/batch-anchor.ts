/**
 * npm run batch:anchor -- --batch DIR --network NAME [--anchor ADDRESS] [--file-ref BYTES32]
 *
 * Anchors a batch written by batch:build on InferenceAnchor, from the network's first account
 * (which must be an operator of the batch's model). A batch anchored already is reported and
 * nothing is sent; a call that would revert is reported in words and nothing is sent; a failed
 * transaction leaves nothing behind, so the command can be run again. Exit 0 when the batch is
 * anchored (now or before), 1 on any error.
 *
 * The file reference anchored is batch.json's fileRef (the SHA-256 of batch.jsonl, resolvable in
 * any store) unless --file-ref is given; a legacy batch.json without one anchors the keccak256 of
 * its text, which names no stored file (the message says so).
 */
import { isHexString } from "ethers";

import { anchorBatch, readBatchSummary } from "../src/node/anchoring.js";
import { fail, main, parseCliArgs, requireOption } from "../src/ground/cli.js";
import { connectTool } from "../src/chain/connect.js";

const NAME = "batch:anchor";
const USAGE =
  "npm run batch:anchor -- --batch DIR --network NAME [--anchor ADDRESS] [--file-ref BYTES32]";

main(NAME, async () => {
  const args = parseCliArgs(
    {
      batch: { type: "string" },
      network: { type: "string" },
      anchor: { type: "string" },
      "file-ref": { type: "string" },
    },
    USAGE,
  );
  const dir = requireOption(args.batch, "--batch", USAGE);
  const networkName = requireOption(args.network, "--network", USAGE);
  const fileRef = args["file-ref"];
  if (fileRef !== undefined && !isHexString(fileRef, 32))
    fail("--file-ref must be 32 bytes of hex");
  const summary = readBatchSummary(dir);
  const tool = await connectTool(networkName, args.anchor);
  try {
    const [signer] = await tool.ethers.getSigners();
    if (signer === undefined) fail(`network ${networkName} has no account configured`);
    const outcome = await anchorBatch(tool.anchor, signer, summary, fileRef);
    const when = new Date(Number(outcome.anchoredAt) * 1000).toISOString();
    const operator = outcome.operator;
    if (outcome.status === "already-anchored") {
      process.stdout.write(
        `${NAME}: batch ${summary.root} of model ${summary.modelId} was anchored already at ` +
          `${outcome.anchoredAt} (${when}) by operator ${operator}; nothing was sent\n`,
      );
    } else {
      process.stdout.write(
        `${NAME}: anchored batch ${summary.root} of model ${summary.modelId} (${summary.count} ` +
          `records) at ${outcome.anchoredAt} (${when}) by ${operator} in tx ${outcome.txHash} ` +
          `(block ${outcome.blockNumber}, gas ${outcome.gasUsed}), file ref ${outcome.fileRef}` +
          (fileRef === undefined && summary.fileRef === undefined
            ? " (legacy batch.json: the keccak256 of batch.json, not a stored file's reference)"
            : "") +
          "\n",
      );
    }
  } finally {
    await tool.close();
  }
});
