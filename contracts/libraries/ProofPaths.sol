// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title ProofPaths
 * @notice How an inference may be verified. A version's `proofMask` has bit `1 << path` set for
 * each path it may be served with.
 */
library ProofPaths {
    /// @notice No proof: the node's word only.
    uint8 internal constant NONE = 0;
    /// @notice A TEE enclave attestation.
    uint8 internal constant TEE = 1;
    /// @notice A zero-knowledge proof of the model's execution (needs the version's ZK verifier).
    uint8 internal constant ZKML = 2;
    /// @notice Optimistic: accepted unless challenged.
    uint8 internal constant OPTIMISTIC = 3;

    /// @notice The mask bit of the ZKML path.
    uint8 internal constant ZKML_BIT = uint8(1) << ZKML;
    /// @notice Every defined bit: a mask with any other bit set is invalid.
    uint8 internal constant ALL = 0x0f;

    /// @notice Whether `mask` allows `path`.
    function allows(uint8 mask, uint8 path) internal pure returns (bool) {
        return path <= OPTIMISTIC && (mask >> path) & 1 == 1;
    }
}
