//! The lease file's layout: a header page, then one slot per lease index.
//! A slot holds two copies of the lease record; a write goes to the older
//! copy and carries a higher sequence number and a checksum, so a write cut
//! short by a crash leaves the other copy intact. Restore takes, per slot,
//! the newest copy whose checksum holds, and clears the sequence number of
//! a copy whose checksum fails: from then on the lower sequence number is
//! the copy to write, found without checksumming anything.
//!
//! Version 3 halved the record to 128 bytes (a slot is 256: 256 MiB for a
//! million leases, all of it reserved on disk before it is written, see the
//! FFI layer's lease file), keeping DUIDs of up to `MAX_STORED_DUID` octets
//! inline. Files of versions 1 and 2 (512-byte slots) are read by
//! `read_legacy` and rewritten as version 3 when opened.
//!
//! This module only reads and writes bytes: the mapping of the file into
//! memory lives in the FFI layer.

use crate::duid::Duid;
use crate::leases::{LeaseState, ResourceKind, RouteVia, Time};

pub const HEADER_LEN: usize = 4096;
pub const RECORD_LEN: usize = 128;
pub const SLOT_LEN: usize = 2 * RECORD_LEN;
const MAGIC: &[u8; 16] = b"dhcp6-server-ls\0";
const VERSION: u32 = 3;

// Record field offsets (little-endian integers, big-endian addresses).
const SEQ: usize = 0;
/// State in the low bits, `ROUTED` flag in the top one.
const STATE: usize = 4;
const KIND: usize = 5;
const LEN: usize = 6;
const DUID_LEN: usize = 7;
const IAID: usize = 8;
const PREFERRED: usize = 12;
const VALID: usize = 16;
const EXPIRES: usize = 20;
const SW_IF: usize = 24;
const ROUTE_IF: usize = 28;
const ROUTE_FIB: usize = 32;
const RESOURCE: usize = 36;
const NEXT_HOP: usize = 52;
const DUID: usize = 68;
const CHECKSUM: usize = RECORD_LEN - 4;
/// Longest client DUID a record keeps. RFC 8415's DUIDs made from a
/// hardware address (LL, LLT) or a UUID are 10 to 26 octets; a lease for a
/// client whose DUID is longer is refused while a lease file is in use
/// rather than acknowledged and not kept.
pub const MAX_STORED_DUID: usize = CHECKSUM - DUID;

const STATE_NONE: u8 = 0;
const STATE_BOUND: u8 = 2;
const STATE_DECLINED: u8 = 3;
const ROUTED: u8 = 0x80;

/// What a record holds: enough to rebuild the lease after a restart. `D`
/// is how the client's DUID is held: owned when read back
/// (`StoredLease`), borrowed when written (`RecordRef`: the lease engine
/// writes straight from its own records, copying nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<D> {
    pub duid: Option<D>,
    pub iaid: u32,
    pub kind: ResourceKind,
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

/// Whether a record copy is whole (written completely).
fn is_whole(r: &[u8]) -> bool {
    get_u32(r, SEQ) != 0 && checksum(&r[..CHECKSUM]) == get_u32(r, CHECKSUM)
}

/// Whether sequence number `a` was written after `b` (serial number
/// arithmetic: the two copies' numbers differ by one, wrapping is fine).
fn newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

fn get_u32(r: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([r[at], r[at + 1], r[at + 2], r[at + 3]])
}

fn put_u32(r: &mut [u8], at: usize, v: u32) {
    r[at..at + 4].copy_from_slice(&v.to_le_bytes());
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

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// All zeros (new, or never written).
    Empty,
    Current,
    /// Version 1 or 2: 512-byte slots, read by `read_legacy`.
    Legacy,
    Foreign,
}

/// Tells a lease file's kind from its first bytes (at least 24).
pub fn file_kind(head: &[u8]) -> FileKind {
    if head.len() < 24 || head[..16] != MAGIC[..] {
        return if head.iter().all(|b| *b == 0) {
            FileKind::Empty
        } else {
            FileKind::Foreign
        };
    }
    match (get_u32(head, 16), get_u32(head, 20) as usize) {
        (VERSION, SLOT_LEN) => FileKind::Current,
        (1 | 2, legacy::SLOT_LEN) => FileKind::Legacy,
        _ => FileKind::Foreign,
    }
}

/// Writes the header of a new file; refuses a file of another kind.
pub fn init_header(region: &mut [u8]) -> Result<(), String> {
    if region.len() < HEADER_LEN {
        return Err("lease file too small".into());
    }
    match file_kind(&region[..HEADER_LEN]) {
        FileKind::Current => Ok(()),
        FileKind::Empty => {
            region[16..20].copy_from_slice(&VERSION.to_le_bytes());
            region[20..24].copy_from_slice(&(SLOT_LEN as u32).to_le_bytes());
            region[..16].copy_from_slice(MAGIC);
            Ok(())
        }
        FileKind::Legacy => Err("lease file of version 1 or 2: rewrite it first".into()),
        FileKind::Foreign => Err(format!(
            "not a dhcp6-server lease file of version {VERSION} (and not empty)"
        )),
    }
}

/// Where slot `index` lies in the file.
pub fn slot_range(index: u32) -> core::ops::Range<usize> {
    let at = HEADER_LEN + index as usize * SLOT_LEN;
    at..at + SLOT_LEN
}

fn slot(region: &mut [u8], index: u32) -> Option<&mut [u8]> {
    region.get_mut(slot_range(index))
}

/// The whole copy with the newest sequence number.
fn newest(slot: &[u8]) -> Option<usize> {
    let whole = |c: usize| is_whole(&slot[c * RECORD_LEN..(c + 1) * RECORD_LEN]);
    match (whole(0), whole(1)) {
        (true, true) => Some(usize::from(newer(
            get_u32(slot, RECORD_LEN + SEQ),
            get_u32(slot, SEQ),
        ))),
        (true, false) => Some(0),
        (false, true) => Some(1),
        (false, false) => None,
    }
}

/// What restore found in a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotCondition {
    /// Every written copy is whole (or nothing was ever written).
    Sound,
    /// One copy was torn (a write cut short); the other one is whole.
    Torn,
    /// Written, but no copy is whole: the record is lost.
    Damaged,
}

/// Clears the sequence number of every copy in slot `index` that is not
/// whole (restore does this for every slot before anything is written),
/// and says what it found.
pub fn scrub(region: &mut [u8], index: u32) -> SlotCondition {
    let Some(slot) = slot(region, index) else {
        return SlotCondition::Sound;
    };
    let mut torn = 0;
    let mut whole = 0;
    for c in 0..2 {
        let r = &mut slot[c * RECORD_LEN..(c + 1) * RECORD_LEN];
        if is_whole(r) {
            whole += 1;
        } else if r.iter().any(|b| *b != 0) {
            // Written but not whole: garbage, or a write cut short.
            r.fill(0);
            torn += 1;
        }
    }
    match (torn, whole) {
        (0, _) => SlotCondition::Sound,
        (_, 0) => SlotCondition::Damaged,
        _ => SlotCondition::Torn,
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
/// when the region has no such slot or the DUID is too long to keep (the
/// lease engine refuses such leases before they are acknowledged).
pub fn write(region: &mut [u8], index: u32, lease: Option<&RecordRef<'_>>) -> bool {
    if lease
        .and_then(|l| l.duid)
        .is_some_and(|d| d.len() > MAX_STORED_DUID)
    {
        return false;
    }
    let Some(slot) = slot(region, index) else {
        return false;
    };
    // Every copy with a sequence number is whole (see `scrub`): the
    // older one, or an empty one, is the one to overwrite.
    let seqs = [get_u32(slot, SEQ), get_u32(slot, RECORD_LEN + SEQ)];
    let copy = match seqs {
        [0, _] => 0,
        [_, 0] => 1,
        [a, b] => usize::from(newer(a, b)),
    };
    let latest = match seqs {
        [0, b] => b,
        [a, b] if newer(b, a) && b != 0 => b,
        [a, _] => a,
    };
    let seq = match latest.wrapping_add(1) {
        0 => 1,
        s => s,
    };
    let r = &mut slot[copy * RECORD_LEN..(copy + 1) * RECORD_LEN];
    r.fill(0);
    put_u32(r, SEQ, seq);
    if let Some(l) = lease {
        r[STATE] = match l.state {
            LeaseState::Declined => STATE_DECLINED,
            _ => STATE_BOUND,
        };
        r[KIND] = match l.kind {
            ResourceKind::Na => 0,
            ResourceKind::Pd => 1,
            ResourceKind::Ipv4 => 2,
        };
        r[LEN] = l.len;
        put_u32(r, IAID, l.iaid);
        r[RESOURCE..RESOURCE + 16].copy_from_slice(&l.resource.to_be_bytes());
        put_u32(r, PREFERRED, l.preferred_until);
        put_u32(r, VALID, l.valid_until);
        put_u32(r, EXPIRES, l.expires);
        put_u32(r, SW_IF, l.sw_if_index);
        if let Some(via) = l.route {
            r[STATE] |= ROUTED;
            put_u32(r, ROUTE_IF, via.sw_if_index);
            put_u32(r, ROUTE_FIB, via.fib_index);
            r[NEXT_HOP..NEXT_HOP + 16].copy_from_slice(&via.next_hop.to_be_bytes());
        }
        if let Some(bytes) = l.duid {
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

/// Reads the lease kept in slot `index`, if any. A whole record whose
/// fields cannot be a lease (a bad kind, length or DUID) is `Err`.
pub fn read(region: &[u8], index: u32) -> Result<Option<StoredLease>, Damaged> {
    let at = HEADER_LEN + index as usize * SLOT_LEN;
    let Some(slot) = region.get(at..at + SLOT_LEN) else {
        return Ok(None);
    };
    let Some(copy) = newest(slot) else {
        return Ok(None);
    };
    let r = &slot[copy * RECORD_LEN..(copy + 1) * RECORD_LEN];
    let state = match r[STATE] & !ROUTED {
        STATE_NONE => return Ok(None),
        STATE_BOUND => LeaseState::Bound,
        STATE_DECLINED => LeaseState::Declined,
        _ => return Err(Damaged),
    };
    let duid_len = usize::from(r[DUID_LEN]);
    if duid_len > MAX_STORED_DUID {
        return Err(Damaged);
    }
    let duid = match duid_len {
        0 => None,
        n => Some(Duid::from_bytes(&r[DUID..DUID + n]).map_err(|_| Damaged)?),
    };
    let (kind, max_len) = match r[KIND] {
        0 => (ResourceKind::Na, 128),
        1 => (ResourceKind::Pd, 128),
        2 => (ResourceKind::Ipv4, 32),
        _ => return Err(Damaged),
    };
    if r[LEN] > max_len {
        return Err(Damaged);
    }
    Ok(Some(StoredLease {
        duid,
        iaid: get_u32(r, IAID),
        kind,
        resource: get_u128(r, RESOURCE),
        len: r[LEN],
        state,
        preferred_until: get_u32(r, PREFERRED),
        valid_until: get_u32(r, VALID),
        expires: get_u32(r, EXPIRES),
        sw_if_index: get_u32(r, SW_IF),
        route: (r[STATE] & ROUTED != 0).then(|| RouteVia {
            next_hop: get_u128(r, NEXT_HOP),
            sw_if_index: get_u32(r, ROUTE_IF),
            fib_index: get_u32(r, ROUTE_FIB),
        }),
    }))
}

/// A whole record whose fields are not a lease's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged;

/// Versions 1 and 2 of the file, read to be rewritten.
pub mod legacy;

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(n: u32) -> StoredLease {
        StoredLease {
            duid: Some(Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, n as u8]).unwrap()),
            iaid: n,
            kind: ResourceKind::Pd,
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
        assert_eq!(read(&r, 2), Ok(Some(lease(2))));
        assert_eq!(read(&r, 1), Ok(None));
        assert!(!write(&mut r, 4, Some(&lease_record(4))), "past the end");
        assert!(write(&mut r, 2, None));
        assert_eq!(read(&r, 2), Ok(None));
    }

    #[test]
    fn an_ipv4_lease_round_trips_as_its_own_kind() {
        let mut r = region(1);
        let mut v4 = lease(7);
        v4.kind = ResourceKind::Ipv4;
        v4.resource = crate::leases::pool::ipv4_resource("192.0.2.7".parse().unwrap());
        v4.len = 32;
        v4.route = None;
        assert!(write(&mut r, 0, Some(&v4.as_record())));
        assert_eq!(read(&r, 0), Ok(Some(v4)));
    }

    #[test]
    fn a_delegated_128_round_trips() {
        let mut r = region(1);
        let mut host = lease(3);
        host.len = 128;
        assert!(write(&mut r, 0, Some(&host.as_record())));
        assert_eq!(read(&r, 0), Ok(Some(host)));
    }

    #[test]
    fn a_torn_write_leaves_the_previous_copy() {
        let mut r = region(1);
        write(&mut r, 0, Some(&lease_record(1)));
        let mut renewed = lease(1);
        renewed.valid_until = 9999;
        write(&mut r, 0, Some(&renewed.as_record()));
        assert_eq!(read(&r, 0).unwrap().unwrap().valid_until, 9999);
        // Simulate a crash half way through the next write: the copy being
        // written (the older one) holds garbage past its first bytes.
        let mut third = lease(1);
        third.valid_until = 12345;
        write(&mut r, 0, Some(&third.as_record()));
        let at = HEADER_LEN; // copy 0 was the older, so it got the third write
        r[at + 100] ^= 0xff;
        assert_eq!(
            read(&r, 0).unwrap().unwrap().valid_until,
            9999,
            "falls back to the last whole copy"
        );
    }

    #[test]
    fn legacy_slots_are_read() {
        let mut slot = vec![0u8; legacy::SLOT_LEN];
        let mut long = lease(3);
        long.duid = Some(Duid::from_bytes(&[7u8; 100]).unwrap());
        legacy::write_v2(&mut slot, &long);
        assert_eq!(legacy::read(&slot), Ok(Some(long)));
        slot[100] ^= 1;
        assert_eq!(legacy::read(&slot), Ok(None), "torn: no whole copy");
        assert_eq!(file_kind(&legacy::header_v2()), FileKind::Legacy);
        assert!(
            init_header(&mut legacy::header_v2()).is_err(),
            "rewritten, not reused"
        );
    }

    #[test]
    fn long_duids_are_not_written_and_damaged_fields_are_told_apart() {
        let mut r = region(2);
        let mut long = lease(1);
        long.duid = Some(Duid::from_bytes(&[1u8; MAX_STORED_DUID + 1]).unwrap());
        assert!(!write(&mut r, 0, Some(&long.as_record())));
        let mut longest = lease(1);
        longest.duid = Some(Duid::from_bytes(&[1u8; MAX_STORED_DUID]).unwrap());
        assert!(write(&mut r, 0, Some(&longest.as_record())));
        assert_eq!(read(&r, 0), Ok(Some(longest)));
        // A whole record (checksum holds) with a kind no lease has.
        let at = HEADER_LEN;
        r[at + KIND] = 9;
        let sum = checksum(&r[at..at + CHECKSUM]);
        put_u32(&mut r[at..], CHECKSUM, sum);
        assert_eq!(read(&r, 0), Err(Damaged));
    }

    #[test]
    fn scrub_tells_torn_from_damaged_and_sequence_numbers_wrap() {
        let mut r = region(3);
        write(&mut r, 0, Some(&lease_record(1)));
        write(&mut r, 0, Some(&lease_record(1)));
        r[HEADER_LEN + 50] ^= 0xff; // copy 0 (the older) torn
        write(&mut r, 1, Some(&lease_record(2)));
        let at = HEADER_LEN + SLOT_LEN;
        r[at..at + SLOT_LEN].fill(0x5a); // both copies garbage
        assert_eq!(scrub(&mut r, 0), SlotCondition::Torn);
        assert_eq!(scrub(&mut r, 1), SlotCondition::Damaged);
        assert_eq!(scrub(&mut r, 2), SlotCondition::Sound);
        assert_eq!(scrub(&mut r, 0), SlotCondition::Sound, "cleared once");
        assert_eq!(read(&r, 0), Ok(Some(lease(1))));
        assert_eq!(read(&r, 1), Ok(None));
        // Near the end of the sequence space: the newest still wins.
        let at = HEADER_LEN + 2 * SLOT_LEN;
        let mut first = lease(5);
        first.valid_until = 1;
        write(&mut r, 2, Some(&first.as_record()));
        put_u32(&mut r[at..], SEQ, u32::MAX);
        let sum = checksum(&r[at..at + CHECKSUM]);
        put_u32(&mut r[at..], CHECKSUM, sum);
        for v in 2..5 {
            let mut next = lease(5);
            next.valid_until = v;
            write(&mut r, 2, Some(&next.as_record()));
            assert_eq!(read(&r, 2).unwrap().unwrap().valid_until, v);
        }
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
        assert_eq!(read(&r, 0), Ok(Some(lease(1))));
        let mut third = lease(1);
        third.valid_until = 6000;
        write(&mut r, 0, Some(&third.as_record()));
        assert_eq!(read(&r, 0), Ok(Some(third.clone())));
        // The whole copy 0 (seq 1) was kept until then: the write went to 1.
        assert_eq!(get_u32(&r, HEADER_LEN), 1);
    }

    #[test]
    fn header_is_written_once_and_foreign_files_are_refused() {
        let mut r = vec![0u8; file_len(1)];
        init_header(&mut r).unwrap();
        assert_eq!(file_kind(&r), FileKind::Current);
        init_header(&mut r).unwrap();
        let mut foreign = vec![7u8; file_len(1)];
        assert!(init_header(&mut foreign).is_err());
    }
}
