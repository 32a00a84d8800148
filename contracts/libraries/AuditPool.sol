// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AuditPool
/// @notice The pool auditors are drawn from, and the draw, over the pool as it stood at a past block.
///
/// The pool is an array of seats. A join takes a free seat (one a leaver emptied) or a new one at the end and
/// records the block it joined in; a leave empties its seat and moves nobody else. So a task that notes, when it
/// is claimed, the block and the number of seats can later draw over exactly those seats, treating a seat whose
/// member joined after that block as empty: joining after the claim cannot enter the draw, and since no seat ever
/// moves, leaving cannot reorder it either; a leave only takes the leaver's own chance away, which can never give
/// the leaver's coalition more seats (the first `want` eligible seats of a fixed order, minus some of the
/// leaver's own, hold at most as many of its members as before).
///
/// The draw walks a partial Fisher–Yates shuffle of the noted seats, seeded by the caller (kura seeds it with a
/// block hash nobody knew at the claim), and keeps the first `want` members the caller's `eligible` test accepts;
/// every seat is looked at once at most, so nobody is drawn twice.
library AuditPool {
    /// @notice One seat: its member (zero when empty) and the block the member joined in.
    /// @param node The member.
    /// @param joinedBlock The block it joined in.
    struct Seat {
        address node;
        uint32 joinedBlock;
    }

    /// @notice The seats, the seat of each member, and the seats leavers emptied (reused first).
    /// @param seats Every seat ever opened (the array never shrinks).
    /// @param seatOf One plus the seat index of each member; zero for non-members.
    /// @param free Empty seats, the last emptied on top.
    struct Pool {
        Seat[] seats;
        mapping(address node => uint256 seatPlusOne) seatOf;
        uint256[] free;
    }

    /// @notice Most seats a pool holds: bounds the draw's memory and gas.
    uint256 internal constant MAX_SIZE = 1024;

    /// @notice `node` is already in the audit pool.
    error AlreadyInPool(address node);
    /// @notice `node` is not in the audit pool.
    error NotInPool(address node);
    /// @notice The audit pool holds `size` nodes, its maximum.
    error PoolFull(uint256 size);

    /// @notice Seat `node` in the pool from this block on.
    /// @param self The pool.
    /// @param node The address to add.
    function add(Pool storage self, address node) internal {
        if (self.seatOf[node] != 0) revert AlreadyInPool(node);
        uint256[] storage free = self.free;
        uint256 seat;
        Seat memory taken = Seat(node, uint32(block.number));
        if (free.length != 0) {
            seat = free[free.length - 1];
            free.pop();
            self.seats[seat] = taken;
        } else {
            seat = self.seats.length;
            if (seat >= MAX_SIZE) revert PoolFull(seat);
            self.seats.push(taken);
        }
        self.seatOf[node] = seat + 1;
    }

    /// @notice Empty `node`'s seat; no other member moves.
    /// @param self The pool.
    /// @param node The address to remove.
    function remove(Pool storage self, address node) internal {
        uint256 seatPlusOne = self.seatOf[node];
        if (seatPlusOne == 0) revert NotInPool(node);
        delete self.seats[seatPlusOne - 1];
        delete self.seatOf[node];
        self.free.push(seatPlusOne - 1);
    }

    /// @notice The members now, in seat order.
    /// @param self The pool.
    /// @return list Their addresses.
    function members(Pool storage self) internal view returns (address[] memory list) {
        Seat[] storage seats = self.seats;
        list = new address[](seats.length - self.free.length);
        uint256 found = 0;
        for (uint256 i = 0; i < seats.length; ++i) {
            address node = seats[i].node;
            if (node != address(0)) {
                list[found] = node;
                ++found;
            }
        }
    }

    /// @notice Up to `want` distinct members of the first `size` seats, each seated at block `asOf` or before, in
    /// draw order, for which `eligible(member, context)` holds; at most `maxLooks` seats are looked at.
    /// @dev Step i swaps position i with position j = i + keccak256(seed, i) mod (size - i) of a shuffle kept in
    /// memory (`swapped[p]` holds 1 + the seat now at position p, 0 meaning "unchanged") and looks at the seat now
    /// at position i. Fewer than `want` are returned when the seats or the looks run out.
    /// @param self The pool.
    /// @param seed Randomness nobody could know when the draw's seats were noted.
    /// @param want How many members to draw.
    /// @param size The number of seats noted (at most the pool's seats).
    /// @param asOf The block the seats were noted in: later joiners are not drawn.
    /// @param maxLooks Most seats to look at.
    /// @param eligible The caller's test of a candidate, given `context`.
    /// @param context Passed to `eligible` (kura passes the task id).
    /// @return picked The members drawn, in draw order.
    function draw(
        Pool storage self,
        bytes32 seed,
        uint256 want,
        uint256 size,
        uint256 asOf,
        uint256 maxLooks,
        function(address, uint256) view returns (bool) eligible,
        uint256 context
    ) internal view returns (address[] memory picked) {
        Seat[] storage seats = self.seats;
        uint256[] memory swapped = new uint256[](size);
        picked = new address[](want);
        uint256 found = 0;
        uint256 looks = size < maxLooks ? size : maxLooks;
        for (uint256 i = 0; i < looks && found < want; ++i) {
            uint256 j = i + uint256(keccak256(abi.encode(seed, i))) % (size - i);
            uint256 atJ = swapped[j] == 0 ? j : swapped[j] - 1;
            swapped[j] = (swapped[i] == 0 ? i : swapped[i] - 1) + 1;
            Seat storage seat = seats[atJ];
            address candidate = seat.node;
            if (candidate != address(0) && seat.joinedBlock <= asOf && eligible(candidate, context)) {
                picked[found] = candidate;
                ++found;
            }
        }
        // Solidity cannot shorten a memory array; setting its length word in place can.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Shrink the array to the members found (found <= want, so this only shortens it).
            mstore(picked, found)
        }
    }
}
