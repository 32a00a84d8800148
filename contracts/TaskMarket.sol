// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IComputeGate} from "./interfaces/IComputeGate.sol";
import {IKuraErrors} from "./interfaces/IKuraErrors.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ISampledAudits} from "./interfaces/ISampledAudits.sol";
import {ITaskMarket} from "./interfaces/ITaskMarket.sol";
import {AuditPool} from "./libraries/AuditPool.sol";
import {Credibility} from "./libraries/Credibility.sol";
import {BPS, BLOCKHASH_WINDOW} from "./utils/Constants.sol";
import {PullPayments} from "./utils/PullPayments.sol";

/// @title TaskMarket
/// @notice Verifiable P2P computing, judged on chain (source design 2 with commit–reveal).
///
/// Rules.
///  1. `post` escrows `reward + auditFee × auditors × maxRounds`. Work is bounded and paid: the fuel is at most
///     `maxFuel`, the reward and the audit fee each at least `fuel × minFuelPrice` (a reward of 0 is refused),
///     and the task must be decidable by a new market: `auditors × maxRounds − 1` never-checked auditors (weight
///     1 − f each) who agree must reach θ, so one silent auditor cannot leave a first honest task undecided.
///     Until a worker claims it, the requester may `cancel` for a full refund. A requester may post with its own
///     public key (checked against `msg.sender`, so a typo cannot seal the output to nobody): the task is then
///     confidential and the nodes upload the output encrypted to it.
///  2. `claim`: only an Active node with the Compute role of the NodeRegistry may become the worker. The claim
///     notes the audit pool as it stands (its block and number of seats, see `AuditPool`): nodes that join later
///     are never drawn for this task. The worker must `commit` within `fuelWindow(fuel)` seconds; its commitment
///     fixes `seedBlock = block.number + seedDelay`, so nobody knows the draw's seed before the answer is fixed.
///  3. `drawAuditors` (anyone, after the seed block): `auditors` distinct nodes are drawn from the pool as noted
///     at the claim, seeded by `keccak256(blockhash(seedBlock), taskId, round)`, skipping nodes that are not
///     active, hold the Compute role, were drawn before for this task, or are its requester or worker. Too few
///     eligible nodes refund the task (NO_AUDITORS). A seed block older than 256 blocks is replaced by a new one.
///  4. The round's auditors `commit` keccak256(result ‖ salt ‖ self) within `fuelWindow(fuel)` seconds of the
///     draw, then everyone (the worker in round 1, the round's auditors) `reveal`s until `revealDeadline`. A
///     commitment binds its author's address, so nobody can replay another node's commitment, and commits close
///     before any reveal: reveals open once every auditor of the round has committed (the worker committed before
///     the draw), or at the commit deadline, so a round lasts as long as its slowest node, not its whole window.
///  5. `finalize` (anyone, after `revealDeadline` or once every participant of the round revealed): drawn
///     auditors who did not reveal lose `missBps` of their stake and their passed checks. Then the
///     credibility-weighted consensus (`Credibility`, Sarmenta 2002, node credibility 1 − f/k) runs over every
///     auditor revealed so far. If the best result group reaches θ it is accepted: auditors who revealed it pass
///     a spot-check and earn `auditFee`, the others fail one; the worker is paid if it revealed the same result,
///     else (wrong or missing) it is caught. Otherwise another round is drawn, up to `maxRounds`; after the last
///     one the task is refunded (NO_CONSENSUS) and judged as far as it can be: auditors whose answer's group is
///     no more likely right than wrong (credibility ≤ 1/2) fail a spot-check, the worker is caught if its answer's
///     credibility is at most 1 − θ (the standard of an acceptance) or missing, and demoted without a slash
///     (COMPUTE_DOUBTFUL) if it is at most 1/2. Forcing a task undecided thus costs the forcers their record
///     and a worker hiding behind them its role.
///  6. A caught worker loses `slashBps` of its stake, the Compute role and every passed spot-check (a caught
///     liar starts again as a newcomer), and its reward goes back to the requester. A worker that does not
///     commit by its deadline loses `missBps`, the role and its passed checks, and the task is refunded
///     (WORKER_SILENT): anyone may `finalize` it then.
///  7. Every payout (rewards, fees, refunds) is credited here and pulled with `withdrawPayments`.
///  8. Compute-to-data: a task posted with a `gate` (an `IComputeGate` contract; zero for an open task) can only
///     be posted by that gate, only a node its `mayCompute(taskId, node)` allows can claim it, and the draw
///     skips every candidate it does not allow; everything else is as for any task. The gate is asked with at
///     most `GATE_GAS` gas and only an ABI-encoded `true` counts as yes (a gate that reverts, runs out of gas or
///     answers anything else says no), and a gated draw looks at `GATED_LOOKS` seats at most, so a gate cannot
///     make a draw cost more than about `GATED_LOOKS × GATE_GAS` gas. The gate is the task's requester: it
///     pays, is refunded and cannot audit. Known limit: a gate that allows a worker and then refuses every
///     auditor gets its task refunded (NO_AUDITORS) after the worker ran it unpaid, so workers should claim
///     gated tasks only from gates whose code they trust (kura's data market).
///  9. Sampled audits (`sampler`, a `SampledAudits` ledger whose `qMin` is below WAD; `docs/trust-layer.md` §3): an
///     open task's first draw first flips its audit coin, `keccak256(blockhash(seedBlock), taskId, "audit") mod WAD`
///     against the worker's audit probability. Tails: the task is Unaudited, the worker reveals within
///     `revealWindow` (or is caught as silent), the result is accepted provisionally, the audit budget refunded and
///     the reward held by the ledger. A claim needs a stake above `reward × (1 − qMin)/qMin` and is refused while
///     the worker's last catch is being processed; every catch tells the ledger, which may `reopen` held tasks for a
///     re-audit (auditors paid from the registry's repair pool; a different decision replaces the result). Gated
///     tasks are always audited, and so is a task whose seed expired before its coin was tossed (a worker cannot
///     re-roll the coin by waiting). With `qMin = WAD` nothing of this happens.
///
/// Nobody is slashed for a task that no honest node could finish in time. Every phase in which a node must run
/// the task lasts `commitWindow + ⌈fuel / fuelRate⌉` seconds, `fuelRate` being the speed the deployment assumes
/// of its slowest honest node, and running out of fuel is itself an answer every honest node gives alike
/// (OUT_OF_FUEL, bit for bit). A node that runs slower than `fuelRate` must not claim tasks or join the audit
/// pool (kura's agent measures itself and refuses); one that does answers late at its own risk.
///
/// Known limit: answers revealed in one round are public before the next round's auditors compute,
/// so a later auditor could copy them; copying adds no weight colluders could not add anyway, and
/// still costs a failed spot-check if the copied answer loses.
contract TaskMarket is ITaskMarket, PullPayments {
    using AuditPool for AuditPool.Pool;

    /// @notice Most nodes the audit pool holds (bounds the draw's memory).
    uint256 public constant MAX_POOL = AuditPool.MAX_SIZE;
    /// @notice Gas a gate's `mayCompute` is given (a few storage reads; a gate that needs more says no).
    uint256 public constant GATE_GAS = 30_000;
    /// @notice Most pool seats a gated task's draw looks at (bounds what the gate's answers cost the caller).
    uint256 public constant GATED_LOOKS = 128;
    bytes32 private constant WRONG_RESULT = "COMPUTE_WRONG_RESULT";
    bytes32 private constant NO_REVEAL = "COMPUTE_NO_REVEAL";
    bytes32 private constant NO_COMMIT = "COMPUTE_NO_COMMIT";
    bytes32 private constant DOUBTFUL = "COMPUTE_DOUBTFUL";
    bytes32 private constant AUDIT_NO_REVEAL = "AUDIT_NO_REVEAL";
    bytes32 private constant NO_AUDITORS = "NO_AUDITORS";
    bytes32 private constant NO_CONSENSUS = "NO_CONSENSUS";
    bytes32 private constant WORKER_SILENT = "WORKER_SILENT";

    /// @notice The shared node registry: roles, stakes, spot-check records (this contract is a judge).
    INodeRegistry public immutable registry;
    /// @notice Seconds a commit phase lasts beyond the time its fuel takes.
    uint64 public immutable commitWindow;
    /// @notice Seconds from the commit deadline to the reveal deadline.
    uint64 public immutable revealWindow;
    /// @notice Blocks between the worker's commitment (or an inconclusive round) and the block whose hash draws.
    uint64 public immutable seedDelay;
    /// @notice Most audit rounds per task.
    uint8 public immutable maxRounds;
    /// @notice Most auditors per round.
    uint8 public immutable maxAuditors;
    /// @notice Share of a caught worker's stake slashed, in basis points.
    uint16 public immutable slashBps;
    /// @notice Share of a silent auditor's (or never-committing worker's) stake slashed, in basis points.
    uint16 public immutable missBps;
    /// @notice Assumed fraction of saboteurs among the voters, f (WAD), the parameter of Sarmenta's credibility.
    uint64 public immutable saboteurFraction;
    /// @notice Most fuel a task may ask for.
    uint64 public immutable maxFuel;
    /// @notice Fuel per second the slowest honest node is assumed to run.
    uint64 public immutable fuelRate;
    /// @notice Least wei per unit of fuel each run is paid.
    uint96 public immutable minFuelPrice;
    /// @notice The ledger of sampled audits: audit probabilities, held rewards, re-audits after a catch.
    ISampledAudits public immutable sampler;
    /// @dev Whether `sampler` samples (read once at deployment).
    bool private immutable _sampling;

    uint256 private _lastId;
    mapping(uint256 taskId => Task task) private _tasks;
    mapping(uint256 taskId => mapping(uint256 index => Seat seat)) private _seats;
    mapping(uint256 taskId => mapping(address node => bytes32 answer)) private _answers;
    AuditPool.Pool private _pool;
    /// @dev For each count of auditors per round m (1 to `maxAuditors`), the group credibility that
    /// `m × maxRounds − 1` never-checked auditors reach when they agree (what `post` compares θ with), computed
    /// once at deployment with `Credibility.decide` itself: a post reads one slot instead of weighing up to 31
    /// results.
    mapping(uint256 auditors => uint256 credibility) private _freshQuorum;

    /// @notice Deploy against the NodeRegistry with the market's windows, limits, prices and penalties.
    /// @param registry_ The NodeRegistry (this contract must be one of its judges).
    /// @param sampler_ The SampledAudits ledger (its `setMarket` must then name this contract).
    /// @param config See `Config`; each field is a public getter of the same name.
    constructor(INodeRegistry registry_, ISampledAudits sampler_, Config memory config) {
        if (config.commitWindow == 0) revert IKuraErrors.BadParameter("commitWindow");
        if (config.revealWindow == 0) revert IKuraErrors.BadParameter("revealWindow");
        if (config.seedDelay == 0 || config.seedDelay >= BLOCKHASH_WINDOW) revert IKuraErrors.BadParameter("seedDelay");
        if (config.maxRounds == 0) revert IKuraErrors.BadParameter("maxRounds");
        if (config.maxAuditors == 0 || uint256(config.maxAuditors) * config.maxRounds > Credibility.MAX_RESULTS) {
            revert IKuraErrors.BadParameter("maxAuditors");
        }
        if (config.slashBps > BPS) revert IKuraErrors.BadParameter("slashBps");
        if (config.missBps > BPS) revert IKuraErrors.BadParameter("missBps");
        if (config.saboteurFraction == 0 || config.saboteurFraction >= Credibility.WAD / 2) {
            revert IKuraErrors.BadParameter("saboteurFraction");
        }
        if (config.maxFuel == 0 || config.maxFuel >= 2 ** 48) revert IKuraErrors.BadParameter("maxFuel");
        if (config.fuelRate == 0) revert IKuraErrors.BadParameter("fuelRate");
        if (config.minFuelPrice == 0) revert IKuraErrors.BadParameter("minFuelPrice");
        bool sampling_ = sampler_.sampling();
        // The stake rule of sampled audits assumes a catch takes the whole stake.
        if (sampling_ && config.slashBps != BPS) revert IKuraErrors.BadParameter("slashBps");
        registry = registry_;
        commitWindow = config.commitWindow;
        revealWindow = config.revealWindow;
        seedDelay = config.seedDelay;
        maxRounds = config.maxRounds;
        maxAuditors = config.maxAuditors;
        slashBps = config.slashBps;
        missBps = config.missBps;
        saboteurFraction = config.saboteurFraction;
        maxFuel = config.maxFuel;
        fuelRate = config.fuelRate;
        minFuelPrice = config.minFuelPrice;
        sampler = sampler_;
        _sampling = sampling_;
        uint256 fresh = Credibility.WAD - config.saboteurFraction;
        for (uint256 m = 1; m <= config.maxAuditors; ++m) {
            _freshQuorum[m] = _agreeing(m * config.maxRounds - 1, fresh);
        }
    }

    // ------------------------------------------------------------------ requester

    /// @inheritdoc ITaskMarket
    function post(TaskParams calldata params) external payable returns (uint256 taskId) {
        if (
            bytes(params.moduleCid).length == 0 || bytes(params.inputCid).length == 0 || params.moduleHash == 0
                || params.inputHash == 0
        ) {
            revert MissingTaskData();
        }
        uint64 fuel = params.fuel;
        if (fuel == 0 || fuel > maxFuel) revert BadFuel(fuel, maxFuel);
        uint256 perRun = uint256(fuel) * minFuelPrice;
        if (params.reward < perRun) revert RewardTooLow(params.reward, perRun);
        if (params.auditFee < perRun) revert AuditFeeTooLow(params.auditFee, perRun);
        uint8 auditors = params.auditors;
        if (auditors == 0 || auditors > maxAuditors) revert BadAuditorCount(auditors, maxAuditors);
        uint64 theta = params.theta;
        if (theta <= Credibility.WAD / 2 || theta > Credibility.WAD) revert BadThreshold(theta);
        if (_freshQuorum[auditors] < theta) revert QuorumUnreachable(auditors, theta);
        uint256 budget = uint256(params.auditFee) * auditors * maxRounds;
        if (msg.value != params.reward + budget) revert WrongEscrow(msg.value, params.reward + budget);
        address gate = params.gate;
        if (gate != address(0) && msg.sender != gate) revert NotGate(msg.sender);

        unchecked {
            // One id per transaction: 2^256 tasks are out of reach.
            taskId = ++_lastId;
        }
        Task storage t = _tasks[taskId];
        t.requester = msg.sender;
        t.reward = params.reward;
        t.auditFee = params.auditFee;
        // fuel <= maxFuel < 2^48 (checked above and at deployment).
        t.fuel = uint48(fuel);
        t.theta = theta;
        t.postedBlock = uint32(block.number);
        t.auditors = auditors;
        t.state = TaskState.Open;
        if (_isSealed(params.requesterKey)) t.confidential = true;
        if (gate != address(0)) t.gate = gate;
        emit TaskPosted(taskId, msg.sender, params, budget);
    }

    /// @inheritdoc ITaskMarket
    function cancel(uint256 taskId) external {
        Task storage t = _inState(taskId, TaskState.Open);
        if (msg.sender != t.requester) revert NotRequester(taskId, msg.sender);
        t.state = TaskState.Cancelled;
        uint256 amount = _escrow(t);
        emit TaskCancelled(taskId, amount);
        _credit(msg.sender, amount);
    }

    // ------------------------------------------------------------------ worker and auditors

    /// @inheritdoc ITaskMarket
    function claim(uint256 taskId) external {
        Task storage t = _inState(taskId, TaskState.Open);
        INodeRegistry.Standing memory standing = registry.standingOf(msg.sender);
        if (!standing.active || standing.role != INodeRegistry.Role.Compute) revert NotComputeNode(msg.sender);
        address gate = t.gate;
        if (gate != address(0) && !_gateAllows(gate, taskId, msg.sender)) revert GateRefused(taskId, msg.sender);
        if (_sampled(t)) {
            (bool blocked, uint256 minimum) = sampler.claimTerms(msg.sender, t.reward);
            if (blocked) revert ReauditsPending(msg.sender);
            if (standing.stake < minimum) revert StakeTooLowForReward(msg.sender, standing.stake, minimum);
        }
        t.worker = msg.sender;
        t.state = TaskState.Claimed;
        t.claimBlock = uint32(block.number);
        // The pool holds at most MAX_POOL (1024) seats.
        t.poolSize = uint16(_pool.seats.length);
        uint32 commitDeadline = _deadline(t.fuel);
        t.commitDeadline = commitDeadline;
        emit TaskClaimed(taskId, msg.sender, commitDeadline);
    }

    /// @inheritdoc ITaskMarket
    function drawAuditors(uint256 taskId) external {
        Task storage t = _inState(taskId, TaskState.Drawing);
        uint64 seedBlock = t.seedBlock;
        if (block.number <= seedBlock) revert IKuraErrors.SeedNotYetAvailable(taskId, seedBlock);
        // The audit coin is tossed once, at an open task's first draw in a sampling market.
        bool toss = _sampled(t) && t.round == 0 && t.outcome == Outcome.None;
        if (block.number > seedBlock + BLOCKHASH_WINDOW) {
            // The coin's seed is gone: a worker must not re-roll it by waiting, so the task will be audited.
            if (toss) t.outcome = Outcome.Audited;
            _scheduleDraw(taskId, t);
            return;
        }
        if (toss) {
            uint256 probability = sampler.auditProbabilityOf(t.worker);
            uint256 coin = uint256(keccak256(abi.encode(blockhash(seedBlock), taskId, "audit")));
            if (coin % Credibility.WAD >= probability) {
                uint32 deadline = uint32(block.timestamp + revealWindow);
                t.state = TaskState.Unaudited;
                t.revealDeadline = deadline;
                emit AuditSkipped(taskId, t.worker, probability, deadline);
                return;
            }
        }
        uint8 round = t.round + 1;
        bytes32 seed = keccak256(abi.encode(blockhash(seedBlock), taskId, round));
        uint8 want = t.auditors;
        uint256 looks = t.gate == address(0) ? MAX_POOL : GATED_LOOKS;
        address[] memory picked = _pool.draw(seed, want, t.poolSize, t.claimBlock, looks, _eligible, taskId);
        if (picked.length < want) {
            _endUndecided(taskId, t, Outcome.NoAuditors, NO_AUDITORS);
            return;
        }
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        uint8 drawn = t.drawn;
        for (uint256 i = 0; i < want; ++i) {
            seats[drawn + i] = Seat(picked[i], round, false);
            emit AuditorDrawn(taskId, picked[i], round);
        }
        // At most maxAuditors × maxRounds <= 32 seats (checked at deployment).
        t.drawn = drawn + want;
        t.committed = 0;
        uint32 commitDeadline = _deadline(t.fuel);
        uint32 revealDeadline = commitDeadline + uint32(revealWindow);
        t.round = round;
        t.state = TaskState.Auditing;
        t.commitDeadline = commitDeadline;
        t.revealDeadline = revealDeadline;
        emit RoundOpened(taskId, round, commitDeadline, revealDeadline);
    }

    /// @inheritdoc ITaskMarket
    function commit(uint256 taskId, bytes32 commitment) external {
        Task storage t = _known(taskId);
        if (commitment == 0) revert EmptyCommitment();
        TaskState state = t.state;
        if (state == TaskState.Claimed) {
            if (msg.sender != t.worker) revert NotParticipant(taskId, msg.sender);
        } else if (state == TaskState.Auditing) {
            _currentSeat(taskId, t, msg.sender);
        } else {
            revert WrongState(taskId, state);
        }
        if (block.timestamp > t.commitDeadline) revert CommitClosed(taskId, t.commitDeadline);
        mapping(address node => bytes32 answer) storage answers = _answers[taskId];
        if (answers[msg.sender] != 0) revert AlreadyCommitted(taskId, msg.sender);
        answers[msg.sender] = commitment;
        emit ResultCommitted(taskId, msg.sender, commitment);
        if (state == TaskState.Claimed) {
            _scheduleDraw(taskId, t);
        } else {
            // At most `auditors` seats per round, each commits once.
            ++t.committed;
        }
    }

    /// @inheritdoc ITaskMarket
    function reveal(uint256 taskId, bytes32 result, bytes32 salt, string calldata outputCid) external {
        Task storage t = _known(taskId);
        if (t.state == TaskState.Unaudited) {
            if (msg.sender != t.worker) revert NotParticipant(taskId, msg.sender);
            if (block.timestamp > t.revealDeadline) revert RevealClosed(taskId, t.revealDeadline);
            _open(taskId, result, salt);
            t.workerRevealed = true;
            emit ResultRevealed(taskId, msg.sender, result, outputCid);
            _holdProvisional(taskId, t, result);
            return;
        }
        if (t.state != TaskState.Auditing) revert WrongState(taskId, t.state);
        if (msg.sender == t.worker && t.round == 1) {
            _checkRevealWindow(taskId, t);
            if (t.workerRevealed) revert AlreadyRevealed(taskId, msg.sender);
            _open(taskId, result, salt);
            t.workerRevealed = true;
        } else {
            Seat storage seat = _currentSeat(taskId, t, msg.sender);
            _checkRevealWindow(taskId, t);
            if (seat.revealed) revert AlreadyRevealed(taskId, msg.sender);
            _open(taskId, result, salt);
            seat.revealed = true;
        }
        emit ResultRevealed(taskId, msg.sender, result, outputCid);
    }

    /// @inheritdoc ITaskMarket
    function finalize(uint256 taskId) external {
        Task storage t = _known(taskId);
        if (t.state == TaskState.Claimed) {
            if (block.timestamp <= t.commitDeadline) revert RoundNotOver(taskId, t.commitDeadline);
            _penalise(taskId, t.worker, missBps, NO_COMMIT);
            _refund(taskId, t, Outcome.WorkerSilent, WORKER_SILENT);
            return;
        }
        if (t.state == TaskState.Unaudited) {
            if (block.timestamp <= t.revealDeadline) revert RoundNotOver(taskId, t.revealDeadline);
            _penalise(taskId, t.worker, slashBps, NO_REVEAL);
            _refund(taskId, t, Outcome.WorkerSilent, WORKER_SILENT);
            return;
        }
        if (t.state != TaskState.Auditing) revert WrongState(taskId, t.state);
        if (block.timestamp <= t.revealDeadline && !_allRevealed(taskId, t)) {
            revert RoundNotOver(taskId, t.revealDeadline);
        }
        _punishSilentAuditors(taskId, t);
        (bytes32[] memory keys, uint256[] memory groups, uint256 none) = _consensus(taskId, t);
        (bytes32 winner, uint256 credibility) = (bytes32(0), 0);
        for (uint256 a = 0; a < keys.length; ++a) {
            if (a == 0 || groups[a] > credibility) (winner, credibility) = (keys[a], groups[a]);
        }
        if (credibility >= t.theta) {
            _accept(taskId, t, winner, credibility);
            return;
        }
        emit RoundInconclusive(taskId, t.round, credibility);
        if (t.round < maxRounds) {
            _scheduleDraw(taskId, t);
        } else {
            _judgeUndecided(taskId, t, keys, groups, none);
            _endUndecided(taskId, t, Outcome.NoConsensus, NO_CONSENSUS);
        }
    }

    /// @inheritdoc ITaskMarket
    function reopen(uint256 taskId) external {
        if (msg.sender != address(sampler)) revert NotSampler(msg.sender);
        Task storage t = _inState(taskId, TaskState.Provisional);
        t.claimBlock = uint32(block.number);
        // The pool holds at most MAX_POOL (1024) seats.
        t.poolSize = uint16(_pool.seats.length);
        _scheduleDraw(taskId, t);
    }

    /// @inheritdoc ITaskMarket
    function joinAuditPool() external {
        if (!registry.isActive(msg.sender)) revert IKuraErrors.NodeNotActive(msg.sender);
        _pool.add(msg.sender);
        emit AuditPoolChanged(msg.sender, true);
    }

    /// @inheritdoc ITaskMarket
    function leaveAuditPool() external {
        _pool.remove(msg.sender);
        emit AuditPoolChanged(msg.sender, false);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITaskMarket
    function taskOf(uint256 taskId) external view returns (Task memory) {
        return _known(taskId);
    }

    /// @inheritdoc ITaskMarket
    function entryOf(uint256 taskId, address node) external view returns (Entry memory entry) {
        Task storage t = _known(taskId);
        entry.answer = _answers[taskId][node];
        if (node == t.worker) {
            entry.revealed = t.workerRevealed;
            return entry;
        }
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        uint256 drawn = t.drawn;
        for (uint256 i = 0; i < drawn; ++i) {
            if (seats[i].node == node) (entry.round, entry.revealed) = (seats[i].round, seats[i].revealed);
        }
    }

    /// @inheritdoc ITaskMarket
    function auditorsOf(uint256 taskId) external view returns (address[] memory auditors) {
        uint256 drawn = _known(taskId).drawn;
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        auditors = new address[](drawn);
        for (uint256 i = 0; i < drawn; ++i) {
            auditors[i] = seats[i].node;
        }
    }

    /// @inheritdoc ITaskMarket
    function resultOf(uint256 taskId) external view returns (bytes32) {
        return _known(taskId).result;
    }

    /// @inheritdoc ITaskMarket
    function auditPool() external view returns (address[] memory) {
        return _pool.members();
    }

    /// @inheritdoc ITaskMarket
    function taskCount() external view returns (uint256) {
        return _lastId;
    }

    /// @inheritdoc ITaskMarket
    function fuelWindow(uint64 fuel) public view returns (uint64) {
        return commitWindow + (fuel + fuelRate - 1) / fuelRate;
    }

    /// @inheritdoc ITaskMarket
    function credibilityOf(address node) public view returns (uint256) {
        return Credibility.ofNode(registry.standingOf(node).passed, saboteurFraction);
    }

    // ------------------------------------------------------------------ judging

    function _punishSilentAuditors(uint256 taskId, Task storage t) private {
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        uint8 round = t.round;
        for (uint256 i = t.drawn; i > 0; --i) {
            Seat storage seat = seats[i - 1];
            if (seat.round != round) break;
            if (!seat.revealed) {
                address auditor = seat.node;
                uint256 slashed = registry.slash(auditor, missBps, AUDIT_NO_REVEAL, bytes32(taskId));
                registry.recordSpotCheck(auditor, false);
                emit RevealMissed(taskId, auditor, slashed);
            }
        }
    }

    function _accept(uint256 taskId, Task storage t, bytes32 winner, uint256 credibility) private {
        emit TaskAccepted(taskId, winner, credibility);
        if (t.outcome == Outcome.Sampled) {
            _payAuditors(taskId, t, winner, true);
            _closeReaudit(taskId, t, winner, true);
            return;
        }
        t.result = winner;
        t.state = TaskState.Accepted;
        t.outcome = Outcome.Audited;
        uint256 fees = _payAuditors(taskId, t, winner, false);
        address worker = t.worker;
        uint256 refund = _escrow(t) - fees;
        if (t.workerRevealed && _answers[taskId][worker] == winner) {
            refund -= t.reward;
            emit WorkerPaid(taskId, worker, t.reward);
            _credit(worker, t.reward);
            if (_sampled(t)) registry.recordComputeAudit(worker);
        } else {
            _penalise(taskId, worker, slashBps, t.workerRevealed ? WRONG_RESULT : NO_REVEAL);
        }
        if (refund > 0) _credit(t.requester, refund);
    }

    /// @dev Judge every auditor who revealed against `winner` and pay `auditFee` to each that gave it: from the
    /// escrow, or for a re-audit (`fromPool`) from the repair pool, as far as it reaches. Returns the escrow paid.
    function _payAuditors(uint256 taskId, Task storage t, bytes32 winner, bool fromPool)
        private
        returns (uint256 fees)
    {
        uint256 fee = t.auditFee;
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        uint256 drawn = t.drawn;
        for (uint256 i = 0; i < drawn; ++i) {
            Seat storage seat = seats[i];
            if (!seat.revealed) continue; // already punished when its round closed
            address auditor = seat.node;
            bool agreed = _answers[taskId][auditor] == winner;
            emit AuditorJudged(taskId, auditor, agreed);
            registry.recordSpotCheck(auditor, agreed);
            if (!agreed) continue;
            if (fromPool) {
                _payFromPool(auditor, fee, taskId);
            } else {
                fees += fee;
                _credit(auditor, fee);
            }
        }
    }

    /// @dev Pay `fee` (or what is left of the repair pool, if less) to a re-audit's `auditor`.
    function _payFromPool(address auditor, uint256 fee, uint256 taskId) private {
        uint256 available = registry.repairPool();
        uint256 amount = fee < available ? fee : available;
        if (amount > 0) registry.payFromRepairPool(auditor, amount, bytes32(taskId));
    }

    /// @dev The last round ended undecided: fail the auditors whose answer is no more likely right than wrong,
    /// and judge the worker by its answer's credibility (`Credibility.ofAnswer`, even when no auditor gave it),
    /// unless this is a re-audit (its worker was caught already).
    function _judgeUndecided(
        uint256 taskId,
        Task storage t,
        bytes32[] memory keys,
        uint256[] memory groups,
        uint256 none
    ) private {
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        mapping(address node => bytes32 answer) storage answers = _answers[taskId];
        uint256 half = Credibility.WAD / 2;
        uint256 drawn = t.drawn;
        for (uint256 i = 0; i < drawn; ++i) {
            Seat storage seat = seats[i];
            if (!seat.revealed) continue;
            address auditor = seat.node;
            if (Credibility.rejected(Credibility.lookup(keys, groups, none, answers[auditor]), half)) {
                emit AuditorJudged(taskId, auditor, false);
                registry.recordSpotCheck(auditor, false);
            }
        }
        if (t.outcome == Outcome.Sampled) return;
        address worker = t.worker;
        if (!t.workerRevealed) {
            _penalise(taskId, worker, slashBps, NO_REVEAL);
            return;
        }
        uint256 credibility = Credibility.lookup(keys, groups, none, answers[worker]);
        if (Credibility.rejected(credibility, t.theta)) {
            _penalise(taskId, worker, slashBps, WRONG_RESULT);
        } else if (Credibility.rejected(credibility, half)) {
            _penalise(taskId, worker, 0, DOUBTFUL);
        }
    }

    /// @dev Slash `fractionBps` of the worker's stake (none for 0), demote it and reset its passed checks; its
    /// provisional results, if it holds any, are due for re-audit (and their rewards forfeited after a slash).
    function _penalise(uint256 taskId, address worker, uint16 fractionBps, bytes32 reason) private {
        if (_sampling) sampler.caught(worker, fractionBps != 0);
        uint256 slashed = fractionBps == 0 ? 0 : registry.slash(worker, fractionBps, reason, bytes32(taskId));
        registry.setRole(worker, INodeRegistry.Role.Stray, reason);
        registry.recordSpotCheck(worker, false);
        emit WorkerPenalised(taskId, worker, reason, slashed);
    }

    /// @dev The worker's unaudited answer is accepted provisionally: the audit budget goes back to the requester and
    /// the reward is held in the sampled-audit ledger.
    function _holdProvisional(uint256 taskId, Task storage t, bytes32 result) private {
        address worker = t.worker;
        t.result = result;
        t.state = TaskState.Provisional;
        t.outcome = Outcome.Sampled;
        emit ResultProvisional(taskId, worker, result);
        _credit(t.requester, _escrow(t) - t.reward);
        sampler.hold{value: t.reward}(taskId, worker, t.claimBlock);
    }

    /// @dev A re-audit ended: `winner` confirms the worker's provisional result or replaces it (`decided` false: no
    /// decision, the result stands); the ledger settles the held reward.
    function _closeReaudit(uint256 taskId, Task storage t, bytes32 winner, bool decided) private {
        bytes32 given = t.result;
        bool confirmed = !decided || winner == given;
        t.state = TaskState.Accepted;
        t.outcome = Outcome.Reaudited;
        if (!confirmed) {
            t.result = winner;
            emit ResultReplaced(taskId, given, winner);
        }
        sampler.reaudited(taskId, t.worker, t.requester, decided, confirmed);
    }

    /// @dev No decision was reached (`outcome`, `reason`): a task is refunded, a re-audit leaves the worker's result
    /// standing.
    function _endUndecided(uint256 taskId, Task storage t, Outcome outcome, bytes32 reason) private {
        if (t.outcome == Outcome.Sampled) _closeReaudit(taskId, t, 0, false);
        else _refund(taskId, t, outcome, reason);
    }

    /// @dev Ends the task without a result and refunds the whole escrow.
    function _refund(uint256 taskId, Task storage t, Outcome outcome, bytes32 reason) private {
        t.state = TaskState.Refunded;
        t.outcome = outcome;
        uint256 amount = _escrow(t);
        emit TaskRefunded(taskId, reason, amount);
        _credit(t.requester, amount);
    }

    /// @dev Replace the caller's commitment by `result` if they match.
    function _open(uint256 taskId, bytes32 result, bytes32 salt) private {
        mapping(address node => bytes32 answer) storage answers = _answers[taskId];
        bytes32 committed = answers[msg.sender];
        if (committed == 0) revert NotCommitted(taskId, msg.sender);
        if (keccak256(abi.encodePacked(result, salt, msg.sender)) != committed) {
            revert CommitmentMismatch(taskId, msg.sender);
        }
        answers[msg.sender] = result;
    }

    function _scheduleDraw(uint256 taskId, Task storage t) private {
        uint32 seedBlock = uint32(block.number + seedDelay);
        t.seedBlock = seedBlock;
        t.state = TaskState.Drawing;
        emit DrawScheduled(taskId, seedBlock);
    }

    // ------------------------------------------------------------------ reads

    function _known(uint256 taskId) private view returns (Task storage t) {
        t = _tasks[taskId];
        if (t.state == TaskState.None) revert UnknownTask(taskId);
    }

    function _inState(uint256 taskId, TaskState state) private view returns (Task storage t) {
        t = _known(taskId);
        if (t.state != state) revert WrongState(taskId, t.state);
    }

    /// @dev The seat `node` holds in the current round (it reverts `NotParticipant` if none).
    function _currentSeat(uint256 taskId, Task storage t, address node) private view returns (Seat storage) {
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        uint8 round = t.round;
        for (uint256 i = t.drawn; i > 0; --i) {
            Seat storage seat = seats[i - 1];
            if (seat.round != round) break;
            if (seat.node == node) return seat;
        }
        revert NotParticipant(taskId, node);
    }

    function _checkRevealWindow(uint256 taskId, Task storage t) private view {
        if (block.timestamp <= t.commitDeadline && t.committed < t.auditors) {
            revert RevealNotOpen(taskId, t.commitDeadline);
        }
        if (block.timestamp > t.revealDeadline) revert RevealClosed(taskId, t.revealDeadline);
    }

    /// @dev Whether `t` may go unaudited: the market samples and the task is not gated (a compute-to-data task is
    /// always audited).
    function _sampled(Task storage t) private view returns (bool) {
        return _sampling && t.gate == address(0);
    }

    function _escrow(Task storage t) private view returns (uint256) {
        return uint256(t.reward) + uint256(t.auditFee) * t.auditors * maxRounds;
    }

    /// @dev The end of a phase that starts now and must leave time to run `fuel`.
    function _deadline(uint48 fuel) private view returns (uint32) {
        // Timestamps fit 32 bits until 2106.
        return uint32(block.timestamp + fuelWindow(fuel));
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

    /// @dev Whether the draw for `taskId` may pick `node`: an active node that is not a compute node, not the
    /// task's requester or worker, not drawn for this task before, and allowed by its gate if it has one (asked
    /// last, so the gate is only asked about nodes that pass everything else).
    // Reached through the function pointer `drawAuditors` passes to `AuditPool.draw`, which the linter does
    // not follow.
    // solhint-disable-next-line no-unused-private-funcs
    function _eligible(address node, uint256 taskId) private view returns (bool) {
        Task storage t = _tasks[taskId];
        if (node == t.requester || node == t.worker) return false;
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        uint256 drawn = t.drawn;
        for (uint256 i = 0; i < drawn; ++i) {
            if (seats[i].node == node) return false;
        }
        INodeRegistry.Standing memory standing = registry.standingOf(node);
        if (!standing.active || standing.role == INodeRegistry.Role.Compute) return false;
        address gate = t.gate;
        return gate == address(0) || _gateAllows(gate, taskId, node);
    }

    /// @dev Whether `gate` lets `node` compute `taskId`: a static call with `GATE_GAS` gas that must succeed and
    /// return exactly one word holding 1 (the ABI's `true`). Only that word is copied, so a gate cannot make the
    /// caller pay for a large answer; a revert, an exhausted allowance or any other answer is a no.
    function _gateAllows(address gate, uint256 taskId, address node) private view returns (bool) {
        bytes memory query = abi.encodeCall(IComputeGate.mayCompute, (taskId, node));
        bool ok;
        uint256 size;
        uint256 answer;
        // A high-level call would revert on an answer it cannot decode and copy all of a large one; the gate's
        // answer must instead be bounded and never make the market revert.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ok := staticcall(GATE_GAS, gate, add(query, 0x20), mload(query), 0, 0x20)
            size := returndatasize()
            answer := mload(0)
        }
        return ok && size == 32 && answer == 1;
    }

    function _allRevealed(uint256 taskId, Task storage t) private view returns (bool) {
        if (t.round == 1 && !t.workerRevealed) return false;
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        for (uint256 i = t.drawn; i > 0; --i) {
            Seat storage seat = seats[i - 1];
            if (seat.round != t.round) break;
            if (!seat.revealed) return false;
        }
        return true;
    }

    /// @dev Sarmenta's credibility-weighted vote over every auditor revealed so far in the task: each result
    /// group's credibility and the credibility that none is right.
    function _consensus(uint256 taskId, Task storage t)
        private
        view
        returns (bytes32[] memory keys, uint256[] memory groups, uint256 none)
    {
        mapping(uint256 index => Seat seat) storage seats = _seats[taskId];
        mapping(address node => bytes32 answer) storage answers = _answers[taskId];
        uint256 n = t.drawn;
        bytes32[] memory results = new bytes32[](n);
        uint256[] memory credibilities = new uint256[](n);
        uint256 count = 0;
        for (uint256 i = 0; i < n; ++i) {
            Seat storage seat = seats[i];
            if (!seat.revealed) continue;
            results[count] = answers[seat.node];
            credibilities[count] = credibilityOf(seat.node);
            ++count;
        }
        // Solidity cannot shorten a memory array; setting its length word in place can.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Keep only the revealed answers (count <= n).
            mstore(results, count)
            mstore(credibilities, count)
        }
        return Credibility.weigh(results, credibilities);
    }

    /// @dev The group credibility of `count` nodes of credibility `credibility` giving one answer, by the
    /// contract's own arithmetic (0 for no nodes).
    function _agreeing(uint256 count, uint256 credibility) private pure returns (uint256 group) {
        if (count == 0) return 0;
        bytes32[] memory results = new bytes32[](count);
        uint256[] memory credibilities = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            (results[i], credibilities[i]) = (bytes32(uint256(1)), credibility);
        }
        (, group) = Credibility.decide(results, credibilities);
    }
}
