// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";

import {RegistryHandler} from "./solidity/RegistryHandler.sol";
import {RegistryTestBase} from "./solidity/RegistryTestBase.sol";

/**
 * @notice Invariants of ModelRegistry's history under random sequences of promotions, rollbacks,
 * revocations, pauses and resumes on two models, with several operations per timestamp.
 * Every loop is bounded: the last `WINDOW` points, observations, epochs and incidents.
 */
contract ModelRegistryInvariantTest is RegistryTestBase {
    uint256 internal constant WINDOW = 64;

    RegistryHandler internal handler;

    function setUp() public {
        vm.warp(START);
        _deploy(DELAY, GRACE);
        handler = new RegistryHandler(registry, address(verifier));
        _grantAll(address(handler));
        handler.init();

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = RegistryHandler.propose.selector;
        selectors[1] = RegistryHandler.activate.selector;
        selectors[2] = RegistryHandler.cancelProposal.selector;
        selectors[3] = RegistryHandler.rollback.selector;
        selectors[4] = RegistryHandler.revoke.selector;
        selectors[5] = RegistryHandler.pause.selector;
        selectors[6] = RegistryHandler.resume.selector;
        selectors[7] = RegistryHandler.register.selector;
        selectors[8] = RegistryHandler.advanceTime.selector;
        targetSelector(address(handler), selectors);
    }

    // ================================================================ (a) lookups vs the epoch list

    /// @dev At every recent operation time and the second before each, and at the last second,
    /// once past (lookups take strictly past times): epochAt, versionAt and epochAtWithHint (with
    /// the one correct hint) equal the reference computed from the epoch list alone.
    function invariant_lookupsMatchTheEpochList() public view {
        uint48[] memory points = handler.recentPoints(WINDOW);
        for (uint256 m = 0; m < handler.MODELS(); ++m) {
            bytes32 id = handler.models(m);
            RegistryHandler.CachedEpoch[] memory list = handler.cachedEpochs(m);
            for (uint256 i = 0; i < points.length; ++i) {
                if (points[i] < block.timestamp) _checkAt(id, list, points[i]);
            }
            _checkAt(id, list, _now() - 1);
        }
    }

    function _checkAt(
        bytes32 id,
        RegistryHandler.CachedEpoch[] memory list,
        uint48 t
    ) internal view {
        (uint32 hint, uint32 epoch, uint32 version, uint48 end) = _reference(list, t);
        assertEq(registry.epochAt(id, t), epoch, "epochAt vs reference");
        assertEq(registry.versionAt(id, t), version, "versionAt vs reference");
        (uint32 e, uint32 v, uint48 endTime) = registry.epochAtWithHint(id, t, hint);
        assertEq(e, epoch, "epochAtWithHint epoch vs reference");
        assertEq(v, version, "epochAtWithHint version vs reference");
        assertEq(endTime, end, "epochAtWithHint endTime vs reference");
    }

    /**
     * @dev The reference, from the copied epoch list only: `hint` is the last epoch that opened at
     * or before `t`; it was live at `t` if it is open or ends after `t` (so an epoch with
     * start == end is never live). Binary search: start times are non-decreasing (invariant e).
     */
    function _reference(
        RegistryHandler.CachedEpoch[] memory list,
        uint48 t
    ) internal pure returns (uint32 hint, uint32 epoch, uint32 version, uint48 end) {
        uint256 lo = 0;
        uint256 hi = list.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (list[mid].start <= t) lo = mid + 1;
            else hi = mid;
        }
        hint = uint32(lo); // ids are 1-based: index lo - 1 is epoch lo
        if (lo == 0) return (0, 0, 0, 0);
        RegistryHandler.CachedEpoch memory e = list[lo - 1];
        if (e.open || t < e.end) return (hint, hint, e.version, e.open ? 0 : e.end);
    }

    // ================================================================ (b) history never changes

    /// @dev What epochAt/versionAt answered for a time the first time the clock had passed it is
    /// what they answer now.
    function invariant_pastAnswersNeverChange() public view {
        RegistryHandler.Observation[] memory obs = handler.recentObservations(WINDOW);
        for (uint256 i = 0; i < obs.length; ++i) {
            assertLt(obs[i].t, block.timestamp, "observed a past time");
            for (uint256 m = 0; m < handler.MODELS(); ++m) {
                bytes32 id = handler.models(m);
                assertEq(registry.epochAt(id, obs[i].t), obs[i].epoch[m], "past epochAt changed");
                assertEq(
                    registry.versionAt(id, obs[i].t),
                    obs[i].version[m],
                    "past versionAt changed"
                );
            }
        }
    }

    // ================================================================ (c) Faulty is terminal

    /// @dev A version once seen Faulty stays Faulty, is neither live, current nor pending, and
    /// has no window that started or ended after it was marked.
    function invariant_faultyIsTerminal() public view {
        for (uint256 m = 0; m < handler.MODELS(); ++m) {
            bytes32 id = handler.models(m);
            uint32 count = registry.versionCount(id);
            (uint32 liveVersion, , ) = registry.live(id);
            for (uint32 v = 1; v <= count; ++v) {
                uint48 seen = handler.faultySeenAt(m, v);
                IModelRegistry.VersionStatus s = registry.versionStatus(id, v);
                if (seen == 0) {
                    assertTrue(s != IModelRegistry.VersionStatus.Faulty, "unseen Faulty");
                    continue;
                }
                assertEq(uint8(s), uint8(IModelRegistry.VersionStatus.Faulty), "stays Faulty");
                uint48 at = registry.faultyAt(id, v);
                assertTrue(at != 0 && at <= seen, "faultyAt set, not after first seen");
                assertTrue(liveVersion != v, "Faulty version live");
                assertTrue(registry.currentVersion(id) != v, "Faulty version current");
                assertTrue(registry.pendingProposal(id).version != v, "Faulty version pending");
                IModelRegistry.EpochView[] memory w = registry.windowsOf(id, v, 0, WINDOW);
                for (uint256 k = 0; k < w.length; ++k) {
                    assertEq(w[k].epoch.version, v, "window of another version");
                    assertTrue(
                        w[k].epoch.endReason != IModelRegistry.EndReason.Open,
                        "Faulty version has an open window"
                    );
                    assertLe(w[k].epoch.endTime, at, "window ends after faultyAt");
                }
            }
        }
    }

    // ================================================================ (d) live vs the open epoch

    /// @dev At most one epoch is open; it is the last one, the live one, of the current version,
    /// and the only Active version; epochCount is the list's length.
    function invariant_liveAgreesWithTheOpenEpoch() public view {
        for (uint256 m = 0; m < handler.MODELS(); ++m) {
            bytes32 id = handler.models(m);
            uint32 count = registry.epochCount(id);
            IModelRegistry.EpochView[] memory list = registry.epochs(id, 0, type(uint256).max);
            assertEq(list.length, count, "epochCount is the number of epochs");
            uint256 open;
            uint32 openId;
            for (uint256 i = 0; i < list.length; ++i) {
                assertEq(list[i].id, i + 1, "epoch ids are 1..n");
                if (list[i].epoch.endReason == IModelRegistry.EndReason.Open) {
                    ++open;
                    openId = list[i].id;
                }
            }
            assertLe(open, 1, "at most one open epoch");

            (uint32 liveVersion, uint32 liveEpoch, bool paused) = registry.live(id);
            uint32 current = registry.currentVersion(id);
            if (liveEpoch != 0) {
                assertEq(openId, liveEpoch, "the live epoch is the open one");
                assertEq(liveEpoch, count, "the live epoch is the last one");
                assertEq(list[count - 1].epoch.version, liveVersion, "live epoch's version");
                assertEq(current, liveVersion, "current is the live version");
                assertTrue(!paused, "live and paused");
            } else {
                assertEq(open, 0, "an open epoch while nothing is live");
                assertEq(liveVersion, 0, "a live version without a live epoch");
                if (!paused)
                    assertEq(current, 0, "a current version while neither live nor paused");
                else assertTrue(current != 0, "paused without a pre-pause version");
            }

            // A pause began when the last epoch closed for it.
            uint48 since = registry.pausedSince(id);
            if (!paused) {
                assertEq(since, 0, "pausedSince while not paused");
            } else {
                IModelRegistry.Epoch memory last = list[count - 1].epoch;
                assertEq(uint8(last.endReason), uint8(IModelRegistry.EndReason.Pause), "paused");
                assertEq(since, last.endTime, "pausedSince is the paused epoch's end");
            }

            // The current (live or paused) version is the one and only Active version.
            uint32 versions = registry.versionCount(id);
            for (uint32 v = 1; v <= versions; ++v) {
                bool active = registry.versionStatus(id, v) == IModelRegistry.VersionStatus.Active;
                assertEq(active, v == current, "Active iff current");
            }
        }
    }

    // ================================================================ (e) epochs in order

    /// @dev Epochs never overlap, start times never decrease, only the last may be open, and a
    /// closed epoch never changes (the handler's copy equals the registry's record).
    function invariant_epochsAreOrderedAndDisjoint() public view {
        for (uint256 m = 0; m < handler.MODELS(); ++m) {
            bytes32 id = handler.models(m);
            RegistryHandler.CachedEpoch[] memory copy = handler.cachedEpochs(m);
            uint256 count = registry.epochCount(id);
            assertEq(copy.length, count, "copied epochs");
            uint256 from = count > WINDOW ? count - WINDOW : 0;
            IModelRegistry.EpochView[] memory list = registry.epochs(id, from, WINDOW);
            for (uint256 i = 0; i < list.length; ++i) {
                IModelRegistry.Epoch memory e = list[i].epoch;
                RegistryHandler.CachedEpoch memory c = copy[from + i];
                bool open = e.endReason == IModelRegistry.EndReason.Open;
                assertEq(c.version, e.version, "epoch version changed");
                assertEq(c.start, e.startTime, "epoch start changed");
                assertEq(c.end, e.endTime, "epoch end changed");
                assertEq(c.open, open, "epoch reopened");
                assertLe(e.startTime, block.timestamp, "epoch starts in the future");
                if (open) {
                    assertEq(from + i + 1, count, "only the last epoch may be open");
                    assertEq(e.endTime, 0, "open epoch has an end");
                    assertEq(e.endBlock, 0, "open epoch has an end block");
                } else {
                    assertLe(e.startTime, e.endTime, "epoch ends before it starts");
                    assertLe(e.startBlock, e.endBlock, "epoch ends before its start block");
                }
                if (i != 0) {
                    IModelRegistry.Epoch memory prev = list[i - 1].epoch;
                    assertLe(prev.startTime, e.startTime, "start times decrease");
                    assertLe(prev.endTime, e.startTime, "epochs overlap");
                }
            }
        }
    }

    // ================================================================ (f) incidents

    /// @dev Every incident references a prefix of its own version's windows, all of which had
    /// ended by the time of the incident.
    function invariant_incidentsReferenceTheirOwnWindows() public view {
        uint32 n = registry.incidentCount();
        uint256 perModel;
        for (uint256 m = 0; m < handler.MODELS(); ++m) {
            perModel += registry.incidentCountOf(handler.models(m));
        }
        assertEq(perModel, n, "incidents per model add up");
        uint32 first = n > WINDOW ? uint32(n - WINDOW + 1) : 1;
        for (uint32 id = first; id <= n; ++id) {
            IModelRegistry.Incident memory inc = registry.getIncident(id);
            assertTrue(inc.disposition != IModelRegistry.Disposition.None, "no disposition");
            assertEq(inc.by, address(handler), "incident actor");
            assertLe(inc.at, block.timestamp, "incident in the future");
            uint256 total = registry.windowCount(inc.modelId, inc.version);
            assertLe(inc.windowCount, total, "more windows than the version has");
            assertTrue(inc.windowCount != 0, "incident of a never-live version");
            IModelRegistry.EpochView[] memory w = registry.incidentWindows(id, 0, WINDOW);
            IModelRegistry.EpochView[] memory own = registry.windowsOf(
                inc.modelId,
                inc.version,
                0,
                WINDOW
            );
            assertEq(w.length, inc.windowCount < WINDOW ? inc.windowCount : WINDOW, "windows");
            for (uint256 k = 0; k < w.length; ++k) {
                assertEq(w[k].epoch.version, inc.version, "window of another version");
                assertEq(w[k].id, own[k].id, "not the version's k-th window");
                assertTrue(
                    w[k].epoch.endReason != IModelRegistry.EndReason.Open,
                    "incident window still open"
                );
                assertLe(w[k].epoch.endTime, inc.at, "incident window ends after the incident");
            }
        }
    }
}
