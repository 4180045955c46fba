//! Leases in the CSV formats of Kea's memfile lease6 and lease4 files, to
//! move from Kea to this server and back.
//!
//! Export writes Kea 2.2's columns. Import reads the columns by header name
//! (older and newer Kea files differ in their trailing columns), and, like
//! Kea's memfile, takes the last row of an address (the file is a log).
//!
//! A DHCPv4 client is known here by its Client Identifier, else by its
//! hardware type and address (`01` and the MAC for Ethernet); Kea keeps
//! both columns. A key that is `01` and six octets goes out as the hwaddr
//! (and, as most clients send exactly that, as the client_id too).

use core::net::{Ipv4Addr, Ipv6Addr};
use std::collections::HashMap;

use crate::duid::Duid;
use crate::leases::{LeaseState, LeaseView, ResourceKind, Time};

pub const HEADER: &str =
    "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,\
fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source";

pub const HEADER4: &str =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";

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

/// A memfile CSV, read by column name (Kea versions differ in their
/// trailing columns).
struct Memfile<'a> {
    cols: Vec<&'a str>,
    rows: Vec<(usize, &'a str)>,
}

impl<'a> Memfile<'a> {
    fn parse(text: &'a str, what: &str) -> Result<Self, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines
            .next()
            .ok_or(format!("empty file: expected Kea's {what} header"))?;
        Ok(Memfile {
            cols: header.split(',').map(str::trim).collect(),
            rows: lines.collect(),
        })
    }

    fn col(&self, name: &str) -> Result<usize, String> {
        self.cols
            .iter()
            .position(|c| *c == name)
            .ok_or(format!("line 1: no `{name}` column"))
    }

    fn rows(&self) -> impl Iterator<Item = Row<'a>> + '_ {
        self.rows.iter().map(|&(n, line)| Row {
            n,
            f: line.split(',').collect(),
        })
    }
}

/// One row: its fields, and errors that name its line.
struct Row<'a> {
    n: usize,
    f: Vec<&'a str>,
}

impl Row<'_> {
    fn at(&self, e: String) -> String {
        format!("line {}: {e}", self.n + 1)
    }

    fn get(&self, c: usize) -> &str {
        self.f.get(c).copied().unwrap_or("").trim()
    }

    fn num(&self, c: usize, what: &str) -> Result<u64, String> {
        self.get(c)
            .parse::<u64>()
            .map_err(|_| self.at(format!("{what} {:?} is not a number", self.get(c))))
    }

    /// Whether the row ends its address's lease rather than giving one:
    /// `valid_lifetime` 0 (how memfile records a delete), a state other
    /// than default (declined, reclaimed), or expired at `now`.
    fn ends_lease(
        &self,
        c_valid: usize,
        c_expire: usize,
        c_state: Option<usize>,
        now: Time,
    ) -> Result<bool, String> {
        let (valid, expire) = (
            self.num(c_valid, "valid_lifetime")?,
            self.num(c_expire, "expire")?,
        );
        let state = match c_state.filter(|c| !self.get(*c).is_empty()) {
            None => 0,
            Some(c) => self.num(c, "state")?,
        };
        Ok(valid == 0 || state != u64::from(KEA_DEFAULT) || expire <= u64::from(now))
    }
}

/// Memfile's log semantics: the last row of an address wins.
#[derive(Default)]
struct LastRowWins {
    latest: HashMap<(ResourceKind, u128), Option<ImportedLease>>,
    order: Vec<(ResourceKind, u128)>,
    left_out: usize,
}

impl LastRowWins {
    fn set(&mut self, key: (ResourceKind, u128), lease: Option<ImportedLease>) {
        if self.latest.insert(key, lease).is_none() {
            self.order.push(key);
        }
    }

    /// The leases in force, in first-seen order, and how many rows (or
    /// addresses) were left out.
    fn finish(mut self) -> (Vec<ImportedLease>, usize) {
        let mut out = Vec::new();
        for key in std::mem::take(&mut self.order) {
            match self.latest.remove(&key).flatten() {
                Some(l) => out.push(l),
                None => self.left_out += 1,
            }
        }
        (out, self.left_out)
    }
}

/// Reads a Kea lease6 CSV: the leases still valid at `now` (declined,
/// reclaimed and expired ones are left out), and how many rows were left out.
pub fn import(text: &str, now: Time) -> Result<(Vec<ImportedLease>, usize), String> {
    let file = Memfile::parse(text, "lease6")?;
    let col = |name| file.col(name);
    let (c_addr, c_duid, c_valid, c_expire) = (
        col("address")?,
        col("duid")?,
        col("valid_lifetime")?,
        col("expire")?,
    );
    let (c_type, c_iaid, c_plen) = (col("lease_type")?, col("iaid")?, col("prefix_len")?);
    let (c_pref, c_state) = (col("pref_lifetime").ok(), col("state").ok());
    let mut leases = LastRowWins::default();
    for row in file.rows() {
        let addr: Ipv6Addr = row
            .get(c_addr)
            .parse()
            .map_err(|_| row.at(format!("address {:?}", row.get(c_addr))))?;
        let kind = match row.num(c_type, "lease_type")? as u32 {
            KEA_IA_NA => ResourceKind::Na,
            KEA_IA_PD => ResourceKind::Pd,
            _ => {
                leases.left_out += 1; // IA_TA: not served here
                continue;
            }
        };
        let len = if kind == ResourceKind::Na {
            128
        } else {
            row.num(c_plen, "prefix_len")?.min(128) as u8
        };
        let key = (kind, u128::from_be_bytes(addr.octets()));
        if row.ends_lease(c_valid, c_expire, c_state, now)? {
            leases.set(key, None);
            continue;
        }
        let (valid, expire) = (
            row.num(c_valid, "valid_lifetime")?,
            row.num(c_expire, "expire")?,
        );
        let duid = Duid::parse_hex(row.get(c_duid)).map_err(|e| row.at(format!("duid: {e}")))?;
        let cltt = expire.saturating_sub(valid);
        let preferred = c_pref.map_or(Ok(valid), |c| row.num(c, "pref_lifetime"))?;
        let iaid = u32::try_from(row.num(c_iaid, "iaid")?)
            .map_err(|_| row.at("iaid is 32 bits".into()))?;
        leases.set(
            key,
            Some(ImportedLease {
                duid,
                iaid,
                kind,
                resource: key.1,
                len,
                preferred_until: u32::try_from(cltt + preferred).unwrap_or(u32::MAX),
                valid_until: u32::try_from(expire).unwrap_or(u32::MAX),
            }),
        );
    }
    Ok(leases.finish())
}

/// A lease4 file: the header and a row per bound or declined DHCPv4
/// lease. Returns it and the rows.
pub fn export4(
    leases: impl Iterator<Item = LeaseView>,
    subnet_of: impl Fn(&LeaseView) -> u32,
    now: Time,
) -> (String, u32) {
    let mut text = String::from(HEADER4);
    text.push('\n');
    let mut rows = 0;
    for l in leases.filter(|l| l.kind == ResourceKind::Ipv4) {
        let state = match l.state {
            LeaseState::Bound => KEA_DEFAULT,
            LeaseState::Declined => KEA_DECLINED,
            _ => continue,
        };
        let key = l.duid.as_ref().map_or(&[][..], |d| d.as_bytes());
        let hex = |b: &[u8]| crate::views::mac(b);
        let hwaddr = match key {
            [1, mac @ ..] if mac.len() == 6 => hex(mac),
            _ => String::new(),
        };
        text.push_str(&format!(
            "{},{hwaddr},{},{},{},{},0,0,,{state},\n",
            crate::leases::pool::ipv4_of(l.resource),
            hex(key),
            l.valid_until.saturating_sub(now),
            l.valid_until,
            subnet_of(&l),
        ));
        rows += 1;
    }
    (text, rows)
}

/// Reads a Kea lease4 CSV: the leases still valid at `now`, and how many
/// rows were left out (deleted, declined, reclaimed, expired).
pub fn import4(text: &str, now: Time) -> Result<(Vec<ImportedLease>, usize), String> {
    let file = Memfile::parse(text, "lease4")?;
    let col = |name| file.col(name);
    let (c_addr, c_hw, c_valid, c_expire) = (
        col("address")?,
        col("hwaddr")?,
        col("valid_lifetime")?,
        col("expire")?,
    );
    let (c_client, c_state) = (col("client_id").ok(), col("state").ok());
    let mut leases = LastRowWins::default();
    for row in file.rows() {
        let addr: Ipv4Addr = row
            .get(c_addr)
            .parse()
            .map_err(|_| row.at(format!("address {:?}", row.get(c_addr))))?;
        let key = (ResourceKind::Ipv4, crate::leases::pool::ipv4_resource(addr));
        if row.ends_lease(c_valid, c_expire, c_state, now)? {
            leases.set(key, None);
            continue;
        }
        // The client's key: its Client Identifier, else 01 and its MAC.
        let client = match c_client.map(|c| row.get(c)).filter(|c| !c.is_empty()) {
            Some(id) => {
                crate::views::parse_hex(id).ok_or_else(|| row.at(format!("client_id {id:?}")))?
            }
            None => {
                let mac = crate::views::parse_hex(row.get(c_hw))
                    .ok_or_else(|| row.at(format!("hwaddr {:?}", row.get(c_hw))))?;
                [&[1u8][..], &mac].concat()
            }
        };
        let duid = Duid::from_bytes(&client).map_err(|e| row.at(format!("client: {e}")))?;
        let expire = u32::try_from(row.num(c_expire, "expire")?).unwrap_or(u32::MAX);
        leases.set(
            key,
            Some(ImportedLease {
                duid,
                iaid: 0,
                kind: ResourceKind::Ipv4,
                resource: key.1,
                len: 32,
                preferred_until: expire,
                valid_until: expire,
            }),
        );
    }
    Ok(leases.finish())
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

    #[test]
    fn lease4_export_then_import_round_trips_and_reads_kea_rows() {
        let view = LeaseView {
            duid: Some(Duid::from_bytes(&[1, 2, 0, 0, 0, 0, 9]).unwrap()),
            iaid: 0,
            kind: ResourceKind::Ipv4,
            resource: crate::leases::pool::ipv4_resource("192.0.2.10".parse().unwrap()),
            len: 32,
            state: LeaseState::Bound,
            preferred_until: 1_001_000,
            valid_until: 1_001_000,
            route: None,
            sw_if_index: 1,
        };
        let (text, rows) = export4([view.clone()].into_iter(), |_| 2, 1_000_000);
        assert_eq!(rows, 1);
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "192.0.2.10,02:00:00:00:00:09,01:02:00:00:00:00:09,1000,1001000,2,0,0,,0,"
        );
        let (leases, left_out) = import4(&text, 1_000_010).unwrap();
        assert_eq!((leases.len(), left_out), (1, 0));
        assert_eq!(leases[0].duid, view.duid.clone().unwrap());
        assert_eq!(
            (leases[0].resource, leases[0].valid_until),
            (view.resource, 1_001_000)
        );
        // Kea's own rows: no client id (keyed by the MAC), a deleted one,
        // an expired one, a later row winning.
        let kea = format!(
            "{HEADER4}\n\
             192.0.2.20,02:00:00:00:00:20,,4000,9000,1,0,0,,0,\n\
             192.0.2.21,02:00:00:00:00:21,,0,9000,1,0,0,,0,\n\
             192.0.2.22,02:00:00:00:00:22,,4000,500,1,0,0,,0,\n\
             192.0.2.20,02:00:00:00:00:20,,4000,9500,1,0,0,,0,\n"
        );
        let (leases, left_out) = import4(&kea, 1000).unwrap();
        assert_eq!((leases.len(), left_out), (1, 2));
        assert_eq!(leases[0].duid.as_bytes(), &[1, 2, 0, 0, 0, 0, 0x20]);
        assert_eq!(leases[0].valid_until, 9500);
        assert!(import4("address,client_id\n", 0)
            .unwrap_err()
            .contains("no `hwaddr` column"));
        let bad = format!("{HEADER4}\n192.0.2.1,zz,,4000,9000,1,0,0,,0,\n");
        assert!(import4(&bad, 0).unwrap_err().starts_with("line 2: hwaddr"));
    }
}
