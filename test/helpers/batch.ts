/**
 * Batches of inference records in the tests: the batch file's Merkle tree, and anchoring it.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { NetworkConnection } from "hardhat/types/network";

import { RECORD_TYPES, recordValues, type InferenceRecord } from "../../src/records/record.js";
import type { InferenceAnchor } from "../../types/ethers-contracts/index.js";
import { minedAt } from "./registry-actions.js";

/** A Merkle tree of records (the batch file's tree) and, once anchored, when it was. */
export class Batch {
  readonly tree: StandardMerkleTree<(string | number)[]>;
  constructor(
    readonly records: InferenceRecord[],
    /** The anchoring block's timestamp; 0 for a batch not anchored (by anchorTree). */
    readonly anchoredAt: bigint = 0n,
    /** The tree of `records`, when already built. */
    tree?: StandardMerkleTree<(string | number)[]>,
  ) {
    this.tree = tree ?? StandardMerkleTree.of(records.map(recordValues), [...RECORD_TYPES]);
  }
  get root(): string {
    return this.tree.root;
  }
  /** The proof of the record at `index` (in `records`). */
  proof(index: number): string[] {
    return this.tree.getProof(recordValues(this.records[index]));
  }
  get firstServedAt(): number {
    return Math.min(...this.records.map((r) => r.servedAt));
  }
  get lastServedAt(): number {
    return Math.max(...this.records.map((r) => r.servedAt));
  }
}

/** When and over which range a batch is anchored. */
export interface AnchorRange {
  /** The declared range; the records' own min and max servedAt if omitted. */
  first?: bigint | number;
  last?: bigint | number;
  /** The anchoring block's timestamp; the next block's natural one if omitted. */
  at?: bigint | number;
}

/**
 * Builds the tree of `records` and anchors it for `modelId` with `anchor` (connected to the
 * anchoring node) and the batch file `fileRef`; returns it with its anchoring time.
 */
export async function anchorTree(
  connection: NetworkConnection<"generic">,
  anchor: InferenceAnchor,
  modelId: string,
  records: InferenceRecord[],
  fileRef: string,
  range: AnchorRange = {},
): Promise<Batch> {
  const unanchored = new Batch(records);
  if (range.at !== undefined) {
    await connection.networkHelpers.time.setNextBlockTimestamp(range.at);
  }
  const anchoredAt = await minedAt(
    anchor.anchor(
      modelId,
      unanchored.root,
      records.length,
      range.first ?? unanchored.firstServedAt,
      range.last ?? unanchored.lastServedAt,
      fileRef,
    ),
  );
  return new Batch(records, anchoredAt, unanchored.tree);
}
