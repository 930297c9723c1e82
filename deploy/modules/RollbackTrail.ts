/**
 * Hardhat Ignition module "RollbackTrail": the whole suite, wired from the role table.
 *
 *   npx hardhat ignition deploy deploy/modules/RollbackTrail.ts --network NAME \
 *     --parameters deploy/parameters/FILE.json
 *
 * The module is built (deploy/rollback-trail.ts) from the parameters this command is given, read
 * as Ignition reads them: `--parameters FILE.json|FILE.json5|'{JSON}'`, else
 * deploy/RollbackTrail.config.json. Invalid parameters (e.g. adminExecutionDelay below
 * promotionDelay) stop the command before anything is sent. `ignition visualize` shows the module
 * built from deploy/parameters/local.json. Any other use of this file fails: in code, use
 * buildRollbackTrailModule / deployRollbackTrail from deploy/rollback-trail.ts.
 */
import { HardhatPluginError } from "hardhat/plugins";

import { IGNITION_MODULE } from "../../src/chain/chain.js";
import { ParameterError } from "../../src/deploy/deployment.js";
import { buildRollbackTrailModule, commandLineParameters } from "../rollback-trail.js";

/** The module for this run; Hardhat shows a parameter error as one message, without a stack. */
async function moduleOfThisRun() {
  try {
    const { raw, source } = await commandLineParameters(process.argv);
    return buildRollbackTrailModule(raw, source);
  } catch (e) {
    if (e instanceof ParameterError) {
      throw new HardhatPluginError(`${IGNITION_MODULE} module`, e.message);
    }
    throw e;
  }
}

export default await moduleOfThisRun();
