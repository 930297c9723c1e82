// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {InferenceAnchor} from "../contracts/InferenceAnchor.sol";
import {InferenceSettlement} from "../contracts/InferenceSettlement.sol";
import {NodeRouting} from "../contracts/NodeRouting.sol";
import {IInferenceAnchor} from "../contracts/interfaces/IInferenceAnchor.sol";
import {IInferenceSettlement} from "../contracts/interfaces/IInferenceSettlement.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {Roles} from "../contracts/libraries/Roles.sol";
import {ERC20TestDouble} from "../contracts/test/TokenTestDoubles.sol";

import {JudgementsWatcher} from "./solidity/JudgementsWatcher.sol";
import {StandingsWatcher} from "./solidity/StandingsWatcher.sol";
import {RegistryTestBase} from "./solidity/RegistryTestBase.sol";

/**
 * @notice The watcher, declared again in this file: Hardhat writes artifacts only for the
 * contracts of the files it compiles as roots, and the invariant runner needs the target's
 * artifact (its ABI) to call it.
 */
contract JudgementsInvariantWatcher is JudgementsWatcher {
    constructor(
        IModelRegistry registry_,
        address verifier_,
        IInferenceAnchor anchor_,
        IInferenceSettlement settlement_,
        ERC20TestDouble token_
    ) JudgementsWatcher(registry_, verifier_, anchor_, settlement_, token_) {}
}

/**
 * @notice Stable judgements (an invariant of the settlement suite): under random sequences of
 * payments, served and anchored records, and every registry and anchor action (propose,
 * activate, cancel, rollback and revoke as Faulty or Withdrawn, pause, resume, register, time,
 * disputes), once `prove` or `challenge` of a record would succeed or fail, it keeps that answer
 * for the same settlement (challenge while its window is open), and the two agree. The one act
 * that still moves money later, a Faulty marking counted from before `releaseAt`, opens `refund`
 * and changes neither answer (the README's "Judgements never flip").
 */
contract InferenceSettlementJudgementsTest is RegistryTestBase {
    uint32 internal constant HOLD = 6 hours;
    uint32 internal constant ANCHOR_DELAY = 1 days;

    JudgementsWatcher internal handler;
    InferenceAnchor internal anchor;
    InferenceSettlement internal settlement;

    function setUp() public {
        vm.warp(START);
        _deploy(DELAY, GRACE);
        anchor = new InferenceAnchor(address(manager), registry, ANCHOR_DELAY);
        settlement = new InferenceSettlement(
            address(manager),
            registry,
            anchor,
            new NodeRouting(registry, anchor),
            HOLD
        );
        handler = new JudgementsInvariantWatcher(
            registry,
            address(verifier),
            anchor,
            settlement,
            new ERC20TestDouble()
        );
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

    /// @dev The property: no answer of prove or challenge flipped, and they never disagreed.
    function invariant_judgementsNeverFlip() public view {
        assertTrue(!handler.violated(), handler.violation());
    }

    /// @dev The watcher's own machinery: a payment, its record served inside the hold and
    /// anchored, judged conforming; a rollback of the bound version as Withdrawn after the
    /// anchoring, then a re-proposal and a cancellation, change nothing; a record served before
    /// the payment is judged non-conforming, and keeps that answer.
    function test_watcherPaysServesAndJudges() public {
        for (uint256 s = 0; handler.paidCount() < 2 && s < 16; ++s) handler.pay(s);
        assertLe(2, handler.paidCount(), "payments under the live version");
        vm.warp(block.timestamp + 60);
        for (uint256 s = 0; handler.judgedCount() < 3 && s < 64; ++s) handler.serve(s);
        assertLe(3, handler.judgedCount(), "records anchored");
        vm.warp(block.timestamp + 60);
        handler.observe();
        bytes32 first = handler.models(0);
        vm.startPrank(address(handler));
        registry.pause(first);
        vm.stopPrank();
        vm.warp(block.timestamp + 60);
        handler.observe();
        handler.rollback(3);
        handler.propose(5);
        handler.cancelProposal(7);
        vm.warp(block.timestamp + 60);
        handler.observe();
        assertLe(3, handler.judgementComparisons(), "judgements compared");
        assertLe(1, handler.conforming() + handler.nonConforming(), "records judged");
        assertTrue(!handler.violated(), handler.violation());
    }
}
