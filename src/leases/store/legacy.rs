//! Versions 1 and 2: 512-byte slots of two 256-byte copies, 64-bit
//! sequence numbers, DUIDs of any length; v1 checksummed with FNV-1a.

use super::{checksum, get_u128, get_u32, Damaged, StoredLease};
use crate::duid::{Duid, MAX_DUID_LEN};
use crate::leases::{LeaseState, ResourceKind, RouteVia};

pub const RECORD_LEN: usize = 256;
pub const SLOT_LEN: usize = 2 * RECORD_LEN;
const CHECKSUM: usize = RECORD_LEN - 4;

fn checksum_v1(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

fn seq(r: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&r[..8]);
    u64::from_le_bytes(b)
}

fn is_whole(r: &[u8]) -> bool {
    let stored = get_u32(r, CHECKSUM);
    seq(r) != 0 && (checksum(&r[..CHECKSUM]) == stored || checksum_v1(&r[..CHECKSUM]) == stored)
}

/// The lease in one legacy slot (`SLOT_LEN` bytes), if any.
pub fn read(slot: &[u8]) -> Result<Option<StoredLease>, Damaged> {
    let Some(r) = (0..2)
        .map(|c| &slot[c * RECORD_LEN..(c + 1) * RECORD_LEN])
        .filter(|r| is_whole(r))
        .max_by_key(|r| seq(r))
    else {
        return Ok(None);
    };
    let state = match r[8] {
        0 => return Ok(None),
        2 => LeaseState::Bound,
        3 => LeaseState::Declined,
        _ => return Err(Damaged),
    };
    let duid_len = usize::from(r[11]).min(MAX_DUID_LEN);
    Ok(Some(StoredLease {
        duid: (duid_len > 0)
            .then(|| Duid::from_bytes(&r[80..80 + duid_len]).ok())
            .flatten(),
        iaid: get_u32(r, 12),
        kind: if r[9] == 1 {
            ResourceKind::Pd
        } else {
            ResourceKind::Na
        },
        resource: get_u128(r, 16),
        len: r[10],
        state,
        preferred_until: get_u32(r, 32),
        valid_until: get_u32(r, 36),
        expires: get_u32(r, 40),
        sw_if_index: get_u32(r, 44),
        route: (r[48] == 1).then(|| RouteVia {
            next_hop: get_u128(r, 64),
            sw_if_index: get_u32(r, 52),
            fib_index: get_u32(r, 56),
        }),
    }))
}

/// Writes `lease` as a version 2 slot (tests of the migration only).
#[cfg(test)]
pub fn write_v2(slot: &mut [u8], lease: &StoredLease) {
    let r = &mut slot[..RECORD_LEN];
    r.fill(0);
    r[..8].copy_from_slice(&1u64.to_le_bytes());
    r[8] = if lease.state == LeaseState::Declined {
        3
    } else {
        2
    };
    r[9] = u8::from(lease.kind == ResourceKind::Pd);
    r[10] = lease.len;
    if let Some(d) = &lease.duid {
        let d = d.as_bytes();
        r[11] = d.len() as u8;
        r[80..80 + d.len()].copy_from_slice(d);
    }
    r[12..16].copy_from_slice(&lease.iaid.to_le_bytes());
    r[16..32].copy_from_slice(&lease.resource.to_be_bytes());
    r[32..36].copy_from_slice(&lease.preferred_until.to_le_bytes());
    r[36..40].copy_from_slice(&lease.valid_until.to_le_bytes());
    r[40..44].copy_from_slice(&lease.expires.to_le_bytes());
    r[44..48].copy_from_slice(&lease.sw_if_index.to_le_bytes());
    if let Some(via) = lease.route {
        r[48] = 1;
        r[52..56].copy_from_slice(&via.sw_if_index.to_le_bytes());
        r[56..60].copy_from_slice(&via.fib_index.to_le_bytes());
        r[64..80].copy_from_slice(&via.next_hop.to_be_bytes());
    }
    let sum = checksum(&r[..CHECKSUM]);
    r[CHECKSUM..].copy_from_slice(&sum.to_le_bytes());
}

/// A version 2 header (tests of the migration only).
#[cfg(test)]
pub fn header_v2() -> Vec<u8> {
    let mut h = vec![0u8; super::HEADER_LEN];
    h[..16].copy_from_slice(super::MAGIC);
    h[16..20].copy_from_slice(&2u32.to_le_bytes());
    h[20..24].copy_from_slice(&(SLOT_LEN as u32).to_le_bytes());
    h
}
