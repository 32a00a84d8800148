// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISampledAudits
/// @notice The ledger of a market that audits only a credibility-adapted sample of tasks (`docs/trust-layer.md` §3):
/// the audit probability of each worker, the rewards of its unaudited (provisional) results, and what happens to
/// them when it is caught.
interface ISampledAudits {
    /// @notice How the market samples. A task's audit probability is WAD while its worker's compute record `r`
    /// (audited tasks passed since it became a compute node) is below `fullRecord`, then
    /// `max(qMin, WAD >> ((r − fullRecord) / halfLife))`; `qMin = WAD` audits every task.
    /// @param qMin The floor of the audit probability, WAD, in (0, WAD]; WAD turns sampling off.
    /// @param fullRecord Records below this are audited on every task.
    /// @param halfLife Passed audits per halving of the probability (at least 1).
    /// @param window Provisional results a worker may hold: the oldest becomes final when a new one exceeds it.
    /// @param holdTime Seconds after which a provisional result may be made final anyway (`release`).
    /// @param cleanRun Re-audits in a row that must confirm a caught worker's results before the rest stand.
    struct Terms {
        uint64 qMin;
        uint32 fullRecord;
        uint32 halfLife;
        uint32 window;
        uint32 holdTime;
        uint8 cleanRun;
    }

    /// @notice A worker's provisional results, entries `head` to `tail − 1` of its FIFO (oldest first), and its
    /// re-audit state (one storage slot).
    /// @param head Index of the oldest entry still held.
    /// @param tail Index the next entry takes.
    /// @param reauditing Re-audits started and not closed yet.
    /// @param cleanRun Re-audits in a row that confirmed the worker since its catch.
    /// @param caught True from a catch until every entry held then is re-audited or forfeited and every re-audit
    /// closed; meanwhile the worker claims no task.
    /// @param forfeit True if the catch was slashed: every held reward goes back to its requester.
    /// @param caughtAt Block of the worker's last catch (0 if never caught): a result of a task claimed at or before
    /// it that is revealed later belongs to the caught worker and is held for re-audit too.
    /// @param slashedAt Whether that last catch was slashed.
    struct Ledger {
        uint32 head;
        uint32 tail;
        uint16 reauditing;
        uint8 cleanRun;
        bool caught;
        bool forfeit;
        uint32 caughtAt;
        bool slashedAt;
    }

    /// @notice One provisional result: its task, when it may be released, and the reward held for it (one slot).
    /// @param taskId The task.
    /// @param finalAt Timestamp from which `release` may make it final.
    /// @param reward Wei held for the worker.
    struct Entry {
        uint64 taskId;
        uint64 finalAt;
        uint96 reward;
    }

    /// @notice The market was named (once, by the deployer).
    /// @param market The TaskMarket.
    event MarketSet(address indexed market);
    /// @notice `reward` wei is held for `worker`'s provisional result of `taskId` until `finalAt`, or until the worker
    /// holds `window` newer ones.
    /// @param taskId The task.
    /// @param worker The compute node.
    /// @param reward Wei held.
    /// @param finalAt Timestamp from which it may be released.
    event ResultHeld(uint256 indexed taskId, address indexed worker, uint256 reward, uint64 finalAt);
    /// @notice The provisional result of `taskId` is final: `reward` wei credited to `worker`.
    /// @param taskId The task.
    /// @param worker The compute node.
    /// @param reward Wei credited.
    event ResultFinal(uint256 indexed taskId, address indexed worker, uint256 reward);
    /// @notice `worker` was caught holding `pending` provisional results: each is to be re-audited (newest first) or
    /// forfeited through `reaudit`.
    /// @param worker The compute node.
    /// @param pending Provisional results it holds.
    /// @param forfeit Whether their rewards go back to the requesters (a slashed catch).
    event ReauditsDue(address indexed worker, uint256 pending, bool forfeit);
    /// @notice A caught worker's provisional task is audited again (the market draws auditors for it).
    /// @param taskId The task.
    /// @param worker The compute node.
    event ReauditStarted(uint256 indexed taskId, address indexed worker);
    /// @notice A re-audit closed: it `confirmed` the worker's result, or replaced it (or could not decide, which
    /// counts as confirmed without extending the clean run).
    /// @param taskId The task.
    /// @param worker The compute node.
    /// @param confirmed Whether the worker's result stands.
    event ReauditClosed(uint256 indexed taskId, address indexed worker, bool confirmed);
    /// @notice A caught worker's held reward for `taskId` went back to `requester`.
    /// @param taskId The task.
    /// @param worker The compute node.
    /// @param requester Who is refunded.
    /// @param reward Wei credited to the requester.
    event RewardForfeited(uint256 indexed taskId, address indexed worker, address indexed requester, uint256 reward);

    /// @notice Only the market may do this, and `caller` is not it.
    error NotMarket(address caller);
    /// @notice Only the deployer names the market, once; `caller` may not (or it is named already).
    error MarketNotSettable(address caller);
    /// @notice `worker` has no caught provisional results to re-audit.
    error NothingToReaudit(address worker);
    /// @notice `reauditing` re-audits of `worker` are open, as many as the confirmations its catch still needs: wait
    /// for them to close.
    error ReauditsInFlight(address worker, uint256 reauditing);
    /// @notice None of `worker`'s provisional results can be made final yet (or it was caught: see `reaudit`).
    error NothingToRelease(address worker);
    /// @notice The market sent `sent` wei with a held result of `taskId`; it must send the reward, at most 2^96 − 1.
    error BadHold(uint256 taskId, uint256 sent);

    /// @notice Name the market that holds results here (the deployer, once).
    /// @param market The TaskMarket.
    function setMarket(address market) external;

    /// @notice Hold `msg.value` (the task's reward) for `worker`'s unaudited result of `taskId` (the market only);
    /// if the worker then holds more than `window` results, its oldest becomes final. A result of a task claimed at
    /// or before the worker's last catch is held for re-audit (`ReauditsDue`), like the results it held then.
    /// @param taskId The task.
    /// @param worker Its compute node.
    /// @param claimBlock The block the worker claimed the task in.
    function hold(uint256 taskId, address worker, uint256 claimBlock) external payable;

    /// @notice `worker` was caught (the market only): its held results are due for re-audit, and with `forfeit`
    /// their rewards go back to the requesters.
    /// @param worker The compute node.
    /// @param forfeit Whether the catch was slashed.
    function caught(address worker, bool forfeit) external;

    /// @notice A re-audit of `taskId` closed (the market only): the held reward goes to the worker if `confirmed`
    /// and the catch did not forfeit it, else back to `requester`; `decided` re-audits that confirm extend the
    /// worker's clean run, and one that replaces the result ends it.
    /// @param taskId The task.
    /// @param worker Its compute node.
    /// @param requester Its requester.
    /// @param decided Whether the re-audit reached a decision.
    /// @param confirmed Whether the worker's result stands.
    function reaudited(uint256 taskId, address worker, address requester, bool decided, bool confirmed) external;

    /// @notice Process a caught worker's held results, newest first, `count` at most (anyone; bounded work per call):
    /// while fewer than `cleanRun` re-audits in a row have confirmed the worker, each is audited again (the market
    /// draws auditors, paid from the NodeRegistry's repair pool, which holds the slashed stake), no more at once than
    /// the confirmations still missing (`ReauditsInFlight` beyond); after that the rest stand. A slashed catch
    /// forfeits every held reward to its requester; a demotion without a slash (COMPUTE_DOUBTFUL) forfeits only the
    /// rewards of results a re-audit replaces.
    /// @param worker The caught compute node.
    /// @param count Most entries to process.
    function reaudit(address worker, uint256 count) external;

    /// @notice Make final, oldest first, `count` at most of `worker`'s held results whose `holdTime` has passed
    /// (anyone): each reward is credited to the worker. A caught worker's results go through `reaudit` instead.
    /// @param worker The compute node.
    /// @param count Most entries to release.
    function release(address worker, uint256 count) external;

    /// @notice The sampling terms, fixed at deployment.
    /// @return terms `qMin`, `fullRecord`, `halfLife`, `window`, `holdTime` and `cleanRun`.
    function terms() external view returns (Terms memory terms);

    /// @notice Whether the market samples at all (`qMin < WAD`).
    /// @return on False when every task is audited.
    function sampling() external view returns (bool on);

    /// @notice The chance (WAD) that a task of `worker` is audited now, from its compute record.
    /// @param worker The compute node.
    /// @return probability WAD for every task of a new compute node, halving as its record grows, never below `qMin`.
    function auditProbabilityOf(address worker) external view returns (uint256 probability);

    /// @notice What a claim of a task paying `reward` by `worker` must satisfy.
    /// @param worker The compute node.
    /// @param reward The task's reward.
    /// @return blocked True while the worker's caught results are still being processed.
    /// @return minStake The least stake that makes cheating on such a task lose money at the lowest audit
    /// probability: `reward × (WAD − qMin) / qMin + 1` (0 when every task is audited).
    function claimTerms(address worker, uint256 reward) external view returns (bool blocked, uint256 minStake);

    /// @notice `worker`'s ledger.
    /// @param worker The compute node.
    /// @return ledger The bounds of its FIFO and its re-audit state.
    function ledgerOf(address worker) external view returns (Ledger memory ledger);

    /// @notice `worker`'s held entry `index` (`ledgerOf(worker).head` to `tail − 1`; zero once no longer held).
    /// @param worker The compute node.
    /// @param index The entry.
    /// @return entry Its task, release time and reward.
    function entryAt(address worker, uint256 index) external view returns (Entry memory entry);
}
