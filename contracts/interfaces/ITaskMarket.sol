// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITaskMarket
/// @notice Events, errors and functions of kura's verifiable-computing market (source design 2): a
/// requester escrows a reward and an audit budget for a WebAssembly task, a compute node claims it,
/// auditors drawn at random from the audit pool recompute it, everyone commits then reveals, and a
/// credibility-weighted consensus among the auditors decides the accepted result. A compute node
/// whose answer differs from the decided one is slashed and demoted to stray at once.
///
/// Confidential output: a requester that posts with its own secp256k1 public key asks the nodes to
/// upload the output ECIES-encrypted to that key. Nodes still commit to the hash of the plaintext
/// outcome (honest nodes agree bit for bit); only the bytes on IPFS are sealed.
interface ITaskMarket {
    /// @notice Lifecycle of a task. `None` means no such task.
    /// Open → (claim) Drawing → (drawAuditors) Auditing → (finalize) Accepted | Drawing (next round) | Refunded;
    /// Open → (cancel) Cancelled; Drawing → (drawAuditors, pool too small) Refunded.
    enum TaskState {
        None,
        Open,
        Drawing,
        Auditing,
        Accepted,
        Refunded,
        Cancelled
    }

    /// @notice A task as the chain records it.
    /// @param requester Who posted it and escrowed the payment.
    /// @param reward Wei paid to the worker if its answer is the decided one.
    /// @param worker The compute node that claimed it (zero while Open).
    /// @param auditFee Wei paid to each auditor whose revealed answer is the decided one.
    /// @param fuel Fuel limit every node runs the module with.
    /// @param theta Credibility a result group must reach to be accepted, in WAD (1e18 = 1).
    /// @param seedBlock Block whose hash draws the next round's auditors.
    /// @param auditors Auditors drawn per round (m).
    /// @param round Current audit round (1-based; 0 while Open).
    /// @param state Lifecycle state.
    /// @param confidential True when the output must be uploaded encrypted to the requester's key
    /// (the key is in the task's `OutputSealedTo` event).
    /// @param commitDeadline Last timestamp at which the current round accepts commitments.
    /// @param revealDeadline Last timestamp at which the current round accepts reveals.
    /// @param postedBlock Block the task was posted in (where to start reading its events).
    /// @param moduleHash keccak256 of the WebAssembly module's bytes.
    /// @param inputHash keccak256 of the input bytes.
    /// @param result The accepted result (a sandbox commitment hash) once Accepted, else zero.
    /// @param moduleCid IPFS CID of the module.
    /// @param inputCid IPFS CID of the input.
    struct Task {
        address requester;
        uint96 reward;
        address worker;
        uint96 auditFee;
        uint64 fuel;
        uint64 theta;
        uint64 seedBlock;
        uint8 auditors;
        uint8 round;
        TaskState state;
        bool confidential;
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint64 postedBlock;
        bytes32 moduleHash;
        bytes32 inputHash;
        bytes32 result;
        string moduleCid;
        string inputCid;
    }

    /// @notice What one participant (the worker, or a drawn auditor) did in a task.
    /// @param commitment keccak256(result ‖ salt ‖ participant), zero until committed.
    /// @param result The revealed result, zero until revealed.
    /// @param round The round an auditor was drawn in (0 for the worker).
    /// @param revealed True once the reveal matched the commitment.
    struct Entry {
        bytes32 commitment;
        bytes32 result;
        uint8 round;
        bool revealed;
    }

    /// @notice A task was posted with `reward + auditBudget` wei escrowed.
    event TaskPosted(
        uint256 indexed taskId,
        address indexed requester,
        bytes32 moduleHash,
        bytes32 inputHash,
        uint256 reward,
        uint256 auditBudget,
        uint8 auditors,
        uint64 theta
    );
    /// @notice The task's output must be uploaded ECIES-encrypted to `publicKey`, the requester's
    /// secp256k1 public key (x ‖ y, 64 raw bytes; its keccak256 ends with the requester's address).
    event OutputSealedTo(uint256 indexed taskId, bytes32[2] publicKey);
    /// @notice Compute node `worker` claimed the task; round `round` auditors come from `seedBlock`'s hash.
    event TaskClaimed(uint256 indexed taskId, address indexed worker, uint64 seedBlock);
    /// @notice `auditor` was drawn for round `round`.
    event AuditorDrawn(uint256 indexed taskId, address indexed auditor, uint8 round);
    /// @notice Round `round` is open: commit until `commitDeadline`, reveal after it until `revealDeadline`.
    event RoundOpened(uint256 indexed taskId, uint8 round, uint64 commitDeadline, uint64 revealDeadline);
    /// @notice The seed block expired before the draw; the draw now waits for `seedBlock`.
    event DrawReseeded(uint256 indexed taskId, uint64 seedBlock);
    /// @notice Round `round` ended without a result reaching θ (best credibility `best`, WAD); another draw follows.
    event RoundInconclusive(uint256 indexed taskId, uint8 round, uint256 best);
    /// @notice `node` committed to a result.
    event ResultCommitted(uint256 indexed taskId, address indexed node, bytes32 commitment);
    /// @notice `node` revealed `result`; its output bytes (if any) are at `outputCid`.
    event ResultRevealed(uint256 indexed taskId, address indexed node, bytes32 result, string outputCid);
    /// @notice `node` was drawn or claimed but did not commit and reveal in time.
    event RevealMissed(uint256 indexed taskId, address indexed node, uint256 slashed);
    /// @notice The auditors' consensus accepted `result` with group credibility `credibility` (WAD).
    event TaskAccepted(uint256 indexed taskId, bytes32 result, uint256 credibility);
    /// @notice Auditor `node` was judged: `agreed` with the decided result or not.
    event AuditorJudged(uint256 indexed taskId, address indexed node, bool agreed);
    /// @notice The worker's answer was the decided one; `reward` wei credited.
    event WorkerPaid(uint256 indexed taskId, address indexed worker, uint256 reward);
    /// @notice The worker's answer was wrong or missing (`reason`): `slashed` wei taken, demoted to stray.
    event WorkerPenalised(uint256 indexed taskId, address indexed worker, bytes32 reason, uint256 slashed);
    /// @notice The task ended without an accepted result (`reason`); the escrow left was refunded.
    event TaskRefunded(uint256 indexed taskId, bytes32 reason, uint256 amount);
    /// @notice The requester cancelled an unclaimed task; `amount` wei refunded.
    event TaskCancelled(uint256 indexed taskId, uint256 amount);
    /// @notice `node` joined (`joined = true`) or left the pool auditors are drawn from.
    event AuditPoolChanged(address indexed node, bool joined);

    /// @notice No task has id `taskId`.
    error UnknownTask(uint256 taskId);
    /// @notice The task is in `state`, which does not allow this.
    error WrongState(uint256 taskId, TaskState state);
    /// @notice `auditors` is zero or above `maxAuditors`.
    error BadAuditorCount(uint8 auditors, uint8 maxAuditors);
    /// @notice θ must be above 0.5 and at most 1 (WAD).
    error BadThreshold(uint64 theta);
    /// @notice The fuel limit is zero.
    error ZeroFuel();
    /// @notice The module or input is not named (empty CID or zero hash).
    error MissingTaskData();
    /// @notice `publicKey` is neither zero (public output) nor the secp256k1 public key of `requester`.
    error BadRequesterKey(address requester, bytes32[2] publicKey);
    /// @notice `sent` wei does not cover `reward + auditFee × auditors × maxRounds` (`required`).
    error WrongEscrow(uint256 sent, uint256 required);
    /// @notice `caller` is not the task's requester.
    error NotRequester(uint256 taskId, address caller);
    /// @notice `node` is not an Active compute node of the NodeRegistry.
    error NotComputeNode(address node);
    /// @notice `node` is not an Active node of the NodeRegistry.
    error NodeNotActive(address node);
    /// @notice `node` is already in the audit pool.
    error AlreadyInPool(address node);
    /// @notice `node` is not in the audit pool.
    error NotInPool(address node);
    /// @notice The audit pool holds `size` nodes, its maximum.
    error PoolFull(uint256 size);
    /// @notice The seed block `seedBlock` is not mined yet; draw after it.
    error SeedNotYetAvailable(uint256 taskId, uint64 seedBlock);
    /// @notice `node` is neither the task's worker nor an auditor drawn for its current round.
    error NotParticipant(uint256 taskId, address node);
    /// @notice The commit phase ended at `commitDeadline`.
    error CommitClosed(uint256 taskId, uint64 commitDeadline);
    /// @notice `node` already committed.
    error AlreadyCommitted(uint256 taskId, address node);
    /// @notice A zero commitment is not a commitment.
    error EmptyCommitment();
    /// @notice Reveals open after `commitDeadline`.
    error RevealNotOpen(uint256 taskId, uint64 commitDeadline);
    /// @notice The reveal phase ended at `revealDeadline`.
    error RevealClosed(uint256 taskId, uint64 revealDeadline);
    /// @notice `node` never committed.
    error NotCommitted(uint256 taskId, address node);
    /// @notice `node` already revealed.
    error AlreadyRevealed(uint256 taskId, address node);
    /// @notice keccak256(result ‖ salt ‖ node) is not what `node` committed.
    error CommitmentMismatch(uint256 taskId, address node);
    /// @notice The round cannot be finalised before `revealDeadline` while reveals are outstanding.
    error RoundNotOver(uint256 taskId, uint64 revealDeadline);
    /// @notice A parameter given at deployment is unusable; `what` names it.
    error BadParameter(bytes32 what);

    /// @notice Post a task, escrowing `msg.value = reward + auditFee × auditors × maxRounds` wei.
    /// @param moduleCid IPFS CID of the WebAssembly module.
    /// @param moduleHash keccak256 of the module's bytes.
    /// @param inputCid IPFS CID of the input.
    /// @param inputHash keccak256 of the input bytes.
    /// @param fuel Fuel limit for every run.
    /// @param reward Wei for the worker.
    /// @param auditFee Wei for each auditor that reveals the decided result.
    /// @param auditors Auditors per round (1 to `maxAuditors`).
    /// @param theta Group credibility needed to accept a result, WAD, in (0.5, 1].
    /// @param requesterKey Zero for a public output; else the caller's own secp256k1 public key (x, y),
    /// to which the nodes encrypt the output (the task is then `confidential`).
    /// @return taskId The new task's id.
    function post(
        string calldata moduleCid,
        bytes32 moduleHash,
        string calldata inputCid,
        bytes32 inputHash,
        uint64 fuel,
        uint96 reward,
        uint96 auditFee,
        uint8 auditors,
        uint64 theta,
        bytes32[2] calldata requesterKey
    ) external payable returns (uint256 taskId);

    /// @notice Cancel an Open (unclaimed) task and refund its escrow (requester only).
    function cancel(uint256 taskId) external;

    /// @notice Claim an Open task as its worker (Active compute nodes only); schedules the auditor draw.
    function claim(uint256 taskId) external;

    /// @notice Draw the current round's auditors from the hash of the task's seed block (anyone).
    /// Refunds the task if the pool has too few eligible nodes; reschedules the draw if the seed
    /// block is older than 256 blocks.
    function drawAuditors(uint256 taskId) external;

    /// @notice Commit to a result: `commitment = keccak256(abi.encodePacked(result, salt, msg.sender))`.
    function commit(uint256 taskId, bytes32 commitment) external;

    /// @notice Reveal the committed `result` and `salt` after the commit deadline.
    /// @param outputCid IPFS CID of the output bytes (empty when the run produced none).
    function reveal(uint256 taskId, bytes32 result, bytes32 salt, string calldata outputCid) external;

    /// @notice Close the current round (anyone): after the reveal deadline, or earlier once everyone revealed.
    function finalize(uint256 taskId) external;

    /// @notice Join the pool auditors are drawn from (Active registry nodes).
    function joinAuditPool() external;

    /// @notice Leave the audit pool.
    function leaveAuditPool() external;

    /// @notice The task `taskId`.
    function taskOf(uint256 taskId) external view returns (Task memory);

    /// @notice What `node` did in task `taskId`.
    function entryOf(uint256 taskId, address node) external view returns (Entry memory);

    /// @notice Every auditor drawn for task `taskId` so far, in draw order.
    function auditorsOf(uint256 taskId) external view returns (address[] memory);

    /// @notice The accepted result of `taskId` (zero unless Accepted).
    function resultOf(uint256 taskId) external view returns (bytes32);

    /// @notice The nodes auditors are drawn from.
    function auditPool() external view returns (address[] memory);

    /// @notice Credibility (WAD) the market gives `node` now, from its passed spot-checks.
    function credibilityOf(address node) external view returns (uint256);

    /// @notice Number of tasks posted so far (ids run from 1).
    function taskCount() external view returns (uint256);
}
