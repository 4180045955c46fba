//! DHCPv4's side of the configuration. A DHCPv4 link is an IPv4 subnet,
//! kept as its IPv4-mapped IPv6 prefix (`::ffff:192.0.2.0/120` for
//! 192.0.2.0/24) among the DHCPv6 links, so that links, pools, options,
//! reservations and the lease engine serve both protocols; what differs is
//! here: the interfaces DHCPv4 is served on, the subnet rules, one lease
//! time (RFC 2131 section 4.4.5's T1 and T2 defaults) and the pools placed
//! by a hash of the client's MAC (vppdhc's mode).

use core::net::Ipv4Addr;

use super::*;
use crate::leases::pool::ipv4_resource;

/// The IPv4-mapped prefix ::ffff:0:0/96 that DHCPv4 links live in.
const MAPPED_PREFIX: u128 = 0xffff_0000_0000;
const MAPPED_LEN: u8 = 96;
/// `pool <subnet> auto` keeps this share of the subnet for static use.
const AUTO_STATIC_PERCENT: u32 = 10;

/// A DHCPv4 link's prefix in the links table.
pub fn mapped_prefix(subnet: Ipv4Addr, len: u8) -> (Ipv6Addr, u8) {
    (subnet.to_ipv6_mapped(), MAPPED_LEN + len)
}

/// Whether a links-table prefix is a DHCPv4 subnet; its subnet if so.
pub fn subnet_of(prefix: Ipv6Addr, len: u8) -> Option<(Ipv4Addr, u8)> {
    let bits = u128::from_be_bytes(prefix.octets());
    (len >= MAPPED_LEN && bits >> 32 == MAPPED_PREFIX >> 32)
        .then(|| (Ipv4Addr::from(bits as u32), len - MAPPED_LEN))
}

/// A prefix as the operator wrote it: `192.0.2.0/24` for a DHCPv4 link.
pub fn prefix_text(prefix: Ipv6Addr, len: u8) -> String {
    match subnet_of(prefix, len) {
        Some((subnet, l)) => format!("{subnet}/{l}"),
        None => format!("{prefix}/{len}"),
    }
}

/// Whether a DHCPv6 prefix overlaps the IPv4-mapped space (refused: that
/// space holds the DHCPv4 links).
pub(super) fn overlaps_mapped(prefix: Ipv6Addr, len: u8) -> bool {
    let bits = u128::from_be_bytes(prefix.octets());
    let shorter = len.min(MAPPED_LEN);
    (bits ^ MAPPED_PREFIX) & prefix_mask(shorter) == 0
}

fn netmask(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

/// The knobs of `dhcp4-server link`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Link4Parameters {
    pub lease_time: Option<u32>,
    pub t1: Option<u32>,
    pub t2: Option<u32>,
    pub rapid_commit: Option<bool>,
    /// The IPv6 prefix of the link's DHCPv4-over-DHCPv6 clients.
    pub dhcp4o6_link: Option<(Ipv6Addr, u8)>,
    /// The link serves no DHCPv4-over-DHCPv6 clients any more.
    pub no_dhcp4o6_link: bool,
    /// `0.0.0.0`: the receiving interface's address again.
    pub server_id: Option<Ipv4Addr>,
}

impl LinkSettings {
    /// The link's IPv4 subnet, when it is a DHCPv4 link.
    pub fn subnet4(&self) -> Option<(Ipv4Addr, u8)> {
        subnet_of(self.prefix, self.prefix_len)
    }

    pub fn contains4(&self, addr: Ipv4Addr) -> bool {
        self.subnet4().is_some() && self.contains(&addr.to_ipv6_mapped())
    }

    /// DHCPv4 T1 and T2 in force: 0.5 and 0.875 of the lease time unless
    /// set (RFC 2131 section 4.4.5).
    pub fn timers4(&self) -> (u32, u32) {
        let lease = self.valid_lifetime;
        (
            self.t1.unwrap_or(lease / 2),
            self.t2.unwrap_or((u64::from(lease) * 7 / 8) as u32),
        )
    }

    /// The subnet's mask and broadcast address.
    pub fn mask_and_broadcast(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        let (subnet, len) = self.subnet4()?;
        let mask = netmask(len);
        Some((
            Ipv4Addr::from(mask),
            Ipv4Addr::from(u32::from(subnet) | !mask),
        ))
    }
}

impl ServerConfig {
    /// Whether DHCPv4 is served on an interface.
    pub fn interface4_enabled(&self, sw_if_index: u32) -> bool {
        self.interfaces4.contains(&sw_if_index)
    }

    pub fn enabled_interfaces4(&self) -> impl Iterator<Item = u32> + '_ {
        self.interfaces4.iter().copied()
    }

    pub fn enable_interface4(&mut self, sw_if_index: u32) -> Result<(), ConfigError> {
        if sw_if_index >= MAX_SW_IF_INDEX {
            return Err(ConfigError::SwIfIndexOutOfRange(sw_if_index));
        }
        if !self.interfaces4.contains(&sw_if_index) {
            self.interfaces4.push(sw_if_index);
            self.interfaces4.sort_unstable();
        }
        Ok(())
    }

    pub fn disable_interface4(&mut self, sw_if_index: u32) -> Result<(), ConfigError> {
        let before = self.interfaces4.len();
        self.interfaces4.retain(|i| *i != sw_if_index);
        if self.interfaces4.len() == before {
            return Err(ConfigError::NotEnabled(sw_if_index));
        }
        Ok(())
    }

    /// The DHCPv4 links.
    pub fn links4(&self) -> impl Iterator<Item = &LinkSettings> {
        self.links().iter().filter(|l| l.subnet4().is_some())
    }

    /// The DHCPv4 link an address is in (longest subnet).
    pub fn link_for4(&self, addr: Ipv4Addr) -> Option<&LinkSettings> {
        self.link_for(&addr.to_ipv6_mapped())
    }

    /// Creates a DHCPv4 link or changes its parameters.
    pub fn set_link4(
        &mut self,
        subnet: Ipv4Addr,
        len: u8,
        p: &Link4Parameters,
    ) -> Result<(), ConfigError> {
        let bad = len == 0
            || len > 32
            || u32::from(subnet) & !netmask(len) != 0
            || subnet.is_multicast()
            || subnet.is_loopback()
            || subnet.is_broadcast()
            || subnet.is_unspecified();
        if bad {
            return Err(ConfigError::BadSubnet(subnet, len));
        }
        let (prefix, plen) = mapped_prefix(subnet, len);
        let params = LinkParameters {
            preferred_lifetime: p.lease_time,
            valid_lifetime: p.lease_time,
            t1: p.t1,
            t2: p.t2,
            rapid_commit: p.rapid_commit,
            ..LinkParameters::default()
        };
        if let Some((p6, l6)) = p.dhcp4o6_link {
            self.check_dhcp4o6_link(prefix, plen, p6, l6)?;
        }
        if p.server_id
            .is_some_and(|a| a.is_multicast() || a.is_broadcast())
        {
            return Err(ConfigError::BadServerId(
                p.server_id.unwrap_or(Ipv4Addr::BROADCAST),
            ));
        }
        self.set_link_unchecked(prefix, plen, &params)?;
        let link = self.link_mut(prefix, plen)?;
        if p.no_dhcp4o6_link {
            link.dhcp4o6_link = None;
        }
        if let Some(l) = p.dhcp4o6_link {
            link.dhcp4o6_link = Some(l);
        }
        if let Some(id) = p.server_id {
            link.server_id4 = Some(id).filter(|a| !a.is_unspecified());
        }
        // T1 <= T2 <= lease time, with the DHCPv4 defaults.
        let (t1, t2) = link.timers4();
        if t1 > t2 || t2 > link.valid_lifetime {
            let lease = link.valid_lifetime;
            return Err(ConfigError::BadLifetimes(format!(
                "need t1 ({t1}) <= t2 ({t2}) <= lease time ({lease})"
            )));
        }
        Ok(())
    }

    /// A DHCPv4-over-DHCPv6 prefix: a real prefix outside the DHCPv4
    /// space, and no other DHCPv4 link's (which would make the choice of
    /// pool for its clients arbitrary).
    fn check_dhcp4o6_link(
        &self,
        link: Ipv6Addr,
        link_len: u8,
        prefix: Ipv6Addr,
        len: u8,
    ) -> Result<(), ConfigError> {
        let bits = u128::from_be_bytes(prefix.octets());
        if len > 128 || bits & !prefix_mask(len) != 0 || (len > 0 && overlaps_mapped(prefix, len)) {
            return Err(ConfigError::BadDhcp4o6Link(prefix, len));
        }
        let taken = self.links4().find(|l| {
            (l.prefix, l.prefix_len) != (link, link_len) && l.dhcp4o6_link == Some((prefix, len))
        });
        match taken {
            Some(other) => Err(ConfigError::Dhcp4o6LinkTaken(
                prefix_text(prefix, len),
                prefix_text(other.prefix, other.prefix_len),
            )),
            None => Ok(()),
        }
    }

    /// The DHCPv4 link of a DHCPv4-over-DHCPv6 client whose IPv6 link is
    /// named by `link_address` (longest 4o6 prefix holding it).
    pub fn link_for_4o6(&self, link_address: &Ipv6Addr) -> Option<&LinkSettings> {
        let addr = u128::from_be_bytes(link_address.octets());
        self.links4()
            .filter_map(|l| {
                let (p, len) = l.dhcp4o6_link?;
                let inside = addr & prefix_mask(len) == u128::from_be_bytes(p.octets());
                inside.then_some((len, l))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, l)| l)
    }

    pub fn remove_link4(&mut self, subnet: Ipv4Addr, len: u8) -> Result<(), ConfigError> {
        let (prefix, plen) = mapped_prefix(subnet, len);
        self.remove_link(prefix, plen)
    }

    /// Adds an address range to a DHCPv4 link; `hashed`: clients are placed
    /// by a hash of their MAC.
    pub fn add_pool4(
        &mut self,
        subnet: Ipv4Addr,
        len: u8,
        first: Ipv4Addr,
        last: Ipv4Addr,
        hashed: bool,
    ) -> Result<(), ConfigError> {
        let (prefix, plen) = mapped_prefix(subnet, len);
        let spec = PoolSpec::Ipv4Addresses { first, last };
        self.add_pool(prefix, plen, spec)?;
        if hashed {
            self.link_mut(prefix, plen)?.hashed.push(spec);
        }
        Ok(())
    }

    /// `pool <subnet> auto`: the link (created if need be) gets a pool of
    /// the subnet past its first 10% (kept for static use), without the
    /// network and broadcast addresses, placed by MAC hash.
    pub fn add_auto_pool4(&mut self, subnet: Ipv4Addr, len: u8) -> Result<(), ConfigError> {
        if len > 30 {
            return Err(ConfigError::BadPool(format!(
                "auto pool {subnet}/{len}: the subnet is too small (at most /30)"
            )));
        }
        if self
            .link_mut(mapped_prefix(subnet, len).0, MAPPED_LEN + len)
            .is_err()
        {
            self.set_link4(subnet, len, &Link4Parameters::default())?;
        }
        let size = 1u32 << (32 - len);
        let first = u32::from(subnet) + 1 + size * AUTO_STATIC_PERCENT / 100;
        let last = u32::from(subnet) + size - 2;
        self.add_pool4(subnet, len, first.into(), last.into(), true)
    }

    pub fn remove_pool4(
        &mut self,
        subnet: Ipv4Addr,
        len: u8,
        first: Ipv4Addr,
        last: Ipv4Addr,
    ) -> Result<(), ConfigError> {
        let (prefix, plen) = mapped_prefix(subnet, len);
        let spec = PoolSpec::Ipv4Addresses { first, last };
        self.remove_pool(prefix, plen, &spec)?;
        self.link_mut(prefix, plen)?.hashed.retain(|p| *p != spec);
        Ok(())
    }

    /// Where a client of a hashed pool is placed: its MAC's hash, folded
    /// into the pool (a hint; the lease engine checks it is free).
    pub fn hashed_hint(link: &LinkSettings, mac: &[u8]) -> Option<(u128, u8)> {
        let PoolSpec::Ipv4Addresses { first, last } = *link.hashed.first()? else {
            return None;
        };
        // FNV-1a: stable across runs and builds, so a client keeps its
        // place across restarts even without its lease.
        let hash = mac.iter().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
        });
        let span = u32::from(last) - u32::from(first) + 1;
        Some((
            ipv4_resource(Ipv4Addr::from(u32::from(first) + hash % span)),
            32,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn a_subnet_is_kept_as_its_mapped_prefix_and_shown_as_itself() {
        let (p, l) = mapped_prefix(ip4("192.0.2.0"), 24);
        assert_eq!((p.to_string().as_str(), l), ("::ffff:192.0.2.0", 120));
        assert_eq!(subnet_of(p, l), Some((ip4("192.0.2.0"), 24)));
        assert_eq!(prefix_text(p, l), "192.0.2.0/24");
        assert_eq!(subnet_of("2001:db8::".parse().unwrap(), 64), None);
        assert!(overlaps_mapped("::".parse().unwrap(), 0));
        assert!(overlaps_mapped("::ffff:10.0.0.0".parse().unwrap(), 104));
        assert!(!overlaps_mapped("2001:db8::".parse().unwrap(), 32));
    }

    #[test]
    fn links_pools_and_timers() {
        let mut c = ServerConfig::new();
        let subnet = ip4("192.0.2.0");
        c.set_link4(subnet, 24, &Link4Parameters::default())
            .unwrap();
        let link = c.link_for4(ip4("192.0.2.77")).unwrap();
        assert_eq!(link.timers4(), (3600, 6300));
        assert_eq!(
            link.mask_and_broadcast(),
            Some((ip4("255.255.255.0"), ip4("192.0.2.255")))
        );
        assert!(c.link_for4(ip4("198.51.100.1")).is_none());
        c.add_pool4(subnet, 24, ip4("192.0.2.100"), ip4("192.0.2.199"), false)
            .unwrap();
        let outside = c.add_pool4(subnet, 24, ip4("198.51.100.1"), ip4("198.51.100.9"), false);
        assert!(outside.is_err());
        for (s, l) in [
            ("192.0.2.1", 24),
            ("224.0.0.0", 8),
            ("192.0.2.0", 33),
            ("0.0.0.0", 8),
        ] {
            assert!(
                c.set_link4(ip4(s), l, &Link4Parameters::default()).is_err(),
                "{s}/{l}"
            );
        }
        let long_t1 = Link4Parameters {
            lease_time: Some(600),
            t1: Some(700),
            ..Default::default()
        };
        assert!(c.set_link4(subnet, 24, &long_t1).is_err());
        // DHCPv6 links stay out of the mapped space.
        assert!(c
            .set_link(
                "::ffff:10.0.0.0".parse().unwrap(),
                104,
                &LinkParameters::default()
            )
            .is_err());
        assert_eq!(c.links4().count(), 1);
    }

    #[test]
    fn an_auto_pool_keeps_the_first_tenth_and_places_by_mac() {
        let mut c = ServerConfig::new();
        c.add_auto_pool4(ip4("10.0.0.0"), 24).unwrap();
        let link = c.link_for4(ip4("10.0.0.1")).unwrap();
        assert_eq!(
            link.pools,
            [PoolSpec::Ipv4Addresses {
                first: ip4("10.0.0.26"),
                last: ip4("10.0.0.254")
            }]
        );
        let a = ServerConfig::hashed_hint(link, &[2, 0, 0, 0, 0, 1]).unwrap();
        let b = ServerConfig::hashed_hint(link, &[2, 0, 0, 0, 0, 1]).unwrap();
        let other = ServerConfig::hashed_hint(link, &[2, 0, 0, 0, 0, 2]).unwrap();
        assert_eq!(a, b, "stable");
        assert_ne!(a, other);
        assert!(link.pools[0].index_of(a.0, 32).is_some());
        assert!(c.add_auto_pool4(ip4("10.0.1.0"), 31).is_err());
    }

    #[test]
    fn a_dhcp4o6_link_picks_the_link_of_its_clients() {
        let mut c = ServerConfig::new();
        let v6 = |s: &str| -> Ipv6Addr { s.parse().unwrap() };
        let four_o_six = |p: &str, len| Link4Parameters {
            dhcp4o6_link: Some((v6(p), len)),
            ..Default::default()
        };
        c.set_link4(ip4("192.0.2.0"), 24, &four_o_six("2001:db8::", 32))
            .unwrap();
        c.set_link4(ip4("198.51.100.0"), 24, &four_o_six("2001:db8:5::", 48))
            .unwrap();
        let subnet = |c: &ServerConfig, a: &str| c.link_for_4o6(&v6(a)).and_then(|l| l.subnet4());
        assert_eq!(subnet(&c, "2001:db8:5::1"), Some((ip4("198.51.100.0"), 24)));
        assert_eq!(subnet(&c, "2001:db8:6::1"), Some((ip4("192.0.2.0"), 24)));
        assert_eq!(subnet(&c, "2001:db9::1"), None);
        // Another link's prefix, host bits, the DHCPv4 space: refused, and
        // the link keeps its own; setting its own again is fine.
        for (p, len) in [("2001:db8::", 32), ("2001:db8::1", 64), ("::ffff:0:0", 96)] {
            let bad = c.set_link4(ip4("198.51.100.0"), 24, &four_o_six(p, len));
            assert!(bad.is_err(), "{p}/{len}");
        }
        c.set_link4(ip4("198.51.100.0"), 24, &four_o_six("2001:db8:5::", 48))
            .unwrap();
        let off = Link4Parameters {
            no_dhcp4o6_link: true,
            server_id: Some(ip4("198.51.100.1")),
            ..Default::default()
        };
        c.set_link4(ip4("198.51.100.0"), 24, &off).unwrap();
        assert_eq!(subnet(&c, "2001:db8:5::1"), Some((ip4("192.0.2.0"), 24)));
        let link = c.link_for4(ip4("198.51.100.1")).unwrap();
        assert_eq!(link.server_id4, Some(ip4("198.51.100.1")));
    }

    #[test]
    fn interfaces_are_enabled_once() {
        let mut c = ServerConfig::new();
        c.enable_interface4(3).unwrap();
        c.enable_interface4(3).unwrap();
        assert!(c.interface4_enabled(3));
        assert_eq!(c.enabled_interfaces4().collect::<Vec<_>>(), [3]);
        c.disable_interface4(3).unwrap();
        assert!(c.disable_interface4(3).is_err());
    }
}
