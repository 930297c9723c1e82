/**
 * npx tsx scripts/local/scenario.ts --network localhost
 * npx hardhat run scripts/local/scenario.ts --network localhost
 *
 * The life of a model on a local chain where the suite was deployed with the Safes of
 * scripts/local/safes.ts (addresses from deploy/deployments/chain-<id>/), every governance step
 * through the governance command line's core (src/governance/gov.ts runGov: the code behind
 * `npm run gov -- ... --execute`):
 *
 *   1. the governance Safe (owners #1, #2 sign) creates the model "demo/model", publisher #7;
 *   2. the publisher (#7) registers v1 and v2;
 *   3. the governance Safe proposes v1; time passes (evm_increaseTime, evm_mine); anyone (#0)
 *      activates it; the same for v2.
 *
 * Ends with v1 Retired and v2 live, ready for the guardian's rollback:
 *   npm run gov -- rollback --model demo/model --from 2 --to 1 --disposition faulty \
 *     --reason "v2 misbehaved" --network localhost --execute
 *
 * For a fresh deployment: a model that exists already stops the scenario. Exit 0 on success, 1
 * with one line on stderr otherwise.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroAddress, id } from "ethers";

import { resolveAddress } from "../../src/chain/chain.js";
import { fail, main } from "../../src/ground/cli.js";
import { parseGovArgs, parseModelId, runGov } from "../../src/governance/gov.js";
import type { ModelRegistry } from "../../types/ethers-contracts/index.js";
import { ACCOUNTS, DEMO_MODEL, connectLocal, scriptArgs } from "./common.js";

const NAME = "local/scenario";
const USAGE = "npx tsx scripts/local/scenario.ts --network NAME";

/** Proof mask of the demo versions: paths none (bit 0) and TEE (bit 1); no ZK verifier. */
const PROOF_MASK = 0b0011;

main(NAME, async () => {
  const { networkName } = await scriptArgs(import.meta.url, {}, USAGE);
  const print = (line: string) => process.stdout.write(`${NAME}: ${line}\n`);
  const { connection, chainId } = await connectLocal(networkName);
  const { ethers, provider } = connection;
  try {
    const signers = await ethers.getSigners();
    const publisher = signers[ACCOUNTS.publisher];
    if (publisher === undefined) fail(`network ${networkName} has no account #7 (the publisher)`);
    const model = parseModelId(DEMO_MODEL);
    const registryAddress = resolveAddress("ModelRegistry", chainId, undefined, "--registry");
    const registry = (await ethers.getContractAt(
      "ModelRegistry",
      registryAddress,
    )) as unknown as ModelRegistry;
    if (await registry.modelExists(model.id)) {
      fail(
        `${DEMO_MODEL} exists already on the registry ${registryAddress}: the scenario needs a fresh deployment`,
      );
    }
    const governanceOwners = ACCOUNTS.governanceOwners.slice(0, 2).join(",");

    /** `npm run gov -- <argv> --network NAME --execute`, in-process. */
    const gov = async (argv: string[]) => {
      const request = parseGovArgs([...argv, "--network", networkName, "--execute"]);
      await runGov(request, ethers as HardhatEthers, {
        print: (line) => print(`gov: ${line}`),
      });
    };

    print(`1. the governance Safe creates ${DEMO_MODEL} (${model.id})`);
    await gov([
      "create-model",
      "--model",
      DEMO_MODEL,
      "--publisher",
      publisher.address,
      "--owners",
      governanceOwners,
    ]);

    print(
      `2. the publisher, account #${ACCOUNTS.publisher} ${publisher.address}, registers v1, v2`,
    );
    for (const v of [1, 2]) {
      const tx = await registry
        .connect(publisher)
        .registerVersion(
          model.id,
          id(`${DEMO_MODEL} v${v} blob`),
          id(`${DEMO_MODEL} v${v} weights`),
          `ipfs://demo-model/v${v}`,
          PROOF_MASK,
          ZeroAddress,
        );
      const receipt = await tx.wait();
      const count = await registry.versionCount(model.id);
      print(`   registered v${count} in tx ${receipt?.hash}`);
      if (count !== BigInt(v)) fail(`expected v${v} to be registered, the model has ${count}`);
    }

    for (const v of [1, 2]) {
      print(`3. the governance Safe proposes v${v}; after the promotion delay anyone activates it`);
      await gov([
        "propose",
        "--model",
        DEMO_MODEL,
        "--version",
        String(v),
        "--owners",
        governanceOwners,
      ]);
      const proposal = await registry.pendingProposal(model.id);
      const latest = await ethers.provider.getBlock("latest");
      if (latest === null) fail("cannot read the latest block");
      const wait = Math.max(1, Number(proposal.earliestActivation) - latest.timestamp + 1);
      await provider.request({ method: "evm_increaseTime", params: [wait] });
      await provider.request({ method: "evm_mine", params: [] });
      print(`   time passes: ${wait} s (evm_increaseTime, evm_mine)`);
      await gov(["activate", "--model", DEMO_MODEL]);
      const [live, epoch] = await registry.live(model.id);
      if (live !== BigInt(v)) fail(`expected v${v} live after activation, got v${live}`);
      print(`   v${live} is live (epoch ${epoch})`);
    }
    print(
      `done: ${DEMO_MODEL} has v1 Retired and v2 live on chain ${chainId} (registry ${registryAddress})`,
    );
  } finally {
    await connection.close();
  }
});
