// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {INodeRouting} from "../../contracts/interfaces/INodeRouting.sol";

import {RegistryHandler} from "./RegistryHandler.sol";

/**
 * @notice Test handler for the routing invariants: the registry handler's actions (promotions,
 * cancellations, rollbacks, revocations, pauses, resumes, time), and this node (an operator of
 * both models) acknowledging the live epoch, an old one or a future one. It keeps every
 * acknowledgement that succeeded; `observe` checks that each is still stored as it was, in
 * increasing epochs, and that its epoch was live at its time (opened at or before it, closed at
 * or after it: an epoch closed later in the same block was live when it was acknowledged).
 */
contract RoutingWatcher is RegistryHandler {
    struct Ack {
        uint256 model;
        uint32 epoch;
        uint48 at;
    }

    INodeRouting public immutable routing;
    Ack[] private _acks;
    uint256 public acknowledged;
    uint256 public refused;
    bool public violated;
    string public violation;

    constructor(
        IModelRegistry registry_,
        address verifier_,
        INodeRouting routing_
    ) RegistryHandler(registry_, verifier_) {
        routing = routing_;
    }

    /// @notice One random action, then every acknowledgement re-checked.
    function step(uint256 seed) external {
        uint256 action = seed % 10;
        uint256 input = seed >> 8;
        if (action == 0) this.propose(input);
        else if (action == 1) this.activate(input);
        else if (action == 2) this.cancelProposal(input);
        else if (action == 3) this.rollback(input);
        else if (action == 4) this.revoke(input);
        else if (action == 5) this.pause(input);
        else if (action == 6) this.resume(input);
        else if (action == 7) this.advanceTime(input);
        else this.acknowledgeOne(input);
        observe();
    }

    /// @notice Acknowledges the live epoch (usually), or the one before or after it.
    function acknowledgeOne(uint256 seed) external {
        uint256 m = seed % MODELS;
        bytes32 id = models[m];
        (, uint32 live, ) = registry.live(id);
        uint256 k = (seed >> 8) % 4;
        uint32 epoch =
            k == 0
                ? live + 1
                : k == 1 && live > 0
                    ? live - 1
                    : live;
        try routing.acknowledge(id, epoch) {
            _acks.push(Ack({model: m, epoch: epoch, at: uint48(block.timestamp)}));
            ++acknowledged;
        } catch {
            ++refused;
        }
    }

    function observe() public {
        uint32[2] memory lastEpoch;
        for (uint256 i = 0; i < _acks.length; ++i) {
            Ack memory a = _acks[i];
            bytes32 id = models[a.model];
            if (routing.acknowledgedAt(id, address(this), a.epoch) != a.at) {
                _violate("an acknowledgement was lost or changed");
            }
            if (a.epoch <= lastEpoch[a.model]) _violate("acknowledged epochs do not increase");
            lastEpoch[a.model] = a.epoch;
            IModelRegistry.Epoch memory e = registry.getEpoch(id, a.epoch);
            bool open = e.endReason == IModelRegistry.EndReason.Open;
            if (e.version == 0 || e.startTime > a.at || (!open && e.endTime < a.at)) {
                _violate("an acknowledged epoch was not live at its time");
            }
        }
        for (uint256 m = 0; m < MODELS; ++m) {
            if (routing.acknowledgementCount(models[m], address(this)) != _countOf(m)) {
                _violate("the stored acknowledgements are not the ones made");
            }
        }
    }

    function ackCount() external view returns (uint256) {
        return _acks.length;
    }

    function _countOf(uint256 m) private view returns (uint256 n) {
        for (uint256 i = 0; i < _acks.length; ++i) if (_acks[i].model == m) ++n;
    }

    function _violate(string memory what) private {
        if (violated) return;
        violated = true;
        violation = what;
    }
}
