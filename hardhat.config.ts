import { createRequire } from "node:module";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

// The compiler is the npm `solc` package (WebAssembly): nothing is downloaded. Hardhat requires
// the declared version to equal the binary's, so both come from the installed package.
const SOLC_VERSION: string = require("solc/package.json").version;
const SOLC_PATH = require.resolve("solc/soljson.js");

// cancun everywhere: runs on every current EVM chain and on anvil, and gives transient storage
// (OpenZeppelin's ReentrancyGuardTransient). No viaIR: the WebAssembly compiler is slow with it.
const EVM_VERSION = "cancun";

/** Optimizer runs of ModelRegistry in the production profile (code size; see below). */
const REGISTRY_RUNS = 500;

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    // Built for tests and deployment; not part of our sources.
    npmFilesToBuild: ["@openzeppelin/contracts/access/manager/AccessManager.sol"],
    profiles: {
      default: {
        version: SOLC_VERSION,
        path: SOLC_PATH,
        // The optimizer is on here too: without it the registry exceeds the 24 KiB code limit.
        settings: { evmVersion: EVM_VERSION, optimizer: { enabled: true, runs: 200 } },
      },
      // Gas figures (npm run bench) are quoted for this profile.
      production: {
        compilers: [
          {
            version: SOLC_VERSION,
            path: SOLC_PATH,
            settings: { evmVersion: EVM_VERSION, optimizer: { enabled: true, runs: 10_000 } },
          },
        ],
        // The registry's code is optimized for size (fewer runs): at 10,000 runs it would not
        // keep 2 KB of headroom under the 24 KiB limit. Its hot paths (live, recordContext,
        // releaseState, faultyAt) are short and cost the same within 2% (see the README).
        overrides: {
          "contracts/ModelRegistry.sol": {
            version: SOLC_VERSION,
            path: SOLC_PATH,
            settings: {
              evmVersion: EVM_VERSION,
              optimizer: { enabled: true, runs: REGISTRY_RUNS },
            },
          },
        },
      },
    },
  },
  paths: {
    ignition: "deploy",
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      invariant: { runs: 64, depth: 64, failOnRevert: false },
    },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    // The incident benchmark's own `hardhat node` (npm run bench -- --only incident).
    benchNode: { type: "http", chainType: "l1", url: "http://127.0.0.1:8546", timeout: 600_000 },
    // Any other EVM network is one entry; its URL and key come from configuration variables
    // (environment or `npx hardhat keystore set NAME`), never from the repository.
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
});
