// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/**
 * @title ViewGasProbe
 * @notice BENCHMARK TOOL, not part of the suite: measures the gas a view call uses, as the
 * `gasleft()` difference around one `staticcall`, so that two views are compared exactly
 * (eth_estimateGas is a search with a tolerance of about a percent).
 */
contract ViewGasProbe {
    /// @notice The call failed.
    error ViewGasProbeCallFailed(bytes returnData);

    /// @notice Gas used by `target.staticcall(data)` (a cold call: the probe touched nothing).
    function measure(address target, bytes calldata data) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        (bool ok, bytes memory ret) = target.staticcall(data);
        gasUsed = before - gasleft();
        if (!ok) revert ViewGasProbeCallFailed(ret);
    }
}
