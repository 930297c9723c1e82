// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IZkVerifier} from "../interfaces/IZkVerifier.sol";

/**
 * @title ZkVerifierGasTestDouble
 * @notice TEST DOUBLE, never deploy outside tests. A ZK verifier that misbehaves with gas and
 * return data, for the tests of InferenceAnchor's fixed verifier budget. In `NeedsBudget` mode it
 * accepts the proof `keccak256(abi.encode(instances))` (as ZkVerifierTestDouble does) only if it
 * was given at least `minGas`: an honest verifier that a starved call would make reject.
 */
contract ZkVerifierGasTestDouble is IZkVerifier {
    /// @notice How the double answers.
    enum Mode {
        NeedsBudget,
        BurnsAllGas,
        ReturnsTrueTwice,
        ReturnsTrueAndMegabytes,
        ReturnsNothing
    }

    /// @notice The bytes returned in `ReturnsTrueAndMegabytes` mode.
    uint256 public constant BOMB_SIZE = 1_000_000;

    /// @notice The gas `verifyProof` needs on entry to accept in `NeedsBudget` mode.
    uint256 public immutable minGas;

    /// @notice The current answering mode.
    Mode public mode;

    /// @param minGas_ The gas `verifyProof` needs on entry to accept in `NeedsBudget` mode.
    constructor(uint256 minGas_) {
        minGas = minGas_;
    }

    /// @notice Sets the answering mode.
    function setMode(Mode newMode) external {
        mode = newMode;
    }

    /// @inheritdoc IZkVerifier
    function verifyProof(
        bytes calldata proof,
        uint256[] calldata instances
    ) external view returns (bool) {
        uint256 start = gasleft();
        Mode m = mode;
        if (m == Mode.BurnsAllGas) {
            assembly ("memory-safe") {
                invalid()
            }
        }
        if (m == Mode.ReturnsTrueTwice) {
            assembly ("memory-safe") {
                mstore(0, 1)
                mstore(0x20, 1)
                return(0, 0x40)
            }
        }
        if (m == Mode.ReturnsTrueAndMegabytes) {
            uint256 size = BOMB_SIZE;
            // Reads far beyond allocated memory on purpose: not memory-safe, and never returns.
            assembly {
                mstore(0, 1)
                return(0, size)
            }
        }
        if (m == Mode.ReturnsNothing) {
            assembly ("memory-safe") {
                return(0, 0)
            }
        }
        return
            start >= minGas &&
            proof.length == 32 &&
            bytes32(proof) == keccak256(abi.encode(instances));
    }
}
