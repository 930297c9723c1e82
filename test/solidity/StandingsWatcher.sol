// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IInferenceAnchor} from "../../contracts/interfaces/IInferenceAnchor.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {
    InferenceRecord,
    InferenceRecordLib
} from "../../contracts/libraries/InferenceRecordLib.sol";

import {RegistryHandler} from "./RegistryHandler.sol";

/**
 * @notice Test handler for the monotone-standings invariant: the registry handler's actions,
 * and it anchors single-record batches of
 * random records (registered or not yet registered versions, right or wrong weights, any proof
 * path, times inside the anchor delay) under the registry handler's models, disputes some, and
 * on `observe` re-verifies the recent records: from the block after its anchoring, a record's
 * flags may only gain VersionFaulty, VersionWithdrawn or BatchDisputed. A breach is recorded with
 * the record's index and both flag sets; the invariant test asserts there is none.
 */
contract StandingsWatcher is RegistryHandler {
    uint256 public constant WINDOW = 48;
    uint256 private constant _GROWABLE =
        (1 << uint8(IInferenceAnchor.Standing.VersionFaulty)) |
            (1 << uint8(IInferenceAnchor.Standing.VersionWithdrawn)) |
            (1 << uint8(IInferenceAnchor.Standing.BatchDisputed));

    struct Watched {
        bytes32 modelId;
        bytes32 root;
        InferenceRecord record;
        uint256 flags;
        uint48 anchoredAt;
        bool seen;
    }

    IInferenceAnchor public immutable anchor;
    Watched[] private _watched;
    uint256 public observations;
    uint256 public comparisons;
    bool public violated;
    string public violation;

    /// @dev The registry handler's actions and models, plus anchoring under those models.
    constructor(
        IModelRegistry registry_,
        address verifier_,
        IInferenceAnchor anchor_
    ) RegistryHandler(registry_, verifier_) {
        anchor = anchor_;
    }

    /**
     * @notice One random action (the seed picks the kind and its input), then every recent
     * record re-verified: the invariant runner calls only this, so that no sequence of actions
     * escapes an observation.
     */
    function step(uint256 seed) external {
        _act(seed);
        observe();
    }

    /// @dev Registry actions (propose, activate, cancel, rollback, revoke, pause, resume,
    /// register, time), disputes, and anchoring (twice as often: records are the subject).
    function _act(uint256 seed) internal virtual {
        uint256 action = seed % 12;
        uint256 input = seed >> 8;
        if (action == 0) this.propose(input);
        else if (action == 1) this.activate(input);
        else if (action == 2) this.cancelProposal(input);
        else if (action == 3) this.rollback(input);
        else if (action == 4) this.revoke(input);
        else if (action == 5) this.pause(input);
        else if (action == 6) this.resume(input);
        else if (action == 7) this.register(input);
        else if (action == 8) this.advanceTime(input);
        else if (action == 9) this.dispute(input);
        else this.anchorOne(input);
    }

    function anchorOne(uint256 seed) external {
        uint256 r = uint256(keccak256(abi.encode(seed, _watched.length)));
        bytes32 modelId = models[r % 2];
        uint32 count = registry.versionCount(modelId);
        uint32 version = uint32(1 + ((r >> 8) % (uint256(count) + 2))); // may not exist yet
        bytes32 blobId =
            (r >> 16) % 5 == 0
                ? keccak256(abi.encode("wrong blob", r))
                : (version <= count ? registry.getVersion(modelId, version).blobId : bytes32(r));
        uint48 servedAt = uint48(block.timestamp - 1 - ((r >> 24) % 3600));
        InferenceRecord memory rec = InferenceRecord({
            format: 1,
            requestId: keccak256(abi.encode("request", r)),
            modelId: modelId,
            version: version,
            blobId: blobId,
            inputHash: keccak256(abi.encode("in", r)),
            outputHash: keccak256(abi.encode("out", r)),
            proofPath: uint8((r >> 40) % 4),
            proofCommitment: bytes32(0),
            agent: address(uint160(r >> 48)),
            node: address(this),
            servedAt: servedAt
        });
        bytes32 root = InferenceRecordLib.leafMemory(rec);
        try anchor.anchor(modelId, root, 1, servedAt, servedAt, bytes32(0)) {
            Watched storage w = _watched.push();
            w.modelId = modelId;
            w.root = root;
            w.record = rec;
            w.anchoredAt = uint48(block.timestamp);
        } catch {}
    }

    function dispute(uint256 seed) external {
        if (_watched.length == 0) return;
        Watched storage w = _watched[seed % _watched.length];
        anchor.disputeBatch(w.modelId, address(this), w.root, bytes32(seed), "");
    }

    function observe() public virtual {
        uint256 n = _watched.length;
        uint256 start = n > WINDOW ? n - WINDOW : 0;
        bytes32[] memory noProof = new bytes32[](0);
        for (uint256 i = start; i < n; ++i) {
            Watched storage w = _watched[i];
            if (block.timestamp <= w.anchoredAt) continue; // final from the next block on
            (bool included, uint256 flags, ) = anchor.verifyRecord(
                w.modelId,
                w.root,
                w.record,
                noProof
            );
            if (!included) _violate("an anchored record reads NotIncluded", i, 0, flags);
            ++observations;
            if (w.seen) {
                ++comparisons;
                uint256 old = w.flags;
                if (flags & old != old) _violate("a flag was removed", i, old, flags);
                if ((flags & ~old) & ~_GROWABLE != 0)
                    _violate("an ungrowable flag appeared", i, old, flags);
            }
            w.flags = flags;
            w.seen = true;
        }
    }

    function watchedCount() external view returns (uint256) {
        return _watched.length;
    }

    function _violate(string memory what, uint256 i, uint256 before, uint256 afterwards) internal {
        if (violated) return;
        violated = true;
        violation = string(
            abi.encodePacked(
                what,
                " (record ",
                _dec(i),
                ", flags ",
                _dec(before),
                " -> ",
                _dec(afterwards),
                ")"
            )
        );
    }

    function _dec(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        while (v != 0) {
            b = abi.encodePacked(bytes1(uint8(48 + (v % 10))), b);
            v /= 10;
        }
        return string(b);
    }
}
