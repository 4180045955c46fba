//! The lease file's layout: a header page, then one slot per lease index.
//! A slot holds two copies of the lease record; a write goes to the older
//! copy and carries a higher sequence number and a checksum, so a write cut
//! short by a crash leaves the other copy intact. Restore takes, per slot,
//! the newest copy whose checksum holds, and clears the sequence number of
//! a copy whose checksum fails: from then on the lower sequence number is
//! the copy to write, found without checksumming anything.
//!
//! Version 2 only changed the checksum (v1's byte-at-a-time FNV-1a cost
//! more than the rest of a Renew); v1 records are still read.
//!
//! This module only reads and writes bytes: the mapping of the file into
//! memory lives in the FFI layer.

use crate::duid::{Duid, MAX_DUID_LEN};
use crate::leases::{IaKind, LeaseState, RouteVia, Time};

pub const HEADER_LEN: usize = 4096;
pub const RECORD_LEN: usize = 256;
pub const SLOT_LEN: usize = 2 * RECORD_LEN;
const MAGIC: &[u8; 16] = b"dhcp6-server-ls\0";
const VERSION: u32 = 2;
/// Versions whose files are read (and then carried on as `VERSION`).
const READABLE_VERSIONS: [u32; 2] = [1, 2];

// Record field offsets.
const SEQ: usize = 0;
const STATE: usize = 8;
const KIND: usize = 9;
const LEN: usize = 10;
const DUID_LEN: usize = 11;
const IAID: usize = 12;
const RESOURCE: usize = 16;
const PREFERRED: usize = 32;
const VALID: usize = 36;
const EXPIRES: usize = 40;
const SW_IF: usize = 44;
const ROUTED: usize = 48;
const ROUTE_IF: usize = 52;
const ROUTE_FIB: usize = 56;
const NEXT_HOP: usize = 64;
const DUID: usize = 80;
const CHECKSUM: usize = RECORD_LEN - 4;

const STATE_NONE: u8 = 0;
const STATE_BOUND: u8 = 2;
const STATE_DECLINED: u8 = 3;

/// What a record holds: enough to rebuild the lease after a restart. `D`
/// is how the client's DUID is held: owned when read back
/// (`StoredLease`), borrowed when written (`RecordRef`: the lease engine
/// writes straight from its own records, copying nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<D> {
    pub duid: Option<D>,
    pub iaid: u32,
    pub kind: IaKind,
    pub resource: u128,
    pub len: u8,
    pub state: LeaseState,
    pub preferred_until: Time,
    pub valid_until: Time,
    pub expires: Time,
    pub sw_if_index: u32,
    pub route: Option<RouteVia>,
}

/// Tells a complete record from a torn one: four independent lanes of
/// xor-multiply-rotate over 64-bit words (each step is a bijection, so a
/// changed word always changes its lane), folded to 32 bits.
fn checksum(bytes: &[u8]) -> u32 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut lanes: [u64; 4] = [
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    ];
    let mut mix = |block: &[u8]| {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            *lane = (*lane ^ w).wrapping_mul(K).rotate_left(29);
        }
    };
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        mix(block);
    }
    let mut tail = [0u8; 32];
    tail[..blocks.remainder().len()].copy_from_slice(blocks.remainder());
    mix(&tail);
    let h = lanes[0]
        ^ lanes[1].rotate_left(17)
        ^ lanes[2].rotate_left(31)
        ^ lanes[3].rotate_left(47)
        ^ bytes.len() as u64;
    let h = (h ^ (h >> 29)).wrapping_mul(K);
    (h >> 32) as u32
}

/// Version 1's checksum (FNV-1a), for records written before version 2.
fn checksum_v1(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// Whether a record copy is whole (written completely, by either version).
fn is_whole(r: &[u8]) -> bool {
    let stored = get_u32(r, CHECKSUM);
    get_u64(r, SEQ) != 0
        && (checksum(&r[..CHECKSUM]) == stored || checksum_v1(&r[..CHECKSUM]) == stored)
}

fn get_u32(r: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([r[at], r[at + 1], r[at + 2], r[at + 3]])
}

fn put_u32(r: &mut [u8], at: usize, v: u32) {
    r[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn get_u64(r: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&r[at..at + 8]);
    u64::from_le_bytes(b)
}

fn get_u128(r: &[u8], at: usize) -> u128 {
    let mut b = [0u8; 16];
    b.copy_from_slice(&r[at..at + 16]);
    u128::from_be_bytes(b)
}

/// How many slots a region of `len` bytes holds.
pub fn capacity_of(len: usize) -> usize {
    len.saturating_sub(HEADER_LEN) / SLOT_LEN
}

/// Bytes a file for `capacity` leases needs.
pub fn file_len(capacity: usize) -> usize {
    HEADER_LEN + capacity * SLOT_LEN
}

// The server DUID in the header: length, then the octets.
const HEADER_DUID_LEN: usize = 64;
const HEADER_DUID: usize = 65;

/// The server DUID kept in the header, if any.
pub fn header_duid(region: &[u8]) -> Option<Duid> {
    let len = usize::from(*region.get(HEADER_DUID_LEN)?);
    (len > 0)
        .then(|| Duid::from_bytes(region.get(HEADER_DUID..HEADER_DUID + len)?).ok())
        .flatten()
}

/// Keeps the server DUID in the header.
pub fn set_header_duid(region: &mut [u8], duid: &Duid) {
    let bytes = duid.as_bytes();
    if region.len() >= HEADER_DUID + bytes.len() {
        region[HEADER_DUID..HEADER_DUID + bytes.len()].copy_from_slice(bytes);
        region[HEADER_DUID_LEN] = bytes.len() as u8;
    }
}

/// Whether the region starts with our header (a new file is all zeros).
pub fn has_header(region: &[u8]) -> bool {
    region.len() >= HEADER_LEN && &region[..16] == MAGIC
}

/// Writes the header of a new file; refuses a file of another kind.
pub fn init_header(region: &mut [u8]) -> Result<(), String> {
    if region.len() < HEADER_LEN {
        return Err("lease file too small".into());
    }
    if has_header(region) {
        let version = get_u32(region, 16);
        if !READABLE_VERSIONS.contains(&version) || get_u32(region, 20) as usize != SLOT_LEN {
            return Err(format!(
                "lease file version {version} is not one of {READABLE_VERSIONS:?}"
            ));
        }
        region[16..20].copy_from_slice(&VERSION.to_le_bytes());
        return Ok(());
    }
    if region[..HEADER_LEN].iter().any(|b| *b != 0) {
        return Err("not a dhcp6-server lease file (and not empty)".into());
    }
    region[16..20].copy_from_slice(&VERSION.to_le_bytes());
    region[20..24].copy_from_slice(&(SLOT_LEN as u32).to_le_bytes());
    region[..16].copy_from_slice(MAGIC);
    Ok(())
}

fn slot(region: &mut [u8], index: u32) -> Option<&mut [u8]> {
    let at = HEADER_LEN + index as usize * SLOT_LEN;
    region.get_mut(at..at + SLOT_LEN)
}

/// The whole copy with the highest sequence number: (copy, seq).
fn newest(slot: &[u8]) -> Option<(usize, u64)> {
    (0..2)
        .filter_map(|c| {
            let r = &slot[c * RECORD_LEN..(c + 1) * RECORD_LEN];
            is_whole(r).then_some((c, get_u64(r, SEQ)))
        })
        .max_by_key(|(_, seq)| *seq)
}

/// Clears the sequence number of a torn copy in slot `index` (restore
/// does this for every slot before anything is written).
pub fn scrub(region: &mut [u8], index: u32) {
    let Some(slot) = slot(region, index) else {
        return;
    };
    for c in 0..2 {
        let r = &mut slot[c * RECORD_LEN..(c + 1) * RECORD_LEN];
        if get_u64(r, SEQ) != 0 && !is_whole(r) {
            r[SEQ..SEQ + 8].fill(0);
        }
    }
}

pub type StoredLease = Record<Duid>;
pub type RecordRef<'a> = Record<&'a [u8]>;

impl<D> Record<D> {
    /// The same record with its DUID held another way.
    pub fn map_duid<'a, E>(&'a self, f: impl FnOnce(&'a D) -> E) -> Record<E> {
        Record {
            duid: self.duid.as_ref().map(f),
            iaid: self.iaid,
            kind: self.kind,
            resource: self.resource,
            len: self.len,
            state: self.state,
            preferred_until: self.preferred_until,
            valid_until: self.valid_until,
            expires: self.expires,
            sw_if_index: self.sw_if_index,
            route: self.route,
        }
    }
}

impl StoredLease {
    pub fn as_record(&self) -> RecordRef<'_> {
        self.map_duid(Duid::as_bytes)
    }
}

/// Writes the lease at `index` (None: the slot is empty now). Returns false
/// when the region has no such slot.
pub fn write(region: &mut [u8], index: u32, lease: Option<&RecordRef<'_>>) -> bool {
    let Some(slot) = slot(region, index) else {
        return false;
    };
    // Every copy with a sequence number is whole (see `scrub`): the
    // older one, or an empty one, is the one to overwrite.
    let seqs = [get_u64(slot, SEQ), get_u64(slot, RECORD_LEN + SEQ)];
    let copy = usize::from(seqs[1] < seqs[0]);
    let seq = seqs[0].max(seqs[1]) + 1;
    let r = &mut slot[copy * RECORD_LEN..(copy + 1) * RECORD_LEN];
    r.fill(0);
    r[SEQ..SEQ + 8].copy_from_slice(&seq.to_le_bytes());
    if let Some(l) = lease {
        r[STATE] = match l.state {
            LeaseState::Declined => STATE_DECLINED,
            _ => STATE_BOUND,
        };
        r[KIND] = match l.kind {
            IaKind::Na => 0,
            IaKind::Pd => 1,
        };
        r[LEN] = l.len;
        put_u32(r, IAID, l.iaid);
        r[RESOURCE..RESOURCE + 16].copy_from_slice(&l.resource.to_be_bytes());
        put_u32(r, PREFERRED, l.preferred_until);
        put_u32(r, VALID, l.valid_until);
        put_u32(r, EXPIRES, l.expires);
        put_u32(r, SW_IF, l.sw_if_index);
        if let Some(via) = l.route {
            r[ROUTED] = 1;
            put_u32(r, ROUTE_IF, via.sw_if_index);
            put_u32(r, ROUTE_FIB, via.fib_index);
            r[NEXT_HOP..NEXT_HOP + 16].copy_from_slice(&via.next_hop.to_be_bytes());
        }
        if let Some(bytes) = l.duid.filter(|d| d.len() <= MAX_DUID_LEN) {
            r[DUID_LEN] = bytes.len() as u8;
            r[DUID..DUID + bytes.len()].copy_from_slice(bytes);
        }
    } else {
        r[STATE] = STATE_NONE;
    }
    let sum = checksum(&r[..CHECKSUM]);
    put_u32(r, CHECKSUM, sum);
    true
}

/// Reads the lease kept in slot `index`, if any.
pub fn read(region: &[u8], index: u32) -> Option<StoredLease> {
    let at = HEADER_LEN + index as usize * SLOT_LEN;
    let slot = region.get(at..at + SLOT_LEN)?;
    let (copy, _) = newest(slot)?;
    let r = &slot[copy * RECORD_LEN..(copy + 1) * RECORD_LEN];
    let state = match r[STATE] {
        STATE_BOUND => LeaseState::Bound,
        STATE_DECLINED => LeaseState::Declined,
        _ => return None,
    };
    let duid_len = usize::from(r[DUID_LEN]).min(MAX_DUID_LEN);
    Some(StoredLease {
        duid: (duid_len > 0)
            .then(|| Duid::from_bytes(&r[DUID..DUID + duid_len]).ok())
            .flatten(),
        iaid: get_u32(r, IAID),
        kind: if r[KIND] == 1 { IaKind::Pd } else { IaKind::Na },
        resource: get_u128(r, RESOURCE),
        len: r[LEN],
        state,
        preferred_until: get_u32(r, PREFERRED),
        valid_until: get_u32(r, VALID),
        expires: get_u32(r, EXPIRES),
        sw_if_index: get_u32(r, SW_IF),
        route: (r[ROUTED] == 1).then(|| RouteVia {
            next_hop: get_u128(r, NEXT_HOP),
            sw_if_index: get_u32(r, ROUTE_IF),
            fib_index: get_u32(r, ROUTE_FIB),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(n: u32) -> StoredLease {
        StoredLease {
            duid: Some(Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, n as u8]).unwrap()),
            iaid: n,
            kind: IaKind::Pd,
            resource: 0x2001_0db8_0100_0000_0000_0000_0000_0000 | (u128::from(n) << 64),
            len: 56,
            state: LeaseState::Bound,
            preferred_until: 1000 + n,
            valid_until: 2000 + n,
            expires: 2000 + n,
            sw_if_index: 3,
            route: Some(RouteVia {
                next_hop: 0xfe80 << 112 | 1,
                sw_if_index: 3,
                fib_index: 0,
            }),
        }
    }

    fn lease_record(n: u32) -> RecordRef<'static> {
        let l = Box::leak(Box::new(lease(n)));
        l.as_record()
    }

    fn region(capacity: usize) -> Vec<u8> {
        let mut r = vec![0u8; file_len(capacity)];
        init_header(&mut r).unwrap();
        r
    }

    #[test]
    fn records_round_trip_and_empty_slots_read_as_none() {
        let mut r = region(4);
        assert_eq!(capacity_of(r.len()), 4);
        assert!(write(&mut r, 2, Some(&lease_record(2))));
        assert_eq!(read(&r, 2), Some(lease(2)));
        assert_eq!(read(&r, 1), None);
        assert!(!write(&mut r, 4, Some(&lease_record(4))), "past the end");
        assert!(write(&mut r, 2, None));
        assert_eq!(read(&r, 2), None);
    }

    #[test]
    fn a_torn_write_leaves_the_previous_copy() {
        let mut r = region(1);
        write(&mut r, 0, Some(&lease_record(1)));
        let mut renewed = lease(1);
        renewed.valid_until = 9999;
        write(&mut r, 0, Some(&renewed.as_record()));
        assert_eq!(read(&r, 0).unwrap().valid_until, 9999);
        // Simulate a crash half way through the next write: the copy being
        // written (the older one) holds garbage past its first bytes.
        let mut third = lease(1);
        third.valid_until = 12345;
        write(&mut r, 0, Some(&third.as_record()));
        let at = HEADER_LEN; // copy 0 was the older, so it got the third write
        r[at + 100] ^= 0xff;
        assert_eq!(
            read(&r, 0).unwrap().valid_until,
            9999,
            "falls back to the last whole copy"
        );
    }

    #[test]
    fn version_1_records_are_read_and_the_file_carried_on_as_version_2() {
        let mut r = region(2);
        write(&mut r, 0, Some(&lease_record(3)));
        // Make it a version 1 file: v1 header and v1 checksum.
        r[16..20].copy_from_slice(&1u32.to_le_bytes());
        let at = HEADER_LEN;
        let sum = checksum_v1(&r[at..at + CHECKSUM]);
        r[at + CHECKSUM..at + RECORD_LEN].copy_from_slice(&sum.to_le_bytes());
        init_header(&mut r).unwrap();
        assert_eq!(get_u32(&r, 16), VERSION);
        assert_eq!(read(&r, 0), Some(lease(3)));
        let mut renewed = lease(3);
        renewed.valid_until = 7777;
        write(&mut r, 0, Some(&renewed.as_record()));
        assert_eq!(read(&r, 0), Some(renewed));
    }

    #[test]
    fn a_scrubbed_torn_copy_is_the_next_one_written() {
        let mut r = region(1);
        write(&mut r, 0, Some(&lease_record(1))); // copy 0, seq 1
        let mut second = lease(1);
        second.valid_until = 5000;
        write(&mut r, 0, Some(&second.as_record())); // copy 1, seq 2
                                                     // Crash while writing copy 1 again would tear it: here, tear copy 1.
        r[HEADER_LEN + RECORD_LEN + 100] ^= 0xff;
        scrub(&mut r, 0);
        assert_eq!(read(&r, 0), Some(lease(1)));
        let mut third = lease(1);
        third.valid_until = 6000;
        write(&mut r, 0, Some(&third.as_record()));
        assert_eq!(read(&r, 0), Some(third.clone()));
        // The whole copy 0 (seq 1) was kept until then: the write went to 1.
        assert_eq!(get_u64(&r, HEADER_LEN), 1);
    }

    #[test]
    fn header_is_written_once_and_foreign_files_are_refused() {
        let mut r = vec![0u8; file_len(1)];
        init_header(&mut r).unwrap();
        assert!(has_header(&r));
        init_header(&mut r).unwrap();
        let mut foreign = vec![7u8; file_len(1)];
        assert!(init_header(&mut foreign).is_err());
    }
}
