// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
// solhint-disable-next-line no-console
import {console} from "hardhat/console.sol";

import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {Roles} from "../contracts/libraries/Roles.sol";

import {GuardianGasProbe} from "./solidity/GuardianGasProbe.sol";
import {RegistryCalls} from "./solidity/RegistryCalls.sol";
import {RegistryTestBase} from "./solidity/RegistryTestBase.sol";

/**
 * @notice Unit and fuzz tests of ModelRegistry: registration rules, promotion timing, the
 * history lookups (with and without a hint) and the cost of the guardian's actions against the
 * length of the history.
 */
contract ModelRegistryTest is RegistryTestBase {
    bytes32 internal constant M = keccak256("model-m");
    address internal constant STRANGER = address(0xBAD);

    function setUp() public {
        vm.warp(START);
        _deploy(DELAY, GRACE);
        _grantAll(address(this));
        _createModel(M);
    }

    // ================================================================ registration

    /// @dev mask must be in 1..15; a verifier is required iff bit 0x04 (ZKML) is set, and it must
    /// have code. `kind` picks no verifier, a contract, or an arbitrary fuzzed address.
    function testFuzz_registerVersion_proofMaskAndVerifier(
        uint8 mask,
        uint8 kind,
        address other,
        bytes32 blobId,
        bytes32 weightsHash
    ) public {
        vm.assume(blobId != bytes32(0));
        address zk =
            kind % 3 == 0
                ? address(0)
                : kind % 3 == 1
                    ? address(verifier)
                    : other;

        bytes memory want = _registrationError(mask, zk);
        uint32 before = registry.versionCount(M);
        if (want.length != 0) {
            vm.expectRevert(want);
            registry.registerVersion(M, blobId, weightsHash, "ipfs://x", mask, zk);
            assertEq(registry.versionCount(M), before, "no version on revert");
            assertEq(registry.versionOfBlob(M, blobId), 0, "blob not taken on revert");
            return;
        }

        uint32 version = registry.registerVersion(M, blobId, weightsHash, "ipfs://x", mask, zk);
        assertEq(version, before + 1, "versions are sequential");
        _assertRegistered(version, blobId, weightsHash, mask, zk);

        // The same blob can never be registered twice.
        vm.expectRevert(
            abi.encodeWithSelector(
                IModelRegistry.ModelRegistryDuplicateBlob.selector,
                M,
                blobId,
                version
            )
        );
        registry.registerVersion(M, blobId, weightsHash, "ipfs://y", mask, zk);
    }

    /// @dev The error registration must fail with, empty if it must succeed.
    function _registrationError(uint8 mask, address zk) internal view returns (bytes memory) {
        if (mask == 0 || mask > 0x0f) {
            return
                abi.encodeWithSelector(IModelRegistry.ModelRegistryInvalidProofMask.selector, mask);
        }
        if ((mask & 0x04 != 0) != (zk != address(0))) {
            return
                abi.encodeWithSelector(
                    IModelRegistry.ModelRegistryVerifierMismatch.selector,
                    mask,
                    zk
                );
        }
        if (zk != address(0) && zk.code.length == 0) {
            return
                abi.encodeWithSelector(
                    IModelRegistry.ModelRegistryVerifierNotContract.selector,
                    zk
                );
        }
        return "";
    }

    function _assertRegistered(
        uint32 version,
        bytes32 blobId,
        bytes32 weightsHash,
        uint8 mask,
        address zk
    ) internal view {
        IModelRegistry.Version memory v = registry.getVersion(M, version);
        assertEq(v.blobId, blobId, "blobId");
        assertEq(v.weightsHash, weightsHash, "weightsHash");
        assertEq(v.proofMask, mask, "proofMask");
        assertEq(v.zkVerifier, zk, "zkVerifier");
        assertEq(v.publisher, address(this), "publisher");
        assertEq(v.registeredAt, block.timestamp, "registeredAt");
        assertEq(uint8(v.status), uint8(IModelRegistry.VersionStatus.Registered), "status");
        assertEq(v.metadataURI, "ipfs://x", "metadataURI");
        assertEq(registry.versionOfBlob(M, blobId), version, "versionOfBlob");
    }

    /// @dev Every mask against each kind of verifier, exhaustively.
    function test_registerVersion_everyMask() public {
        address eoa = address(0xE0A);
        uint256 accepted;
        for (uint256 mask = 0; mask < 256; ++mask) {
            for (uint256 kind = 0; kind < 3; ++kind) {
                address zk =
                    kind == 0
                        ? address(0)
                        : kind == 1
                            ? address(verifier)
                            : eoa;
                bool validMask = mask >= 1 && mask <= 15;
                bool wantsZk = mask & 0x04 != 0;
                bool ok = validMask && wantsZk == (zk != address(0)) && zk != eoa;
                bytes32 blob = keccak256(abi.encode(mask, kind));
                try registry.registerVersion(M, blob, blob, "", uint8(mask), zk) {
                    assertTrue(ok, "registration accepted a bad mask/verifier");
                    ++accepted;
                } catch {
                    assertTrue(!ok, "registration rejected a good mask/verifier");
                }
            }
        }
        // 15 valid masks: 7 with ZKML (verifier contract only), 8 without (no verifier only).
        assertEq(accepted, 15, "accepted combinations");
    }

    function test_registerVersion_rejectsBadCallers() public {
        bytes32 blob = keccak256("b");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryZeroBlobId.selector, M));
        registry.registerVersion(M, bytes32(0), blob, "", 1, address(0));

        bytes32 unknown = keccak256("nope");
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownModel.selector, unknown)
        );
        registry.registerVersion(unknown, blob, blob, "", 1, address(0));

        vm.prank(STRANGER);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, STRANGER)
        );
        registry.registerVersion(M, blob, blob, "", 1, address(0));

        // The PUBLISHER role is not enough: the caller must be a publisher of this model.
        registry.setPublisher(M, address(this), false);
        vm.expectRevert(
            abi.encodeWithSelector(
                IModelRegistry.ModelRegistryUnauthorizedPublisher.selector,
                M,
                address(this)
            )
        );
        registry.registerVersion(M, blob, blob, "", 1, address(0));
    }

    // ================================================================ promotion timing

    /// @dev activate reverts before earliestActivation and at/after expiresAt, works in between.
    function testFuzz_activate_onlyInsideWindow(
        uint32 delaySeed,
        uint32 graceSeed,
        uint256 waitSeed,
        uint256 proposeAtSeed
    ) public {
        uint32 delay = uint32(bound(delaySeed, 1 hours, 30 days));
        uint32 grace = uint32(bound(graceSeed, 1 hours, 30 days));
        _deploy(delay, grace);
        _grantAll(address(this));
        _createModel(M);
        uint32 version = _register(M, 1);

        vm.warp(bound(proposeAtSeed, START, START + 365 days));
        uint48 proposedAt = _now();
        registry.propose(M, version);
        IModelRegistry.Proposal memory p = registry.pendingProposal(M);
        assertEq(p.version, version, "pending version");
        assertEq(p.proposedAt, proposedAt, "proposedAt");
        assertEq(p.earliestActivation, uint256(proposedAt) + delay, "earliestActivation");
        assertEq(p.expiresAt, uint256(proposedAt) + delay + grace, "expiresAt");

        uint256 wait = _waitFor(waitSeed, delay, grace);
        vm.warp(proposedAt + wait);

        if (wait >= delay && wait < uint256(delay) + grace) {
            _assertActivatedByAnyone(version);
            return;
        }
        vm.expectRevert(
            wait < delay
                ? abi.encodeWithSelector(
                    IModelRegistry.ModelRegistryActivationTooEarly.selector,
                    M,
                    version,
                    p.earliestActivation
                )
                : abi.encodeWithSelector(
                    IModelRegistry.ModelRegistryProposalExpired.selector,
                    M,
                    version,
                    p.expiresAt
                )
        );
        registry.activate(M);
        assertEq(registry.epochCount(M), 0, "no epoch after a failed activation");
        assertEq(
            uint8(registry.versionStatus(M, version)),
            uint8(IModelRegistry.VersionStatus.Proposed),
            "still proposed"
        );
    }

    /// @dev A third of the time exactly at a boundary or one second before it, else anywhere up
    /// to two days after expiry.
    function _waitFor(uint256 seed, uint32 delay, uint32 grace) internal pure returns (uint256) {
        uint256 pick = seed % 6;
        if (pick == 0) return delay - 1;
        if (pick == 1) return delay;
        if (pick == 2) return uint256(delay) + grace - 1;
        if (pick == 3) return uint256(delay) + grace;
        return bound(seed >> 8, 0, uint256(delay) + grace + 2 days);
    }

    function _assertActivatedByAnyone(uint32 version) internal {
        vm.prank(STRANGER);
        uint32 epoch = registry.activate(M);
        assertEq(epoch, 1, "first epoch");
        (uint32 liveVersion, uint32 liveEpoch, bool paused) = registry.live(M);
        assertEq(liveVersion, version, "live version");
        assertEq(liveEpoch, 1, "live epoch");
        assertTrue(!paused, "not paused");
        assertEq(registry.getEpoch(M, 1).startTime, block.timestamp, "epoch start");
        assertEq(registry.pendingProposal(M).version, 0, "proposal consumed");
    }

    function test_activate_blockedWhilePaused() public {
        uint32 v1 = _register(M, 1);
        uint32 v2 = _register(M, 2);
        _promote(M, v1);
        registry.propose(M, v2);
        registry.pause(M);
        vm.warp(registry.pendingProposal(M).earliestActivation);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.ModelRegistryModelPaused.selector, M)
        );
        registry.activate(M);
        registry.resume(M);
        registry.activate(M);
        (uint32 liveVersion, , ) = registry.live(M);
        assertEq(liveVersion, v2, "v2 live after resume + activate");
    }

    function test_propose_supersedes_andRestoresPriorStatus() public {
        uint32 v1 = _register(M, 1);
        uint32 v2 = _register(M, 2);
        uint32 v3 = _register(M, 3);
        _promote(M, v1);
        _promote(M, v2); // v1 Retired
        registry.propose(M, v1);
        vm.warp(block.timestamp + DELAY - 1);
        registry.propose(M, v3); // supersedes v1: v1 back to Retired, v3 waits a full delay
        assertEq(
            uint8(registry.versionStatus(M, v1)),
            uint8(IModelRegistry.VersionStatus.Retired),
            "superseded proposal restores Retired"
        );
        assertEq(
            registry.pendingProposal(M).earliestActivation,
            block.timestamp + DELAY,
            "full delay"
        );
    }

    function test_setPromotionDelay_waitsTheCurrentDelay() public {
        registry.setPromotionDelay(2 hours);
        assertEq(registry.promotionDelay(), DELAY, "old delay until effect");
        (uint32 newDelay, uint48 effectAt) = registry.pendingPromotionDelay();
        assertEq(newDelay, 2 hours, "scheduled");
        assertEq(effectAt, block.timestamp + DELAY, "after the current delay");
        vm.warp(effectAt);
        assertEq(registry.promotionDelay(), 2 hours, "new delay applies");
    }

    // ================================================================ lifecycle

    function test_rollback_marksFromVersion_andReferencesItsWindows() public {
        uint32 v1 = _register(M, 1);
        uint32 v2 = _register(M, 2);
        _promote(M, v1);
        _promote(M, v2);
        registry.pause(M);
        vm.warp(block.timestamp + 10);
        registry.resume(M);
        vm.warp(block.timestamp + 10);
        uint32 incident = _rollback(M, v2, v1, IModelRegistry.Disposition.Faulty);
        assertEq(incident, 1, "incident id");
        IModelRegistry.Incident memory inc = registry.getIncident(incident);
        assertEq(inc.version, v2, "incident version");
        assertEq(inc.target, v1, "incident target");
        assertEq(inc.windowCount, 2, "both windows of v2");
        assertEq(inc.at, block.timestamp, "incident time");
        IModelRegistry.EpochView[] memory w = registry.incidentWindows(incident, 0, 10);
        assertEq(w.length, 2, "incidentWindows length");
        assertEq(w[0].id, 2, "first window");
        assertEq(w[1].id, 3, "second window");
        assertEq(
            uint8(w[1].epoch.endReason),
            uint8(IModelRegistry.EndReason.Rollback),
            "end reason"
        );
        assertEq(registry.faultyAt(M, v2), block.timestamp, "faultyAt");
        (uint32 liveVersion, uint32 liveEpoch, ) = registry.live(M);
        assertEq(liveVersion, v1, "target live");
        assertEq(liveEpoch, 4, "in a new epoch");

        // Faulty is terminal.
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.ModelRegistryVersionFaulty.selector, M, v2)
        );
        registry.propose(M, v2);
        vm.expectRevert(
            abi.encodeWithSelector(
                IModelRegistry.ModelRegistryNotRevocable.selector,
                M,
                v2,
                IModelRegistry.VersionStatus.Faulty,
                IModelRegistry.Disposition.Withdrawn
            )
        );
        registry.revoke(M, v2, IModelRegistry.Disposition.Withdrawn, bytes32(0), "");
    }

    function test_rollback_targetMustBeRetired_withdrawnMayBeProposedAgain() public {
        uint32 v1 = _register(M, 1);
        uint32 v2 = _register(M, 2);
        uint32 v3 = _register(M, 3);
        _promote(M, v1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IModelRegistry.ModelRegistryInvalidRollbackTarget.selector,
                M,
                v3,
                IModelRegistry.VersionStatus.Registered
            )
        );
        _rollback(M, v1, v3, IModelRegistry.Disposition.Withdrawn);

        _promote(M, v2);
        _rollback(M, v2, v1, IModelRegistry.Disposition.Withdrawn);
        assertEq(
            uint8(registry.versionStatus(M, v2)),
            uint8(IModelRegistry.VersionStatus.Withdrawn),
            "withdrawn"
        );
        assertEq(registry.faultyAt(M, v2), 0, "withdrawn is not faulty");
        _promote(M, v2);
        (uint32 liveVersion, , ) = registry.live(M);
        assertEq(liveVersion, v2, "withdrawn version promoted again");
        assertEq(registry.windowCount(M, v2), 2, "two windows");
    }

    /// @dev `activate` is open to anyone: if v3 is activated before the guardian's rollback of v2
    /// lands, the rollback (naming v2) reverts instead of taking v3 down and leaving v2 Retired.
    function test_rollback_revertsWhenAnotherVersionWasActivatedFirst() public {
        uint32 v1 = _register(M, 1);
        uint32 v2 = _register(M, 2);
        uint32 v3 = _register(M, 3);
        _promote(M, v1);
        _promote(M, v2);
        registry.propose(M, v3);
        vm.warp(registry.pendingProposal(M).earliestActivation);
        vm.prank(STRANGER);
        registry.activate(M);

        vm.expectRevert(
            abi.encodeWithSelector(
                IModelRegistry.ModelRegistryUnexpectedCurrentVersion.selector,
                M,
                v2,
                v3
            )
        );
        _rollback(M, v2, v1, IModelRegistry.Disposition.Faulty);

        (uint32 liveVersion, uint32 liveEpoch, ) = registry.live(M);
        assertEq(liveVersion, v3, "v3 still live");
        assertEq(liveEpoch, 3, "no new epoch");
        assertEq(
            uint8(registry.versionStatus(M, v2)),
            uint8(IModelRegistry.VersionStatus.Retired),
            "v2 still Retired"
        );
        assertEq(registry.incidentCount(), 0, "no incident");

        // Naming the current version works.
        _rollback(M, v3, v1, IModelRegistry.Disposition.Faulty);
        (liveVersion, , ) = registry.live(M);
        assertEq(liveVersion, v1, "rolled back to v1");
        assertEq(registry.faultyAt(M, v3), block.timestamp, "v3 Faulty");
    }

    function test_revoke_liveVersion_leavesNothingLive() public {
        uint32 v1 = _register(M, 1);
        uint32 v2 = _register(M, 2);
        uint32 v3 = _register(M, 3);
        _promote(M, v1);
        registry.propose(M, v2);
        uint32 incident = registry.revoke(M, v1, IModelRegistry.Disposition.Faulty, bytes32(0), "");
        assertEq(incident, 1, "incident for a once-live version");
        (uint32 liveVersion, uint32 liveEpoch, bool paused) = registry.live(M);
        assertEq(liveVersion, 0, "nothing live");
        assertEq(liveEpoch, 0, "no live epoch");
        assertTrue(!paused, "not paused");
        assertEq(registry.currentVersion(M), 0, "no current version");
        assertEq(registry.pendingProposal(M).version, 0, "pending proposal cancelled");
        assertEq(
            uint8(registry.versionStatus(M, v2)),
            uint8(IModelRegistry.VersionStatus.Registered),
            "cancelled proposal restored"
        );
        // A version that was never live gets no incident.
        assertEq(
            registry.revoke(M, v3, IModelRegistry.Disposition.Withdrawn, bytes32(0), ""),
            0,
            "no incident"
        );
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.ModelRegistryNothingToRollBack.selector, M)
        );
        _rollback(M, 0, v1, IModelRegistry.Disposition.Withdrawn);
    }

    function test_revoke_whilePaused_endsThePause() public {
        uint32 v1 = _register(M, 1);
        _promote(M, v1);
        registry.pause(M);
        registry.revoke(M, v1, IModelRegistry.Disposition.Withdrawn, bytes32(0), "");
        (uint32 liveVersion, , bool paused) = registry.live(M);
        assertEq(liveVersion, 0, "nothing live");
        assertTrue(!paused, "pause ended");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryNotPaused.selector, M));
        registry.resume(M);
    }

    // ================================================================ history

    /// @dev Several changes inside one block: only the block's last state was live; an epoch that
    /// opened and closed in one block has start == end and is never returned.
    function test_history_sameBlockChanges() public {
        uint32 v1 = _register(M, 1);
        _promote(M, v1); // epoch 1 at t1
        uint48 t1 = _now();
        vm.warp(t1 + 100);
        uint48 t2 = _now();
        registry.pause(M); // epoch 1 ends at t2
        registry.resume(M); // epoch 2 opens at t2
        registry.pause(M); // epoch 2 closes at t2: never live
        registry.resume(M); // epoch 3 opens at t2
        vm.warp(t2 + 100);

        IModelRegistry.Epoch memory e2 = registry.getEpoch(M, 2);
        assertEq(e2.startTime, t2, "e2 start");
        assertEq(e2.endTime, t2, "e2 zero length");
        assertEq(registry.epochAt(M, t1 - 1), 0, "before the first epoch");
        assertEq(registry.epochAt(M, t1), 1, "first epoch");
        assertEq(registry.epochAt(M, t2 - 1), 1, "epoch 1 until t2");
        assertEq(registry.epochAt(M, t2), 3, "block's last state at t2");
        assertEq(registry.versionAt(M, t2), v1, "version at t2");

        _assertBadHint(t2, 2);
        _assertBadHint(t2, 1);
        (uint32 e, uint32 v, uint48 end) = registry.epochAtWithHint(M, t2, 3);
        assertEq(e, 3, "hinted epoch");
        assertEq(v, v1, "hinted version");
        assertEq(end, 0, "open epoch: no end");
        (e, v, end) = registry.epochAtWithHint(M, t2 - 1, 1);
        assertEq(e, 1, "hinted epoch 1");
        assertEq(end, t2, "epoch 1 ended at t2");
        (e, v, end) = registry.epochAtWithHint(M, t1 - 1, 0);
        assertEq(e, 0, "nothing before the first epoch");
        assertEq(v, 0, "no version before the first epoch");
        assertEq(end, 0, "gap: no end");

        // Only strictly past times: the current timestamp's state may still change.
        _assertNotPast(_now());
        _assertNotPast(_now() + 1);
        _assertNotPast(type(uint48).max);
    }

    function _assertNotPast(uint48 t) internal view {
        bytes memory want = abi.encodeWithSelector(
            IModelRegistry.ModelRegistryFutureLookup.selector,
            t,
            _now()
        );
        address r = address(registry);
        assertRevertsWith(r, abi.encodeCall(IModelRegistry.epochAt, (M, t)), want, "epochAt");
        assertRevertsWith(r, abi.encodeCall(IModelRegistry.versionAt, (M, t)), want, "versionAt");
        assertRevertsWith(
            r,
            abi.encodeCall(IModelRegistry.epochAtWithHint, (M, t, registry.epochCount(M))),
            want,
            "epochAtWithHint"
        );
    }

    /**
     * @dev Builds a random history (zero-length epochs, pauses, rollbacks, revocations, several
     * operations per timestamp), then checks epochAt/versionAt against a reference computed from
     * the epoch list alone, at every epoch boundary and at a fuzzed time; epochAtWithHint must
     * accept exactly one hint for each time and reject every other.
     */
    function testFuzz_epochAtWithHint_agreesWithEpochAt(
        uint256 seed,
        uint256 tSeed,
        uint32 rawHint
    ) public {
        _buildHistory(M, seed);
        // Lookups take strictly past times: step past the last operation.
        vm.warp(block.timestamp + 1);
        _assertNotPast(_now());
        IModelRegistry.EpochView[] memory list = registry.epochs(M, 0, type(uint256).max);
        uint256 n = list.length;
        assertEq(n, registry.epochCount(M), "epochs() returns every epoch");

        // Every boundary, with the correct hint and its neighbours.
        for (uint256 i = 0; i < n; ++i) {
            IModelRegistry.Epoch memory ep = list[i].epoch;
            _checkTime(list, ep.startTime - 1, false);
            _checkTime(list, ep.startTime, false);
            if (ep.endReason != IModelRegistry.EndReason.Open) {
                _checkTime(list, ep.endTime - 1, false);
                _checkTime(list, ep.endTime, false);
            }
        }

        // A fuzzed time, half the time at a boundary, against every hint in range.
        uint48 t;
        if (tSeed % 2 == 0 && n != 0) {
            IModelRegistry.Epoch memory ep = list[(tSeed >> 8) % n].epoch;
            uint48 base =
                (tSeed >> 4) % 2 == 0 || ep.endReason == IModelRegistry.EndReason.Open
                    ? ep.startTime
                    : ep.endTime;
            t = (tSeed >> 5) % 2 == 0 ? base : base - 1;
        } else {
            t = uint48(bound(tSeed, START - 1 days, block.timestamp - 1));
        }
        uint32 hint = _checkTime(list, t, true);
        if (rawHint != hint) _assertBadHint(t, rawHint);
    }

    /**
     * @dev Checks `t` against the reference. Returns the one correct hint: the last epoch that
     * opened at or before `t` (the live one if any). With `allHints`, every other hint in
     * `[0, n + 2]` must revert.
     */
    function _checkTime(
        IModelRegistry.EpochView[] memory list,
        uint48 t,
        bool allHints
    ) internal view returns (uint32 hint) {
        (uint32 wantEpoch, uint32 wantVersion) = _referenceAt(list, t);
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i].epoch.startTime <= t) hint = list[i].id;
        }
        assertEq(registry.epochAt(M, t), wantEpoch, "epochAt vs reference");
        assertEq(registry.versionAt(M, t), wantVersion, "versionAt vs reference");
        (uint32 e, uint32 v, uint48 end) = registry.epochAtWithHint(M, t, hint);
        assertEq(e, wantEpoch, "epochAtWithHint epoch");
        assertEq(v, wantVersion, "epochAtWithHint version");
        // The end time of the live epoch (0 while open), 0 for a gap.
        assertEq(end, wantEpoch == 0 ? 0 : list[wantEpoch - 1].epoch.endTime, "endTime");
        if (allHints) {
            for (uint32 h = 0; h <= list.length + 2; ++h) {
                if (h != hint) _assertBadHint(t, h);
            }
        } else {
            if (hint != 0) _assertBadHint(t, hint - 1);
            _assertBadHint(t, hint + 1);
        }
    }

    /// @dev The reference: the epoch with `start <= t < end` (or open), from the list alone.
    function _referenceAt(
        IModelRegistry.EpochView[] memory list,
        uint48 t
    ) internal pure returns (uint32 epoch, uint32 version) {
        for (uint256 i = 0; i < list.length; ++i) {
            IModelRegistry.Epoch memory e = list[i].epoch;
            bool open = e.endReason == IModelRegistry.EndReason.Open;
            if (e.startTime <= t && (open || t < e.endTime)) {
                assertEq(epoch, 0, "two epochs live at one time");
                (epoch, version) = (list[i].id, e.version);
            }
        }
    }

    function _assertBadHint(uint48 t, uint32 hint) internal view {
        assertRevertsWith(
            address(registry),
            abi.encodeCall(IModelRegistry.epochAtWithHint, (M, t, hint)),
            abi.encodeWithSelector(IModelRegistry.ModelRegistryBadEpochHint.selector, M, t, hint),
            "wrong hint must revert"
        );
    }

    /// @dev A history of up to ~24 operations driven by `seed`, several per timestamp.
    function _buildHistory(bytes32 modelId, uint256 seed) internal {
        uint32 count = 5;
        for (uint256 i = 1; i <= count; ++i) _register(modelId, i);
        _promote(modelId, 1);
        for (uint256 i = 0; i < 24; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 op = r % 9;
            if (op == 0) {
                vm.warp(block.timestamp + bound(r >> 8, 1, 3 hours));
            } else if (op == 1) {
                try registry.pause(modelId) {} catch {}
            } else if (op == 2) {
                try registry.resume(modelId) {} catch {}
            } else if (op == 3) {
                try registry.pause(modelId) {} catch {}
                try registry.resume(modelId) {} catch {}
            } else if (op == 4 || op == 5) {
                uint32 v = _pick(modelId, r >> 8, count, false);
                if (v == 0) continue;
                registry.propose(modelId, v);
                uint48 earliest = registry.pendingProposal(modelId).earliestActivation;
                vm.warp(earliest + ((r >> 40) % 3 == 0 ? 0 : bound(r >> 48, 1, 1 hours)));
                try registry.activate(modelId) {} catch {}
            } else if (op == 6) {
                uint32 target = _pick(modelId, r >> 8, count, true);
                if (target == 0) continue;
                // May fail (nothing current): tolerated.
                RegistryCalls.tryRollback(
                    registry,
                    modelId,
                    registry.currentVersion(modelId),
                    target,
                    IModelRegistry.Disposition.Withdrawn
                );
            } else if (op == 7) {
                uint32 current = registry.currentVersion(modelId);
                if (current == 0) continue;
                registry.revoke(modelId, current, IModelRegistry.Disposition.Withdrawn, 0, "");
            }
            // op == 8: nothing; the next operation shares the timestamp.
        }
    }

    /// @dev A version to propose (Registered, Retired or Withdrawn) or, with `retired`, a Retired
    /// rollback target, starting the scan at a random version. 0 if none.
    function _pick(
        bytes32 modelId,
        uint256 r,
        uint32 count,
        bool retired
    ) internal view returns (uint32) {
        for (uint32 k = 0; k < count; ++k) {
            uint32 v = uint32(((r + k) % count) + 1);
            IModelRegistry.VersionStatus s = registry.versionStatus(modelId, v);
            if (s == IModelRegistry.VersionStatus.Retired) return v;
            if (
                !retired &&
                (s == IModelRegistry.VersionStatus.Registered ||
                    s == IModelRegistry.VersionStatus.Withdrawn)
            ) return v;
        }
        return 0;
    }

    // ================================================================ cost against history

    struct Gas {
        uint256 pause;
        uint256 rollback;
        uint256 revoke;
    }

    /**
     * @dev rollback, pause and revoke cost the same with 1 epoch of history (2 for rollback, whose
     * target must have been live) and with 1,000 epochs, all of them windows of the version acted
     * on. A fair comparison inside one transaction: every model is built by the same code; a
     * warm-up model first goes through every measured call, so the slots shared by all models
     * (AccessManager's per-selector and per-role slots, the incident counter) are warm for both
     * sizes; every measurement happens in a new second (no checkpoint is overwritten in place);
     * and a probe contract measures each call in a fresh call frame.
     */
    function test_gas_sameCostWithLongHistory() public {
        GuardianGasProbe probe = new GuardianGasProbe(registry);
        manager.grantRole(Roles.GUARDIAN, address(probe), 0);

        bytes32 warm = keccak256("warm-up");
        _createModel(warm);
        _prepareLive(warm, 2);
        _measure(probe, [warm, warm, warm]);

        Gas memory small = _measure(probe, _fresh("small", 1, 2));
        Gas memory large = _measure(probe, _fresh("large", 1000, 1000));

        // solhint-disable-next-line no-console
        console.log("pause    gas: 1 epoch %d, 1000 epochs %d", small.pause, large.pause);
        // solhint-disable-next-line no-console
        console.log("rollback gas: 2 epochs %d, 1000 epochs %d", small.rollback, large.rollback);
        // solhint-disable-next-line no-console
        console.log("revoke   gas: 1 epoch %d, 1000 epochs %d", small.revoke, large.revoke);

        assertLt(_diff(small.pause, large.pause), 5_000, "pause cost grows with history");
        assertLt(_diff(small.rollback, large.rollback), 5_000, "rollback cost grows");
        assertLt(_diff(small.revoke, large.revoke), 5_000, "revoke cost grows with history");
    }

    /// @dev Three models of one size class: for pause, rollback and revoke.
    function _fresh(
        string memory tag,
        uint256 epochs,
        uint256 rollbackEpochs
    ) internal returns (bytes32[3] memory ids) {
        for (uint256 i = 0; i < 3; ++i) {
            ids[i] = keccak256(abi.encode(tag, i));
            _createModel(ids[i]);
            _prepareLive(ids[i], i == 1 ? rollbackEpochs : epochs);
        }
        assertEq(registry.epochCount(ids[0]), epochs, "pause model epochs");
        assertEq(registry.epochCount(ids[1]), rollbackEpochs, "rollback model epochs");
        assertEq(registry.epochCount(ids[2]), epochs, "revoke model epochs");
    }

    /**
     * @dev v1 and v2 registered. With `epochs == 1`: v1 live. Otherwise v1 then v2 promoted (v1
     * Retired, a rollback target) and v2 paused and resumed until the model has `epochs` epochs,
     * all but the first being windows of v2.
     */
    function _prepareLive(bytes32 modelId, uint256 epochs) internal {
        _register(modelId, 1);
        _register(modelId, 2);
        _promote(modelId, 1);
        if (epochs == 1) return;
        _promote(modelId, 2);
        for (uint256 i = 2; i < epochs; ++i) {
            vm.warp(block.timestamp + 1);
            registry.pause(modelId);
            vm.warp(block.timestamp + 1);
            registry.resume(modelId);
        }
    }

    /// @dev Pauses `ids[0]`, rolls `ids[1]` back from v2 to v1, revokes the live version of
    /// `ids[2]`, each in a new second.
    function _measure(
        GuardianGasProbe probe,
        bytes32[3] memory ids
    ) internal returns (Gas memory g) {
        vm.warp(block.timestamp + 1);
        g.pause = probe.pause(ids[0]);
        probe.resume(ids[0]);

        vm.warp(block.timestamp + 1);
        assertEq(registry.currentVersion(ids[1]), 2, "rollback from v2");
        g.rollback = probe.rollback(ids[1], 2, 1);

        vm.warp(block.timestamp + 1);
        g.revoke = probe.revoke(ids[2], registry.currentVersion(ids[2]));
    }

    function _diff(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : b - a;
    }
}
