/**
 * npm run gov -- <command> [arguments] --network NAME [--safe ADDRESS]
 *                [--out FILE | --execute [--owners I,J]]
 *                [--registry ADDRESS] [--anchor ADDRESS] [--settlement ADDRESS]
 * npm run gov -- help
 *
 * Governance actions of the suite through its Safes: rollback, revoke, pause, resume,
 * cancel-proposal, propose, activate, create-model, set-publisher, set-operator,
 * set-promotion-delay, set-proposal-grace-period, set-max-anchor-delay, set-hold-period,
 * dispute-batch, revoke-enclave-key, register-enclave-key. Each call is previewed from the Safe
 * first (a call that would revert is explained in words and nothing is written or sent), then
 * written as a Safe{Wallet} Transaction Builder file for the owners to sign (--out FILE), or, on a
 * local chain, signed by threshold owners and executed (--execute). Model ids: 0x + 64 hex digits,
 * or a name whose id is keccak256(utf8(name)). Details: src/governance/gov.ts.
 *
 * Owners for --execute: --owners 1,2 (indices into the network's accounts), else the env var
 * OWNER_KEYS (comma-separated private keys), else the network's accounts that own the Safe.
 * Exit 0 on success, 1 on any error (one line on stderr, no stack trace).
 */
import { main, requireOption, userPath } from "../src/ground/cli.js";
import { openNetwork } from "../src/chain/connect.js";
import { helpText, parseGovArgs, runGov } from "../src/governance/gov.js";

const NAME = "gov";

main(NAME, async () => {
  const argv = process.argv.slice(2);
  if (argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  const request = parseGovArgs(argv);
  const networkName = requireOption(request.network, "--network", request.usage);
  if (request.out !== undefined) request.out = userPath(request.out, NAME);

  const connection = await openNetwork(networkName);
  try {
    await runGov(request, connection.ethers, {
      print: (line) => process.stdout.write(`${NAME}: ${line}\n`),
      ownerKeys: process.env.OWNER_KEYS,
    });
  } finally {
    await connection.close();
  }
});
