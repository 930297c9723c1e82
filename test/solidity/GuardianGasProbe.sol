// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";

import {RegistryCalls} from "./RegistryCalls.sol";

/**
 * @notice Test double holding GUARDIAN: performs one guardian action and returns the gas the
 * registry call used. Each measurement runs in a fresh call frame, so that the caller's memory
 * size (memory expansion is quadratic) does not leak into the figure.
 */
contract GuardianGasProbe {
    IModelRegistry private immutable _registry;

    constructor(IModelRegistry registry) {
        _registry = registry;
    }

    function pause(bytes32 modelId) external returns (uint256 gasUsed) {
        uint256 before = gasleft();
        _registry.pause(modelId);
        gasUsed = before - gasleft();
    }

    function resume(bytes32 modelId) external {
        _registry.resume(modelId);
    }

    function rollback(
        bytes32 modelId,
        uint32 fromVersion,
        uint32 toVersion
    ) external returns (uint256 gasUsed) {
        uint256 before = gasleft();
        RegistryCalls.rollback(
            _registry,
            modelId,
            fromVersion,
            toVersion,
            IModelRegistry.Disposition.Faulty,
            bytes32(0),
            ""
        );
        gasUsed = before - gasleft();
    }

    function revoke(bytes32 modelId, uint32 version) external returns (uint256 gasUsed) {
        uint256 before = gasleft();
        _registry.revoke(modelId, version, IModelRegistry.Disposition.Faulty, bytes32(0), "");
        gasUsed = before - gasleft();
    }
}
