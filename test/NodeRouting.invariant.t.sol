// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {InferenceAnchor} from "../contracts/InferenceAnchor.sol";
import {NodeRouting} from "../contracts/NodeRouting.sol";
import {IInferenceAnchor} from "../contracts/interfaces/IInferenceAnchor.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {INodeRouting} from "../contracts/interfaces/INodeRouting.sol";
import {Roles} from "../contracts/libraries/Roles.sol";

import {RegistryTestBase} from "./solidity/RegistryTestBase.sol";
import {RoutingWatcher} from "./solidity/RoutingWatcher.sol";

/// @notice The watcher, declared in this file so that the invariant runner has its artifact.
contract RoutingInvariantWatcher is RoutingWatcher {
    constructor(
        IModelRegistry registry_,
        address verifier_,
        INodeRouting routing_
    ) RoutingWatcher(registry_, verifier_, routing_) {}
}

/**
 * @notice Invariants of NodeRouting under random sequences of every registry action and
 * acknowledgements (of the live epoch, an old or a future one): no acknowledgement is ever lost
 * or changed, they name increasing epochs, and each named epoch was live at its time.
 */
contract NodeRoutingInvariantTest is RegistryTestBase {
    RoutingWatcher internal handler;
    NodeRouting internal routing;

    function setUp() public {
        vm.warp(START);
        _deploy(DELAY, GRACE);
        InferenceAnchor anchor = new InferenceAnchor(address(manager), registry, 1 days);
        routing = new NodeRouting(registry, anchor);
        handler = new RoutingInvariantWatcher(registry, address(verifier), routing);
        _grantAll(address(handler));
        handler.init();
        bytes4[] memory governor = new bytes4[](1);
        governor[0] = IInferenceAnchor.setOperator.selector;
        manager.setTargetFunctionRole(address(anchor), governor, Roles.GOVERNOR);
        manager.grantRole(Roles.GOVERNOR, address(this), 0);
        anchor.setOperator(handler.models(0), address(handler), true);
        anchor.setOperator(handler.models(1), address(handler), true);

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = RoutingWatcher.step.selector;
        targetSelector(address(handler), selectors);
    }

    function invariant_acknowledgementsAreKeptAndWereLive() public view {
        assertTrue(!handler.violated(), handler.violation());
    }

    /// @dev The watcher's machinery: acknowledgements succeed and refusals happen.
    function test_watcherAcknowledgesAndIsRefused() public {
        // The seed picks the model (bit 0) and which epoch to name (bits 8-9).
        for (uint256 s = 0; s < 24; ++s) handler.acknowledgeOne(((s % 4) << 8) | ((s / 4) % 2));
        assertLe(1, handler.acknowledged(), "some acknowledged");
        assertLe(1, handler.refused(), "some refused");
        handler.observe();
        assertTrue(!handler.violated(), handler.violation());
    }
}
