// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IZkVerifier} from "../interfaces/IZkVerifier.sol";

/**
 * @title ZkVerifierTestDouble
 * @notice TEST DOUBLE, never deploy outside tests. Stands in for a generated halo2/EZKL verifier:
 * it accepts a proof if and only if the proof is `keccak256(abi.encode(instances))`, so a test
 * can produce an accepted proof for exactly one set of public inputs, and see any other rejected.
 * `mode` lets tests exercise a verifier that reverts or returns malformed data.
 */
contract ZkVerifierTestDouble is IZkVerifier {
    /// @notice How the double answers.
    enum Mode {
        Honest,
        Reverts,
        ReturnsGarbage
    }

    /// @notice The current answering mode.
    Mode public mode;

    /// @notice Thrown in `Reverts` mode.
    error ZkVerifierTestDoubleReverted();

    /// @notice Sets the answering mode.
    function setMode(Mode newMode) external {
        mode = newMode;
    }

    /// @inheritdoc IZkVerifier
    function verifyProof(
        bytes calldata proof,
        uint256[] calldata instances
    ) external view returns (bool) {
        if (mode == Mode.Reverts) revert ZkVerifierTestDoubleReverted();
        if (mode == Mode.ReturnsGarbage) {
            assembly ("memory-safe") {
                mstore(0, 2)
                return(0, 32)
            }
        }
        return proof.length == 32 && bytes32(proof) == keccak256(abi.encode(instances));
    }
}
