// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {InferenceAnchor} from "../contracts/InferenceAnchor.sol";
import {InferenceSettlement} from "../contracts/InferenceSettlement.sol";
import {NodeRouting} from "../contracts/NodeRouting.sol";
import {IInferenceSettlement} from "../contracts/interfaces/IInferenceSettlement.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {Roles} from "../contracts/libraries/Roles.sol";
import {ERC20TestDouble} from "../contracts/test/TokenTestDoubles.sol";

import {RegistryTestBase} from "./solidity/RegistryTestBase.sol";
import {SettlementHandler} from "./solidity/SettlementHandler.sol";

/**
 * @notice The handler, declared again in this file: Hardhat writes artifacts only for the
 * contracts of the files it compiles as roots, and the invariant runner needs the target's
 * artifact (its ABI) to call it. Running this file alone therefore still finds the handler.
 */
contract SettlementInvariantHandler is SettlementHandler {
    constructor(
        IModelRegistry registry_,
        IInferenceSettlement settlement_,
        IERC20 token0_,
        IERC20 token1_
    ) SettlementHandler(registry_, settlement_, token0_, token1_) {}
}

/**
 * @notice Invariants of InferenceSettlement under random sequences of settlements, claims,
 * refunds, forged details, clock moves, rollbacks (Faulty or Withdrawn), revocations, pauses,
 * resumes, promotions, donations and hold-period changes on one model and two tokens.
 * Challenges are out of scope: every refund here is a VersionFaulty refund.
 */
contract InferenceSettlementInvariantTest is RegistryTestBase {
    uint32 internal constant HOLD = 1 days;
    uint32 internal constant ANCHOR_DELAY = 1 days;

    InferenceAnchor internal anchor;
    InferenceSettlement internal settlement;
    SettlementHandler internal handler;

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
        bytes4[] memory governor = new bytes4[](1);
        governor[0] = IInferenceSettlement.setHoldPeriod.selector;
        manager.setTargetFunctionRole(address(settlement), governor, Roles.GOVERNOR);

        handler = new SettlementInvariantHandler(
            registry,
            settlement,
            new ERC20TestDouble(),
            new ERC20TestDouble()
        );
        _grantAll(address(handler));
        handler.init();

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](11);
        selectors[0] = SettlementHandler.settle.selector;
        selectors[1] = SettlementHandler.claim.selector;
        selectors[2] = SettlementHandler.refund.selector;
        selectors[3] = SettlementHandler.forge.selector;
        selectors[4] = SettlementHandler.warp.selector;
        selectors[5] = SettlementHandler.guardian.selector;
        selectors[6] = SettlementHandler.promote.selector;
        selectors[7] = SettlementHandler.donate.selector;
        selectors[8] = SettlementHandler.setHoldPeriod.selector;
        selectors[9] = SettlementHandler.contest.selector;
        selectors[10] = SettlementHandler.refundUnproven.selector;
        targetSelector(address(handler), selectors);
    }

    // ================================================================ (0) the oracle

    /// @dev The handler's actions reach the contract: a handler whose calls all revert (reverts
    /// are tolerated in the invariant runs) would make every invariant hold vacuously.
    function test_handlerActionsSucceed() public {
        for (uint256 seed = 0; seed < 8; ++seed) handler.settle(seed);
        for (uint256 seed = 0; seed < 16; ++seed) handler.contest(seed);
        for (uint256 seed = 0; seed < 16; ++seed) handler.refundUnproven(seed);
        for (uint256 seed = 0; seed < 16; ++seed) handler.claim(seed);
        for (uint256 seed = 0; seed < 16; ++seed) handler.refund(seed);
        assertEq(handler.violation(), "", "handler oracle");
        assertTrue(handler.successes("settle") >= 8, "settle succeeds");
        assertTrue(handler.successes("contest") > 0, "contest succeeds");
        assertTrue(handler.successes("refundUnproven") > 0, "refundUnproven succeeds");
        assertTrue(handler.successes("claim") > 0, "claim succeeds");
    }

    /// @dev Every settle, claim, refund and hold-period change succeeded exactly when nothing
    /// forbade it, reverted only for a reason that applied, and forged details never passed.
    function invariant_callsBehaveAsSpecified() public view {
        assertEq(handler.violation(), "", "handler oracle");
    }

    // ================================================================ (1) solvency

    /// @dev Per token: the contract holds exactly the open settlements' amounts plus donations
    /// (so at least the escrow), the ghost totals agree with the open settlements, and the
    /// recipients (paid by nothing else) received exactly what was claimed and refunded.
    function invariant_balanceIsEscrowPlusDonations() public view {
        SettlementHandler.Ghost[] memory gs = handler.ghosts();
        for (uint256 t = 0; t < handler.TOKENS(); ++t) {
            IERC20 token = handler.tokenAt(t);
            uint256 settled = handler.ghostSettled(token);
            uint256 paidOut = handler.ghostClaimed(token) + handler.ghostRefunded(token);
            uint256 escrowed = settled - paidOut;
            uint256 balance = token.balanceOf(address(settlement));
            assertLe(escrowed, balance, "balance covers the escrow");
            assertEq(balance, escrowed + handler.ghostDonated(token), "escrow plus donations");

            uint256 open;
            for (uint256 i = 0; i < gs.length; ++i) {
                if (address(gs[i].details.token) == address(token) && _isOpen(gs[i])) {
                    open += gs[i].details.amount;
                }
            }
            assertEq(open, escrowed, "open settlements add up to the escrow");

            uint256 received;
            for (uint256 k = 0; k < handler.RECIPIENTS(); ++k) {
                received += token.balanceOf(handler.recipient(k));
            }
            assertEq(received, paidOut, "recipients got what was claimed and refunded");
        }
    }

    // ================================================================ (2) states

    /// @dev Every known settlement was closed at most once; the contract's state is the ghost's;
    /// its id is keccak256(payer, requestId); it is bound to the version of its epoch, which was
    /// live when it settled; its hold period is within bounds.
    function invariant_statesMatchTheGhosts() public view {
        SettlementHandler.Ghost[] memory gs = handler.ghosts();
        for (uint256 i = 0; i < gs.length; ++i) {
            SettlementHandler.Ghost memory g = gs[i];
            IInferenceSettlement.SettlementDetails memory d = g.details;
            assertLe(g.closings, 1, "claimed or refunded at most once");
            assertEq(_isOpen(g), g.closings == 0, "open (or contested) iff never closed");
            assertEq(uint256(settlement.stateOf(g.id)), uint256(g.state), "stateOf vs ghost");
            assertEq(settlement.settlementIdOf(d.payer, d.requestId), g.id, "settlement id");

            IModelRegistry.Epoch memory e = registry.getEpoch(d.modelId, d.epoch);
            assertEq(e.version, d.version, "bound to the epoch's version");
            assertLe(e.startTime, d.settledAt, "epoch opened before settlement");
            assertTrue(
                e.endReason == IModelRegistry.EndReason.Open || d.settledAt <= e.endTime,
                "epoch still open at settlement"
            );
            assertLe(d.releaseAt - d.settledAt, settlement.MAX_HOLD_PERIOD(), "hold period");
            assertLe(d.settledAt, block.timestamp, "settled in the future");
        }
    }

    // ================================================================ (3) volumes

    /// @dev For every epoch (and the one after the last) and token, the volume counters are the
    /// sums over the known settlements bound to it: all of them, and the refunded ones.
    function invariant_volumesAreTheGhostSums() public view {
        SettlementHandler.Ghost[] memory gs = handler.ghosts();
        bytes32 model = handler.MODEL();
        uint32 epochs = registry.epochCount(model);
        for (uint32 epoch = 1; epoch <= epochs + 1; ++epoch) {
            for (uint256 t = 0; t < handler.TOKENS(); ++t) {
                IERC20 token = handler.tokenAt(t);
                IInferenceSettlement.Volume memory want;
                for (uint256 i = 0; i < gs.length; ++i) {
                    IInferenceSettlement.SettlementDetails memory d = gs[i].details;
                    if (d.epoch != epoch || address(d.token) != address(token)) continue;
                    want.settledCount += 1;
                    want.settledAmount += uint168(d.amount);
                    if (gs[i].state == IInferenceSettlement.SettlementState.Refunded) {
                        want.refundedCount += 1;
                        want.refundedAmount += uint168(d.amount);
                    }
                }
                IInferenceSettlement.Volume memory got = settlement.volume(model, epoch, token);
                // The fault cache is empty or the registry's faultyAt of the epoch's version.
                if (got.faultyAtCached != 0) {
                    uint32 version = registry.getEpoch(model, epoch).version;
                    assertEq(got.faultyAtCached, registry.faultyAt(model, version), "fault cache");
                }
                assertEq(got.settledCount, want.settledCount, "settled count");
                assertEq(got.settledAmount, want.settledAmount, "settled amount");
                assertEq(got.refundedCount, want.refundedCount, "refunded count");
                assertEq(got.refundedAmount, want.refundedAmount, "refunded amount");
            }
        }
    }

    // ================================================================ (4) refunds

    /// @dev Every version's faultyAt is the handler's model of it (0 unless Faulty; the pause's
    /// start if it was taken down as the paused version, else the marking time) and is never
    /// after its marking. A refunded settlement's version is Faulty, its fault counts from
    /// before the settlement's release and before the refund, and that time has not moved since.
    function invariant_refundsOnlyForFaultyBeforeRelease() public view {
        bytes32 model = handler.MODEL();
        uint32 count = registry.versionCount(model);
        for (uint32 v = 1; v <= count; ++v) {
            uint48 at = registry.faultyAt(model, v);
            assertEq(at, handler.ghostFaultyAt(v), "faultyAt vs the handler's model");
            IModelRegistry.Version memory version = registry.getVersion(model, v);
            assertEq(
                at != 0,
                version.status == IModelRegistry.VersionStatus.Faulty,
                "faultyAt set iff Faulty"
            );
            assertLe(at, version.dispositionAt, "fault counts from after its marking");
        }

        SettlementHandler.Ghost[] memory gs = handler.ghosts();
        for (uint256 i = 0; i < gs.length; ++i) {
            SettlementHandler.Ghost memory g = gs[i];
            if (g.state != IInferenceSettlement.SettlementState.Refunded) continue;
            if (g.unproven) {
                // Refunded for want of proof: contested before release, refunded at or after
                // the proof deadline.
                assertTrue(g.contested, "refunded unproven without a contest");
                uint48 deadline = settlement.proofDeadlineOf(g.details);
                assertLe(deadline, g.closedAt, "refunded unproven before the proof deadline");
                continue;
            }
            uint48 faultyAt = registry.faultyAt(g.details.modelId, g.details.version);
            assertTrue(faultyAt != 0, "refunded version is Faulty");
            assertLt(faultyAt, g.details.releaseAt, "fault counts from before release");
            assertEq(faultyAt, g.faultyAtClose, "faultyAt unchanged since the refund");
            assertLe(faultyAt, g.closedAt, "fault counts from before the refund");
        }
    }

    // ================================================================ (5) claims

    /// @dev A claimed settlement was claimed at or after its release, its version's fault (if
    /// any, then or since) does not count from before its release, and at the claim no pause of
    /// its version (the paused, pre-pause one) that began before its release lasted. A pause of
    /// another version does not hold it.
    function invariant_claimsOnlyAfterReleaseAndNotFaulty() public view {
        SettlementHandler.Ghost[] memory gs = handler.ghosts();
        for (uint256 i = 0; i < gs.length; ++i) {
            SettlementHandler.Ghost memory g = gs[i];
            if (g.state != IInferenceSettlement.SettlementState.Claimed) continue;
            // The handler never proves service, so a contested settlement is never claimed.
            assertTrue(!g.contested, "claimed a contested settlement without a record");
            uint48 releaseAt = g.details.releaseAt;
            assertLe(releaseAt, g.closedAt, "claimed at or after release");
            uint48 faultyAt = registry.faultyAt(g.details.modelId, g.details.version);
            assertTrue(faultyAt == 0 || faultyAt >= releaseAt, "claimed a Faulty version");
            assertTrue(
                g.faultyAtClose == 0 || g.faultyAtClose >= releaseAt,
                "claimed a version Faulty at the claim"
            );
            assertTrue(
                g.pausedSinceAtClose == 0 ||
                    g.pausedSinceAtClose >= releaseAt ||
                    g.currentAtClose != g.details.version,
                "claimed during a pause of its version that began before release"
            );
        }
    }

    function _isOpen(SettlementHandler.Ghost memory g) private pure returns (bool) {
        return
            g.state == IInferenceSettlement.SettlementState.Open ||
            g.state == IInferenceSettlement.SettlementState.Contested ||
            g.state == IInferenceSettlement.SettlementState.Proven;
    }
}
