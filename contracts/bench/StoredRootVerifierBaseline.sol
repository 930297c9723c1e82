// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {InferenceRecord, InferenceRecordLib} from "../libraries/InferenceRecordLib.sol";

/**
 * @title StoredRootVerifierBaseline
 * @notice BENCHMARK BASELINE, not part of the suite: verifies a record against a stored root with
 * the same calldata and the same leaf hashing as `InferenceAnchor.verifyRecordWithHint`, and
 * nothing else, so that the difference measured by `npm run bench` is the history check.
 */
contract StoredRootVerifierBaseline {
    mapping(bytes32 modelId => mapping(bytes32 root => bool)) private _roots;

    /// @notice Stores a root.
    function store(bytes32 modelId, bytes32 root) external {
        _roots[modelId][root] = true;
    }

    /// @notice Whether `record` is in the stored `root` (the hint is accepted and ignored).
    function verifyRecordWithHint(
        bytes32 modelId,
        bytes32 root,
        InferenceRecord calldata record,
        bytes32[] calldata proof,
        uint32 /* epochHint */
    ) external view returns (bool) {
        return
            _roots[modelId][root] &&
            MerkleProof.verifyCalldata(proof, root, InferenceRecordLib.leaf(record));
    }
}
