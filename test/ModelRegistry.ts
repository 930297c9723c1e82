import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";

import {
  CancelReason,
  Disposition,
  EndReason,
  MODEL_ID,
  OTHER_MODEL_ID,
  ProofMask,
  REASON_HASH,
  REASON_URI,
  VersionStatus,
  blobOf,
  closedEpoch,
  epochRecord,
  epochViews,
  eventNames,
  incidentRecord,
  mined,
  openEpoch,
  proposalRecord,
  registryActions,
  uriOf,
  versionRecord,
  weightsOf,
  type EpochViewRecord,
} from "./helpers/registry-actions.js";
import { GRACE_PERIOD, PROMOTION_DELAY, deployRegistry } from "./helpers/registry-fixture.js";

const connection = await network.getOrCreate();
const { ethers, networkHelpers } = connection;

const NO_PROPOSAL = {
  version: 0n,
  proposedAt: 0n,
  earliestActivation: 0n,
  expiresAt: 0n,
  priorStatus: VersionStatus.None,
};

const UINT256_MAX = 2n ** 256n - 1n;

/** The deployed registry with MODEL_ID created and `publisher` as its only publisher. */
async function fixture() {
  const f = await deployRegistry(connection);
  await (await f.registry.connect(f.governor).createModel(MODEL_ID, [f.publisher.address])).wait();
  return { ...f, act: registryActions(connection, f) };
}

function loadFixture() {
  return networkHelpers.loadFixture(fixture);
}

describe("ModelRegistry", function () {
  describe("deployment", function () {
    it("starts with the given promotion delay and grace period and no scheduled delay change", async function () {
      const { registry, manager } = await loadFixture();
      expect(await registry.promotionDelay()).to.equal(PROMOTION_DELAY);
      expect(await registry.proposalGracePeriod()).to.equal(GRACE_PERIOD);
      expect(await registry.pendingPromotionDelay()).to.deep.equal([0n, 0n]);
      expect(await registry.authority()).to.equal(await manager.getAddress());
      expect(await registry.incidentCount()).to.equal(0n);
    });

    it("rejects a promotion delay or a grace period outside its bounds", async function () {
      const { registry, manager } = await loadFixture();
      const factory = await ethers.getContractFactory("ModelRegistry");
      const authority = await manager.getAddress();
      const [minDelay, maxDelay, minGrace, maxGrace] = await Promise.all([
        registry.MIN_PROMOTION_DELAY(),
        registry.MAX_PROMOTION_DELAY(),
        registry.MIN_GRACE_PERIOD(),
        registry.MAX_GRACE_PERIOD(),
      ]);
      const cases: Array<[bigint, bigint, bigint, bigint, bigint]> = [
        [minDelay - 1n, GRACE_PERIOD, minDelay - 1n, minDelay, maxDelay],
        [maxDelay + 1n, GRACE_PERIOD, maxDelay + 1n, minDelay, maxDelay],
        [PROMOTION_DELAY, minGrace - 1n, minGrace - 1n, minGrace, maxGrace],
        [PROMOTION_DELAY, maxGrace + 1n, maxGrace + 1n, minGrace, maxGrace],
      ];
      for (const [delay, grace, value, min, max] of cases) {
        await expect(factory.deploy(authority, delay, grace))
          .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidPeriod")
          .withArgs(value, min, max);
      }
    });

    it("accepts the bounds of both periods", async function () {
      const { registry, manager } = await loadFixture();
      const authority = await manager.getAddress();
      const [minDelay, maxDelay, minGrace, maxGrace] = await Promise.all([
        registry.MIN_PROMOTION_DELAY(),
        registry.MAX_PROMOTION_DELAY(),
        registry.MIN_GRACE_PERIOD(),
        registry.MAX_GRACE_PERIOD(),
      ]);
      for (const [delay, grace] of [
        [minDelay, maxGrace],
        [maxDelay, minGrace],
      ]) {
        const deployed = await ethers.deployContract("ModelRegistry", [authority, delay, grace]);
        expect(await deployed.getFunction("promotionDelay")()).to.equal(delay);
        expect(await deployed.getFunction("proposalGracePeriod")()).to.equal(grace);
      }
    });
  });

  describe("createModel", function () {
    it("creates a model, emits ModelCreated then one PublisherSet per publisher, and allows them", async function () {
      const { registry, governor, publisher, otherPublisher, stranger } = await loadFixture();
      const publishers = [publisher.address, otherPublisher.address];
      const tx = await registry.connect(governor).createModel(OTHER_MODEL_ID, publishers);
      await expect(tx)
        .to.emit(registry, "ModelCreated")
        .withArgs(OTHER_MODEL_ID, governor.address, publishers);
      await expect(tx)
        .to.emit(registry, "PublisherSet")
        .withArgs(OTHER_MODEL_ID, publisher.address, true);
      await expect(tx)
        .to.emit(registry, "PublisherSet")
        .withArgs(OTHER_MODEL_ID, otherPublisher.address, true);
      expect(await eventNames(registry, tx)).to.deep.equal([
        "ModelCreated",
        "PublisherSet",
        "PublisherSet",
      ]);

      expect(await registry.modelExists(OTHER_MODEL_ID)).to.equal(true);
      expect(await registry.isPublisher(OTHER_MODEL_ID, publisher.address)).to.equal(true);
      expect(await registry.isPublisher(OTHER_MODEL_ID, otherPublisher.address)).to.equal(true);
      expect(await registry.isPublisher(OTHER_MODEL_ID, stranger.address)).to.equal(false);
      expect(await registry.versionCount(OTHER_MODEL_ID)).to.equal(0n);
      expect(await registry.epochCount(OTHER_MODEL_ID)).to.equal(0n);
      expect(await registry.currentVersion(OTHER_MODEL_ID)).to.equal(0n);
      expect(await registry.live(OTHER_MODEL_ID)).to.deep.equal([0n, 0n, false]);
      expect(proposalRecord(await registry.pendingProposal(OTHER_MODEL_ID))).to.deep.equal(
        NO_PROPOSAL,
      );
      expect(await registry.incidentCountOf(OTHER_MODEL_ID)).to.equal(0n);
    });

    it("creates a model without publishers, to which nobody can publish until one is set", async function () {
      const { registry, governor, publisher } = await loadFixture();
      const tx = await registry.connect(governor).createModel(OTHER_MODEL_ID, []);
      await expect(tx)
        .to.emit(registry, "ModelCreated")
        .withArgs(OTHER_MODEL_ID, governor.address, []);
      await expect(tx).not.to.emit(registry, "PublisherSet");
      expect(await registry.modelExists(OTHER_MODEL_ID)).to.equal(true);
      await expect(
        registry
          .connect(publisher)
          .registerVersion(
            OTHER_MODEL_ID,
            blobOf(OTHER_MODEL_ID, 1),
            weightsOf(OTHER_MODEL_ID, 1),
            "",
            ProofMask.TEE,
            ZeroAddress,
          ),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnauthorizedPublisher")
        .withArgs(OTHER_MODEL_ID, publisher.address);
    });

    it("rejects the zero model id", async function () {
      const { registry, governor, publisher } = await loadFixture();
      await expect(
        registry.connect(governor).createModel(ZeroHash, [publisher.address]),
      ).to.be.revertedWithCustomError(registry, "ModelRegistryZeroModelId");
      expect(await registry.modelExists(ZeroHash)).to.equal(false);
      expect(await registry.isPublisher(ZeroHash, publisher.address)).to.equal(false);
    });

    it("rejects a model id that exists already and keeps the existing publishers", async function () {
      const { registry, governor, publisher, otherPublisher } = await loadFixture();
      await expect(registry.connect(governor).createModel(MODEL_ID, [otherPublisher.address]))
        .to.be.revertedWithCustomError(registry, "ModelRegistryModelExists")
        .withArgs(MODEL_ID);
      expect(await registry.isPublisher(MODEL_ID, publisher.address)).to.equal(true);
      expect(await registry.isPublisher(MODEL_ID, otherPublisher.address)).to.equal(false);
    });

    it("rejects a zero publisher and creates nothing", async function () {
      const { registry, governor, publisher } = await loadFixture();
      await expect(
        registry.connect(governor).createModel(OTHER_MODEL_ID, [publisher.address, ZeroAddress]),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryZeroPublisher")
        .withArgs(OTHER_MODEL_ID);
      expect(await registry.modelExists(OTHER_MODEL_ID)).to.equal(false);
      expect(await registry.isPublisher(OTHER_MODEL_ID, publisher.address)).to.equal(false);
    });
  });

  describe("setPublisher", function () {
    it("allows an account to register versions of a model", async function () {
      const { registry, governor, otherPublisher } = await loadFixture();
      await expect(registry.connect(governor).setPublisher(MODEL_ID, otherPublisher.address, true))
        .to.emit(registry, "PublisherSet")
        .withArgs(MODEL_ID, otherPublisher.address, true);
      expect(await registry.isPublisher(MODEL_ID, otherPublisher.address)).to.equal(true);
      await registry
        .connect(otherPublisher)
        .registerVersion(
          MODEL_ID,
          blobOf(MODEL_ID, 1),
          weightsOf(MODEL_ID, 1),
          "",
          ProofMask.TEE,
          ZeroAddress,
        );
      expect((await registry.getVersion(MODEL_ID, 1)).publisher).to.equal(otherPublisher.address);
    });

    it("disallows a publisher, whose registrations then revert", async function () {
      const { registry, governor, publisher } = await loadFixture();
      await expect(registry.connect(governor).setPublisher(MODEL_ID, publisher.address, false))
        .to.emit(registry, "PublisherSet")
        .withArgs(MODEL_ID, publisher.address, false);
      expect(await registry.isPublisher(MODEL_ID, publisher.address)).to.equal(false);
      await expect(
        registry
          .connect(publisher)
          .registerVersion(
            MODEL_ID,
            blobOf(MODEL_ID, 1),
            weightsOf(MODEL_ID, 1),
            "",
            ProofMask.TEE,
            ZeroAddress,
          ),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnauthorizedPublisher")
        .withArgs(MODEL_ID, publisher.address);
      expect(await registry.versionCount(MODEL_ID)).to.equal(0n);
    });

    it("rejects an unknown model", async function () {
      const { registry, governor, publisher } = await loadFixture();
      await expect(registry.connect(governor).setPublisher(OTHER_MODEL_ID, publisher.address, true))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownModel")
        .withArgs(OTHER_MODEL_ID);
      expect(await registry.isPublisher(OTHER_MODEL_ID, publisher.address)).to.equal(false);
    });

    it("rejects the zero address", async function () {
      const { registry, governor } = await loadFixture();
      await expect(registry.connect(governor).setPublisher(MODEL_ID, ZeroAddress, true))
        .to.be.revertedWithCustomError(registry, "ModelRegistryZeroPublisher")
        .withArgs(MODEL_ID);
    });

    it("keeps publishers per model: a publisher of one model cannot register versions of another", async function () {
      const { registry, governor, publisher, otherPublisher, act } = await loadFixture();
      await registry.connect(governor).createModel(OTHER_MODEL_ID, [otherPublisher.address]);
      await expect(
        registry
          .connect(otherPublisher)
          .registerVersion(
            MODEL_ID,
            blobOf(MODEL_ID, 1),
            weightsOf(MODEL_ID, 1),
            "",
            ProofMask.TEE,
            ZeroAddress,
          ),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnauthorizedPublisher")
        .withArgs(MODEL_ID, otherPublisher.address);
      await expect(
        registry
          .connect(publisher)
          .registerVersion(
            OTHER_MODEL_ID,
            blobOf(OTHER_MODEL_ID, 1),
            weightsOf(OTHER_MODEL_ID, 1),
            "",
            ProofMask.TEE,
            ZeroAddress,
          ),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnauthorizedPublisher")
        .withArgs(OTHER_MODEL_ID, publisher.address);
      expect(await act.register(MODEL_ID, 1, publisher)).to.deep.equal([1n]);
      expect(await act.register(OTHER_MODEL_ID, 1, otherPublisher)).to.deep.equal([1n]);
    });

    it("does not replace the PUBLISHER role: a listed account without it is unauthorized", async function () {
      const { registry, governor, stranger } = await loadFixture();
      await registry.connect(governor).setPublisher(MODEL_ID, stranger.address, true);
      await expect(
        registry
          .connect(stranger)
          .registerVersion(
            MODEL_ID,
            blobOf(MODEL_ID, 1),
            weightsOf(MODEL_ID, 1),
            "",
            ProofMask.TEE,
            ZeroAddress,
          ),
      )
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(stranger.address);
    });
  });

  describe("registerVersion", function () {
    it("registers version 1 with every field, its time and publisher, and emits VersionRegistered", async function () {
      const { registry, publisher } = await loadFixture();
      const blob = blobOf(MODEL_ID, 1);
      const weights = weightsOf(MODEL_ID, 1);
      const uri = uriOf(MODEL_ID, 1);
      const registrar = registry.connect(publisher);
      expect(
        await registrar.registerVersion.staticCall(
          MODEL_ID,
          blob,
          weights,
          uri,
          ProofMask.TEE,
          ZeroAddress,
        ),
      ).to.equal(1n);
      const tx = await registrar.registerVersion(
        MODEL_ID,
        blob,
        weights,
        uri,
        ProofMask.TEE,
        ZeroAddress,
      );
      await expect(tx)
        .to.emit(registry, "VersionRegistered")
        .withArgs(MODEL_ID, 1n, blob, weights, ProofMask.TEE, ZeroAddress, publisher.address, uri);
      const at = await mined(tx);
      expect(versionRecord(await registry.getVersion(MODEL_ID, 1))).to.deep.equal({
        blobId: blob,
        status: VersionStatus.Registered,
        proofMask: BigInt(ProofMask.TEE),
        zkVerifier: ZeroAddress,
        registeredAt: at.timestamp,
        weightsHash: weights,
        publisher: publisher.address,
        dispositionAt: 0n,
        metadataURI: uri,
      });
      expect(await registry.versionCount(MODEL_ID)).to.equal(1n);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Registered);
      expect(await registry.versionOfBlob(MODEL_ID, blob)).to.equal(1n);
      expect(await registry.windowCount(MODEL_ID, 1)).to.equal(0n);
      expect(await registry.faultyAt(MODEL_ID, 1)).to.equal(0n);
    });

    it("numbers versions from 1 per model and never reuses a number", async function () {
      const { registry, governor, guardian, publisher, act } = await loadFixture();
      expect(await act.register(MODEL_ID, 3)).to.deep.equal([1n, 2n, 3n]);
      for (const v of [1n, 2n, 3n]) {
        expect(await registry.versionOfBlob(MODEL_ID, blobOf(MODEL_ID, v))).to.equal(v);
      }
      await registry.connect(governor).createModel(OTHER_MODEL_ID, [publisher.address]);
      expect(await act.register(OTHER_MODEL_ID)).to.deep.equal([1n]);
      await registry
        .connect(guardian)
        .revoke(MODEL_ID, 3, Disposition.Faulty, REASON_HASH, REASON_URI);
      expect(await act.register(MODEL_ID)).to.deep.equal([4n]);
      expect(await registry.versionCount(MODEL_ID)).to.equal(4n);
      expect(await registry.versionCount(OTHER_MODEL_ID)).to.equal(1n);
    });

    it("accepts every non-empty mask of defined proof paths, with a verifier exactly when ZKML is set", async function () {
      const { registry, manager, publisher } = await loadFixture();
      const verifier = await manager.getAddress();
      for (let mask = 1; mask <= ProofMask.ALL; mask++) {
        const zk = (mask & ProofMask.ZKML) !== 0 ? verifier : ZeroAddress;
        const blob = blobOf(MODEL_ID, mask);
        await expect(
          registry
            .connect(publisher)
            .registerVersion(MODEL_ID, blob, weightsOf(MODEL_ID, mask), "", mask, zk),
        )
          .to.emit(registry, "VersionRegistered")
          .withArgs(
            MODEL_ID,
            BigInt(mask),
            blob,
            weightsOf(MODEL_ID, mask),
            mask,
            zk,
            publisher.address,
            "",
          );
        const stored = await registry.getVersion(MODEL_ID, mask);
        expect(stored.proofMask).to.equal(BigInt(mask));
        expect(stored.zkVerifier).to.equal(zk);
      }
    });

    it("rejects an unknown model", async function () {
      const { registry, publisher } = await loadFixture();
      await expect(
        registry
          .connect(publisher)
          .registerVersion(
            OTHER_MODEL_ID,
            blobOf(OTHER_MODEL_ID, 1),
            ZeroHash,
            "",
            ProofMask.TEE,
            ZeroAddress,
          ),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownModel")
        .withArgs(OTHER_MODEL_ID);
    });

    it("rejects a PUBLISHER that is not a publisher of the model", async function () {
      const { registry, otherPublisher } = await loadFixture();
      await expect(
        registry
          .connect(otherPublisher)
          .registerVersion(MODEL_ID, blobOf(MODEL_ID, 1), ZeroHash, "", ProofMask.TEE, ZeroAddress),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnauthorizedPublisher")
        .withArgs(MODEL_ID, otherPublisher.address);
      expect(await registry.versionCount(MODEL_ID)).to.equal(0n);
    });

    it("rejects a zero blob id", async function () {
      const { registry, publisher } = await loadFixture();
      await expect(
        registry
          .connect(publisher)
          .registerVersion(
            MODEL_ID,
            ZeroHash,
            weightsOf(MODEL_ID, 1),
            "",
            ProofMask.TEE,
            ZeroAddress,
          ),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryZeroBlobId")
        .withArgs(MODEL_ID);
      expect(await registry.versionCount(MODEL_ID)).to.equal(0n);
    });

    it("rejects a blob already registered for the model, naming its version, but not for another model", async function () {
      const { registry, governor, publisher, act } = await loadFixture();
      await act.register(MODEL_ID, 2);
      const blob = blobOf(MODEL_ID, 2);
      await expect(
        registry
          .connect(publisher)
          .registerVersion(
            MODEL_ID,
            blob,
            weightsOf(MODEL_ID, 3),
            "",
            ProofMask.OPTIMISTIC,
            ZeroAddress,
          ),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryDuplicateBlob")
        .withArgs(MODEL_ID, blob, 2n);
      expect(await registry.versionCount(MODEL_ID)).to.equal(2n);

      await registry.connect(governor).createModel(OTHER_MODEL_ID, [publisher.address]);
      await expect(
        registry
          .connect(publisher)
          .registerVersion(OTHER_MODEL_ID, blob, ZeroHash, "", ProofMask.TEE, ZeroAddress),
      )
        .to.emit(registry, "VersionRegistered")
        .withArgs(OTHER_MODEL_ID, 1n, blob, ZeroHash, ProofMask.TEE, ZeroAddress, publisher, "");
    });

    it("rejects an empty mask and masks with undefined bits", async function () {
      const { registry, publisher } = await loadFixture();
      for (const mask of [0, 0x10, ProofMask.ALL | 0x10, 0x80, 0xff]) {
        await expect(
          registry
            .connect(publisher)
            .registerVersion(MODEL_ID, blobOf(MODEL_ID, 1), ZeroHash, "", mask, ZeroAddress),
        )
          .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidProofMask")
          .withArgs(mask);
      }
      expect(await registry.versionCount(MODEL_ID)).to.equal(0n);
    });

    it("rejects a ZKML mask without a verifier and a verifier without the ZKML bit", async function () {
      const { registry, manager, publisher } = await loadFixture();
      const verifier = await manager.getAddress();
      const mismatches: Array<[number, string]> = [
        [ProofMask.ZKML, ZeroAddress],
        [ProofMask.ALL, ZeroAddress],
        [ProofMask.TEE, verifier],
        [ProofMask.ALL & ~ProofMask.ZKML, verifier],
      ];
      for (const [mask, zk] of mismatches) {
        await expect(
          registry
            .connect(publisher)
            .registerVersion(MODEL_ID, blobOf(MODEL_ID, 1), ZeroHash, "", mask, zk),
        )
          .to.be.revertedWithCustomError(registry, "ModelRegistryVerifierMismatch")
          .withArgs(mask, zk);
      }
      expect(await registry.versionCount(MODEL_ID)).to.equal(0n);
    });

    it("rejects a ZK verifier without code", async function () {
      const { registry, publisher, stranger } = await loadFixture();
      await expect(
        registry
          .connect(publisher)
          .registerVersion(
            MODEL_ID,
            blobOf(MODEL_ID, 1),
            ZeroHash,
            "",
            ProofMask.ZKML,
            stranger.address,
          ),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryVerifierNotContract")
        .withArgs(stranger.address);
      expect(await registry.versionCount(MODEL_ID)).to.equal(0n);
    });

    it("reports versions not registered as unknown by getVersion and as None by versionStatus", async function () {
      const { registry, act } = await loadFixture();
      await act.register(MODEL_ID);
      for (const [model, version] of [
        [MODEL_ID, 0n],
        [MODEL_ID, 2n],
        [OTHER_MODEL_ID, 1n],
      ] as const) {
        await expect(registry.getVersion(model, version))
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownVersion")
          .withArgs(model, version);
        expect(await registry.versionStatus(model, version)).to.equal(VersionStatus.None);
      }
      expect(await registry.versionOfBlob(MODEL_ID, blobOf(MODEL_ID, 2))).to.equal(0n);
    });
  });

  describe("propose", function () {
    it("proposes a Registered version, activatable from the promotion delay until the grace period ends", async function () {
      const { registry, governor, act } = await loadFixture();
      await act.register(MODEL_ID);
      const tx = await registry.connect(governor).propose(MODEL_ID, 1);
      const at = await mined(tx);
      const earliest = at.timestamp + PROMOTION_DELAY;
      const expiresAt = earliest + GRACE_PERIOD;
      await expect(tx)
        .to.emit(registry, "VersionProposed")
        .withArgs(MODEL_ID, 1n, governor.address, earliest, expiresAt);
      await expect(tx).not.to.emit(registry, "ProposalCancelled");
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal({
        version: 1n,
        proposedAt: at.timestamp,
        earliestActivation: earliest,
        expiresAt,
        priorStatus: VersionStatus.Registered,
      });
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Proposed);
      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, false]);
    });

    it("proposes a Retired version and remembers that it was Retired", async function () {
      const { registry, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      const at = await act.propose(MODEL_ID, 1n);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal({
        version: 1n,
        proposedAt: at.timestamp,
        earliestActivation: at.timestamp + PROMOTION_DELAY,
        expiresAt: at.timestamp + PROMOTION_DELAY + GRACE_PERIOD,
        priorStatus: VersionStatus.Retired,
      });
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Proposed);
    });

    it("proposes a Withdrawn version again, remembers that it was Withdrawn and can make it live", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      await registry
        .connect(guardian)
        .revoke(MODEL_ID, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      await act.propose(MODEL_ID, 1n);
      expect((await registry.pendingProposal(MODEL_ID)).priorStatus).to.equal(
        VersionStatus.Withdrawn,
      );
      const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
      await act.nextBlockAt(earliestActivation);
      await registry.activate(MODEL_ID);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 1n, false]);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Active);
    });

    it("supersedes a pending proposal of another version, restores its status and restarts the full delay", async function () {
      const { registry, governor, act } = await loadFixture();
      await act.register(MODEL_ID, 2);
      const first = await act.propose(MODEL_ID, 1n);
      await act.nextBlockAt(first.timestamp + PROMOTION_DELAY / 2n);
      const tx = await registry.connect(governor).propose(MODEL_ID, 2);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 1n, governor.address, CancelReason.Superseded);
      await expect(tx)
        .to.emit(registry, "VersionProposed")
        .withArgs(
          MODEL_ID,
          2n,
          governor.address,
          at.timestamp + PROMOTION_DELAY,
          at.timestamp + PROMOTION_DELAY + GRACE_PERIOD,
        );
      expect(await eventNames(registry, tx)).to.deep.equal([
        "ProposalCancelled",
        "VersionProposed",
      ]);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Registered);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Proposed);
      expect((await registry.pendingProposal(MODEL_ID)).proposedAt).to.equal(at.timestamp);

      // The first proposal's delay has passed, the new one's has not.
      await act.nextBlockAt(first.timestamp + PROMOTION_DELAY);
      await expect(registry.activate(MODEL_ID, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(registry, "ModelRegistryActivationTooEarly")
        .withArgs(MODEL_ID, 2n, at.timestamp + PROMOTION_DELAY);
    });

    it("rejects a Faulty version", async function () {
      const { registry, governor, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      await registry
        .connect(guardian)
        .revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      await expect(registry.connect(governor).propose(MODEL_ID, 1))
        .to.be.revertedWithCustomError(registry, "ModelRegistryVersionFaulty")
        .withArgs(MODEL_ID, 1n);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(NO_PROPOSAL);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Faulty);
    });

    it("rejects the live version, and the paused version", async function () {
      const { registry, governor, guardian, act } = await loadFixture();
      await act.promote(MODEL_ID, (await act.register(MODEL_ID))[0]);
      await expect(registry.connect(governor).propose(MODEL_ID, 1))
        .to.be.revertedWithCustomError(registry, "ModelRegistryVersionLive")
        .withArgs(MODEL_ID, 1n);
      await registry.connect(guardian).pause(MODEL_ID);
      await expect(registry.connect(governor).propose(MODEL_ID, 1))
        .to.be.revertedWithCustomError(registry, "ModelRegistryVersionLive")
        .withArgs(MODEL_ID, 1n);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(NO_PROPOSAL);
    });

    it("rejects the version that is already proposed and keeps the pending proposal", async function () {
      const { registry, governor, act } = await loadFixture();
      await act.register(MODEL_ID);
      await act.propose(MODEL_ID, 1n);
      const before = proposalRecord(await registry.pendingProposal(MODEL_ID));
      await expect(registry.connect(governor).propose(MODEL_ID, 1))
        .to.be.revertedWithCustomError(registry, "ModelRegistryVersionAlreadyProposed")
        .withArgs(MODEL_ID, 1n);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(before);
    });

    it("rejects an unknown version and an unknown model", async function () {
      const { registry, governor, act } = await loadFixture();
      await act.register(MODEL_ID);
      for (const version of [0n, 2n]) {
        await expect(registry.connect(governor).propose(MODEL_ID, version))
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownVersion")
          .withArgs(MODEL_ID, version);
      }
      await expect(registry.connect(governor).propose(OTHER_MODEL_ID, 1))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownModel")
        .withArgs(OTHER_MODEL_ID);
    });

    it("lets the governor propose a version again once its proposal expired", async function () {
      const { registry, governor, act } = await loadFixture();
      await act.register(MODEL_ID);
      await act.propose(MODEL_ID, 1n);
      const { expiresAt } = await registry.pendingProposal(MODEL_ID);
      await act.nextBlockAt(expiresAt);
      await expect(registry.activate(MODEL_ID, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(registry, "ModelRegistryProposalExpired")
        .withArgs(MODEL_ID, 1n, expiresAt);

      // ModelRegistryProposalExpired: "the governor must propose again".
      const tx = await registry.connect(governor).propose(MODEL_ID, 1);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 1n, governor.address, CancelReason.Expired);
      expect(await eventNames(registry, tx)).to.deep.equal([
        "ProposalCancelled",
        "VersionProposed",
      ]);
      await expect(tx)
        .to.emit(registry, "VersionProposed")
        .withArgs(
          MODEL_ID,
          1n,
          governor.address,
          at.timestamp + PROMOTION_DELAY,
          at.timestamp + PROMOTION_DELAY + GRACE_PERIOD,
        );
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal({
        version: 1n,
        proposedAt: at.timestamp,
        earliestActivation: at.timestamp + PROMOTION_DELAY,
        expiresAt: at.timestamp + PROMOTION_DELAY + GRACE_PERIOD,
        priorStatus: VersionStatus.Registered,
      });
    });

    it("clears an expired proposal of another version with reason Expired, not Superseded", async function () {
      const { registry, governor, act } = await loadFixture();
      await act.register(MODEL_ID, 2);
      await act.propose(MODEL_ID, 1n);
      await act.mineAt((await registry.pendingProposal(MODEL_ID)).expiresAt);
      const tx = await registry.connect(governor).propose(MODEL_ID, 2);
      await expect(tx)
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 1n, governor.address, CancelReason.Expired);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Registered);
      expect((await registry.pendingProposal(MODEL_ID)).version).to.equal(2n);
    });

    it("keeps an expired proposal when the new proposal reverts", async function () {
      const { registry, governor, guardian, act } = await loadFixture();
      await act.register(MODEL_ID, 2);
      await registry
        .connect(guardian)
        .revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI);
      await act.propose(MODEL_ID, 1n);
      const before = proposalRecord(await registry.pendingProposal(MODEL_ID));
      await act.mineAt(before.expiresAt);
      await expect(registry.connect(governor).propose(MODEL_ID, 2))
        .to.be.revertedWithCustomError(registry, "ModelRegistryVersionFaulty")
        .withArgs(MODEL_ID, 2n);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(before);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Proposed);
    });
  });

  describe("activate", function () {
    it("makes the first version live in epoch 1 and emits only VersionActivated", async function () {
      const { registry, stranger, act } = await loadFixture();
      await act.register(MODEL_ID);
      await act.propose(MODEL_ID, 1n);
      const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
      await act.mineAt(earliestActivation);
      expect(await registry.connect(stranger).activate.staticCall(MODEL_ID)).to.equal(1n);
      const tx = await registry.connect(stranger).activate(MODEL_ID);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "VersionActivated")
        .withArgs(MODEL_ID, 1n, 1n, stranger.address);
      expect(await eventNames(registry, tx)).to.deep.equal(["VersionActivated"]);

      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 1n, false]);
      expect(await registry.currentVersion(MODEL_ID)).to.equal(1n);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Active);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(NO_PROPOSAL);
      expect(await registry.epochCount(MODEL_ID)).to.equal(1n);
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 1))).to.deep.equal(openEpoch(1n, at));
      expect(await registry.windowCount(MODEL_ID, 1)).to.equal(1n);
      expect(epochViews(await registry.windowsOf(MODEL_ID, 1, 0, 10))).to.deep.equal([
        { id: 1n, epoch: openEpoch(1n, at) },
      ]);
    });

    it("replaces the live version: closes its epoch as Promotion, retires it and opens the next epoch", async function () {
      const { registry, stranger, act } = await loadFixture();
      await act.register(MODEL_ID, 2);
      const first = await act.promote(MODEL_ID, 1n);
      await act.propose(MODEL_ID, 2n);
      await act.nextBlockAt((await registry.pendingProposal(MODEL_ID)).earliestActivation);
      const tx = await registry.connect(stranger).activate(MODEL_ID);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "EpochClosed")
        .withArgs(MODEL_ID, 1n, 1n, EndReason.Promotion);
      await expect(tx).to.emit(registry, "VersionRetired").withArgs(MODEL_ID, 1n);
      await expect(tx)
        .to.emit(registry, "VersionActivated")
        .withArgs(MODEL_ID, 2n, 2n, stranger.address);
      expect(await eventNames(registry, tx)).to.deep.equal([
        "EpochClosed",
        "VersionRetired",
        "VersionActivated",
      ]);

      expect(epochRecord(await registry.getEpoch(MODEL_ID, 1))).to.deep.equal(
        closedEpoch(1n, first.activated, at, EndReason.Promotion),
      );
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 2))).to.deep.equal(openEpoch(2n, at));
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Retired);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Active);
      expect(await registry.live(MODEL_ID)).to.deep.equal([2n, 2n, false]);
      expect(await registry.incidentCount()).to.equal(0n);
    });

    it("reverts one second before earliestActivation and succeeds exactly at it", async function () {
      const { registry, act } = await loadFixture();
      await act.register(MODEL_ID);
      await act.propose(MODEL_ID, 1n);
      const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
      await act.nextBlockAt(earliestActivation - 1n);
      await expect(registry.activate(MODEL_ID, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(registry, "ModelRegistryActivationTooEarly")
        .withArgs(MODEL_ID, 1n, earliestActivation);
      expect(await act.now()).to.equal(earliestActivation - 1n);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Proposed);

      const at = await mined(registry.activate(MODEL_ID));
      expect(at.timestamp).to.equal(earliestActivation);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 1n, false]);
    });

    it("succeeds one second before expiresAt", async function () {
      const { registry, act } = await loadFixture();
      await act.register(MODEL_ID);
      await act.propose(MODEL_ID, 1n);
      const { expiresAt } = await registry.pendingProposal(MODEL_ID);
      await act.nextBlockAt(expiresAt - 1n);
      const at = await mined(registry.activate(MODEL_ID));
      expect(at.timestamp).to.equal(expiresAt - 1n);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 1n, false]);
    });

    it("reverts exactly at expiresAt and leaves the proposal pending", async function () {
      const { registry, act } = await loadFixture();
      await act.register(MODEL_ID);
      await act.propose(MODEL_ID, 1n);
      const before = proposalRecord(await registry.pendingProposal(MODEL_ID));
      await act.nextBlockAt(before.expiresAt);
      await expect(registry.activate(MODEL_ID, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(registry, "ModelRegistryProposalExpired")
        .withArgs(MODEL_ID, 1n, before.expiresAt);
      expect(await act.now()).to.equal(before.expiresAt);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(before);
      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, false]);
    });

    it("reverts without a pending proposal and for an unknown model", async function () {
      const { registry, act } = await loadFixture();
      await act.register(MODEL_ID);
      await expect(registry.activate(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNoPendingProposal")
        .withArgs(MODEL_ID);
      await expect(registry.activate(OTHER_MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownModel")
        .withArgs(OTHER_MODEL_ID);
    });

    it("is blocked while the model is paused, and works again after the guardian resumes", async function () {
      const { registry, guardian, stranger, act } = await loadFixture();
      await act.register(MODEL_ID, 2);
      await act.promote(MODEL_ID, 1n);
      await act.propose(MODEL_ID, 2n);
      await registry.connect(guardian).pause(MODEL_ID);
      const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
      await act.nextBlockAt(earliestActivation);
      await expect(registry.activate(MODEL_ID, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(registry, "ModelRegistryModelPaused")
        .withArgs(MODEL_ID);
      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, true]);

      await registry.connect(guardian).resume(MODEL_ID);
      await expect(registry.connect(stranger).activate(MODEL_ID))
        .to.emit(registry, "VersionActivated")
        .withArgs(MODEL_ID, 2n, 3n, stranger.address);
      expect(await registry.live(MODEL_ID)).to.deep.equal([2n, 3n, false]);
    });
  });

  describe("cancelProposal", function () {
    it("cancels the pending proposal, restores the prior status and leaves nothing to activate", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      await act.propose(MODEL_ID, 1n);
      const { earliestActivation } = await registry.pendingProposal(MODEL_ID);
      await expect(registry.connect(guardian).cancelProposal(MODEL_ID))
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 1n, guardian.address, CancelReason.Guardian);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(NO_PROPOSAL);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Registered);
      await act.nextBlockAt(earliestActivation);
      await expect(registry.activate(MODEL_ID, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNoPendingProposal")
        .withArgs(MODEL_ID);
    });

    it("restores Retired, so a version proposed and then cancelled is a valid rollback target again", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      await act.propose(MODEL_ID, 1n);
      await registry.connect(guardian).cancelProposal(MODEL_ID);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Retired);
      await expect(
        registry
          .connect(guardian)
          .rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      )
        .to.emit(registry, "RolledBack")
        .withArgs(MODEL_ID, 2n, 1n, 1n, Disposition.Faulty, guardian.address);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 3n, false]);
    });

    it("cancels an expired proposal too", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      await act.propose(MODEL_ID, 1n);
      await act.mineAt((await registry.pendingProposal(MODEL_ID)).expiresAt);
      await expect(registry.connect(guardian).cancelProposal(MODEL_ID))
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 1n, guardian.address, CancelReason.Guardian);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Registered);
    });

    it("rejects a model without a pending proposal and an unknown model", async function () {
      const { registry, guardian } = await loadFixture();
      await expect(registry.connect(guardian).cancelProposal(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNoPendingProposal")
        .withArgs(MODEL_ID);
      await expect(registry.connect(guardian).cancelProposal(OTHER_MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownModel")
        .withArgs(OTHER_MODEL_ID);
    });
  });

  describe("rollback", function () {
    it("takes the live version down as Faulty, opens an incident and makes the target live in a new epoch", async function () {
      const { registry, guardian, act } = await loadFixture();
      const [, second] = await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      const guard = registry.connect(guardian);
      expect(
        await guard.rollback.staticCall(
          MODEL_ID,
          2,
          1,
          Disposition.Faulty,
          REASON_HASH,
          REASON_URI,
        ),
      ).to.equal(1n);
      const tx = await guard.rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "EpochClosed")
        .withArgs(MODEL_ID, 2n, 2n, EndReason.Rollback);
      await expect(tx)
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          1n,
          MODEL_ID,
          2n,
          Disposition.Faulty,
          1n,
          1n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      await expect(tx)
        .to.emit(registry, "RolledBack")
        .withArgs(MODEL_ID, 2n, 1n, 1n, Disposition.Faulty, guardian.address);
      await expect(tx)
        .to.emit(registry, "VersionActivated")
        .withArgs(MODEL_ID, 1n, 3n, guardian.address);
      expect(await eventNames(registry, tx)).to.deep.equal([
        "EpochClosed",
        "IncidentOpened",
        "RolledBack",
        "VersionActivated",
      ]);

      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 3n, false]);
      expect(await registry.currentVersion(MODEL_ID)).to.equal(1n);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Active);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Faulty);
      expect((await registry.getVersion(MODEL_ID, 2)).dispositionAt).to.equal(at.timestamp);
      expect(await registry.faultyAt(MODEL_ID, 2)).to.equal(at.timestamp);
      const secondEpoch = closedEpoch(2n, second.activated, at, EndReason.Rollback);
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 2))).to.deep.equal(secondEpoch);
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 3))).to.deep.equal(openEpoch(1n, at));
      expect((await registry.windowsOf(MODEL_ID, 1, 0, 10)).map((w) => w.id)).to.deep.equal([
        1n,
        3n,
      ]);

      expect(incidentRecord(await registry.getIncident(1))).to.deep.equal({
        modelId: MODEL_ID,
        by: guardian.address,
        at: at.timestamp,
        atBlock: at.blockNumber,
        version: 2n,
        target: 1n,
        windowCount: 1n,
        disposition: Disposition.Faulty,
        reasonHash: REASON_HASH,
        reasonURI: REASON_URI,
      });
      expect(await registry.incidentCount()).to.equal(1n);
      expect(await registry.incidentCountOf(MODEL_ID)).to.equal(1n);
      expect(await registry.incidentsOf(MODEL_ID, 0, 10)).to.deep.equal([1n]);
      expect(await registry.incidentsOfVersion(MODEL_ID, 2, 0, 10)).to.deep.equal([1n]);
      expect(await registry.incidentsOfVersion(MODEL_ID, 1, 0, 10)).to.deep.equal([]);
      expect(epochViews(await registry.incidentWindows(1, 0, 10))).to.deep.equal([
        { id: 2n, epoch: secondEpoch },
      ]);
    });

    it("marks the version Withdrawn when asked: not Faulty, and it may be proposed again", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      const tx = await registry
        .connect(guardian)
        .rollback(MODEL_ID, 2, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "RolledBack")
        .withArgs(MODEL_ID, 2n, 1n, 1n, Disposition.Withdrawn, guardian.address);
      await expect(tx)
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          1n,
          MODEL_ID,
          2n,
          Disposition.Withdrawn,
          1n,
          1n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Withdrawn);
      expect((await registry.getVersion(MODEL_ID, 2)).dispositionAt).to.equal(at.timestamp);
      expect(await registry.faultyAt(MODEL_ID, 2)).to.equal(0n);
      expect((await registry.getIncident(1)).disposition).to.equal(Disposition.Withdrawn);

      await act.propose(MODEL_ID, 2n);
      expect((await registry.pendingProposal(MODEL_ID)).priorStatus).to.equal(
        VersionStatus.Withdrawn,
      );
    });

    it("rolls back a paused model: the paused version is taken down, no epoch closes again and the pause ends", async function () {
      const { registry, guardian, act } = await loadFixture();
      const [, second] = await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      const paused = await mined(registry.connect(guardian).pause(MODEL_ID));
      const tx = await registry
        .connect(guardian)
        .rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      const at = await mined(tx);
      await expect(tx).not.to.emit(registry, "EpochClosed");
      await expect(tx)
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          1n,
          MODEL_ID,
          2n,
          Disposition.Faulty,
          1n,
          1n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      await expect(tx)
        .to.emit(registry, "RolledBack")
        .withArgs(MODEL_ID, 2n, 1n, 1n, Disposition.Faulty, guardian.address);
      await expect(tx)
        .to.emit(registry, "VersionActivated")
        .withArgs(MODEL_ID, 1n, 3n, guardian.address);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 3n, false]);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Faulty);
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 2))).to.deep.equal(
        closedEpoch(2n, second.activated, paused, EndReason.Pause),
      );
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 3))).to.deep.equal(openEpoch(1n, at));
    });

    it("cancels a pending proposal of another version with reason Rollback", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID, 3);
      await act.promoteAll(MODEL_ID, [1n, 2n]);
      await act.propose(MODEL_ID, 3n);
      const tx = await registry
        .connect(guardian)
        .rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      await expect(tx)
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 3n, guardian.address, CancelReason.Rollback);
      expect(await eventNames(registry, tx)).to.deep.equal([
        "ProposalCancelled",
        "EpochClosed",
        "IncidentOpened",
        "RolledBack",
        "VersionActivated",
      ]);
      expect(await registry.versionStatus(MODEL_ID, 3)).to.equal(VersionStatus.Registered);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(NO_PROPOSAL);
    });

    it("accepts a Retired target that is the pending proposal, cancelling that proposal", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      await act.propose(MODEL_ID, 1n);
      const tx = await registry
        .connect(guardian)
        .rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      await expect(tx)
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 1n, guardian.address, CancelReason.Rollback);
      await expect(tx)
        .to.emit(registry, "VersionActivated")
        .withArgs(MODEL_ID, 1n, 3n, guardian.address);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Active);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 3n, false]);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(NO_PROPOSAL);
    });

    it("references every window of the version up to the incident, and only those", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      await registry.connect(guardian).pause(MODEL_ID);
      await registry.connect(guardian).resume(MODEL_ID);
      await expect(
        registry
          .connect(guardian)
          .rollback(MODEL_ID, 2, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI),
      )
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          1n,
          MODEL_ID,
          2n,
          Disposition.Withdrawn,
          1n,
          2n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      const windowsAtIncident = epochViews(await registry.windowsOf(MODEL_ID, 2, 0, 10));
      expect(windowsAtIncident.map((w) => w.id)).to.deep.equal([2n, 3n]);

      // v2 (Withdrawn) goes live again: a third window that the incident does not reference.
      await act.promote(MODEL_ID, 2n);
      expect(await registry.windowCount(MODEL_ID, 2)).to.equal(3n);
      expect((await registry.getIncident(1)).windowCount).to.equal(2n);
      expect(epochViews(await registry.incidentWindows(1, 0, 10))).to.deep.equal(windowsAtIncident);
    });

    it("rejects disposition None", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      await expect(
        registry
          .connect(guardian)
          .rollback(MODEL_ID, 2, 1, Disposition.None, REASON_HASH, REASON_URI),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidDisposition")
        .withArgs(Disposition.None);
      expect(await registry.live(MODEL_ID)).to.deep.equal([2n, 2n, false]);
      expect(await registry.incidentCount()).to.equal(0n);
    });

    it("rejects a rollback when nothing was ever live", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      await expect(
        registry
          .connect(guardian)
          .rollback(MODEL_ID, 0, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryNothingToRollBack")
        .withArgs(MODEL_ID);
    });

    it("rejects a rollback after the live version was revoked", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      await registry
        .connect(guardian)
        .revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI);
      await expect(
        registry
          .connect(guardian)
          .rollback(MODEL_ID, 0, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryNothingToRollBack")
        .withArgs(MODEL_ID);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Retired);
    });

    it("rejects an unknown target version and an unknown model", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      for (const version of [0n, 3n]) {
        await expect(
          registry
            .connect(guardian)
            .rollback(MODEL_ID, 2, version, Disposition.Faulty, REASON_HASH, REASON_URI),
        )
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownVersion")
          .withArgs(MODEL_ID, version);
      }
      await expect(
        registry
          .connect(guardian)
          .rollback(OTHER_MODEL_ID, 0, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      )
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownModel")
        .withArgs(OTHER_MODEL_ID);
    });

    it("rejects a target that is not Retired, naming its status", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID, 5);
      await act.promoteAll(MODEL_ID, [1n, 2n]);
      const guard = registry.connect(guardian);
      await guard.revoke(MODEL_ID, 4, Disposition.Faulty, REASON_HASH, REASON_URI);
      await guard.revoke(MODEL_ID, 5, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      const cases: Array<[bigint, bigint]> = [
        [2n, VersionStatus.Active],
        [3n, VersionStatus.Registered],
        [4n, VersionStatus.Faulty],
        [5n, VersionStatus.Withdrawn],
      ];
      for (const [version, status] of cases) {
        await expect(
          guard.rollback(MODEL_ID, 2, version, Disposition.Faulty, REASON_HASH, REASON_URI),
        )
          .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidRollbackTarget")
          .withArgs(MODEL_ID, version, status);
      }
      // A proposed target is judged by the status it had before the proposal.
      await act.propose(MODEL_ID, 3n);
      await expect(guard.rollback(MODEL_ID, 2, 3, Disposition.Faulty, REASON_HASH, REASON_URI))
        .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidRollbackTarget")
        .withArgs(MODEL_ID, 3n, VersionStatus.Registered);
      expect((await registry.pendingProposal(MODEL_ID)).version).to.equal(3n);
      expect(await registry.live(MODEL_ID)).to.deep.equal([2n, 2n, false]);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Active);
      expect(await registry.incidentCount()).to.equal(0n);
    });

    it("rejects a rollback whose fromVersion was replaced by a front-run activation, changing nothing", async function () {
      const { registry, guardian, stranger, act } = await loadFixture();
      await act.register(MODEL_ID, 3);
      await act.promoteAll(MODEL_ID, [1n, 2n]);
      await act.propose(MODEL_ID, 3n);
      // The guardian found v2 bad, but before its rollback lands anyone may activate v3.
      await act.nextBlockAt((await registry.pendingProposal(MODEL_ID)).earliestActivation);
      await expect(registry.connect(stranger).activate(MODEL_ID))
        .to.emit(registry, "VersionActivated")
        .withArgs(MODEL_ID, 3n, 3n, stranger.address);
      const guard = registry.connect(guardian);
      await expect(guard.rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnexpectedCurrentVersion")
        .withArgs(MODEL_ID, 2n, 3n);

      // Nothing changed: v3 is live, v2 is still Retired (not Faulty), no incident.
      expect(await registry.live(MODEL_ID)).to.deep.equal([3n, 3n, false]);
      expect(await registry.currentVersion(MODEL_ID)).to.equal(3n);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Retired);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Retired);
      expect(await registry.versionStatus(MODEL_ID, 3)).to.equal(VersionStatus.Active);
      expect((await registry.getVersion(MODEL_ID, 2)).dispositionAt).to.equal(0n);
      expect(await registry.epochCount(MODEL_ID)).to.equal(3n);
      expect(await registry.incidentCount()).to.equal(0n);

      // The guardian then takes v2 down by revocation (it was live: an incident)...
      const revoked = guard.revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI);
      await expect(revoked)
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          1n,
          MODEL_ID,
          2n,
          Disposition.Faulty,
          0n,
          1n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      await expect(revoked)
        .to.emit(registry, "VersionRevoked")
        .withArgs(MODEL_ID, 2n, 1n, Disposition.Faulty, guardian.address, REASON_HASH, REASON_URI);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Faulty);
      expect(await registry.live(MODEL_ID)).to.deep.equal([3n, 3n, false]);
      // ...and v2 can no longer be a rollback target.
      await expect(guard.rollback(MODEL_ID, 3, 2, Disposition.Faulty, REASON_HASH, REASON_URI))
        .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidRollbackTarget")
        .withArgs(MODEL_ID, 2n, VersionStatus.Faulty);

      // Rolling back v3 (naming it) to v1 works.
      await expect(guard.rollback(MODEL_ID, 3, 1, Disposition.Faulty, REASON_HASH, REASON_URI))
        .to.emit(registry, "RolledBack")
        .withArgs(MODEL_ID, 3n, 1n, 2n, Disposition.Faulty, guardian.address);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 4n, false]);
      expect(await registry.versionStatus(MODEL_ID, 3)).to.equal(VersionStatus.Faulty);
      expect(await registry.incidentsOf(MODEL_ID, 0, 10)).to.deep.equal([1n, 2n]);
    });

    it("requires the paused pre-pause version as fromVersion while paused, keeping the pause on a mismatch", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 3));
      const guard = registry.connect(guardian);
      const paused = await mined(guard.pause(MODEL_ID));
      for (const from of [0n, 1n, 2n, 4n]) {
        await expect(guard.rollback(MODEL_ID, from, 2, Disposition.Faulty, REASON_HASH, REASON_URI))
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnexpectedCurrentVersion")
          .withArgs(MODEL_ID, from, 3n);
      }
      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, true]);
      expect(await registry.pausedSince(MODEL_ID)).to.equal(paused.timestamp);
      expect(await registry.currentVersion(MODEL_ID)).to.equal(3n);
      expect(await registry.versionStatus(MODEL_ID, 3)).to.equal(VersionStatus.Active);
      expect(await registry.incidentCount()).to.equal(0n);

      await expect(guard.rollback(MODEL_ID, 3, 2, Disposition.Faulty, REASON_HASH, REASON_URI))
        .to.emit(registry, "RolledBack")
        .withArgs(MODEL_ID, 3n, 2n, 1n, Disposition.Faulty, guardian.address);
      expect(await registry.live(MODEL_ID)).to.deep.equal([2n, 4n, false]);
      expect(await registry.pausedSince(MODEL_ID)).to.equal(0n);
    });

    it("checks the disposition, then that something is current, then fromVersion, then the target", async function () {
      const { registry, guardian, act } = await loadFixture();
      const guard = registry.connect(guardian);
      await act.register(MODEL_ID, 2);
      // Nothing was ever live: NothingToRollBack, whatever fromVersion names.
      for (const from of [1n, 2n]) {
        await expect(guard.rollback(MODEL_ID, from, 1, Disposition.Faulty, REASON_HASH, REASON_URI))
          .to.be.revertedWithCustomError(registry, "ModelRegistryNothingToRollBack")
          .withArgs(MODEL_ID);
      }
      await act.promoteAll(MODEL_ID, [1n, 2n]);
      // A wrong fromVersion does not hide a wrong disposition...
      await expect(guard.rollback(MODEL_ID, 1, 1, Disposition.None, REASON_HASH, REASON_URI))
        .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidDisposition")
        .withArgs(Disposition.None);
      // ...and is reported before an invalid or unknown target.
      for (const target of [2n, 3n]) {
        await expect(
          guard.rollback(MODEL_ID, 1, target, Disposition.Faulty, REASON_HASH, REASON_URI),
        )
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnexpectedCurrentVersion")
          .withArgs(MODEL_ID, 1n, 2n);
      }
      // After the live version is revoked nothing is current: NothingToRollBack even when
      // fromVersion names the version that was live.
      await guard.revoke(MODEL_ID, 2, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      await expect(guard.rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNothingToRollBack")
        .withArgs(MODEL_ID);
      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, false]);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Retired);
      expect(await registry.incidentCount()).to.equal(1n);
    });
  });

  describe("revoke", function () {
    it("revokes a Registered version as Faulty without an incident", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      const guard = registry.connect(guardian);
      expect(
        await guard.revoke.staticCall(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      ).to.equal(0n);
      const tx = await guard.revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "VersionRevoked")
        .withArgs(MODEL_ID, 1n, 0n, Disposition.Faulty, guardian.address, REASON_HASH, REASON_URI);
      expect(await eventNames(registry, tx)).to.deep.equal(["VersionRevoked"]);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Faulty);
      expect((await registry.getVersion(MODEL_ID, 1)).dispositionAt).to.equal(at.timestamp);
      expect(await registry.faultyAt(MODEL_ID, 1)).to.equal(at.timestamp);
      expect(await registry.incidentCount()).to.equal(0n);
      expect(await registry.incidentsOfVersion(MODEL_ID, 1, 0, 10)).to.deep.equal([]);
    });

    it("revokes a Registered version as Withdrawn without an incident", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      const tx = await registry
        .connect(guardian)
        .revoke(MODEL_ID, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "VersionRevoked")
        .withArgs(
          MODEL_ID,
          1n,
          0n,
          Disposition.Withdrawn,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Withdrawn);
      expect((await registry.getVersion(MODEL_ID, 1)).dispositionAt).to.equal(at.timestamp);
      expect(await registry.faultyAt(MODEL_ID, 1)).to.equal(0n);
      expect(await registry.incidentCount()).to.equal(0n);
    });

    it("revokes a proposed version that was never live: cancels the proposal with reason Revoke, no incident", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      await act.propose(MODEL_ID, 1n);
      const tx = await registry
        .connect(guardian)
        .revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      await expect(tx)
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 1n, guardian.address, CancelReason.Revoke);
      await expect(tx)
        .to.emit(registry, "VersionRevoked")
        .withArgs(MODEL_ID, 1n, 0n, Disposition.Faulty, guardian.address, REASON_HASH, REASON_URI);
      expect(await eventNames(registry, tx)).to.deep.equal(["ProposalCancelled", "VersionRevoked"]);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(NO_PROPOSAL);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Faulty);
      expect(await registry.incidentCount()).to.equal(0n);
    });

    it("revokes a proposed version that was live before: cancels the proposal and opens an incident", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      await act.propose(MODEL_ID, 1n);
      const tx = await registry
        .connect(guardian)
        .revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      await expect(tx)
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 1n, guardian.address, CancelReason.Revoke);
      await expect(tx)
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          1n,
          MODEL_ID,
          1n,
          Disposition.Faulty,
          0n,
          1n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      await expect(tx)
        .to.emit(registry, "VersionRevoked")
        .withArgs(MODEL_ID, 1n, 1n, Disposition.Faulty, guardian.address, REASON_HASH, REASON_URI);
      await expect(tx).not.to.emit(registry, "EpochClosed");
      expect(await registry.live(MODEL_ID)).to.deep.equal([2n, 2n, false]);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Faulty);
    });

    it("revokes a Retired version without touching the live one, referencing its windows", async function () {
      const { registry, guardian, act } = await loadFixture();
      const [, second] = await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 3));
      const guard = registry.connect(guardian);
      expect(
        await guard.revoke.staticCall(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI),
      ).to.equal(1n);
      const tx = await guard.revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          1n,
          MODEL_ID,
          2n,
          Disposition.Faulty,
          0n,
          1n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      await expect(tx)
        .to.emit(registry, "VersionRevoked")
        .withArgs(MODEL_ID, 2n, 1n, Disposition.Faulty, guardian.address, REASON_HASH, REASON_URI);
      expect(await eventNames(registry, tx)).to.deep.equal(["IncidentOpened", "VersionRevoked"]);
      expect(await registry.live(MODEL_ID)).to.deep.equal([3n, 3n, false]);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Faulty);
      expect(incidentRecord(await registry.getIncident(1))).to.deep.equal({
        modelId: MODEL_ID,
        by: guardian.address,
        at: at.timestamp,
        atBlock: at.blockNumber,
        version: 2n,
        target: 0n,
        windowCount: 1n,
        disposition: Disposition.Faulty,
        reasonHash: REASON_HASH,
        reasonURI: REASON_URI,
      });
      const [third] = (await registry.windowsOf(MODEL_ID, 3, 0, 1)).map((w) => w.epoch);
      expect(epochViews(await registry.incidentWindows(1, 0, 10))).to.deep.equal([
        {
          id: 2n,
          epoch: {
            ...openEpoch(2n, second.activated),
            endTime: third.startTime,
            endBlock: third.startBlock,
            endReason: EndReason.Promotion,
          },
        },
      ]);
    });

    it("revokes the live version: closes its epoch as Revoke, leaves nothing live and cancels a pending proposal", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID, 2);
      const first = await act.promote(MODEL_ID, 1n);
      await act.propose(MODEL_ID, 2n);
      const tx = await registry
        .connect(guardian)
        .revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "ProposalCancelled")
        .withArgs(MODEL_ID, 2n, guardian.address, CancelReason.Revoke);
      await expect(tx)
        .to.emit(registry, "EpochClosed")
        .withArgs(MODEL_ID, 1n, 1n, EndReason.Revoke);
      await expect(tx)
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          1n,
          MODEL_ID,
          1n,
          Disposition.Faulty,
          0n,
          1n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      await expect(tx)
        .to.emit(registry, "VersionRevoked")
        .withArgs(MODEL_ID, 1n, 1n, Disposition.Faulty, guardian.address, REASON_HASH, REASON_URI);
      expect(await eventNames(registry, tx)).to.deep.equal([
        "ProposalCancelled",
        "EpochClosed",
        "IncidentOpened",
        "VersionRevoked",
      ]);

      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, false]);
      expect(await registry.currentVersion(MODEL_ID)).to.equal(0n);
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 1))).to.deep.equal(
        closedEpoch(1n, first.activated, at, EndReason.Revoke),
      );
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Registered);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(NO_PROPOSAL);
      await expect(registry.connect(guardian).pause(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNothingLive")
        .withArgs(MODEL_ID);

      // A new version then needs a full promotion, which closes no epoch.
      const proposed = await act.propose(MODEL_ID, 2n);
      await act.nextBlockAt(proposed.timestamp + PROMOTION_DELAY);
      const activation = await registry.activate(MODEL_ID);
      await expect(activation).not.to.emit(registry, "EpochClosed");
      await expect(activation).not.to.emit(registry, "VersionRetired");
      expect(await registry.live(MODEL_ID)).to.deep.equal([2n, 2n, false]);
    });

    it("revokes the paused version: no epoch closes again and the model is no longer paused", async function () {
      const { registry, guardian, act } = await loadFixture();
      const first = await act.promote(MODEL_ID, (await act.register(MODEL_ID))[0]);
      const paused = await mined(registry.connect(guardian).pause(MODEL_ID));
      const tx = await registry
        .connect(guardian)
        .revoke(MODEL_ID, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      await expect(tx).not.to.emit(registry, "EpochClosed");
      await expect(tx)
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          1n,
          MODEL_ID,
          1n,
          Disposition.Withdrawn,
          0n,
          1n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      await expect(tx)
        .to.emit(registry, "VersionRevoked")
        .withArgs(
          MODEL_ID,
          1n,
          1n,
          Disposition.Withdrawn,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, false]);
      expect(await registry.currentVersion(MODEL_ID)).to.equal(0n);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Withdrawn);
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 1))).to.deep.equal(
        closedEpoch(1n, first.activated, paused, EndReason.Pause),
      );
      await expect(registry.connect(guardian).resume(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNotPaused")
        .withArgs(MODEL_ID);
    });

    it("escalates a Withdrawn version that was live to Faulty, with a second incident", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      await registry
        .connect(guardian)
        .rollback(MODEL_ID, 2, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      const tx = await registry
        .connect(guardian)
        .revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "IncidentOpened")
        .withArgs(
          2n,
          MODEL_ID,
          2n,
          Disposition.Faulty,
          0n,
          1n,
          guardian.address,
          REASON_HASH,
          REASON_URI,
        );
      await expect(tx)
        .to.emit(registry, "VersionRevoked")
        .withArgs(MODEL_ID, 2n, 2n, Disposition.Faulty, guardian.address, REASON_HASH, REASON_URI);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Faulty);
      expect((await registry.getVersion(MODEL_ID, 2)).dispositionAt).to.equal(at.timestamp);
      expect(await registry.faultyAt(MODEL_ID, 2)).to.equal(at.timestamp);
      expect(await registry.incidentsOfVersion(MODEL_ID, 2, 0, 10)).to.deep.equal([1n, 2n]);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 3n, false]);
    });

    it("escalates a never-live Withdrawn version to Faulty without an incident", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      const guard = registry.connect(guardian);
      await guard.revoke(MODEL_ID, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      await expect(guard.revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI))
        .to.emit(registry, "VersionRevoked")
        .withArgs(MODEL_ID, 1n, 0n, Disposition.Faulty, guardian.address, REASON_HASH, REASON_URI);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Faulty);
      expect(await registry.incidentCount()).to.equal(0n);
    });

    it("rejects withdrawing a Withdrawn version again", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      const guard = registry.connect(guardian);
      await guard.revoke(MODEL_ID, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      const before = versionRecord(await registry.getVersion(MODEL_ID, 1));
      await expect(guard.revoke(MODEL_ID, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNotRevocable")
        .withArgs(MODEL_ID, 1n, VersionStatus.Withdrawn, Disposition.Withdrawn);
      expect(versionRecord(await registry.getVersion(MODEL_ID, 1))).to.deep.equal(before);
    });

    it("rejects any revocation of a Faulty version: Faulty is terminal", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      const guard = registry.connect(guardian);
      await guard.revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      const before = versionRecord(await registry.getVersion(MODEL_ID, 1));
      for (const disposition of [Disposition.Faulty, Disposition.Withdrawn]) {
        await expect(guard.revoke(MODEL_ID, 1, disposition, REASON_HASH, REASON_URI))
          .to.be.revertedWithCustomError(registry, "ModelRegistryNotRevocable")
          .withArgs(MODEL_ID, 1n, VersionStatus.Faulty, disposition);
      }
      expect(versionRecord(await registry.getVersion(MODEL_ID, 1))).to.deep.equal(before);
    });

    it("rejects disposition None, an unknown version and an unknown model", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID);
      const guard = registry.connect(guardian);
      await expect(guard.revoke(MODEL_ID, 1, Disposition.None, REASON_HASH, REASON_URI))
        .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidDisposition")
        .withArgs(Disposition.None);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Registered);
      for (const version of [0n, 2n]) {
        await expect(guard.revoke(MODEL_ID, version, Disposition.Faulty, REASON_HASH, REASON_URI))
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownVersion")
          .withArgs(MODEL_ID, version);
      }
      await expect(guard.revoke(OTHER_MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownModel")
        .withArgs(OTHER_MODEL_ID);
    });
  });

  describe("pause and resume", function () {
    it("pauses the live version: closes its epoch as Pause, nothing is live, the version is kept", async function () {
      const { registry, guardian, act } = await loadFixture();
      const first = await act.promote(MODEL_ID, (await act.register(MODEL_ID))[0]);
      const tx = await registry.connect(guardian).pause(MODEL_ID);
      const at = await mined(tx);
      await expect(tx).to.emit(registry, "EpochClosed").withArgs(MODEL_ID, 1n, 1n, EndReason.Pause);
      await expect(tx).to.emit(registry, "ModelPaused").withArgs(MODEL_ID, 1n, guardian.address);
      expect(await eventNames(registry, tx)).to.deep.equal(["EpochClosed", "ModelPaused"]);
      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, true]);
      expect(await registry.currentVersion(MODEL_ID)).to.equal(1n);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Active);
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 1))).to.deep.equal(
        closedEpoch(1n, first.activated, at, EndReason.Pause),
      );
    });

    it("resumes the pre-pause version in a new epoch", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promote(MODEL_ID, (await act.register(MODEL_ID))[0]);
      await registry.connect(guardian).pause(MODEL_ID);
      expect(await registry.connect(guardian).resume.staticCall(MODEL_ID)).to.equal(2n);
      const tx = await registry.connect(guardian).resume(MODEL_ID);
      const at = await mined(tx);
      await expect(tx).to.emit(registry, "ModelResumed").withArgs(MODEL_ID, 1n, guardian.address);
      await expect(tx)
        .to.emit(registry, "VersionActivated")
        .withArgs(MODEL_ID, 1n, 2n, guardian.address);
      expect(await eventNames(registry, tx)).to.deep.equal(["ModelResumed", "VersionActivated"]);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 2n, false]);
      expect(epochRecord(await registry.getEpoch(MODEL_ID, 2))).to.deep.equal(openEpoch(1n, at));
      expect((await registry.windowsOf(MODEL_ID, 1, 0, 10)).map((w) => w.id)).to.deep.equal([
        1n,
        2n,
      ]);
    });

    it("rejects pausing a paused model and a model with nothing live", async function () {
      const { registry, guardian, act } = await loadFixture();
      await expect(registry.connect(guardian).pause(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNothingLive")
        .withArgs(MODEL_ID);
      await act.promote(MODEL_ID, (await act.register(MODEL_ID))[0]);
      await registry.connect(guardian).pause(MODEL_ID);
      await expect(registry.connect(guardian).pause(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryModelPaused")
        .withArgs(MODEL_ID);
      expect(await registry.epochCount(MODEL_ID)).to.equal(1n);
    });

    it("rejects resuming a model that is not paused", async function () {
      const { registry, guardian, act } = await loadFixture();
      await expect(registry.connect(guardian).resume(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNotPaused")
        .withArgs(MODEL_ID);
      await act.promote(MODEL_ID, (await act.register(MODEL_ID))[0]);
      await expect(registry.connect(guardian).resume(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNotPaused")
        .withArgs(MODEL_ID);
      expect(await registry.epochCount(MODEL_ID)).to.equal(1n);
    });

    it("rejects pausing and resuming an unknown model", async function () {
      const { registry, guardian } = await loadFixture();
      await expect(registry.connect(guardian).pause(OTHER_MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownModel")
        .withArgs(OTHER_MODEL_ID);
      await expect(registry.connect(guardian).resume(OTHER_MODEL_ID))
        .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownModel")
        .withArgs(OTHER_MODEL_ID);
    });
  });

  describe("setPromotionDelay", function () {
    it("schedules a shorter delay that applies only to proposals made from the end of the old delay", async function () {
      const { registry, governor, act } = await loadFixture();
      await act.register(MODEL_ID, 2);
      const newDelay = PROMOTION_DELAY / 2n;
      const tx = await registry.connect(governor).setPromotionDelay(newDelay);
      const at = await mined(tx);
      const effectAt = at.timestamp + PROMOTION_DELAY;
      await expect(tx)
        .to.emit(registry, "PromotionDelayChangeScheduled")
        .withArgs(PROMOTION_DELAY, newDelay, effectAt);
      expect(await registry.promotionDelay()).to.equal(PROMOTION_DELAY);
      expect(await registry.pendingPromotionDelay()).to.deep.equal([newDelay, effectAt]);

      await act.nextBlockAt(effectAt - 1n);
      await act.propose(MODEL_ID, 1n);
      expect((await registry.pendingProposal(MODEL_ID)).earliestActivation).to.equal(
        effectAt - 1n + PROMOTION_DELAY,
      );

      await act.nextBlockAt(effectAt);
      await act.propose(MODEL_ID, 2n);
      expect((await registry.pendingProposal(MODEL_ID)).earliestActivation).to.equal(
        effectAt + newDelay,
      );
      expect(await registry.promotionDelay()).to.equal(newDelay);
      expect(await registry.pendingPromotionDelay()).to.deep.equal([0n, 0n]);
    });

    it("schedules a longer delay after the current delay as well", async function () {
      const { registry, governor, act } = await loadFixture();
      const newDelay = PROMOTION_DELAY * 2n;
      const tx = await registry.connect(governor).setPromotionDelay(newDelay);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "PromotionDelayChangeScheduled")
        .withArgs(PROMOTION_DELAY, newDelay, at.timestamp + PROMOTION_DELAY);
      await act.mineAt(at.timestamp + PROMOTION_DELAY - 1n);
      expect(await registry.promotionDelay()).to.equal(PROMOTION_DELAY);
      await act.mineAt(at.timestamp + PROMOTION_DELAY);
      expect(await registry.promotionDelay()).to.equal(newDelay);
    });

    it("replaces a change that has not taken effect yet, measured from the current delay", async function () {
      const { registry, governor } = await loadFixture();
      await registry.connect(governor).setPromotionDelay(PROMOTION_DELAY / 2n);
      const newDelay = PROMOTION_DELAY * 3n;
      const tx = await registry.connect(governor).setPromotionDelay(newDelay);
      const at = await mined(tx);
      await expect(tx)
        .to.emit(registry, "PromotionDelayChangeScheduled")
        .withArgs(PROMOTION_DELAY, newDelay, at.timestamp + PROMOTION_DELAY);
      expect(await registry.pendingPromotionDelay()).to.deep.equal([
        newDelay,
        at.timestamp + PROMOTION_DELAY,
      ]);
      expect(await registry.promotionDelay()).to.equal(PROMOTION_DELAY);
    });

    it("rejects delays outside the bounds and accepts the bounds", async function () {
      const { registry, governor } = await loadFixture();
      const min = await registry.MIN_PROMOTION_DELAY();
      const max = await registry.MAX_PROMOTION_DELAY();
      for (const value of [0n, min - 1n, max + 1n]) {
        await expect(registry.connect(governor).setPromotionDelay(value))
          .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidPeriod")
          .withArgs(value, min, max);
      }
      expect(await registry.pendingPromotionDelay()).to.deep.equal([0n, 0n]);
      for (const value of [min, max]) {
        await expect(registry.connect(governor).setPromotionDelay(value)).to.emit(
          registry,
          "PromotionDelayChangeScheduled",
        );
        expect((await registry.pendingPromotionDelay())[0]).to.equal(value);
      }
    });
  });

  describe("setProposalGracePeriod", function () {
    it("applies at once to future proposals while a pending proposal keeps its expiry", async function () {
      const { registry, governor, act } = await loadFixture();
      await act.register(MODEL_ID, 2);
      await act.propose(MODEL_ID, 1n);
      const before = proposalRecord(await registry.pendingProposal(MODEL_ID));
      const newPeriod = GRACE_PERIOD / 4n;
      await expect(registry.connect(governor).setProposalGracePeriod(newPeriod))
        .to.emit(registry, "ProposalGracePeriodSet")
        .withArgs(GRACE_PERIOD, newPeriod);
      expect(await registry.proposalGracePeriod()).to.equal(newPeriod);
      expect(proposalRecord(await registry.pendingProposal(MODEL_ID))).to.deep.equal(before);

      // Past the new period, but within the one the proposal was given.
      await act.nextBlockAt(before.earliestActivation + newPeriod);
      await registry.activate(MODEL_ID);
      expect(await registry.live(MODEL_ID)).to.deep.equal([1n, 1n, false]);

      const proposed = await act.propose(MODEL_ID, 2n);
      expect((await registry.pendingProposal(MODEL_ID)).expiresAt).to.equal(
        proposed.timestamp + PROMOTION_DELAY + newPeriod,
      );
    });

    it("rejects periods outside the bounds and accepts the bounds", async function () {
      const { registry, governor } = await loadFixture();
      const min = await registry.MIN_GRACE_PERIOD();
      const max = await registry.MAX_GRACE_PERIOD();
      for (const value of [0n, min - 1n, max + 1n]) {
        await expect(registry.connect(governor).setProposalGracePeriod(value))
          .to.be.revertedWithCustomError(registry, "ModelRegistryInvalidPeriod")
          .withArgs(value, min, max);
      }
      expect(await registry.proposalGracePeriod()).to.equal(GRACE_PERIOD);
      await expect(registry.connect(governor).setProposalGracePeriod(min))
        .to.emit(registry, "ProposalGracePeriodSet")
        .withArgs(GRACE_PERIOD, min);
      await expect(registry.connect(governor).setProposalGracePeriod(max))
        .to.emit(registry, "ProposalGracePeriodSet")
        .withArgs(min, max);
      expect(await registry.proposalGracePeriod()).to.equal(max);
    });
  });

  describe("pausedSince", function () {
    it("is the pause time while paused and 0 otherwise, whichever way the pause ends", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 3));
      const guard = registry.connect(guardian);
      expect(await registry.pausedSince(MODEL_ID)).to.equal(0n);

      const ends: Array<() => Promise<unknown>> = [
        () => guard.resume(MODEL_ID),
        () => guard.rollback(MODEL_ID, 3, 2, Disposition.Withdrawn, REASON_HASH, REASON_URI),
        () => guard.revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI),
      ];
      for (const end of ends) {
        const paused = await mined(guard.pause(MODEL_ID));
        expect(await registry.pausedSince(MODEL_ID)).to.equal(paused.timestamp);
        await end();
        expect(await registry.pausedSince(MODEL_ID)).to.equal(0n);
      }
      expect(await registry.live(MODEL_ID)).to.deep.equal([0n, 0n, false]);
      expect(await registry.pausedSince(OTHER_MODEL_ID)).to.equal(0n);
    });
  });

  describe("versionEssentials", function () {
    it("returns the blob, current status, proof mask and verifier, and zeros for an unknown version", async function () {
      const { registry, manager, publisher, act } = await loadFixture();
      const verifier = await manager.getAddress();
      const mask = ProofMask.ZKML | ProofMask.TEE;
      await registry
        .connect(publisher)
        .registerVersion(MODEL_ID, blobOf(MODEL_ID, 1), ZeroHash, "", mask, verifier);
      expect(await registry.versionEssentials(MODEL_ID, 1)).to.deep.equal([
        blobOf(MODEL_ID, 1),
        VersionStatus.Registered,
        BigInt(mask),
        verifier,
      ]);
      await act.promote(MODEL_ID, 1n);
      expect((await registry.versionEssentials(MODEL_ID, 1))[1]).to.equal(VersionStatus.Active);
      expect(await registry.versionEssentials(MODEL_ID, 2)).to.deep.equal([
        ZeroHash,
        VersionStatus.None,
        0n,
        ZeroAddress,
      ]);
    });
  });

  describe("faultyAt", function () {
    it("is the disposition time of a Faulty version and 0 for every other status", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID, 5);
      await act.promoteAll(MODEL_ID, [1n, 2n]);
      await act.propose(MODEL_ID, 3n);
      const guard = registry.connect(guardian);
      await guard.revoke(MODEL_ID, 4, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      const faulty = await mined(
        guard.revoke(MODEL_ID, 5, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      const statuses: Array<[bigint, bigint]> = [
        [1n, VersionStatus.Retired],
        [2n, VersionStatus.Active],
        [3n, VersionStatus.Proposed],
        [4n, VersionStatus.Withdrawn],
        [6n, VersionStatus.None],
      ];
      for (const [version, status] of statuses) {
        expect(await registry.versionStatus(MODEL_ID, version)).to.equal(status);
        expect(await registry.faultyAt(MODEL_ID, version)).to.equal(0n);
      }
      expect(await registry.faultyAt(MODEL_ID, 5)).to.equal(faulty.timestamp);
      expect(await registry.faultyAt(OTHER_MODEL_ID, 5)).to.equal(0n);
    });

    it("is the start of the pause when the paused version is rolled back as Faulty, and never moves", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      const guard = registry.connect(guardian);
      const paused = await mined(guard.pause(MODEL_ID));
      const pauseStart = await registry.pausedSince(MODEL_ID);
      expect(pauseStart).to.equal(paused.timestamp);
      await networkHelpers.time.increase(3600);
      const rolledBack = await mined(
        guard.rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      expect(rolledBack.timestamp).to.be.greaterThan(pauseStart);
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Faulty);
      expect(await registry.faultyAt(MODEL_ID, 2)).to.equal(pauseStart);
      // The marking itself keeps its own time.
      expect((await registry.getVersion(MODEL_ID, 2)).dispositionAt).to.equal(rolledBack.timestamp);

      // Faulty is terminal: later pauses, resumes and attempts to mark it again change nothing.
      await networkHelpers.time.increase(24 * 3600);
      await mined(guard.pause(MODEL_ID));
      await mined(guard.resume(MODEL_ID));
      await expect(guard.revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI))
        .to.be.revertedWithCustomError(registry, "ModelRegistryNotRevocable")
        .withArgs(MODEL_ID, 2n, VersionStatus.Faulty, Disposition.Faulty);
      expect(await registry.faultyAt(MODEL_ID, 2)).to.equal(pauseStart);
    });

    it("is the start of the pause when the paused version is revoked as Faulty", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promote(MODEL_ID, (await act.register(MODEL_ID))[0]);
      const guard = registry.connect(guardian);
      const paused = await mined(guard.pause(MODEL_ID));
      await networkHelpers.time.increase(3600);
      const revoked = await mined(
        guard.revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      expect(revoked.timestamp).to.be.greaterThan(paused.timestamp);
      expect(await registry.pausedSince(MODEL_ID)).to.equal(0n);
      expect(await registry.versionStatus(MODEL_ID, 1)).to.equal(VersionStatus.Faulty);
      expect(await registry.faultyAt(MODEL_ID, 1)).to.equal(paused.timestamp);
      expect((await registry.getVersion(MODEL_ID, 1)).dispositionAt).to.equal(revoked.timestamp);
    });

    it("is the revoke time when the live version is revoked as Faulty, even after an earlier pause ended", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promote(MODEL_ID, (await act.register(MODEL_ID))[0]);
      const guard = registry.connect(guardian);
      await mined(guard.pause(MODEL_ID));
      await mined(guard.resume(MODEL_ID));
      await networkHelpers.time.increase(3600);
      expect(await registry.pausedSince(MODEL_ID)).to.equal(0n);
      const revoked = await mined(
        guard.revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      expect(await registry.faultyAt(MODEL_ID, 1)).to.equal(revoked.timestamp);
      expect((await registry.getVersion(MODEL_ID, 1)).dispositionAt).to.equal(revoked.timestamp);
    });

    it("is the revoke time for a version revoked as Faulty while another version is paused", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      const guard = registry.connect(guardian);
      const paused = await mined(guard.pause(MODEL_ID)); // v2 paused, v1 Retired
      await networkHelpers.time.increase(3600);
      const revoked = await mined(
        guard.revoke(MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      expect(revoked.timestamp).to.be.greaterThan(paused.timestamp);
      expect(await registry.faultyAt(MODEL_ID, 1)).to.equal(revoked.timestamp);
      // The pause of v2 goes on.
      expect(await registry.pausedSince(MODEL_ID)).to.equal(paused.timestamp);
      expect(await registry.faultyAt(MODEL_ID, 2)).to.equal(0n);
    });

    it("is the escalation time for a version withdrawn while paused and escalated to Faulty later", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 3));
      const guard = registry.connect(guardian);
      // v3 withdrawn by a rollback while paused, then v2 withdrawn by a revocation while paused.
      const firstPause = await mined(guard.pause(MODEL_ID));
      await networkHelpers.time.increase(3600);
      await mined(guard.rollback(MODEL_ID, 3, 2, Disposition.Withdrawn, REASON_HASH, REASON_URI));
      const secondPause = await mined(guard.pause(MODEL_ID));
      await networkHelpers.time.increase(3600);
      await mined(guard.revoke(MODEL_ID, 2, Disposition.Withdrawn, REASON_HASH, REASON_URI));
      for (const version of [2n, 3n]) {
        expect(await registry.versionStatus(MODEL_ID, version)).to.equal(VersionStatus.Withdrawn);
        expect(await registry.faultyAt(MODEL_ID, version)).to.equal(0n);
      }

      await networkHelpers.time.increase(3600);
      const escalated3 = await mined(
        guard.revoke(MODEL_ID, 3, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      await networkHelpers.time.increase(3600);
      const escalated2 = await mined(
        guard.revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI),
      );
      expect(escalated3.timestamp).to.be.greaterThan(firstPause.timestamp);
      expect(escalated2.timestamp).to.be.greaterThan(secondPause.timestamp);
      expect(await registry.faultyAt(MODEL_ID, 3)).to.equal(escalated3.timestamp);
      expect(await registry.faultyAt(MODEL_ID, 2)).to.equal(escalated2.timestamp);
      expect((await registry.getVersion(MODEL_ID, 3)).dispositionAt).to.equal(escalated3.timestamp);
      expect((await registry.getVersion(MODEL_ID, 2)).dispositionAt).to.equal(escalated2.timestamp);
    });

    it("is 0 for the paused version, for versions around a pause and for one withdrawn while paused", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.register(MODEL_ID, 3);
      await act.promoteAll(MODEL_ID, [1n, 2n]);
      const guard = registry.connect(guardian);
      await mined(guard.pause(MODEL_ID));
      expect(await registry.versionStatus(MODEL_ID, 2)).to.equal(VersionStatus.Active);
      for (const version of [1n, 2n, 3n]) {
        expect(await registry.faultyAt(MODEL_ID, version)).to.equal(0n);
      }
      await mined(guard.rollback(MODEL_ID, 2, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI));
      await mined(guard.pause(MODEL_ID));
      await mined(guard.resume(MODEL_ID));
      for (const version of [1n, 2n, 3n]) {
        expect(await registry.versionStatus(MODEL_ID, version)).to.not.equal(VersionStatus.Faulty);
        expect(await registry.faultyAt(MODEL_ID, version)).to.equal(0n);
      }
    });
  });

  describe("views of unknown ids", function () {
    it("reverts getEpoch for epoch 0 and epochs not opened yet", async function () {
      const { registry, act } = await loadFixture();
      await act.promote(MODEL_ID, (await act.register(MODEL_ID))[0]);
      for (const [model, epoch] of [
        [MODEL_ID, 0n],
        [MODEL_ID, 2n],
        [OTHER_MODEL_ID, 1n],
      ] as const) {
        await expect(registry.getEpoch(model, epoch))
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownEpoch")
          .withArgs(model, epoch);
      }
    });

    it("reverts getIncident and incidentWindows for incident 0 and incidents not opened yet", async function () {
      const { registry, guardian, act } = await loadFixture();
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      await registry
        .connect(guardian)
        .rollback(MODEL_ID, 2, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      for (const incident of [0n, 2n]) {
        await expect(registry.getIncident(incident))
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownIncident")
          .withArgs(incident);
        await expect(registry.incidentWindows(incident, 0, 10))
          .to.be.revertedWithCustomError(registry, "ModelRegistryUnknownIncident")
          .withArgs(incident);
      }
    });
  });

  describe("pagination", function () {
    /**
     * MODEL_ID: e1 v1, e2 v2 (paused), e3 v2 (resumed; rolled back → incident 1, v2 Withdrawn),
     * e4 v1, e5 v2 (revoked → incident 3). OTHER_MODEL_ID: incident 2 in between.
     */
    async function history() {
      const f = await loadFixture();
      const { registry, governor, guardian, publisher, act } = f;
      const guard = registry.connect(guardian);
      await act.promoteAll(MODEL_ID, await act.register(MODEL_ID, 2));
      await guard.pause(MODEL_ID);
      await guard.resume(MODEL_ID);
      await guard.rollback(MODEL_ID, 2, 1, Disposition.Withdrawn, REASON_HASH, REASON_URI);
      await registry.connect(governor).createModel(OTHER_MODEL_ID, [publisher.address]);
      await act.promoteAll(OTHER_MODEL_ID, await act.register(OTHER_MODEL_ID, 2));
      await guard.revoke(OTHER_MODEL_ID, 1, Disposition.Faulty, REASON_HASH, REASON_URI);
      await act.promote(MODEL_ID, 2n);
      await guard.revoke(MODEL_ID, 2, Disposition.Faulty, REASON_HASH, REASON_URI);
      return f;
    }

    /** Checks `page(offset, limit)` against `all.slice(offset, offset + limit)` everywhere. */
    async function expectPages<T>(
      all: T[],
      page: (offset: bigint, limit: bigint) => Promise<T[]>,
    ): Promise<void> {
      const n = all.length;
      for (let offset = 0; offset <= n + 1; offset++) {
        for (let limit = 0; limit <= n + 1; limit++) {
          expect(await page(BigInt(offset), BigInt(limit))).to.deep.equal(
            all.slice(offset, offset + limit),
          );
        }
      }
      expect(await page(0n, UINT256_MAX)).to.deep.equal(all);
      expect(await page(UINT256_MAX, UINT256_MAX)).to.deep.equal([]);
      expect(await page(UINT256_MAX, 1n)).to.deep.equal([]);
    }

    async function allEpochs(
      registry: Awaited<ReturnType<typeof loadFixture>>["registry"],
      ids: bigint[],
    ): Promise<EpochViewRecord[]> {
      return Promise.all(
        ids.map(async (id) => ({ id, epoch: epochRecord(await registry.getEpoch(MODEL_ID, id)) })),
      );
    }

    it("pages epochs in order of opening", async function () {
      const { registry } = await history();
      expect(await registry.epochCount(MODEL_ID)).to.equal(5n);
      const all = await allEpochs(registry, [1n, 2n, 3n, 4n, 5n]);
      expect(all.map((e) => e.epoch.version)).to.deep.equal([1n, 2n, 2n, 1n, 2n]);
      await expectPages(all, async (offset, limit) =>
        epochViews(await registry.epochs(MODEL_ID, offset, limit)),
      );
      expect(await registry.epochs(ZeroHash, 0, 10)).to.deep.equal([]);
    });

    it("pages the windows of a version", async function () {
      const { registry } = await history();
      expect(await registry.windowCount(MODEL_ID, 2)).to.equal(3n);
      const all = await allEpochs(registry, [2n, 3n, 5n]);
      await expectPages(all, async (offset, limit) =>
        epochViews(await registry.windowsOf(MODEL_ID, 2, offset, limit)),
      );
      expect(await registry.windowsOf(MODEL_ID, 9, 0, 10)).to.deep.equal([]);
    });

    it("pages the incidents of a model, leaving out other models' incidents", async function () {
      const { registry } = await history();
      expect(await registry.incidentCount()).to.equal(3n);
      expect(await registry.incidentCountOf(MODEL_ID)).to.equal(2n);
      expect(await registry.incidentCountOf(OTHER_MODEL_ID)).to.equal(1n);
      expect((await registry.getIncident(2)).modelId).to.equal(OTHER_MODEL_ID);
      await expectPages([1n, 3n], async (offset, limit) => [
        ...(await registry.incidentsOf(MODEL_ID, offset, limit)),
      ]);
      await expectPages([2n], async (offset, limit) => [
        ...(await registry.incidentsOf(OTHER_MODEL_ID, offset, limit)),
      ]);
      expect(await registry.incidentsOf(ZeroHash, 0, 10)).to.deep.equal([]);
    });

    it("pages the incidents of a version", async function () {
      const { registry } = await history();
      await expectPages([1n, 3n], async (offset, limit) => [
        ...(await registry.incidentsOfVersion(MODEL_ID, 2, offset, limit)),
      ]);
      expect(await registry.incidentsOfVersion(MODEL_ID, 1, 0, 10)).to.deep.equal([]);
      expect(await registry.incidentsOfVersion(OTHER_MODEL_ID, 1, 0, 10)).to.deep.equal([2n]);
    });

    it("pages the windows an incident references, up to its window count", async function () {
      const { registry } = await history();
      expect((await registry.getIncident(1)).windowCount).to.equal(2n);
      expect((await registry.getIncident(3)).windowCount).to.equal(3n);
      await expectPages(await allEpochs(registry, [2n, 3n]), async (offset, limit) =>
        epochViews(await registry.incidentWindows(1, offset, limit)),
      );
      await expectPages(await allEpochs(registry, [2n, 3n, 5n]), async (offset, limit) =>
        epochViews(await registry.incidentWindows(3, offset, limit)),
      );
    });
  });
});
