/**
 * npx tsx scripts/local/records.ts --network localhost --out FILE [--model NAME|ID]
 *
 * Moves the local chain's clock a minute on, then writes a JSON Lines file of two inference records
 * served by the network's first account (the node that `npm run batch:anchor` anchors from) a few
 * seconds before the latest block, so after the rollback of the local flow: one claims the live v1 (it conforms), one still claims the rolled-back
 * v2 (the stale node: NotLive and VersionFaulty). Their request ids are keccak256("ci/v1") and
 * keccak256("ci/stale-v2"). Blob ids are read from the registry. Written atomically.
 */
import { renameSync, writeFileSync } from "node:fs";

import { ZeroHash, id } from "ethers";

import { resolveAddress } from "../../src/chain/chain.js";
import { fail, main } from "../../src/ground/cli.js";
import { parseModelId } from "../../src/governance/gov.js";
import { ProofPath, RECORD_FORMAT_V1, type InferenceRecord } from "../../src/records/record.js";
import type { ModelRegistry } from "../../types/ethers-contracts/index.js";
import { DEMO_MODEL, connectLocal, scriptArgs } from "./common.js";

const NAME = "local/records";
const USAGE = "npx tsx scripts/local/records.ts --network NAME --out FILE [--model NAME|ID]";

main(NAME, async () => {
  const { networkName, values } = await scriptArgs(
    import.meta.url,
    { out: { type: "string" }, model: { type: "string" } },
    USAGE,
  );
  const out = values.out;
  if (typeof out !== "string" || out === "") fail(`missing --out (usage: ${USAGE})`);
  const modelId = parseModelId(typeof values.model === "string" ? values.model : DEMO_MODEL).id;
  const { connection, chainId } = await connectLocal(networkName);
  try {
    const { ethers } = connection;
    const registry = (await ethers.getContractAt(
      "ModelRegistry",
      resolveAddress("ModelRegistry", chainId, undefined, "--registry"),
    )) as unknown as ModelRegistry;
    const [node, agent] = await ethers.getSigners();
    // A minute passes first, so that both records are served after the rollback just before.
    await connection.provider.request({ method: "evm_increaseTime", params: [60] });
    await connection.provider.request({ method: "evm_mine", params: [] });
    const latest = await ethers.provider.getBlock("latest");
    if (latest === null) fail("the network returned no latest block");
    const record = (
      request: string,
      version: number,
      servedAt: number,
      blobId: string,
    ): InferenceRecord => ({
      format: RECORD_FORMAT_V1,
      requestId: id(request),
      modelId,
      version,
      blobId,
      inputHash: id(`${request}/input`),
      outputHash: id(`${request}/output`),
      proofPath: ProofPath.NONE,
      proofCommitment: ZeroHash,
      agent: agent.address,
      node: node.address,
      servedAt,
    });
    const records = [
      record("ci/v1", 1, latest.timestamp - 5, (await registry.getVersion(modelId, 1)).blobId),
      record(
        "ci/stale-v2",
        2,
        latest.timestamp - 3,
        (await registry.getVersion(modelId, 2)).blobId,
      ),
    ];
    const tmp = `${out}.tmp-${process.pid}`;
    writeFileSync(tmp, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    renameSync(tmp, out);
    process.stdout.write(
      `${NAME}: wrote ${records.length} records served by ${node.address} to ${out}\n`,
    );
  } finally {
    await connection.close();
  }
});
