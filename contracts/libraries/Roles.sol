// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title Roles
 * @notice The suite's AccessManager role ids, in one place. The TypeScript twin is
 * `src/chain/roles.ts`; a test checks that both agree.
 * @dev ADMIN is AccessManager's built-in ADMIN_ROLE (0). It grants and revokes roles and changes
 * authorities, and carries an execution delay of at least the registry's promotion delay, so that
 * no role change can reach a model faster than a reviewed promotion could.
 */
library Roles {
    /// @notice AccessManager's ADMIN_ROLE: role grants, target wiring, authority changes (delayed).
    uint64 internal constant ADMIN = 0;
    /// @notice May register versions, and only for the models whose publisher list holds it.
    uint64 internal constant PUBLISHER = 1;
    /// @notice Creates models, sets publishers, proposes versions, sets governance parameters.
    uint64 internal constant GOVERNOR = 2;
    /// @notice Acts at once to limit damage: rollback, revoke, pause, resume, cancel a proposal.
    uint64 internal constant GUARDIAN = 3;
}
