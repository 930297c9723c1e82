/**
 * Deploying the suite and checking a deployment: the suite's contracts and their role table, the
 * Ignition parameter file format, the deployment record per chain, and the drift check that
 * `npm run verify-deployment` prints (every grant, delay and target function against the table).
 *
 * ```ts
 * const suite = await deploySuite(deployer, { governor, guardian, admin, publishers });
 * const record = readDeploymentRecord(deploymentDirOf("chain-11155111"));  // shipped per chain
 * const report = await verifyDeployment(provider, addresses, expectations, { fromBlock });
 * ```
 *
 * `deploySuite` is for local chains (tests, demos); real networks deploy through the repository's
 * Ignition module (deploy/modules/, `npx hardhat ignition deploy`), which follows the same table.
 *
 * @module rollback-trail/deploy
 */
export {
  DEFAULT_PARAMETERS,
  type Suite,
  type SuiteHolders,
  type SuiteParameters,
  deploySuite,
} from "./deploy-local.js";
export {
  type DeploymentRecord,
  type Expectations,
  type Finding,
  type FindingKind,
  MANAGED_CONTRACTS,
  PARAMETER_NAMES,
  ParameterError,
  type ReadOptions,
  type RollbackTrailParameters,
  SUITE_CONTRACTS,
  type SuiteAddresses,
  type SuiteContract,
  type SuiteState,
  type VerificationReport,
  addressesOf,
  deploymentDirOf,
  findDrift,
  parseRollbackTrailParameters,
  readDeploymentRecord,
  readParameterFile,
  readSuiteState,
  suiteInterface,
  verifyDeployment,
} from "./deployment.js";
