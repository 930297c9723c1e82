// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IInferenceAnchor} from "../../contracts/interfaces/IInferenceAnchor.sol";
import {IInferenceSettlement} from "../../contracts/interfaces/IInferenceSettlement.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {
    InferenceRecord,
    InferenceRecordLib
} from "../../contracts/libraries/InferenceRecordLib.sol";
import {ERC20TestDouble} from "../../contracts/test/TokenTestDoubles.sol";

import {StandingsWatcher} from "./StandingsWatcher.sol";

/// @notice What a probe of `prove` or `challenge` returned, carried out of a reverted frame.
error JudgementProbe(bytes4 outcome);

/**
 * @notice Test handler for the stable-judgements invariant: the standings watcher's registry and
 * anchor actions, plus payments (`settle` to this node from a few payers under the live
 * version), the node's records of those requests (served before, during or after the payment's
 * hold, under the bound version or another, with right or wrong weights, any proof path),
 * anchored as one-record batches. On every observation it asks, without changing anything,
 * whether `prove` by the payee and `challenge` by the payer would succeed for each recent
 * record, and how they would fail otherwise.
 *
 * The property: from the block after a record's anchoring, the answer of `prove` never changes
 * (the settlements here stay Open, so only the judgement decides it), the answer of `challenge`
 * never changes while its window is open, and the two always agree (the record conforms exactly
 * when `prove` succeeds and `challenge` reverts {SettlementRecordConforms}). Governance acts in
 * between: promotions, re-proposals, cancellations, rollbacks, revocations (Faulty or Withdrawn,
 * of the bound version or another, from the bound epoch or a later one), pauses and resumes.
 */
contract JudgementsWatcher is StandingsWatcher {
    // The rule cannot see through the nested structs; the small fields share one slot.
    // solhint-disable-next-line gas-struct-packing
    struct Judged {
        // One slot: when it was anchored and what its probes last answered.
        uint48 anchoredAt;
        bytes4 prove;
        bytes4 challenge;
        bool proveSeen;
        bool challengeSeen;
        bytes32 root;
        IInferenceSettlement.SettlementDetails details;
        InferenceRecord record;
    }

    uint256 public constant PAYERS = 3;
    uint256 public constant AMOUNT = 1e18;
    /// @dev "succeeded" in a probe's outcome: no error selector is zero in practice.
    bytes4 public constant SUCCEEDED = bytes4(0);

    IInferenceSettlement public immutable settlement;
    ERC20TestDouble public immutable token;

    IInferenceSettlement.SettlementDetails[] private _paid;
    Judged[] private _judged;
    uint256 private _nonce;

    uint256 public judgements;
    uint256 public judgementComparisons;
    /// @notice How often a record conformed, did not, or was refused before judging.
    uint256 public conforming;
    uint256 public nonConforming;

    constructor(
        IModelRegistry registry_,
        address verifier_,
        IInferenceAnchor anchor_,
        IInferenceSettlement settlement_,
        ERC20TestDouble token_
    ) StandingsWatcher(registry_, verifier_, anchor_) {
        settlement = settlement_;
        token = token_;
    }

    function payer(uint256 i) public pure returns (address) {
        return address(uint160(0x7A7E_0001_0000 + i));
    }

    /// @notice A payer settles with this node under the version it reads live (usually).
    function pay(uint256 seed) external {
        uint256 r = uint256(keccak256(abi.encode("pay", seed, ++_nonce)));
        bytes32 modelId = models[r % 2];
        uint32 epoch = registry.epochCount(modelId);
        uint32 version = registry.currentVersion(modelId);
        address who = payer((r >> 8) % PAYERS);
        token.mint(who, AMOUNT);
        vm.prank(who);
        token.approve(address(settlement), AMOUNT);
        bytes32 requestId = keccak256(abi.encode("request", r));
        vm.prank(who);
        try settlement.settle(modelId, version, epoch, address(this), token, AMOUNT, requestId, 0) {
            _paid.push(
                IInferenceSettlement.SettlementDetails({
                    modelId: modelId,
                    epoch: epoch,
                    payer: who,
                    requestId: requestId,
                    version: version,
                    payee: address(this),
                    token: IERC20(address(token)),
                    amount: AMOUNT,
                    settledAt: uint48(block.timestamp),
                    releaseAt: uint48(block.timestamp) + settlement.holdPeriod()
                })
            );
        } catch {}
    }

    /// @notice The node serves a paid request (usually the bound version, at a time inside the
    /// hold; now and then before the payment, at or after the release, another version or the
    /// wrong weights) and anchors the record alone in a batch.
    function serve(uint256 seed) external {
        if (_paid.length == 0) return;
        uint256 r = uint256(keccak256(abi.encode("serve", seed, ++_nonce)));
        IInferenceSettlement.SettlementDetails memory d = _paid[r % _paid.length];
        if (block.timestamp <= d.settledAt + 1) vm.warp(d.settledAt + 2 + ((r >> 8) % 120));
        uint256 k = (r >> 16) % 8;
        uint48 servedAt;
        if (k == 0)
            servedAt = d.settledAt - 1; // before the payment
        else if (k == 1 && d.releaseAt < block.timestamp)
            servedAt = d.releaseAt; // at release
        else servedAt = uint48(bound(r >> 24, d.settledAt, block.timestamp - 1));
        uint32 version = (r >> 64) % 8 == 0 ? d.version + 1 : d.version;
        bytes32 blobId =
            (r >> 72) % 8 == 0 || version > registry.versionCount(d.modelId)
                ? keccak256(abi.encode("wrong blob", r))
                : registry.getVersion(d.modelId, version).blobId;
        InferenceRecord memory rec = InferenceRecord({
            format: 1,
            requestId: d.requestId,
            modelId: d.modelId,
            version: version,
            blobId: blobId,
            inputHash: keccak256(abi.encode("in", r)),
            outputHash: keccak256(abi.encode("out", r)),
            proofPath: uint8((r >> 80) % 4),
            proofCommitment: bytes32(0),
            agent: d.payer,
            node: address(this),
            servedAt: servedAt
        });
        bytes32 root = InferenceRecordLib.leafMemory(rec);
        try anchor.anchor(d.modelId, root, 1, servedAt, servedAt, bytes32(0)) {
            Judged storage j = _judged.push();
            j.details = d;
            j.root = root;
            j.record = rec;
            j.anchoredAt = uint48(block.timestamp);
        } catch {}
    }

    /// @dev The standings watcher's actions, and paying and serving (each as often as anchoring
    /// an unpaid record).
    function _act(uint256 seed) internal override {
        uint256 action = seed % 16;
        if (action == 12 || action == 13) this.pay(seed >> 8);
        else if (action == 14 || action == 15) this.serve(seed >> 8);
        else super._act(seed);
    }

    /// @notice Re-verifies the records (monotone standings) and re-judges the recent paid ones.
    function observe() public override {
        super.observe();
        uint256 n = _judged.length;
        uint256 start = n > WINDOW ? n - WINDOW : 0;
        for (uint256 i = start; i < n; ++i) {
            Judged storage j = _judged[i];
            if (block.timestamp <= j.anchoredAt) continue; // fixed from the next block on
            bytes4 proved = _probe(this.probeProve, i);
            ++judgements;
            if (j.proveSeen) {
                ++judgementComparisons;
                if (proved != j.prove) _violateJudgement("prove flipped", i, j.prove, proved);
            }
            j.prove = proved;
            j.proveSeen = true;
            if (proved == SUCCEEDED) ++conforming;
            else if (proved == IInferenceSettlement.SettlementRecordNotConforming.selector) {
                ++nonConforming;
            }

            bytes4 challenged = _probe(this.probeChallenge, i);
            if (challenged == IInferenceSettlement.SettlementChallengeClosed.selector) continue;
            if (j.challengeSeen && challenged != j.challenge) {
                _violateJudgement("challenge flipped", i, j.challenge, challenged);
            }
            j.challenge = challenged;
            j.challengeSeen = true;
            if (!_agree(proved, challenged)) {
                _violateJudgement("prove and challenge disagree", i, proved, challenged);
            }
        }
    }

    /// @notice `prove` as the payee; always reverts with {JudgementProbe}, so nothing changes.
    function probeProve(uint256 i) external {
        Judged storage j = _judged[i];
        bytes32[] memory noProof = new bytes32[](0);
        try settlement.prove(j.details, j.root, j.record, noProof) {
            revert JudgementProbe(SUCCEEDED);
        } catch (bytes memory err) {
            revert JudgementProbe(_selector(err));
        }
    }

    /// @notice `challenge` as the payer; always reverts with {JudgementProbe}.
    function probeChallenge(uint256 i) external {
        Judged storage j = _judged[i];
        bytes32[] memory noProof = new bytes32[](0);
        vm.prank(j.details.payer);
        try settlement.challenge(j.details, j.root, j.record, noProof, j.details.payer) {
            revert JudgementProbe(SUCCEEDED);
        } catch (bytes memory err) {
            revert JudgementProbe(_selector(err));
        }
    }

    function judgedCount() external view returns (uint256) {
        return _judged.length;
    }

    function paidCount() external view returns (uint256) {
        return _paid.length;
    }

    function _probe(function(uint256) external probe, uint256 i) private returns (bytes4 outcome) {
        try probe(i) {
            _violateJudgement("a probe did not revert", i, 0, 0);
        } catch (bytes memory out) {
            if (out.length != 36 || bytes4(out) != JudgementProbe.selector) {
                _violateJudgement("a probe failed", i, _selector(out), 0);
                return bytes4(0xffffffff);
            }
            assembly ("memory-safe") {
                outcome := mload(add(out, 0x24))
            }
        }
    }

    /// @dev The record conforms exactly when prove succeeds and challenge reverts
    /// RecordConforms; it does not exactly when prove reverts NotConforming and challenge
    /// succeeds; any other refusal (mismatch, not included) is the same for both.
    function _agree(bytes4 proved, bytes4 challenged) private pure returns (bool) {
        if (proved == SUCCEEDED) {
            return challenged == IInferenceSettlement.SettlementRecordConforms.selector;
        }
        if (proved == IInferenceSettlement.SettlementRecordNotConforming.selector) {
            return challenged == SUCCEEDED;
        }
        return challenged == proved;
    }

    function _selector(bytes memory err) private pure returns (bytes4) {
        return err.length < 4 ? bytes4(0xffffffff) : bytes4(err);
    }

    function _violateJudgement(
        string memory what,
        uint256 i,
        bytes4 before,
        bytes4 afterwards
    ) private {
        _violate(what, i, uint256(uint32(before)), uint256(uint32(afterwards)));
    }
}
