//! Pools that follow a prefix group of VPP's DHCPv6 PD client (`dhcp6 pd
//! client <wan> prefix group <name>`), made of whatever prefix the upstream
//! delegated to the group: prefixes carved out of it at a delegated
//! length, or addresses written as VPP writes an address of a group (`set
//! ip6 address <if> prefix group <name> ::1:0:0:0:1/64`: the bits past the
//! group's prefix length, the group's prefix before them). The pool is an
//! ordinary one among the link's while the group has a prefix; when the
//! prefix changes or goes, the pool changes with it and the caller
//! withdraws what was bound from the old one.

use super::*;

/// What a pool that follows a group is made of. Like VPP's addresses of a
/// group, an address or prefix given here has the group's prefix put in
/// place of its leading bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupShape {
    /// Prefixes of `delegated_len` out of the group's prefix, or out of
    /// the part of it `within` names (so that addresses may come from
    /// another part).
    Prefixes {
        delegated_len: u8,
        within: Option<(Ipv6Addr, u8)>,
    },
    /// The addresses from `first` to `last`.
    Addresses { first: Ipv6Addr, last: Ipv6Addr },
}

/// `host` with `prefix`/`len` in place of its leading bits.
fn under(prefix: Ipv6Addr, len: u8, host: Ipv6Addr) -> Ipv6Addr {
    let mask = prefix_mask(len);
    let (p, h) = (
        u128::from_be_bytes(prefix.octets()),
        u128::from_be_bytes(host.octets()),
    );
    Ipv6Addr::from((p & mask) | (h & !mask))
}

impl GroupShape {
    /// The pool this shape makes of `prefix`/`len`.
    pub fn of(self, prefix: Ipv6Addr, len: u8) -> PoolSpec {
        match self {
            GroupShape::Prefixes {
                delegated_len,
                within,
            } => {
                let (at, at_len) =
                    within.map_or((prefix, len), |(h, l)| (under(prefix, len, h), l.max(len)));
                let bits = u128::from_be_bytes(at.octets()) & prefix_mask(at_len);
                PoolSpec::Prefixes {
                    prefix: Ipv6Addr::from(bits),
                    len: at_len,
                    delegated_len,
                }
            }
            GroupShape::Addresses { first, last } => PoolSpec::Addresses {
                first: under(prefix, len, first),
                last: under(prefix, len, last),
            },
        }
    }
}

impl fmt::Display for GroupShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupShape::Prefixes {
                delegated_len,
                within,
            } => {
                if let Some((p, l)) = within {
                    write!(f, "prefixes {p}/{l} ")?;
                }
                write!(f, "delegated-length {delegated_len}")
            }
            GroupShape::Addresses { first, last } => write!(f, "addresses {first} - {last}"),
        }
    }
}

/// A link's pool that follows a prefix group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPool {
    pub group: String,
    pub shape: GroupShape,
    /// The group's prefix as last seen (None: it has none).
    pub current: Option<(Ipv6Addr, u8)>,
    /// A pool is made of `current` (it may not be: too long a prefix for
    /// the delegated length, an overlap with another pool).
    pub pooled: bool,
}

impl GroupPool {
    /// The link's pool made of the group's prefix, if there is one.
    pub fn spec(&self) -> Option<PoolSpec> {
        let (prefix, len) = self.current.filter(|_| self.pooled)?;
        Some(self.shape.of(prefix, len))
    }

    fn is_addresses(&self) -> bool {
        matches!(self.shape, GroupShape::Addresses { .. })
    }
}

/// Longest prefix group name (VPP's CLI takes any word).
pub const MAX_GROUP_NAME: usize = 64;

/// What a group's new prefix did to the pools that follow it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GroupChange {
    /// Pools that went away: their bound leases are to be withdrawn.
    pub removed: Vec<PoolSpec>,
    /// For the log: one line per pool that changed or could not.
    pub lines: Vec<String>,
}

impl ServerConfig {
    /// Adds to a link a pool that follows `group` (one of each shape per
    /// group and link).
    pub fn add_group_pool(
        &mut self,
        prefix: Ipv6Addr,
        len: u8,
        group: &str,
        shape: GroupShape,
    ) -> Result<(), ConfigError> {
        if group.is_empty() || group.len() > MAX_GROUP_NAME {
            return Err(ConfigError::BadPool(format!(
                "prefix-group {group:?}: a name of 1 to {MAX_GROUP_NAME} characters"
            )));
        }
        match shape {
            GroupShape::Prefixes { delegated_len, .. } if !(1..=128).contains(&delegated_len) => {
                return Err(ConfigError::BadPool(format!(
                    "delegated-length {delegated_len}: 1 to 128"
                )));
            }
            GroupShape::Addresses { first, last } if first > last => {
                return Err(ConfigError::BadPool(format!(
                    "addresses {first} - {last}: the first comes after the last"
                )));
            }
            _ => {}
        }
        let pool = GroupPool {
            group: group.to_string(),
            shape,
            current: None,
            pooled: false,
        };
        let link = self.link_mut(prefix, len)?;
        if link.subnet4().is_some() {
            return Err(ConfigError::BadPool(
                "a prefix group feeds DHCPv6 links only".into(),
            ));
        }
        if link
            .group_pools
            .iter()
            .any(|g| g.group == group && g.is_addresses() == pool.is_addresses())
        {
            return Err(ConfigError::BadPool(format!(
                "the link already has such a pool of prefix group {group}"
            )));
        }
        if link.pools.len() + link.group_pools.len() >= MAX_POOLS_PER_LINK {
            return Err(ConfigError::TooManyPools);
        }
        // It takes the group's prefix as the others following it have.
        let current = self.group_prefix(group);
        self.link_mut(prefix, len)?.group_pools.push(pool);
        if let Some(p) = current {
            self.set_group_prefix(group, Some(p));
        }
        Ok(())
    }

    /// Removes a link's pools of `group`: those of `shape`'s kind, or all.
    pub fn remove_group_pools(
        &mut self,
        prefix: Ipv6Addr,
        len: u8,
        group: &str,
        addresses: Option<bool>,
    ) -> Result<(), ConfigError> {
        let link = self.link_mut(prefix, len)?;
        let chosen =
            |g: &GroupPool| g.group == group && addresses.is_none_or(|a| a == g.is_addresses());
        if !link.group_pools.iter().any(chosen) {
            return Err(ConfigError::BadPool(format!(
                "no such pool of prefix group {group}"
            )));
        }
        let gone: Vec<PoolSpec> = link
            .group_pools
            .iter()
            .filter(|g| chosen(g))
            .filter_map(GroupPool::spec)
            .collect();
        link.group_pools.retain(|g| !chosen(g));
        link.pools.retain(|p| !gone.contains(p));
        self.reindex_pools();
        Ok(())
    }

    /// The prefix groups some pool follows, each once.
    pub fn groups(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .links()
            .iter()
            .flat_map(|l| l.group_pools.iter().map(|g| g.group.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The prefix of `group` the pools following it are made of.
    pub fn group_prefix(&self, group: &str) -> Option<(Ipv6Addr, u8)> {
        self.links()
            .iter()
            .flat_map(|l| &l.group_pools)
            .find(|g| g.group == group)
            .and_then(|g| g.current)
    }

    /// The group now has `prefix` (None: none): each pool following it is
    /// remade of it, where it can be (a prefix no longer than the pool's
    /// delegated length, overlapping no other pool).
    pub fn set_group_prefix(&mut self, group: &str, prefix: Option<(Ipv6Addr, u8)>) -> GroupChange {
        let mut change = GroupChange::default();
        for at in 0..self.links.len() {
            for g in 0..self.links[at].group_pools.len() {
                if self.links[at].group_pools[g].group == group {
                    self.remake_group_pool(at, g, prefix, &mut change);
                }
            }
        }
        change
    }

    /// Remakes pool `g` of link `at` of its group's new `prefix`.
    fn remake_group_pool(
        &mut self,
        at: usize,
        g: usize,
        prefix: Option<(Ipv6Addr, u8)>,
        change: &mut GroupChange,
    ) {
        let link_text = prefix_text(self.links[at].prefix, self.links[at].prefix_len);
        let old = self.links[at].group_pools[g].clone();
        if old.current == prefix {
            return;
        }
        if let Some(spec) = old.spec() {
            self.links[at].pools.retain(|p| *p != spec);
            change.removed.push(spec);
        }
        self.links[at].group_pools[g].current = prefix;
        self.links[at].group_pools[g].pooled = false;
        self.reindex_pools();
        let group = &old.group;
        let Some((p, len)) = prefix else {
            change.lines.push(format!(
                "prefix group {group}: no prefix any more; link {link_text} has no pool of it"
            ));
            return;
        };
        let spec = old.shape.of(p, len);
        let refused = spec
            .validate()
            .err()
            .or_else(|| {
                self.all_pools()
                    .find(|o| o.overlaps(&spec))
                    .map(|o| format!("it overlaps pool {o}"))
            })
            .or_else(|| {
                (self.links[at].pools.len() >= MAX_POOLS_PER_LINK)
                    .then(|| format!("link {link_text} has {MAX_POOLS_PER_LINK} pools"))
            });
        match refused {
            Some(why) => change.lines.push(format!(
                "prefix group {group}: {p}/{len} makes no pool for link {link_text}: {why}"
            )),
            None => {
                self.links[at].pools.push(spec);
                self.links[at].group_pools[g].pooled = true;
                self.reindex_pools();
                change.lines.push(format!(
                    "prefix group {group}: link {link_text} has pool {spec} of {p}/{len}"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    fn config() -> ServerConfig {
        let mut c = ServerConfig::new();
        c.set_link(v6("fd00:1::"), 64, &LinkParameters::default())
            .unwrap();
        c.add_group_pool(v6("fd00:1::"), 64, "wan", PREFIXES_60)
            .unwrap();
        c
    }

    const PREFIXES_60: GroupShape = GroupShape::Prefixes {
        delegated_len: 60,
        within: None,
    };

    #[test]
    fn a_group_pool_is_made_of_the_groups_prefix_and_follows_it() {
        let mut c = config();
        assert_eq!(c.groups(), ["wan"]);
        assert_eq!(c.all_pools().count(), 0, "no prefix yet, no pool");
        let first = c.set_group_prefix("wan", Some((v6("2001:db8:a000::"), 48)));
        assert!(first.removed.is_empty());
        let pool_a = PoolSpec::Prefixes {
            prefix: v6("2001:db8:a000::"),
            len: 48,
            delegated_len: 60,
        };
        assert_eq!(c.all_pools().copied().collect::<Vec<_>>(), [pool_a]);
        // The same prefix again changes nothing; another replaces the pool.
        assert_eq!(
            c.set_group_prefix("wan", Some((v6("2001:db8:a000::"), 48))),
            GroupChange::default()
        );
        let moved = c.set_group_prefix("wan", Some((v6("2001:db8:b000::"), 48)));
        assert_eq!(moved.removed, [pool_a]);
        assert_eq!(c.group_prefix("wan"), Some((v6("2001:db8:b000::"), 48)));
        // Gone: no pool; a prefix too long for /60 makes none either.
        let gone = c.set_group_prefix("wan", None);
        assert_eq!(gone.removed.len(), 1);
        assert_eq!(c.all_pools().count(), 0);
        let long = c.set_group_prefix("wan", Some((v6("2001:db8:c000::"), 64)));
        assert!(long.lines[0].contains("makes no pool"), "{:?}", long.lines);
        assert_eq!(c.all_pools().count(), 0);
    }

    #[test]
    fn an_address_pool_takes_the_groups_prefix_in_place_of_its_leading_bits() {
        // Addresses from the group's subnet 1; prefixes from its upper half.
        let mut c = ServerConfig::new();
        c.set_link(v6("fd00:1::"), 64, &LinkParameters::default())
            .unwrap();
        let upper = GroupShape::Prefixes {
            delegated_len: 60,
            within: Some((v6("0:0:0:8000::"), 49)),
        };
        c.add_group_pool(v6("fd00:1::"), 64, "wan", upper).unwrap();
        let shape = GroupShape::Addresses {
            first: v6("::1:0:0:0:100"),
            last: v6("::1:0:0:0:1ff"),
        };
        c.add_group_pool(v6("fd00:1::"), 64, "wan", shape).unwrap();
        assert!(
            c.add_group_pool(v6("fd00:1::"), 64, "wan", shape).is_err(),
            "one of each"
        );
        c.set_group_prefix("wan", Some((v6("2001:db8:a000::"), 48)));
        let mut pools: Vec<PoolSpec> = c.all_pools().copied().collect();
        pools.sort_by_key(|p| p.to_string());
        assert_eq!(
            pools,
            [
                PoolSpec::Addresses {
                    first: v6("2001:db8:a000:1::100"),
                    last: v6("2001:db8:a000:1::1ff"),
                },
                PoolSpec::Prefixes {
                    prefix: v6("2001:db8:a000:8000::"),
                    len: 49,
                    delegated_len: 60,
                },
            ]
        );
        // Removing the address pool keeps the prefix pool.
        c.remove_group_pools(v6("fd00:1::"), 64, "wan", Some(true))
            .unwrap();
        assert_eq!(c.all_pools().count(), 1);
    }

    #[test]
    fn group_pools_are_checked_and_removed() {
        let mut c = config();
        assert!(
            c.add_group_pool(v6("fd00:1::"), 64, "wan", PREFIXES_60)
                .is_err(),
            "twice"
        );
        assert!(c
            .add_group_pool(v6("fd00:1::"), 64, "", PREFIXES_60)
            .is_err());
        assert!(c
            .add_group_pool(
                v6("fd00:1::"),
                64,
                "lan",
                GroupShape::Prefixes {
                    delegated_len: 0,
                    within: None
                }
            )
            .is_err());
        assert!(
            c.add_group_pool(v6("fd00:9::"), 64, "lan", PREFIXES_60)
                .is_err(),
            "no link"
        );
        c.set_group_prefix("wan", Some((v6("2001:db8:a000::"), 48)));
        // A second link following the group takes its prefix at once.
        c.set_link(v6("fd00:2::"), 64, &LinkParameters::default())
            .unwrap();
        c.add_group_pool(
            v6("fd00:2::"),
            64,
            "wan",
            GroupShape::Prefixes {
                delegated_len: 56,
                within: None,
            },
        )
        .unwrap();
        let second = c
            .links()
            .iter()
            .find(|l| l.prefix == v6("fd00:2::"))
            .map(|l| l.group_pools[0].clone())
            .unwrap();
        // Both pools would be the same /48: the second overlaps the first,
        // and waits for the group's next prefix.
        assert_eq!(second.current, Some((v6("2001:db8:a000::"), 48)));
        assert!(!second.pooled);
        assert_eq!(c.all_pools().count(), 1);
        c.remove_group_pools(v6("fd00:1::"), 64, "wan", None)
            .unwrap();
        assert_eq!(c.all_pools().count(), 0);
        assert!(c
            .remove_group_pools(v6("fd00:1::"), 64, "wan", None)
            .is_err());
    }
}
