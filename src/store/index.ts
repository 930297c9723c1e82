/**
 * Content addressing of batch files: a batch's records are the canonical file `batch.jsonl`, and
 * its on-chain `fileRef` is the SHA-256 of that file, so anyone holding the reference can fetch
 * the file from any folder, web server or IPFS gateway and check it is the anchored one. This is
 * the public face of src/store/; the README's "Where a batch's records are stored" is the
 * convention.
 *
 * @module rollback-trail/store
 */
export { type Ref, cidOfRef, refHex, refOfCid, sha256Ref } from "./ref.js";
export { ContentStore, defaultStoreDir } from "./content-store.js";
export { type BatchSource, type FetchResult, parseSource } from "./sources.js";
export { type Obtained, type SourceAttempt, obtainByRef } from "./obtain.js";
