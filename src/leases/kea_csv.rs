//! Leases in the CSV format of Kea's memfile lease6 file, to move from Kea
//! to this server and back.
//!
//! Export writes Kea 2.2's columns. Import reads the columns by header name
//! (older and newer Kea files differ in their trailing columns), and, like
//! Kea's memfile, takes the last row of an address (the file is a log).

use core::net::Ipv6Addr;
use std::collections::HashMap;

use crate::duid::Duid;
use crate::leases::{LeaseState, LeaseView, ResourceKind, Time};

pub const HEADER: &str =
    "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,\
fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source";

/// Kea's lease_type column.
const KEA_IA_NA: u32 = 0;
const KEA_IA_PD: u32 = 2;
/// Kea's state column: 0 default, 1 declined, 2 expired-reclaimed.
const KEA_DEFAULT: u32 = 0;
const KEA_DECLINED: u32 = 1;

/// One lease read from a Kea file, still valid at import time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedLease {
    pub duid: Duid,
    pub iaid: u32,
    pub kind: ResourceKind,
    pub resource: u128,
    pub len: u8,
    pub preferred_until: Time,
    pub valid_until: Time,
}

/// One row for a bound or declined lease; `subnet_id` is Kea's (the link's
/// position, 1-based, is what we offer).
/// A whole lease6 file: the header and a row per bound or declined lease,
/// each with the `subnet_id` `subnet_of` gives it. Returns it and the rows.
pub fn export(
    leases: impl Iterator<Item = LeaseView>,
    subnet_of: impl Fn(&LeaseView) -> u32,
    now: Time,
) -> (String, u32) {
    let mut text = String::from(HEADER);
    text.push('\n');
    let mut rows = 0;
    for l in leases {
        if let Some(row) = export_row(&l, subnet_of(&l), now) {
            text.push_str(&row);
            text.push('\n');
            rows += 1;
        }
    }
    (text, rows)
}

pub fn export_row(l: &LeaseView, subnet_id: u32, now: Time) -> Option<String> {
    let state = match l.state {
        LeaseState::Bound => KEA_DEFAULT,
        LeaseState::Declined => KEA_DECLINED,
        _ => return None,
    };
    let duid = l
        .duid
        .as_ref()
        .map_or_else(|| "00".to_string(), |d| d.to_string());
    let (lease_type, prefix_len) = match l.kind {
        ResourceKind::Na => (KEA_IA_NA, 128),
        ResourceKind::Pd => (KEA_IA_PD, l.len),
        // A lease6 file holds IPv6 leases only.
        ResourceKind::Ipv4 => return None,
    };
    let valid = l.valid_until.saturating_sub(now);
    let preferred = l.preferred_until.saturating_sub(now);
    Some(format!(
        "{},{duid},{valid},{},{subnet_id},{preferred},{lease_type},{},{prefix_len},0,0,,,{state},,,",
        Ipv6Addr::from(l.resource.to_be_bytes()),
        l.valid_until,
        l.iaid
    ))
}

/// Reads a Kea lease6 CSV: the leases still valid at `now` (declined,
/// reclaimed and expired ones are left out), and how many rows were left out.
pub fn import(text: &str, now: Time) -> Result<(Vec<ImportedLease>, usize), String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or("empty file: expected Kea's lease6 header")?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .ok_or(format!("line 1: no `{name}` column"))
    };
    let (c_addr, c_duid, c_valid, c_expire) = (
        col("address")?,
        col("duid")?,
        col("valid_lifetime")?,
        col("expire")?,
    );
    let (c_type, c_iaid, c_plen) = (col("lease_type")?, col("iaid")?, col("prefix_len")?);
    let (c_pref, c_state) = (col("pref_lifetime").ok(), col("state").ok());

    let mut latest: HashMap<(ResourceKind, u128), Option<ImportedLease>> = HashMap::new();
    let mut order = Vec::new();
    let mut left_out = 0;
    for (n, line) in lines {
        let f: Vec<&str> = line.split(',').collect();
        let at = |e: String| format!("line {}: {e}", n + 1);
        let get = |c: usize| f.get(c).copied().unwrap_or("").trim();
        let num = |c: usize, what: &str| -> Result<u64, String> {
            get(c)
                .parse::<u64>()
                .map_err(|_| at(format!("{what} {:?} is not a number", get(c))))
        };
        let addr: Ipv6Addr = get(c_addr)
            .parse()
            .map_err(|_| at(format!("address {:?}", get(c_addr))))?;
        let kind = match num(c_type, "lease_type")? as u32 {
            KEA_IA_NA => ResourceKind::Na,
            KEA_IA_PD => ResourceKind::Pd,
            _ => {
                left_out += 1; // IA_TA: not served here
                continue;
            }
        };
        let len = if kind == ResourceKind::Na {
            128
        } else {
            num(c_plen, "prefix_len")?.min(128) as u8
        };
        let valid = num(c_valid, "valid_lifetime")?;
        let expire = num(c_expire, "expire")?;
        let state = c_state.map_or(Ok(0), |c| {
            if get(c).is_empty() {
                Ok(0)
            } else {
                num(c, "state")
            }
        })?;
        let key = (kind, u128::from_be_bytes(addr.octets()));
        if !latest.contains_key(&key) {
            order.push(key);
        }
        // valid_lifetime 0 is how memfile records a deleted lease.
        if valid == 0 || state != u64::from(KEA_DEFAULT) || expire <= u64::from(now) {
            latest.insert(key, None);
            continue;
        }
        let duid = Duid::parse_hex(get(c_duid)).map_err(|e| at(format!("duid: {e}")))?;
        let cltt = expire.saturating_sub(valid);
        let preferred = c_pref.map_or(Ok(valid), |c| num(c, "pref_lifetime"))?;
        latest.insert(
            key,
            Some(ImportedLease {
                duid,
                iaid: u32::try_from(num(c_iaid, "iaid")?)
                    .map_err(|_| at("iaid is 32 bits".into()))?,
                kind,
                resource: key.1,
                len,
                preferred_until: u32::try_from(cltt + preferred).unwrap_or(u32::MAX),
                valid_until: u32::try_from(expire).unwrap_or(u32::MAX),
            }),
        );
    }
    let mut out = Vec::new();
    for key in order {
        match latest.remove(&key).flatten() {
            Some(l) => out.push(l),
            None => left_out += 1,
        }
    }
    Ok((out, left_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_then_import_round_trips() {
        let view = LeaseView {
            duid: Some(Duid::parse_hex("00:03:00:01:02:00:00:00:00:01").unwrap()),
            iaid: 7,
            kind: ResourceKind::Pd,
            resource: u128::from_be_bytes("2001:db8:100::".parse::<Ipv6Addr>().unwrap().octets()),
            len: 56,
            state: LeaseState::Bound,
            preferred_until: 1_000_500,
            valid_until: 1_001_000,
            route: None,
            sw_if_index: 1,
        };
        let row = export_row(&view, 3, 1_000_000).unwrap();
        assert_eq!(
            row,
            "2001:db8:100::,00:03:00:01:02:00:00:00:00:01,1000,1001000,3,500,2,7,56,0,0,,,0,,,"
        );
        let (leases, left_out) = import(&format!("{HEADER}\n{row}\n"), 1_000_010).unwrap();
        assert_eq!(left_out, 0);
        assert_eq!(
            leases,
            vec![ImportedLease {
                duid: view.duid.clone().unwrap(),
                iaid: 7,
                kind: ResourceKind::Pd,
                resource: view.resource,
                len: 56,
                preferred_until: 1_000_500,
                valid_until: 1_001_000,
            }]
        );
    }

    #[test]
    fn memfile_log_semantics_last_row_wins() {
        // Kea 1.x header (no hwtype columns): columns are found by name.
        let csv = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context\n\
                   2001:db8::1,00:01:02:03,4000,2000,1,3000,0,1,128,0,0,,,0,\n\
                   2001:db8::1,00:01:02:03,4000,9000,1,3000,0,1,128,0,0,,,0,\n\
                   2001:db8::2,00:01:02:04,4000,9000,1,3000,0,1,128,0,0,,,0,\n\
                   2001:db8::2,00:01:02:04,0,9000,1,3000,0,1,128,0,0,,,0,\n\
                   2001:db8::3,00:01:02:05,4000,9000,1,3000,0,1,128,0,0,,,1,\n\
                   2001:db8::4,00:01:02:06,4000,900,1,3000,0,1,128,0,0,,,0,\n\
                   2001:db8::5,00:01:02:07,4000,9000,1,3000,1,1,128,0,0,,,0,\n";
        let (leases, left_out) = import(csv, 1000).unwrap();
        assert_eq!(leases.len(), 1, "{leases:?}");
        assert_eq!(leases[0].valid_until, 9000, "the later row of ::1");
        assert_eq!(leases[0].preferred_until, 9000 - 4000 + 3000);
        assert_eq!(left_out, 4, "deleted, declined, expired, IA_TA");
    }

    #[test]
    fn bad_rows_name_their_line() {
        let bad = format!("{HEADER}\n2001:db8::1,zz,4000,9000,1,3000,0,1,128,0,0,,,0,,,\n");
        assert!(import(&bad, 0).unwrap_err().starts_with("line 2: duid"));
        assert!(import("address,duid\n", 0)
            .unwrap_err()
            .contains("no `valid_lifetime` column"));
    }
}
