// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IDataMarket
/// @notice Types, events, errors and functions of kura's medical data market: member institutions list
/// de-identified datasets stored in kura, buyers escrow the price, sellers deliver the dataset key sealed
/// to a per-purchase key, and a wrong key is refunded by proof, without an arbiter. Compute-to-data:
/// per listing an allowlist of WebAssembly modules with output caps, a set of approved compute/audit
/// nodes, a differential-privacy budget per dataset and per buyer, and paid compute access.
interface IDataMarket {
    /// @notice Lifecycle of a purchase. `None` means no such purchase.
    /// Paid → (deliver) Delivered → (release | confirm) Released; Delivered → (dispute) Disputed;
    /// Paid → (reclaim, after the delivery deadline) Reclaimed.
    enum PurchaseState {
        None,
        Paid,
        Delivered,
        Released,
        Disputed,
        Reclaimed
    }

    /// @notice What a seller offers, as `list` and `update` take it (and `ListingPublished` logs it).
    /// @param fileId The kura file (FileRegistry id) holding the dataset; the seller's account must own it.
    /// @param fileVersion The file's live manifest version.
    /// @param price Wei per sale.
    /// @param bond Wei the seller locks with each delivery, paid to the buyer if the key proves wrong.
    /// @param maxSales Most sales over the listing's life (refunded purchases do not count).
    /// @param licenceDuration Seconds the licence runs from delivery.
    /// @param licenceHash Hash of the licence text.
    /// @param licenceCid IPFS CID of the licence text.
    /// @param consentPurpose Purpose of the seller's consent snapshot (ConsentRegistry).
    /// @param consentSnapshot The snapshot the dataset's cohort comes from (must be current).
    /// @param cohortSize The snapshot's cohort size (must match the registry).
    /// @param certDigest Digest of the de-identification certificate.
    /// @param kAnonymity The certificate's k (k-anonymity), at least the consortium's minimum.
    /// @param lDiversity The certificate's ℓ (ℓ-diversity), at least the consortium's minimum.
    /// @param keyCommitment keccak256 of the dataset key K.
    /// @param manifestDigest Digest of the buyer-readable manifest sealed under K.
    /// @param purposes Uses the licence allows (a buyer names one).
    /// @param buyers Institution ids allowed to buy (empty: every member).
    // Never stored (it is calldata and an event's data, kept per version as `Terms`), so its packing costs
    // nothing; its field order is the ABI clients encode.
    // solhint-disable-next-line gas-struct-packing
    struct Offer {
        bytes32 fileId;
        uint32 fileVersion;
        uint96 price;
        uint96 bond;
        uint32 maxSales;
        uint32 licenceDuration;
        bytes32 licenceHash;
        string licenceCid;
        bytes32 consentPurpose;
        uint32 consentSnapshot;
        uint32 cohortSize;
        bytes32 certDigest;
        uint8 kAnonymity;
        uint8 lDiversity;
        bytes32 keyCommitment;
        bytes32 manifestDigest;
        bytes32[] purposes;
        uint32[] buyers;
    }

    /// @notice A listing's fixed fields. Its terms are kept per version (`termsOf`).
    /// @param seller The selling institution's id.
    /// @param version Current version (from 1; every update bumps it).
    /// @param sales Sales made and not refunded.
    /// @param closed True once the seller withdrew it (no new sales; purchases in flight go on).
    struct Listing {
        uint32 seller;
        uint32 version;
        uint32 sales;
        bool closed;
    }

    /// @notice The terms of one listing version, as stored (see `Offer`).
    /// @param buyers Size of the buyer allowlist (0: every member may buy).
    struct Terms {
        uint96 price;
        uint96 bond;
        uint32 maxSales;
        uint32 licenceDuration;
        uint32 fileVersion;
        uint32 consentSnapshot;
        uint32 cohortSize;
        uint16 buyers;
        uint8 kAnonymity;
        uint8 lDiversity;
        bytes32 consentPurpose;
        bytes32 fileId;
        bytes32 licenceHash;
        bytes32 certDigest;
        bytes32 keyCommitment;
        bytes32 manifestDigest;
    }

    /// @notice One purchase.
    /// @param listingId The listing.
    /// @param version The listing version bought.
    /// @param buyer The buying institution's id.
    /// @param state Lifecycle state.
    /// @param deliverBy Last timestamp for the seller's delivery.
    /// @param disputeUntil Last timestamp for the buyer's dispute (set at delivery).
    /// @param buyerKey Address of the per-purchase public key P = x·G the key is sealed to.
    /// @param nonce The buyer's purchase number its client derived x from.
    /// @param delivery keccak256(R.x ‖ R.y ‖ E) of the delivery (zero before it).
    // The linter's packing estimate is wrong here: the fields from `listingId` to `disputeUntil` fill one slot
    // (29 bytes), `buyerKey` and `nonce` a second (28 bytes), `delivery` a third; 89 bytes need three slots
    // (test_storage_layout).
    // solhint-disable-next-line gas-struct-packing
    struct Purchase {
        uint32 listingId;
        uint32 version;
        uint32 buyer;
        PurchaseState state;
        uint64 deliverBy;
        uint64 disputeUntil;
        address buyerKey;
        uint64 nonce;
        bytes32 delivery;
    }

    /// @notice A listing's compute-to-data terms.
    /// @param jobPrice Wei per compute job (0: compute access not offered).
    /// @param datasetEpsilon Total ε the dataset may spend over all buyers (fixed point, `EPSILON_ONE` = 1).
    /// @param buyerEpsilon ε one buyer institution may spend (fixed point).
    struct ComputeTerms {
        uint96 jobPrice;
        uint64 datasetEpsilon;
        uint64 buyerEpsilon;
    }

    /// @notice Paid compute access of one buyer to one listing.
    /// @param listingId The listing.
    /// @param buyer The buying institution's id.
    /// @param jobsLeft Jobs paid for and not yet run or refunded.
    /// @param jobPrice Wei paid per job (credited to the seller as each job is accepted).
    struct Access {
        uint32 listingId;
        uint32 buyer;
        uint32 jobsLeft;
        uint96 jobPrice;
    }

    /// @notice Listing `listingId` of `seller` now has version `version` with terms `offer`.
    /// @param listingId The listing.
    /// @param seller The selling institution's id.
    /// @param version The version these terms are (from 1).
    /// @param offer The terms, as the seller gave them.
    event ListingPublished(uint256 indexed listingId, uint32 indexed seller, uint32 version, Offer offer);
    /// @notice The seller withdrew listing `listingId`.
    /// @param listingId The listing, closed for good.
    event ListingClosed(uint256 indexed listingId);
    /// @notice The access log's entry: `buyer` bought `version` of `listingId` from `seller` for `price` wei,
    /// for `purpose`, under the licence `licenceHash`, from consent snapshot (`seller`, `consentPurpose`,
    /// `consentSnapshot`); the seller must deliver by `deliverBy`.
    /// @param purchaseId The new purchase.
    /// @param listingId The listing bought.
    /// @param buyer The buying institution's id.
    /// @param seller The selling institution's id.
    /// @param version The listing version bought.
    /// @param price Wei escrowed.
    /// @param purpose The use the buyer declared.
    /// @param licenceHash Hash of the licence text the sale is under.
    /// @param consentPurpose Purpose of the seller's consent snapshot.
    /// @param consentSnapshot The consent snapshot the dataset's cohort comes from.
    /// @param deliverBy Last timestamp for the seller's delivery.
    event Purchased(
        uint256 indexed purchaseId,
        uint256 indexed listingId,
        uint32 indexed buyer,
        uint32 seller,
        uint32 version,
        uint256 price,
        bytes32 purpose,
        bytes32 licenceHash,
        bytes32 consentPurpose,
        uint32 consentSnapshot,
        uint64 deliverBy
    );
    /// @notice The buyer's client derived purchase `purchaseId`'s key pair from its purchase number
    /// `nonce`; the seller seals the dataset key to `buyerKey` (P = x·G, x ‖ y).
    /// @param purchaseId The purchase.
    /// @param nonce The buyer institution's purchase number x was derived from.
    /// @param buyerKey The per-purchase public key P (x, y).
    event PurchaseKey(uint256 indexed purchaseId, uint64 nonce, bytes32[2] buyerKey);
    /// @notice The seller delivered: R = r·G and E = K xor keccak256(S) with S = r·P; the buyer may
    /// dispute until `disputeUntil`; the licence runs until `licenceUntil`.
    /// @param purchaseId The purchase.
    /// @param ephemeralKey R (x, y).
    /// @param sealedKey E, the sealed dataset key.
    /// @param disputeUntil Last timestamp for the buyer's dispute.
    /// @param licenceUntil Timestamp at which the licence ends.
    event Delivered(
        uint256 indexed purchaseId, bytes32[2] ephemeralKey, bytes32 sealedKey, uint64 disputeUntil, uint64 licenceUntil
    );
    /// @notice The buyer proved the delivered key `deliveredKey` wrong: `refund` wei (price and the
    /// seller's bond) credited to the buyer.
    /// @param purchaseId The purchase, now Disputed.
    /// @param deliveredKey K' = E xor keccak256(S), whose hash is not the commitment.
    /// @param refund Wei credited to the buyer's payout.
    event WrongKeyProven(uint256 indexed purchaseId, bytes32 deliveredKey, uint256 refund);
    /// @notice The sale is final: `amount` wei (price and bond) credited to the seller's payout.
    /// @param purchaseId The purchase, now Released.
    /// @param amount Wei credited to the seller's payout.
    event SaleReleased(uint256 indexed purchaseId, uint256 amount);
    /// @notice No delivery came by the deadline: `amount` wei credited back to the buyer.
    /// @param purchaseId The purchase, now Reclaimed.
    /// @param amount Wei credited to the buyer's payout.
    event PurchaseReclaimed(uint256 indexed purchaseId, uint256 amount);
    /// @notice The seller set the compute terms of `listingId`.
    /// @param listingId The listing.
    /// @param jobPrice Wei per compute job.
    /// @param datasetEpsilon Total ε the dataset may spend over all buyers (fixed point).
    /// @param buyerEpsilon ε one buyer institution may spend (fixed point).
    event ComputeConfigured(uint256 indexed listingId, uint96 jobPrice, uint64 datasetEpsilon, uint64 buyerEpsilon);
    /// @notice Module `moduleHash` may run over `listingId` with at most `outputCap` output bytes (0: removed).
    /// @param listingId The listing.
    /// @param moduleHash Hash of the WebAssembly module.
    /// @param outputCap Most output bytes a job of it may release (0: no longer approved).
    event ModuleApprovalSet(uint256 indexed listingId, bytes32 indexed moduleHash, uint32 outputCap);
    /// @notice `node` may (`approved`) or may no longer compute or audit over `listingId`.
    /// @param listingId The listing.
    /// @param node The compute/audit node.
    /// @param approved Whether it is approved now.
    event NodeApprovalSet(uint256 indexed listingId, address indexed node, bool approved);
    /// @notice `buyer` paid for `jobs` compute jobs over version `version` of `listingId` for `purpose`.
    /// @param accessId The new compute access.
    /// @param listingId The listing.
    /// @param buyer The buying institution's id.
    /// @param version The listing version current at the purchase.
    /// @param jobs Jobs paid for.
    /// @param jobPrice Wei paid per job.
    /// @param purpose The use the buyer declared.
    event ComputeAccessBought(
        uint256 indexed accessId,
        uint256 indexed listingId,
        uint32 indexed buyer,
        uint32 version,
        uint32 jobs,
        uint96 jobPrice,
        bytes32 purpose
    );
    /// @notice The compute market accepted job `jobRef` under access `accessId`: module `moduleHash`,
    /// `epsilon` of the privacy budget spent; the job price credited to the seller.
    /// @param accessId The access debited.
    /// @param listingId Its listing.
    /// @param moduleHash The module the job runs.
    /// @param epsilon ε spent from the dataset's and the buyer's budgets (fixed point).
    /// @param jobRef The compute market's reference of the job.
    event JobDebited(
        uint256 indexed accessId, uint256 indexed listingId, bytes32 moduleHash, uint64 epsilon, bytes32 jobRef
    );
    /// @notice The buyer took back `jobs` unused jobs: `amount` wei credited to it.
    /// @param accessId The access, now without jobs.
    /// @param jobs Jobs refunded.
    /// @param amount Wei credited to the buyer's payout.
    event JobsRefunded(uint256 indexed accessId, uint32 jobs, uint256 amount);
    /// @notice `computeMarket` may now debit compute jobs.
    /// @param computeMarket The compute market's address.
    event ComputeMarketSet(address indexed computeMarket);

    /// @notice `caller` is not the current account of institution `id` (an institution that moved to a
    /// new account can no longer act through its old one).
    error NotInstitutionAccount(uint32 id, address caller);
    /// @notice No listing has id `listingId`.
    error UnknownListing(uint256 listingId);
    /// @notice Listing `listingId` was closed by its seller.
    error ListingIsClosed(uint256 listingId);
    /// @notice The buyer read version `expected`, but the listing is at `current` now: re-read its terms.
    error ListingVersionChanged(uint256 listingId, uint32 expected, uint32 current);
    /// @notice The buyer accepted `accepted` wei, but the terms ask `price`.
    error PriceChanged(uint256 listingId, uint256 accepted, uint256 price);
    /// @notice `sent` wei was sent where exactly `required` is due.
    error WrongPayment(uint256 sent, uint256 required);
    /// @notice An offer lacks a required field (price, sales, file, licence, certificate, key or manifest),
    /// names no purpose or a zero one, or has too many purposes or buyers.
    error IncompleteOffer();
    /// @notice The certificate's k or ℓ is below the consortium's policy (`minK`, `minL`).
    error BelowPolicy(uint8 kAnonymity, uint8 lDiversity, uint8 minK, uint8 minL);
    /// @notice The seller's account `seller` does not own file `fileId` (its owner is `owner`).
    error FileNotOwnedBySeller(bytes32 fileId, address owner, address seller);
    /// @notice File `fileId` is at version `current`, not `offered`.
    error StaleFileVersion(bytes32 fileId, uint32 offered, uint32 current);
    /// @notice Snapshot `snapshotId` of (`institution`, `purpose`) is not current (newer one, or touched by
    /// a revocation): re-list from the current snapshot.
    error ConsentNotCurrent(uint32 institution, bytes32 purpose, uint32 snapshotId);
    /// @notice The offer says the cohort has `offered` patients; the snapshot records `recorded`.
    error CohortMismatch(uint32 offered, uint32 recorded);
    /// @notice The listing's licence does not allow `purpose`.
    error PurposeNotAllowed(uint256 listingId, bytes32 purpose);
    /// @notice Institution `buyer` is not on the listing's allowlist.
    error BuyerNotAllowed(uint256 listingId, uint32 buyer);
    /// @notice An institution cannot buy its own listing.
    error SelfPurchase(uint256 listingId, uint32 institution);
    /// @notice The selling institution `seller` is no longer a member.
    error SellerNotMember(uint32 seller);
    /// @notice All `maxSales` sales of the listing are made.
    error SoldOut(uint256 listingId, uint32 maxSales);
    /// @notice Institution `buyer` already holds purchase `purchaseId` of this listing version.
    error AlreadyPurchased(uint256 listingId, uint32 version, uint32 buyer, uint256 purchaseId);
    /// @notice The buyer derived its key from purchase number `given`; the next one is `expected`.
    error StaleNonce(uint32 buyer, uint64 given, uint64 expected);
    /// @notice `point` is not a secp256k1 point usable here (off the curve, or x not below the group order).
    error BadCurvePoint(bytes32[2] point);
    /// @notice No purchase has id `purchaseId`.
    error UnknownPurchase(uint256 purchaseId);
    /// @notice Purchase `purchaseId` is `state`, which does not allow this.
    error WrongPurchaseState(uint256 purchaseId, PurchaseState state);
    /// @notice The delivery deadline `deliverBy` passed.
    error DeliveryClosed(uint256 purchaseId, uint64 deliverBy);
    /// @notice The seller may still deliver until `deliverBy`.
    error DeliveryStillOpen(uint256 purchaseId, uint64 deliverBy);
    /// @notice The dispute window closed at `disputeUntil`.
    error DisputeClosed(uint256 purchaseId, uint64 disputeUntil);
    /// @notice The buyer may still dispute until `disputeUntil`.
    error DisputeStillOpen(uint256 purchaseId, uint64 disputeUntil);
    /// @notice (R, E) is not what the seller delivered.
    error DeliveryMismatch(uint256 purchaseId);
    /// @notice x·G is not the purchase's key P: this x belongs to no key of this purchase.
    error WrongPurchaseSecret(uint256 purchaseId);
    /// @notice S is not x·R.
    error WrongSharedPoint(uint256 purchaseId);
    /// @notice The delivered key matches the commitment: a correct delivery cannot be disputed.
    error DeliveryCorrect(uint256 purchaseId);
    /// @notice Only the deployer may name the compute market, not `caller`.
    error NotMarketDeployer(address caller);
    /// @notice The compute market is already `computeMarket`; it is set once.
    error ComputeMarketAlreadySet(address computeMarket);
    /// @notice Only the compute market may debit jobs, not `caller`.
    error NotComputeMarket(address caller);
    /// @notice Listing `listingId` offers no compute access.
    error ComputeNotOffered(uint256 listingId);
    /// @notice A privacy budget may be lowered but never raised (spent privacy cannot be unspent), and a
    /// buyer's budget cannot exceed the dataset's.
    error BudgetRaised(uint64 datasetEpsilon, uint64 buyerEpsilon);
    /// @notice The approved node set of a listing holds `size` nodes, its maximum.
    error TooManyNodes(uint256 size);
    /// @notice No compute access has id `accessId`.
    error UnknownAccess(uint256 accessId);
    /// @notice Access `accessId` has no paid job left.
    error NoJobsLeft(uint256 accessId);
    /// @notice Module `moduleHash` is not approved for listing `listingId`.
    error ModuleNotApproved(uint256 listingId, bytes32 moduleHash);
    /// @notice A compute job must spend some ε (a zero-ε release is not differentially private).
    error ZeroEpsilon();
    /// @notice Spending `epsilon` would exceed the dataset's remaining `datasetLeft` or the buyer's `buyerLeft`.
    error PrivacyBudgetExceeded(uint256 listingId, uint32 buyer, uint64 epsilon, uint64 datasetLeft, uint64 buyerLeft);

    /// @notice List a dataset (member accounts only).
    /// @param offer The terms of version 1 (see `Offer`); the caller's account must own the file.
    /// @return listingId The new listing.
    function list(Offer calldata offer) external returns (uint256 listingId);

    /// @notice Replace the terms of `listingId` (its seller only); the version goes up by one, so a buy
    /// naming the old version fails.
    /// @param listingId The listing.
    /// @param expectedVersion The version the seller read.
    /// @param offer The terms of the new version.
    function update(uint256 listingId, uint32 expectedVersion, Offer calldata offer) external;

    /// @notice Withdraw `listingId` from sale for good (its seller only); purchases in flight go on.
    /// @param listingId The listing.
    function close(uint256 listingId) external;

    /// @notice Buy `version` of `listingId`, escrowing exactly `price` wei.
    /// @param listingId The listing.
    /// @param version The version whose terms the buyer read (the current one).
    /// @param price The price the buyer accepts (the version's price; `msg.value` must equal it).
    /// @param purpose The use the buyer declares (one the licence allows).
    /// @param nonce The buyer institution's next purchase number (`purchaseNonceOf`), which its client
    /// derived the per-purchase secret x from.
    /// @param buyerKey P = x·G, to which the seller seals the dataset key.
    /// @return purchaseId The new purchase.
    function buy(
        uint256 listingId,
        uint32 version,
        uint96 price,
        bytes32 purpose,
        uint64 nonce,
        bytes32[2] calldata buyerKey
    ) external payable returns (uint256 purchaseId);

    /// @notice Deliver the dataset key sealed to the purchase's key, locking the listing's bond (`msg.value`).
    /// @param purchaseId The purchase (Paid, before its delivery deadline; the seller only).
    /// @param ephemeralKey R = r·G for a fresh random r.
    /// @param sealedKey E = K xor keccak256(S.x ‖ S.y) with S = r·P.
    function deliver(uint256 purchaseId, bytes32[2] calldata ephemeralKey, bytes32 sealedKey) external payable;

    /// @notice Prove the delivered key wrong (the buyer only, within the dispute window): reveals the
    /// purchase's secret x and S = x·R; if K' = E xor keccak256(S) does not match the commitment, the
    /// price and the seller's bond are credited to the buyer.
    /// @param purchaseId The purchase (Delivered).
    /// @param ephemeralKey R, as delivered.
    /// @param sealedKey E, as delivered.
    /// @param secret x, the purchase's secret (x·G must be the purchase's key P).
    /// @param sharedPoint S = x·R.
    function dispute(
        uint256 purchaseId,
        bytes32[2] calldata ephemeralKey,
        bytes32 sealedKey,
        uint256 secret,
        bytes32[2] calldata sharedPoint
    ) external;

    /// @notice Accept the delivery before the dispute window ends (the buyer only): the sale is final.
    /// @param purchaseId The purchase (Delivered).
    function confirm(uint256 purchaseId) external;

    /// @notice Make the sale final after the dispute window (anyone): price and bond go to the seller.
    /// @param purchaseId The purchase (Delivered, its dispute window over).
    function release(uint256 purchaseId) external;

    /// @notice Refund an undelivered purchase after its delivery deadline (anyone): the price goes back.
    /// @param purchaseId The purchase (Paid, its delivery deadline over).
    function reclaim(uint256 purchaseId) external;

    /// @notice Name the compute market allowed to debit jobs (the deployer only, once).
    /// @param computeMarket_ The compute market's address (not zero).
    function setComputeMarket(address computeMarket_) external;

    /// @notice Set the compute terms of `listingId` (its seller only). Budgets, once set, only go down.
    /// @param listingId The listing.
    /// @param jobPrice Wei per compute job (not zero).
    /// @param datasetEpsilon Total ε the dataset may spend over all buyers (fixed point).
    /// @param buyerEpsilon ε one buyer institution may spend (fixed point; not zero, at most `datasetEpsilon`).
    function configureCompute(uint256 listingId, uint96 jobPrice, uint64 datasetEpsilon, uint64 buyerEpsilon) external;

    /// @notice Approve module `moduleHash` for `listingId` with an output cap in bytes (0 removes it).
    /// @param listingId The listing (its seller only).
    /// @param moduleHash Hash of the WebAssembly module (not zero).
    /// @param outputCap Most output bytes a job of it may release (0: remove the approval).
    function setModule(uint256 listingId, bytes32 moduleHash, uint32 outputCap) external;

    /// @notice Add `node` to (or remove it from) the nodes approved to compute or audit over `listingId`.
    /// @param listingId The listing (its seller only).
    /// @param node The node (not zero).
    /// @param approved True to approve it, false to remove it.
    function setNode(uint256 listingId, address node, bool approved) external;

    /// @notice Pay for `jobs` compute jobs over `listingId` at `jobPrice` wei each.
    /// @param listingId The listing.
    /// @param jobs Jobs to pay for (not zero; `msg.value` must be `jobs` × `jobPrice`).
    /// @param jobPrice The job price the buyer accepts (the listing's current one).
    /// @param purpose The use the buyer declares (one the licence allows).
    /// @return accessId The new access.
    function buyCompute(uint256 listingId, uint32 jobs, uint96 jobPrice, bytes32 purpose)
        external
        payable
        returns (uint256 accessId);

    /// @notice Take back every unused job of `accessId` (the buyer only).
    /// @param accessId The access.
    function refundJobs(uint256 accessId) external;

    /// @notice Accept a compute job (the compute market only): checks module, consent and budgets, spends
    /// `epsilon` from the dataset's and the buyer's budgets and credits the job price to the seller.
    /// @param accessId The access that pays for the job.
    /// @param moduleHash The module the job runs.
    /// @param epsilon ε the job spends (fixed point, not zero).
    /// @param jobRef The compute market's reference of the job (logged).
    /// @return outputCap Most output bytes the job may release.
    function debitJob(uint256 accessId, bytes32 moduleHash, uint64 epsilon, bytes32 jobRef)
        external
        returns (uint32 outputCap);

    /// @notice What `debitJob` would check, without spending: reverts with the reason a job would be refused.
    /// @param accessId The access that would pay for the job.
    /// @param moduleHash The module the job would run.
    /// @param epsilon ε the job would spend (fixed point).
    /// @return outputCap Most output bytes the job may release.
    function checkJob(uint256 accessId, bytes32 moduleHash, uint64 epsilon) external view returns (uint32 outputCap);

    /// @notice Listing `listingId`; reverts if there is none.
    /// @param listingId The listing.
    /// @return listing Its seller, current version, sales and whether it is closed.
    function listingOf(uint256 listingId) external view returns (Listing memory listing);

    /// @notice The terms of `version` of `listingId`.
    /// @param listingId The listing.
    /// @param version A version from 1 to the current one.
    /// @return terms The terms of that version.
    function termsOf(uint256 listingId, uint32 version) external view returns (Terms memory terms);

    /// @notice True iff `version` of `listingId` allows `purpose`.
    /// @param listingId The listing.
    /// @param version The version.
    /// @param purpose The use.
    /// @return allowed Whether the licence of that version allows it.
    function allowsPurpose(uint256 listingId, uint32 version, bytes32 purpose) external view returns (bool allowed);

    /// @notice True iff institution `buyer` may buy `version` of `listingId`.
    /// @param listingId The listing.
    /// @param version The version.
    /// @param buyer The institution's id.
    /// @return allowed Whether the version's allowlist admits it (an empty allowlist admits every member).
    function allowsBuyer(uint256 listingId, uint32 version, uint32 buyer) external view returns (bool allowed);

    /// @notice Purchase `purchaseId`; reverts if there is none.
    /// @param purchaseId The purchase.
    /// @return purchase Its listing, version, buyer, state, deadlines, key and delivery.
    function purchaseOf(uint256 purchaseId) external view returns (Purchase memory purchase);

    /// @notice The compute terms of `listingId`; reverts if there is no such listing.
    /// @param listingId The listing.
    /// @return terms Its job price and ε budgets (zeros: compute not offered).
    function computeTermsOf(uint256 listingId) external view returns (ComputeTerms memory terms);

    /// @notice Compute access `accessId`; reverts if there is none.
    /// @param accessId The access.
    /// @return access Its listing, buyer, jobs left and job price.
    function accessOf(uint256 accessId) external view returns (Access memory access);

    /// @notice The nodes approved to compute or audit over `listingId`.
    /// @param listingId The listing.
    /// @return nodes Their addresses in approval order, except that removing one moves the last into its place.
    function approvedNodes(uint256 listingId) external view returns (address[] memory nodes);

    /// @notice True iff `node` is approved for `listingId`.
    /// @param listingId The listing.
    /// @param node The node.
    /// @return approved Whether it may compute or audit over the listing.
    function isApprovedNode(uint256 listingId, address node) external view returns (bool approved);
}
