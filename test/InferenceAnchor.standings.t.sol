// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {InferenceAnchor} from "../contracts/InferenceAnchor.sol";
import {IInferenceAnchor} from "../contracts/interfaces/IInferenceAnchor.sol";
import {Roles} from "../contracts/libraries/Roles.sol";

import {RegistryTestBase} from "./solidity/RegistryTestBase.sol";
import {StandingsWatcher} from "./solidity/StandingsWatcher.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";

/**
 * @notice The watcher, declared again in this file: Hardhat writes artifacts only for the
 * contracts of the files it compiles as roots, and the invariant runner needs the target's
 * artifact (its ABI) to call it.
 */
contract StandingsInvariantWatcher is StandingsWatcher {
    constructor(
        IModelRegistry registry_,
        address verifier_,
        IInferenceAnchor anchor_
    ) StandingsWatcher(registry_, verifier_, anchor_) {}
}

/**
 * @notice Monotone standings (an invariant): under random sequences of every registry action (propose, activate,
 * cancel, rollback, revoke, pause, resume, register, time) and anchor action (anchor, dispute),
 * the flags verifyRecord returns for an anchored record at a later block contain every flag it
 * returned at an earlier one, and the only flags that appear later are VersionFaulty,
 * VersionWithdrawn and BatchDisputed.
 */
contract InferenceAnchorStandingsTest is RegistryTestBase {
    StandingsWatcher internal handler;
    InferenceAnchor internal anchor;

    function setUp() public {
        vm.warp(START);
        _deploy(DELAY, GRACE);
        anchor = new InferenceAnchor(address(manager), registry, 1 days);
        handler = new StandingsInvariantWatcher(registry, address(verifier), anchor);
        _grantAll(address(handler));
        handler.init();

        bytes4[] memory governor = new bytes4[](1);
        governor[0] = IInferenceAnchor.setOperator.selector;
        manager.setTargetFunctionRole(address(anchor), governor, Roles.GOVERNOR);
        bytes4[] memory guardian = new bytes4[](1);
        guardian[0] = IInferenceAnchor.disputeBatch.selector;
        manager.setTargetFunctionRole(address(anchor), guardian, Roles.GUARDIAN);
        manager.grantRole(Roles.GOVERNOR, address(this), 0);

        anchor.setOperator(handler.models(0), address(handler), true);
        anchor.setOperator(handler.models(1), address(handler), true);

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = StandingsWatcher.step.selector;
        targetSelector(address(handler), selectors);
    }

    /// @dev The property: after every random step the watcher re-verified each recent record
    /// and found no flag removed and no flag other than Faulty, Withdrawn or Disputed added.
    function invariant_standingsOnlyGrow() public view {
        assertTrue(!handler.violated(), handler.violation());
    }

    /// @dev The watcher's own machinery works: records are anchored, observed and compared.
    function test_watcherAnchorsObservesAndCompares() public {
        handler.anchorOne(1);
        handler.anchorOne(2);
        assertEq(handler.watchedCount(), 2, "two batches anchored");
        vm.warp(block.timestamp + 60);
        handler.observe();
        handler.dispute(0);
        bytes32 first = handler.models(0);
        vm.prank(address(handler));
        registry.pause(first);
        vm.warp(block.timestamp + 60);
        handler.observe();
        assertEq(handler.observations(), 4, "each record observed twice");
        assertEq(handler.comparisons(), 2, "the second observation compares");
        assertTrue(!handler.violated(), handler.violation());
    }
}
