import { createRequire } from "node:module";

import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

// The suite's sources pin solc 0.8.34; the npm `solc` package (WebAssembly) is that compiler, so
// nothing is downloaded.
export default defineConfig({
  plugins: [hardhatEthers],
  solidity: {
    version: require("solc/package.json").version,
    path: require.resolve("solc/soljson.js"),
    settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 200 } },
  },
});
