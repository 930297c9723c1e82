/**
 * npx tsx scripts/local/check-rollback.ts --network localhost [--model NAME|ID] [--from V] [--to V]
 *     [--reason TEXT]
 *
 * Checks, on the deployment recorded for the chain (deploy/deployments/chain-<id>/), that the
 * guardian's rollback of `--model` (default demo/model) from `--from` (default 2) to `--to`
 * (default 1) happened: `--to` is live again (not paused), `--from` is Faulty, the model's newest
 * incident names both versions with the disposition Faulty (and keccak256 of `--reason` as its
 * reason hash, when given), it was made by a Safe that holds GUARDIAN, and the epoch of `--from`
 * ended by a rollback. Prints one line per fact; exit 0 when all hold, 1 with one line on stderr
 * at the first that does not. Read-only: works on any network (e.g. after owners executed the
 * rollback in Safe{Wallet}).
 */
import { getAddress, id } from "ethers";

import { resolveAddress } from "../../src/chain/chain.js";
import { Disposition, EndReason, VersionStatus } from "../../src/chain/enums.js";
import { fail, main } from "../../src/ground/cli.js";
import { parseModelId } from "../../src/governance/gov.js";
import { Role } from "../../src/chain/roles.js";
import { readSafeState } from "../../src/governance/safe.js";
import type { AccessManager, ModelRegistry } from "../../types/ethers-contracts/index.js";
import { DEMO_MODEL, connectLocal, scriptArgs } from "./common.js";

const NAME = "local/check-rollback";
const USAGE =
  "npx tsx scripts/local/check-rollback.ts --network NAME [--model NAME|ID] [--from V] [--to V] [--reason TEXT]";

const FAULTY_STATUS = VersionStatus.Faulty;
const FAULTY_DISPOSITION = Disposition.Faulty;
const END_ROLLBACK = EndReason.Rollback;

function versionArg(raw: string | boolean | undefined, flag: string, fallback: bigint): bigint {
  if (raw === undefined) return fallback;
  if (typeof raw !== "string" || !/^\d+$/.test(raw)) fail(`--${flag} must be a version number`);
  return BigInt(raw);
}

main(NAME, async () => {
  const { networkName, values } = await scriptArgs(
    import.meta.url,
    {
      model: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      reason: { type: "string" },
    },
    USAGE,
  );
  const model = parseModelId(typeof values.model === "string" ? values.model : DEMO_MODEL);
  const from = versionArg(values.from, "from", 2n);
  const to = versionArg(values.to, "to", 1n);
  const label = model.name ?? model.id;
  const ok = (line: string) => process.stdout.write(`${NAME}: ok: ${line}\n`);

  const { connection, chainId } = await connectLocal(networkName, { anyChain: true });
  const { ethers } = connection;
  try {
    const registryAddress = resolveAddress("ModelRegistry", chainId, undefined, "--registry");
    const registry = (await ethers.getContractAt(
      "ModelRegistry",
      registryAddress,
    )) as unknown as ModelRegistry;

    const [live, epoch, paused] = await registry.live(model.id);
    if (live !== to || paused) {
      fail(`${label}: expected v${to} live, got v${live}${paused ? " (paused)" : ""}`);
    }
    ok(`${label}: v${to} is live again (epoch ${epoch})`);

    const status = await registry.versionStatus(model.id, from);
    if (status !== FAULTY_STATUS) fail(`${label}: v${from} has status ${status}, not Faulty`);
    ok(`${label}: v${from} is Faulty (since ${await registry.faultyAt(model.id, from)})`);

    const count = await registry.incidentCountOf(model.id);
    if (count === 0n) fail(`${label} has no incident`);
    const [incidentId] = await registry.incidentsOf(model.id, count - 1n, 1n);
    const incident = await registry.getIncident(incidentId);
    if (incident.version !== from || incident.target !== to) {
      fail(
        `incident ${incidentId} is about v${incident.version} -> v${incident.target}, not v${from} -> v${to}`,
      );
    }
    if (incident.disposition !== FAULTY_DISPOSITION) {
      fail(`incident ${incidentId} has disposition ${incident.disposition}, not Faulty`);
    }
    if (typeof values.reason === "string" && incident.reasonHash !== id(values.reason)) {
      fail(
        `incident ${incidentId} has reason hash ${incident.reasonHash}, not keccak256 of --reason`,
      );
    }

    const by = getAddress(incident.by);
    const manager = (await ethers.getContractAt(
      "AccessManager",
      await registry.authority(),
    )) as unknown as AccessManager;
    const [isGuardian] = await manager.hasRole(Role.GUARDIAN, by);
    if (!isGuardian) fail(`incident ${incidentId} was made by ${by}, which does not hold GUARDIAN`);
    let safe;
    try {
      safe = await readSafeState(ethers.provider, by);
    } catch {
      fail(`incident ${incidentId} was made by ${by}, which is not a Safe`);
    }
    ok(
      `incident ${incidentId}: v${from} -> v${to}, Faulty, windows ${incident.windowCount}, by the guardian Safe ${by} (${safe.threshold} of ${safe.owners.length})`,
    );

    const windows = await registry.windowsOf(model.id, from, 0n, 100n);
    const last = windows[windows.length - 1];
    if (last === undefined) fail(`${label}: v${from} has no window`);
    if (last.epoch.endReason !== END_ROLLBACK) {
      fail(
        `${label}: epoch ${last.id} of v${from} ended with reason ${last.epoch.endReason}, not Rollback`,
      );
    }
    ok(`${label}: epoch ${last.id} of v${from} ended by the rollback at ${last.epoch.endTime}`);
  } finally {
    await connection.close();
  }
});
