/**
 * npx tsx scripts/local/safes.ts --network localhost [--out FILE]
 * npx hardhat run scripts/local/safes.ts --network localhost
 *
 * On a local chain (31337 or 1337 only), deploys the Safe 1.5.0 infrastructure (SafeL2 singleton,
 * proxy factory, fallback handler) and two Safes, then writes the parameters of the Ignition
 * module for them (default deploy/parameters/localhost.generated.json, git-ignored; written
 * atomically):
 *
 * - governance Safe: 2 of 3, owners Hardhat accounts #1, #2, #3 (GOVERNOR, ADMIN with a delay);
 * - guardian Safe: 2 of 3, owners accounts #4, #5, #6 (GUARDIAN);
 * - publisher: account #7; deployer: account #0;
 * - short delays: promotionDelay 1 hour, proposalGracePeriod 1 day, maxAnchorDelay 1 day,
 *   holdPeriod 1 day, adminExecutionDelay 1 hour.
 *
 * Then: npx hardhat ignition deploy deploy/modules/RollbackTrail.ts --network localhost \
 *         --parameters deploy/parameters/localhost.generated.json
 *
 * Each run creates new Safes (a new infrastructure too). Exit 0 on success, 1 with one line on
 * stderr otherwise.
 */
import { getAddress } from "ethers";

import { fail, main, userPath } from "../../src/ground/cli.js";
import { parseRollbackTrailParameters } from "../../src/deploy/deployment.js";
import { createSafe, deploySafeInfrastructure, readSafeState } from "../../src/governance/safe.js";
import { writeFileAtomic } from "../../src/governance/tx-builder.js";
import {
  ACCOUNTS,
  GENERATED_PARAMETERS,
  LOCAL_DELAYS,
  SAFE_THRESHOLD,
  SALT,
  connectLocal,
  scriptArgs,
} from "./common.js";

const NAME = "local/safes";
const USAGE = "npx tsx scripts/local/safes.ts --network NAME [--out FILE]";

main(NAME, async () => {
  const { networkName, values } = await scriptArgs(
    import.meta.url,
    { out: { type: "string" } },
    USAGE,
  );
  const out =
    typeof values.out === "string" && values.out !== ""
      ? userPath(values.out, NAME)
      : GENERATED_PARAMETERS;
  const print = (line: string) => process.stdout.write(`${NAME}: ${line}\n`);

  const { connection, chainId } = await connectLocal(networkName);
  try {
    const signers = await connection.ethers.getSigners();
    if (signers.length <= ACCOUNTS.publisher) {
      fail(
        `network ${networkName} has ${signers.length} accounts; accounts #0 to #${ACCOUNTS.publisher} are needed`,
      );
    }
    const deployer = signers[ACCOUNTS.deployer];
    const addressOf = (i: number) => getAddress(signers[i].address);

    const infra = await deploySafeInfrastructure(deployer);
    print(
      `Safe infrastructure on chain ${chainId}: singleton (SafeL2) ${infra.singleton}, factory ${infra.factory}, fallback handler ${infra.fallbackHandler}`,
    );
    const makeSafe = async (label: string, indices: readonly number[], salt: bigint) => {
      const owners = indices.map(addressOf);
      const address = await createSafe(deployer, infra, owners, SAFE_THRESHOLD, salt);
      const state = await readSafeState(connection.ethers.provider, address);
      print(
        `${label} Safe ${address}: ${state.threshold} of ${state.owners.length}, owners accounts ${indices.map((i) => `#${i}`).join(", ")}`,
      );
      return address;
    };
    const governanceSafe = await makeSafe("governance", ACCOUNTS.governanceOwners, SALT.governance);
    const guardianSafe = await makeSafe("guardian", ACCOUNTS.guardianOwners, SALT.guardian);
    const publisher = addressOf(ACCOUNTS.publisher);

    const parameters = {
      RollbackTrail: {
        governanceSafe,
        guardianSafe,
        publishers: [publisher],
        ...LOCAL_DELAYS,
      },
    };
    parseRollbackTrailParameters(parameters, out); // the module's own check, before writing
    writeFileAtomic(out, `${JSON.stringify(parameters, null, 2)}\n`);
    print(`publisher: account #${ACCOUNTS.publisher} ${publisher}`);
    print(`wrote ${out}`);
  } finally {
    await connection.close();
  }
});
