// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Roles} from "../libraries/Roles.sol";

/**
 * @title RolesHarness
 * @notice Test double exposing the {Roles} library constants, so that the TypeScript tests can
 * check that `src/chain/roles.ts` holds the same role ids as the contracts.
 * @dev Not deployed outside tests.
 */
contract RolesHarness {
    /// @notice The ADMIN role id of {Roles}.
    function admin() external pure returns (uint64) {
        return Roles.ADMIN;
    }

    /// @notice The PUBLISHER role id of {Roles}.
    function publisher() external pure returns (uint64) {
        return Roles.PUBLISHER;
    }

    /// @notice The GOVERNOR role id of {Roles}.
    function governor() external pure returns (uint64) {
        return Roles.GOVERNOR;
    }

    /// @notice The GUARDIAN role id of {Roles}.
    function guardian() external pure returns (uint64) {
        return Roles.GUARDIAN;
    }
}
