// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";

import {RegistryCalls} from "./RegistryCalls.sol";
import {CheatsBase} from "./TestBase.sol";

/**
 * @notice Test double for the invariant tests: an actor holding GOVERNOR, GUARDIAN and PUBLISHER
 * that drives two models through bounded, mostly valid actions (reverts are tolerated), with
 * several operations per timestamp.
 *
 * Besides acting it keeps what the invariants compare against:
 * - `points`: every distinct timestamp at which an operation succeeded, and the second before;
 * - a copy of each model's epoch list, read from {IModelRegistry-getEpoch} after every
 *   operation: the reference recomputes "which epoch was live at t" from it alone;
 * - `observations`: the registry's answers for each point, recorded the first time the clock
 *   has moved beyond it (history must never change afterwards);
 * - when each version was first seen Faulty.
 */
contract RegistryHandler is CheatsBase {
    /// @notice One epoch as copied from the registry.
    struct CachedEpoch {
        uint32 version;
        uint48 start;
        uint48 end;
        bool open;
    }

    /// @notice The registry's answers for one past time, per model.
    struct Observation {
        uint48 t;
        uint32[2] epoch;
        uint32[2] version;
    }

    uint256 public constant MODELS = 2;
    uint32 public constant MAX_VERSIONS = 12;

    IModelRegistry public immutable registry;
    address public immutable verifier;

    bytes32[2] public models;

    uint48[] private _points;
    uint256 private _observedUpTo;
    Observation[] private _observations;
    uint48 public lastOpTime;

    mapping(uint256 model => CachedEpoch[]) private _epochs;
    mapping(uint256 model => mapping(uint32 version => uint48)) public faultySeenAt;
    uint256 private _blobNonce;

    /// @notice Calls and successful calls per action (for tuning the input bias).
    mapping(bytes32 action => uint256) public attempts;
    mapping(bytes32 action => uint256) public successes;

    constructor(IModelRegistry registry_, address verifier_) {
        registry = registry_;
        verifier = verifier_;
        models[0] = keccak256("invariant-model-0");
        models[1] = keccak256("invariant-model-1");
    }

    /// @notice Creates both models with three versions each and makes v1 of model 0 live.
    /// Called once by the test's setUp, after the roles are granted.
    function init() external {
        address[] memory publishers = new address[](1);
        publishers[0] = address(this);
        for (uint256 m = 0; m < MODELS; ++m) {
            registry.createModel(models[m], publishers);
            for (uint256 i = 0; i < 3; ++i) _registerNext(m, i);
            _afterOp();
        }
        registry.propose(models[0], 1);
        _afterOp();
        vm.warp(registry.pendingProposal(models[0]).earliestActivation);
        _observePast();
        registry.activate(models[0]);
        _afterOp();
    }

    // ================================================================ actions
    //
    // Each action hashes its seed (the fuzzer favours small and repeated values) and, seven times
    // in eight, picks the model and the version for which the operation is valid; the eighth
    // time it picks at random, so that the reverting paths run too.

    function propose(uint256 seed) external {
        _observePast();
        uint256 r = _rand(seed);
        uint256 m = r % MODELS;
        uint32 v = _valid(r) ? _pick(m, r >> 16, _proposable) : _anyVersion(m, r >> 16);
        if (v == 0) return;
        _attempt("propose");
        try registry.propose(models[m], v) {
            _succeeded("propose");
        } catch {}
    }

    /// @dev Usually proposes first if nothing is pending, and warps into the activation window
    /// (a third of the time to its first second), unless the model is paused.
    function activate(uint256 seed) external {
        _observePast();
        uint256 r = _rand(seed);
        uint256 m = _chooseModel(r, _activatable);
        bytes32 id = models[m];
        if (_valid(r >> 16) && !_hasProposal(id) && !_isPaused(id)) {
            uint32 v = _pick(m, r >> 40, _proposable);
            if (v != 0) {
                _attempt("propose");
                try registry.propose(id, v) {
                    _succeeded("propose");
                } catch {}
            }
        }
        IModelRegistry.Proposal memory p = registry.pendingProposal(id);
        if (p.version != 0 && block.timestamp < p.earliestActivation && _valid(r >> 24)) {
            uint256 span = p.expiresAt - p.earliestActivation;
            uint256 w = r >> 32;
            vm.warp(p.earliestActivation + (w % 3 == 0 ? 0 : bound(w >> 8, 0, span / 4)));
            _observePast();
        }
        _attempt("activate");
        try registry.activate(id) {
            _succeeded("activate");
        } catch {}
    }

    function cancelProposal(uint256 seed) external {
        _observePast();
        uint256 r = _rand(seed);
        // Half as often as the other actions: cancelling undoes the progress of a promotion.
        if ((r >> 24) % 2 == 0) return;
        _attempt("cancelProposal");
        try registry.cancelProposal(models[_chooseModel(r, _hasProposal)]) {
            _succeeded("cancelProposal");
        } catch {}
    }

    function rollback(uint256 seed) external {
        _observePast();
        uint256 r = _rand(seed);
        uint256 m = _chooseModel(r, _canRollBack);
        bytes32 id = models[m];
        uint32 target =
            _valid(r >> 24) ? _pick(m, r >> 32, _rollbackTarget) : _anyVersion(m, r >> 32);
        if (target == 0) return;
        // The guardian names the version it takes down: seven times in eight the current one,
        // else any version (usually a wrong one: the rollback must then revert). The seed of that
        // version starts past the bits `_valid` read, which are all zero on this path.
        uint32 from = _valid(r >> 64) ? registry.currentVersion(id) : _anyVersion(m, r >> 80);
        _attempt("rollback");
        if (RegistryCalls.tryRollback(registry, id, from, target, _disposition(r >> 96))) {
            _succeeded("rollback");
        }
    }

    /// @dev A quarter of the time the current (live or paused) version, else any version.
    function revoke(uint256 seed) external {
        _observePast();
        uint256 r = _rand(seed);
        uint256 m = r % MODELS;
        bytes32 id = models[m];
        uint32 v = (r >> 16) % 4 == 0 ? registry.currentVersion(id) : 0;
        if (v == 0) v = _anyVersion(m, r >> 24);
        _attempt("revoke");
        try registry.revoke(id, v, _disposition(r >> 96), keccak256(abi.encode(r)), "") {
            _succeeded("revoke");
        } catch {}
    }

    function pause(uint256 seed) external {
        _observePast();
        _attempt("pause");
        try registry.pause(models[_chooseModel(_rand(seed), _isLive)]) {
            _succeeded("pause");
        } catch {}
    }

    function resume(uint256 seed) external {
        _observePast();
        _attempt("resume");
        try registry.resume(models[_chooseModel(_rand(seed), _isPaused)]) {
            _succeeded("resume");
        } catch {}
    }

    function register(uint256 seed) external {
        _observePast();
        uint256 r = _rand(seed);
        uint256 m = r % MODELS;
        if (registry.versionCount(models[m]) >= MAX_VERSIONS) return;
        _attempt("register");
        if (_registerNext(m, r >> 8)) _succeeded("register");
    }

    /// @dev Half the time 0 seconds (the next operations share a timestamp), else 1 s to 2 days.
    function advanceTime(uint256 seed) external {
        uint256 r = _rand(seed);
        uint256 pick = r % 4;
        uint256 by =
            pick < 2
                ? 0
                : pick == 2
                    ? bound(r >> 8, 1, 60)
                    : bound(r >> 8, 61, 2 days);
        vm.warp(block.timestamp + by);
        _observePast();
    }

    // ================================================================ views for the invariants

    function pointCount() external view returns (uint256) {
        return _points.length;
    }

    /// @notice The last `n` points (fewer if there are fewer).
    function recentPoints(uint256 n) external view returns (uint48[] memory out) {
        uint256 len = _points.length;
        if (n > len) n = len;
        out = new uint48[](n);
        for (uint256 i = 0; i < n; ++i) out[i] = _points[len - n + i];
    }

    function observationCount() external view returns (uint256) {
        return _observations.length;
    }

    /// @notice The last `n` observations (fewer if there are fewer).
    function recentObservations(uint256 n) external view returns (Observation[] memory out) {
        uint256 len = _observations.length;
        if (n > len) n = len;
        out = new Observation[](n);
        for (uint256 i = 0; i < n; ++i) out[i] = _observations[len - n + i];
    }

    /// @notice The copy of model `m`'s epoch list (index `i` is epoch `i + 1`).
    function cachedEpochs(uint256 m) external view returns (CachedEpoch[] memory) {
        return _epochs[m];
    }

    // ================================================================ bookkeeping

    function _attempt(bytes32 action) private {
        ++attempts[action];
    }

    function _succeeded(bytes32 action) private {
        ++successes[action];
        _afterOp();
    }

    /// @dev After every successful operation: note its timestamp, copy new and changed epochs,
    /// note versions newly seen Faulty.
    function _afterOp() private {
        uint48 nowTs = uint48(block.timestamp);
        if (nowTs != lastOpTime) {
            uint256 len = _points.length;
            if (len == 0 || _points[len - 1] < nowTs - 1) _points.push(nowTs - 1);
            _points.push(nowTs);
            lastOpTime = nowTs;
        }
        for (uint256 m = 0; m < MODELS; ++m) {
            _syncEpochs(m);
            _syncFaulty(m);
        }
    }

    function _syncEpochs(uint256 m) private {
        bytes32 id = models[m];
        CachedEpoch[] storage cache = _epochs[m];
        uint256 have = cache.length;
        uint256 count = registry.epochCount(id);
        // Only the last copied epoch can have changed (it was open); then copy the new ones.
        if (have != 0 && cache[have - 1].open) cache[have - 1] = _read(id, uint32(have));
        for (uint256 e = have + 1; e <= count; ++e) cache.push(_read(id, uint32(e)));
    }

    function _read(bytes32 id, uint32 epoch) private view returns (CachedEpoch memory) {
        IModelRegistry.Epoch memory e = registry.getEpoch(id, epoch);
        return
            CachedEpoch({
                version: e.version,
                start: e.startTime,
                end: e.endTime,
                open: e.endReason == IModelRegistry.EndReason.Open
            });
    }

    function _syncFaulty(uint256 m) private {
        bytes32 id = models[m];
        uint32 count = registry.versionCount(id);
        for (uint32 v = 1; v <= count; ++v) {
            if (
                faultySeenAt[m][v] == 0 &&
                registry.versionStatus(id, v) == IModelRegistry.VersionStatus.Faulty
            ) {
                faultySeenAt[m][v] = uint48(block.timestamp);
            }
        }
    }

    /// @dev Records the registry's answers for every point the clock has now passed.
    function _observePast() private {
        uint256 len = _points.length;
        while (_observedUpTo < len && _points[_observedUpTo] < block.timestamp) {
            Observation storage o = _observations.push();
            uint48 t = _points[_observedUpTo];
            o.t = t;
            for (uint256 m = 0; m < MODELS; ++m) {
                o.epoch[m] = registry.epochAt(models[m], t);
                o.version[m] = registry.versionAt(models[m], t);
            }
            ++_observedUpTo;
        }
    }

    // ================================================================ input bias

    function _registerNext(uint256 m, uint256 seed) private returns (bool) {
        uint8 mask = uint8((seed % 15) + 1);
        address zk = mask & 0x04 != 0 ? verifier : address(0);
        bytes32 blob = keccak256(abi.encode("blob", m, ++_blobNonce));
        try registry.registerVersion(models[m], blob, blob, "ipfs://v", mask, zk) {
            return true;
        } catch {
            return false;
        }
    }

    function _rand(uint256 seed) private view returns (uint256) {
        return uint256(keccak256(abi.encode(seed, _blobNonce, block.timestamp)));
    }

    /// @dev Seven times in eight.
    function _valid(uint256 r) private pure returns (bool) {
        return (r >> 8) % 8 != 0;
    }

    /// @dev Seven times in eight a model for which `ok` holds (if any), else a random one.
    function _chooseModel(
        uint256 r,
        function(bytes32) view returns (bool) ok
    ) private view returns (uint256) {
        uint256 m = r % MODELS;
        if (!_valid(r)) return m;
        for (uint256 k = 0; k < MODELS; ++k) {
            uint256 candidate = (m + k) % MODELS;
            if (ok(models[candidate])) return candidate;
        }
        return m;
    }

    function _isLive(bytes32 id) private view returns (bool) {
        (, uint32 epoch, ) = registry.live(id);
        return epoch != 0;
    }

    function _isPaused(bytes32 id) private view returns (bool) {
        (, , bool paused) = registry.live(id);
        return paused;
    }

    function _hasProposal(bytes32 id) private view returns (bool) {
        return registry.pendingProposal(id).version != 0;
    }

    function _activatable(bytes32 id) private view returns (bool) {
        return _hasProposal(id) && !_isPaused(id);
    }

    function _canRollBack(bytes32 id) private view returns (bool) {
        return registry.currentVersion(id) != 0;
    }

    /// @dev Faulty a third of the time, else Withdrawn (so that versions come back).
    function _disposition(uint256 seed) private pure returns (IModelRegistry.Disposition) {
        return
            seed % 3 == 0
                ? IModelRegistry.Disposition.Faulty
                : IModelRegistry.Disposition.Withdrawn;
    }

    /// @dev Any version number, including one past the last (unknown).
    function _anyVersion(uint256 m, uint256 seed) private view returns (uint32) {
        return uint32(bound(seed, 1, registry.versionCount(models[m]) + 1));
    }

    /// @dev The first version from a random start that satisfies `ok`, 0 if none.
    function _pick(
        uint256 m,
        uint256 seed,
        function(bytes32, uint32) view returns (bool) ok
    ) private view returns (uint32) {
        bytes32 id = models[m];
        uint32 count = registry.versionCount(id);
        for (uint32 k = 0; k < count; ++k) {
            uint32 v = uint32(((seed + k) % count) + 1);
            if (ok(id, v)) return v;
        }
        return 0;
    }

    function _proposable(bytes32 id, uint32 v) private view returns (bool) {
        IModelRegistry.VersionStatus s = registry.versionStatus(id, v);
        return
            s == IModelRegistry.VersionStatus.Registered ||
            s == IModelRegistry.VersionStatus.Retired ||
            s == IModelRegistry.VersionStatus.Withdrawn;
    }

    /// @dev Retired, or the pending proposal of a Retired version (a valid target too).
    function _rollbackTarget(bytes32 id, uint32 v) private view returns (bool) {
        IModelRegistry.VersionStatus s = registry.versionStatus(id, v);
        if (s == IModelRegistry.VersionStatus.Retired) return true;
        if (s != IModelRegistry.VersionStatus.Proposed) return false;
        return registry.pendingProposal(id).priorStatus == IModelRegistry.VersionStatus.Retired;
    }
}
