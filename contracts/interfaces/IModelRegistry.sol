// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IModelRegistry
 * @notice The model version registry: versions, the live pointer, two-step promotion, immediate
 * rollback, and a history that is never erased. Every activation opens an epoch (a window of
 * time during which one version was live); rollbacks and late revocations open incidents that
 * reference the epochs of the faulty version. Anyone can ask which version and epoch were live at
 * any past time.
 *
 * Time model: windows are half-open `[start, end)` in block timestamps. Several changes inside one
 * block all stay in the epoch list, but only the last state of a block was ever live: an epoch
 * that opened and closed in the same block is recorded with `start == end` and was never live.
 */
interface IModelRegistry {
    // ---------------------------------------------------------------- types

    /// @notice Lifecycle of a version. Faulty is terminal; Withdrawn may be proposed again.
    enum VersionStatus {
        None,
        Registered,
        Proposed,
        Active,
        Retired,
        Faulty,
        Withdrawn
    }

    /// @notice How the guardian marks a version it takes down. Only Faulty triggers refunds.
    enum Disposition {
        None,
        Faulty,
        Withdrawn
    }

    /// @notice Why an epoch ended. `Open` while it is the live epoch.
    enum EndReason {
        Open,
        Promotion,
        Rollback,
        Revoke,
        Pause
    }

    /// @notice Why a pending proposal ended without activation.
    enum CancelReason {
        Guardian,
        Superseded,
        Rollback,
        Revoke,
        Expired
    }

    /**
     * @notice One registered version. Everything but `status`, `dispositionAt`, `withdrawn` and
     * `withdrawnAt` is fixed at registration. `dispositionAt` is when the guardian last marked it
     * Faulty or Withdrawn. `withdrawn` is set the first time it is marked Withdrawn and never
     * cleared (a later proposal, activation or escalation to Faulty leaves it), and `withdrawnAt`
     * is the time of its latest Withdrawn marking: only ever moves forward. Standings read these
     * facts, never `status`, which a later proposal changes back and forth.
     * @dev Storage: `blobId` | `status, proofMask, zkVerifier, registeredAt, withdrawn` |
     * `weightsHash` | `publisher, dispositionAt, withdrawnAt` | `metadataURI`.
     */
    struct Version {
        bytes32 blobId;
        VersionStatus status;
        uint8 proofMask;
        address zkVerifier;
        uint48 registeredAt;
        bool withdrawn;
        bytes32 weightsHash;
        address publisher;
        uint48 dispositionAt;
        uint48 withdrawnAt;
        string metadataURI;
    }

    /**
     * @notice One window during which `version` was the live version. One storage slot.
     * @dev `endTime == 0` (with `endReason == Open`) while the epoch is live. An epoch with
     * `startTime == endTime` opened and closed inside one block and was never live.
     */
    struct Epoch {
        uint32 version;
        uint48 startTime;
        uint48 endTime;
        uint48 startBlock;
        uint48 endBlock;
        EndReason endReason;
    }

    /// @notice An epoch with its id, as list views return it.
    struct EpochView {
        uint32 id;
        Epoch epoch;
    }

    /**
     * @notice The record of a rollback, or of the revocation of a version that was once live.
     * @dev `windowCount` references the first `windowCount` entries of the version's window list
     * ({windowsOf}): the epochs in which it was live up to the incident. They are referenced, not
     * copied, so opening an incident costs the same whatever the history's length.
     */
    struct Incident {
        bytes32 modelId;
        address by;
        uint48 at;
        uint48 atBlock;
        uint32 version;
        uint32 target;
        uint32 windowCount;
        Disposition disposition;
        bytes32 reasonHash;
        string reasonURI;
    }

    /// @notice How {recordContext} consults the history.
    enum HistoryMode {
        Skip,
        Lookup,
        Hint
    }

    /// @notice A pending promotion. One storage slot.
    struct Proposal {
        uint32 version;
        uint48 proposedAt;
        uint48 earliestActivation;
        uint48 expiresAt;
        VersionStatus priorStatus;
    }

    // ---------------------------------------------------------------- events

    /// @notice A model was created with its initial publishers.
    event ModelCreated(bytes32 indexed modelId, address indexed by, address[] publishers);
    /// @notice `account` may (or may no longer) register versions of `modelId`.
    event PublisherSet(bytes32 indexed modelId, address indexed account, bool allowed);
    /// @notice A version was registered. Its fields never change afterwards.
    event VersionRegistered(
        bytes32 indexed modelId,
        uint32 indexed version,
        bytes32 indexed blobId,
        bytes32 weightsHash,
        uint8 proofMask,
        address zkVerifier,
        address publisher,
        string metadataURI
    );
    /// @notice The governor proposed `version`; it may be activated in `[earliestActivation, expiresAt)`.
    event VersionProposed(
        bytes32 indexed modelId,
        uint32 indexed version,
        address indexed by,
        uint48 earliestActivation,
        uint48 expiresAt
    );
    /// @notice A pending proposal ended without activation.
    event ProposalCancelled(
        bytes32 indexed modelId,
        uint32 indexed version,
        address indexed by,
        CancelReason reason
    );
    /// @notice `version` became live in a new epoch.
    event VersionActivated(
        bytes32 indexed modelId,
        uint32 indexed version,
        uint32 indexed epoch,
        address by
    );
    /// @notice An epoch ended.
    event EpochClosed(
        bytes32 indexed modelId,
        uint32 indexed epoch,
        uint32 indexed version,
        EndReason reason
    );
    /// @notice `version` was replaced normally and may be a rollback target.
    event VersionRetired(bytes32 indexed modelId, uint32 indexed version);
    /// @notice The guardian rolled back from `fromVersion` to `toVersion`.
    event RolledBack(
        bytes32 indexed modelId,
        uint32 indexed fromVersion,
        uint32 indexed toVersion,
        uint32 incidentId,
        Disposition disposition,
        address by
    );
    /// @notice The guardian marked `version` Faulty or Withdrawn outside a rollback.
    /// `incidentId` is 0 when the version was never live; the reason is kept in this event then.
    event VersionRevoked(
        bytes32 indexed modelId,
        uint32 indexed version,
        uint32 indexed incidentId,
        Disposition disposition,
        address by,
        bytes32 reasonHash,
        string reasonURI
    );
    /// @notice An incident was recorded. Incidents are never changed or removed.
    event IncidentOpened(
        uint32 indexed incidentId,
        bytes32 indexed modelId,
        uint32 indexed version,
        Disposition disposition,
        uint32 target,
        uint32 windowCount,
        address by,
        bytes32 reasonHash,
        string reasonURI
    );
    /// @notice The guardian paused the model: nothing is live.
    event ModelPaused(bytes32 indexed modelId, uint32 indexed version, address by);
    /// @notice The guardian resumed the pre-pause version in a new epoch.
    event ModelResumed(bytes32 indexed modelId, uint32 indexed version, address by);
    /// @notice A promotion-delay change was scheduled; it applies to proposals made from `effectAt`.
    event PromotionDelayChangeScheduled(uint32 oldDelay, uint32 newDelay, uint48 effectAt);
    /// @notice The grace period of future proposals changed.
    event ProposalGracePeriodSet(uint32 oldPeriod, uint32 newPeriod);

    // ---------------------------------------------------------------- errors

    /// @notice `modelId` is zero.
    error ModelRegistryZeroModelId();
    /// @notice The call came through the AccessManager (`execute`): the trail (an incident's
    /// `by`, the actor of every event) would name the manager instead of the role holder. Call
    /// directly from the account holding the role (a role with an execution delay still works:
    /// its holder schedules, then calls the target itself).
    error ModelRegistryRelayedCall(address authority);
    /// @notice No model `modelId` was created.
    error ModelRegistryUnknownModel(bytes32 modelId);
    /// @notice A model `modelId` exists already.
    error ModelRegistryModelExists(bytes32 modelId);
    /// @notice A publisher address is zero.
    error ModelRegistryZeroPublisher(bytes32 modelId);
    /// @notice `account` is not a publisher of `modelId`.
    error ModelRegistryUnauthorizedPublisher(bytes32 modelId, address account);
    /// @notice `modelId` has no version `version`.
    error ModelRegistryUnknownVersion(bytes32 modelId, uint32 version);
    /// @notice A version must name its weights artifact.
    error ModelRegistryZeroBlobId(bytes32 modelId);
    /// @notice `blobId` is already version `existingVersion` of `modelId`.
    error ModelRegistryDuplicateBlob(bytes32 modelId, bytes32 blobId, uint32 existingVersion);
    /// @notice `proofMask` is empty or has bits beyond the defined proof paths.
    error ModelRegistryInvalidProofMask(uint8 proofMask);
    /// @notice A ZK verifier must be given if and only if the mask allows ZKML.
    error ModelRegistryVerifierMismatch(uint8 proofMask, address zkVerifier);
    /// @notice The ZK verifier has no code.
    error ModelRegistryVerifierNotContract(address zkVerifier);
    /// @notice A Faulty version can never be proposed or made live again.
    error ModelRegistryVersionFaulty(bytes32 modelId, uint32 version);
    /// @notice The version is the live (or paused) version already.
    error ModelRegistryVersionLive(bytes32 modelId, uint32 version);
    /// @notice The version is the pending proposal already.
    error ModelRegistryVersionAlreadyProposed(bytes32 modelId, uint32 version);
    /// @notice `modelId` has no pending proposal.
    error ModelRegistryNoPendingProposal(bytes32 modelId);
    /// @notice The promotion delay of the pending proposal has not passed.
    error ModelRegistryActivationTooEarly(
        bytes32 modelId,
        uint32 version,
        uint48 earliestActivation
    );
    /// @notice The pending proposal expired; the governor must propose again.
    error ModelRegistryProposalExpired(bytes32 modelId, uint32 version, uint48 expiredAt);
    /// @notice The model is paused: only the guardian's resume, rollback or revoke end a pause.
    error ModelRegistryModelPaused(bytes32 modelId);
    /// @notice The model is not paused.
    error ModelRegistryNotPaused(bytes32 modelId);
    /// @notice Nothing is live: there is nothing to pause.
    error ModelRegistryNothingLive(bytes32 modelId);
    /// @notice There is no live or paused version to roll back.
    error ModelRegistryNothingToRollBack(bytes32 modelId);
    /// @notice The live (or paused) version is not the one the guardian meant to roll back:
    /// someone activated another version first.
    error ModelRegistryUnexpectedCurrentVersion(bytes32 modelId, uint32 expected, uint32 current);
    /// @notice A rollback target must be Retired (it was live and reviewed before).
    error ModelRegistryInvalidRollbackTarget(bytes32 modelId, uint32 version, VersionStatus status);
    /// @notice The disposition must be Faulty or Withdrawn.
    error ModelRegistryInvalidDisposition(Disposition disposition);
    /// @notice The version cannot be revoked with this disposition from its current status.
    error ModelRegistryNotRevocable(
        bytes32 modelId,
        uint32 version,
        VersionStatus status,
        Disposition disposition
    );
    /// @notice History queries take a past time: the current timestamp's state is not final yet.
    error ModelRegistryFutureLookup(uint48 timepoint, uint48 currentTime);
    /// @notice The hint is not the epoch live at `timepoint` (nor, in a gap, the last epoch
    /// opened at or before it).
    error ModelRegistryBadEpochHint(bytes32 modelId, uint48 timepoint, uint32 hint);
    /// @notice `modelId` has no epoch `epoch`.
    error ModelRegistryUnknownEpoch(bytes32 modelId, uint32 epoch);
    /// @notice No incident has id `incidentId`.
    error ModelRegistryUnknownIncident(uint32 incidentId);
    /// @notice A delay or period is outside its bounds.
    error ModelRegistryInvalidPeriod(uint32 value, uint32 min, uint32 max);

    // ---------------------------------------------------------------- governance (GOVERNOR)

    /**
     * @notice Creates `modelId` with its own publishers.
     * @dev Emits {ModelCreated} and a {PublisherSet} for each publisher.
     */
    function createModel(bytes32 modelId, address[] calldata publishers) external;

    /**
     * @notice Allows or disallows `account` to register versions of `modelId` (in addition to the
     * PUBLISHER role it needs in the AccessManager).
     * @dev Emits {PublisherSet}.
     */
    function setPublisher(bytes32 modelId, address account, bool allowed) external;

    /**
     * @notice Proposes `version` for activation after the promotion delay. A pending proposal of
     * another version is superseded (cancelled). The version must be Registered, Retired or
     * Withdrawn.
     * @dev Emits {VersionProposed}, and {ProposalCancelled} for a superseded proposal.
     */
    function propose(bytes32 modelId, uint32 version) external;

    /**
     * @notice Schedules a new promotion delay. It takes effect after the current delay, so that
     * the delay protects its own changes.
     * @dev Emits {PromotionDelayChangeScheduled}.
     */
    function setPromotionDelay(uint32 newDelay) external;

    /**
     * @notice Sets how long future proposals stay activatable after their delay.
     * @dev Emits {ProposalGracePeriodSet}.
     */
    function setProposalGracePeriod(uint32 newPeriod) external;

    // ---------------------------------------------------------------- publishing (PUBLISHER)

    /**
     * @notice Registers the next version of `modelId`. All fields are fixed forever.
     * @return version The new version number (1-based, never reused).
     * @dev Emits {VersionRegistered}.
     */
    function registerVersion(
        bytes32 modelId,
        bytes32 blobId,
        bytes32 weightsHash,
        string calldata metadataURI,
        uint8 proofMask,
        address zkVerifier
    ) external returns (uint32 version);

    // ---------------------------------------------------------------- anyone

    /**
     * @notice Makes the pending proposal live once its delay has passed and before it expires.
     * Anyone may call it: the decision was taken at proposal time.
     * @dev Emits {EpochClosed} and {VersionRetired} for the replaced version, and {VersionActivated}.
     */
    function activate(bytes32 modelId) external returns (uint32 epoch);

    // ---------------------------------------------------------------- emergency (GUARDIAN)

    /**
     * @notice Cancels the pending proposal of `modelId`.
     * @dev Emits {ProposalCancelled}.
     */
    function cancelProposal(bytes32 modelId) external;

    /**
     * @notice Immediately takes the live (or paused) version `fromVersion` down as Faulty or
     * Withdrawn, opens an incident and makes the Retired `toVersion` live in a new epoch. Cancels
     * a pending proposal. `fromVersion` must be the current version: `activate` is open to
     * anyone, so without it a front-run activation would make the rollback mark the newly
     * activated version Faulty and leave the bad one Retired (a valid rollback target, no refunds).
     * @dev Emits {ProposalCancelled} (if one was pending), {EpochClosed} (if a version was live),
     * {IncidentOpened}, {RolledBack} and {VersionActivated}.
     */
    function rollback(
        bytes32 modelId,
        uint32 fromVersion,
        uint32 toVersion,
        Disposition disposition,
        bytes32 reasonHash,
        string calldata reasonURI
    ) external returns (uint32 incidentId);

    /**
     * @notice Marks `version` Faulty or Withdrawn. Opens an incident if it was ever live. If it is
     * the live or paused version, nothing is live afterwards and a pending proposal is cancelled.
     * A Withdrawn version may still be escalated to Faulty. To stop a pending proposal, prefer
     * {cancelProposal}: if `activate` runs first it fails safely, whereas a revoke would then
     * take the just-activated version down and leave nothing live.
     * @return incidentId The incident opened, or 0 if the version was never live.
     * @dev Emits {VersionRevoked}, and {IncidentOpened}, {EpochClosed}, {ProposalCancelled} as
     * they apply.
     */
    function revoke(
        bytes32 modelId,
        uint32 version,
        Disposition disposition,
        bytes32 reasonHash,
        string calldata reasonURI
    ) external returns (uint32 incidentId);

    /**
     * @notice Pauses `modelId`: nothing is live until the guardian resumes, rolls back or revokes.
     * @dev Emits {EpochClosed} and {ModelPaused}.
     */
    function pause(bytes32 modelId) external;

    /**
     * @notice Makes the pre-pause version live again, in a new epoch.
     * @dev Emits {ModelResumed} and {VersionActivated}.
     */
    function resume(bytes32 modelId) external returns (uint32 epoch);

    // ---------------------------------------------------------------- views

    /// @notice The live version and epoch; both 0 when nothing is live (before the first
    /// activation, while paused, after the live version was revoked).
    function live(
        bytes32 modelId
    ) external view returns (uint32 version, uint32 epoch, bool paused);

    /// @notice When the current pause began (0 if the model is not paused).
    function pausedSince(bytes32 modelId) external view returns (uint48);

    /**
     * @notice What a settlement bound to `version` needs to know at release, in one call:
     * {faultyAt} of the version, and when the current pause began if `version` is the paused one
     * (else 0).
     */
    function releaseState(
        bytes32 modelId,
        uint32 version
    ) external view returns (uint48 faultSince, uint48 versionPausedSince);

    /// @notice The version kept during a pause (or the live one), 0 if none.
    function currentVersion(bytes32 modelId) external view returns (uint32);

    /// @notice Whether `modelId` exists.
    function modelExists(bytes32 modelId) external view returns (bool);

    /// @notice Whether `account` is a publisher of `modelId`.
    function isPublisher(bytes32 modelId, address account) external view returns (bool);

    /// @notice How many versions `modelId` has (the newest version's number).
    function versionCount(bytes32 modelId) external view returns (uint32);

    /// @notice A version's record.
    function getVersion(bytes32 modelId, uint32 version) external view returns (Version memory);

    /**
     * @notice The fields of a version that verification needs, from its two fixed-size slots
     * (cheaper than {getVersion}, which also copies the metadata URI).
     */
    function versionEssentials(
        bytes32 modelId,
        uint32 version
    )
        external
        view
        returns (bytes32 blobId, VersionStatus status, uint8 proofMask, address zkVerifier);

    /**
     * @notice For InferenceAnchor, in one call: the blob id, status, proof mask and registration
     * time of `version`, whether it was marked Withdrawn at or after `servedAt` (its latest
     * withdrawal time only moves forward, so once true this stays true) and, unless `mode` is
     * Skip, the epoch live at `servedAt` with its version and end time, found by {epochAt}
     * (Lookup) or checked from `hint` as {epochAtWithHint} does (Hint; a wrong hint reverts with
     * {ModelRegistryBadEpochHint}).
     * @return blobId The version's registered blob id.
     * @return packed `status | proofMask << 8 | epoch << 16 | liveVersion << 48 |
     * endTime << 80 | registeredAt << 128 | withdrawnSinceServed << 176`: one word, because
     * verification is gas-bounded and every returned word costs decoding.
     */
    function recordContext(
        bytes32 modelId,
        uint32 version,
        uint48 servedAt,
        HistoryMode mode,
        uint32 hint
    ) external view returns (bytes32 blobId, uint256 packed);

    /// @notice A version's status.
    function versionStatus(bytes32 modelId, uint32 version) external view returns (VersionStatus);

    /// @notice The version registered with `blobId`, 0 if none.
    function versionOfBlob(bytes32 modelId, bytes32 blobId) external view returns (uint32);

    /// @notice The pending proposal (version 0 if none). Check `expiresAt` against the clock.
    function pendingProposal(bytes32 modelId) external view returns (Proposal memory);

    /// @notice The delay new proposals get now.
    function promotionDelay() external view returns (uint32);

    /// @notice The scheduled delay change: the new value and when it applies (0 if none pending).
    function pendingPromotionDelay() external view returns (uint32 newDelay, uint48 effectAt);

    /// @notice How long a proposal stays activatable after its delay.
    function proposalGracePeriod() external view returns (uint32);

    /// @notice The number of epochs of `modelId` (the newest epoch's id).
    function epochCount(bytes32 modelId) external view returns (uint32);

    /// @notice One epoch.
    function getEpoch(bytes32 modelId, uint32 epoch) external view returns (Epoch memory);

    /// @notice Epochs `[offset, offset + limit)` in order of opening (ids from `offset + 1`).
    function epochs(
        bytes32 modelId,
        uint256 offset,
        uint256 limit
    ) external view returns (EpochView[] memory);

    /// @notice How many windows (epochs) `version` has been live in.
    function windowCount(bytes32 modelId, uint32 version) external view returns (uint256);

    /// @notice The windows of `version`, `[offset, offset + limit)` in order.
    function windowsOf(
        bytes32 modelId,
        uint32 version,
        uint256 offset,
        uint256 limit
    ) external view returns (EpochView[] memory);

    /// @notice The epoch live at `timepoint` (0 if none). O(log n). Reverts unless `timepoint` is
    /// strictly in the past: the state at the current timestamp may still change in this block.
    function epochAt(bytes32 modelId, uint48 timepoint) external view returns (uint32);

    /// @notice The version live at `timepoint` (0 if none). O(log n). Reverts unless `timepoint` is
    /// strictly in the past.
    function versionAt(bytes32 modelId, uint48 timepoint) external view returns (uint32);

    /**
     * @notice The epoch live at `timepoint`, checked against a caller's hint in O(1): at most
     * two storage reads. The hint is the epoch live then, or, for a time when nothing was live,
     * the last epoch that opened at or before it (0 when none had opened by then). "At" counts:
     * a zero-length epoch opened and closed at `timepoint` (a resume and a pause in one block,
     * or a first activation undone in its block) is the hint for that second.
     * Also returns the epoch's version and end time (0 while it is open, and for a gap), which
     * is what consumers need to judge a time claim.
     * @dev Reverts with {ModelRegistryBadEpochHint} if the hint is wrong: it is checked, not trusted.
     */
    function epochAtWithHint(
        bytes32 modelId,
        uint48 timepoint,
        uint32 hint
    ) external view returns (uint32 epoch, uint32 version, uint48 endTime);

    /// @notice The number of incidents of all models (the newest incident's id).
    function incidentCount() external view returns (uint32);

    /// @notice One incident.
    function getIncident(uint32 incidentId) external view returns (Incident memory);

    /// @notice The number of incidents of `modelId`.
    function incidentCountOf(bytes32 modelId) external view returns (uint256);

    /// @notice The ids of `modelId`'s incidents, `[offset, offset + limit)` in order.
    function incidentsOf(
        bytes32 modelId,
        uint256 offset,
        uint256 limit
    ) external view returns (uint32[] memory);

    /// @notice The ids of the incidents about one version, `[offset, offset + limit)` in order.
    function incidentsOfVersion(
        bytes32 modelId,
        uint32 version,
        uint256 offset,
        uint256 limit
    ) external view returns (uint32[] memory);

    /// @notice The windows an incident references, `[offset, offset + limit)` in order.
    function incidentWindows(
        uint32 incidentId,
        uint256 offset,
        uint256 limit
    ) external view returns (EpochView[] memory);

    /**
     * @notice When `version`'s fault counts from, 0 if it is not Faulty: the time it was marked
     * Faulty or, if it was taken down while paused, the time that pause began (the pause already
     * took it out of service while the guardian investigated). Faulty is terminal, so this never
     * changes once set. Settlements refund payments released after this time.
     */
    function faultyAt(bytes32 modelId, uint32 version) external view returns (uint48);

    /**
     * @notice When the version of `epoch` was taken down in a way that ended (or had already
     * ended) that epoch, 0 if it never was: the epoch's end time when a rollback or revoke ended
     * it, or, for an epoch ended by a pause, the time the guardian rolled back or revoked the
     * paused version during that same pause. Written once, at the rollback or revoke, and never
     * changed: a later proposal, cancellation, resume or takedown from a later epoch does not
     * touch it. A routine pause followed by a resume leaves it 0 for good.
     * @dev Settlements judge "was the bound window closed by a takedown?" from this fact alone,
     * so that the answer about a past payment never depends on a status that can change back.
     */
    function takenDownAt(bytes32 modelId, uint32 epoch) external view returns (uint48);
}
