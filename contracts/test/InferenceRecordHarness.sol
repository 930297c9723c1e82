// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {InferenceRecord, InferenceRecordLib} from "../libraries/InferenceRecordLib.sol";

/**
 * @title InferenceRecordHarness
 * @notice TEST DOUBLE: exposes the record library so tests can compare it with the TypeScript
 * encoder.
 */
contract InferenceRecordHarness {
    /// @notice The leaf of `record` (calldata path).
    function leaf(InferenceRecord calldata record) external pure returns (bytes32) {
        return InferenceRecordLib.leaf(record);
    }

    /// @notice The leaf of `record` (memory path: memory on purpose, to test that code path).
    // solhint-disable-next-line gas-calldata-parameters
    function leafMemory(InferenceRecord memory record) external pure returns (bytes32) {
        return InferenceRecordLib.leafMemory(record);
    }

    /// @notice abi.encode(record), for comparing encodings byte by byte.
    function encode(InferenceRecord calldata record) external pure returns (bytes memory) {
        return abi.encode(record);
    }
}
