//! Compact hash indexes over the lease engine's slabs.
//!
//! A table slot is 4 bytes: the slab index of an entry (24 bits) and 8 bits
//! of its hash, so probing past other entries rarely has to look at them;
//! the key lives in the slab entry itself and is compared there. At most
//! half the slots are used, so an index costs at most 8 bytes per entry
//! (std's HashMap keeps key and value in the table: 136 bytes for a DUID
//! key). Linear probing with backward-shift deletion: no tombstones.
//!
//! Keys come from clients (DUIDs, requested addresses), so the hash is
//! keyed with a per-table random secret: collisions cannot be precomputed.

use std::hash::{BuildHasher, Hasher};

const EMPTY: u32 = u32::MAX;
const INDEX_BITS: u32 = 24;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
/// Entries a table can index: slab indexes 0..MAX_ENTRIES (the all-ones
/// index is left out so that no slot equals EMPTY).
pub(crate) const MAX_ENTRIES: usize = INDEX_MASK as usize;

#[inline]
fn tag(hash: u64) -> u32 {
    ((hash >> 56) as u32) << INDEX_BITS
}

/// Folded multiply: the 128-bit product's halves xor-ed (the mixing step
/// of foldhash and wyhash).
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// A keyed hash for short byte strings and 128-bit values.
#[derive(Debug, Clone, Copy)]
pub struct KeyedHash {
    k0: u64,
    k1: u64,
}

impl KeyedHash {
    /// A hash with fresh random keys (from std's per-process random state).
    pub fn random() -> Self {
        let state = std::collections::hash_map::RandomState::new();
        let mut a = state.build_hasher();
        a.write_u64(0x243f_6a88_85a3_08d3);
        let mut b = state.build_hasher();
        b.write_u64(0x1319_8a2e_0370_7344);
        KeyedHash {
            k0: a.finish() | 1,
            k1: b.finish() | 1,
        }
    }

    #[inline]
    pub fn bytes(&self, data: &[u8]) -> u64 {
        let mut h = self.k0 ^ (data.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            h = fold(h ^ w, self.k1);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            h = fold(
                h ^ u64::from_le_bytes(last),
                self.k1 ^ 0xa076_1d64_78bd_642f,
            );
        }
        fold(h, self.k0 ^ 0xe703_7ed1_a0b4_28db)
    }

    #[inline]
    pub fn wide(&self, tag: u8, value: u128) -> u64 {
        let h = fold((value as u64) ^ self.k0, self.k1 ^ u64::from(tag));
        fold(h ^ ((value >> 64) as u64), self.k0 ^ 0xe703_7ed1_a0b4_28db)
    }
}

impl Default for KeyedHash {
    fn default() -> Self {
        Self::random()
    }
}

/// Hash index of slab entries: slab index by key hash.
#[derive(Debug, Default)]
pub struct IndexTable {
    slots: Vec<u32>,
    len: usize,
}

impl IndexTable {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Where the table's slots are (address, bytes), for memory advice.
    pub fn memory(&self) -> (usize, usize) {
        (
            self.slots.as_ptr() as usize,
            self.slots.capacity() * size_of::<u32>(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// The entry with this hash for which `is_key` holds.
    #[inline]
    pub fn find(&self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let tag = tag(hash);
        let mut i = hash as usize & mask;
        loop {
            let v = self.slots[i];
            if v == EMPTY {
                return None;
            }
            if v & !INDEX_MASK == tag && is_key(v & INDEX_MASK) {
                return Some(v & INDEX_MASK);
            }
            i = (i + 1) & mask;
        }
    }

    /// Makes room for `additional` more entries without growing later.
    /// `hash_of` gives the hash of a present entry (to move it on growth).
    pub fn try_reserve(
        &mut self,
        additional: usize,
        hash_of: impl Fn(u32) -> u64,
    ) -> Result<(), std::collections::TryReserveError> {
        let want = self.len.saturating_add(additional);
        if want.saturating_mul(2) <= self.slots.len() {
            return Ok(());
        }
        let size = want.saturating_mul(2).max(16).next_power_of_two();
        let mut slots = Vec::new();
        slots.try_reserve_exact(size)?;
        slots.resize(size, EMPTY);
        let old = std::mem::replace(&mut self.slots, slots);
        let mask = self.mask();
        for v in old.into_iter().filter(|v| *v != EMPTY) {
            let mut i = hash_of(v & INDEX_MASK) as usize & mask;
            while self.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = v;
        }
        Ok(())
    }

    /// Adds an entry that is not present. The caller has reserved room
    /// (`try_reserve`); without it the table grows here, and if that
    /// fails, or `value` is past MAX_ENTRIES, the entry is not indexed
    /// and false is returned.
    pub fn insert(&mut self, hash: u64, value: u32, hash_of: impl Fn(u32) -> u64) -> bool {
        if value as usize >= MAX_ENTRIES || self.try_reserve(1, hash_of).is_err() {
            return false;
        }
        let value = value | tag(hash);
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.slots[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = value;
        self.len += 1;
        true
    }

    /// Removes entry `value` (stored under `hash`); later entries of its
    /// probe run move back so lookups never cross a hole.
    pub fn remove(&mut self, hash: u64, value: u32, hash_of: impl Fn(u32) -> u64) -> bool {
        if self.slots.is_empty() {
            return false;
        }
        let mask = self.mask();
        let value = value | tag(hash);
        let mut i = hash as usize & mask;
        loop {
            match self.slots[i] {
                EMPTY => return false,
                v if v == value => break,
                _ => i = (i + 1) & mask,
            }
        }
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let v = self.slots[j];
            if v == EMPTY {
                break;
            }
            let home = hash_of(v & INDEX_MASK) as usize & mask;
            // v may fill the hole if its home is not in (hole, j].
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = v;
                hole = j;
            }
        }
        self.slots[hole] = EMPTY;
        self.len -= 1;
        true
    }

    /// Address of the slot where a lookup for `hash` starts (null when
    /// the table is empty): to prefetch.
    pub fn slot_address(&self, hash: u64) -> *const u8 {
        self.slots
            .get(hash as usize & self.mask())
            .map_or(std::ptr::null(), |s| (s as *const u32).cast())
    }

    /// The first entry of the probe run whose hash bits match `hash`, not
    /// compared with the key (a guess, for prefetching what it points at).
    pub fn likely(&self, hash: u64) -> Option<u32> {
        self.find(hash, |_| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove_keep_every_entry_reachable() {
        // Keys collide on purpose (hash = key % 7) to exercise probe runs
        // and backward shifts across the table's end.
        let hash = |v: u32| (u64::from(v % 7) + 13) | (u64::from(v % 3) << 56);
        let mut t = IndexTable::default();
        let mut present = std::collections::BTreeSet::new();
        let mut x: u32 = 1;
        for step in 0..20_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let v = (x >> 8) % 300;
            if present.contains(&v) {
                assert!(t.remove(hash(v), v, hash));
                present.remove(&v);
            } else {
                assert!(t.insert(hash(v), v, hash));
                present.insert(v);
            }
            if step % 97 == 0 {
                for k in 0..300 {
                    let found = t.find(hash(k), |e| e == k);
                    assert_eq!(found.is_some(), present.contains(&k), "key {k}");
                }
            }
            assert_eq!(t.len(), present.len());
        }
    }

    #[test]
    fn keyed_hash_depends_on_every_byte_and_the_key() {
        let h = KeyedHash::random();
        let a = h.bytes(b"\x00\x01\x00\x01abcdefghij");
        let b = h.bytes(b"\x00\x01\x00\x01abcdefghik");
        assert_ne!(a, b);
        assert_ne!(h.bytes(b"ab"), h.bytes(b"ab\0"));
        let other = KeyedHash::random();
        assert_ne!(h.bytes(b"same"), other.bytes(b"same"));
        assert_ne!(h.wide(0, 1), h.wide(1, 1));
    }
}
