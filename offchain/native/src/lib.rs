//! kura's share Merkle rule in native code (the rule is documented in `kura/crypto/merkle.py`
//! and `contracts/libraries/ShareMerkle.sol`): `leaf = sha256(0x00 ‖ chunk)`,
//! `inner = sha256(0x01 ‖ left ‖ right)`.
//!
//! Python keeps a Merkle builder's state as a binary counter of complete subtree roots:
//! a leaf count and 64 slots of 32 bytes, where slot `h` holds the root of a complete
//! subtree of height `h` exactly when bit `h` of the leaf count is set. This library
//! pushes whole chunks into that state, which is the part that costs: hashing every
//! chunk of every share as it is written. Python calls it through ctypes, which
//! releases the GIL, so it runs beside the codec's other threads.

use sha2::{Digest, Sha256};

/// Bytes of a SHA-256 digest.
const HASH_SIZE: usize = 32;
/// Slots in a builder state: enough for 2^64 leaves.
pub const MAX_HEIGHT: usize = 64;

/// Success.
pub const OK: i32 = 0;
/// A null pointer, a zero chunk size, or a leaf count that would overflow.
pub const BAD_ARGUMENT: i32 = -1;

fn leaf_hash(chunk: &[u8]) -> [u8; HASH_SIZE] {
    let mut state = Sha256::new();
    state.update([0x00]);
    state.update(chunk);
    state.finalize().into()
}

fn inner_hash(left: &[u8], right: &[u8]) -> [u8; HASH_SIZE] {
    let mut state = Sha256::new();
    state.update([0x01]);
    state.update(left);
    state.update(right);
    state.finalize().into()
}

/// Pushes the leaves of `data`'s whole chunks into a builder state (a partial last chunk
/// is left to the caller); `false`, with the state untouched, if the count would overflow.
fn push_chunks(data: &[u8], chunk_size: usize, slots: &mut [u8], leaf_count: &mut u64) -> bool {
    if leaf_count.checked_add((data.len() / chunk_size) as u64).is_none() {
        return false;
    }
    for chunk in data.chunks_exact(chunk_size) {
        let mut node = leaf_hash(chunk);
        let mut height = 0;
        while *leaf_count >> height & 1 == 1 {
            let slot = &slots[height * HASH_SIZE..(height + 1) * HASH_SIZE];
            node = inner_hash(slot, &node);
            height += 1;
        }
        slots[height * HASH_SIZE..(height + 1) * HASH_SIZE].copy_from_slice(&node);
        *leaf_count += 1;
    }
    true
}

/// Pushes the leaf of every whole `chunk_size`-byte chunk of `data[..len]` into the
/// builder state (`slots`, `leaf_count`), in order, and updates both.
///
/// Returns [`OK`], or [`BAD_ARGUMENT`] (state untouched) for a null pointer, a zero
/// chunk size or a leaf count that would overflow.
///
/// # Safety
///
/// `data` must point at `len` readable bytes (it may be null when `len` is 0),
/// `slots` at `MAX_HEIGHT * 32` writable bytes, and `leaf_count` at a writable
/// `u64`; none of them may overlap.
#[no_mangle]
pub unsafe extern "C" fn kura_merkle_push_chunks(
    data: *const u8,
    len: usize,
    chunk_size: usize,
    slots: *mut u8,
    leaf_count: *mut u64,
) -> i32 {
    if chunk_size == 0 || slots.is_null() || leaf_count.is_null() || (data.is_null() && len > 0) {
        return BAD_ARGUMENT;
    }
    let data = if len == 0 { &[][..] } else { std::slice::from_raw_parts(data, len) };
    let slots = std::slice::from_raw_parts_mut(slots, MAX_HEIGHT * HASH_SIZE);
    if push_chunks(data, chunk_size, slots, &mut *leaf_count) {
        OK
    } else {
        BAD_ARGUMENT
    }
}
