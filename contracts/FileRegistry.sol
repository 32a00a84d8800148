// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IFileRegistry} from "./interfaces/IFileRegistry.sol";
import {IKuraErrors} from "./interfaces/IKuraErrors.sol";
import {PullPayments} from "./utils/PullPayments.sol";

/// @title FileRegistry
/// @notice Records, per stored file, the owner, the pointer to the current encrypted manifest, a
/// commitment to the share roots and the manifest version. Rotation replaces the pointer and
/// voids every older version, so a leaked old manifest never resolves through kura again.
///
/// Batches. `registerBatch` registers many files in one transaction and writes one storage slot per
/// file (owner, version, times): each file's two pointers are emitted in its `FileRegistered` event
/// and committed in the batch's root (OpenZeppelin's sorted-pair keccak tree over
/// keccak256(abi.encode(fileId, manifestDigest, sharesRoot)), computed here from the calldata), which
/// is remembered. Such a file can be transferred and removed as it is; `writePointers` (anyone, with
/// the leaf's proof) stores its pointers, after which it is an ordinary file that can be rotated,
/// updated and repaired. File ids are unique across single and batched registrations, so a leaf of a
/// remembered root names the one file that was registered with it.
///
/// Repair. One contract, the `repairer` (kura's ShareRepairs), may swap a lost share's commitment
/// leaf for its rebuilt copy's without the owner: it checks that the share was lost and proves the
/// leaf, and calls `repairShares` with the root it read, so a concurrent change makes it revert.
/// The deployer names the repairer once (`setRepairer`), since it is deployed after this registry.
///
/// Spam bound. Every file costs its owner either a deposit of exactly `minDeposit` wei, held until
/// the file is removed and then credited to whoever owns it then (pull payment), or, for a client
/// without funds to lock, a hashcash stamp: a nonce such that keccak256(owner, fileId, nonce) has at
/// least `difficultyBits` leading zero bits. The stamp binds the sender and the file, so it cannot be
/// replayed for another file or by another account, and a file id is never reusable. Batches take
/// deposits only, so a registry that relies on stamps alone (`minDeposit` 0) takes no batches.
contract FileRegistry is IFileRegistry, PullPayments {
    /// @dev A file in storage: one slot for the head, two for the pointers (zero while `_IN_BATCH`).
    /// A file is unknown while `owner` is zero, and deleted when its manifest digest is zero outside a batch.
    struct Record {
        address owner;
        uint24 version;
        uint8 flags;
        uint32 createdAt;
        uint32 updatedAt;
        bytes32 manifestDigest;
        bytes32 sharesRoot;
    }

    /// @dev A deposit of `minDeposit` is locked for the file.
    uint8 private constant _DEPOSITED = 1;
    /// @dev The file's pointers are in its batch's leaf, not yet in storage.
    uint8 private constant _IN_BATCH = 2;

    /// @notice The account that may name the `repairer`, once.
    address public immutable deployer;
    /// @notice Wei a file's owner must lock at `register` (credited back on `remove`).
    uint256 public immutable minDeposit;
    /// @notice Leading zero bits a `registerWithStamp` stamp needs (0: stamps are refused).
    uint8 public immutable difficultyBits;
    /// @notice The contract allowed to call `repairShares` (zero until set).
    address public repairer;

    mapping(bytes32 fileId => Record record) private _files;

    /// @inheritdoc IFileRegistry
    mapping(bytes32 batchRoot => bool registered) public isBatchRoot;

    /// @notice Deploy with the spam bound's two prices; the deployer may then name the repairer once.
    /// @param minDeposit_ See `minDeposit`.
    /// @param difficultyBits_ See `difficultyBits`.
    constructor(uint256 minDeposit_, uint8 difficultyBits_) {
        deployer = msg.sender;
        minDeposit = minDeposit_;
        difficultyBits = difficultyBits_;
    }

    /// @inheritdoc IFileRegistry
    function setRepairer(address newRepairer) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (repairer != address(0)) revert RepairerAlreadySet(repairer);
        if (newRepairer == address(0)) revert EmptyPointer();
        repairer = newRepairer;
        emit RepairerSet(newRepairer);
    }

    /// @inheritdoc IFileRegistry
    function repairShares(bytes32 fileId, bytes32 expectedRoot, bytes32 sharesRoot) external {
        if (msg.sender != repairer) revert IKuraErrors.NotRepairer(msg.sender);
        Record storage file = _stored(fileId);
        if (file.sharesRoot != expectedRoot) revert SharesChanged(fileId, expectedRoot, file.sharesRoot);
        if (sharesRoot == bytes32(0)) revert EmptyPointer();
        file.sharesRoot = sharesRoot;
        file.updatedAt = uint32(block.timestamp);
        emit SharesUpdated(fileId, file.version, sharesRoot);
    }

    /// @inheritdoc IFileRegistry
    function register(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot) external payable {
        uint256 required = minDeposit;
        if (msg.value != required) revert WrongDeposit(fileId, msg.value, required);
        _register(fileId, manifestDigest, sharesRoot, required == 0 ? 0 : _DEPOSITED);
        if (required != 0) emit DepositPaid(fileId, msg.sender, required);
    }

    /// @inheritdoc IFileRegistry
    function registerWithStamp(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot, uint256 nonce) external {
        uint8 bits = difficultyBits;
        if (bits == 0) revert StampsDisabled();
        if (uint256(keccak256(abi.encodePacked(msg.sender, fileId, nonce))) >> (256 - uint256(bits)) != 0) {
            revert StampTooWeak(msg.sender, fileId, nonce, bits);
        }
        _register(fileId, manifestDigest, sharesRoot, 0);
        emit StampAccepted(fileId, msg.sender, nonce);
    }

    /// @inheritdoc IFileRegistry
    function registerBatch(
        bytes32[] calldata fileIds,
        bytes32[] calldata manifestDigests,
        bytes32[] calldata sharesRoots
    ) external payable returns (bytes32 batchRoot) {
        uint256 count = fileIds.length;
        if (count == 0) revert EmptyBatch();
        if (manifestDigests.length != count || sharesRoots.length != count) {
            revert BatchLengthMismatch(count, manifestDigests.length, sharesRoots.length);
        }
        uint256 each = minDeposit;
        if (each == 0 && difficultyBits != 0) revert BatchesNeedDeposits();
        if (msg.value != each * count) revert WrongBatchDeposit(count, msg.value, each * count);
        uint8 flags = each == 0 ? _IN_BATCH : _IN_BATCH | _DEPOSITED;
        uint32 nowTs = uint32(block.timestamp);
        bytes32[] memory level = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 fileId = fileIds[i];
            bytes32 manifestDigest = manifestDigests[i];
            bytes32 sharesRoot = sharesRoots[i];
            if (manifestDigest == bytes32(0) || sharesRoot == bytes32(0)) revert EmptyPointer();
            Record storage file = _files[fileId];
            if (file.owner != address(0)) revert FileAlreadyExists(fileId);
            file.owner = msg.sender;
            file.version = 1;
            file.flags = flags;
            file.createdAt = nowTs;
            file.updatedAt = nowTs;
            level[i] = keccak256(abi.encode(fileId, manifestDigest, sharesRoot));
            emit FileRegistered(fileId, msg.sender, manifestDigest, sharesRoot);
        }
        batchRoot = _root(level);
        isBatchRoot[batchRoot] = true;
        emit BatchRegistered(batchRoot, msg.sender, count, each);
    }

    /// @inheritdoc IFileRegistry
    function writePointers(
        bytes32 fileId,
        bytes32 manifestDigest,
        bytes32 sharesRoot,
        bytes32[] calldata proof
    ) external {
        Record storage file = _known(fileId);
        if (file.flags & _IN_BATCH == 0) revert NotInBatch(fileId);
        bytes32 leaf = keccak256(abi.encode(fileId, manifestDigest, sharesRoot));
        if (!isBatchRoot[MerkleProof.processProofCalldata(proof, leaf)]) revert NotInBatch(fileId);
        file.flags &= ~_IN_BATCH;
        file.manifestDigest = manifestDigest;
        file.sharesRoot = sharesRoot;
        emit PointersWritten(fileId);
    }

    /// @inheritdoc IFileRegistry
    function rotate(bytes32 fileId, uint32 expectedVersion, bytes32 manifestDigest) external {
        Record storage file = _owned(_stored(fileId), fileId);
        if (manifestDigest == bytes32(0)) revert EmptyPointer();
        uint24 current = file.version;
        if (current != expectedVersion) revert VersionMismatch(fileId, expectedVersion, current);
        if (current == type(uint24).max) revert VersionsExhausted(fileId);
        bytes32 previous = file.manifestDigest;
        file.version = current + 1;
        file.updatedAt = uint32(block.timestamp);
        file.manifestDigest = manifestDigest;
        emit ManifestRotated(fileId, current + 1, manifestDigest, previous);
    }

    /// @inheritdoc IFileRegistry
    function updateShares(bytes32 fileId, bytes32 sharesRoot) external {
        Record storage file = _owned(_stored(fileId), fileId);
        if (sharesRoot == bytes32(0)) revert EmptyPointer();
        file.sharesRoot = sharesRoot;
        file.updatedAt = uint32(block.timestamp);
        emit SharesUpdated(fileId, file.version, sharesRoot);
    }

    /// @inheritdoc IFileRegistry
    function transfer(bytes32 fileId, address newOwner) external {
        Record storage file = _owned(_known(fileId), fileId);
        if (newOwner == address(0) || newOwner == msg.sender) revert BadNewOwner(fileId, newOwner);
        file.owner = newOwner;
        file.updatedAt = uint32(block.timestamp);
        emit FileTransferred(fileId, msg.sender, newOwner);
    }

    /// @inheritdoc IFileRegistry
    function remove(bytes32 fileId) external {
        Record storage file = _owned(_known(fileId), fileId);
        uint8 flags = file.flags;
        file.flags = 0;
        file.manifestDigest = bytes32(0);
        file.sharesRoot = bytes32(0);
        file.updatedAt = uint32(block.timestamp);
        emit FileDeleted(fileId, msg.sender);
        if (flags & _DEPOSITED != 0) _credit(msg.sender, minDeposit);
    }

    /// @inheritdoc IFileRegistry
    function fileOf(bytes32 fileId) external view returns (FileRecord memory) {
        Record storage file = _stored(fileId);
        return FileRecord({
            owner: file.owner,
            version: file.version,
            createdAt: file.createdAt,
            updatedAt: file.updatedAt,
            manifestDigest: file.manifestDigest,
            sharesRoot: file.sharesRoot
        });
    }

    /// @inheritdoc IFileRegistry
    function headOf(bytes32 fileId)
        external
        view
        returns (address owner, bool inBatch, uint32 createdAt, uint32 updatedAt)
    {
        Record storage file = _known(fileId);
        return (file.owner, file.flags & _IN_BATCH != 0, file.createdAt, file.updatedAt);
    }

    /// @inheritdoc IFileRegistry
    function depositOf(bytes32 fileId) external view returns (uint256) {
        return _files[fileId].flags & _DEPOSITED != 0 ? minDeposit : 0;
    }

    /// @inheritdoc IFileRegistry
    function manifestOf(bytes32 fileId, uint32 version) external view returns (bytes32) {
        Record storage file = _stored(fileId);
        if (version != file.version) revert SupersededVersion(fileId, version, file.version);
        return file.manifestDigest;
    }

    function _register(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot, uint8 flags) private {
        Record storage file = _files[fileId];
        if (file.owner != address(0)) revert FileAlreadyExists(fileId);
        if (manifestDigest == bytes32(0) || sharesRoot == bytes32(0)) revert EmptyPointer();
        uint32 nowTs = uint32(block.timestamp);
        file.owner = msg.sender;
        file.version = 1;
        file.flags = flags;
        file.createdAt = nowTs;
        file.updatedAt = nowTs;
        file.manifestDigest = manifestDigest;
        file.sharesRoot = sharesRoot;
        emit FileRegistered(fileId, msg.sender, manifestDigest, sharesRoot);
    }

    /// @dev The live file `fileId`, batched or stored.
    function _known(bytes32 fileId) private view returns (Record storage file) {
        file = _files[fileId];
        if (file.owner == address(0)) revert UnknownFile(fileId);
        if (file.flags & _IN_BATCH == 0 && file.manifestDigest == bytes32(0)) revert FileIsDeleted(fileId);
    }

    /// @dev The live file `fileId`, whose pointers are in storage.
    function _stored(bytes32 fileId) private view returns (Record storage file) {
        file = _known(fileId);
        if (file.flags & _IN_BATCH != 0) revert PointersInBatch(fileId);
    }

    function _owned(Record storage file, bytes32 fileId) private view returns (Record storage) {
        if (file.owner != msg.sender) revert IKuraErrors.NotFileOwner(fileId, msg.sender, file.owner);
        return file;
    }

    /// @dev The sorted-pair keccak root over `level` (neighbours paired, an odd last node moved up), as
    /// OpenZeppelin's `MerkleProof` verifies it; `level` is overwritten.
    function _root(bytes32[] memory level) private pure returns (bytes32) {
        uint256 width = level.length;
        while (width > 1) {
            uint256 half = width / 2;
            for (uint256 i = 0; i < half; ++i) {
                level[i] = Hashes.commutativeKeccak256(level[2 * i], level[2 * i + 1]);
            }
            if (width % 2 == 1) level[half] = level[width - 1];
            width = half + width % 2;
        }
        return level[0];
    }
}
