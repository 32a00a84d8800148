// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IKuraErrors} from "./interfaces/IKuraErrors.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ISampledAudits} from "./interfaces/ISampledAudits.sol";
import {ITaskMarket} from "./interfaces/ITaskMarket.sol";
import {PullPayments} from "./utils/PullPayments.sol";

/// @title SampledAudits
/// @notice The TaskMarket audits only a credibility-adapted sample of tasks; this contract keeps what that needs
/// (`docs/trust-layer.md` §3).
///
/// Rules.
///  1. Audit probability. A task's coin is drawn by the market from the hash of a block fixed after its worker
///     committed: audited iff `keccak256(blockhash(seedBlock), taskId, "audit") mod WAD < q(r)`, where `r` is the
///     worker's compute record (NodeRegistry: audited tasks passed since it became a compute node, 0 at every
///     role change) and `q(r) = WAD` below `fullRecord`, then halves every `halfLife` passed audits, never below
///     `qMin`.
///  2. Stake. A worker may claim a task only with a stake above `reward × (1 − qMin) / qMin`, and a catch takes all
///     of it (the market's `slashBps` must be 100 %): a cheat not caught gains at most the reward, one caught loses
///     the stake, so every cheat has negative expected value at every audit probability the market uses, whatever
///     the worker knew when it chose (the coin is drawn after its commitment).
///  3. Held rewards. An unaudited result is accepted at once, provisionally: its reward is held here in the
///     worker's FIFO. It becomes final (credited to the worker) once the worker holds `window` newer results, or
///     `holdTime` seconds after it was given (`release`, anyone).
///  4. Catch. When the market catches the worker (a wrong or missing answer in an audited task, or a demotion), its
///     held results are processed newest first by `reaudit` (anyone, bounded steps): each is audited again until
///     `cleanRun` re-audits in a row confirm the worker, and the rest stand. A re-audit that accepts another answer
///     replaces the task's result (the market emits `ResultReplaced`). After a slashed catch every held reward goes
///     back to its requester; after a demotion without a slash only those of replaced results do. The worker claims
///     no task until its catch is processed.
///  5. Every payout is credited here and pulled with `withdrawPayments`.
contract SampledAudits is ISampledAudits, PullPayments {
    uint256 private constant WAD = 1e18;
    uint256 private constant MAX_HALVINGS = 64;

    /// @notice The node registry the compute records are read from.
    INodeRegistry public immutable registry;
    /// @notice The account that names the market, once.
    address public immutable deployer;
    uint64 private immutable _qMin;
    uint32 private immutable _fullRecord;
    uint32 private immutable _halfLife;
    uint32 private immutable _window;
    uint32 private immutable _holdTime;
    uint8 private immutable _cleanRun;

    /// @notice The TaskMarket (zero until the deployer names it).
    address public market;

    mapping(address worker => Ledger ledger) private _ledgers;
    mapping(address worker => mapping(uint256 index => Entry entry)) private _entries;
    /// @dev The reward held for a task under re-audit (its FIFO entry is gone by then).
    mapping(uint256 taskId => uint256 reward) private _reauditing;

    modifier onlyMarket() {
        if (msg.sender != market) revert NotMarket(msg.sender);
        _;
    }

    /// @notice Deploy with the sampling terms.
    /// @param registry_ The NodeRegistry.
    /// @param terms_ See `Terms`; `terms()` returns them.
    constructor(INodeRegistry registry_, Terms memory terms_) {
        if (terms_.qMin == 0 || terms_.qMin > WAD) revert IKuraErrors.BadParameter("qMin");
        if (terms_.halfLife == 0) revert IKuraErrors.BadParameter("halfLife");
        if (terms_.window == 0) revert IKuraErrors.BadParameter("window");
        if (terms_.cleanRun == 0) revert IKuraErrors.BadParameter("cleanRun");
        registry = registry_;
        deployer = msg.sender;
        _qMin = terms_.qMin;
        _fullRecord = terms_.fullRecord;
        _halfLife = terms_.halfLife;
        _window = terms_.window;
        _holdTime = terms_.holdTime;
        _cleanRun = terms_.cleanRun;
    }

    /// @inheritdoc ISampledAudits
    function setMarket(address market_) external {
        if (msg.sender != deployer || market != address(0)) revert MarketNotSettable(msg.sender);
        if (market_ == address(0)) revert IKuraErrors.BadParameter("market");
        market = market_;
        emit MarketSet(market_);
    }

    // ------------------------------------------------------------------ the market

    /// @inheritdoc ISampledAudits
    function hold(uint256 taskId, address worker, uint256 claimBlock) external payable onlyMarket {
        if (msg.value > type(uint96).max || taskId > type(uint64).max) revert BadHold(taskId, msg.value);
        Ledger storage ledger = _ledgers[worker];
        mapping(uint256 index => Entry entry) storage entries = _entries[worker];
        uint64 finalAt = uint64(block.timestamp) + _holdTime;
        uint32 tail = ledger.tail;
        // Both checked above.
        entries[tail] = Entry(uint64(taskId), finalAt, uint96(msg.value));
        ++tail;
        ledger.tail = tail;
        emit ResultHeld(taskId, worker, msg.value, finalAt);
        if (claimBlock <= ledger.caughtAt) {
            // Claimed before the worker's last catch and revealed since: as suspect as what it held then.
            _catch(worker, ledger, ledger.slashedAt);
            return;
        }
        uint32 head = ledger.head;
        if (tail - head > _window && !ledger.caught) ledger.head = _release(worker, entries, head);
    }

    /// @inheritdoc ISampledAudits
    function caught(address worker, bool forfeit) external onlyMarket {
        Ledger storage ledger = _ledgers[worker];
        // Block numbers fit 32 bits for centuries.
        ledger.caughtAt = uint32(block.number);
        ledger.slashedAt = forfeit;
        if (ledger.tail > ledger.head || ledger.reauditing > 0) _catch(worker, ledger, forfeit);
    }

    /// @inheritdoc ISampledAudits
    function reaudited(uint256 taskId, address worker, address requester, bool decided, bool confirmed)
        external
        onlyMarket
    {
        Ledger storage ledger = _ledgers[worker];
        uint256 reward = _reauditing[taskId];
        delete _reauditing[taskId];
        --ledger.reauditing;
        if (!confirmed) ledger.cleanRun = 0;
        else if (decided && ledger.cleanRun < type(uint8).max) ++ledger.cleanRun;
        emit ReauditClosed(taskId, worker, confirmed);
        _settle(taskId, worker, requester, reward, confirmed && !ledger.forfeit);
        _closeIfDone(ledger);
    }

    // ------------------------------------------------------------------ anyone

    /// @inheritdoc ISampledAudits
    function reaudit(address worker, uint256 count) external {
        Ledger storage ledger = _ledgers[worker];
        uint32 head = ledger.head;
        uint32 tail = ledger.tail;
        if (!ledger.caught || tail == head) revert NothingToReaudit(worker);
        mapping(uint256 index => Entry entry) storage entries = _entries[worker];
        uint32 last = tail;
        for (uint256 i = 0; i < count && tail > head; ++i) {
            bool confirmed = ledger.cleanRun >= _cleanRun;
            // Never more re-audits open than the confirmations still missing.
            if (!confirmed && uint256(ledger.cleanRun) + ledger.reauditing >= _cleanRun) break;
            --tail;
            Entry memory entry = entries[tail];
            delete entries[tail];
            ledger.tail = tail;
            if (confirmed) {
                address requester = ledger.forfeit ? ITaskMarket(market).taskOf(entry.taskId).requester : address(0);
                _settle(entry.taskId, worker, requester, entry.reward, !ledger.forfeit);
            } else {
                _reauditing[entry.taskId] = entry.reward;
                ++ledger.reauditing;
                emit ReauditStarted(entry.taskId, worker);
                ITaskMarket(market).reopen(entry.taskId);
            }
        }
        if (tail == last) revert ReauditsInFlight(worker, ledger.reauditing);
        _closeIfDone(ledger);
    }

    /// @inheritdoc ISampledAudits
    function release(address worker, uint256 count) external {
        Ledger storage ledger = _ledgers[worker];
        mapping(uint256 index => Entry entry) storage entries = _entries[worker];
        uint32 head = ledger.head;
        uint32 first = head;
        uint32 tail = ledger.tail;
        if (!ledger.caught) {
            for (uint256 i = 0; i < count && head < tail && entries[head].finalAt <= block.timestamp; ++i) {
                head = _release(worker, entries, head);
            }
        }
        if (head == first) revert NothingToRelease(worker);
        ledger.head = head;
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ISampledAudits
    function terms() external view returns (Terms memory) {
        return Terms(_qMin, _fullRecord, _halfLife, _window, _holdTime, _cleanRun);
    }

    /// @inheritdoc ISampledAudits
    function sampling() external view returns (bool) {
        return _qMin < WAD;
    }

    /// @inheritdoc ISampledAudits
    function auditProbabilityOf(address worker) external view returns (uint256) {
        if (_qMin == WAD) return WAD;
        uint256 record = registry.computeRecordOf(worker);
        if (record < _fullRecord) return WAD;
        uint256 halvings = (record - _fullRecord) / _halfLife;
        uint256 probability = halvings < MAX_HALVINGS ? WAD >> halvings : 0;
        return probability > _qMin ? probability : _qMin;
    }

    /// @inheritdoc ISampledAudits
    function claimTerms(address worker, uint256 reward) external view returns (bool blocked, uint256 minStake) {
        blocked = _ledgers[worker].caught;
        if (_qMin < WAD) minStake = reward * (WAD - _qMin) / _qMin + 1;
    }

    /// @inheritdoc ISampledAudits
    function ledgerOf(address worker) external view returns (Ledger memory) {
        return _ledgers[worker];
    }

    /// @inheritdoc ISampledAudits
    function entryAt(address worker, uint256 index) external view returns (Entry memory) {
        return _entries[worker][index];
    }

    // ------------------------------------------------------------------ internals

    /// @dev Make the entry at `head` final (its reward to the worker) and return the next head.
    function _release(address worker, mapping(uint256 index => Entry entry) storage entries, uint32 head)
        private
        returns (uint32)
    {
        Entry memory entry = entries[head];
        delete entries[head];
        _settle(entry.taskId, worker, address(0), entry.reward, true);
        return head + 1;
    }

    /// @dev Credit a held `reward` to the worker (`toWorker`) or back to `requester`.
    function _settle(uint256 taskId, address worker, address requester, uint256 reward, bool toWorker) private {
        if (toWorker) {
            emit ResultFinal(taskId, worker, reward);
            if (reward > 0) _credit(worker, reward);
        } else {
            emit RewardForfeited(taskId, worker, requester, reward);
            if (reward > 0) _credit(requester, reward);
        }
    }

    /// @dev Mark `worker`'s held results due for re-audit (forfeited after a slashed catch).
    function _catch(address worker, Ledger storage ledger, bool forfeit) private {
        ledger.caught = true;
        ledger.cleanRun = 0;
        if (forfeit) ledger.forfeit = true;
        emit ReauditsDue(worker, ledger.tail - ledger.head, ledger.forfeit);
    }

    /// @dev A catch is processed once no held entry and no re-audit is left.
    function _closeIfDone(Ledger storage ledger) private {
        if (ledger.tail == ledger.head && ledger.reauditing == 0) (ledger.caught, ledger.forfeit) = (false, false);
    }
}
