/**
 * Typed ethers v6 bindings of the suite's contracts (TypeChain): a factory per contract to attach
 * to a deployed address (`ModelRegistry__factory.connect(address, runner)`) or to deploy one, and
 * the contract types the rest of the SDK takes. Only the suite's own contracts and interfaces are
 * here, not the test doubles or benchmark contracts compiled beside them.
 *
 * @module rollback-trail/contracts
 */
export type {
  AccessManager,
  AgentActionLog,
  IAgentActionLog,
  IInferenceAnchor,
  IInferenceSettlement,
  IModelRegistry,
  INodeRouting,
  IVersionBound,
  IZkVerifier,
  InferenceAnchor,
  InferenceSettlement,
  ModelRegistry,
  NodeRouting,
  VersionBound,
} from "../../types/ethers-contracts/index.js";
export {
  AccessManager__factory,
  AgentActionLog__factory,
  IAgentActionLog__factory,
  IInferenceAnchor__factory,
  IInferenceSettlement__factory,
  IModelRegistry__factory,
  INodeRouting__factory,
  IVersionBound__factory,
  IZkVerifier__factory,
  InferenceAnchor__factory,
  InferenceSettlement__factory,
  ModelRegistry__factory,
  NodeRouting__factory,
  VersionBound__factory,
} from "../../types/ethers-contracts/index.js";
