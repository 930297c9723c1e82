// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {Roles} from "../../contracts/libraries/Roles.sol";

import {RegistryCalls} from "./RegistryCalls.sol";
import {TestBase} from "./TestBase.sol";

/// @notice Test double: any contract with code is an acceptable ZK verifier for the registry.
contract ZkVerifierStub {
    function verifyProof(bytes calldata, uint256[] calldata) external pure returns (bool) {
        return true;
    }
}

/**
 * @notice Deploys an AccessManager administered by the test contract and a ModelRegistry wired
 * with the production role table (see `src/chain/roles.ts`).
 */
abstract contract RegistryTestBase is TestBase {
    uint32 internal constant DELAY = 1 hours;
    uint32 internal constant GRACE = 1 days;
    /// @dev Foundry's default clock starts at 1; start somewhere realistic instead.
    uint256 internal constant START = 1_700_000_000;

    AccessManager internal manager;
    ModelRegistry internal registry;
    ZkVerifierStub internal verifier;

    function _deploy(uint32 delay, uint32 grace) internal {
        manager = new AccessManager(address(this));
        registry = new ModelRegistry(address(manager), delay, grace);
        verifier = new ZkVerifierStub();
        _wire(address(registry));
    }

    function _wire(address target) internal {
        bytes4[] memory governor = new bytes4[](5);
        governor[0] = IModelRegistry.createModel.selector;
        governor[1] = IModelRegistry.setPublisher.selector;
        governor[2] = IModelRegistry.propose.selector;
        governor[3] = IModelRegistry.setPromotionDelay.selector;
        governor[4] = IModelRegistry.setProposalGracePeriod.selector;
        manager.setTargetFunctionRole(target, governor, Roles.GOVERNOR);

        bytes4[] memory publisher = new bytes4[](1);
        publisher[0] = IModelRegistry.registerVersion.selector;
        manager.setTargetFunctionRole(target, publisher, Roles.PUBLISHER);

        bytes4[] memory guardian = new bytes4[](5);
        guardian[0] = IModelRegistry.cancelProposal.selector;
        guardian[1] = IModelRegistry.rollback.selector;
        guardian[2] = IModelRegistry.revoke.selector;
        guardian[3] = IModelRegistry.pause.selector;
        guardian[4] = IModelRegistry.resume.selector;
        manager.setTargetFunctionRole(target, guardian, Roles.GUARDIAN);
    }

    function _grantAll(address account) internal {
        manager.grantRole(Roles.GOVERNOR, account, 0);
        manager.grantRole(Roles.GUARDIAN, account, 0);
        manager.grantRole(Roles.PUBLISHER, account, 0);
    }

    /// @dev Creates `modelId` with this contract as its only publisher.
    function _createModel(bytes32 modelId) internal {
        address[] memory publishers = new address[](1);
        publishers[0] = address(this);
        registry.createModel(modelId, publishers);
    }

    /// @dev Registers a plain (TEE-only) version whose blob id is derived from `salt`.
    function _register(bytes32 modelId, uint256 salt) internal returns (uint32) {
        return
            registry.registerVersion(
                modelId,
                keccak256(abi.encode("blob", modelId, salt)),
                keccak256(abi.encode("weights", modelId, salt)),
                "ipfs://meta",
                0x02,
                address(0)
            );
    }

    /// @dev Proposes `version`, waits the promotion delay and activates it.
    function _promote(bytes32 modelId, uint32 version) internal returns (uint32 epoch) {
        registry.propose(modelId, version);
        vm.warp(registry.pendingProposal(modelId).earliestActivation);
        epoch = registry.activate(modelId);
    }

    /// @dev Rolls `modelId` back from `fromVersion` (the current version) to `toVersion`.
    function _rollback(
        bytes32 modelId,
        uint32 fromVersion,
        uint32 toVersion,
        IModelRegistry.Disposition disposition
    ) internal returns (uint32) {
        return
            RegistryCalls.rollback(
                registry,
                modelId,
                fromVersion,
                toVersion,
                disposition,
                keccak256("reason"),
                "ipfs://reason"
            );
    }

    function _now() internal view returns (uint48) {
        return uint48(block.timestamp);
    }
}
