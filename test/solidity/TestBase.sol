// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/**
 * @notice The few cheatcodes these tests use. Hardhat 3's Solidity test runner (EDR) implements
 * Foundry's cheatcodes at the usual address; forge-std is not installed, so this is declared here
 * (under forge-std's name).
 */
// solhint-disable-next-line interface-starts-with-i
interface Vm {
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 revertSelector) external;
    function assume(bool condition) external pure;
    function label(address account, string calldata newLabel) external;
    function getBlockTimestamp() external view returns (uint256);
}

/// @notice An assertion failed. Each carries what was checked and the values involved.
error AssertionFailed(string what);
/// @notice Two unsigned integers differ.
error AssertionFailedUint(string what, uint256 got, uint256 want);
/// @notice Two addresses differ.
error AssertionFailedAddress(string what, address got, address want);
/// @notice Two words differ.
error AssertionFailedBytes32(string what, bytes32 got, bytes32 want);
/// @notice Two byte strings differ (typically revert data).
error AssertionFailedBytes(string what, bytes got, bytes want);
/// @notice `got` is not below (or not at most) `limit`.
error AssertionFailedBound(string what, uint256 got, uint256 limit);
/// @notice A call that had to revert succeeded.
error AssertionFailedNoRevert(string what);
/// @notice {TestBase-bound} was given an empty range.
error BoundInvalidRange(uint256 min, uint256 max);

/// @notice The cheatcode handle and `bound`, for tests and for handlers (test doubles) alike.
abstract contract CheatsBase {
    // solhint-disable-next-line const-name-snakecase
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @notice Maps `x` into `[min, max]` (forge-std's `bound`, without its logging).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (min > max) revert BoundInvalidRange(min, max);
        if (min == 0 && max == type(uint256).max) return x;
        return min + (x % (max - min + 1));
    }
}

/**
 * @notice Minimal replacement for forge-std's `Test`: the cheatcode handle, assertions that revert
 * with custom errors carrying context, `bound`, and the invariant runner's target getters.
 */
abstract contract TestBase is CheatsBase {
    /// @dev Foundry's invariant runner reads `targetSelectors()` as an array of this struct.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetContracts;
    address[] private _selectorTargets;
    mapping(address target => bytes4[] selectors) private _targetSelectors;

    // ---------------------------------------------------------------- invariant targets

    /// @notice The contracts the invariant runner calls (read by the runner).
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    /// @notice The selectors the invariant runner calls on each target (read by the runner).
    function targetSelectors() public view returns (FuzzSelector[] memory out) {
        out = new FuzzSelector[](_selectorTargets.length);
        for (uint256 i = 0; i < out.length; ++i) {
            address target = _selectorTargets[i];
            out[i] = FuzzSelector(target, _targetSelectors[target]);
        }
    }

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function targetSelector(address target, bytes4[] memory selectors) internal {
        if (_targetSelectors[target].length == 0) _selectorTargets.push(target);
        for (uint256 i = 0; i < selectors.length; ++i) {
            _targetSelectors[target].push(selectors[i]);
        }
    }

    // ---------------------------------------------------------------- assertions

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what);
    }

    function assertEq(uint256 got, uint256 want, string memory what) internal pure {
        if (got != want) revert AssertionFailedUint(what, got, want);
    }

    function assertEq(address got, address want, string memory what) internal pure {
        if (got != want) revert AssertionFailedAddress(what, got, want);
    }

    function assertEq(bytes32 got, bytes32 want, string memory what) internal pure {
        if (got != want) revert AssertionFailedBytes32(what, got, want);
    }

    function assertEq(bool got, bool want, string memory what) internal pure {
        if (got != want) revert AssertionFailedUint(what, got ? 1 : 0, want ? 1 : 0);
    }

    function assertEq(string memory got, string memory want, string memory what) internal pure {
        if (keccak256(bytes(got)) != keccak256(bytes(want))) {
            revert AssertionFailedBytes(what, bytes(got), bytes(want));
        }
    }

    function assertEqBytes(bytes memory got, bytes memory want, string memory what) internal pure {
        if (keccak256(got) != keccak256(want)) revert AssertionFailedBytes(what, got, want);
    }

    function assertLt(uint256 got, uint256 limit, string memory what) internal pure {
        if (got >= limit) revert AssertionFailedBound(what, got, limit);
    }

    function assertLe(uint256 got, uint256 limit, string memory what) internal pure {
        if (got > limit) revert AssertionFailedBound(what, got, limit);
    }

    /**
     * @notice Calls `target` with `data` and checks that it reverts with exactly `want`. Usable
     * in loops and from view contexts where `vm.expectRevert` is awkward.
     */
    function assertRevertsWith(
        address target,
        bytes memory data,
        bytes memory want,
        string memory what
    ) internal view {
        (bool ok, bytes memory got) = target.staticcall(data);
        if (ok) revert AssertionFailedNoRevert(what);
        assertEqBytes(got, want, what);
    }
}
