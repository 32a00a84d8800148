// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComputeGate} from "./IComputeGate.sol";

/// @title IDataJobs
/// @notice Types, events, errors and functions of compute-to-data jobs (issue 12, item 5): a buyer with
/// compute access to a DataMarket listing submits a job; the job is debited on the DataMarket (module
/// allowlist, job count and ε budget checked there, before anything runs) and posted as a TaskMarket task
/// gated to the listing's approved nodes, whose output is sealed to the buyer. The seller names the
/// listing's compute dataset (a kura file whose manifest is sealed under the dataset key) and seals the
/// dataset key to each approved node.
interface IDataJobs is IComputeGate {
    /// @notice The compute dataset of a listing: the rows jobs run over.
    /// @param fileId The kura file (FileRegistry id) holding the per-patient rows.
    /// @param manifestDigest Digest of the file's manifest sealed under the dataset key (on the storage nodes).
    struct Dataset {
        bytes32 fileId;
        bytes32 manifestDigest;
    }

    /// @notice One job as the chain records it.
    /// @param listingId The DataMarket listing it runs over.
    /// @param accessId The compute access it was debited from.
    /// @param buyer The buying institution's id.
    /// @param consentSnapshot The consent snapshot current when it was accepted: the nodes keep only its members.
    /// @param epsilon ε debited (fixed point, DataMarket's `EPSILON_ONE` = 1.0).
    /// @param settled True once what the task did not spend went back to the buyer.
    /// @param escrow Wei escrowed on the TaskMarket: the worker's reward and the auditors' budget.
    /// @param taskId The TaskMarket task that runs it.
    /// @param moduleHash keccak256 of the WebAssembly module (approved for the listing).
    /// @param consentPurpose The purpose of the consent snapshot.
    struct Job {
        uint32 listingId;
        uint32 accessId;
        uint32 buyer;
        uint32 consentSnapshot;
        uint64 epsilon;
        bool settled;
        uint96 escrow;
        uint256 taskId;
        bytes32 moduleHash;
        bytes32 consentPurpose;
    }

    /// @notice What a buyer submits; `msg.value` must be `reward + auditFee × auditors × maxRounds` (TaskMarket).
    /// @param accessId The buyer's compute access (DataMarket).
    /// @param moduleCid IPFS CID of the module.
    /// @param moduleHash keccak256 of the module's bytes (must be approved for the listing).
    /// @param epsilon ε the job spends (fixed point); the module's parameters must say the same.
    /// @param inputCid IPFS CID of the job's public parameters (the query; the nodes add the data).
    /// @param inputHash keccak256 of those parameters.
    /// @param fuel Fuel limit of every run.
    /// @param reward Wei for the worker if its answer is accepted.
    /// @param auditFee Wei for each auditor whose answer is accepted.
    /// @param auditors Auditors drawn per round.
    /// @param theta Group credibility needed to accept a result, WAD.
    /// @param buyerKey The buyer's account public key (x, y): the output is sealed to it.
    // Calldata only (never stored), so its packing costs nothing; its field order is the ABI clients encode.
    // solhint-disable-next-line gas-struct-packing
    struct JobParams {
        uint256 accessId;
        string moduleCid;
        bytes32 moduleHash;
        uint64 epsilon;
        string inputCid;
        bytes32 inputHash;
        uint64 fuel;
        uint96 reward;
        uint96 auditFee;
        uint8 auditors;
        uint64 theta;
        bytes32[2] buyerKey;
    }

    /// @notice Listing `listingId`'s compute dataset is file `fileId`, its manifest sealed under the dataset key
    /// at `manifestDigest`.
    /// @param listingId The listing.
    /// @param fileId The kura file.
    /// @param manifestDigest Digest of the sealed manifest.
    event DatasetSet(uint256 indexed listingId, bytes32 fileId, bytes32 manifestDigest);
    /// @notice The seller sealed listing `listingId`'s dataset key to approved node `node` (ECIES to its account key).
    /// @param listingId The listing.
    /// @param node The approved node.
    /// @param sealedKey The sealed dataset key.
    event DatasetKeySealed(uint256 indexed listingId, address indexed node, bytes sealedKey);
    /// @notice Job `jobId` was debited and posted as task `taskId`; its output is sealed to `buyerKey`.
    /// @param jobId The job.
    /// @param listingId The listing.
    /// @param accessId The compute access debited.
    /// @param buyer The buying institution.
    /// @param taskId The TaskMarket task.
    /// @param moduleHash The module.
    /// @param epsilon ε debited (fixed point).
    /// @param consentSnapshot The consent snapshot the nodes run on.
    /// @param escrow Wei escrowed on the TaskMarket.
    /// @param buyerKey The buyer's public key (x, y).
    event JobSubmitted(
        uint256 indexed jobId,
        uint256 indexed listingId,
        uint256 accessId,
        uint32 indexed buyer,
        uint256 taskId,
        bytes32 moduleHash,
        uint64 epsilon,
        uint32 consentSnapshot,
        uint96 escrow,
        bytes32[2] buyerKey
    );
    /// @notice Job `jobId`'s task ended; `refund` wei (what the task did not spend) was credited to the buyer.
    /// @param jobId The job.
    /// @param taskId The task.
    /// @param refund Wei credited to the buyer's payout address.
    event JobSettled(uint256 indexed jobId, uint256 taskId, uint256 refund);

    /// @notice Only the seller of listing `listingId` may do this, not `caller`.
    /// @param listingId The listing.
    /// @param caller Who tried.
    error NotListingSeller(uint256 listingId, address caller);
    /// @notice Only the current account of the buyer of access `accessId` may run its jobs, not `caller`.
    /// @param accessId The access.
    /// @param caller Who tried.
    error NotAccessBuyer(uint256 accessId, address caller);
    /// @notice `node` is not approved for listing `listingId` (DataMarket `setNode`).
    /// @param listingId The listing.
    /// @param node The node.
    error NodeNotApproved(uint256 listingId, address node);
    /// @notice Listing `listingId` has no compute dataset yet: its seller must `setDataset` first.
    /// @param listingId The listing.
    error NoDataset(uint256 listingId);
    /// @notice `key` is not `caller`'s own public key (its keccak256 must end with the caller's address).
    /// @param caller Who submitted.
    /// @param key The key given.
    error BadBuyerKey(address caller, bytes32[2] key);
    /// @notice No job `jobId` exists.
    /// @param jobId The id asked for.
    error UnknownJob(uint256 jobId);
    /// @notice Job `jobId`'s task has not ended yet.
    /// @param jobId The job.
    /// @param taskId Its task.
    error JobNotOver(uint256 jobId, uint256 taskId);
    /// @notice Job `jobId` was settled already.
    /// @param jobId The job.
    error JobAlreadySettled(uint256 jobId);
    /// @notice Only the TaskMarket may send ether here (the escrow it returns), not `sender`.
    /// @param sender Who sent.
    error UnexpectedPayment(address sender);

    /// @notice Name listing `listingId`'s compute dataset (the seller's current account only; may be renamed).
    /// @param listingId The listing.
    /// @param fileId The kura file of per-patient rows.
    /// @param manifestDigest Digest of its manifest sealed under the dataset key.
    function setDataset(uint256 listingId, bytes32 fileId, bytes32 manifestDigest) external;

    /// @notice Give approved node `node` the dataset key of listing `listingId`, sealed to its account key
    /// (the seller's current account only).
    /// @param listingId The listing.
    /// @param node An approved node of the listing.
    /// @param sealedKey The key, ECIES-encrypted to the node.
    function sealKey(uint256 listingId, address node, bytes calldata sealedKey) external;

    /// @notice Run a job: debit it on the DataMarket (refused there if the module is not approved, no job is
    /// left, the consent snapshot is stale or ε would exceed a budget) and post it as a TaskMarket task gated
    /// to the listing's approved nodes, escrowing `msg.value` (the reward and the audit budget).
    /// @param params The job.
    /// @return jobId The new job.
    /// @return taskId Its TaskMarket task.
    function submit(JobParams calldata params) external payable returns (uint256 jobId, uint256 taskId);

    /// @notice After job `jobId`'s task ended, credit the buyer what the task did not spend (anyone may call).
    /// @param jobId The job.
    function settle(uint256 jobId) external;

    /// @notice Job `jobId`.
    /// @param jobId The job.
    /// @return job Its record.
    function jobOf(uint256 jobId) external view returns (Job memory job);

    /// @notice The job task `taskId` runs (0 if the task is no data job).
    /// @param taskId The TaskMarket task.
    /// @return jobId The job.
    function jobOfTask(uint256 taskId) external view returns (uint256 jobId);

    /// @notice Listing `listingId`'s compute dataset (zero fields if none).
    /// @param listingId The listing.
    /// @return dataset The dataset.
    function datasetOf(uint256 listingId) external view returns (Dataset memory dataset);

    /// @notice Jobs so far (ids run from 1).
    /// @return count How many jobs exist.
    function jobCount() external view returns (uint256 count);
}
