// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {IDataMarket} from "./interfaces/IDataMarket.sol";
import {IFileRegistry} from "./interfaces/IFileRegistry.sol";
import {IInstitutionRegistry} from "./interfaces/IInstitutionRegistry.sol";
import {IKuraErrors} from "./interfaces/IKuraErrors.sol";
import {Secp256k1} from "./libraries/Secp256k1.sol";
import {PullPayments} from "./utils/PullPayments.sol";

/// @title DataMarket
/// @notice Data-sale agreements between member institutions (M1), honouring consent and the consortium's
/// de-identification policy (M2), with the ledgers compute-to-data needs (M3).
///
/// Listing. A member lists a kura file it owns at a live version, with price, licence (hash + CID),
/// allowed purposes, licence duration, the consent snapshot its cohort comes from, the de-identification
/// certificate's digest and declared k and ℓ (refused below the registry's policy), an optional buyer
/// allowlist, a sales cap, a commitment keccak256(K) to the dataset key and the digest of the manifest
/// sealed under K, and the bond it will lock per delivery. Terms are kept per listing version; an update
/// bumps the version, and a buy names the version and price it accepts, so an old version cannot be
/// replayed and a price change cannot be front-run. Policy, membership, consent currency and the file's
/// liveness are checked again at every sale: a listing whose snapshot was touched by a revocation (or
/// superseded by a newer one) does not sell until the seller re-lists from the current snapshot.
///
/// Fair exchange without an arbiter. The buyer escrows exactly the price and names a per-purchase
/// public key P = x·G; its client derives x from its account key and its purchase number (`nonce`, which
/// the buy must name, so the client never stores x). Before the delivery deadline the seller posts
/// R = r·G and E = K xor keccak256(S) with S = r·P, locking the bond; only the buyer can compute
/// S = x·R. Within the dispute window the buyer may reveal x and S: the contract checks x·G = P and
/// x·R = S with the `ecrecover` multiplication check (`Secp256k1.mulMatches`), computes
/// K' = E xor keccak256(S) and, iff keccak256(K') differs from the commitment, credits the price and the
/// bond to the buyer. A correct delivery cannot be disputed. Revealing x exposes only this purchase's
/// key, and K only to a buyer who already holds K (the reverted dispute's calldata is public, but a
/// buyer able to send it could publish K anyway). The seller locks its bond only for sales it actually
/// delivers, for exactly as long as the delivery can be disputed; a seller that never delivers is never
/// paid and anyone may refund the buyer after the deadline. After the dispute window (or on the buyer's
/// early confirmation) price and bond are credited to the seller's payout. Every payment is a pull
/// payment. Known limit: the commitment binds the key the seller promised; whether that key opens the
/// sealed manifest is checked off chain (anyone can verify it from K and the manifest), not here.
///
/// Authorisation. Every institution acts through `InstitutionRegistry.accountOf` / `memberIdOf`, so after
/// a public key change the old account can do nothing here; payments go to the current payout address.
///
/// Compute-to-data ledgers. Per listing the seller keeps an allowlist of WebAssembly module hashes with
/// output byte caps, a set of approved compute/audit nodes, and an ε budget per dataset and per buyer
/// (fixed point, `EPSILON_ONE` = 1.0), which can be lowered but never raised once set. Buyers pay for a
/// number of jobs; the compute market (named once by the deployer) debits one job and its ε when it
/// accepts a job, and a job that would exceed either budget is refused.
///
/// Access log. Every step is an event (`ListingPublished`, `Purchased`, `PurchaseKey`, `Delivered`,
/// `WrongKeyProven`, `SaleReleased`, `PurchaseReclaimed`, `ComputeAccessBought`, `JobDebited`), so who
/// bought which dataset version, for which purpose, under which licence and from which consent snapshot
/// is rebuilt from the logs alone.
contract DataMarket is IDataMarket, PullPayments {
    using SafeCast for uint256;

    /// @dev How many listings, purchases and compute accesses exist (each kind's ids run from 1); one slot.
    struct Counts {
        uint64 listings;
        uint64 purchases;
        uint64 accesses;
    }

    /// @dev An approved node set: the nodes, and 1 + each one's position (0: not approved).
    struct NodeSet {
        address[] nodes;
        mapping(address node => uint256 indexPlusOne) index;
    }

    /// @notice Fixed-point one for ε budgets: an ε of 0.5 is 500 000.
    uint64 public constant EPSILON_ONE = 1e6;
    /// @notice Most purposes one listing version allows.
    uint256 public constant MAX_PURPOSES = 16;
    /// @notice Most institutions on one listing version's allowlist.
    uint256 public constant MAX_BUYERS = 64;
    /// @notice Most approved compute/audit nodes per listing.
    uint256 public constant MAX_NODES = 32;

    /// @notice The consortium.
    IInstitutionRegistry public immutable institutions;
    /// @notice The consent snapshots.
    IConsentRegistry public immutable consent;
    /// @notice The kura files datasets live in.
    IFileRegistry public immutable files;
    /// @notice Seconds from a purchase to the seller's delivery deadline.
    uint64 public immutable deliveryWindow;
    /// @notice Seconds from a delivery to the end of the buyer's dispute window.
    uint64 public immutable disputeWindow;
    /// @notice The account that names the compute market, once.
    address public immutable deployer;
    /// @notice The contract allowed to debit compute jobs (zero until set).
    address public computeMarket;

    Counts private _counts;

    /// @notice The next purchase number of each buyer institution (its client derives x from it).
    mapping(uint32 buyer => uint64 nonce) public purchaseNonceOf;
    /// @notice The live purchase (not refunded) of each listing version by each buyer, 0 if none.
    mapping(uint256 listingId => mapping(uint32 version => mapping(uint32 buyer => uint256 purchaseId))) public
        purchaseIdOf;
    /// @notice Output byte cap of each approved module per listing (0: not approved).
    mapping(uint256 listingId => mapping(bytes32 moduleHash => uint32 outputCap)) public moduleCap;
    /// @notice ε spent on each listing over all buyers (fixed point).
    mapping(uint256 listingId => uint64 epsilon) public epsilonSpent;
    /// @notice ε spent on each listing by each buyer (fixed point).
    mapping(uint256 listingId => mapping(uint32 buyer => uint64 epsilon)) public epsilonSpentBy;

    mapping(uint256 listingId => Listing listing) private _listings;
    mapping(uint256 listingId => mapping(uint32 version => Terms terms)) private _terms;
    mapping(uint256 listingId => mapping(uint32 version => mapping(bytes32 purpose => bool allowed))) private _purposes;
    mapping(uint256 listingId => mapping(uint32 version => mapping(uint32 buyer => bool allowed))) private _buyers;
    mapping(uint256 purchaseId => Purchase purchase) private _purchases;
    mapping(uint256 listingId => ComputeTerms terms) private _compute;
    mapping(uint256 listingId => NodeSet nodes) private _nodeSets;
    mapping(uint256 accessId => Access access) private _accesses;

    /// @notice Deploy over the consortium, its consent snapshots and kura's files, with the market's deadlines;
    /// the deployer may later name the compute market, once.
    /// @param institutions_ The InstitutionRegistry.
    /// @param consent_ The ConsentRegistry.
    /// @param files_ The FileRegistry.
    /// @param deliveryWindow_ See `deliveryWindow` (> 0).
    /// @param disputeWindow_ See `disputeWindow` (> 0).
    constructor(
        IInstitutionRegistry institutions_,
        IConsentRegistry consent_,
        IFileRegistry files_,
        uint64 deliveryWindow_,
        uint64 disputeWindow_
    ) {
        if (address(institutions_) == address(0)) revert IKuraErrors.BadParameter("institutions");
        if (address(consent_) == address(0)) revert IKuraErrors.BadParameter("consent");
        if (address(files_) == address(0)) revert IKuraErrors.BadParameter("files");
        if (deliveryWindow_ == 0) revert IKuraErrors.BadParameter("deliveryWindow");
        if (disputeWindow_ == 0) revert IKuraErrors.BadParameter("disputeWindow");
        institutions = institutions_;
        consent = consent_;
        files = files_;
        deliveryWindow = deliveryWindow_;
        disputeWindow = disputeWindow_;
        deployer = msg.sender;
    }

    // ------------------------------------------------------------------ listings

    /// @inheritdoc IDataMarket
    function list(Offer calldata offer) external returns (uint256 listingId) {
        uint32 seller = institutions.memberIdOf(msg.sender);
        listingId = ++_counts.listings;
        Listing storage listing = _listings[listingId];
        listing.seller = seller;
        listing.version = 1;
        _publish(listingId, seller, 1, offer);
    }

    /// @inheritdoc IDataMarket
    function update(uint256 listingId, uint32 expectedVersion, Offer calldata offer) external {
        Listing storage listing = _openListing(listingId);
        uint32 seller = listing.seller;
        if (institutions.memberIdOf(msg.sender) != seller) revert NotInstitutionAccount(seller, msg.sender);
        uint32 current = listing.version;
        if (current != expectedVersion) revert ListingVersionChanged(listingId, expectedVersion, current);
        listing.version = current + 1;
        _publish(listingId, seller, current + 1, offer);
    }

    /// @inheritdoc IDataMarket
    function close(uint256 listingId) external {
        Listing storage listing = _openListing(listingId);
        _requireAccount(listing.seller);
        listing.closed = true;
        emit ListingClosed(listingId);
    }

    // ------------------------------------------------------------------ purchases

    /// @inheritdoc IDataMarket
    function buy(
        uint256 listingId,
        uint32 version,
        uint96 price,
        bytes32 purpose,
        uint64 nonce,
        bytes32[2] calldata buyerKey
    ) external payable returns (uint256 purchaseId) {
        uint32 buyer = institutions.memberIdOf(msg.sender);
        Listing storage listing = _openListing(listingId);
        Terms storage terms = _termsOnSale(listingId, listing, version, price);
        uint256 existing = purchaseIdOf[listingId][version][buyer];
        if (existing != 0) revert AlreadyPurchased(listingId, version, buyer, existing);
        if (nonce != purchaseNonceOf[buyer]) revert StaleNonce(buyer, nonce, purchaseNonceOf[buyer]);
        _checkPoint(buyerKey);
        _checkSaleable(listingId, listing, buyer, purpose);
        files.fileOf(terms.fileId); // reverts once the dataset's file is deleted

        purchaseId = ++_counts.purchases;
        uint64 deliverBy = uint64(block.timestamp) + deliveryWindow;
        _purchases[purchaseId] = Purchase({
            listingId: listingId.toUint32(),
            version: version,
            buyer: buyer,
            state: PurchaseState.Paid,
            deliverBy: deliverBy,
            disputeUntil: 0,
            buyerKey: Secp256k1.toAddress(uint256(buyerKey[0]), uint256(buyerKey[1])),
            nonce: nonce,
            delivery: 0
        });
        purchaseIdOf[listingId][version][buyer] = purchaseId;
        purchaseNonceOf[buyer] = nonce + 1;
        ++listing.sales;
        emit Purchased(
            purchaseId,
            listingId,
            buyer,
            listing.seller,
            version,
            price,
            purpose,
            terms.licenceHash,
            terms.consentPurpose,
            terms.consentSnapshot,
            deliverBy
        );
        emit PurchaseKey(purchaseId, nonce, buyerKey);
    }

    /// @inheritdoc IDataMarket
    function deliver(uint256 purchaseId, bytes32[2] calldata ephemeralKey, bytes32 sealedKey) external payable {
        Purchase storage p = _inState(purchaseId, PurchaseState.Paid);
        _requireAccount(_listings[p.listingId].seller);
        if (block.timestamp > p.deliverBy) revert DeliveryClosed(purchaseId, p.deliverBy);
        Terms storage terms = _terms[p.listingId][p.version];
        if (msg.value != terms.bond) revert WrongPayment(msg.value, terms.bond);
        _checkPoint(ephemeralKey);
        uint64 disputeUntil = uint64(block.timestamp) + disputeWindow;
        p.state = PurchaseState.Delivered;
        p.disputeUntil = disputeUntil;
        p.delivery = keccak256(abi.encodePacked(ephemeralKey, sealedKey));
        emit Delivered(
            purchaseId, ephemeralKey, sealedKey, disputeUntil, uint64(block.timestamp) + terms.licenceDuration
        );
    }

    /// @inheritdoc IDataMarket
    function dispute(
        uint256 purchaseId,
        bytes32[2] calldata ephemeralKey,
        bytes32 sealedKey,
        uint256 secret,
        bytes32[2] calldata sharedPoint
    ) external {
        Purchase storage p = _inState(purchaseId, PurchaseState.Delivered);
        _requireAccount(p.buyer);
        if (block.timestamp > p.disputeUntil) revert DisputeClosed(purchaseId, p.disputeUntil);
        if (keccak256(abi.encodePacked(ephemeralKey, sealedKey)) != p.delivery) revert DeliveryMismatch(purchaseId);
        if (!Secp256k1.mulMatches(Secp256k1.GX, Secp256k1.GY, secret, p.buyerKey)) {
            revert WrongPurchaseSecret(purchaseId);
        }
        address shared = Secp256k1.toAddress(uint256(sharedPoint[0]), uint256(sharedPoint[1]));
        if (!Secp256k1.mulMatches(uint256(ephemeralKey[0]), uint256(ephemeralKey[1]), secret, shared)) {
            revert WrongSharedPoint(purchaseId);
        }
        bytes32 key = sealedKey ^ keccak256(abi.encodePacked(sharedPoint));
        Terms storage terms = _terms[p.listingId][p.version];
        if (keccak256(abi.encodePacked(key)) == terms.keyCommitment) revert DeliveryCorrect(purchaseId);

        p.state = PurchaseState.Disputed;
        _unsell(p);
        uint256 refund = uint256(terms.price) + terms.bond;
        emit WrongKeyProven(purchaseId, key, refund);
        _credit(institutions.payoutOf(p.buyer), refund);
    }

    /// @inheritdoc IDataMarket
    function confirm(uint256 purchaseId) external {
        Purchase storage p = _inState(purchaseId, PurchaseState.Delivered);
        _requireAccount(p.buyer);
        _settle(purchaseId, p);
    }

    /// @inheritdoc IDataMarket
    function release(uint256 purchaseId) external {
        Purchase storage p = _inState(purchaseId, PurchaseState.Delivered);
        if (block.timestamp <= p.disputeUntil) revert DisputeStillOpen(purchaseId, p.disputeUntil);
        _settle(purchaseId, p);
    }

    /// @inheritdoc IDataMarket
    function reclaim(uint256 purchaseId) external {
        Purchase storage p = _inState(purchaseId, PurchaseState.Paid);
        if (block.timestamp <= p.deliverBy) revert DeliveryStillOpen(purchaseId, p.deliverBy);
        p.state = PurchaseState.Reclaimed;
        _unsell(p);
        uint256 amount = _terms[p.listingId][p.version].price;
        emit PurchaseReclaimed(purchaseId, amount);
        _credit(institutions.payoutOf(p.buyer), amount);
    }

    // ------------------------------------------------------------------ compute-to-data

    /// @inheritdoc IDataMarket
    function setComputeMarket(address computeMarket_) external {
        if (msg.sender != deployer) revert NotMarketDeployer(msg.sender);
        if (computeMarket != address(0)) revert ComputeMarketAlreadySet(computeMarket);
        if (computeMarket_ == address(0)) revert IKuraErrors.BadParameter("computeMarket");
        computeMarket = computeMarket_;
        emit ComputeMarketSet(computeMarket_);
    }

    /// @inheritdoc IDataMarket
    function configureCompute(uint256 listingId, uint96 jobPrice, uint64 datasetEpsilon, uint64 buyerEpsilon)
        external
    {
        _requireSellerMember(listingId);
        ComputeTerms storage c = _compute[listingId];
        bool raised = c.datasetEpsilon != 0 && (datasetEpsilon > c.datasetEpsilon || buyerEpsilon > c.buyerEpsilon);
        if (raised || buyerEpsilon > datasetEpsilon) revert BudgetRaised(datasetEpsilon, buyerEpsilon);
        if (jobPrice == 0) revert IKuraErrors.BadParameter("jobPrice");
        if (buyerEpsilon == 0) revert IKuraErrors.BadParameter("buyerEpsilon");
        c.jobPrice = jobPrice;
        c.datasetEpsilon = datasetEpsilon;
        c.buyerEpsilon = buyerEpsilon;
        emit ComputeConfigured(listingId, jobPrice, datasetEpsilon, buyerEpsilon);
    }

    /// @inheritdoc IDataMarket
    function setModule(uint256 listingId, bytes32 moduleHash, uint32 outputCap) external {
        _requireSellerMember(listingId);
        if (moduleHash == 0) revert IKuraErrors.BadParameter("moduleHash");
        moduleCap[listingId][moduleHash] = outputCap;
        emit ModuleApprovalSet(listingId, moduleHash, outputCap);
    }

    /// @inheritdoc IDataMarket
    function setNode(uint256 listingId, address node, bool approved) external {
        _requireSellerMember(listingId);
        if (node == address(0)) revert IKuraErrors.BadParameter("node");
        NodeSet storage set = _nodeSets[listingId];
        address[] storage nodes = set.nodes;
        uint256 indexPlusOne = set.index[node];
        if (approved && indexPlusOne == 0) {
            if (nodes.length >= MAX_NODES) revert TooManyNodes(nodes.length);
            nodes.push(node);
            set.index[node] = nodes.length;
        } else if (!approved && indexPlusOne != 0) {
            address last = nodes[nodes.length - 1];
            nodes[indexPlusOne - 1] = last;
            set.index[last] = indexPlusOne;
            nodes.pop();
            delete set.index[node];
        }
        emit NodeApprovalSet(listingId, node, approved);
    }

    /// @inheritdoc IDataMarket
    function buyCompute(uint256 listingId, uint32 jobs, uint96 jobPrice, bytes32 purpose)
        external
        payable
        returns (uint256 accessId)
    {
        uint32 buyer = institutions.memberIdOf(msg.sender);
        Listing storage listing = _openListing(listingId);
        uint96 price = _compute[listingId].jobPrice;
        if (price == 0) revert ComputeNotOffered(listingId);
        if (jobPrice != price) revert PriceChanged(listingId, jobPrice, price);
        if (jobs == 0) revert IKuraErrors.BadParameter("jobs");
        uint256 total = uint256(jobs) * price;
        if (msg.value != total) revert WrongPayment(msg.value, total);
        _checkSaleable(listingId, listing, buyer, purpose);

        accessId = ++_counts.accesses;
        _accesses[accessId] = Access({listingId: listingId.toUint32(), buyer: buyer, jobsLeft: jobs, jobPrice: price});
        emit ComputeAccessBought(accessId, listingId, buyer, listing.version, jobs, price, purpose);
    }

    /// @inheritdoc IDataMarket
    function refundJobs(uint256 accessId) external {
        Access storage a = _knownAccess(accessId);
        _requireAccount(a.buyer);
        uint32 jobs = a.jobsLeft;
        if (jobs == 0) revert NoJobsLeft(accessId);
        a.jobsLeft = 0;
        uint256 amount = uint256(jobs) * a.jobPrice;
        emit JobsRefunded(accessId, jobs, amount);
        _credit(institutions.payoutOf(a.buyer), amount);
    }

    /// @inheritdoc IDataMarket
    function debitJob(uint256 accessId, bytes32 moduleHash, uint64 epsilon, bytes32 jobRef)
        external
        returns (uint32 outputCap)
    {
        if (msg.sender != computeMarket) revert NotComputeMarket(msg.sender);
        Access storage a;
        (a, outputCap) = _checkJob(accessId, moduleHash, epsilon);
        uint256 listingId = a.listingId;
        --a.jobsLeft;
        epsilonSpent[listingId] += epsilon;
        epsilonSpentBy[listingId][a.buyer] += epsilon;
        emit JobDebited(accessId, listingId, moduleHash, epsilon, jobRef);
        _credit(institutions.payoutOf(_listings[listingId].seller), a.jobPrice);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IDataMarket
    function checkJob(uint256 accessId, bytes32 moduleHash, uint64 epsilon) external view returns (uint32 outputCap) {
        (, outputCap) = _checkJob(accessId, moduleHash, epsilon);
    }

    /// @notice Listings so far (ids run from 1).
    /// @return count How many listings exist, closed ones included.
    function listingCount() external view returns (uint256 count) {
        return _counts.listings;
    }

    /// @notice Purchases so far (ids run from 1).
    /// @return count How many purchases exist, refunded ones included.
    function purchaseCount() external view returns (uint256 count) {
        return _counts.purchases;
    }

    /// @notice Compute accesses so far (ids run from 1).
    /// @return count How many compute accesses exist.
    function accessCount() external view returns (uint256 count) {
        return _counts.accesses;
    }

    /// @inheritdoc IDataMarket
    function listingOf(uint256 listingId) external view returns (Listing memory) {
        return _knownListing(listingId);
    }

    /// @inheritdoc IDataMarket
    function termsOf(uint256 listingId, uint32 version) external view returns (Terms memory) {
        Listing storage listing = _knownListing(listingId);
        uint32 current = listing.version;
        if (version == 0 || version > current) revert ListingVersionChanged(listingId, version, current);
        return _terms[listingId][version];
    }

    /// @inheritdoc IDataMarket
    function allowsPurpose(uint256 listingId, uint32 version, bytes32 purpose) external view returns (bool) {
        return _purposes[listingId][version][purpose];
    }

    /// @inheritdoc IDataMarket
    function purchaseOf(uint256 purchaseId) external view returns (Purchase memory) {
        return _knownPurchase(purchaseId);
    }

    /// @inheritdoc IDataMarket
    function computeTermsOf(uint256 listingId) external view returns (ComputeTerms memory) {
        _knownListing(listingId);
        return _compute[listingId];
    }

    /// @inheritdoc IDataMarket
    function accessOf(uint256 accessId) external view returns (Access memory) {
        return _knownAccess(accessId);
    }

    /// @inheritdoc IDataMarket
    function approvedNodes(uint256 listingId) external view returns (address[] memory) {
        return _nodeSets[listingId].nodes;
    }

    /// @inheritdoc IDataMarket
    function isApprovedNode(uint256 listingId, address node) external view returns (bool) {
        return _nodeSets[listingId].index[node] != 0;
    }

    /// @inheritdoc IDataMarket
    function allowsBuyer(uint256 listingId, uint32 version, uint32 buyer) public view returns (bool) {
        return _terms[listingId][version].buyers == 0 || _buyers[listingId][version][buyer];
    }

    // ------------------------------------------------------------------ internals

    /// @dev Check `offer` and store it as `version` of `listingId`.
    function _publish(uint256 listingId, uint32 seller, uint32 version, Offer calldata offer) private {
        uint256 purposes = offer.purposes.length;
        uint256 buyers = offer.buyers.length;
        bool incomplete = offer.price == 0 || offer.maxSales == 0 || offer.fileId == 0 || offer.licenceHash == 0
            || offer.certDigest == 0 || offer.keyCommitment == 0 || offer.manifestDigest == 0
            || bytes(offer.licenceCid).length == 0 || purposes == 0 || purposes > MAX_PURPOSES || buyers > MAX_BUYERS;
        if (incomplete) revert IncompleteOffer();
        _checkPolicy(offer.kAnonymity, offer.lDiversity);
        IFileRegistry.FileRecord memory file = files.fileOf(offer.fileId);
        if (file.owner != msg.sender) revert FileNotOwnedBySeller(offer.fileId, file.owner, msg.sender);
        if (file.version != offer.fileVersion) revert StaleFileVersion(offer.fileId, offer.fileVersion, file.version);
        _checkConsent(seller, offer.consentPurpose, offer.consentSnapshot);
        uint32 recorded = consent.snapshotOf(seller, offer.consentPurpose, offer.consentSnapshot).cohortSize;
        if (recorded != offer.cohortSize) revert CohortMismatch(offer.cohortSize, recorded);

        _terms[listingId][version] = Terms({
            price: offer.price,
            bond: offer.bond,
            maxSales: offer.maxSales,
            licenceDuration: offer.licenceDuration,
            fileVersion: offer.fileVersion,
            consentSnapshot: offer.consentSnapshot,
            cohortSize: offer.cohortSize,
            buyers: uint16(buyers),
            kAnonymity: offer.kAnonymity,
            lDiversity: offer.lDiversity,
            consentPurpose: offer.consentPurpose,
            fileId: offer.fileId,
            licenceHash: offer.licenceHash,
            certDigest: offer.certDigest,
            keyCommitment: offer.keyCommitment,
            manifestDigest: offer.manifestDigest
        });
        for (uint256 i = 0; i < purposes; ++i) {
            if (offer.purposes[i] == 0) revert IncompleteOffer();
            _purposes[listingId][version][offer.purposes[i]] = true;
        }
        for (uint256 i = 0; i < buyers; ++i) {
            _buyers[listingId][version][offer.buyers[i]] = true;
        }
        emit ListingPublished(listingId, seller, version, offer);
    }

    /// @dev A refunded purchase frees its sale and lets the buyer buy this version again.
    function _unsell(Purchase storage p) private {
        --_listings[p.listingId].sales;
        delete purchaseIdOf[p.listingId][p.version][p.buyer];
    }

    function _settle(uint256 purchaseId, Purchase storage p) private {
        p.state = PurchaseState.Released;
        Terms storage terms = _terms[p.listingId][p.version];
        uint256 amount = uint256(terms.price) + terms.bond;
        emit SaleReleased(purchaseId, amount);
        _credit(institutions.payoutOf(_listings[p.listingId].seller), amount);
    }

    function _knownListing(uint256 listingId) private view returns (Listing storage listing) {
        listing = _listings[listingId];
        if (listing.version == 0) revert UnknownListing(listingId);
    }

    function _openListing(uint256 listingId) private view returns (Listing storage listing) {
        listing = _knownListing(listingId);
        if (listing.closed) revert ListingIsClosed(listingId);
    }

    function _knownPurchase(uint256 purchaseId) private view returns (Purchase storage p) {
        p = _purchases[purchaseId];
        if (p.state == PurchaseState.None) revert UnknownPurchase(purchaseId);
    }

    function _inState(uint256 purchaseId, PurchaseState state) private view returns (Purchase storage p) {
        p = _knownPurchase(purchaseId);
        if (p.state != state) revert WrongPurchaseState(purchaseId, p.state);
    }

    function _knownAccess(uint256 accessId) private view returns (Access storage a) {
        a = _accesses[accessId];
        if (a.listingId == 0) revert UnknownAccess(accessId);
    }

    /// @dev The caller must be institution `id`'s current account (whatever its standing: an expelled
    /// seller may still deliver a sale in flight, and a buyer still dispute it).
    function _requireAccount(uint32 id) private view {
        if (msg.sender != institutions.accountOf(id)) revert NotInstitutionAccount(id, msg.sender);
    }

    function _requireSellerMember(uint256 listingId) private view {
        uint32 seller = _knownListing(listingId).seller;
        if (institutions.memberIdOf(msg.sender) != seller) revert NotInstitutionAccount(seller, msg.sender);
    }

    /// @dev The terms of `version` of `listing` if a buy may pay `price` for them now: they are the current
    /// version's, at that price, paid exactly, with a sale left.
    function _termsOnSale(uint256 listingId, Listing storage listing, uint32 version, uint96 price)
        private
        view
        returns (Terms storage terms)
    {
        if (version != listing.version) revert ListingVersionChanged(listingId, version, listing.version);
        terms = _terms[listingId][version];
        if (price != terms.price) revert PriceChanged(listingId, price, terms.price);
        if (msg.value != price) revert WrongPayment(msg.value, price);
        if (listing.sales >= terms.maxSales) revert SoldOut(listingId, terms.maxSales);
    }

    /// @dev What a sale (or a compute access) of the current version of `listing` needs beyond payment: two
    /// different member institutions, an allowed purpose and buyer, the consortium's current policy, and a
    /// current consent snapshot.
    function _checkSaleable(uint256 listingId, Listing storage listing, uint32 buyer, bytes32 purpose) private view {
        uint32 seller = listing.seller;
        uint32 version = listing.version;
        if (seller == buyer) revert SelfPurchase(listingId, buyer);
        if (!institutions.isMember(seller)) revert SellerNotMember(seller);
        if (!_purposes[listingId][version][purpose]) revert PurposeNotAllowed(listingId, purpose);
        if (!allowsBuyer(listingId, version, buyer)) revert BuyerNotAllowed(listingId, buyer);
        Terms storage terms = _terms[listingId][version];
        _checkPolicy(terms.kAnonymity, terms.lDiversity);
        _checkConsent(seller, terms.consentPurpose, terms.consentSnapshot);
    }

    function _checkPolicy(uint8 kAnonymity, uint8 lDiversity) private view {
        IInstitutionRegistry.Policy memory p = institutions.policy();
        if (kAnonymity < p.minK || lDiversity < p.minL) revert BelowPolicy(kAnonymity, lDiversity, p.minK, p.minL);
    }

    function _checkConsent(uint32 institution, bytes32 purpose, uint32 snapshotId) private view {
        if (!consent.isCurrent(institution, purpose, snapshotId)) {
            revert ConsentNotCurrent(institution, purpose, snapshotId);
        }
    }

    /// @dev The access, and the output cap of `moduleHash`, if a job may run now; reverts with the reason if not.
    function _checkJob(uint256 accessId, bytes32 moduleHash, uint64 epsilon)
        private
        view
        returns (Access storage a, uint32 outputCap)
    {
        a = _knownAccess(accessId);
        if (a.jobsLeft == 0) revert NoJobsLeft(accessId);
        uint256 listingId = a.listingId;
        Listing storage listing = _openListing(listingId);
        Terms storage terms = _terms[listingId][listing.version];
        _checkConsent(listing.seller, terms.consentPurpose, terms.consentSnapshot);
        outputCap = moduleCap[listingId][moduleHash];
        if (outputCap == 0) revert ModuleNotApproved(listingId, moduleHash);
        if (epsilon == 0) revert ZeroEpsilon();
        ComputeTerms storage c = _compute[listingId];
        uint64 datasetLeft = _left(c.datasetEpsilon, epsilonSpent[listingId]);
        uint64 buyerLeft = _left(c.buyerEpsilon, epsilonSpentBy[listingId][a.buyer]);
        if (epsilon > datasetLeft || epsilon > buyerLeft) {
            revert PrivacyBudgetExceeded(listingId, a.buyer, epsilon, datasetLeft, buyerLeft);
        }
    }

    /// @dev A secp256k1 point the dispute check can use: on the curve, with x below the group order.
    function _checkPoint(bytes32[2] calldata point) private pure {
        if (!Secp256k1.isOnCurve(uint256(point[0]), uint256(point[1])) || uint256(point[0]) >= Secp256k1.N) {
            revert BadCurvePoint(point);
        }
    }

    /// @dev What is left of `budget` after `spent` (zero once a lowered budget is below what was spent).
    function _left(uint64 budget, uint64 spent) private pure returns (uint64) {
        return budget > spent ? budget - spent : 0;
    }
}
