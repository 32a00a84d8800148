// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IStorageAudits
/// @notice Events, errors and functions of kura's proof-of-storage audits: anyone bonds a challenge
/// against a committed share, the chain picks the chunk from a future block hash, and the node must
/// answer with that chunk and its Merkle proof before a deadline — or be slashed, with the reason
/// and the challenge id recorded on chain.
/// Errors it shares with other kura contracts are declared once, in `IKuraErrors`.
interface IStorageAudits {
    /// @notice A challenge's terms. The chain keeps only their hash (one storage slot per challenge): they are
    /// emitted in full in `ChallengeOpened` (with `seedBlock` moved by any later `ChallengeReseeded`), and
    /// `respond`, `claimTimeout`, `reseed` and `chunkIndexOf` must be given them back exactly.
    /// @param challenger Who opened it and posted the bond.
    /// @param bond Wei bonded by the challenger.
    /// @param node The node that must answer.
    /// @param seedBlock The block whose hash picks the chunk; readable from block `seedBlock + 1`.
    /// @param chunkCount Number of chunks of the challenged share.
    /// @param deadline Last block timestamp at which the node may answer.
    /// @param index Share index within the file.
    /// @param fileId The file.
    /// @param shareRoot Merkle root of the share's chunks.
    /// @param sharesRoot The file's shares commitment when the challenge was opened.
    struct Challenge {
        address challenger;
        uint96 bond;
        address node;
        uint64 seedBlock;
        uint32 chunkCount;
        uint64 deadline;
        uint8 index;
        bytes32 fileId;
        bytes32 shareRoot;
        bytes32 sharesRoot;
    }

    /// @notice A challenge was opened against `node` for share `challenge.index` of `fileId`.
    /// @param challengeId The new challenge.
    /// @param fileId The file (also in `challenge`; indexed to find a file's audits).
    /// @param node The node that must answer (also in `challenge`; indexed for the node's agent).
    /// @param challenge Its terms, as the functions that judge it must be given them.
    event ChallengeOpened(
        uint256 indexed challengeId, bytes32 indexed fileId, address indexed node, Challenge challenge
    );
    /// @notice The seed block of an unanswered challenge fell out of the 256-block window and was moved:
    /// from now on the challenge's terms carry `seedBlock`.
    /// @param challengeId The challenge.
    /// @param seedBlock Its new seed block.
    event ChallengeReseeded(uint256 indexed challengeId, uint64 seedBlock);
    /// @notice `node` proved it holds chunk `chunkIndex`; the bond was credited to it.
    /// @param challengeId The challenge.
    /// @param node The node that answered.
    /// @param chunkIndex The chunk it proved.
    event ChallengePassed(uint256 indexed challengeId, address indexed node, uint32 chunkIndex);
    /// @notice `node` failed (`reason` is AUDIT_TIMEOUT or AUDIT_BAD_PROOF): `slashed` wei went to the
    /// repair pool, `reward` wei of it to the challenger, and the bond was refunded.
    /// @param challengeId The challenge.
    /// @param node The node judged.
    /// @param reason AUDIT_TIMEOUT or AUDIT_BAD_PROOF.
    /// @param slashed Wei taken from its stake.
    /// @param reward Wei of that paid to the challenger.
    event ChallengeFailed(
        uint256 indexed challengeId, address indexed node, bytes32 reason, uint256 slashed, uint256 reward
    );
    /// @notice The challenge was void (`reason`: COMMITMENT_CHANGED or SEED_NOT_MINED); bond refunded,
    /// nobody judged.
    /// @param challengeId The challenge.
    /// @param reason COMMITMENT_CHANGED or SEED_NOT_MINED.
    event ChallengeVoided(uint256 indexed challengeId, bytes32 reason);
    /// @notice `node` lost share `index` of `fileId` (it failed an audit of it); repair should rebuild it.
    /// @param fileId The file.
    /// @param index The share index.
    /// @param node The node that lost it.
    event ShareLost(bytes32 indexed fileId, uint8 index, address indexed node);

    /// @notice The bond sent is below `challengeBond`.
    error BondTooLow(uint256 sent, uint256 required);
    /// @notice A share of zero chunks cannot be challenged.
    error EmptyShare();
    /// @notice Share `index` of `fileId` already has the open challenge `challengeId`.
    error ChallengeAlreadyOpen(bytes32 fileId, uint8 index, uint256 challengeId);
    /// @notice `node` already lost share `index` of `fileId`; it is not challenged twice for one loss.
    error ShareAlreadyLost(bytes32 fileId, uint8 index, address node);
    /// @notice No challenge has id `challengeId`.
    error UnknownChallenge(uint256 challengeId);
    /// @notice The challenge is no longer open (its closing event says how it ended).
    error ChallengeClosed(uint256 challengeId);
    /// @notice The terms given are not those challenge `challengeId` was opened with (or last reseeded to).
    error WrongTerms(uint256 challengeId);
    /// @notice Only the challenged `node` may answer, not `caller`.
    error NotChallengedNode(uint256 challengeId, address caller, address node);
    /// @notice The answer came after `deadline`; the challenge can only time out now.
    error DeadlinePassed(uint256 challengeId, uint64 deadline);
    /// @notice The deadline `deadline` has not passed yet.
    error DeadlineNotReached(uint256 challengeId, uint64 deadline);
    /// @notice Block `seedBlock` is older than 256 blocks and its hash is gone: call `reseed` first.
    error SeedExpired(uint256 challengeId, uint64 seedBlock);
    /// @notice Block `seedBlock`'s hash is still readable (or not yet mined): no reseed needed.
    error SeedStillFresh(uint256 challengeId, uint64 seedBlock);

    /// @notice Open a challenge against `node` for share `index` of `fileId`, bonding `msg.value`.
    /// @param fileId The file (live in the FileRegistry).
    /// @param index The share's index.
    /// @param node The node that must hold it (Active in the NodeRegistry).
    /// @param chunkCount Number of chunks of the share.
    /// @param shareRoot Merkle root of the share's chunks.
    /// @param sharesProof Proof of the share leaf in the file's `sharesRoot`.
    /// @return challengeId The new challenge.
    function challenge(
        bytes32 fileId,
        uint8 index,
        address node,
        uint32 chunkCount,
        bytes32 shareRoot,
        bytes32[] calldata sharesProof
    ) external payable returns (uint256 challengeId);

    /// @notice Answer challenge `challengeId` with the chosen chunk and its proof (the challenged node only,
    /// from block `seedBlock + 1` until the deadline). A wrong answer does not revert: it is judged a failure.
    /// @param challengeId The challenge.
    /// @param terms Its terms (`ChallengeOpened`, with the latest `ChallengeReseeded` seed block).
    /// @param chunk The chunk `chunkIndexOf(challengeId, terms)` names.
    /// @param proof Its siblings in the share's Merkle tree, bottom-up.
    /// @return passed True if the answer was right.
    function respond(uint256 challengeId, Challenge calldata terms, bytes calldata chunk, bytes32[] calldata proof)
        external
        returns (bool passed);

    /// @notice Judge an unanswered challenge after its deadline (anyone): slash, or void if the file's
    /// commitment changed meanwhile or the seed block was never mined.
    /// @param challengeId The challenge.
    /// @param terms Its terms.
    function claimTimeout(uint256 challengeId, Challenge calldata terms) external;

    /// @notice Move the seed of an unanswered challenge whose seed block hash has expired (anyone,
    /// before the deadline). The deadline does not move.
    /// @param challengeId The challenge.
    /// @param terms Its terms.
    function reseed(uint256 challengeId, Challenge calldata terms) external;

    /// @notice True while challenge `challengeId` is open, false once it was judged or voided.
    /// @param challengeId The challenge (reverts `UnknownChallenge` if none has this id).
    /// @return open Whether it still waits for an answer or a timeout.
    function isOpen(uint256 challengeId) external view returns (bool open);

    /// @notice The chunk index open challenge `challengeId` asks for (reverts until the seed block is mined,
    /// and once its hash has expired).
    /// @param challengeId The challenge.
    /// @param terms Its terms.
    /// @return chunkIndex The chunk the node must answer with.
    function chunkIndexOf(uint256 challengeId, Challenge calldata terms) external view returns (uint32 chunkIndex);

    /// @notice The open challenge on share `index` of `fileId`, or 0.
    /// @param fileId The file.
    /// @param index The share index.
    /// @return challengeId The open challenge, or 0.
    function openChallengeOf(bytes32 fileId, uint8 index) external view returns (uint256 challengeId);

    /// @notice True if `node` failed an audit of share `index` of `fileId`.
    /// @param fileId The file.
    /// @param index The share index.
    /// @param node The node.
    /// @return lost Whether it lost the share.
    function isShareLost(bytes32 fileId, uint8 index, address node) external view returns (bool lost);
}
