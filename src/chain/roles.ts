/**
 * The suite's AccessManager roles and which role may call which restricted function.
 * TypeScript twin of contracts/libraries/Roles.sol (a test checks that they agree). Tests, the
 * deployment and the verification tools all read this one table.
 */
export const Role = {
  /** AccessManager's ADMIN_ROLE: role grants, target wiring, authority changes (delayed). */
  ADMIN: 0n,
  /** Registers versions, and only of the models whose publisher list holds it. */
  PUBLISHER: 1n,
  /** Creates models, sets publishers, proposes versions, sets governance parameters. */
  GOVERNOR: 2n,
  /** Acts at once to limit damage: rollback, revoke, pause, resume, cancel a proposal. */
  GUARDIAN: 3n,
} as const;

export type RoleName = keyof typeof Role;

export const ROLE_LABELS: Record<RoleName, string> = {
  ADMIN: "ADMIN",
  PUBLISHER: "PUBLISHER",
  GOVERNOR: "GOVERNOR",
  GUARDIAN: "GUARDIAN",
};

/** Restricted functions of ModelRegistry (by name) and the role each requires. */
export const MODEL_REGISTRY_FUNCTION_ROLES = {
  createModel: "GOVERNOR",
  setPublisher: "GOVERNOR",
  propose: "GOVERNOR",
  setPromotionDelay: "GOVERNOR",
  setProposalGracePeriod: "GOVERNOR",
  registerVersion: "PUBLISHER",
  cancelProposal: "GUARDIAN",
  rollback: "GUARDIAN",
  revoke: "GUARDIAN",
  pause: "GUARDIAN",
  resume: "GUARDIAN",
} as const satisfies Record<string, RoleName>;

/**
 * Roles whose scheduled AccessManager operations the GUARDIAN may cancel. OpenZeppelin locks the
 * guardian of ADMIN_ROLE to ADMIN itself (AccessManagerLockedRole), so ADMIN is not in this list:
 * ADMIN's protection is its execution delay (at least the promotion delay).
 */
export const GUARDED_ROLES: RoleName[] = ["GOVERNOR", "PUBLISHER"];

/** Restricted functions of InferenceAnchor (by name) and the role each requires. */
export const INFERENCE_ANCHOR_FUNCTION_ROLES = {
  setOperator: "GOVERNOR",
  setMaxAnchorDelay: "GOVERNOR",
  registerEnclaveKey: "GOVERNOR",
  revokeEnclaveKey: "GUARDIAN",
  disputeBatch: "GUARDIAN",
} as const satisfies Record<string, RoleName>;

/** Restricted functions of InferenceSettlement (by name) and the role each requires. */
export const INFERENCE_SETTLEMENT_FUNCTION_ROLES = {
  setHoldPeriod: "GOVERNOR",
} as const satisfies Record<string, RoleName>;
