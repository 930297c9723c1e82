// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ProofPaths} from "./libraries/ProofPaths.sol";

/**
 * @title ModelRegistry
 * @notice Model versions, the live pointer, two-step promotion and immediate rollback, with a
 * history that is never erased. See {IModelRegistry}.
 *
 * Who could game what, and what stops them:
 * - A publisher could register weights for a model it does not serve: publishers are per model
 *   (plus the AccessManager PUBLISHER role), and a version's fields never change after
 *   registration, so a publisher cannot swap the weights behind a reviewed version.
 * - The governor could rush a version live: every promotion waits `promotionDelay`, the delay's
 *   own changes wait the current delay, and the guardian can cancel in between. These checks are
 *   the registry's own, so no role grant or authority change can skip them; the ADMIN role is
 *   also deployed with an execution delay of at least the promotion delay (see the README).
 * - Anyone could front-run the guardian with `activate`: `rollback` names the version it takes
 *   down and reverts if another one became current first.
 * - The guardian could make a never-reviewed version live: a rollback target must be Retired,
 *   i.e. it was promoted through the delay before. The guardian can take versions down at once
 *   (that is its job), but every such act opens an incident that names it and its reason.
 * - Anyone could rewrite history: no function deletes or overwrites an epoch or an incident;
 *   time keys come from the block, never from calldata; the contract is not upgradeable.
 * - A caller of {epochAtWithHint} could pass a wrong hint: the hint is checked, not trusted.
 * - Governance could change an answer about the past (re-propose a Withdrawn version, cancel,
 *   resume, take a version down from a later epoch): standings and settlement judgements read
 *   only facts written once ({takenDownAt}, {faultyAt}, a version's latest withdrawal time, the
 *   epoch list), never a status that a later act changes back.
 */
// Sixteen state variables: each history fact has its own append-only map (one more would be a
// packed struct that every hot path pays to decode).
// solhint-disable-next-line max-states-count
contract ModelRegistry is IModelRegistry, AccessManaged {
    using Checkpoints for Checkpoints.Trace208;
    using Time for Time.Delay;

    /// @notice Bounds of the promotion delay.
    uint32 public constant MIN_PROMOTION_DELAY = 1 hours;
    /// @notice Bounds of the promotion delay.
    uint32 public constant MAX_PROMOTION_DELAY = 30 days;
    /// @notice Bounds of the proposal grace period.
    uint32 public constant MIN_GRACE_PERIOD = 1 hours;
    /// @notice Bounds of the proposal grace period.
    uint32 public constant MAX_GRACE_PERIOD = 30 days;

    /// @dev One slot: everything {live} and the hot paths of other contracts read.
    struct ModelState {
        bool exists;
        bool paused;
        uint32 current; // the live version, or the pre-pause one while paused; 0 if none
        uint32 liveEpoch; // 0 while nothing is live
        uint32 versionCount;
        uint32 epochCount;
        uint48 createdAt;
        uint48 pausedAt; // when the current pause began; 0 when not paused
    }

    mapping(bytes32 modelId => ModelState) private _models;
    mapping(bytes32 modelId => mapping(address account => bool)) private _publishers;
    mapping(bytes32 modelId => mapping(uint32 version => Version)) private _versions;
    mapping(bytes32 modelId => mapping(bytes32 blobId => uint32 version)) private _versionOfBlob;
    mapping(bytes32 modelId => Proposal) private _proposals;
    mapping(bytes32 modelId => mapping(uint32 epochId => Epoch)) private _epochs;
    /// @dev timestamp => epoch id (0 = nothing live). Equal keys overwrite: the last state of a
    /// block is what was live. The epoch list above is the append-only source of truth.
    mapping(bytes32 modelId => Checkpoints.Trace208) private _epochTrace;
    mapping(bytes32 modelId => mapping(uint32 version => uint32[] epochIds)) private _windows;
    mapping(uint32 incidentId => Incident) private _incidents;
    mapping(bytes32 modelId => uint32[] incidentIds) private _modelIncidents;
    mapping(bytes32 modelId => mapping(uint32 version => uint32[] incidentIds))
        private _versionIncidents;
    /// @dev When each Faulty version's fault counts from (see {faultyAt}). Written once: Faulty
    /// is terminal.
    mapping(bytes32 modelId => mapping(uint32 version => uint48)) private _faultSince;
    /// @dev When the guardian took down the paused version of an epoch that a pause had ended
    /// (see {takenDownAt}). Written once, by the rollback or revoke during that pause.
    mapping(bytes32 modelId => mapping(uint32 epochId => uint48)) private _pauseTakedownAt;
    uint32 private _incidentCount;
    Time.Delay private _promotionDelay;
    uint32 private _proposalGracePeriod;

    /**
     * @param initialAuthority The AccessManager that gates the restricted functions.
     * @param initialPromotionDelay Seconds between a proposal and its earliest activation.
     * @param initialGracePeriod Seconds a proposal stays activatable after its delay.
     */
    constructor(
        address initialAuthority,
        uint32 initialPromotionDelay,
        uint32 initialGracePeriod
    ) AccessManaged(initialAuthority) {
        _checkPeriod(initialPromotionDelay, MIN_PROMOTION_DELAY, MAX_PROMOTION_DELAY);
        _checkPeriod(initialGracePeriod, MIN_GRACE_PERIOD, MAX_GRACE_PERIOD);
        _promotionDelay = Time.toDelay(initialPromotionDelay);
        _proposalGracePeriod = initialGracePeriod;
    }

    // ================================================================ governance

    /// @inheritdoc IModelRegistry
    function createModel(bytes32 modelId, address[] calldata publishers) external restricted {
        if (modelId == bytes32(0)) revert ModelRegistryZeroModelId();
        ModelState storage m = _models[modelId];
        if (m.exists) revert ModelRegistryModelExists(modelId);
        m.exists = true;
        m.createdAt = Time.timestamp();
        emit ModelCreated(modelId, msg.sender, publishers);
        for (uint256 i = 0; i < publishers.length; ++i) {
            _setPublisher(modelId, publishers[i], true);
        }
    }

    /// @inheritdoc IModelRegistry
    function setPublisher(bytes32 modelId, address account, bool allowed) external restricted {
        _model(modelId);
        _setPublisher(modelId, account, allowed);
    }

    /**
     * @inheritdoc IModelRegistry
     * @dev A superseded proposal is cancelled, so re-proposing never shortens a delay: the new
     * proposal waits the full delay from now.
     */
    function propose(bytes32 modelId, uint32 version) external restricted {
        _model(modelId);
        Version storage v = _version(modelId, version);
        // An expired proposal is cleared first, so that its version can be proposed again.
        if (_proposals[modelId].version != 0 && Time.timestamp() >= _proposals[modelId].expiresAt) {
            _cancelPending(modelId, CancelReason.Expired);
        }
        VersionStatus status = v.status;
        if (status == VersionStatus.Faulty) revert ModelRegistryVersionFaulty(modelId, version);
        if (status == VersionStatus.Active) revert ModelRegistryVersionLive(modelId, version);
        if (status == VersionStatus.Proposed) {
            revert ModelRegistryVersionAlreadyProposed(modelId, version);
        }
        _cancelPending(modelId, CancelReason.Superseded);

        uint48 nowTs = Time.timestamp();
        uint48 earliest = nowTs + _promotionDelay.get();
        uint48 expiresAt = earliest + _proposalGracePeriod;
        _proposals[modelId] = Proposal({
            version: version,
            proposedAt: nowTs,
            earliestActivation: earliest,
            expiresAt: expiresAt,
            priorStatus: status
        });
        v.status = VersionStatus.Proposed;
        emit VersionProposed(modelId, version, msg.sender, earliest, expiresAt);
    }

    /**
     * @inheritdoc IModelRegistry
     * @dev Uses OpenZeppelin's {Time-Delay}: the old value applies until `now + currentDelay`,
     * so a governor cannot shorten the delay and then rush a proposal through it.
     */
    function setPromotionDelay(uint32 newDelay) external restricted {
        _checkPeriod(newDelay, MIN_PROMOTION_DELAY, MAX_PROMOTION_DELAY);
        uint32 oldDelay = _promotionDelay.get();
        (Time.Delay updated, uint48 effectAt) = _promotionDelay.withUpdate(newDelay, oldDelay);
        _promotionDelay = updated;
        emit PromotionDelayChangeScheduled(oldDelay, newDelay, effectAt);
    }

    /**
     * @inheritdoc IModelRegistry
     * @dev Pending proposals keep the expiry they were given: a governor cannot shorten or extend
     * a proposal already under review.
     */
    function setProposalGracePeriod(uint32 newPeriod) external restricted {
        _checkPeriod(newPeriod, MIN_GRACE_PERIOD, MAX_GRACE_PERIOD);
        emit ProposalGracePeriodSet(_proposalGracePeriod, newPeriod);
        _proposalGracePeriod = newPeriod;
    }

    // ================================================================ publishing

    /// @inheritdoc IModelRegistry
    function registerVersion(
        bytes32 modelId,
        bytes32 blobId,
        bytes32 weightsHash,
        string calldata metadataURI,
        uint8 proofMask,
        address zkVerifier
    ) external restricted returns (uint32 version) {
        ModelState storage m = _model(modelId);
        if (!_publishers[modelId][msg.sender]) {
            revert ModelRegistryUnauthorizedPublisher(modelId, msg.sender);
        }
        if (blobId == bytes32(0)) revert ModelRegistryZeroBlobId(modelId);
        uint32 existing = _versionOfBlob[modelId][blobId];
        if (existing != 0) revert ModelRegistryDuplicateBlob(modelId, blobId, existing);
        if (proofMask == 0 || proofMask & ~ProofPaths.ALL != 0) {
            revert ModelRegistryInvalidProofMask(proofMask);
        }
        if ((proofMask & ProofPaths.ZKML_BIT != 0) != (zkVerifier != address(0))) {
            revert ModelRegistryVerifierMismatch(proofMask, zkVerifier);
        }
        if (zkVerifier != address(0) && zkVerifier.code.length == 0) {
            revert ModelRegistryVerifierNotContract(zkVerifier);
        }

        version = ++m.versionCount;
        _versions[modelId][version] = Version({
            blobId: blobId,
            status: VersionStatus.Registered,
            proofMask: proofMask,
            zkVerifier: zkVerifier,
            registeredAt: Time.timestamp(),
            withdrawn: false,
            weightsHash: weightsHash,
            publisher: msg.sender,
            dispositionAt: 0,
            withdrawnAt: 0,
            metadataURI: metadataURI
        });
        _versionOfBlob[modelId][blobId] = version;
        emit VersionRegistered(
            modelId,
            version,
            blobId,
            weightsHash,
            proofMask,
            zkVerifier,
            msg.sender,
            metadataURI
        );
    }

    // ================================================================ anyone

    /**
     * @inheritdoc IModelRegistry
     * @dev Not restricted: the governor decided at proposal time and the guardian had the whole
     * delay to cancel. Blocked while paused, so that nobody can end the guardian's pause by
     * activating an old proposal; the guardian ends a pause (resume, rollback or revoke).
     */
    function activate(bytes32 modelId) external returns (uint32 epoch) {
        // Through AccessManager.execute the activation's `by` would name the manager.
        if (msg.sender == authority()) revert ModelRegistryRelayedCall(msg.sender);
        ModelState storage m = _model(modelId);
        Proposal memory p = _proposals[modelId];
        if (p.version == 0) revert ModelRegistryNoPendingProposal(modelId);
        if (m.paused) revert ModelRegistryModelPaused(modelId);
        uint48 nowTs = Time.timestamp();
        if (nowTs < p.earliestActivation) {
            revert ModelRegistryActivationTooEarly(modelId, p.version, p.earliestActivation);
        }
        if (nowTs >= p.expiresAt)
            revert ModelRegistryProposalExpired(modelId, p.version, p.expiresAt);

        delete _proposals[modelId];
        if (m.liveEpoch != 0) {
            uint32 previous = m.current;
            _closeEpoch(modelId, m, EndReason.Promotion);
            _versions[modelId][previous].status = VersionStatus.Retired;
            emit VersionRetired(modelId, previous);
        }
        epoch = _openEpoch(modelId, m, p.version);
    }

    // ================================================================ emergency

    /// @inheritdoc IModelRegistry
    function cancelProposal(bytes32 modelId) external restricted {
        _model(modelId);
        if (_proposals[modelId].version == 0) revert ModelRegistryNoPendingProposal(modelId);
        _cancelPending(modelId, CancelReason.Guardian);
    }

    /**
     * @inheritdoc IModelRegistry
     * @dev O(1) whatever the history's length: the incident references the version's windows.
     * While paused, the pre-pause version is handled the same way (its epoch already ended with
     * the pause) and the target becomes live, which ends the pause.
     */
    function rollback(
        bytes32 modelId,
        uint32 fromVersion,
        uint32 toVersion,
        Disposition disposition,
        bytes32 reasonHash,
        string calldata reasonURI
    ) external restricted returns (uint32 incidentId) {
        ModelState storage m = _model(modelId);
        _checkDisposition(disposition);
        uint32 current = m.current;
        if (current == 0) revert ModelRegistryNothingToRollBack(modelId);
        if (current != fromVersion) {
            revert ModelRegistryUnexpectedCurrentVersion(modelId, fromVersion, current);
        }
        Version storage target = _version(modelId, toVersion);
        // A Retired target that is the pending proposal counts as Retired: the proposal is
        // cancelled below, which restores its status.
        VersionStatus targetStatus = target.status;
        if (targetStatus == VersionStatus.Proposed) targetStatus = _proposals[modelId].priorStatus;
        if (targetStatus != VersionStatus.Retired) {
            revert ModelRegistryInvalidRollbackTarget(modelId, toVersion, targetStatus);
        }

        _cancelPending(modelId, CancelReason.Rollback);
        if (m.liveEpoch != 0) _closeEpoch(modelId, m, EndReason.Rollback);
        else _markPauseTakedown(modelId, m);
        _markDisposition(modelId, fromVersion, disposition, m.pausedAt);
        incidentId = _openIncident(
            modelId,
            fromVersion,
            disposition,
            toVersion,
            reasonHash,
            reasonURI
        );
        emit RolledBack(modelId, fromVersion, toVersion, incidentId, disposition, msg.sender);
        _openEpoch(modelId, m, toVersion);
    }

    /**
     * @inheritdoc IModelRegistry
     * @dev The common case: v2 was replaced by v3, then found bad. Revoking the live (or paused)
     * version leaves nothing live; a new version then needs a full promotion.
     */
    function revoke(
        bytes32 modelId,
        uint32 version,
        Disposition disposition,
        bytes32 reasonHash,
        string calldata reasonURI
    ) external restricted returns (uint32 incidentId) {
        ModelState storage m = _model(modelId);
        _checkDisposition(disposition);
        Version storage v = _version(modelId, version);
        VersionStatus status = v.status;
        // A proposed version is judged by the status it had before the proposal.
        VersionStatus effective =
            status == VersionStatus.Proposed ? _proposals[modelId].priorStatus : status;
        if (
            effective == VersionStatus.Faulty ||
            (effective == VersionStatus.Withdrawn && disposition == Disposition.Withdrawn)
        ) {
            revert ModelRegistryNotRevocable(modelId, version, effective, disposition);
        }

        // A version taken down while paused was out of service since the pause began.
        uint48 outOfServiceSince = status == VersionStatus.Active ? m.pausedAt : 0;
        if (status == VersionStatus.Proposed) {
            _cancelPending(modelId, CancelReason.Revoke);
        } else if (status == VersionStatus.Active) {
            _cancelPending(modelId, CancelReason.Revoke);
            if (m.liveEpoch != 0) _closeEpoch(modelId, m, EndReason.Revoke);
            else _markPauseTakedown(modelId, m);
            m.current = 0;
            m.paused = false;
            m.pausedAt = 0;
        }
        _markDisposition(modelId, version, disposition, outOfServiceSince);
        if (_windows[modelId][version].length != 0) {
            incidentId = _openIncident(modelId, version, disposition, 0, reasonHash, reasonURI);
        }
        emit VersionRevoked(
            modelId,
            version,
            incidentId,
            disposition,
            msg.sender,
            reasonHash,
            reasonURI
        );
    }

    /// @inheritdoc IModelRegistry
    function pause(bytes32 modelId) external restricted {
        ModelState storage m = _model(modelId);
        if (m.paused) revert ModelRegistryModelPaused(modelId);
        if (m.liveEpoch == 0) revert ModelRegistryNothingLive(modelId);
        _closeEpoch(modelId, m, EndReason.Pause);
        m.paused = true;
        m.pausedAt = Time.timestamp();
        emit ModelPaused(modelId, m.current, msg.sender);
    }

    /// @inheritdoc IModelRegistry
    function resume(bytes32 modelId) external restricted returns (uint32 epoch) {
        ModelState storage m = _model(modelId);
        if (!m.paused) revert ModelRegistryNotPaused(modelId);
        emit ModelResumed(modelId, m.current, msg.sender);
        epoch = _openEpoch(modelId, m, m.current);
    }

    // ================================================================ views

    /// @inheritdoc IModelRegistry
    function live(
        bytes32 modelId
    ) external view returns (uint32 version, uint32 epoch, bool paused) {
        ModelState storage m = _models[modelId];
        if (m.liveEpoch == 0) return (0, 0, m.paused);
        return (m.current, m.liveEpoch, false);
    }

    /// @inheritdoc IModelRegistry
    function pausedSince(bytes32 modelId) external view returns (uint48) {
        return _models[modelId].pausedAt;
    }

    /// @inheritdoc IModelRegistry
    function releaseState(
        bytes32 modelId,
        uint32 version
    ) external view returns (uint48 faultSince, uint48 versionPausedSince) {
        ModelState storage m = _models[modelId];
        faultSince = _faultSince[modelId][version];
        if (m.paused && m.current == version) versionPausedSince = m.pausedAt;
    }

    /// @inheritdoc IModelRegistry
    function currentVersion(bytes32 modelId) external view returns (uint32) {
        return _models[modelId].current;
    }

    /// @inheritdoc IModelRegistry
    function modelExists(bytes32 modelId) external view returns (bool) {
        return _models[modelId].exists;
    }

    /// @inheritdoc IModelRegistry
    function isPublisher(bytes32 modelId, address account) external view returns (bool) {
        return _publishers[modelId][account];
    }

    /// @inheritdoc IModelRegistry
    function versionCount(bytes32 modelId) external view returns (uint32) {
        return _models[modelId].versionCount;
    }

    /// @inheritdoc IModelRegistry
    function getVersion(bytes32 modelId, uint32 version) external view returns (Version memory) {
        return _version(modelId, version);
    }

    /// @inheritdoc IModelRegistry
    function versionEssentials(
        bytes32 modelId,
        uint32 version
    )
        external
        view
        returns (bytes32 blobId, VersionStatus status, uint8 proofMask, address zkVerifier)
    {
        Version storage v = _versions[modelId][version];
        return (v.blobId, v.status, v.proofMask, v.zkVerifier);
    }

    /// @inheritdoc IModelRegistry
    function recordContext(
        bytes32 modelId,
        uint32 version,
        uint48 servedAt,
        HistoryMode mode,
        uint32 hint
    ) external view returns (bytes32 blobId, uint256 packed) {
        Version storage v = _versions[modelId][version];
        blobId = v.blobId;
        // One SLOAD of the version's second slot: status (bits 0-7), proofMask (8-15),
        // zkVerifier (16-175), registeredAt (176-223), withdrawn (224-231). Verification is
        // gas-bounded, and field-by-field reads would load the slot four times.
        uint256 word;
        assembly ("memory-safe") {
            word := sload(add(v.slot, 1))
        }
        packed = (word & 0xffff) | (((word >> 176) & type(uint48).max) << 128);
        // The withdrawal time's slot is read only for versions ever withdrawn (rare).
        if ((word >> 224) & 0xff != 0 && v.withdrawnAt >= servedAt) packed |= uint256(1) << 176;
        uint32 epoch;
        uint32 liveVersion;
        uint48 endTime;
        if (mode == HistoryMode.Hint) {
            (epoch, liveVersion, endTime) = _epochAtWithHint(modelId, servedAt, hint);
        } else if (mode == HistoryMode.Lookup) {
            epoch = epochAt(modelId, servedAt);
            if (epoch != 0) {
                Epoch memory e = _epochs[modelId][epoch];
                (liveVersion, endTime) = (e.version, e.endTime);
            }
        }
        packed |= (uint256(epoch) << 16) | (uint256(liveVersion) << 48) | (uint256(endTime) << 80);
    }

    /// @inheritdoc IModelRegistry
    function versionStatus(bytes32 modelId, uint32 version) external view returns (VersionStatus) {
        return _versions[modelId][version].status;
    }

    /// @inheritdoc IModelRegistry
    function versionOfBlob(bytes32 modelId, bytes32 blobId) external view returns (uint32) {
        return _versionOfBlob[modelId][blobId];
    }

    /// @inheritdoc IModelRegistry
    function pendingProposal(bytes32 modelId) external view returns (Proposal memory) {
        return _proposals[modelId];
    }

    /// @inheritdoc IModelRegistry
    function promotionDelay() external view returns (uint32) {
        return _promotionDelay.get();
    }

    /// @inheritdoc IModelRegistry
    function pendingPromotionDelay() external view returns (uint32 newDelay, uint48 effectAt) {
        (, newDelay, effectAt) = _promotionDelay.getFull();
    }

    /// @inheritdoc IModelRegistry
    function proposalGracePeriod() external view returns (uint32) {
        return _proposalGracePeriod;
    }

    /// @inheritdoc IModelRegistry
    function epochCount(bytes32 modelId) external view returns (uint32) {
        return _models[modelId].epochCount;
    }

    /// @inheritdoc IModelRegistry
    function getEpoch(bytes32 modelId, uint32 epoch) external view returns (Epoch memory e) {
        e = _epochs[modelId][epoch];
        if (e.version == 0) revert ModelRegistryUnknownEpoch(modelId, epoch);
    }

    /// @inheritdoc IModelRegistry
    function epochs(
        bytes32 modelId,
        uint256 offset,
        uint256 limit
    ) external view returns (EpochView[] memory page) {
        (uint256 start, uint256 n) = _page(_models[modelId].epochCount, offset, limit);
        page = new EpochView[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint32 id = uint32(start + i + 1);
            page[i] = EpochView(id, _epochs[modelId][id]);
        }
    }

    /// @inheritdoc IModelRegistry
    function windowCount(bytes32 modelId, uint32 version) external view returns (uint256) {
        return _windows[modelId][version].length;
    }

    /// @inheritdoc IModelRegistry
    function windowsOf(
        bytes32 modelId,
        uint32 version,
        uint256 offset,
        uint256 limit
    ) external view returns (EpochView[] memory) {
        uint32[] storage ids = _windows[modelId][version];
        return _epochViews(modelId, ids, ids.length, offset, limit);
    }

    /// @inheritdoc IModelRegistry
    function epochAt(bytes32 modelId, uint48 timepoint) public view returns (uint32) {
        _checkPast(timepoint);
        return uint32(_epochTrace[modelId].upperLookupRecent(timepoint));
    }

    /// @inheritdoc IModelRegistry
    function versionAt(bytes32 modelId, uint48 timepoint) external view returns (uint32) {
        uint32 epoch = epochAt(modelId, timepoint);
        return epoch == 0 ? 0 : _epochs[modelId][epoch].version;
    }

    /**
     * @inheritdoc IModelRegistry
     * @dev Epochs are opened in time order and never overlap, so "the hint's epoch ended at or
     * before t and the next one starts after t" proves that nothing was live at t.
     */
    function epochAtWithHint(
        bytes32 modelId,
        uint48 timepoint,
        uint32 hint
    ) external view returns (uint32 epoch, uint32 version, uint48 endTime) {
        return _epochAtWithHint(modelId, timepoint, hint);
    }

    /// @inheritdoc IModelRegistry
    function incidentCount() external view returns (uint32) {
        return _incidentCount;
    }

    /// @inheritdoc IModelRegistry
    function getIncident(uint32 incidentId) public view returns (Incident memory incident) {
        incident = _incidents[incidentId];
        if (incident.version == 0) revert ModelRegistryUnknownIncident(incidentId);
    }

    /// @inheritdoc IModelRegistry
    function incidentCountOf(bytes32 modelId) external view returns (uint256) {
        return _modelIncidents[modelId].length;
    }

    /// @inheritdoc IModelRegistry
    function incidentsOf(
        bytes32 modelId,
        uint256 offset,
        uint256 limit
    ) external view returns (uint32[] memory) {
        return _slice(_modelIncidents[modelId], offset, limit);
    }

    /// @inheritdoc IModelRegistry
    function incidentsOfVersion(
        bytes32 modelId,
        uint32 version,
        uint256 offset,
        uint256 limit
    ) external view returns (uint32[] memory) {
        return _slice(_versionIncidents[modelId][version], offset, limit);
    }

    /// @inheritdoc IModelRegistry
    function incidentWindows(
        uint32 incidentId,
        uint256 offset,
        uint256 limit
    ) external view returns (EpochView[] memory) {
        Incident storage incident = _incidents[incidentId];
        if (incident.version == 0) revert ModelRegistryUnknownIncident(incidentId);
        bytes32 modelId = incident.modelId;
        uint32[] storage ids = _windows[modelId][incident.version];
        return _epochViews(modelId, ids, incident.windowCount, offset, limit);
    }

    /// @inheritdoc IModelRegistry
    function faultyAt(bytes32 modelId, uint32 version) external view returns (uint48) {
        return _faultSince[modelId][version];
    }

    /// @inheritdoc IModelRegistry
    function takenDownAt(bytes32 modelId, uint32 epoch) external view returns (uint48) {
        Epoch storage e = _epochs[modelId][epoch];
        EndReason reason = e.endReason;
        if (reason == EndReason.Rollback || reason == EndReason.Revoke) return e.endTime;
        return _pauseTakedownAt[modelId][epoch];
    }

    // ================================================================ internals

    /**
     * @dev Who could game it: any role holder can route its call through
     * `AccessManager.execute(target, data)`; the manager then calls at once and this contract
     * would record the manager as the actor, hiding the Safe that acted. Refused: the trail
     * always names the account that holds the role. A scheduled call still works, because its
     * holder calls this contract itself after the delay (the manager only checks the schedule).
     */
    function _checkCanCall(address caller, bytes calldata data) internal override {
        if (caller == authority()) revert ModelRegistryRelayedCall(caller);
        super._checkCanCall(caller, data);
    }

    function _model(bytes32 modelId) private view returns (ModelState storage m) {
        m = _models[modelId];
        if (!m.exists) revert ModelRegistryUnknownModel(modelId);
    }

    function _version(bytes32 modelId, uint32 version) private view returns (Version storage v) {
        v = _versions[modelId][version];
        if (v.status == VersionStatus.None) revert ModelRegistryUnknownVersion(modelId, version);
    }

    function _epochAtWithHint(
        bytes32 modelId,
        uint48 timepoint,
        uint32 hint
    ) private view returns (uint32 epoch, uint32 version, uint48 endTime) {
        _checkPast(timepoint);
        if (hint != 0) {
            Epoch memory e = _epochs[modelId][hint]; // one SLOAD: the epoch is one slot
            uint32 v = e.version;
            if (v == 0) revert ModelRegistryBadEpochHint(modelId, timepoint, hint);
            bool open = e.endReason == EndReason.Open;
            uint48 end = e.endTime;
            if (e.startTime <= timepoint && (open || timepoint < end)) return (hint, v, end);
            if (open || end > timepoint) {
                revert ModelRegistryBadEpochHint(modelId, timepoint, hint);
            }
        }
        // Gap claim: nothing was live at `timepoint` after the hint's epoch ended.
        Epoch storage next = _epochs[modelId][hint + 1];
        if (next.version != 0 && next.startTime <= timepoint) {
            revert ModelRegistryBadEpochHint(modelId, timepoint, hint);
        }
        return (0, 0, 0);
    }

    function _setPublisher(bytes32 modelId, address account, bool allowed) private {
        if (account == address(0)) revert ModelRegistryZeroPublisher(modelId);
        _publishers[modelId][account] = allowed;
        emit PublisherSet(modelId, account, allowed);
    }

    function _openEpoch(
        bytes32 modelId,
        ModelState storage m,
        uint32 version
    ) private returns (uint32 epoch) {
        epoch = ++m.epochCount;
        uint48 nowTs = Time.timestamp();
        _epochs[modelId][epoch] = Epoch({
            version: version,
            startTime: nowTs,
            endTime: 0,
            startBlock: Time.blockNumber(),
            endBlock: 0,
            endReason: EndReason.Open
        });
        _windows[modelId][version].push(epoch);
        _epochTrace[modelId].push(nowTs, epoch);
        m.current = version;
        m.liveEpoch = epoch;
        m.paused = false;
        m.pausedAt = 0;
        _versions[modelId][version].status = VersionStatus.Active;
        emit VersionActivated(modelId, version, epoch, msg.sender);
    }

    function _closeEpoch(bytes32 modelId, ModelState storage m, EndReason reason) private {
        uint32 epoch = m.liveEpoch;
        Epoch storage e = _epochs[modelId][epoch];
        uint48 nowTs = Time.timestamp();
        e.endTime = nowTs;
        e.endBlock = Time.blockNumber();
        e.endReason = reason;
        m.liveEpoch = 0;
        _epochTrace[modelId].push(nowTs, 0);
        emit EpochClosed(modelId, epoch, e.version, reason);
    }

    function _cancelPending(bytes32 modelId, CancelReason reason) private {
        Proposal storage p = _proposals[modelId];
        uint32 version = p.version;
        if (version == 0) return;
        _versions[modelId][version].status = p.priorStatus;
        delete _proposals[modelId];
        emit ProposalCancelled(modelId, version, msg.sender, reason);
    }

    /// @param pauseStart When the pause began if `version` is being taken down while paused, else 0.
    function _markDisposition(
        bytes32 modelId,
        uint32 version,
        Disposition disposition,
        uint48 pauseStart
    ) private {
        Version storage v = _versions[modelId][version];
        uint48 nowTs = Time.timestamp();
        v.dispositionAt = nowTs;
        if (disposition == Disposition.Faulty) {
            v.status = VersionStatus.Faulty;
            _faultSince[modelId][version] = pauseStart != 0 ? pauseStart : nowTs;
        } else {
            v.status = VersionStatus.Withdrawn;
            v.withdrawn = true;
            v.withdrawnAt = nowTs;
        }
    }

    /// @dev While paused, the newest epoch is the one the pause ended (nothing opens during a
    /// pause), and its version is the paused one being taken down now.
    function _markPauseTakedown(bytes32 modelId, ModelState storage m) private {
        _pauseTakedownAt[modelId][m.epochCount] = Time.timestamp();
    }

    function _openIncident(
        bytes32 modelId,
        uint32 version,
        Disposition disposition,
        uint32 target,
        bytes32 reasonHash,
        string calldata reasonURI
    ) private returns (uint32 incidentId) {
        incidentId = ++_incidentCount;
        uint32 windows = uint32(_windows[modelId][version].length);
        _incidents[incidentId] = Incident({
            modelId: modelId,
            version: version,
            target: target,
            disposition: disposition,
            by: msg.sender,
            at: Time.timestamp(),
            atBlock: Time.blockNumber(),
            windowCount: windows,
            reasonHash: reasonHash,
            reasonURI: reasonURI
        });
        _modelIncidents[modelId].push(incidentId);
        _versionIncidents[modelId][version].push(incidentId);
        emit IncidentOpened(
            incidentId,
            modelId,
            version,
            disposition,
            target,
            windows,
            msg.sender,
            reasonHash,
            reasonURI
        );
    }

    function _checkDisposition(Disposition disposition) private pure {
        if (disposition == Disposition.None) revert ModelRegistryInvalidDisposition(disposition);
    }

    function _checkPeriod(uint32 value, uint32 min, uint32 max) private pure {
        if (value < min || value > max) revert ModelRegistryInvalidPeriod(value, min, max);
    }

    function _checkPast(uint48 timepoint) private view {
        uint48 nowTs = Time.timestamp();
        if (timepoint >= nowTs) revert ModelRegistryFutureLookup(timepoint, nowTs);
    }

    function _page(
        uint256 length,
        uint256 offset,
        uint256 limit
    ) private pure returns (uint256 start, uint256 n) {
        start = Math.min(offset, length);
        n = Math.min(limit, length - start);
    }

    function _slice(
        uint32[] storage ids,
        uint256 offset,
        uint256 limit
    ) private view returns (uint32[] memory out) {
        (uint256 start, uint256 n) = _page(ids.length, offset, limit);
        out = new uint32[](n);
        for (uint256 i = 0; i < n; ++i) out[i] = ids[start + i];
    }

    function _epochViews(
        bytes32 modelId,
        uint32[] storage ids,
        uint256 length,
        uint256 offset,
        uint256 limit
    ) private view returns (EpochView[] memory out) {
        (uint256 start, uint256 n) = _page(length, offset, limit);
        out = new EpochView[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint32 id = ids[start + i];
            out[i] = EpochView(id, _epochs[modelId][id]);
        }
    }
}
