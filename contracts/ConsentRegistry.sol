// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {IInstitutionRegistry} from "./interfaces/IInstitutionRegistry.sol";
import {IKuraErrors} from "./interfaces/IKuraErrors.sol";

/// @title ConsentRegistry
/// @notice Patient consent, as the chain can hold it without holding any patient: per (institution,
/// purpose) the institution commits numbered snapshots of its consenting cohort, each a Merkle root over
/// leaves keccak256(pseudonym ‖ patientKey), with the digest of the published leaf list so a patient
/// can find their leaf and proof.
///
/// Revocation. The patient (the holder of `patientKey`) or the institution's current account revokes
/// with a Merkle proof against one or more snapshots; every snapshot so proven is marked touched at once
/// and stays touched, and the leaf is recorded as revoked. A touched snapshot is never current again, so
/// the DataMarket refuses to sell from it until the seller re-lists from a newer, untouched snapshot.
/// If an institution re-commits a revoked patient in a later snapshot, anyone holding the proof may touch
/// that snapshot too (`reportRevoked`). A patient who registered no key (patientKey zero) revokes through
/// the institution.
///
/// `isCurrent` = newest and untouched: a sale may rely only on the institution's latest word about its
/// cohort, and only while no patient in it has withdrawn. Everything (snapshots, revocations, touches) is
/// an event, so a patient's transparency query and the access log are rebuilt from the chain's logs.
contract ConsentRegistry is IConsentRegistry {
    /// @notice The consortium: who is a member institution, and through which account.
    IInstitutionRegistry public immutable institutions;

    mapping(uint32 institution => mapping(bytes32 purpose => uint32 snapshotId)) private _latest;
    mapping(uint32 institution => mapping(bytes32 purpose => mapping(uint32 snapshotId => Snapshot snapshot))) private
        _snapshots;
    mapping(uint32 institution => mapping(bytes32 purpose => mapping(bytes32 leaf => bool revoked))) private _revoked;

    /// @notice Deploy over the consortium whose members commit snapshots.
    /// @param institutions_ The InstitutionRegistry.
    constructor(IInstitutionRegistry institutions_) {
        if (address(institutions_) == address(0)) revert IKuraErrors.BadParameter("institutions");
        institutions = institutions_;
    }

    /// @inheritdoc IConsentRegistry
    function commitSnapshot(bytes32 purpose, bytes32 root, uint32 cohortSize, bytes32 leavesDigest)
        external
        returns (uint32 snapshotId)
    {
        uint32 institution = institutions.memberIdOf(msg.sender);
        if (root == 0 || leavesDigest == 0 || cohortSize == 0) revert EmptySnapshot();
        snapshotId = ++_latest[institution][purpose];
        _snapshots[institution][purpose][snapshotId] = Snapshot({
            root: root,
            leavesDigest: leavesDigest,
            cohortSize: cohortSize,
            committedAt: uint64(block.timestamp),
            touched: false
        });
        emit SnapshotCommitted(institution, purpose, snapshotId, root, cohortSize, leavesDigest);
    }

    /// @inheritdoc IConsentRegistry
    function revoke(
        uint32 institution,
        bytes32 purpose,
        bytes32 pseudonym,
        address patientKey,
        uint32[] calldata snapshotIds,
        bytes32[][] calldata proofs
    ) external {
        bool byPatient = patientKey != address(0) && msg.sender == patientKey;
        if (!byPatient && msg.sender != institutions.accountOf(institution)) {
            revert NotPatientOrInstitution(msg.sender, patientKey, institution);
        }
        bytes32 leaf = leafOf(pseudonym, patientKey);
        _revoked[institution][purpose][leaf] = true;
        emit ConsentRevoked(institution, purpose, patientKey, pseudonym, leaf, msg.sender);
        _touch(institution, purpose, leaf, snapshotIds, proofs);
    }

    /// @inheritdoc IConsentRegistry
    function reportRevoked(
        uint32 institution,
        bytes32 purpose,
        bytes32 leaf,
        uint32[] calldata snapshotIds,
        bytes32[][] calldata proofs
    ) external {
        if (!_revoked[institution][purpose][leaf]) revert LeafNotRevoked(institution, purpose, leaf);
        _touch(institution, purpose, leaf, snapshotIds, proofs);
    }

    /// @inheritdoc IConsentRegistry
    function snapshotOf(uint32 institution, bytes32 purpose, uint32 snapshotId)
        external
        view
        returns (Snapshot memory)
    {
        return _known(institution, purpose, snapshotId);
    }

    /// @inheritdoc IConsentRegistry
    function latestSnapshot(uint32 institution, bytes32 purpose) external view returns (uint32) {
        return _latest[institution][purpose];
    }

    /// @inheritdoc IConsentRegistry
    function isCurrent(uint32 institution, bytes32 purpose, uint32 snapshotId) external view returns (bool) {
        return snapshotId != 0 && snapshotId == _latest[institution][purpose]
            && !_snapshots[institution][purpose][snapshotId].touched;
    }

    /// @inheritdoc IConsentRegistry
    function isRevoked(uint32 institution, bytes32 purpose, bytes32 leaf) external view returns (bool) {
        return _revoked[institution][purpose][leaf];
    }

    /// @inheritdoc IConsentRegistry
    function leafOf(bytes32 pseudonym, address patientKey) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(pseudonym, patientKey));
    }

    /// @dev Mark each of `snapshotIds` touched after checking its proof; the whole call reverts if any fails,
    /// so a batch never half-applies.
    function _touch(
        uint32 institution,
        bytes32 purpose,
        bytes32 leaf,
        uint32[] calldata snapshotIds,
        bytes32[][] calldata proofs
    ) private {
        uint256 count = snapshotIds.length;
        if (count == 0 || count != proofs.length) revert ProofCountMismatch(count, proofs.length);
        for (uint256 i = 0; i < count; ++i) {
            uint32 snapshotId = snapshotIds[i];
            Snapshot storage s = _known(institution, purpose, snapshotId);
            if (!MerkleProof.verifyCalldata(proofs[i], s.root, leaf)) {
                revert NotInSnapshot(institution, purpose, snapshotId, leaf);
            }
            s.touched = true;
            emit SnapshotTouched(institution, purpose, snapshotId, leaf);
        }
    }

    function _known(uint32 institution, bytes32 purpose, uint32 snapshotId) private view returns (Snapshot storage s) {
        if (snapshotId == 0 || snapshotId > _latest[institution][purpose]) {
            revert UnknownSnapshot(institution, purpose, snapshotId);
        }
        return _snapshots[institution][purpose][snapshotId];
    }
}
