// SPDX-License-Identifier: MIT
// The misbehaving tokens share one base and are only ever used together, by tests.
// solhint-disable one-contract-per-file
pragma solidity 0.8.34;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title ERC20TestDouble
 * @notice TEST DOUBLE: a plain ERC-20 anyone can mint. Base of the misbehaving tokens below.
 */
contract ERC20TestDouble is ERC20 {
    constructor() ERC20("Test Token", "TEST") {}

    /// @notice Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/**
 * @title FeeOnTransferTokenTestDouble
 * @notice TEST DOUBLE: burns 1% of every transfer, as fee-on-transfer tokens do.
 */
contract FeeOnTransferTokenTestDouble is ERC20TestDouble {
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value / 100;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

/**
 * @title FalseReturningTokenTestDouble
 * @notice TEST DOUBLE: returns false instead of reverting when told to fail.
 */
contract FalseReturningTokenTestDouble is ERC20TestDouble {
    /// @notice When true, transfers return false and move nothing.
    bool public failing;

    /// @notice Turns failing on or off.
    function setFailing(bool value) external {
        failing = value;
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        return failing ? false : super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        return failing ? false : super.transferFrom(from, to, value);
    }
}

/**
 * @title BlockingTokenTestDouble
 * @notice TEST DOUBLE: refuses transfers to blocked addresses (like a stablecoin blocklist).
 */
contract BlockingTokenTestDouble is ERC20TestDouble {
    /// @notice Thrown for a transfer to a blocked address.
    error BlockingTokenTestDoubleBlocked(address account);

    /// @notice Addresses that cannot receive.
    mapping(address account => bool) public blocked;

    /// @notice Blocks or unblocks `account`.
    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[to]) revert BlockingTokenTestDoubleBlocked(to);
        super._update(from, to, value);
    }
}

/**
 * @title ReentrantTokenTestDouble
 * @notice TEST DOUBLE: on each transfer, calls back into `target` with `data` once (to prove
 * that reentrancy is refused) and records what the call returned.
 */
contract ReentrantTokenTestDouble is ERC20TestDouble {
    /// @notice The contract to call back into (not `target`: ethers reserves that name).
    address public reentryTarget;
    /// @notice The call to make.
    bytes public reentryData;
    /// @notice Whether the last reentrant call succeeded.
    bool public lastReentrySucceeded;
    /// @notice What the last reentrant call returned (the revert data if it failed).
    bytes public lastReentryResult;
    bool private _entered;

    /// @notice Arms the callback.
    function arm(address target_, bytes calldata data_) external {
        reentryTarget = target_;
        reentryData = data_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (reentryTarget != address(0) && !_entered && from != address(0)) {
            _entered = true;
            // solhint-disable-next-line avoid-low-level-calls
            (lastReentrySucceeded, lastReentryResult) = reentryTarget.call(reentryData);
            _entered = false;
        }
    }
}
