//! Links (a prefix, its lifetimes and options) and their pools.

use super::*;

/// A link: the prefix that identifies it (matched against an interface's or
/// a relay's link-address), its pools and what leases on it get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSettings {
    pub prefix: Ipv6Addr,
    pub prefix_len: u8,
    pub pools: Vec<PoolSpec>,
    pub preferred_lifetime: u32,
    pub valid_lifetime: u32,
    /// None: 0.5 and 0.8 of the preferred lifetime.
    pub t1: Option<u32>,
    pub t2: Option<u32>,
    /// Answer a Solicit carrying Rapid Commit with a Reply.
    pub rapid_commit: bool,
    /// Preference option in Advertise, if set.
    pub preference: Option<u8>,
    /// Options for clients on this link (over the server-wide ones).
    pub options: OptionTable,
    /// Relayed clients are on this link when the relay closest to them
    /// sends this Interface-ID, or has this address (see `link_for_relayed`).
    pub interface_id: Option<Vec<u8>>,
    pub relay_address: Option<Ipv6Addr>,
    /// The Server Unicast option (12) offered to this link's clients, over
    /// the receiving interface's.
    pub server_unicast: Option<Ipv6Addr>,
    /// Prefix pools with an excluded prefix (RFC 6603): its bits past the
    /// delegated length are excluded from every prefix of the pool.
    pub excludes: Vec<(PoolSpec, Ipv6Addr, u8)>,
    /// DHCPv4 pools whose clients are placed by a hash of their MAC.
    pub hashed: Vec<PoolSpec>,
    /// Prefix pools made of a prefix group's prefix (the pool in force is
    /// among `pools` too).
    pub group_pools: Vec<super::GroupPool>,
    /// A DHCPv4 link serves the DHCPv4-over-DHCPv6 clients (RFC 7341)
    /// whose IPv6 link-address falls in this prefix.
    pub dhcp4o6_link: Option<(Ipv6Addr, u8)>,
    /// A DHCPv4 link's Server Identifier, over the receiving interface's
    /// IPv4 address.
    pub server_id4: Option<core::net::Ipv4Addr>,
    /// Index of this link's first pool in `ServerConfig::all_pools`.
    first_pool: usize,
}

/// The knobs of `dhcp6-server link`: lifetimes, timers, and how relayed
/// clients are placed on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkParameters {
    /// Empty: no Interface-ID selects the link any more.
    pub interface_id: Option<Vec<u8>>,
    /// `::`: no relay address selects it any more.
    pub relay_address: Option<Ipv6Addr>,
    /// `::`: the link offers no Server Unicast of its own any more.
    pub server_unicast: Option<Ipv6Addr>,
    pub preferred_lifetime: Option<u32>,
    pub valid_lifetime: Option<u32>,
    pub t1: Option<u32>,
    pub t2: Option<u32>,
    pub rapid_commit: Option<bool>,
    pub preference: Option<u8>,
}

impl LinkSettings {
    pub(super) fn new(prefix: Ipv6Addr, prefix_len: u8) -> Self {
        LinkSettings {
            prefix,
            prefix_len,
            pools: Vec::new(),
            preferred_lifetime: DEFAULT_PREFERRED_LIFETIME,
            valid_lifetime: DEFAULT_VALID_LIFETIME,
            t1: None,
            t2: None,
            rapid_commit: false,
            preference: None,
            options: OptionTable::default(),
            interface_id: None,
            relay_address: None,
            server_unicast: None,
            excludes: Vec::new(),
            hashed: Vec::new(),
            group_pools: Vec::new(),
            dhcp4o6_link: None,
            server_id4: None,
            first_pool: 0,
        }
    }

    /// The excluded prefix of a delegated prefix, if its pool has one.
    pub fn exclude_for(&self, resource: u128, len: u8) -> Option<(u128, u8)> {
        self.excludes.iter().find_map(|(spec, at, ex_len)| {
            spec.index_of(resource, len)?;
            let subnet =
                u128::from_be_bytes(at.octets()) & !prefix_mask(len) & prefix_mask(*ex_len);
            Some((resource | subnet, *ex_len))
        })
    }

    /// Positions of this link's pools in `ServerConfig::all_pools`.
    pub fn pool_positions(&self) -> core::ops::Range<usize> {
        self.first_pool..self.first_pool + self.pools.len()
    }

    pub fn contains(&self, addr: &Ipv6Addr) -> bool {
        let mask = prefix_mask(self.prefix_len);
        u128::from_be_bytes(addr.octets()) & mask == u128::from_be_bytes(self.prefix.octets())
    }

    /// T1 and T2 in force.
    pub fn timers(&self) -> (u32, u32) {
        (
            self.t1.unwrap_or(self.preferred_lifetime / 2),
            self.t2.unwrap_or(self.preferred_lifetime / 5 * 4),
        )
    }

    pub(super) fn apply(&mut self, p: &LinkParameters) -> Result<(), ConfigError> {
        let mut next = self.clone();
        if let Some(v) = p.preferred_lifetime {
            next.preferred_lifetime = v;
        }
        if let Some(v) = p.valid_lifetime {
            next.valid_lifetime = v;
        }
        if p.t1.is_some() {
            next.t1 = p.t1;
        }
        if p.t2.is_some() {
            next.t2 = p.t2;
        }
        if let Some(v) = p.rapid_commit {
            next.rapid_commit = v;
        }
        if p.preference.is_some() {
            next.preference = p.preference;
        }
        if let Some(id) = &p.interface_id {
            next.interface_id = (!id.is_empty()).then(|| id.clone());
        }
        if let Some(a) = p.relay_address {
            next.relay_address = (!a.is_unspecified()).then_some(a);
        }
        if let Some(a) = p.server_unicast {
            next.server_unicast = (!a.is_unspecified()).then_some(a);
            if let Some(a) = next.server_unicast {
                check_server_unicast(a)?;
            }
        }
        let (t1, t2) = next.timers();
        if next.preferred_lifetime == 0 || next.valid_lifetime == 0 {
            return Err(ConfigError::BadLifetimes(
                "lifetimes must be above 0".into(),
            ));
        }
        if next.preferred_lifetime > next.valid_lifetime {
            return Err(ConfigError::BadLifetimes(format!(
                "preferred lifetime {} is above the valid lifetime {}",
                next.preferred_lifetime, next.valid_lifetime
            )));
        }
        if t1 > t2 || t2 > next.preferred_lifetime {
            return Err(ConfigError::BadLifetimes(format!(
                "need t1 ({t1}) <= t2 ({t2}) <= preferred lifetime ({})",
                next.preferred_lifetime
            )));
        }
        *self = next;
        Ok(())
    }
}

impl ServerConfig {
    pub fn links(&self) -> &[LinkSettings] {
        &self.links
    }

    /// Kea's `subnet_id` for a lease of `resource`/`len`: the 1-based
    /// position of the first link whose prefix or one of whose pools holds
    /// it; 0 when none does.
    pub fn subnet_id_of(&self, resource: u128, len: u8) -> u32 {
        let addr = Ipv6Addr::from(resource.to_be_bytes());
        self.links
            .iter()
            .position(|link| {
                link.contains(&addr)
                    || link
                        .pools
                        .iter()
                        .any(|p| p.index_of(resource, len).is_some())
            })
            .map_or(0, |i| i as u32 + 1)
    }

    /// Recomputes each link's position in `all_pools` after a change.
    pub(super) fn reindex_pools(&mut self) {
        let mut at = 0;
        for link in &mut self.links {
            link.first_pool = at;
            at += link.pools.len();
        }
    }

    /// The link an address belongs to (longest prefix match).
    pub fn link_for(&self, addr: &Ipv6Addr) -> Option<&LinkSettings> {
        self.links
            .iter()
            .filter(|l| l.contains(addr))
            .max_by_key(|l| l.prefix_len)
    }

    /// The link of a relayed client (RFC 8415 leaves the rule to the
    /// server; this is Kea's order): a link named by the Interface-ID of
    /// the relay closest to the client, else by that relay's address, else
    /// the one holding the innermost non-zero link-address (a Lightweight
    /// DHCPv6 Relay Agent, RFC 6221, sends `::`).
    pub fn link_for_relayed(
        &self,
        interface_id: Option<&[u8]>,
        relay_address: Option<Ipv6Addr>,
        link_address: &Ipv6Addr,
    ) -> Option<&LinkSettings> {
        let by_id = interface_id.and_then(|id| {
            self.links
                .iter()
                .find(|l| l.interface_id.as_deref() == Some(id))
        });
        let by_relay =
            || relay_address.and_then(|a| self.links.iter().find(|l| l.relay_address == Some(a)));
        by_id
            .or_else(by_relay)
            .or_else(|| self.link_for(link_address))
    }

    /// Every pool of every link, in link order: the pools the lease engine
    /// allocates from.
    pub fn all_pools(&self) -> impl Iterator<Item = &PoolSpec> {
        self.links.iter().flat_map(|l| l.pools.iter())
    }

    pub(super) fn link_mut(
        &mut self,
        prefix: Ipv6Addr,
        len: u8,
    ) -> Result<&mut LinkSettings, ConfigError> {
        self.links
            .iter_mut()
            .find(|l| l.prefix == prefix && l.prefix_len == len)
            .ok_or(ConfigError::NoSuchLink(prefix, len))
    }

    /// Gives a prefix pool of a link an excluded prefix (RFC 6603), or
    /// takes it away (`None`).
    pub fn set_pool_exclude(
        &mut self,
        link: Ipv6Addr,
        link_len: u8,
        spec: &PoolSpec,
        exclude: Option<(Ipv6Addr, u8)>,
    ) -> Result<(), ConfigError> {
        let l = self.link_mut(link, link_len)?;
        let PoolSpec::Prefixes { delegated_len, .. } = *spec else {
            return Err(ConfigError::BadPool(
                "only a prefix pool has an excluded prefix".into(),
            ));
        };
        if !l.pools.contains(spec) {
            return Err(ConfigError::BadPool(format!("no pool {spec} on this link")));
        }
        l.excludes.retain(|(s, _, _)| s != spec);
        if let Some((at, len)) = exclude {
            if len <= delegated_len || len > 128 {
                return Err(ConfigError::BadPool(format!(
                    "exclude-prefix {at}/{len}: longer than the delegated length ({delegated_len}), at most 128"
                )));
            }
            l.excludes.push((*spec, at, len));
        }
        Ok(())
    }

    /// Creates a link or changes its parameters.
    pub fn set_link(
        &mut self,
        prefix: Ipv6Addr,
        len: u8,
        params: &LinkParameters,
    ) -> Result<(), ConfigError> {
        let bits = u128::from_be_bytes(prefix.octets());
        if len == 0
            || len > 128
            || bits & !prefix_mask(len) != 0
            || prefix.is_multicast()
            || prefix.is_unicast_link_local()
            || super::v4::overlaps_mapped(prefix, len)
        {
            return Err(ConfigError::BadLinkPrefix(prefix, len));
        }
        self.set_link_unchecked(prefix, len, params)
    }

    /// `set_link` for a prefix already checked (DHCPv4's mapped subnets).
    pub(super) fn set_link_unchecked(
        &mut self,
        prefix: Ipv6Addr,
        len: u8,
        params: &LinkParameters,
    ) -> Result<(), ConfigError> {
        if let Ok(link) = self.link_mut(prefix, len) {
            return link.apply(params);
        }
        if self.links.len() >= MAX_LINKS {
            return Err(ConfigError::TooManyLinks);
        }
        let mut link = LinkSettings::new(prefix, len);
        link.apply(params)?;
        self.links.push(link);
        self.reindex_pools();
        Ok(())
    }

    pub fn remove_link(&mut self, prefix: Ipv6Addr, len: u8) -> Result<(), ConfigError> {
        let before = self.links.len();
        self.links
            .retain(|l| !(l.prefix == prefix && l.prefix_len == len));
        if self.links.len() == before {
            return Err(ConfigError::NoSuchLink(prefix, len));
        }
        self.reindex_pools();
        Ok(())
    }

    /// Adds a pool to a link; refused if invalid or overlapping any pool.
    pub fn add_pool(
        &mut self,
        prefix: Ipv6Addr,
        len: u8,
        pool: PoolSpec,
    ) -> Result<(), ConfigError> {
        pool.validate().map_err(ConfigError::BadPool)?;
        if let Some(other) = self.all_pools().find(|p| p.overlaps(&pool)) {
            return Err(ConfigError::PoolOverlap(pool, *other));
        }
        let link = self.link_mut(prefix, len)?;
        let inside = match pool {
            PoolSpec::Addresses { first, last } => {
                link.subnet4().is_none() && link.contains(&first) && link.contains(&last)
            }
            PoolSpec::Prefixes { .. } => link.subnet4().is_none(),
            PoolSpec::Ipv4Addresses { first, last } => {
                link.contains4(first) && link.contains4(last)
            }
        };
        if !inside {
            return Err(ConfigError::PoolOutsideLink(pool));
        }
        if link.pools.len() >= MAX_POOLS_PER_LINK {
            return Err(ConfigError::TooManyPools);
        }
        link.pools.push(pool);
        self.reindex_pools();
        Ok(())
    }

    pub fn remove_pool(
        &mut self,
        prefix: Ipv6Addr,
        len: u8,
        pool: &PoolSpec,
    ) -> Result<(), ConfigError> {
        let link = self.link_mut(prefix, len)?;
        let before = link.pools.len();
        link.pools.retain(|p| p != pool);
        if link.pools.len() == before {
            return Err(ConfigError::NoSuchPool(*pool));
        }
        link.excludes.retain(|(p, _, _)| p != pool);
        self.reindex_pools();
        Ok(())
    }
}
