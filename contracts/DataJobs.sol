// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IComputeGate} from "./interfaces/IComputeGate.sol";
import {IDataJobs} from "./interfaces/IDataJobs.sol";
import {IDataMarket} from "./interfaces/IDataMarket.sol";
import {IInstitutionRegistry} from "./interfaces/IInstitutionRegistry.sol";
import {IKuraErrors} from "./interfaces/IKuraErrors.sol";
import {ITaskMarket} from "./interfaces/ITaskMarket.sol";
import {TaskMarket} from "./TaskMarket.sol";
import {PullPayments} from "./utils/PullPayments.sol";

/// @title DataJobs
/// @notice Compute-to-data through the audited compute layer (issue 12, item 5, and M3): the DataMarket's
/// `computeMarket`.
///
/// Setting up. The seller of a listing stores its per-patient rows as a kura file, seals that file's manifest
/// under a fresh dataset key K and names both here (`setDataset`); it approves compute/audit nodes on the
/// DataMarket (`setNode`) and seals K to each one's account key here (`sealKey`, an event the node reads).
/// The buyer never sees K, so cannot derive the noise seed the nodes derive from it.
///
/// A job. The buyer's current account submits a job against its compute access, naming the module, the ε it
/// spends, the job's public parameters (the query, on IPFS) and its own public key. In one transaction the job
/// is debited on the DataMarket — which refuses an unapproved module, a spent access, a stale consent snapshot
/// or ε over the dataset's or the buyer's budget, before anything runs — and posted as a TaskMarket task that
/// this contract gates: only nodes approved for the listing may claim it or be drawn to audit it
/// (`mayCompute`). The job pins the consent snapshot current at acceptance; every node keeps only that
/// snapshot's members, so auditors rebuild the same input and reproduce the result bit for bit. The nodes seal
/// the output to the buyer's key. The buyer escrows the task's reward and audit budget (`msg.value`, checked by
/// the TaskMarket).
///
/// Settling. The TaskMarket credits what a task did not spend to its requester, this contract: the reward of a
/// worker that answered wrongly or not at all, the fees of auditors that did not agree or were never drawn, or
/// everything when the task is refunded. Once the task ended, `settle` computes that amount from the task's
/// public record exactly as the TaskMarket did (`_unspent`), credits it to the buyer's payout address (pull
/// payment) and pulls it from the TaskMarket. The ε and the job stay spent: a job the nodes ran cannot be re-run
/// for free with fresh noise.
///
/// Known limits. `_unspent` restates the TaskMarket's accounting of an ending (its `_accept` and `_refund`); a
/// change there must change it too (the settle tests pin both). Removing a node's approval stops it from computing
/// new jobs, but it keeps the dataset key it was sent: to cut it off, the seller re-stores the rows under a new
/// key (`setDataset`) and seals that key to the nodes still approved.
///
/// Access log. `DatasetSet`, `DatasetKeySealed`, `JobSubmitted`, `JobSettled`, with DataMarket's `JobDebited`,
/// rebuild who ran which module over which listing and consent snapshot, at which ε.
contract DataJobs is IDataJobs, PullPayments {
    using SafeCast for uint256;

    /// @notice The consortium.
    IInstitutionRegistry public immutable institutions;
    /// @notice The market whose compute access jobs debit.
    IDataMarket public immutable market;
    /// @notice The compute market that runs the jobs.
    ITaskMarket public immutable tasks;

    uint256 private _lastJob;
    mapping(uint256 jobId => Job job) private _jobs;
    mapping(uint256 taskId => uint256 jobId) private _jobOfTask;
    mapping(uint256 listingId => Dataset dataset) private _datasets;

    /// @notice Deploy over the consortium, its data market and the compute market.
    /// @param institutions_ The InstitutionRegistry.
    /// @param market_ The DataMarket (its deployer then names this contract its compute market).
    /// @param tasks_ The TaskMarket.
    constructor(IInstitutionRegistry institutions_, IDataMarket market_, ITaskMarket tasks_) {
        if (address(institutions_) == address(0)) revert IKuraErrors.BadParameter("institutions");
        if (address(market_) == address(0)) revert IKuraErrors.BadParameter("market");
        if (address(tasks_) == address(0)) revert IKuraErrors.BadParameter("tasks");
        institutions = institutions_;
        market = market_;
        tasks = tasks_;
    }

    /// @notice Accept the escrow the TaskMarket returns (from no one else).
    receive() external payable {
        if (msg.sender != address(tasks)) revert UnexpectedPayment(msg.sender);
    }

    // ------------------------------------------------------------------ seller

    /// @inheritdoc IDataJobs
    function setDataset(uint256 listingId, bytes32 fileId, bytes32 manifestDigest) external {
        _requireSeller(listingId);
        if (fileId == 0) revert IKuraErrors.BadParameter("fileId");
        if (manifestDigest == 0) revert IKuraErrors.BadParameter("manifestDigest");
        _datasets[listingId] = Dataset(fileId, manifestDigest);
        emit DatasetSet(listingId, fileId, manifestDigest);
    }

    /// @inheritdoc IDataJobs
    function sealKey(uint256 listingId, address node, bytes calldata sealedKey) external {
        _requireSeller(listingId);
        if (!market.isApprovedNode(listingId, node)) revert NodeNotApproved(listingId, node);
        if (sealedKey.length == 0) revert IKuraErrors.BadParameter("sealedKey");
        emit DatasetKeySealed(listingId, node, sealedKey);
    }

    // ------------------------------------------------------------------ buyer

    /// @inheritdoc IDataJobs
    function submit(JobParams calldata params) external payable nonReentrant returns (uint256 jobId, uint256 taskId) {
        IDataMarket.Access memory access = market.accessOf(params.accessId);
        if (institutions.accountOf(access.buyer) != msg.sender) revert NotAccessBuyer(params.accessId, msg.sender);
        if (address(uint160(uint256(keccak256(abi.encodePacked(params.buyerKey))))) != msg.sender) {
            revert BadBuyerKey(msg.sender, params.buyerKey);
        }
        uint256 listingId = access.listingId;
        if (_datasets[listingId].fileId == 0) revert NoDataset(listingId);
        IDataMarket.Terms memory terms = market.termsOf(listingId, market.listingOf(listingId).version);

        unchecked {
            // One id per transaction: 2^256 jobs are out of reach.
            jobId = ++_lastJob;
        }
        Job storage job = _jobs[jobId];
        job.listingId = access.listingId;
        job.accessId = params.accessId.toUint32();
        job.buyer = access.buyer;
        job.consentSnapshot = terms.consentSnapshot;
        job.epsilon = params.epsilon;
        job.escrow = msg.value.toUint96();
        job.moduleHash = params.moduleHash;
        job.consentPurpose = terms.consentPurpose;

        // Both callees are this deployment's own contracts, fixed at construction; the guard covers the rest.
        market.debitJob(params.accessId, params.moduleHash, params.epsilon, bytes32(jobId));
        taskId = tasks.post{value: msg.value}(_taskParams(params));
        job.taskId = taskId;
        _jobOfTask[taskId] = jobId;
        _logSubmitted(jobId, job, params);
    }

    /// @inheritdoc IDataJobs
    function settle(uint256 jobId) external nonReentrant {
        Job storage job = _knownJob(jobId);
        if (job.settled) revert JobAlreadySettled(jobId);
        uint256 taskId = job.taskId;
        ITaskMarket.Task memory task = tasks.taskOf(taskId);
        ITaskMarket.TaskState state = task.state;
        bool over = state == ITaskMarket.TaskState.Accepted || state == ITaskMarket.TaskState.Refunded
            || state == ITaskMarket.TaskState.Cancelled;
        if (!over) revert JobNotOver(jobId, taskId);
        uint256 refund = _unspent(taskId, task);

        job.settled = true;
        emit JobSettled(jobId, taskId, refund);
        if (refund > 0) {
            _credit(institutions.payoutOf(job.buyer), refund);
            // The TaskMarket credits every refund to this contract; an earlier settle may have pulled this one.
            PullPayments taskPayments = PullPayments(address(tasks));
            if (taskPayments.payments(address(this)) > 0) taskPayments.withdrawPayments();
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IComputeGate
    function mayCompute(uint256 taskId, address node) external view returns (bool allowed) {
        uint256 jobId = _jobOfTask[taskId];
        return jobId != 0 && market.isApprovedNode(_jobs[jobId].listingId, node);
    }

    /// @inheritdoc IDataJobs
    function jobOf(uint256 jobId) external view returns (Job memory job) {
        return _knownJob(jobId);
    }

    /// @inheritdoc IDataJobs
    function jobOfTask(uint256 taskId) external view returns (uint256 jobId) {
        return _jobOfTask[taskId];
    }

    /// @inheritdoc IDataJobs
    function datasetOf(uint256 listingId) external view returns (Dataset memory dataset) {
        return _datasets[listingId];
    }

    /// @inheritdoc IDataJobs
    function jobCount() external view returns (uint256 count) {
        return _lastJob;
    }

    // ------------------------------------------------------------------ internals

    function _logSubmitted(uint256 jobId, Job storage job, JobParams calldata params) private {
        emit JobSubmitted(
            jobId,
            job.listingId,
            params.accessId,
            job.buyer,
            job.taskId,
            job.moduleHash,
            job.epsilon,
            job.consentSnapshot,
            job.escrow,
            params.buyerKey
        );
    }

    function _requireSeller(uint256 listingId) private view {
        uint32 seller = market.listingOf(listingId).seller;
        if (institutions.memberIdOf(msg.sender) != seller) revert NotListingSeller(listingId, msg.sender);
    }

    function _knownJob(uint256 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.listingId == 0) revert UnknownJob(jobId);
    }

    /// @dev What the TaskMarket credited back to this contract for `task` once it ended: the whole escrow of a
    /// refunded (or cancelled) task; for an accepted one, the escrow less the fee of every auditor whose revealed
    /// answer is the accepted result, less the reward if the worker revealed that result (`TaskMarket._accept`).
    function _unspent(uint256 taskId, ITaskMarket.Task memory task) private view returns (uint256 refund) {
        refund = uint256(task.reward) + uint256(task.auditFee) * task.auditors * TaskMarket(address(tasks)).maxRounds();
        if (task.state != ITaskMarket.TaskState.Accepted) return refund;
        address[] memory drawn = tasks.auditorsOf(taskId);
        for (uint256 i = 0; i < drawn.length; ++i) {
            ITaskMarket.Entry memory seat = tasks.entryOf(taskId, drawn[i]);
            if (seat.revealed && seat.answer == task.result) refund -= task.auditFee;
        }
        if (task.workerRevealed && tasks.entryOf(taskId, task.worker).answer == task.result) refund -= task.reward;
    }

    /// @dev The TaskMarket task of a job, gated by this contract; its output is public on chain only as a hash.
    function _taskParams(JobParams calldata params) private view returns (ITaskMarket.TaskParams memory) {
        return ITaskMarket.TaskParams({
            moduleCid: params.moduleCid,
            moduleHash: params.moduleHash,
            inputCid: params.inputCid,
            inputHash: params.inputHash,
            fuel: params.fuel,
            reward: params.reward,
            auditFee: params.auditFee,
            auditors: params.auditors,
            theta: params.theta,
            requesterKey: [bytes32(0), bytes32(0)],
            gate: address(this)
        });
    }
}
