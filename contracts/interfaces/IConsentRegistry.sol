// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IConsentRegistry
/// @notice Types, events, errors and functions of kura's patient-consent registry: per institution and
/// purpose, numbered snapshots of the consenting cohort (a Merkle root over its leaves), and revocations
/// that mark every snapshot proven to contain the patient as touched, for good.
///
/// Leaf rule (shared with `kura.market.consent`): `leaf = keccak256(abi.encodePacked(bytes32 pseudonym,
/// address patientKey))`; the tree is OpenZeppelin's `MerkleProof` tree (commutative keccak256 of sorted
/// pairs). `patientKey` is the patient's own address if they registered one, else zero.
interface IConsentRegistry {
    /// @notice One committed consent snapshot.
    /// @param root Merkle root over the cohort's leaves.
    /// @param leavesDigest SHA-256 digest of the published leaf list (its IPFS CID is CIDv1(raw, sha2-256, digest)).
    /// @param cohortSize Number of leaves (consenting patients).
    /// @param committedAt Timestamp of the commit.
    /// @param touched True once a revocation proved a patient of this snapshot withdrew consent.
    struct Snapshot {
        bytes32 root;
        bytes32 leavesDigest;
        uint32 cohortSize;
        uint64 committedAt;
        bool touched;
    }

    /// @notice Institution `institution` committed snapshot `snapshotId` of its cohort for `purpose`.
    /// @param institution The committing institution.
    /// @param purpose The purpose of use the patients consented to.
    /// @param snapshotId The snapshot's number (from 1, per institution and purpose).
    /// @param root Merkle root over the cohort's leaves.
    /// @param cohortSize Number of leaves.
    /// @param leavesDigest SHA-256 digest of the published leaf list.
    event SnapshotCommitted(
        uint32 indexed institution,
        bytes32 indexed purpose,
        uint32 indexed snapshotId,
        bytes32 root,
        uint32 cohortSize,
        bytes32 leavesDigest
    );
    /// @notice The patient (`pseudonym`, `patientKey`) withdrew consent for `purpose` at `institution`;
    /// `by` is the patient's key or the institution's account.
    /// @param institution The institution the consent was given to.
    /// @param purpose The purpose withdrawn.
    /// @param patientKey The patient's key in the leaf (zero if the patient registered none).
    /// @param pseudonym The patient's pseudonym at that institution.
    /// @param leaf keccak256(pseudonym ‖ patientKey), now revoked for good.
    /// @param by Who revoked: the patient's key or the institution's account.
    event ConsentRevoked(
        uint32 indexed institution,
        bytes32 indexed purpose,
        address indexed patientKey,
        bytes32 pseudonym,
        bytes32 leaf,
        address by
    );
    /// @notice Snapshot `snapshotId` was proven to contain the revoked `leaf`: it can no longer back a sale.
    /// @param institution The snapshot's institution.
    /// @param purpose The snapshot's purpose.
    /// @param snapshotId The snapshot, touched for good.
    /// @param leaf The revoked leaf it contains.
    event SnapshotTouched(uint32 indexed institution, bytes32 indexed purpose, uint32 indexed snapshotId, bytes32 leaf);

    /// @notice A snapshot needs a non-zero root, a non-zero leaf-list digest and at least one patient.
    error EmptySnapshot();
    /// @notice `institution` has no snapshot `snapshotId` for `purpose`.
    error UnknownSnapshot(uint32 institution, bytes32 purpose, uint32 snapshotId);
    /// @notice `caller` is neither the patient's key nor the institution's account.
    error NotPatientOrInstitution(address caller, address patientKey, uint32 institution);
    /// @notice A revocation names at least one snapshot, with exactly one proof per snapshot.
    error ProofCountMismatch(uint256 snapshots, uint256 proofs);
    /// @notice The Merkle proof does not place `leaf` in snapshot `snapshotId`.
    error NotInSnapshot(uint32 institution, bytes32 purpose, uint32 snapshotId, bytes32 leaf);
    /// @notice `leaf` was never revoked for `purpose` at `institution`, so nobody but the patient or the
    /// institution may use it to touch a snapshot.
    error LeafNotRevoked(uint32 institution, bytes32 purpose, bytes32 leaf);

    /// @notice Commit a new snapshot of the caller's consenting cohort for `purpose` (member accounts only).
    /// @param purpose The purpose of use the patients consented to (e.g. keccak256("HRESCH")).
    /// @param root Merkle root over the leaves.
    /// @param cohortSize Number of leaves.
    /// @param leavesDigest SHA-256 digest of the published leaf list.
    /// @return snapshotId The new snapshot's number (from 1, per institution and purpose).
    function commitSnapshot(bytes32 purpose, bytes32 root, uint32 cohortSize, bytes32 leavesDigest)
        external
        returns (uint32 snapshotId);

    /// @notice Withdraw a patient's consent for `purpose` at `institution`, by the patient's own key or the
    /// institution's account, proving the patient is in each of `snapshotIds` (every one becomes touched).
    /// @param institution The institution.
    /// @param purpose The purpose.
    /// @param pseudonym The patient's pseudonym at that institution.
    /// @param patientKey The patient's key in the leaf (the caller, when the patient revokes).
    /// @param snapshotIds Snapshots that contain the patient.
    /// @param proofs One Merkle proof per snapshot.
    function revoke(
        uint32 institution,
        bytes32 purpose,
        bytes32 pseudonym,
        address patientKey,
        uint32[] calldata snapshotIds,
        bytes32[][] calldata proofs
    ) external;

    /// @notice Touch snapshots that (still) contain an already revoked `leaf` (anyone): an institution that
    /// re-commits a revoked patient cannot sell from that snapshot either.
    /// @param institution The institution.
    /// @param purpose The purpose.
    /// @param leaf A leaf revoked earlier for this institution and purpose.
    /// @param snapshotIds Snapshots that contain it.
    /// @param proofs One Merkle proof per snapshot.
    function reportRevoked(
        uint32 institution,
        bytes32 purpose,
        bytes32 leaf,
        uint32[] calldata snapshotIds,
        bytes32[][] calldata proofs
    ) external;

    /// @notice Snapshot `snapshotId` of `institution` for `purpose`; reverts if there is none.
    /// @param institution The institution.
    /// @param purpose The purpose.
    /// @param snapshotId The snapshot's number.
    /// @return snapshot Its root, leaf-list digest, cohort size, commit time and whether it is touched.
    function snapshotOf(uint32 institution, bytes32 purpose, uint32 snapshotId)
        external
        view
        returns (Snapshot memory snapshot);

    /// @notice The newest snapshot number of `institution` for `purpose` (0 when none).
    /// @param institution The institution.
    /// @param purpose The purpose.
    /// @return snapshotId The newest snapshot's number, or 0.
    function latestSnapshot(uint32 institution, bytes32 purpose) external view returns (uint32 snapshotId);

    /// @notice True iff `snapshotId` is the newest snapshot of `institution` for `purpose` and untouched.
    /// @param institution The institution.
    /// @param purpose The purpose.
    /// @param snapshotId The snapshot's number.
    /// @return current Whether a sale may rely on it now.
    function isCurrent(uint32 institution, bytes32 purpose, uint32 snapshotId) external view returns (bool current);

    /// @notice True iff `leaf` was revoked for `purpose` at `institution`.
    /// @param institution The institution.
    /// @param purpose The purpose.
    /// @param leaf The patient's leaf (`leafOf`).
    /// @return revoked Whether the patient withdrew that consent.
    function isRevoked(uint32 institution, bytes32 purpose, bytes32 leaf) external view returns (bool revoked);

    /// @notice The leaf of a patient: keccak256(abi.encodePacked(pseudonym, patientKey)).
    /// @param pseudonym The patient's pseudonym at the institution.
    /// @param patientKey The patient's own address, or zero if they registered none.
    /// @return leaf The leaf the consent snapshots hold for this patient.
    function leafOf(bytes32 pseudonym, address patientKey) external pure returns (bytes32 leaf);
}
