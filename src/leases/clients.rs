//! The shard's clients: DUIDs, each with the list of its leases.
//!
//! A client record is 32 bytes with the DUID inline (DUID-LL, -LLT, -UUID
//! and most DUID-EN are at most 26 octets); a longer DUID lives in a side
//! slab of full-size buffers. Records are found by DUID through an
//! `IndexTable`, so a lookup hashes the packet's bytes and compares them
//! with one record, without building a key.

use super::index::{IndexTable, KeyedHash};
use super::list::NIL;
use crate::duid::MAX_DUID_LEN;

const INLINE: usize = 27;

#[derive(Debug, Clone, Copy)]
struct Client {
    /// First lease of the client's list (`Lease::client_next` links it).
    first_lease: u32,
    /// DUID length; 0 marks a free record.
    len: u8,
    /// The DUID, or for one longer than `INLINE` its slot in `long` (LE).
    bytes: [u8; INLINE],
}

const _: () = assert!(core::mem::size_of::<Client>() == 32);

impl Client {
    const FREE: Client = Client {
        first_lease: NIL,
        len: 0,
        bytes: [0; INLINE],
    };
}

#[derive(Debug, Default)]
pub struct Clients {
    slab: Vec<Client>,
    unused: Vec<u32>,
    long: Vec<[u8; MAX_DUID_LEN]>,
    unused_long: Vec<u32>,
    index: IndexTable,
    hash: KeyedHash,
}

/// The DUID of record `c` (free functions so the index's closures can
/// borrow the slabs while the index itself is borrowed mutably).
fn duid_of<'a>(slab: &'a [Client], long: &'a [[u8; MAX_DUID_LEN]], c: u32) -> &'a [u8] {
    let r = &slab[c as usize];
    let len = r.len as usize;
    if len <= INLINE {
        &r.bytes[..len]
    } else {
        let at = u32::from_le_bytes([r.bytes[0], r.bytes[1], r.bytes[2], r.bytes[3]]);
        &long[at as usize][..len]
    }
}

impl Clients {
    pub fn find(&self, duid: &[u8]) -> Option<u32> {
        let h = self.hash.bytes(duid);
        self.index
            .find(h, |c| duid_of(&self.slab, &self.long, c) == duid)
    }

    pub fn duid(&self, c: u32) -> Option<&[u8]> {
        self.slab
            .get(c as usize)
            .filter(|r| r.len > 0)
            .map(|_| duid_of(&self.slab, &self.long, c))
    }

    pub fn first_lease(&self, c: u32) -> u32 {
        self.slab.get(c as usize).map_or(NIL, |r| r.first_lease)
    }

    pub fn set_first_lease(&mut self, c: u32, lease: u32) {
        if let Some(r) = self.slab.get_mut(c as usize) {
            r.first_lease = lease;
        }
    }

    /// Where the records and their index are (address, bytes).
    pub fn memory(&self) -> [(usize, usize); 2] {
        let slab = (
            self.slab.as_ptr() as usize,
            self.slab.capacity() * size_of::<Client>(),
        );
        [slab, self.index.memory()]
    }

    /// Room for `additional` more clients without allocating (best effort:
    /// false if memory could not be had).
    pub fn try_reserve(&mut self, additional: usize) -> bool {
        let free = self.unused.len();
        if self
            .slab
            .try_reserve(additional.saturating_sub(free))
            .is_err()
            || self.long.try_reserve(1).is_err()
        {
            return false;
        }
        let (slab, long, hash) = (&self.slab, &self.long, &self.hash);
        self.index
            .try_reserve(additional, |c| hash.bytes(duid_of(slab, long, c)))
            .is_ok()
    }

    /// The client with this DUID, added (with no leases) if new. None if
    /// the DUID is not 1..=MAX_DUID_LEN octets or memory ran out.
    pub fn get_or_add(&mut self, duid: &[u8]) -> Option<u32> {
        if let Some(c) = self.find(duid) {
            return Some(c);
        }
        if duid.is_empty() || duid.len() > MAX_DUID_LEN || !self.try_reserve(1) {
            return None;
        }
        let mut record = Client {
            first_lease: NIL,
            len: duid.len() as u8,
            bytes: [0; INLINE],
        };
        if duid.len() <= INLINE {
            record.bytes[..duid.len()].copy_from_slice(duid);
        } else {
            let mut buf = [0u8; MAX_DUID_LEN];
            buf[..duid.len()].copy_from_slice(duid);
            let at = match self.unused_long.pop() {
                Some(at) => {
                    self.long[at as usize] = buf;
                    at
                }
                None => {
                    self.long.push(buf);
                    self.long.len() as u32 - 1
                }
            };
            record.bytes[..4].copy_from_slice(&at.to_le_bytes());
        }
        let c = match self.unused.pop() {
            Some(c) => {
                self.slab[c as usize] = record;
                c
            }
            None => {
                self.slab.push(record);
                self.slab.len() as u32 - 1
            }
        };
        let (slab, long, hash) = (&self.slab, &self.long, &self.hash);
        let h = hash.bytes(duid);
        if !self
            .index
            .insert(h, c, |e| hash.bytes(duid_of(slab, long, e)))
        {
            self.release_record(c);
            return None;
        }
        Some(c)
    }

    /// Forgets client `c` (its lease list must be empty).
    pub fn remove(&mut self, c: u32) {
        let Some(duid) = self.duid(c) else {
            return;
        };
        let (slab, long, hash) = (&self.slab, &self.long, &self.hash);
        let h = hash.bytes(duid);
        self.index
            .remove(h, c, |e| hash.bytes(duid_of(slab, long, e)));
        self.release_record(c);
    }

    fn release_record(&mut self, c: u32) {
        let r = self.slab[c as usize];
        if r.len as usize > INLINE {
            let at = u32::from_le_bytes([r.bytes[0], r.bytes[1], r.bytes[2], r.bytes[3]]);
            self.unused_long.push(at);
        }
        self.slab[c as usize] = Client::FREE;
        self.unused.push(c);
    }

    /// Hash of a DUID as the index keys it (for `Lookahead`).
    pub fn hash_of(&self, duid: &[u8]) -> u64 {
        self.hash.bytes(duid)
    }

    /// Address of the index slot where a lookup for `hash` starts.
    pub fn slot_address(&self, hash: u64) -> *const u8 {
        self.index.slot_address(hash)
    }

    /// The client a lookup for `hash` most likely finds (the first entry
    /// whose hash bits match; not checked against the DUID).
    pub fn likely(&self, hash: u64) -> Option<u32> {
        self.index.likely(hash)
    }

    /// Address of client record `c` (null if there is none).
    pub fn record_address(&self, c: u32) -> *const u8 {
        self.slab
            .get(c as usize)
            .map_or(std::ptr::null(), |r| (r as *const Client).cast())
    }

    /// Clients known.
    pub fn len(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_duids_are_found_and_their_records_reused() {
        let mut c = Clients::default();
        let short = [0u8, 3, 0, 1, 2, 0, 0, 0, 0, 1];
        let long: Vec<u8> = (0..100u8).collect();
        let a = c.get_or_add(&short).unwrap();
        let b = c.get_or_add(&long).unwrap();
        assert_ne!(a, b);
        assert_eq!(c.get_or_add(&short), Some(a));
        assert_eq!(c.find(&long), Some(b));
        assert_eq!(c.duid(b), Some(&long[..]));
        assert_eq!(c.find(&long[..99]), None);
        c.remove(b);
        assert_eq!(c.find(&long), None);
        assert_eq!(c.duid(b), None);
        let long2: Vec<u8> = (1..120u8).collect();
        let d = c.get_or_add(&long2).unwrap();
        assert_eq!(d, b, "record reused");
        assert_eq!(c.duid(d), Some(&long2[..]));
        assert_eq!(c.len(), 2);
        assert_eq!(c.get_or_add(&[]), None);
    }
}
