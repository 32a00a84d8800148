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
/// Errors it shares with other kura contracts are declared once, in `IKuraErrors`.
interface ITaskMarket {
    /// @notice Lifecycle of a task. `None` means no such task.
    /// Open → (claim) Claimed → (the worker's commit) Drawing → (drawAuditors) Auditing → (finalize) Accepted |
    /// Drawing (next round) | Refunded; Open → (cancel) Cancelled; Claimed → (finalize after the worker's
    /// deadline) Refunded; Drawing → (drawAuditors, too few eligible auditors) Refunded.
    enum TaskState {
        None,
        Open,
        Claimed,
        Drawing,
        Auditing,
        Accepted,
        Refunded,
        Cancelled,
        Unaudited,
        Provisional
    }

    /// @notice Why a task ended as it did (None while it runs, and for a cancelled task).
    enum Outcome {
        None,
        Audited,
        NoAuditors,
        NoConsensus,
        WorkerSilent,
        Sampled,
        Reaudited
    }

    /// @notice The market's deployment parameters (one struct, so the constructor stays readable).
    /// @param commitWindow Seconds a commit phase lasts beyond the time its fuel takes (> 0).
    /// @param revealWindow Seconds from the commit deadline to the reveal deadline (> 0).
    /// @param seedDelay Blocks between the worker's commitment (or an inconclusive round) and the block whose
    /// hash draws the auditors (1 to 255).
    /// @param maxRounds Most audit rounds per task (> 0).
    /// @param maxAuditors Most auditors per round (> 0, and `maxAuditors × maxRounds` at most 32 results to weigh).
    /// @param slashBps Share of a caught worker's stake slashed (a wrong answer, or silence once audited), in basis
    /// points (<= 10 000).
    /// @param missBps Share of a silent auditor's stake, and of a worker's that never committed, slashed, in basis
    /// points (<= 10 000).
    /// @param saboteurFraction Assumed fraction of saboteurs among the voters, f (WAD, 0 < f < 1/2): the audit
    /// pool's bound, the parameter of Sarmenta's credibility.
    /// @param maxFuel Most fuel a task may ask for (> 0, below 2^48).
    /// @param fuelRate Fuel per second the slowest honest node is assumed to run (> 0): every phase in which a node
    /// must run the task lasts `commitWindow + ⌈fuel / fuelRate⌉` seconds.
    /// @param minFuelPrice Least wei per unit of fuel a run is paid, the reward and every audit fee alike (> 0).
    struct Config {
        uint64 commitWindow;
        uint64 revealWindow;
        uint64 seedDelay;
        uint8 maxRounds;
        uint8 maxAuditors;
        uint16 slashBps;
        uint16 missBps;
        uint64 saboteurFraction;
        uint64 maxFuel;
        uint64 fuelRate;
        uint96 minFuelPrice;
    }

    /// @notice A task as the chain records it (five storage slots; what was posted but is not needed on chain,
    /// the module's and input's hashes and CIDs and the requester's key, is in the `TaskPosted` event).
    /// @param requester Who posted it and escrowed the payment.
    /// @param reward Wei paid to the worker if its answer is the decided one.
    /// @param worker The compute node that claimed it (zero while Open).
    /// @param auditFee Wei paid to each auditor whose revealed answer is the decided one.
    /// @param fuel Fuel limit every node runs the module with.
    /// @param theta Credibility a result group must reach to be accepted, in WAD (1e18 = 1).
    /// @param seedBlock Block whose hash draws the next round's auditors (0 until the worker committed).
    /// @param claimBlock Block the task was claimed in: the draw sees the audit pool as it stood then.
    /// @param postedBlock Block the task was posted in (where its `TaskPosted` event is).
    /// @param poolSize Seats of the audit pool when it was claimed (the draw looks at no later seat).
    /// @param auditors Auditors drawn per round (m).
    /// @param round Current audit round (1-based; 0 until the first draw).
    /// @param state Lifecycle state (Unaudited: the audit coin said no audit and the worker must reveal; Provisional:
    /// its unaudited result is accepted, for good unless its worker's catch reopens it; whether its held reward was
    /// paid yet is the `SampledAudits` ledger's to say, `ResultFinal`).
    /// @param outcome Why it ended (None while it runs; Sampled for a result accepted without audit, which stays
    /// Sampled during a re-audit; Reaudited once a re-audit closed).
    /// @param commitDeadline Last timestamp at which the current phase (the worker's run, or a round) accepts
    /// commitments.
    /// @param revealDeadline Last timestamp at which the current round accepts reveals.
    /// @param workerRevealed True once the worker revealed its answer.
    /// @param confidential True when the output must be uploaded encrypted to the requester's key
    /// (the key is in the task's `TaskPosted` event).
    /// @param gate The task's `IComputeGate` (zero for an open task): only the nodes it allows work on the task.
    /// @param drawn Auditors drawn so far, over every round (their seats are numbered 0 to `drawn − 1`).
    /// @param committed Auditors of the current round who have committed (reveals open when all have).
    /// @param result The accepted result (a sandbox commitment hash) once Accepted or Provisional, else zero.
    struct Task {
        address requester;
        uint96 reward;
        address worker;
        uint96 auditFee;
        uint48 fuel;
        uint64 theta;
        uint32 seedBlock;
        uint32 claimBlock;
        uint32 postedBlock;
        uint16 poolSize;
        uint8 auditors;
        uint8 round;
        TaskState state;
        Outcome outcome;
        uint32 commitDeadline;
        uint32 revealDeadline;
        bool workerRevealed;
        bool confidential;
        address gate;
        uint8 drawn;
        uint8 committed;
        bytes32 result;
    }

    /// @notice What a requester asks for when it posts a task.
    /// @param moduleCid IPFS CID of the WebAssembly module.
    /// @param moduleHash keccak256 of the module's bytes.
    /// @param inputCid IPFS CID of the input.
    /// @param inputHash keccak256 of the input bytes.
    /// @param fuel Fuel limit for every run (1 to `maxFuel`).
    /// @param reward Wei for the worker (at least `fuel × minFuelPrice`).
    /// @param auditFee Wei for each auditor that reveals the decided result (at least `fuel × minFuelPrice`).
    /// @param auditors Auditors per round (1 to `maxAuditors`).
    /// @param theta Group credibility needed to accept a result, WAD, in (0.5, 1].
    /// @param requesterKey Zero for a public output; else the caller's own secp256k1 public key (x, y),
    /// to which the nodes encrypt the output (the task is then `confidential`).
    /// @param gate Zero for an open task; else an `IComputeGate` contract, which must be the caller: only the nodes
    /// its `mayCompute` allows may claim the task or be drawn to audit it (compute-to-data).
    // Never stored (calldata of `post`, and the `TaskPosted` event), so its packing costs nothing; `gate` comes
    // last so that the fields before it keep their places.
    // solhint-disable-next-line gas-struct-packing
    struct TaskParams {
        string moduleCid;
        bytes32 moduleHash;
        string inputCid;
        bytes32 inputHash;
        uint64 fuel;
        uint96 reward;
        uint96 auditFee;
        uint8 auditors;
        uint64 theta;
        bytes32[2] requesterKey;
        address gate;
    }

    /// @notice One auditor's seat in a task (one storage slot).
    /// @param node The auditor.
    /// @param round The round it was drawn for.
    /// @param revealed True once it revealed.
    struct Seat {
        address node;
        uint8 round;
        bool revealed;
    }

    /// @notice What one participant (the worker, or a drawn auditor) did in a task.
    /// @param answer keccak256(result ‖ salt ‖ participant) once committed, the result once revealed, else zero.
    /// @param round The round an auditor was drawn in (0 for the worker and for nodes never drawn).
    /// @param revealed True once the reveal matched the commitment.
    struct Entry {
        bytes32 answer;
        uint8 round;
        bool revealed;
    }

    /// @notice A task was posted: `params` as given, and `auditBudget` wei escrowed for auditors beside the reward.
    /// @param taskId The new task.
    /// @param requester Who posted it and escrowed the payment.
    /// @param params The module, input, fuel, payments, audit terms and requester key (zero for a public output;
    /// else the output is uploaded ECIES-encrypted to that secp256k1 key, x ‖ y).
    /// @param auditBudget Wei escrowed for auditors: `auditFee × auditors × maxRounds`.
    event TaskPosted(uint256 indexed taskId, address indexed requester, TaskParams params, uint256 auditBudget);
    /// @notice Compute node `worker` claimed the task and must commit its answer by `commitDeadline`.
    /// @param taskId The task.
    /// @param worker The compute node that claimed it.
    /// @param commitDeadline Last timestamp for its commitment.
    event TaskClaimed(uint256 indexed taskId, address indexed worker, uint64 commitDeadline);
    /// @notice `auditor` was drawn for round `round`.
    /// @param taskId The task.
    /// @param auditor The node drawn.
    /// @param round The round it audits.
    event AuditorDrawn(uint256 indexed taskId, address indexed auditor, uint8 round);
    /// @notice Round `round` is open: commit until `commitDeadline`, reveal after it until `revealDeadline`.
    /// @param taskId The task.
    /// @param round The round.
    /// @param commitDeadline Last timestamp that accepts commitments.
    /// @param revealDeadline Last timestamp that accepts reveals.
    event RoundOpened(uint256 indexed taskId, uint8 round, uint64 commitDeadline, uint64 revealDeadline);
    /// @notice The next draw waits for `seedBlock` (the worker committed, the previous seed expired, or a new round
    /// follows).
    /// @param taskId The task.
    /// @param seedBlock The block whose hash will draw the auditors.
    event DrawScheduled(uint256 indexed taskId, uint64 seedBlock);
    /// @notice Round `round` ended without a result reaching θ (best credibility `best`, WAD); another draw
    /// follows, or the task is refunded after the last round.
    /// @param taskId The task.
    /// @param round The round that ended.
    /// @param best The best group credibility reached, WAD.
    event RoundInconclusive(uint256 indexed taskId, uint8 round, uint256 best);
    /// @notice `node` committed to a result.
    /// @param taskId The task.
    /// @param node The worker or auditor.
    /// @param commitment keccak256(result ‖ salt ‖ node).
    event ResultCommitted(uint256 indexed taskId, address indexed node, bytes32 commitment);
    /// @notice `node` revealed `result`; its output bytes (if any) are at `outputCid`.
    /// @param taskId The task.
    /// @param node The worker or auditor.
    /// @param result The result it committed to.
    /// @param outputCid IPFS CID of its output bytes (empty when the run produced none).
    event ResultRevealed(uint256 indexed taskId, address indexed node, bytes32 result, string outputCid);
    /// @notice Auditor `node` was drawn but did not commit and reveal in time.
    /// @param taskId The task.
    /// @param node The silent auditor.
    /// @param slashed Wei taken from its stake.
    event RevealMissed(uint256 indexed taskId, address indexed node, uint256 slashed);
    /// @notice The audit coin of the task said no audit (probability `probability`, WAD): the worker reveals its
    /// answer until `revealDeadline`, and it is accepted provisionally.
    /// @param taskId The task.
    /// @param worker Its compute node.
    /// @param probability The task's audit probability, WAD.
    /// @param revealDeadline Last timestamp for the worker's reveal.
    event AuditSkipped(uint256 indexed taskId, address indexed worker, uint256 probability, uint64 revealDeadline);
    /// @notice The worker's unaudited `result` is accepted provisionally: its reward is held in `SampledAudits`
    /// (`ResultHeld`) and the audit budget refunded.
    /// @param taskId The task.
    /// @param worker Its compute node.
    /// @param result The result.
    event ResultProvisional(uint256 indexed taskId, address indexed worker, bytes32 result);
    /// @notice A re-audit accepted `result` instead of the worker's provisional `replaced`.
    /// @param taskId The task.
    /// @param replaced The worker's result.
    /// @param result The result that stands now.
    event ResultReplaced(uint256 indexed taskId, bytes32 replaced, bytes32 result);
    /// @notice The auditors' consensus accepted `result` with group credibility `credibility` (WAD).
    /// @param taskId The task.
    /// @param result The accepted result.
    /// @param credibility Its group credibility, WAD.
    event TaskAccepted(uint256 indexed taskId, bytes32 result, uint256 credibility);
    /// @notice Auditor `node` was judged: `agreed` with the decided result or not; in an undecided task only the
    /// auditors whose answer is no more likely right than wrong are judged (and fail).
    /// @param taskId The task.
    /// @param node The auditor.
    /// @param agreed Whether its result was the decided one.
    event AuditorJudged(uint256 indexed taskId, address indexed node, bool agreed);
    /// @notice The worker's answer was the decided one; `reward` wei credited.
    /// @param taskId The task.
    /// @param worker The compute node.
    /// @param reward Wei credited to it.
    event WorkerPaid(uint256 indexed taskId, address indexed worker, uint256 reward);
    /// @notice The worker was judged (`reason`): `slashed` wei taken, demoted to stray, its passed checks reset.
    /// @param taskId The task.
    /// @param worker The compute node.
    /// @param reason COMPUTE_WRONG_RESULT, COMPUTE_NO_REVEAL, COMPUTE_NO_COMMIT, or COMPUTE_DOUBTFUL (an undecided
    /// task found its answer more likely wrong than right: demoted, not slashed).
    /// @param slashed Wei taken from its stake.
    event WorkerPenalised(uint256 indexed taskId, address indexed worker, bytes32 reason, uint256 slashed);
    /// @notice The task ended without an accepted result (`reason`); the escrow was refunded.
    /// @param taskId The task.
    /// @param reason NO_AUDITORS, NO_CONSENSUS or WORKER_SILENT.
    /// @param amount Wei credited back to the requester.
    event TaskRefunded(uint256 indexed taskId, bytes32 reason, uint256 amount);
    /// @notice The requester cancelled an unclaimed task; `amount` wei refunded.
    /// @param taskId The task.
    /// @param amount Wei credited back to the requester.
    event TaskCancelled(uint256 indexed taskId, uint256 amount);
    /// @notice `node` joined (`joined = true`) or left the pool auditors are drawn from.
    /// @param node The node.
    /// @param joined True for a join, false for a leave.
    event AuditPoolChanged(address indexed node, bool joined);

    /// @notice No task has id `taskId`.
    error UnknownTask(uint256 taskId);
    /// @notice The task is in `state`, which does not allow this.
    error WrongState(uint256 taskId, TaskState state);
    /// @notice `auditors` is zero or above `maxAuditors`.
    error BadAuditorCount(uint8 auditors, uint8 maxAuditors);
    /// @notice θ must be above 0.5 and at most 1 (WAD).
    error BadThreshold(uint64 theta);
    /// @notice The fuel limit is zero or above `maxFuel`: every task must end within a bounded time.
    error BadFuel(uint64 fuel, uint64 maxFuel);
    /// @notice The reward is below `minimum` = fuel × `minFuelPrice` (a task nobody is paid to run is refused).
    error RewardTooLow(uint256 reward, uint256 minimum);
    /// @notice The audit fee is below `minimum` = fuel × `minFuelPrice` (auditors run the task too).
    error AuditFeeTooLow(uint256 auditFee, uint256 minimum);
    /// @notice `auditors × maxRounds` auditors who never passed a spot-check, all agreeing and one of them silent,
    /// could not reach `theta`: on a new network such a task could never be decided. Ask for more auditors or a
    /// lower θ.
    error QuorumUnreachable(uint8 auditors, uint64 theta);
    /// @notice The module or input is not named (empty CID or zero hash).
    error MissingTaskData();
    /// @notice `publicKey` is neither zero (public output) nor the secp256k1 public key of `requester`.
    error BadRequesterKey(address requester, bytes32[2] publicKey);
    /// @notice `sent` wei does not cover `reward + auditFee × auditors × maxRounds` (`required`).
    error WrongEscrow(uint256 sent, uint256 required);
    /// @notice `caller` is not the task's requester.
    error NotRequester(uint256 taskId, address caller);
    /// @notice `node`'s stake is below `minimum`, the least that makes cheating on a task of this reward lose money
    /// at the market's lowest audit probability (`reward × (WAD − qMin) / qMin + 1`). Top up, or claim a smaller task.
    error StakeTooLowForReward(address node, uint256 stake, uint256 minimum);
    /// @notice `worker` was caught and its provisional results are still being re-audited (`reaudit`).
    error ReauditsPending(address worker);
    /// @notice Only the SampledAudits ledger may reopen a task, and `caller` is not it.
    error NotSampler(address caller);
    /// @notice `node` is not an Active compute node of the NodeRegistry.
    error NotComputeNode(address node);
    /// @notice `node` is neither the task's worker nor an auditor drawn for its current round.
    error NotParticipant(uint256 taskId, address node);
    /// @notice The commit phase ended at `commitDeadline`.
    error CommitClosed(uint256 taskId, uint64 commitDeadline);
    /// @notice `node` already committed.
    error AlreadyCommitted(uint256 taskId, address node);
    /// @notice A zero commitment is not a commitment.
    error EmptyCommitment();
    /// @notice Reveals open once every participant of the round has committed, or after `commitDeadline`.
    error RevealNotOpen(uint256 taskId, uint64 commitDeadline);
    /// @notice The reveal phase ended at `revealDeadline`.
    error RevealClosed(uint256 taskId, uint64 revealDeadline);
    /// @notice `node` never committed.
    error NotCommitted(uint256 taskId, address node);
    /// @notice `node` already revealed.
    error AlreadyRevealed(uint256 taskId, address node);
    /// @notice keccak256(result ‖ salt ‖ node) is not what `node` committed.
    error CommitmentMismatch(uint256 taskId, address node);
    /// @notice The phase cannot be closed before `deadline` while answers are outstanding.
    error RoundNotOver(uint256 taskId, uint64 deadline);
    /// @notice A gated task can only be posted by its gate, and `caller` is not it.
    error NotGate(address caller);
    /// @notice The task's gate does not let `node` compute it (it said no, reverted, ran out of gas or answered
    /// something other than true).
    error GateRefused(uint256 taskId, address node);

    /// @notice Post a task, escrowing `msg.value = reward + auditFee × auditors × maxRounds` wei. The chain sees
    /// only the module's hash and CID, never its bytes: it checks that both are given, and requesters check
    /// that the bytes are a WebAssembly module kura can run before posting (`kura.compute.requester`); nodes
    /// that fetch bytes not matching the hash, or not a runnable module, answer INVALID_MODULE, which is a
    /// decided answer like any other. A gated task (`params.gate` set) must be posted by its gate itself.
    /// @param params The module, input, fuel, payments, audit terms, requester key and gate of the task.
    /// @return taskId The new task's id.
    function post(TaskParams calldata params) external payable returns (uint256 taskId);

    /// @notice Cancel an Open (unclaimed) task and refund its escrow (requester only).
    /// @param taskId The task.
    function cancel(uint256 taskId) external;

    /// @notice Claim an Open task as its worker (Active compute nodes only). It must commit within
    /// `fuelWindow(fuel)` seconds; its commitment schedules the auditor draw. The audit pool is noted as it
    /// stands now: nodes that join later are not drawn for this task. A gated task's gate must allow the caller
    /// (`IComputeGate.mayCompute`).
    /// @param taskId The task.
    function claim(uint256 taskId) external;

    /// @notice Draw the current round's auditors from the hash of the task's seed block (anyone).
    /// Refunds the task if the pool has too few eligible nodes; reschedules the draw if the seed
    /// block is older than 256 blocks. A gated task draws only nodes its gate allows, among the first
    /// `GATED_LOOKS` seats of the shuffled pool.
    /// @param taskId The task.
    function drawAuditors(uint256 taskId) external;

    /// @notice Commit to a result: `commitment = keccak256(abi.encodePacked(result, salt, msg.sender))`. The
    /// worker commits while the task is Claimed (which fixes the seed block of the draw), a drawn auditor during
    /// its round's commit phase.
    /// @param taskId The task.
    /// @param commitment The hash; a zero one is refused.
    function commit(uint256 taskId, bytes32 commitment) external;

    /// @notice Reveal the committed `result` and `salt`, once every participant of the round (its drawn auditors,
    /// and in round 1 the worker, who committed before the draw) has committed, or after the commit deadline:
    /// nobody can commit any more then, so a reveal cannot be copied.
    /// @param taskId The task.
    /// @param result The result committed to.
    /// @param salt The salt committed with it.
    /// @param outputCid IPFS CID of the output bytes (empty when the run produced none).
    function reveal(uint256 taskId, bytes32 result, bytes32 salt, string calldata outputCid) external;

    /// @notice Close the current round (anyone): after the reveal deadline, or earlier once everyone revealed; or
    /// end a Claimed task whose worker did not commit by its deadline (the worker is penalised, the task refunded).
    /// @param taskId The task.
    function finalize(uint256 taskId) external;

    /// @notice Audit a caught worker's provisional task again (the SampledAudits ledger only, from its `reaudit`): a
    /// draw follows as for any task, over the audit pool as it stands now; the auditors are paid `auditFee` from the
    /// NodeRegistry's repair pool (which holds the slashed stake), and a decision that differs from the worker's
    /// result replaces it (`ResultReplaced`).
    /// @param taskId The Provisional task.
    function reopen(uint256 taskId) external;

    /// @notice Join the pool auditors are drawn from (Active registry nodes); the pool's own errors
    /// (`AlreadyInPool`, `PoolFull`, and `NotInPool` on leaving) are declared in `AuditPool`.
    function joinAuditPool() external;

    /// @notice Leave the audit pool.
    function leaveAuditPool() external;

    /// @notice The task `taskId`.
    /// @param taskId The task.
    /// @return task Everything the chain records about it.
    function taskOf(uint256 taskId) external view returns (Task memory task);

    /// @notice What `node` did in task `taskId`.
    /// @param taskId The task.
    /// @param node The worker or an auditor.
    /// @return entry Its commitment or result, round and whether it revealed.
    function entryOf(uint256 taskId, address node) external view returns (Entry memory entry);

    /// @notice Seconds a node is given to run a task of `fuel` and commit: `commitWindow + ⌈fuel / fuelRate⌉`.
    /// @param fuel The task's fuel.
    /// @return seconds_ The length of the commit phase.
    function fuelWindow(uint64 fuel) external view returns (uint64 seconds_);

    /// @notice Every auditor drawn for task `taskId` so far, in draw order.
    /// @param taskId The task.
    /// @return auditors Their addresses.
    function auditorsOf(uint256 taskId) external view returns (address[] memory auditors);

    /// @notice The accepted result of `taskId` (zero unless Accepted).
    /// @param taskId The task.
    /// @return result The accepted result hash.
    function resultOf(uint256 taskId) external view returns (bytes32 result);

    /// @notice The nodes auditors are drawn from.
    /// @return pool Their addresses.
    function auditPool() external view returns (address[] memory pool);

    /// @notice Number of tasks posted so far (ids run from 1).
    /// @return count The number of tasks.
    function taskCount() external view returns (uint256 count);

    /// @notice Credibility (WAD) the market gives `node` now, from its passed spot-checks.
    /// @param node The node.
    /// @return credibility Its credibility, WAD.
    function credibilityOf(address node) external view returns (uint256 credibility);
}
