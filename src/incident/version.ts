/** The registry's side of the report: the version's record, its windows and incidents. */
import { type Provider, getAddress } from "ethers";

import type { ModelRegistry } from "../../types/ethers-contracts/index.js";
import { fail } from "../ground/cli.js";
import { DISPOSITION_NAMES, END_REASONS, PROOF_PATHS, VERSION_STATUSES, nameOf } from "./names.js";
import { num, safeOf, topicOfUint } from "./reads.js";
import type { BlockTime, ReportIncident, ReportVersion, ReportWindow } from "./types.js";

const PAGE = 100n;

export interface VersionFacts {
  versionRecord: ReportVersion;
  live: { version: number; epoch: number; paused: boolean };
  windows: ReportWindow[];
  closedAt: BlockTime | null;
  incidents: ReportIncident[];
}

/**
 * The version's record, what is live now, its windows and incidents, read at `blockTag`.
 * Throws a one-line CliError for an unknown model or version.
 */
export async function readVersionFacts(
  provider: Provider,
  registry: ModelRegistry,
  modelId: string,
  modelLabel: string,
  version: number,
  blockTag: number,
): Promise<VersionFacts> {
  const at = { blockTag };
  const registryAddress = getAddress(await registry.getAddress());
  if (!(await registry.modelExists(modelId, at))) {
    const { chainId } = await provider.getNetwork();
    fail(`no model ${modelLabel} on the registry ${registryAddress} (chain ${chainId})`);
  }
  const versionCount = num(await registry.versionCount(modelId, at));
  if (version > versionCount) {
    fail(`model ${modelLabel} has no version ${version} (it has ${versionCount})`);
  }
  const v = await registry.getVersion(modelId, version, at);
  const proofMask = num(v.proofMask);
  const versionRecord: ReportVersion = {
    blobId: v.blobId,
    weightsHash: v.weightsHash,
    metadataURI: v.metadataURI,
    proofMask,
    proofPaths: PROOF_PATHS.filter((_, bit) => (proofMask >> bit) & 1),
    zkVerifier: getAddress(v.zkVerifier),
    publisher: getAddress(v.publisher),
    registeredAt: num(v.registeredAt),
    status: nameOf(VERSION_STATUSES, v.status),
    faultyAt: num(await registry.faultyAt(modelId, version, at)),
    dispositionAt: num(v.dispositionAt),
  };
  const [liveVersion, liveEpoch, paused] = await registry.live(modelId, at);
  const live = { version: num(liveVersion), epoch: num(liveEpoch), paused };
  const windows = await readWindows(registry, modelId, version, blockTag);
  const last = windows[windows.length - 1];
  const closedAt: BlockTime | null =
    last === undefined || last.endTime === null || last.endBlock === null
      ? null
      : { time: last.endTime, block: last.endBlock };
  const incidents = await readIncidents(provider, registry, modelId, version, blockTag);
  return { versionRecord, live, windows, closedAt, incidents };
}

async function readWindows(
  registry: ModelRegistry,
  modelId: string,
  version: number,
  blockTag: number,
): Promise<ReportWindow[]> {
  const at = { blockTag };
  const windows: ReportWindow[] = [];
  const windowTotal = await registry.windowCount(modelId, version, at);
  for (let offset = 0n; offset < windowTotal; offset += PAGE) {
    for (const view of await registry.windowsOf(modelId, version, offset, PAGE, at)) {
      const e = view.epoch;
      const open = num(e.endReason) === 0;
      const startTime = num(e.startTime);
      const endTime = open ? null : num(e.endTime);
      windows.push({
        epoch: num(view.id),
        startTime,
        startBlock: num(e.startBlock),
        endTime,
        endBlock: open ? null : num(e.endBlock),
        endReason: nameOf(END_REASONS, e.endReason),
        neverLive: endTime !== null && endTime === startTime,
        duration: endTime === null ? null : endTime - startTime,
      });
    }
  }
  return windows;
}

async function readIncidents(
  provider: Provider,
  registry: ModelRegistry,
  modelId: string,
  version: number,
  blockTag: number,
): Promise<ReportIncident[]> {
  const at = { blockTag };
  const registryAddress = getAddress(await registry.getAddress());
  const incidentIds: bigint[] = [];
  for (let offset = 0n; ; offset += PAGE) {
    const page = await registry.incidentsOfVersion(modelId, version, offset, PAGE, at);
    incidentIds.push(...page);
    if (BigInt(page.length) < PAGE) break;
  }
  const incidents: ReportIncident[] = [];
  for (const id of incidentIds) {
    const i = await registry.getIncident(id, at);
    // Positional: an ethers Result is an Array, so `i.at` is Array.prototype.at, not the field.
    const incidentAt = i[2];
    const by = getAddress(i.by);
    const logs = await provider.getLogs({
      address: registryAddress,
      topics: [registry.interface.getEvent("IncidentOpened").topicHash, topicOfUint(id)],
      fromBlock: num(i.atBlock),
      toBlock: num(i.atBlock),
    });
    incidents.push({
      id: num(id),
      kind: num(i.target) === 0 ? "revoke" : "rollback",
      at: num(incidentAt),
      atBlock: num(i.atBlock),
      by,
      bySafe: await safeOf(provider, by),
      disposition: nameOf(DISPOSITION_NAMES, i.disposition),
      target: num(i.target),
      windowCount: num(i.windowCount),
      epochs: (await registry.incidentWindows(id, 0, i.windowCount, at)).map((w) => num(w.id)),
      reasonHash: i.reasonHash,
      reasonURI: i.reasonURI,
      txHash: logs[0]?.transactionHash ?? null,
    });
  }
  return incidents;
}
