// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IFileRegistry} from "./interfaces/IFileRegistry.sol";
import {PullPayments} from "./utils/PullPayments.sol";

/// @title FileRegistry
/// @notice Records, per stored file, the owner, the pointer to the current encrypted manifest, a
/// commitment to the share roots and the manifest version. Rotation replaces the pointer and
/// voids every older version, so a leaked old manifest never resolves through kura again.
///
/// Repair. One contract, the `repairer` (kura's ShareRepairs), may swap a lost share's commitment
/// leaf for its rebuilt copy's without the owner: it checks that the share was lost and proves the
/// leaf, and calls `repairShares` with the root it read, so a concurrent change makes it revert.
/// The deployer names the repairer once (`setRepairer`), since it is deployed after this registry.
///
/// Spam bound. Every file costs its owner either a deposit of at least `minDeposit` wei, held until
/// the file is removed and then credited back to the owner (pull payment), or, for a client without
/// funds to lock, a hashcash stamp: a nonce such that keccak256(owner, fileId, nonce) has at least
/// `difficultyBits` leading zero bits. The stamp binds the sender and the file, so it cannot be
/// replayed for another file or by another account, and a file id is never reusable.
contract FileRegistry is IFileRegistry, PullPayments {
    /// @notice The account that may name the `repairer`, once.
    address public immutable deployer;
    /// @notice Wei a file's owner must lock at `register` (refunded on `remove`).
    uint256 public immutable minDeposit;
    /// @notice Leading zero bits a `registerWithStamp` stamp needs (0: stamps are refused).
    uint8 public immutable difficultyBits;
    /// @notice The contract allowed to call `repairShares` (zero until set).
    address public repairer;

    mapping(bytes32 fileId => FileRecord) private _files;

    /// @notice Wei locked for each live file (zero for files registered on a stamp).
    mapping(bytes32 fileId => uint256) public depositOf;

    /// @param minDeposit_ See `minDeposit`.
    /// @param difficultyBits_ See `difficultyBits`.
    constructor(uint256 minDeposit_, uint8 difficultyBits_) {
        deployer = msg.sender;
        minDeposit = minDeposit_;
        difficultyBits = difficultyBits_;
    }

    /// @notice Name the repair contract (the deployer only, once).
    /// @param repairer_ The ShareRepairs contract.
    function setRepairer(address repairer_) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (repairer != address(0)) revert RepairerAlreadySet(repairer);
        if (repairer_ == address(0)) revert EmptyPointer();
        repairer = repairer_;
        emit RepairerSet(repairer_);
    }

    /// @inheritdoc IFileRegistry
    function repairShares(bytes32 fileId, bytes32 expectedRoot, bytes32 sharesRoot) external {
        if (msg.sender != repairer) revert NotRepairer(msg.sender);
        FileRecord storage file = _live(fileId);
        if (file.sharesRoot != expectedRoot) revert SharesChanged(fileId, expectedRoot, file.sharesRoot);
        if (sharesRoot == bytes32(0)) revert EmptyPointer();
        file.sharesRoot = sharesRoot;
        file.updatedAt = uint32(block.timestamp);
        emit SharesUpdated(fileId, file.version, sharesRoot);
    }

    /// @notice Register a new file, locking `msg.value` (at least `minDeposit`) until it is removed.
    /// @param fileId A fresh random id (it must not be derived from the owner or the content).
    /// @param manifestDigest SHA-256 digest of the encrypted manifest stored on IPFS.
    /// @param sharesRoot Commitment to the Merkle roots of the file's shares.
    function register(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot) external payable {
        if (msg.value < minDeposit) revert DepositTooLow(fileId, msg.value, minDeposit);
        _register(fileId, manifestDigest, sharesRoot);
        if (msg.value != 0) {
            depositOf[fileId] = msg.value;
            emit DepositPaid(fileId, msg.sender, msg.value);
        }
    }

    /// @notice Register a new file without a deposit, on a proof-of-work stamp.
    /// @param fileId A fresh random id.
    /// @param manifestDigest SHA-256 digest of the encrypted manifest stored on IPFS.
    /// @param sharesRoot Commitment to the Merkle roots of the file's shares.
    /// @param nonce Makes keccak256(abi.encodePacked(msg.sender, fileId, nonce)) start with
    /// `difficultyBits` zero bits.
    function registerWithStamp(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot, uint256 nonce) external {
        uint8 bits = difficultyBits;
        if (bits == 0) revert StampsDisabled();
        if (uint256(keccak256(abi.encodePacked(msg.sender, fileId, nonce))) >> (256 - uint256(bits)) != 0) {
            revert StampTooWeak(msg.sender, fileId, nonce, bits);
        }
        _register(fileId, manifestDigest, sharesRoot);
        emit StampAccepted(fileId, msg.sender, nonce);
    }

    function _register(bytes32 fileId, bytes32 manifestDigest, bytes32 sharesRoot) private {
        if (_files[fileId].owner != address(0)) revert FileAlreadyExists(fileId);
        if (manifestDigest == bytes32(0) || sharesRoot == bytes32(0)) revert EmptyPointer();
        uint32 nowTs = uint32(block.timestamp);
        _files[fileId] = FileRecord({
            owner: msg.sender,
            version: 1,
            createdAt: nowTs,
            updatedAt: nowTs,
            manifestDigest: manifestDigest,
            sharesRoot: sharesRoot
        });
        emit FileRegistered(fileId, msg.sender, manifestDigest, sharesRoot);
    }

    /// @notice Point `fileId` at a freshly encrypted manifest and void the current version.
    /// @param fileId The file.
    /// @param expectedVersion The version the caller read; guards against a concurrent rotation.
    /// @param manifestDigest Digest of the re-encrypted manifest.
    function rotate(bytes32 fileId, uint32 expectedVersion, bytes32 manifestDigest) external {
        FileRecord storage file = _ownedLive(fileId);
        if (manifestDigest == bytes32(0)) revert EmptyPointer();
        uint32 current = file.version;
        if (current != expectedVersion) revert VersionMismatch(fileId, expectedVersion, current);
        bytes32 previous = file.manifestDigest;
        unchecked {
            // A version bump per transaction cannot reach 2^32 before block.timestamp does.
            file.version = current + 1;
        }
        file.updatedAt = uint32(block.timestamp);
        file.manifestDigest = manifestDigest;
        emit ManifestRotated(fileId, current + 1, manifestDigest, previous);
    }

    /// @notice Replace the shares commitment of `fileId` (after its shares moved or were repaired).
    /// @param fileId The file.
    /// @param sharesRoot The new commitment.
    function updateShares(bytes32 fileId, bytes32 sharesRoot) external {
        FileRecord storage file = _ownedLive(fileId);
        if (sharesRoot == bytes32(0)) revert EmptyPointer();
        file.sharesRoot = sharesRoot;
        file.updatedAt = uint32(block.timestamp);
        emit SharesUpdated(fileId, file.version, sharesRoot);
    }

    /// @notice Delete `fileId`: its pointers are cleared, the id is never reusable, and its deposit
    /// is credited to the owner, who pulls it with `withdrawPayments`.
    /// @param fileId The file.
    function remove(bytes32 fileId) external {
        FileRecord storage file = _ownedLive(fileId);
        file.manifestDigest = bytes32(0);
        file.sharesRoot = bytes32(0);
        file.updatedAt = uint32(block.timestamp);
        emit FileDeleted(fileId, msg.sender);
        uint256 deposit = depositOf[fileId];
        if (deposit != 0) {
            depositOf[fileId] = 0;
            _credit(msg.sender, deposit);
        }
    }

    /// @inheritdoc IFileRegistry
    function fileOf(bytes32 fileId) external view returns (FileRecord memory) {
        return _live(fileId);
    }

    /// @inheritdoc IFileRegistry
    function manifestOf(bytes32 fileId, uint32 version) external view returns (bytes32) {
        FileRecord storage file = _live(fileId);
        if (version != file.version) revert SupersededVersion(fileId, version, file.version);
        return file.manifestDigest;
    }

    function _live(bytes32 fileId) private view returns (FileRecord storage file) {
        file = _files[fileId];
        if (file.owner == address(0)) revert UnknownFile(fileId);
        if (file.manifestDigest == bytes32(0)) revert FileIsDeleted(fileId);
    }

    function _ownedLive(bytes32 fileId) private view returns (FileRecord storage file) {
        file = _live(fileId);
        if (file.owner != msg.sender) revert NotFileOwner(fileId, msg.sender, file.owner);
    }
}
