//! Prefix pools that follow a prefix group of VPP's DHCPv6 PD client
//! (`dhcp6 pd client <wan> prefix group <name>`): the pool is carved, at
//! its delegated length, out of whatever prefix the upstream delegated to
//! the group. The pool itself is an ordinary one among the link's while the
//! group has a prefix; when the prefix changes or goes, the pool changes
//! with it and the caller withdraws what was bound from the old one.

use super::*;

/// A link's pool that follows a prefix group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPool {
    pub group: String,
    pub delegated_len: u8,
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
        Some(PoolSpec::Prefixes {
            prefix,
            len,
            delegated_len: self.delegated_len,
        })
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
    /// Adds to a link a prefix pool that follows `group`.
    pub fn add_group_pool(
        &mut self,
        prefix: Ipv6Addr,
        len: u8,
        group: &str,
        delegated_len: u8,
    ) -> Result<(), ConfigError> {
        if group.is_empty() || group.len() > MAX_GROUP_NAME {
            return Err(ConfigError::BadPool(format!(
                "prefix-group {group:?}: a name of 1 to {MAX_GROUP_NAME} characters"
            )));
        }
        if !(1..=128).contains(&delegated_len) {
            return Err(ConfigError::BadPool(format!(
                "delegated-length {delegated_len}: 1 to 128"
            )));
        }
        let link = self.link_mut(prefix, len)?;
        if link.subnet4().is_some() {
            return Err(ConfigError::BadPool(
                "a prefix group feeds DHCPv6 links only".into(),
            ));
        }
        if link.group_pools.iter().any(|g| g.group == group) {
            return Err(ConfigError::BadPool(format!(
                "the link already has a pool of prefix group {group}"
            )));
        }
        if link.pools.len() + link.group_pools.len() >= MAX_POOLS_PER_LINK {
            return Err(ConfigError::TooManyPools);
        }
        // It takes the group's prefix as the others following it have.
        let current = self.group_prefix(group);
        self.link_mut(prefix, len)?.group_pools.push(GroupPool {
            group: group.to_string(),
            delegated_len,
            current: None,
            pooled: false,
        });
        if let Some(p) = current {
            self.set_group_prefix(group, Some(p));
        }
        Ok(())
    }

    pub fn remove_group_pool(
        &mut self,
        prefix: Ipv6Addr,
        len: u8,
        group: &str,
    ) -> Result<Option<PoolSpec>, ConfigError> {
        let link = self.link_mut(prefix, len)?;
        let at = link
            .group_pools
            .iter()
            .position(|g| g.group == group)
            .ok_or_else(|| ConfigError::BadPool(format!("no pool of prefix group {group}")))?;
        let gone = link.group_pools.remove(at).spec();
        if let Some(spec) = gone {
            link.pools.retain(|p| *p != spec);
        }
        self.reindex_pools();
        Ok(gone)
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
            let Some(g) = self.links[at]
                .group_pools
                .iter()
                .position(|g| g.group == group)
            else {
                continue;
            };
            let link_text = prefix_text(self.links[at].prefix, self.links[at].prefix_len);
            let old = self.links[at].group_pools[g].clone();
            if old.current == prefix {
                continue;
            }
            if let Some(spec) = old.spec() {
                self.links[at].pools.retain(|p| *p != spec);
                change.removed.push(spec);
            }
            self.links[at].group_pools[g].current = prefix;
            self.links[at].group_pools[g].pooled = false;
            self.reindex_pools();
            let Some((p, len)) = prefix else {
                change.lines.push(format!(
                    "prefix group {group}: no prefix any more; link {link_text} delegates none of it"
                ));
                continue;
            };
            let spec = PoolSpec::Prefixes {
                prefix: p,
                len,
                delegated_len: old.delegated_len,
            };
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
                        "prefix group {group}: link {link_text} delegates /{} out of {p}/{len}",
                        old.delegated_len
                    ));
                }
            }
        }
        change
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
        c.add_group_pool(v6("fd00:1::"), 64, "wan", 60).unwrap();
        c
    }

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
    fn group_pools_are_checked_and_removed() {
        let mut c = config();
        assert!(
            c.add_group_pool(v6("fd00:1::"), 64, "wan", 60).is_err(),
            "twice"
        );
        assert!(c.add_group_pool(v6("fd00:1::"), 64, "", 60).is_err());
        assert!(c.add_group_pool(v6("fd00:1::"), 64, "lan", 0).is_err());
        assert!(
            c.add_group_pool(v6("fd00:9::"), 64, "lan", 60).is_err(),
            "no link"
        );
        c.set_group_prefix("wan", Some((v6("2001:db8:a000::"), 48)));
        // A second link following the group takes its prefix at once.
        c.set_link(v6("fd00:2::"), 64, &LinkParameters::default())
            .unwrap();
        c.add_group_pool(v6("fd00:2::"), 64, "wan", 56).unwrap();
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
        let gone = c.remove_group_pool(v6("fd00:1::"), 64, "wan").unwrap();
        assert!(gone.is_some());
        assert_eq!(c.all_pools().count(), 0);
    }
}
