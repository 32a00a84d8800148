// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ITaskMarket} from "./interfaces/ITaskMarket.sol";
import {Credibility} from "./libraries/Credibility.sol";
import {PullPayments} from "./utils/PullPayments.sol";

/// @title TaskMarket
/// @notice Verifiable P2P computing, judged on chain (source design 2 with commit–reveal).
///
/// Rules.
///  1. `post` escrows `reward + auditFee × auditors × maxRounds`. Until a worker claims it, the
///     requester may `cancel` for a full refund. A requester may post with its own public key (checked
///     against `msg.sender`, so a typo cannot seal the output to nobody): the task is then confidential,
///     the key is logged in `OutputSealedTo` and the nodes upload the output encrypted to it.
///  2. `claim`: only an Active node with the Compute role of the NodeRegistry may become the worker.
///     The claim fixes `seedBlock = block.number + seedDelay`: nobody knows its hash when claiming.
///  3. `drawAuditors` (anyone, after the seed block): `auditors` distinct nodes are drawn from the
///     audit pool with a Fisher–Yates walk seeded by `keccak256(blockhash(seedBlock), taskId, round)`,
///     skipping nodes that are not Active, hold the Compute role, were drawn before for this task,
///     or are the requester. Too few eligible nodes refund the task (NO_AUDITORS). A seed block
///     older than 256 blocks is replaced by a new one.
///  4. The worker (round 1 only) and the round's auditors `commit` keccak256(result ‖ salt ‖ self)
///     until `commitDeadline`, then `reveal` until `revealDeadline`. A commitment binds its author's
///     address, so nobody can replay another node's commitment, and commits close before any reveal.
///  5. `finalize` (anyone, after `revealDeadline` or once every participant of the round revealed):
///     drawn auditors who did not reveal fail a spot-check and lose `missBps` of their stake. Then the
///     credibility-weighted consensus (`Credibility.decide`, Sarmenta 2002) runs over every auditor
///     revealed so far. If the best result group reaches θ it is accepted: auditors who revealed it
///     pass a spot-check and earn `auditFee`, the others fail one; the worker is paid if it revealed
///     the same result, else (wrong or missing) it loses `slashBps` of its stake, is demoted to stray
///     and its reward goes back to the requester. Otherwise another round is drawn, up to `maxRounds`;
///     after the last one the task is refunded (NO_CONSENSUS). A worker that never revealed is slashed
///     and demoted on every ending, refunds included, once its round-1 window has closed.
///  6. Every payout (rewards, fees, refunds) is credited here and pulled with `withdrawPayments`.
///
/// Known limit: answers revealed in one round are public before the next round's auditors compute,
/// so a later auditor could copy them; copying adds no weight colluders could not add anyway, and
/// still costs a failed spot-check if the copied answer loses.
contract TaskMarket is ITaskMarket, PullPayments {
    using SafeCast for uint256;

    uint256 private constant WAD = 1e18;
    uint16 private constant BPS = 10_000;
    uint256 private constant BLOCKHASH_WINDOW = 256;
    /// @notice Most nodes the audit pool holds (bounds the draw's memory).
    uint256 public constant MAX_POOL = 1024;
    bytes32 private constant WRONG_RESULT = "COMPUTE_WRONG_RESULT";
    bytes32 private constant NO_REVEAL = "COMPUTE_NO_REVEAL";
    bytes32 private constant AUDIT_NO_REVEAL = "AUDIT_NO_REVEAL";
    bytes32 private constant NO_AUDITORS = "NO_AUDITORS";
    bytes32 private constant NO_CONSENSUS = "NO_CONSENSUS";

    /// @notice The shared node registry: roles, stakes, spot-check records (this contract is a judge).
    INodeRegistry public immutable registry;
    /// @notice Seconds from a round's opening to its commit deadline.
    uint64 public immutable commitWindow;
    /// @notice Seconds from the commit deadline to the reveal deadline.
    uint64 public immutable revealWindow;
    /// @notice Blocks between a claim (or an inconclusive round) and the block whose hash draws auditors.
    uint64 public immutable seedDelay;
    /// @notice Most audit rounds per task.
    uint8 public immutable maxRounds;
    /// @notice Most auditors per round.
    uint8 public immutable maxAuditors;
    /// @notice Share of a wrong (or silent) worker's stake slashed, in basis points.
    uint16 public immutable slashBps;
    /// @notice Share of a silent auditor's stake slashed, in basis points.
    uint16 public immutable missBps;
    /// @notice Assumed fraction of saboteurs f (WAD), the parameter of Sarmenta's credibility.
    uint256 public immutable saboteurFraction;

    uint256 private _lastId;
    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => address[]) private _drawn;
    mapping(uint256 taskId => mapping(address node => Entry)) private _entries;
    mapping(uint256 taskId => mapping(address node => bool)) private _isDrawn;
    address[] private _pool;
    mapping(address node => uint256 indexPlusOne) private _poolIndex;

    /// @param registry_ The NodeRegistry (this contract must be one of its judges).
    /// @param commitWindow_ See `commitWindow` (> 0).
    /// @param revealWindow_ See `revealWindow` (> 0).
    /// @param seedDelay_ See `seedDelay` (1 to 255).
    /// @param maxRounds_ See `maxRounds` (> 0).
    /// @param maxAuditors_ See `maxAuditors` (> 0, and `maxAuditors × maxRounds` at most 32 results to weigh).
    /// @param slashBps_ See `slashBps` (<= 10 000).
    /// @param missBps_ See `missBps` (<= 10 000).
    /// @param saboteurFraction_ See `saboteurFraction` (0 < f < 1, WAD).
    constructor(
        INodeRegistry registry_,
        uint64 commitWindow_,
        uint64 revealWindow_,
        uint64 seedDelay_,
        uint8 maxRounds_,
        uint8 maxAuditors_,
        uint16 slashBps_,
        uint16 missBps_,
        uint256 saboteurFraction_
    ) {
        if (commitWindow_ == 0) revert BadParameter("commitWindow");
        if (revealWindow_ == 0) revert BadParameter("revealWindow");
        if (seedDelay_ == 0 || seedDelay_ >= BLOCKHASH_WINDOW) revert BadParameter("seedDelay");
        if (maxRounds_ == 0) revert BadParameter("maxRounds");
        if (maxAuditors_ == 0 || uint256(maxAuditors_) * maxRounds_ > Credibility.MAX_RESULTS) {
            revert BadParameter("maxAuditors");
        }
        if (slashBps_ > BPS) revert BadParameter("slashBps");
        if (missBps_ > BPS) revert BadParameter("missBps");
        if (saboteurFraction_ == 0 || saboteurFraction_ >= WAD) revert BadParameter("saboteurFraction");
        registry = registry_;
        commitWindow = commitWindow_;
        revealWindow = revealWindow_;
        seedDelay = seedDelay_;
        maxRounds = maxRounds_;
        maxAuditors = maxAuditors_;
        slashBps = slashBps_;
        missBps = missBps_;
        saboteurFraction = saboteurFraction_;
    }

    // ------------------------------------------------------------------ requester

    /// @inheritdoc ITaskMarket
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
    ) external payable returns (uint256 taskId) {
        if (bytes(moduleCid).length == 0 || bytes(inputCid).length == 0 || moduleHash == 0 || inputHash == 0) {
            revert MissingTaskData();
        }
        if (fuel == 0) revert ZeroFuel();
        if (auditors == 0 || auditors > maxAuditors) revert BadAuditorCount(auditors, maxAuditors);
        if (theta <= WAD / 2 || theta > WAD) revert BadThreshold(theta);
        uint256 budget = uint256(auditFee) * auditors * maxRounds;
        if (msg.value != reward + budget) revert WrongEscrow(msg.value, reward + budget);

        unchecked {
            // One id per transaction: 2^256 tasks are out of reach.
            taskId = ++_lastId;
        }
        Task storage t = _tasks[taskId];
        t.requester = msg.sender;
        t.reward = reward;
        t.auditFee = auditFee;
        t.fuel = fuel;
        t.theta = theta;
        t.auditors = auditors;
        t.state = TaskState.Open;
        t.confidential = _isSealed(requesterKey);
        t.postedBlock = uint64(block.number);
        t.moduleHash = moduleHash;
        t.inputHash = inputHash;
        t.moduleCid = moduleCid;
        t.inputCid = inputCid;
        emit TaskPosted(taskId, msg.sender, moduleHash, inputHash, reward, budget, auditors, theta);
        if (t.confidential) emit OutputSealedTo(taskId, requesterKey);
    }

    /// @inheritdoc ITaskMarket
    function cancel(uint256 taskId) external {
        Task storage t = _inState(taskId, TaskState.Open);
        if (msg.sender != t.requester) revert NotRequester(taskId, msg.sender);
        t.state = TaskState.Cancelled;
        uint256 amount = _escrowLeft(t);
        emit TaskCancelled(taskId, amount);
        _credit(msg.sender, amount);
    }

    // ------------------------------------------------------------------ worker and auditors

    /// @inheritdoc ITaskMarket
    function claim(uint256 taskId) external {
        Task storage t = _inState(taskId, TaskState.Open);
        if (!registry.isActive(msg.sender) || registry.nodeOf(msg.sender).role != INodeRegistry.Role.Compute) {
            revert NotComputeNode(msg.sender);
        }
        t.worker = msg.sender;
        t.round = 1;
        t.state = TaskState.Drawing;
        uint64 seedBlock = uint64(block.number) + seedDelay;
        t.seedBlock = seedBlock;
        emit TaskClaimed(taskId, msg.sender, seedBlock);
    }

    /// @inheritdoc ITaskMarket
    function drawAuditors(uint256 taskId) external {
        Task storage t = _inState(taskId, TaskState.Drawing);
        uint64 seedBlock = t.seedBlock;
        if (block.number <= seedBlock) revert SeedNotYetAvailable(taskId, seedBlock);
        if (block.number > seedBlock + BLOCKHASH_WINDOW) {
            seedBlock = uint64(block.number) + seedDelay;
            t.seedBlock = seedBlock;
            emit DrawReseeded(taskId, seedBlock);
            return;
        }
        uint8 round = t.round;
        bytes32 seed = keccak256(abi.encode(blockhash(seedBlock), taskId, round));
        address[] memory picked = _draw(taskId, t, seed);
        if (picked.length < t.auditors) {
            _refund(taskId, t, NO_AUDITORS);
            return;
        }
        for (uint256 i = 0; i < picked.length; ++i) {
            address auditor = picked[i];
            _isDrawn[taskId][auditor] = true;
            _drawn[taskId].push(auditor);
            _entries[taskId][auditor].round = round;
            emit AuditorDrawn(taskId, auditor, round);
        }
        uint64 commitDeadline = uint64(block.timestamp) + commitWindow;
        uint64 revealDeadline = commitDeadline + revealWindow;
        t.commitDeadline = commitDeadline;
        t.revealDeadline = revealDeadline;
        t.state = TaskState.Auditing;
        emit RoundOpened(taskId, round, commitDeadline, revealDeadline);
    }

    /// @inheritdoc ITaskMarket
    function commit(uint256 taskId, bytes32 commitment) external {
        Task storage t = _known(taskId);
        Entry storage e = _participant(taskId, t, msg.sender);
        if (t.state == TaskState.Auditing && block.timestamp > t.commitDeadline) {
            revert CommitClosed(taskId, t.commitDeadline);
        }
        if (e.commitment != 0) revert AlreadyCommitted(taskId, msg.sender);
        if (commitment == 0) revert EmptyCommitment();
        e.commitment = commitment;
        emit ResultCommitted(taskId, msg.sender, commitment);
    }

    /// @inheritdoc ITaskMarket
    function reveal(uint256 taskId, bytes32 result, bytes32 salt, string calldata outputCid) external {
        Task storage t = _inState(taskId, TaskState.Auditing);
        Entry storage e = _participant(taskId, t, msg.sender);
        if (block.timestamp <= t.commitDeadline) revert RevealNotOpen(taskId, t.commitDeadline);
        if (block.timestamp > t.revealDeadline) revert RevealClosed(taskId, t.revealDeadline);
        if (e.commitment == 0) revert NotCommitted(taskId, msg.sender);
        if (e.revealed) revert AlreadyRevealed(taskId, msg.sender);
        if (keccak256(abi.encodePacked(result, salt, msg.sender)) != e.commitment) {
            revert CommitmentMismatch(taskId, msg.sender);
        }
        e.result = result;
        e.revealed = true;
        emit ResultRevealed(taskId, msg.sender, result, outputCid);
    }

    /// @inheritdoc ITaskMarket
    function finalize(uint256 taskId) external {
        Task storage t = _inState(taskId, TaskState.Auditing);
        if (block.timestamp <= t.revealDeadline && !_allRevealed(taskId, t)) {
            revert RoundNotOver(taskId, t.revealDeadline);
        }
        _punishSilentAuditors(taskId, t.round);
        (bytes32 winner, uint256 credibility) = _consensus(taskId);
        if (credibility >= t.theta) {
            _accept(taskId, t, winner, credibility);
        } else if (t.round < maxRounds) {
            emit RoundInconclusive(taskId, t.round, credibility);
            t.round += 1;
            t.state = TaskState.Drawing;
            uint64 seedBlock = uint64(block.number) + seedDelay;
            t.seedBlock = seedBlock;
            emit DrawReseeded(taskId, seedBlock);
        } else {
            emit RoundInconclusive(taskId, t.round, credibility);
            _refund(taskId, t, NO_CONSENSUS);
        }
    }

    /// @inheritdoc ITaskMarket
    function joinAuditPool() external {
        if (!registry.isActive(msg.sender)) revert NodeNotActive(msg.sender);
        if (_poolIndex[msg.sender] != 0) revert AlreadyInPool(msg.sender);
        uint256 size = _pool.length;
        if (size >= MAX_POOL) revert PoolFull(size);
        _pool.push(msg.sender);
        _poolIndex[msg.sender] = size + 1;
        emit AuditPoolChanged(msg.sender, true);
    }

    /// @inheritdoc ITaskMarket
    function leaveAuditPool() external {
        uint256 indexPlusOne = _poolIndex[msg.sender];
        if (indexPlusOne == 0) revert NotInPool(msg.sender);
        address last = _pool[_pool.length - 1];
        _pool[indexPlusOne - 1] = last;
        _poolIndex[last] = indexPlusOne;
        _pool.pop();
        delete _poolIndex[msg.sender];
        emit AuditPoolChanged(msg.sender, false);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITaskMarket
    function taskOf(uint256 taskId) external view returns (Task memory) {
        return _known(taskId);
    }

    /// @inheritdoc ITaskMarket
    function entryOf(uint256 taskId, address node) external view returns (Entry memory) {
        _known(taskId);
        return _entries[taskId][node];
    }

    /// @inheritdoc ITaskMarket
    function auditorsOf(uint256 taskId) external view returns (address[] memory) {
        _known(taskId);
        return _drawn[taskId];
    }

    /// @inheritdoc ITaskMarket
    function resultOf(uint256 taskId) external view returns (bytes32) {
        return _known(taskId).result;
    }

    /// @inheritdoc ITaskMarket
    function auditPool() external view returns (address[] memory) {
        return _pool;
    }

    /// @inheritdoc ITaskMarket
    function credibilityOf(address node) public view returns (uint256) {
        return Credibility.ofNode(registry.nodeOf(node).passed, saboteurFraction);
    }

    /// @inheritdoc ITaskMarket
    function taskCount() external view returns (uint256) {
        return _lastId;
    }

    // ------------------------------------------------------------------ internals

    function _known(uint256 taskId) private view returns (Task storage t) {
        t = _tasks[taskId];
        if (t.state == TaskState.None) revert UnknownTask(taskId);
    }

    /// @dev True if the output must be sealed to `requesterKey`; reverts unless it is zero or the
    /// caller's own public key (an Ethereum address is the last 20 bytes of the key's keccak256).
    function _isSealed(bytes32[2] calldata requesterKey) private view returns (bool) {
        if (requesterKey[0] == 0 && requesterKey[1] == 0) return false;
        if (address(uint160(uint256(keccak256(abi.encodePacked(requesterKey))))) != msg.sender) {
            revert BadRequesterKey(msg.sender, requesterKey);
        }
        return true;
    }

    function _inState(uint256 taskId, TaskState state) private view returns (Task storage t) {
        t = _known(taskId);
        if (t.state != state) revert WrongState(taskId, t.state);
    }

    /// @dev The entry of `node` if it may commit or reveal now: the worker during round 1 (it may commit
    /// as soon as it claimed), or an auditor drawn for the current round.
    function _participant(uint256 taskId, Task storage t, address node) private view returns (Entry storage e) {
        TaskState state = t.state;
        if (state != TaskState.Drawing && state != TaskState.Auditing) revert WrongState(taskId, state);
        e = _entries[taskId][node];
        bool isWorker = node == t.worker && t.round == 1;
        bool isAuditor = state == TaskState.Auditing && _isDrawn[taskId][node] && e.round == t.round;
        if (!isWorker && !isAuditor) revert NotParticipant(taskId, node);
    }

    function _escrowLeft(Task storage t) private view returns (uint256) {
        return uint256(t.reward) + uint256(t.auditFee) * t.auditors * maxRounds;
    }

    function _eligible(address node, Task storage t, uint256 taskId) private view returns (bool) {
        if (node == t.requester || node == t.worker || _isDrawn[taskId][node] || !registry.isActive(node)) {
            return false;
        }
        return registry.nodeOf(node).role != INodeRegistry.Role.Compute;
    }

    /// @dev A partial Fisher–Yates shuffle of the pool kept in memory (`swapped[i]` holds 1 + the pool
    /// index now at position i, 0 meaning "unchanged"), stopping once `t.auditors` eligible nodes are found.
    function _draw(uint256 taskId, Task storage t, bytes32 seed) private view returns (address[] memory picked) {
        uint256 want = t.auditors;
        uint256 n = _pool.length;
        uint256[] memory swapped = new uint256[](n);
        picked = new address[](want);
        uint256 found = 0;
        for (uint256 i = 0; i < n && found < want; ++i) {
            uint256 j = i + uint256(keccak256(abi.encode(seed, i))) % (n - i);
            uint256 atJ = swapped[j] == 0 ? j : swapped[j] - 1;
            swapped[j] = (swapped[i] == 0 ? i : swapped[i] - 1) + 1;
            address candidate = _pool[atJ];
            if (_eligible(candidate, t, taskId)) picked[found++] = candidate;
        }
        assembly ("memory-safe") {
            // Shrink the array to the nodes found (found <= want, so this only shortens it).
            mstore(picked, found)
        }
    }

    function _allRevealed(uint256 taskId, Task storage t) private view returns (bool) {
        if (t.round == 1 && !_entries[taskId][t.worker].revealed) return false;
        address[] storage drawn = _drawn[taskId];
        for (uint256 i = drawn.length; i > 0; --i) {
            Entry storage e = _entries[taskId][drawn[i - 1]];
            if (e.round != t.round) break;
            if (!e.revealed) return false;
        }
        return true;
    }

    function _punishSilentAuditors(uint256 taskId, uint8 round) private {
        address[] storage drawn = _drawn[taskId];
        for (uint256 i = drawn.length; i > 0; --i) {
            address auditor = drawn[i - 1];
            Entry storage e = _entries[taskId][auditor];
            if (e.round != round) break;
            if (!e.revealed) {
                uint256 slashed = registry.slash(auditor, missBps, AUDIT_NO_REVEAL, bytes32(taskId));
                registry.recordSpotCheck(auditor, false);
                emit RevealMissed(taskId, auditor, slashed);
            }
        }
    }

    /// @dev Sarmenta's credibility-weighted vote over every auditor revealed so far in the task.
    function _consensus(uint256 taskId) private view returns (bytes32 winner, uint256 credibility) {
        address[] storage drawn = _drawn[taskId];
        uint256 n = drawn.length;
        bytes32[] memory results = new bytes32[](n);
        uint256[] memory credibilities = new uint256[](n);
        uint256 count = 0;
        for (uint256 i = 0; i < n; ++i) {
            Entry storage e = _entries[taskId][drawn[i]];
            if (!e.revealed) continue;
            results[count] = e.result;
            credibilities[count] = credibilityOf(drawn[i]);
            ++count;
        }
        assembly ("memory-safe") {
            // Keep only the revealed answers (count <= n).
            mstore(results, count)
            mstore(credibilities, count)
        }
        return Credibility.decide(results, credibilities);
    }

    function _accept(uint256 taskId, Task storage t, bytes32 winner, uint256 credibility) private {
        t.result = winner;
        t.state = TaskState.Accepted;
        emit TaskAccepted(taskId, winner, credibility);

        uint256 fees = 0;
        address[] storage drawn = _drawn[taskId];
        for (uint256 i = 0; i < drawn.length; ++i) {
            address auditor = drawn[i];
            Entry storage e = _entries[taskId][auditor];
            if (!e.revealed) continue; // already punished when its round closed
            bool agreed = e.result == winner;
            emit AuditorJudged(taskId, auditor, agreed);
            registry.recordSpotCheck(auditor, agreed);
            if (agreed && t.auditFee > 0) {
                fees += t.auditFee;
                _credit(auditor, t.auditFee);
            }
        }

        address worker = t.worker;
        Entry storage w = _entries[taskId][worker];
        uint256 refund = _escrowLeft(t) - fees;
        if (w.revealed && w.result == winner) {
            refund -= t.reward;
            emit WorkerPaid(taskId, worker, t.reward);
            _credit(worker, t.reward);
        } else {
            _penaliseWorker(taskId, worker, w.revealed ? WRONG_RESULT : NO_REVEAL);
        }
        if (refund > 0) _credit(t.requester, refund);
    }

    function _penaliseWorker(uint256 taskId, address worker, bytes32 reason) private {
        uint256 slashed = registry.slash(worker, slashBps, reason, bytes32(taskId));
        registry.setRole(worker, INodeRegistry.Role.Stray, reason);
        emit WorkerPenalised(taskId, worker, reason, slashed);
    }

    /// @dev Ends the task without a result. A worker whose reveal window (round 1) has closed without
    /// a reveal is penalised even so: withholding an answer must never be cheaper than a wrong one.
    function _refund(uint256 taskId, Task storage t, bytes32 reason) private {
        bool workerWindowClosed = t.state == TaskState.Auditing || t.round > 1;
        if (workerWindowClosed && !_entries[taskId][t.worker].revealed) _penaliseWorker(taskId, t.worker, NO_REVEAL);
        t.state = TaskState.Refunded;
        uint256 amount = _escrowLeft(t);
        emit TaskRefunded(taskId, reason, amount);
        _credit(t.requester, amount);
    }
}
