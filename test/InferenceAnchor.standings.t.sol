// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {InferenceAnchor} from "../contracts/InferenceAnchor.sol";
import {IInferenceAnchor} from "../contracts/interfaces/IInferenceAnchor.sol";
import {Roles} from "../contracts/libraries/Roles.sol";

import {RegistryTestBase} from "./solidity/RegistryTestBase.sol";
import {StandingsWatcher} from "./solidity/StandingsWatcher.sol";

/**
 * @notice Monotone standings (a fuzzed property): under random sequences of every registry action (propose, activate,
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
        handler = new StandingsWatcher(registry, address(verifier), anchor);
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
    }

    /**
     * @dev The property, fuzzed: 24 random actions of every registry and anchor kind (each seed
     * picks the action and its input), with every record re-verified after each action.
     * EDR's invariant runner does not identify this handler's code (a contract derived from the
     * registry handler), so the random sequences are driven here instead of by the runner.
     */
    function testFuzz_standingsOnlyGrow(uint256[24] memory seeds) public {
        for (uint256 i = 0; i < seeds.length; ++i) {
            _act(seeds[i]);
            handler.observe();
        }
        vm.warp(block.timestamp + 1);
        handler.observe();
        assertTrue(!handler.violated(), handler.violation());
    }

    function _act(uint256 seed) internal {
        uint256 action = seed % 12;
        uint256 input = seed >> 8;
        if (action == 0) handler.propose(input);
        else if (action == 1) handler.activate(input);
        else if (action == 2) handler.cancelProposal(input);
        else if (action == 3) handler.rollback(input);
        else if (action == 4) handler.revoke(input);
        else if (action == 5) handler.pause(input);
        else if (action == 6) handler.resume(input);
        else if (action == 7) handler.register(input);
        else if (action == 8) handler.advanceTime(input);
        else if (action == 9) handler.dispute(input);
        else handler.anchorOne(input); // 10, 11: records are the subject
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
