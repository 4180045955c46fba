//! Fixed assignments (DHCPKit's static assignments): an address and/or a
//! delegated prefix per client, found by one of the client's identifiers.
//!
//! DHCPv6 ids are written as DHCPKit writes them in its CSV files:
//! `duid:<hex>`, `interface-id:<hex>`, `interface-id-str:<text>`,
//! `remote-id:<enterprise>:<hex>`, `remote-id-str:<enterprise>:<text>`,
//! `subscriber-id:<hex>`, `subscriber-id-str:<text>`,
//! `linklayer-id:<type>:<hex>`, `linklayer-id-str:<type>:<text>`.
//! DHCPv4 ids, in the same style with Kea's names: `hw-address:<mac>`,
//! `client-id:<hex>` (option 61), `circuit-id[-str]:` and
//! `agent-remote-id[-str]:` (option 82's sub-options 1 and 2). Both
//! families share one table (their id kinds differ); each loads its own
//! file.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use arrayvec::ArrayVec;

use crate::leases::pool::{ipv4_resource, prefix_mask};
use crate::leases::ResourceKind;
use crate::options::{Family, OptionTable};

/// Longest identifier value kept (DUIDs are at most 130 octets).
pub const MAX_ID_LEN: usize = 250;

/// Which identifier a reservation is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum IdKind {
    Duid = 1,
    InterfaceId = 2,
    RemoteId = 3,
    SubscriberId = 4,
    LinkLayer = 5,
    HwAddress = 6,
    ClientId = 7,
    CircuitId = 8,
    AgentRemoteId = 9,
}

/// A reservation key in its lookup form: kind, then the identifying bytes
/// (enterprise number or link-layer type first where the id has one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReservationId(Vec<u8>);

// Lookups by a borrowed key: a newtype's derived Hash hashes its Vec, which
// hashes as the slice does.
impl std::borrow::Borrow<[u8]> for ReservationId {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

/// The same key built on the stack from a request, for lookups that must
/// not allocate.
pub type IdKey = ArrayVec<u8, { MAX_ID_LEN + 7 }>;

pub fn id_key(kind: IdKind, prefix: &[u8], value: &[u8]) -> Option<IdKey> {
    let mut k = IdKey::new();
    k.push(kind as u8);
    k.try_extend_from_slice(prefix).ok()?;
    k.try_extend_from_slice(value).ok()?;
    Some(k)
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    crate::views::parse_hex(text).ok_or_else(|| format!("{text:?} is not hex octets"))
}

impl ReservationId {
    /// Parses an id in DHCPKit's notation.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (kind, rest) = text
            .split_once(':')
            .ok_or_else(|| format!("id {text:?}: expected <type>:<value>"))?;
        let value_and_prefix =
            |with_number: bool, as_text: bool| -> Result<(Vec<u8>, Vec<u8>), String> {
                let (prefix, value) = if with_number {
                    let (n, v) = rest.split_once(':').ok_or_else(|| {
                        format!("id {text:?}: expected a number before the value")
                    })?;
                    let n: u32 = n
                        .parse()
                        .map_err(|_| format!("id {text:?}: {n:?} is not a number"))?;
                    (n, v)
                } else {
                    (0, rest)
                };
                let bytes = if as_text {
                    value.as_bytes().to_vec()
                } else {
                    hex(value)?
                };
                if bytes.is_empty() || bytes.len() > MAX_ID_LEN {
                    return Err(format!("id {text:?}: 1 to {MAX_ID_LEN} octets"));
                }
                let prefix = if with_number {
                    if kind.starts_with("linklayer") {
                        u16::try_from(prefix)
                            .map_err(|_| format!("id {text:?}: link-layer type is 16 bits"))?
                            .to_be_bytes()
                            .to_vec()
                    } else {
                        prefix.to_be_bytes().to_vec()
                    }
                } else {
                    Vec::new()
                };
                Ok((prefix, bytes))
            };
        let (id_kind, (prefix, value)) = match kind {
            "duid" => (IdKind::Duid, value_and_prefix(false, false)?),
            "interface-id" => (IdKind::InterfaceId, value_and_prefix(false, false)?),
            "interface-id-str" => (IdKind::InterfaceId, value_and_prefix(false, true)?),
            "remote-id" => (IdKind::RemoteId, value_and_prefix(true, false)?),
            "remote-id-str" => (IdKind::RemoteId, value_and_prefix(true, true)?),
            "subscriber-id" => (IdKind::SubscriberId, value_and_prefix(false, false)?),
            "subscriber-id-str" => (IdKind::SubscriberId, value_and_prefix(false, true)?),
            "linklayer-id" => (IdKind::LinkLayer, value_and_prefix(true, false)?),
            "linklayer-id-str" => (IdKind::LinkLayer, value_and_prefix(true, true)?),
            "hw-address" => (IdKind::HwAddress, value_and_prefix(false, false)?),
            "client-id" => (IdKind::ClientId, value_and_prefix(false, false)?),
            "circuit-id" => (IdKind::CircuitId, value_and_prefix(false, false)?),
            "circuit-id-str" => (IdKind::CircuitId, value_and_prefix(false, true)?),
            "agent-remote-id" => (IdKind::AgentRemoteId, value_and_prefix(false, false)?),
            "agent-remote-id-str" => (IdKind::AgentRemoteId, value_and_prefix(false, true)?),
            other => return Err(format!("id {text:?}: unknown type {other:?}")),
        };
        if id_kind == IdKind::Duid && value.len() < 3 {
            return Err(format!("id {text:?}: a DUID is at least 3 octets"));
        }
        if id_kind == IdKind::HwAddress && value.len() != 6 {
            return Err(format!("id {text:?}: a hardware address is 6 octets"));
        }
        let key =
            id_key(id_kind, &prefix, &value).ok_or_else(|| format!("id {text:?}: too long"))?;
        Ok(ReservationId(key.to_vec()))
    }

    /// Which protocol's clients the id names.
    pub fn family(&self) -> Family {
        if self.0[0] >= IdKind::HwAddress as u8 {
            Family::V4
        } else {
            Family::V6
        }
    }
}

impl fmt::Display for ReservationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hexed = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let (kind, rest) = (self.0[0], &self.0[1..]);
        match kind {
            1 => write!(f, "duid:{}", hexed(rest)),
            2 => write!(f, "interface-id:{}", hexed(rest)),
            3 => write!(
                f,
                "remote-id:{}:{}",
                u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]),
                hexed(&rest[4..])
            ),
            4 => write!(f, "subscriber-id:{}", hexed(rest)),
            6 => write!(f, "hw-address:{}", crate::views::mac(rest)),
            7 => write!(f, "client-id:{}", hexed(rest)),
            8 => write!(f, "circuit-id:{}", hexed(rest)),
            9 => write!(f, "agent-remote-id:{}", hexed(rest)),
            _ => write!(
                f,
                "linklayer-id:{}:{}",
                u16::from_be_bytes([rest[0], rest[1]]),
                hexed(&rest[2..])
            ),
        }
    }
}

/// What a reservation gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub address: Option<Ipv6Addr>,
    /// A DHCPv4 client's address.
    pub address4: Option<Ipv4Addr>,
    pub prefix: Option<(Ipv6Addr, u8)>,
    /// Options for this client, over its link's and the server's (set by
    /// `dhcp6-server option ... reservation <id>`).
    pub options: OptionTable,
}

impl Reservation {
    /// The reserved resource of an IA kind, as (resource, length).
    pub fn resource(&self, kind: ResourceKind) -> Option<(u128, u8)> {
        match kind {
            ResourceKind::Na => self.address.map(|a| (u128::from_be_bytes(a.octets()), 128)),
            ResourceKind::Pd => self
                .prefix
                .map(|(p, l)| (u128::from_be_bytes(p.octets()), l)),
            ResourceKind::Ipv4 => self.address4.map(|a| (ipv4_resource(a), 32)),
        }
    }
}

/// All reservations, with the set of reserved resources that dynamic
/// allocation must leave alone.
#[derive(Debug, Clone, Default)]
pub struct Reservations {
    by_id: HashMap<ReservationId, Reservation>,
    reserved: HashSet<(ResourceKind, u128)>,
}

fn parse_prefix(text: &str) -> Result<(Ipv6Addr, u8), String> {
    let (a, l) = text
        .split_once('/')
        .ok_or_else(|| format!("prefix {text:?}: expected <address>/<length>"))?;
    let addr: Ipv6Addr = a
        .parse()
        .map_err(|_| format!("prefix {text:?}: bad address"))?;
    let len: u8 = l
        .parse()
        .ok()
        .filter(|l| (1..=128).contains(l))
        .ok_or_else(|| format!("prefix {text:?}: bad length"))?;
    if u128::from_be_bytes(addr.octets()) & !prefix_mask(len) != 0 {
        return Err(format!("prefix {text:?}: host bits are set"));
    }
    Ok((addr, len))
}

fn parse_address(text: &str) -> Result<Ipv6Addr, String> {
    let a: Ipv6Addr = text
        .parse()
        .map_err(|_| format!("address {text:?}: not an IPv6 address"))?;
    if a.is_unspecified() || a.is_multicast() || a.is_loopback() || a.is_unicast_link_local() {
        return Err(format!(
            "address {a}: not a global or unique-local unicast address"
        ));
    }
    Ok(a)
}

impl Reservation {
    /// From the address and prefix columns: for a DHCPv6 id either may be
    /// empty, not both; for a DHCPv4 id, an IPv4 address and no prefix.
    pub fn parse(id: &ReservationId, address: &str, prefix: &str) -> Result<Self, String> {
        let (address, prefix) = (address.trim(), prefix.trim());
        if id.family() == Family::V4 {
            let a: Ipv4Addr = address
                .parse()
                .map_err(|_| format!("address {address:?}: not an IPv4 address"))?;
            if a.is_unspecified() || a.is_multicast() || a.is_broadcast() || a.is_loopback() {
                return Err(format!("address {a}: not a unicast address"));
            }
            if !prefix.is_empty() {
                return Err(format!("{id}: a DHCPv4 reservation has no prefix"));
            }
            return Ok(Reservation {
                address: None,
                address4: Some(a),
                prefix: None,
                options: OptionTable::default(),
            });
        }
        let r = Reservation {
            options: OptionTable::default(),
            address4: None,
            address: (!address.is_empty())
                .then(|| parse_address(address))
                .transpose()?,
            prefix: (!prefix.is_empty())
                .then(|| parse_prefix(prefix))
                .transpose()?,
        };
        if r.address.is_none() && r.prefix.is_none() {
            return Err("a reservation needs an address, a prefix or both".into());
        }
        Ok(r)
    }
}

impl Reservations {
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Adds or replaces one (a replaced one's options stay); refused if its
    /// address or prefix is another client's reservation.
    pub fn insert(&mut self, id: ReservationId, mut r: Reservation) -> Result<(), String> {
        for kind in ResourceKind::ALL {
            if let Some(res) = r.resource(kind) {
                let taken = self
                    .by_id
                    .iter()
                    .any(|(other, o)| *other != id && o.resource(kind).map(|x| x.0) == Some(res.0));
                if taken {
                    let what = r
                        .address4
                        .filter(|_| kind == ResourceKind::Ipv4)
                        .map_or_else(
                            || Ipv6Addr::from(res.0.to_be_bytes()).to_string(),
                            |a| a.to_string(),
                        );
                    return Err(format!("{what} is reserved for another client"));
                }
            }
        }
        if let Some(old) = self.by_id.get(&id) {
            if r.options.is_empty() {
                r.options = old.options.clone();
            }
        }
        self.remove(&id);
        for kind in ResourceKind::ALL {
            if let Some((res, _)) = r.resource(kind) {
                self.reserved.insert((kind, res));
            }
        }
        self.by_id.insert(id, r);
        Ok(())
    }

    pub fn remove(&mut self, id: &ReservationId) -> bool {
        match self.by_id.remove(id) {
            Some(old) => {
                for kind in ResourceKind::ALL {
                    if let Some((res, _)) = old.resource(kind) {
                        self.reserved.remove(&(kind, res));
                    }
                }
                true
            }
            None => false,
        }
    }

    /// The options of one reservation, to change them.
    pub fn options_mut(&mut self, id: &ReservationId) -> Option<&mut OptionTable> {
        self.by_id.get_mut(id).map(|r| &mut r.options)
    }

    /// Replaces the reservations of `loaded`'s family with `loaded`; the
    /// options the CLI set for ids in both are kept (a reload keeps them).
    pub fn replace_family(&mut self, family: Family, mut loaded: Reservations) {
        for (id, r) in loaded.by_id.iter_mut() {
            if let Some(o) = self.by_id.get(id) {
                r.options = o.options.clone();
            }
        }
        let others: Vec<_> = self
            .by_id
            .iter()
            .filter(|(id, _)| id.family() != family)
            .map(|(id, r)| (id.clone(), r.clone()))
            .collect();
        for (id, r) in others {
            // Different id kinds and resource kinds: no conflict possible.
            let _ = loaded.insert(id, r);
        }
        *self = loaded;
    }

    /// How many reservations a family has.
    pub fn count(&self, family: Family) -> usize {
        self.by_id.keys().filter(|id| id.family() == family).count()
    }

    /// The reservation for a key built with `id_key` (no allocation).
    pub fn find(&self, key: &[u8]) -> Option<&Reservation> {
        self.by_id.get(key)
    }

    pub fn is_reserved(&self, kind: ResourceKind, resource: u128) -> bool {
        self.reserved.contains(&(kind, resource))
    }

    pub fn reserved_set(&self) -> &HashSet<(ResourceKind, u128)> {
        &self.reserved
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ReservationId, &Reservation)> {
        self.by_id.iter()
    }

    /// Reads DHCPKit's CSV: a header naming the columns `id`, `address` and
    /// `prefix` (any order), then one reservation a line. Refuses the whole
    /// file, naming the line, on the first error.
    pub fn from_csv(family: Family, text: &str) -> Result<Self, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let (_, header) = lines
            .next()
            .ok_or("empty file: expected a header id,address,prefix")?;
        let cols: Vec<String> = header
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let col = |name: &str| cols.iter().position(|c| c == name);
        let id_col = col("id").ok_or("line 1: the header has no `id` column")?;
        let (addr_col, prefix_col) = (col("address"), col("prefix"));
        if addr_col.is_none() && prefix_col.is_none() {
            return Err("line 1: the header has neither an `address` nor a `prefix` column".into());
        }
        let mut out = Reservations::default();
        for (n, line) in lines {
            let fields: Vec<&str> = line.split(',').collect();
            let get = |c: Option<usize>| c.and_then(|i| fields.get(i)).copied().unwrap_or("");
            let at = |e: String| format!("line {}: {e}", n + 1);
            let id = ReservationId::parse(get(Some(id_col))).map_err(at)?;
            if id.family() != family {
                return Err(at(format!("{id} is not a {} client id", family.name())));
            }
            let r = Reservation::parse(&id, get(addr_col), get(prefix_col)).map_err(at)?;
            if out.by_id.contains_key(&id) {
                return Err(at(format!("{id} appears twice")));
            }
            out.insert(id, r).map_err(at)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_dhcpkit_notation() {
        let d = ReservationId::parse("duid:000300010a0b0c0d0e0f").unwrap();
        assert_eq!(
            d.0,
            [&[1u8][..], &[0, 3, 0, 1, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf]].concat()
        );
        assert_eq!(d.to_string(), "duid:000300010a0b0c0d0e0f");
        assert_eq!(
            ReservationId::parse("interface-id-str:port7").unwrap().0,
            b"\x02port7"
        );
        assert_eq!(
            ReservationId::parse("interface-id:706f727437").unwrap(),
            ReservationId::parse("interface-id-str:port7").unwrap()
        );
        let r = ReservationId::parse("remote-id-str:9:abc").unwrap();
        assert_eq!(r.0, b"\x03\x00\x00\x00\x09abc");
        let l = ReservationId::parse("linklayer-id:1:020000000001").unwrap();
        assert_eq!(l.0, [5u8, 0, 1, 2, 0, 0, 0, 0, 1]);
        assert_eq!(
            ReservationId::parse("subscriber-id-str:cust1").unwrap().0,
            b"\x04cust1"
        );
        for bad in [
            "duid",
            "duid:zz",
            "duid:01",
            "bogus:00",
            "remote-id:x:00",
            "linklayer-id:70000:00",
            "interface-id-str:",
        ] {
            assert!(ReservationId::parse(bad).is_err(), "{bad}");
        }
        // The request side builds the same key without allocating.
        assert_eq!(
            &id_key(IdKind::RemoteId, &9u32.to_be_bytes(), b"abc").unwrap()[..],
            &r.0[..]
        );
    }

    #[test]
    fn csv_in_dhcpkit_format() {
        let csv = "id,address,prefix\n\
                   duid:000300010a0b0c0d0e0f,2001:db8:1::10,\n\
                   interface-id-str:port7,,2001:db8:200::/56\n\
                   # a comment\n\
                   remote-id-str:9:abc,2001:db8:1::11,2001:db8:201::/56\n";
        let r = Reservations::from_csv(Family::V6, csv).unwrap();
        assert_eq!(r.len(), 3);
        let key = id_key(IdKind::InterfaceId, &[], b"port7").unwrap();
        assert_eq!(
            r.find(&key).unwrap().prefix,
            Some(("2001:db8:200::".parse().unwrap(), 56))
        );
        assert!(r.is_reserved(
            ResourceKind::Na,
            u128::from_be_bytes("2001:db8:1::10".parse::<Ipv6Addr>().unwrap().octets())
        ));
        let swapped = "prefix,id\n2001:db8:300::/56,duid:000300010a0b0c0d0e0f\n";
        assert_eq!(
            Reservations::from_csv(Family::V6, swapped).unwrap().len(),
            1
        );
    }

    #[test]
    fn csv_errors_name_the_line_and_keep_nothing() {
        let cases = [
            ("", "empty file"),
            ("address,prefix\n", "no `id` column"),
            ("id\nduid:000300010a\n", "neither"),
            ("id,address\nduid:000300010a,not-an-address\n", "line 2"),
            (
                "id,address\nduid:000300010a,2001:db8::1\nduid:000300010b,2001:db8::1\n",
                "line 3: 2001:db8::1 is reserved",
            ),
            (
                "id,address\nduid:000300010a,2001:db8::1\nduid:000300010a,2001:db8::2\n",
                "appears twice",
            ),
            ("id,prefix\nduid:000300010a,2001:db8::1/56\n", "host bits"),
            ("id,address,prefix\nduid:000300010a,,\n", "needs an address"),
        ];
        for (csv, want) in cases {
            let e = Reservations::from_csv(Family::V6, csv).unwrap_err();
            assert!(e.contains(want), "{csv:?}: {e}");
        }
    }

    #[test]
    fn dhcpv4_ids_and_reservations_live_beside_dhcpv6_ones() {
        let mac = ReservationId::parse("hw-address:02:00:00:00:00:01").unwrap();
        assert_eq!(mac.family(), Family::V4);
        assert_eq!(mac.to_string(), "hw-address:02:00:00:00:00:01");
        assert_eq!(
            ReservationId::parse("circuit-id-str:eth0/1").unwrap().0,
            b"\x08eth0/1"
        );
        assert!(ReservationId::parse("hw-address:0200").is_err());
        assert!(
            Reservation::parse(&mac, "2001:db8::1", "").is_err(),
            "an IPv4 address"
        );
        assert!(Reservation::parse(&mac, "192.0.2.9", "192.0.2.0/24").is_err());
        let mut table = Reservations::from_csv(
            Family::V6,
            "id,address\nduid:000300010a0b0c0d0e0f,2001:db8:1::10\n",
        )
        .unwrap();
        let v4 = Reservations::from_csv(
            Family::V4,
            "id,address\nhw-address:020000000001,192.0.2.10\nclient-id:01020000000002,192.0.2.11\n",
        )
        .unwrap();
        table.replace_family(Family::V4, v4);
        assert_eq!((table.count(Family::V6), table.count(Family::V4)), (1, 2));
        assert!(table.is_reserved(
            ResourceKind::Ipv4,
            ipv4_resource("192.0.2.10".parse().unwrap())
        ));
        // A reload of one family leaves the other alone.
        table.replace_family(Family::V4, Reservations::default());
        assert_eq!((table.count(Family::V6), table.count(Family::V4)), (1, 0));
        assert!(!table.is_reserved(
            ResourceKind::Ipv4,
            ipv4_resource("192.0.2.10".parse().unwrap())
        ));
        let e = Reservations::from_csv(Family::V4, "id,address\nduid:000300010a,192.0.2.1\n")
            .unwrap_err();
        assert!(
            e.contains("line 2") && e.contains("not a DHCPv4 client id"),
            "{e}"
        );
    }
}
