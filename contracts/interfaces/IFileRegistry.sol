// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IFileRegistry
/// @notice Events, errors and functions of kura's registry of stored files. The chain holds only
/// what is needed to find and verify a file: a pointer to its *encrypted* manifest and a
/// commitment to its shares' Merkle roots. File ids are random and reveal neither owner nor file.
/// Files registered in a batch keep their pointers in their `FileRegistered` event and their batch's
/// root until `writePointers` stores them.
/// Errors it shares with other kura contracts are declared once, in `IKuraErrors`.
interface IFileRegistry {
    /// @notice A file as the chain knows it.
    /// @param owner Who may rotate, update or delete it.
    /// @param version Manifest version, starting at 1 and bumped by every rotation.
    /// @param createdAt Block timestamp of registration.
    /// @param updatedAt Block timestamp of the last change.
    /// @param manifestDigest SHA-256 digest of the encrypted manifest: its IPFS CID is
    /// CIDv1(raw, sha2-256, digest).
    /// @param sharesRoot Commitment (Merkle root) to the per-share Merkle roots.
    struct FileRecord {
        address owner;
        uint32 version;
        uint32 createdAt;
        uint32 updatedAt;
        bytes32 manifestDigest;
        bytes32 sharesRoot;
    }

    /// @notice A file was registered.
    /// @param fileId The file's random id.
    /// @param owner Who registered it and owns it.
    /// @param manifestDigest SHA-256 digest of its encrypted manifest.
    /// @param sharesRoot Commitment to its shares' Merkle roots.
    event FileRegistered(bytes32 indexed fileId, address indexed owner, bytes32 manifestDigest, bytes32 sharesRoot);

    /// @notice The manifest pointer of a file was rotated; `version - 1` and older are void.
    /// @param fileId The file.
    /// @param version The new (current) version.
    /// @param manifestDigest Digest of the re-encrypted manifest.
    /// @param previousDigest Digest of the manifest it replaces.
    event ManifestRotated(bytes32 indexed fileId, uint32 version, bytes32 manifestDigest, bytes32 previousDigest);

    /// @notice The shares of a file changed (a share was repaired or moved).
    /// @param fileId The file.
    /// @param version Its manifest version (unchanged by this).
    /// @param sharesRoot The new shares commitment.
    event SharesUpdated(bytes32 indexed fileId, uint32 version, bytes32 sharesRoot);

    /// @notice A file was deleted; its id can never be registered again.
    /// @param fileId The file.
    /// @param owner Its owner, who deleted it.
    event FileDeleted(bytes32 indexed fileId, address indexed owner);

    /// @notice `owner` paid `amount` wei for `fileId`, refunded (credited to the owner) when the file is removed.
    /// @param fileId The file.
    /// @param owner Who paid.
    /// @param amount Wei locked.
    event DepositPaid(bytes32 indexed fileId, address indexed owner, uint256 amount);

    /// @notice `fileId` was registered without a deposit, on a proof-of-work stamp with this `nonce`.
    /// @param fileId The file.
    /// @param owner Who registered it (the stamp is bound to this address).
    /// @param nonce The stamp.
    event StampAccepted(bytes32 indexed fileId, address indexed owner, uint256 nonce);

    /// @notice `count` files were registered in one batch whose leaves' root is `batchRoot`; their
    /// `FileRegistered` events are those of the same transaction, in leaf order.
    /// @param batchRoot Sorted-pair keccak root over keccak256(abi.encode(fileId, manifestDigest, sharesRoot)).
    /// @param owner Who registered (and owns) the files.
    /// @param count Files in the batch.
    /// @param depositEach Wei locked for each of them.
    event BatchRegistered(bytes32 indexed batchRoot, address indexed owner, uint256 count, uint256 depositEach);

    /// @notice The pointers of a batched file were written to storage (they are those of its
    /// `FileRegistered` event); it can now be rotated, updated and repaired.
    /// @param fileId The file.
    event PointersWritten(bytes32 indexed fileId);

    /// @notice `from` handed the ownership of `fileId`, and with it the file's deposit, to `to`.
    /// @param fileId The file.
    /// @param from The previous owner, who can do nothing more with it.
    /// @param to The new owner.
    event FileTransferred(bytes32 indexed fileId, address indexed from, address indexed to);

    /// @notice The repair contract was named.
    /// @param repairer The contract that may now call `repairShares`.
    event RepairerSet(address indexed repairer);

    /// @notice `fileId` is already taken (by a live or a deleted file); pick a fresh random id.
    error FileAlreadyExists(bytes32 fileId);

    /// @notice No file was ever registered under `fileId`.
    error UnknownFile(bytes32 fileId);

    /// @notice `fileId` was deleted.
    error FileIsDeleted(bytes32 fileId);

    /// @notice A manifest digest or shares root of zero is not a valid pointer.
    error EmptyPointer();

    /// @notice The caller expected another version: re-read the file and retry.
    error VersionMismatch(bytes32 fileId, uint32 expected, uint32 current);

    /// @notice `requested` is an old version of `fileId`; only `current` resolves.
    error SupersededVersion(bytes32 fileId, uint32 requested, uint32 current);

    /// @notice The deposit of `fileId` was `sent` wei; send exactly the `required` `minDeposit`.
    error WrongDeposit(bytes32 fileId, uint256 sent, uint256 required);

    /// @notice A batch of `count` files came with `sent` wei; send exactly `required` (`count * minDeposit`).
    error WrongBatchDeposit(uint256 count, uint256 sent, uint256 required);

    /// @notice A batch needs at least one file.
    error EmptyBatch();

    /// @notice A batch's arrays must have one entry per file; they have these lengths.
    error BatchLengthMismatch(uint256 fileIds, uint256 manifestDigests, uint256 sharesRoots);

    /// @notice This registry takes stamps instead of deposits (`minDeposit` 0), and batches take deposits
    /// only: register the files one by one on stamps.
    error BatchesNeedDeposits();

    /// @notice The pointers of `fileId` are still in its batch: store them first with `writePointers`
    /// (they are in its `FileRegistered` event).
    error PointersInBatch(bytes32 fileId);

    /// @notice `fileId` is not a batched file with unwritten pointers, or the pointers and proof given do not
    /// lead to a registered batch root.
    error NotInBatch(bytes32 fileId);

    /// @notice `fileId` cannot be handed to `newOwner` (the zero address, or its owner already).
    error BadNewOwner(bytes32 fileId, address newOwner);

    /// @notice `fileId` was rotated 2^24 - 1 times: register its current contents as a new file.
    error VersionsExhausted(bytes32 fileId);

    /// @notice `keccak256(sender, fileId, nonce)` has fewer than the `required` leading zero bits; mint
    /// the stamp for this very sender and file.
    error StampTooWeak(address sender, bytes32 fileId, uint256 nonce, uint8 required);

    /// @notice This registry was deployed with `difficultyBits == 0`: it takes no stamps, only deposits.
    error StampsDisabled();

    /// @notice Only the deployer may name the repairer, not `caller`.
    error NotDeployer(address caller);

    /// @notice The repairer is already `repairer`; it is set once.
    error RepairerAlreadySet(address repairer);

    /// @notice The shares commitment of `fileId` is `current`, not the `expected` the repair was proved against.
    error SharesChanged(bytes32 fileId, bytes32 expected, bytes32 current);

    /// @notice Name the repair contract (the deployer only, once).
    /// @param newRepairer The ShareRepairs contract.
    function setRepairer(address newRepairer) external;

    /// @notice Replace the shares commitment of `fileId` after a repair (the repair contract only).
    /// @param fileId The file.
    /// @param expectedRoot The commitment the repair was proved against.
    /// @param sharesRoot The commitment with the rebuilt share's leaf.
    function repairShares(bytes32 fileId, bytes32 expectedRoot, bytes32 sharesRoot) external;

    /// @notice Register a new file, locking `msg.value` (exactly `minDeposit`) until it is removed.
    /// @param fileId A fresh random id (it must not be derived from the owner or the content).
    /// @param manifestDigest SHA-256 digest of the encrypted manifest stored on IPFS.
    /// @param sharesRoot Commitment to the Merkle roots of the file's shares.
    function register(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot) external payable;

    /// @notice Register a new file without a deposit, on a proof-of-work stamp.
    /// @param fileId A fresh random id.
    /// @param manifestDigest SHA-256 digest of the encrypted manifest stored on IPFS.
    /// @param sharesRoot Commitment to the Merkle roots of the file's shares.
    /// @param nonce Makes keccak256(abi.encodePacked(msg.sender, fileId, nonce)) start with
    /// `difficultyBits` zero bits.
    function registerWithStamp(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot, uint256 nonce) external;

    /// @notice Register many new files in one transaction, locking `minDeposit` for each (`msg.value` is
    /// exactly `fileIds.length * minDeposit`). Only each file's head is stored; its pointers are emitted and
    /// committed in the returned root (see `BatchRegistered`).
    /// @param fileIds Fresh random ids, one per file.
    /// @param manifestDigests SHA-256 digests of the encrypted manifests, in the same order.
    /// @param sharesRoots Commitments to the files' shares' Merkle roots, in the same order.
    /// @return batchRoot The batch's root.
    function registerBatch(
        bytes32[] calldata fileIds,
        bytes32[] calldata manifestDigests,
        bytes32[] calldata sharesRoots
    ) external payable returns (bytes32 batchRoot);

    /// @notice Store the pointers of a batched file (anyone may: they are public in its event).
    /// @param fileId The file.
    /// @param manifestDigest Its manifest digest, as registered.
    /// @param sharesRoot Its shares commitment, as registered.
    /// @param proof The leaf's sorted-pair proof to its batch's root.
    function writePointers(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot, bytes32[] calldata proof)
        external;

    /// @notice Point `fileId` at a freshly encrypted manifest and void the current version (owner only).
    /// @param fileId The file.
    /// @param expectedVersion The version the caller read; guards against a concurrent rotation.
    /// @param manifestDigest Digest of the re-encrypted manifest.
    function rotate(bytes32 fileId, uint32 expectedVersion, bytes32 manifestDigest) external;

    /// @notice Replace the shares commitment of `fileId` after its shares moved (owner only).
    /// @param fileId The file.
    /// @param sharesRoot The new commitment.
    function updateShares(bytes32 fileId, bytes32 sharesRoot) external;

    /// @notice Hand `fileId` to `newOwner` (owner only; batched files too). The deposit stays locked with the
    /// file and goes to whoever removes it, so the new owner inherits it; the old owner keeps nothing.
    /// @param fileId The file.
    /// @param newOwner The account that owns it from now on.
    function transfer(bytes32 fileId, address newOwner) external;

    /// @notice Delete `fileId` (owner only; batched files too): its pointers are cleared, the id is never
    /// reusable, and its deposit is credited to the owner, who pulls it with `withdrawPayments`.
    /// @param fileId The file.
    function remove(bytes32 fileId) external;

    /// @notice The record of a live file whose pointers are stored (reverts `PointersInBatch` otherwise).
    /// @param fileId The file.
    /// @return record Its owner, version, timestamps and pointers.
    function fileOf(bytes32 fileId) external view returns (FileRecord memory record);

    /// @notice The head of a live file, batched or not.
    /// @param fileId The file.
    /// @return owner Its owner.
    /// @return inBatch Whether its pointers are still only in its batch (see `writePointers`).
    /// @return createdAt Block timestamp of its registration.
    /// @return updatedAt Block timestamp of its last change.
    function headOf(bytes32 fileId)
        external
        view
        returns (address owner, bool inBatch, uint32 createdAt, uint32 updatedAt);

    /// @notice Whether `batchRoot` is the root of a registered batch.
    /// @param batchRoot A root returned by `registerBatch`.
    /// @return registered True once that batch is registered.
    function isBatchRoot(bytes32 batchRoot) external view returns (bool registered);

    /// @notice Wei locked for `fileId`: `minDeposit` while it is live and was registered with a deposit, else 0.
    /// @param fileId The file.
    /// @return deposit The locked wei.
    function depositOf(bytes32 fileId) external view returns (uint256 deposit);

    /// @notice The manifest digest of `fileId` at `version`; reverts for superseded versions.
    /// @param fileId The file.
    /// @param version The version the caller holds.
    /// @return manifestDigest The digest, if `version` is the current one.
    function manifestOf(bytes32 fileId, uint32 version) external view returns (bytes32 manifestDigest);
}
