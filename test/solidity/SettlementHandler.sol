// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IInferenceSettlement} from "../../contracts/interfaces/IInferenceSettlement.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {IVersionBound} from "../../contracts/interfaces/IVersionBound.sol";
import {ERC20TestDouble} from "../../contracts/test/TokenTestDoubles.sol";

import {CheatsBase} from "./TestBase.sol";

/// @notice The log cheatcodes (TestBase's Vm does not declare them), at the same address.
interface ISettlementLogVm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;

    function getRecordedLogs() external returns (Log[] memory);
}

/**
 * @notice Test double for the settlement invariant tests: an actor holding GOVERNOR, GUARDIAN and
 * PUBLISHER that settles from several payers, claims and refunds as the right or the wrong
 * caller, forges settlement details, moves the clock, rolls back, revokes, pauses, resumes and
 * promotes versions of one model, donates tokens to the settlement contract and changes the hold
 * period. Inputs are bounded and mostly valid; reverts are tolerated.
 *
 * Besides acting it keeps what the invariants compare against:
 * - every settlement that succeeded, with its details rebuilt from the arguments and the clock
 *   (and checked against the {IInferenceSettlement-Settled} event), its state and when and under
 *   which registry state it was closed;
 * - per token, the amounts settled, claimed, refunded and donated;
 * - per version, when its fault counts from (its own model of {IModelRegistry-faultyAt}, checked
 *   against the registry after every marking);
 * - an oracle: before each settlement call it lists the reasons the call must revert for (none
 *   means it must succeed); a success that had to fail, a failure that had to succeed or a revert
 *   for a reason that does not apply is recorded in `violation`, which an invariant checks.
 */
contract SettlementHandler is CheatsBase {
    /// @notice What the handler knows of one settlement.
    struct Ghost {
        IInferenceSettlement.SettlementDetails details;
        bytes32 id;
        IInferenceSettlement.SettlementState state;
        uint8 closings; // successful claims plus refunds
        uint48 closedAt;
        uint48 faultyAtClose; // registry.faultyAt of the bound version when it was closed
        uint48 pausedSinceAtClose; // registry.pausedSince when it was closed
        uint32 currentAtClose; // registry.currentVersion (the paused one while paused) then
        bool contested; // the payer contested it (it may be closed since)
        bool unproven; // refunded by refundUnproven
    }

    struct SettleArgs {
        address payer;
        bytes32 requestId;
        uint32 version;
        uint32 expectedEpoch;
        address payee;
        IERC20 token;
        uint256 amount;
        uint32 liveVersion;
        uint32 liveEpoch;
        bool paused;
        uint32 holdPeriod;
    }

    bytes32 public constant MODEL = keccak256("settlement-invariant-model");
    uint256 public constant PAYERS = 4;
    uint256 public constant PAYEES = 3;
    uint256 public constant RECIPIENTS = 3;
    uint256 public constant TOKENS = 2;
    uint32 public constant MAX_VERSIONS = 16;
    uint256 public constant MAX_AMOUNT = 1e24;
    uint32 public constant MAX_HOLD_PERIOD = 90 days;
    address public constant OUTSIDER = address(uint160(0x5E77_0004_0000));

    ISettlementLogVm private constant _LOG_VM = ISettlementLogVm(address(vm));

    IModelRegistry public immutable registry;
    IInferenceSettlement public immutable settlement;
    IERC20 private immutable _token0;
    IERC20 private immutable _token1;

    Ghost[] private _ghosts;
    mapping(bytes32 settlementId => uint256 indexPlusOne) private _ghostIndex;

    mapping(IERC20 token => uint256) public ghostSettled;
    mapping(IERC20 token => uint256) public ghostClaimed;
    mapping(IERC20 token => uint256) public ghostRefunded;
    mapping(IERC20 token => uint256) public ghostDonated;

    /// @notice Per version, when its fault counts from (0 while it is not Faulty), worked out by
    /// the handler from the registry's state just before it marked the version Faulty: the start
    /// of the pause if the version was the paused (pre-pause) one, else the time of the marking.
    mapping(uint32 version => uint48) public ghostFaultyAt;

    /// @notice The first oracle mismatch (empty if none), and the revert data that went with it.
    string public violation;
    bytes public violationData;

    /// @notice Calls and successful calls per action (for tuning the input bias).
    mapping(bytes32 action => uint256) public attempts;
    mapping(bytes32 action => uint256) public successes;
    /// @notice How often the cases of the pause and fault rules came up (for tuning too).
    mapping(bytes32 outcome => uint256) public outcomes;

    uint256 private _nonce;

    constructor(
        IModelRegistry registry_,
        IInferenceSettlement settlement_,
        IERC20 token0_,
        IERC20 token1_
    ) {
        registry = registry_;
        settlement = settlement_;
        _token0 = token0_;
        _token1 = token1_;
    }

    /// @notice Creates the model with versions 1..3 and promotes v1, then v2. Called once by the
    /// test's setUp, after the roles are granted.
    function init() external {
        address[] memory publishers = new address[](1);
        publishers[0] = address(this);
        registry.createModel(MODEL, publishers);
        for (uint256 i = 0; i < 3; ++i) _registerNext();
        for (uint32 v = 1; v <= 2; ++v) {
            registry.propose(MODEL, v);
            vm.warp(registry.pendingProposal(MODEL).earliestActivation);
            registry.activate(MODEL);
        }
    }

    // ================================================================ actors

    function payer(uint256 i) public pure returns (address) {
        return address(uint160(0x5E77_0001_0000 + i));
    }

    function payee(uint256 i) public pure returns (address) {
        return address(uint160(0x5E77_0002_0000 + i));
    }

    /// @notice Where claims and refunds are paid: these addresses receive from nothing else.
    function recipient(uint256 i) public pure returns (address) {
        return address(uint160(0x5E77_0003_0000 + i));
    }

    function tokenAt(uint256 i) public view returns (IERC20) {
        return i % TOKENS == 0 ? _token0 : _token1;
    }

    // ================================================================ actions
    //
    // Each action hashes its seed (the fuzzer favours small and repeated values) and mostly picks
    // valid inputs; now and then it picks at random, so that the reverting paths run too.

    /// @notice One to three settlements, each from a random payer, under the live version
    /// (usually), with a fresh request id (usually).
    function settle(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 times = 1 + (r % 3);
        for (uint256 i = 0; i < times; ++i) {
            _settleOnce(uint256(keccak256(abi.encode(r, i))));
        }
    }

    /// @notice The payee (usually) claims a settlement (usually an Open one, a quarter of the time
    /// one not released yet), to a recipient (usually). Half the time, if it is not released yet,
    /// the clock moves to its release (a third of those times after the guardian paused the
    /// model).
    function claim(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 idx = _pickGhost(r, (r >> 56) % 4 == 0 ? _isPending : _isOpen);
        if (idx == type(uint256).max) return;
        Ghost storage g = _ghosts[idx];
        address caller = _valid(r >> 16) ? g.details.payee : _wrongCaller(r >> 20, g.details.payer);
        address to = (r >> 24) % 16 == 0 ? address(0) : recipient((r >> 28) % RECIPIENTS);
        if (block.timestamp < g.details.releaseAt && (r >> 32) % 2 == 0) {
            // Now and then the guardian pauses before the release: the claim must wait.
            if ((r >> 36) % 3 == 0) {
                _attempt("pause");
                try registry.pause(MODEL) {
                    _succeeded("pause");
                } catch {}
            }
            vm.warp(g.details.releaseAt + ((r >> 40) % 2 == 0 ? 0 : bound(r >> 48, 1, 1 hours)));
        }
        bytes4[] memory reasons = _claimReasons(g, caller, to);
        bytes32 pauseCase = _pauseCase(g);
        _attempt("claim");
        vm.prank(caller);
        try settlement.claim(g.details, to) {
            _closed(idx, IInferenceSettlement.SettlementState.Claimed, "claim", reasons);
            if (pauseCase != 0) ++outcomes[pauseCase];
        } catch (bytes memory err) {
            _checkRevert("claim", err, reasons);
            bytes4 selector = err.length < 4 ? bytes4(0) : bytes4(err);
            if (selector == IInferenceSettlement.SettlementModelPaused.selector) {
                ++outcomes["claim held by a pause"];
            } else if (
                selector == IInferenceSettlement.SettlementVersionFaulty.selector &&
                _faultFromPause(g)
            ) ++outcomes["claim: fault from a pause"];
        }
    }

    /// @notice The payer (usually) asks a refund of a settlement (half the time one whose version's
    /// fault counts from before its release: if there is none, the guardian half the time marks
    /// the version of a pending settlement Faulty first, now and then only after a pause that
    /// began before the release), to a recipient (usually).
    function refund(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 idx = type(uint256).max;
        if ((r >> 8) % 2 == 0) {
            idx = _pickGhost(r, _isRefundable);
            // None refundable: half the time, take a pending settlement's version down as Faulty.
            if (idx != type(uint256).max && !_isRefundable(_ghosts[idx]) && (r >> 12) % 2 == 0) {
                _faultPending(r >> 64);
                idx = _pickGhost(r, _isRefundable);
            }
        } else {
            idx = _pickGhost(r, _isOpen);
        }
        if (idx == type(uint256).max) return;
        Ghost storage g = _ghosts[idx];
        address caller = _valid(r >> 16) ? g.details.payer : _wrongCaller(r >> 20, g.details.payee);
        address to = (r >> 24) % 16 == 0 ? address(0) : recipient((r >> 28) % RECIPIENTS);
        bytes4[] memory reasons = _refundReasons(g, caller, to);
        _attempt("refund");
        vm.prank(caller);
        try settlement.refund(g.details, to) {
            _closed(idx, IInferenceSettlement.SettlementState.Refunded, "refund", reasons);
            if (_faultFromPause(g) && block.timestamp >= g.details.releaseAt) {
                ++outcomes["refund: fault from a pause"];
            }
        } catch (bytes memory err) {
            _checkRevert("refund", err, reasons);
        }
    }

    /// @notice The payer (usually) contests a settlement (usually an open one not released yet).
    function contest(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 idx = _pickGhost(r, _isPending);
        if (idx == type(uint256).max) return;
        Ghost storage g = _ghosts[idx];
        address caller = _valid(r >> 16) ? g.details.payer : _wrongCaller(r >> 20, g.details.payee);
        bytes4[] memory reasons = new bytes4[](3);
        uint256 n;
        // Closed, or contested already: not Open.
        if (g.state != IInferenceSettlement.SettlementState.Open) {
            reasons[n++] = IInferenceSettlement.SettlementNotOpen.selector;
        }
        if (caller != g.details.payer) {
            reasons[n++] = IInferenceSettlement.SettlementUnauthorized.selector;
        }
        if (block.timestamp >= g.details.releaseAt) {
            reasons[n++] = IInferenceSettlement.SettlementChallengeClosed.selector;
        }
        _shrink(reasons, n);
        _attempt("contest");
        vm.prank(caller);
        try settlement.contest(g.details) {
            if (reasons.length != 0) _violate("contest: succeeded though it had to revert", "");
            g.state = IInferenceSettlement.SettlementState.Contested;
            g.contested = true;
            _succeeded("contest");
        } catch (bytes memory err) {
            _checkRevert("contest", err, reasons);
        }
    }

    /// @notice The payer (usually) takes back a contested settlement (usually), half the time
    /// after the clock moved to (or one second before) its proof deadline. Nobody proves
    /// service here: the anchored-record paths are covered by the mocha tests.
    function refundUnproven(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 idx = _pickGhost(r, _isContested);
        if (idx == type(uint256).max) return;
        Ghost storage g = _ghosts[idx];
        // One more hold period after release, at least MIN_PROOF_WINDOW.
        uint48 hold = g.details.releaseAt - g.details.settledAt;
        uint48 minWindow = settlement.MIN_PROOF_WINDOW();
        uint48 deadline = g.details.releaseAt + (hold > minWindow ? hold : minWindow);
        if (settlement.proofDeadlineOf(g.details) != deadline) {
            _violate("proofDeadlineOf differs from the rule", "");
        }
        if (block.timestamp < deadline && (r >> 32) % 2 == 0) {
            vm.warp((r >> 36) % 4 == 0 ? deadline - 1 : deadline);
        }
        address caller = _valid(r >> 16) ? g.details.payer : _wrongCaller(r >> 20, g.details.payee);
        address to = (r >> 24) % 16 == 0 ? address(0) : recipient((r >> 28) % RECIPIENTS);
        bytes4[] memory reasons = new bytes4[](5);
        uint256 n;
        if (!_isOpen(g)) reasons[n++] = IInferenceSettlement.SettlementNotOpen.selector;
        if (caller != g.details.payer) {
            reasons[n++] = IInferenceSettlement.SettlementUnauthorized.selector;
        }
        if (to == address(0)) reasons[n++] = IInferenceSettlement.SettlementZeroArgument.selector;
        if (g.state == IInferenceSettlement.SettlementState.Open) {
            reasons[n++] = IInferenceSettlement.SettlementNotContested.selector;
        }
        if (block.timestamp < deadline) {
            reasons[n++] = IInferenceSettlement.SettlementProofWindowOpen.selector;
        }
        _shrink(reasons, n);
        _attempt("refundUnproven");
        vm.prank(caller);
        try settlement.refundUnproven(g.details, to) {
            g.unproven = true;
            _closed(idx, IInferenceSettlement.SettlementState.Refunded, "refundUnproven", reasons);
        } catch (bytes memory err) {
            _checkRevert("refundUnproven", err, reasons);
        }
    }

    /// @notice Claims or refunds a known settlement with one field of its details changed, as the
    /// caller the changed details name. It must fail with {SettlementUnknown}.
    function forge(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 idx = _pickGhost(r, _isOpen);
        if (idx == type(uint256).max) return;
        IInferenceSettlement.SettlementDetails memory d = _ghosts[idx].details;
        uint256 kind = (r >> 16) % 8;
        if (kind == 0) d.amount += 1;
        else if (kind == 1) d.releaseAt -= 1;
        else if (kind == 2) d.version += 1;
        else if (kind == 3) d.epoch += 1;
        else if (kind == 4) d.payee = OUTSIDER;
        else if (kind == 5) d.token = address(d.token) == address(_token0) ? _token1 : _token0;
        else if (kind == 6) d.settledAt += 1;
        else d.requestId = bytes32(uint256(d.requestId) ^ 1);
        bytes4[] memory reasons = new bytes4[](1);
        reasons[0] = IInferenceSettlement.SettlementUnknown.selector;
        address to = recipient(r % RECIPIENTS);
        _attempt("forge");
        if ((r >> 24) % 2 == 0) {
            vm.prank(d.payee);
            try settlement.claim(d, to) {
                _violate("forge: claim accepted forged details", "");
            } catch (bytes memory err) {
                _checkRevert("forge claim", err, reasons);
            }
        } else {
            vm.prank(d.payer);
            try settlement.refund(d, to) {
                _violate("forge: refund accepted forged details", "");
            } catch (bytes memory err) {
                _checkRevert("forge refund", err, reasons);
            }
        }
    }

    /// @dev A quarter of the time 0 seconds, a quarter 1 to 60 s, a quarter up to 2 days; the last
    /// quarter to one second before, or exactly at, the release of a pending settlement.
    function warp(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 k = r % 8;
        uint256 by;
        if (k < 2) by = 0;
        else if (k < 4) by = bound(r >> 8, 1, 60);
        else if (k < 6) by = bound(r >> 8, 61, 2 days);
        else {
            uint256 idx = _pickGhost(r >> 8, _isPending);
            if (idx != type(uint256).max && _isPending(_ghosts[idx])) {
                uint48 releaseAt = _ghosts[idx].details.releaseAt;
                // Pending: releaseAt > now, so neither target is in the past.
                vm.warp(k == 6 ? releaseAt - 1 : releaseAt);
                return;
            }
            by = bound(r >> 8, 61, 2 days);
        }
        vm.warp(block.timestamp + by);
    }

    /// @notice Rollback (most often), revoke, pause or resume.
    function guardian(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 k = r % 8;
        if (k < 3) {
            _guardianRollback(r >> 8);
        } else if (k == 3) {
            _guardianRevoke(r >> 8);
        } else if (k < 6) {
            _attempt("pause");
            try registry.pause(MODEL) {
                _succeeded("pause");
            } catch {}
        } else {
            _attempt("resume");
            try registry.resume(MODEL) {
                _succeeded("resume");
            } catch {}
        }
    }

    /// @notice Proposes a version (registering one if none can be proposed), waits the delay and
    /// activates it.
    function promote(uint256 seed) external {
        _promote(_rand(seed));
    }

    /// @notice Sends tokens straight to the settlement contract, outside any settlement.
    function donate(uint256 seed) external {
        uint256 r = _rand(seed);
        IERC20 token = tokenAt(r);
        uint256 amount = bound(r >> 8, 1, 1e21);
        ERC20TestDouble(address(token)).mint(address(settlement), amount);
        ghostDonated[token] += amount;
        _attempt("donate");
        _succeeded("donate");
    }

    /// @notice Mostly a period up to 2 days (0 now and then), sometimes the maximum or above it.
    function setHoldPeriod(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 k = r % 16;
        uint32 period;
        if (k == 0) period = uint32(bound(r >> 8, MAX_HOLD_PERIOD + 1, type(uint32).max));
        else if (k == 1) period = MAX_HOLD_PERIOD;
        else if (k < 4) period = 0;
        else period = uint32(bound(r >> 8, 1, 2 days));
        bytes4[] memory reasons = new bytes4[](period > MAX_HOLD_PERIOD ? 1 : 0);
        if (reasons.length != 0) {
            reasons[0] = IInferenceSettlement.SettlementInvalidHoldPeriod.selector;
        }
        _attempt("setHoldPeriod");
        try settlement.setHoldPeriod(period) {
            if (reasons.length != 0) _violate("setHoldPeriod: accepted a period above the max", "");
            if (settlement.holdPeriod() != period) _violate("setHoldPeriod: not applied", "");
            _succeeded("setHoldPeriod");
        } catch (bytes memory err) {
            _checkRevert("setHoldPeriod", err, reasons);
        }
    }

    // ================================================================ views for the invariants

    function ghostCount() external view returns (uint256) {
        return _ghosts.length;
    }

    function ghosts() external view returns (Ghost[] memory) {
        return _ghosts;
    }

    // ================================================================ settle

    function _settleOnce(uint256 r) private {
        (, uint32 liveEpoch, bool paused) = registry.live(MODEL);
        // Half the time, when nothing is live, make something live first.
        if (liveEpoch == 0 && (r >> 200) % 2 == 0) {
            if (paused) {
                try registry.resume(MODEL) {} catch {}
            } else {
                _promote(r >> 100);
            }
        }
        SettleArgs memory a = _settleArgs(r);
        bytes4[] memory reasons = _settleReasons(a);
        ERC20TestDouble(address(a.token)).mint(a.payer, a.amount);
        vm.prank(a.payer);
        a.token.approve(address(settlement), a.amount);
        _attempt("settle");
        _LOG_VM.recordLogs();
        vm.prank(a.payer);
        try
            settlement.settle(
                MODEL,
                a.version,
                a.expectedEpoch,
                a.payee,
                a.token,
                a.amount,
                a.requestId,
                0
            )
        returns (bytes32 id) {
            _settled(a, id, reasons.length == 0);
        } catch (bytes memory err) {
            _checkRevert("settle", err, reasons);
        }
    }

    function _settleArgs(uint256 r) private returns (SettleArgs memory a) {
        uint256 n = _ghosts.length;
        if ((r >> 8) % 16 == 0 && n != 0) {
            // An id the payer used already.
            IInferenceSettlement.SettlementDetails storage old = _ghosts[(r >> 12) % n].details;
            a.payer = old.payer;
            a.requestId = old.requestId;
        } else {
            a.payer = payer(r % PAYERS);
            a.requestId = keccak256(abi.encode("request", ++_nonce));
        }
        a.payee = (r >> 24) % 16 == 0 ? address(0) : payee((r >> 28) % PAYEES);
        a.token = tokenAt(r >> 32);
        a.amount = (r >> 40) % 16 == 0 ? 0 : bound(r >> 48, 1, MAX_AMOUNT);
        (a.liveVersion, a.liveEpoch, a.paused) = registry.live(MODEL);
        a.version =
            _valid(r >> 120)
                ? a.liveVersion
                : uint32(bound(r >> 128, 0, registry.versionCount(MODEL) + 1));
        uint256 e = (r >> 160) % 8;
        a.expectedEpoch =
            e < 4
                ? 0
                : e < 7
                    ? a.liveEpoch
                    : a.liveEpoch + 1;
        a.holdPeriod = settlement.holdPeriod();
    }

    function _settleReasons(SettleArgs memory a) private view returns (bytes4[] memory rs) {
        rs = new bytes4[](4);
        uint256 n;
        if (a.payee == address(0) || a.amount == 0) {
            rs[n++] = IInferenceSettlement.SettlementZeroArgument.selector;
        }
        if (_ghostIndex[_idOf(a.payer, a.requestId)] != 0) {
            rs[n++] = IInferenceSettlement.SettlementExists.selector;
        }
        if (a.paused) {
            rs[n++] = IVersionBound.VersionBoundModelPaused.selector;
        } else if (a.liveEpoch == 0) {
            rs[n++] = IVersionBound.VersionBoundNothingLive.selector;
        } else {
            if (a.version != a.liveVersion) {
                rs[n++] = IVersionBound.VersionBoundVersionMismatch.selector;
            }
            if (a.expectedEpoch != 0 && a.expectedEpoch != a.liveEpoch) {
                rs[n++] = IVersionBound.VersionBoundEpochMismatch.selector;
            }
        }
        _shrink(rs, n);
    }

    function _settled(SettleArgs memory a, bytes32 id, bool allowed) private {
        if (!allowed) _violate("settle: succeeded though it had to revert", "");
        uint48 nowTs = uint48(block.timestamp);
        Ghost storage g = _ghosts.push();
        g.details = IInferenceSettlement.SettlementDetails({
            payer: a.payer,
            requestId: a.requestId,
            modelId: MODEL,
            version: a.version,
            epoch: a.liveEpoch,
            payee: a.payee,
            token: a.token,
            amount: a.amount,
            settledAt: nowTs,
            releaseAt: nowTs + a.holdPeriod
        });
        g.id = id;
        g.state = IInferenceSettlement.SettlementState.Open;
        _ghostIndex[id] = _ghosts.length;
        ghostSettled[a.token] += a.amount;
        if (id != _idOf(a.payer, a.requestId)) _violate("settle: unexpected settlement id", "");
        _checkSettledLog(g);
        _succeeded("settle");
    }

    /// @dev Exactly one {Settled} event, with the right topics and the rebuilt details.
    function _checkSettledLog(Ghost storage g) private {
        ISettlementLogVm.Log[] memory logs = _LOG_VM.getRecordedLogs();
        uint256 found;
        for (uint256 i = 0; i < logs.length; ++i) {
            ISettlementLogVm.Log memory entry = logs[i];
            if (
                entry.emitter != address(settlement) ||
                entry.topics.length == 0 ||
                entry.topics[0] != IInferenceSettlement.Settled.selector
            ) continue;
            ++found;
            if (
                entry.topics.length != 4 ||
                entry.topics[1] != g.id ||
                entry.topics[2] != MODEL ||
                entry.topics[3] != bytes32(uint256(g.details.epoch))
            ) _violate("settle: Settled topics", entry.data);
            // The data is the details after their first two words (model and epoch: topics).
            if (entry.data.length != 0x100) _violate("settle: Settled data length", entry.data);
            bytes memory rebuilt = bytes.concat(entry.topics[2], entry.topics[3], entry.data);
            if (keccak256(rebuilt) != keccak256(abi.encode(g.details))) {
                _violate("settle: emitted details differ from the rebuilt ones", entry.data);
            }
        }
        if (found != 1) _violate("settle: not exactly one Settled event", "");
    }

    // ================================================================ claim / refund

    function _claimReasons(
        Ghost storage g,
        address caller,
        address to
    ) private view returns (bytes4[] memory rs) {
        rs = new bytes4[](7);
        uint256 n;
        uint48 releaseAt = g.details.releaseAt;
        if (!_isOpen(g)) rs[n++] = IInferenceSettlement.SettlementNotOpen.selector;
        if (caller != g.details.payee) {
            rs[n++] = IInferenceSettlement.SettlementUnauthorized.selector;
        }
        if (g.state == IInferenceSettlement.SettlementState.Contested) {
            rs[n++] = IInferenceSettlement.SettlementContested.selector;
        }
        if (to == address(0)) rs[n++] = IInferenceSettlement.SettlementZeroArgument.selector;
        if (block.timestamp < releaseAt) {
            rs[n++] = IInferenceSettlement.SettlementNotReleased.selector;
        }
        if (_faultyBeforeRelease(g)) {
            rs[n++] = IInferenceSettlement.SettlementVersionFaulty.selector;
        }
        // Only a pause of the bound version (the pre-pause one is the current version) holds
        // the claim; the payee of an older version is not held up.
        uint48 pausedSince = registry.pausedSince(MODEL);
        if (
            pausedSince != 0 &&
            pausedSince < releaseAt &&
            registry.currentVersion(MODEL) == g.details.version
        ) {
            rs[n++] = IInferenceSettlement.SettlementModelPaused.selector;
        }
        _shrink(rs, n);
    }

    function _refundReasons(
        Ghost storage g,
        address caller,
        address to
    ) private view returns (bytes4[] memory rs) {
        rs = new bytes4[](4);
        uint256 n;
        if (!_isOpen(g)) rs[n++] = IInferenceSettlement.SettlementNotOpen.selector;
        if (caller != g.details.payer) {
            rs[n++] = IInferenceSettlement.SettlementUnauthorized.selector;
        }
        if (to == address(0)) rs[n++] = IInferenceSettlement.SettlementZeroArgument.selector;
        if (!_faultyBeforeRelease(g)) {
            rs[n++] = IInferenceSettlement.SettlementNotRefundable.selector;
        }
        _shrink(rs, n);
    }

    function _closed(
        uint256 idx,
        IInferenceSettlement.SettlementState state,
        string memory action,
        bytes4[] memory reasons
    ) private {
        if (reasons.length != 0) {
            _violate(string.concat(action, ": succeeded though it had to revert"), "");
        }
        Ghost storage g = _ghosts[idx];
        g.state = state;
        ++g.closings;
        g.closedAt = uint48(block.timestamp);
        g.faultyAtClose = registry.faultyAt(MODEL, g.details.version);
        g.pausedSinceAtClose = registry.pausedSince(MODEL);
        g.currentAtClose = registry.currentVersion(MODEL);
        if (state == IInferenceSettlement.SettlementState.Claimed) {
            ghostClaimed[g.details.token] += g.details.amount;
        } else {
            ghostRefunded[g.details.token] += g.details.amount;
        }
        _succeeded(bytes32(bytes(action)));
    }

    // ================================================================ registry

    function _guardianRollback(uint256 r) private {
        uint32 current = registry.currentVersion(MODEL);
        uint32 from = _valid(r) ? current : _anyVersion(r >> 8);
        uint32 to = _valid(r >> 16) ? _pickVersion(r >> 24, _rollbackTarget) : _anyVersion(r >> 32);
        if (to == 0) return;
        _attempt("rollback");
        if (_rollback(from, to, _disposition(r >> 40), keccak256(abi.encode("rollback", r)))) {
            _succeeded("rollback");
        }
    }

    /// @dev The handler's only rollback call. `fromVersion` is the version the guardian means to
    /// take down; the registry reverts unless it is the current one.
    function _rollback(
        uint32 fromVersion,
        uint32 toVersion,
        IModelRegistry.Disposition disposition,
        bytes32 reasonHash
    ) private returns (bool ok) {
        uint48 faultSince = _faultSinceIfMarkedNow(fromVersion);
        try
            registry.rollback(
                MODEL,
                fromVersion,
                toVersion,
                disposition,
                reasonHash,
                "ipfs://incident"
            )
        {
            ok = true;
            _marked(fromVersion, disposition, faultSince);
        } catch {}
    }

    /// @dev The handler's only revoke call.
    function _revoke(
        uint32 version,
        IModelRegistry.Disposition disposition,
        bytes32 reasonHash
    ) private returns (bool ok) {
        uint48 faultSince = _faultSinceIfMarkedNow(version);
        try registry.revoke(MODEL, version, disposition, reasonHash, "ipfs://incident") {
            ok = true;
            _marked(version, disposition, faultSince);
        } catch {}
    }

    /// @dev When `version`'s fault would count from if it were marked Faulty now: the start of
    /// the pause if it is the paused (pre-pause) version, else now.
    function _faultSinceIfMarkedNow(uint32 version) private view returns (uint48) {
        uint48 pausedSince = registry.pausedSince(MODEL);
        if (pausedSince != 0 && registry.currentVersion(MODEL) == version) return pausedSince;
        return uint48(block.timestamp);
    }

    /// @dev After a successful rollback or revocation of `version`: updates the handler's model
    /// of when its fault counts from and checks the registry's against it.
    function _marked(
        uint32 version,
        IModelRegistry.Disposition disposition,
        uint48 faultSince
    ) private {
        if (disposition == IModelRegistry.Disposition.Faulty) {
            if (ghostFaultyAt[version] != 0) _violate("registry: Faulty version marked again", "");
            ghostFaultyAt[version] = faultSince;
        }
        uint48 got = registry.faultyAt(MODEL, version);
        if (got != ghostFaultyAt[version]) {
            _violate(
                "registry: faultyAt is not when the fault counts from",
                abi.encode(version, got, ghostFaultyAt[version])
            );
        }
        if (registry.getVersion(MODEL, version).dispositionAt != block.timestamp) {
            _violate("registry: dispositionAt is not the marking time", abi.encode(version));
        }
    }

    /// @dev Marks the version of a pending settlement Faulty: by a rollback if it is the current
    /// version and a target exists, else by a revocation. Half the time, if the version is live,
    /// the guardian first pauses it and marks it only after the settlement's release: the fault
    /// then counts from the pause, before the release.
    function _faultPending(uint256 r) private {
        uint256 idx = _pickGhost(r, _isPending);
        if (idx == type(uint256).max || !_isPending(_ghosts[idx])) return;
        uint32 v = _ghosts[idx].details.version;
        bytes32 reason = keccak256(abi.encode("fault", r));
        (uint32 liveVersion, , ) = registry.live(MODEL);
        if (liveVersion == v && (r >> 40) % 2 == 0) {
            _attempt("pause");
            try registry.pause(MODEL) {
                _succeeded("pause");
            } catch {}
            vm.warp(_ghosts[idx].details.releaseAt + bound(r >> 48, 0, 1 hours));
        }
        uint32 to = _pickVersion(r >> 8, _rollbackTarget);
        if (registry.currentVersion(MODEL) == v && to != 0) {
            _attempt("rollback");
            if (_rollback(v, to, IModelRegistry.Disposition.Faulty, reason)) _succeeded("rollback");
            return;
        }
        _attempt("revoke");
        if (_revoke(v, IModelRegistry.Disposition.Faulty, reason)) _succeeded("revoke");
    }

    /// @dev Three times in four the current (live or paused) version, else any version.
    function _guardianRevoke(uint256 r) private {
        uint32 v = r % 4 != 0 ? registry.currentVersion(MODEL) : 0;
        if (v == 0) v = _anyVersion(r >> 8);
        _attempt("revoke");
        if (_revoke(v, _disposition(r >> 16), keccak256(abi.encode("revoke", r)))) {
            _succeeded("revoke");
        }
    }

    function _promote(uint256 r) private {
        uint32 v = _pickVersion(r, _proposable);
        if (v == 0) {
            if (registry.versionCount(MODEL) >= MAX_VERSIONS) return;
            v = _registerNext();
            if (v == 0) return;
        }
        _attempt("promote");
        try registry.propose(MODEL, v) {} catch {
            return;
        }
        uint48 earliest = registry.pendingProposal(MODEL).earliestActivation;
        if (block.timestamp < earliest) vm.warp(earliest + bound(r >> 64, 0, 60));
        try registry.activate(MODEL) {
            _succeeded("promote");
        } catch {}
    }

    function _registerNext() private returns (uint32) {
        bytes32 blob = keccak256(abi.encode("blob", ++_nonce));
        try registry.registerVersion(MODEL, blob, blob, "ipfs://v", 0x02, address(0)) returns (
            uint32 v
        ) {
            return v;
        } catch {
            return 0;
        }
    }

    // ================================================================ oracle

    function _checkRevert(string memory action, bytes memory err, bytes4[] memory reasons) private {
        if (reasons.length == 0) {
            _violate(string.concat(action, ": reverted though nothing forbade it"), err);
            return;
        }
        if (err.length < 4) {
            _violate(string.concat(action, ": reverted without an error"), err);
            return;
        }
        bytes4 selector = bytes4(err);
        for (uint256 i = 0; i < reasons.length; ++i) {
            if (reasons[i] == selector) return;
        }
        _violate(string.concat(action, ": reverted for a reason that does not apply"), err);
    }

    function _violate(string memory what, bytes memory data) private {
        if (bytes(violation).length != 0) return;
        violation = what;
        violationData = data;
    }

    // ================================================================ helpers

    /// @dev By the handler's own model of faultyAt, not the registry's (checked against it).
    function _faultyBeforeRelease(Ghost storage g) private view returns (bool) {
        uint48 faultyAt = ghostFaultyAt[g.details.version];
        return faultyAt != 0 && faultyAt < g.details.releaseAt;
    }

    /// @dev Whether `g`'s version is Faulty from a pause that began before the marking.
    function _faultFromPause(Ghost storage g) private view returns (bool) {
        uint48 faultyAt = ghostFaultyAt[g.details.version];
        return
            faultyAt != 0 && faultyAt < registry.getVersion(MODEL, g.details.version).dispositionAt;
    }

    /// @dev For a released claim during a pause that does not hold it: which case that is.
    function _pauseCase(Ghost storage g) private view returns (bytes32) {
        uint48 pausedSince = registry.pausedSince(MODEL);
        if (pausedSince == 0 || block.timestamp < g.details.releaseAt) return 0;
        if (registry.currentVersion(MODEL) != g.details.version) {
            return "claim past another's pause";
        }
        return
            pausedSince >= g.details.releaseAt ? bytes32("claim past a later pause") : bytes32(0);
    }

    /// @dev Open, Contested or Proven: not claimed nor refunded yet.
    function _isOpen(Ghost storage g) private view returns (bool) {
        return
            g.state == IInferenceSettlement.SettlementState.Open ||
            g.state == IInferenceSettlement.SettlementState.Contested ||
            g.state == IInferenceSettlement.SettlementState.Proven;
    }

    function _isContested(Ghost storage g) private view returns (bool) {
        return g.state == IInferenceSettlement.SettlementState.Contested;
    }

    function _isRefundable(Ghost storage g) private view returns (bool) {
        return _isOpen(g) && _faultyBeforeRelease(g);
    }

    function _isPending(Ghost storage g) private view returns (bool) {
        return _isOpen(g) && block.timestamp < g.details.releaseAt;
    }

    /// @dev Seven times in eight the first ghost from a random start for which `ok` holds (if
    /// any), else a random one; `type(uint256).max` if there is none.
    function _pickGhost(
        uint256 r,
        function(Ghost storage) view returns (bool) ok
    ) private view returns (uint256) {
        uint256 n = _ghosts.length;
        if (n == 0) return type(uint256).max;
        uint256 start = (r >> 4) % n;
        if (!_valid(r)) return start;
        for (uint256 k = 0; k < n; ++k) {
            uint256 i = (start + k) % n;
            if (ok(_ghosts[i])) return i;
        }
        return start;
    }

    function _wrongCaller(uint256 r, address other) private pure returns (address) {
        return r % 2 == 0 ? other : OUTSIDER;
    }

    function _idOf(address payer_, bytes32 requestId) private pure returns (bytes32) {
        return keccak256(abi.encode(payer_, requestId));
    }

    function _rand(uint256 seed) private view returns (uint256) {
        return uint256(keccak256(abi.encode(seed, _nonce, _ghosts.length, block.timestamp)));
    }

    /// @dev Seven times in eight.
    function _valid(uint256 r) private pure returns (bool) {
        return r % 8 != 0;
    }

    /// @dev Faulty half the time (refunds), else Withdrawn (the version may come back).
    function _disposition(uint256 r) private pure returns (IModelRegistry.Disposition) {
        return
            r % 2 == 0 ? IModelRegistry.Disposition.Faulty : IModelRegistry.Disposition.Withdrawn;
    }

    /// @dev Any version number, including one past the last (unknown).
    function _anyVersion(uint256 r) private view returns (uint32) {
        return uint32(bound(r, 1, registry.versionCount(MODEL) + 1));
    }

    /// @dev The first version from a random start that satisfies `ok`, 0 if none.
    function _pickVersion(
        uint256 r,
        function(uint32) view returns (bool) ok
    ) private view returns (uint32) {
        uint32 count = registry.versionCount(MODEL);
        for (uint32 k = 0; k < count; ++k) {
            uint32 v = uint32(((r + k) % count) + 1);
            if (ok(v)) return v;
        }
        return 0;
    }

    function _proposable(uint32 v) private view returns (bool) {
        IModelRegistry.VersionStatus s = registry.versionStatus(MODEL, v);
        return
            s == IModelRegistry.VersionStatus.Registered ||
            s == IModelRegistry.VersionStatus.Retired ||
            s == IModelRegistry.VersionStatus.Withdrawn;
    }

    /// @dev Retired, or the pending proposal of a Retired version (a valid target too).
    function _rollbackTarget(uint32 v) private view returns (bool) {
        IModelRegistry.VersionStatus s = registry.versionStatus(MODEL, v);
        if (s == IModelRegistry.VersionStatus.Retired) return true;
        if (s != IModelRegistry.VersionStatus.Proposed) return false;
        return registry.pendingProposal(MODEL).priorStatus == IModelRegistry.VersionStatus.Retired;
    }

    function _attempt(bytes32 action) private {
        ++attempts[action];
    }

    function _succeeded(bytes32 action) private {
        ++successes[action];
    }

    /// @dev Sets the length of a memory array to `n` (at most its allocated length).
    function _shrink(bytes4[] memory rs, uint256 n) private pure {
        assembly ("memory-safe") {
            mstore(rs, n)
        }
    }
}
