//! The prefixes VPP's DHCPv6 PD client holds in its prefix groups, read
//! from `show ip6 prefixes` (VPP 26.06 keeps them in a table private to
//! its dhcp plugin and offers no API for them), and which one the pools
//! following a group are made of: VPP's own rule for the addresses it
//! makes of a group (`set ip6 address <if> prefix group <name> ...`) keeps
//! the prefix in use while the group has it, else takes the first listed.

use core::net::Ipv6Addr;

/// One prefix of a group, as VPP lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPrefix {
    pub group: String,
    pub prefix: Ipv6Addr,
    pub len: u8,
    /// Seconds of valid lifetime left (VPP drops the prefix at 0).
    pub remaining: f64,
}

/// Reads the lines of `show ip6 prefixes`:
/// `opaque_data: 1, prefix: 2001:db8::/48, prefix group: wan, preferred
/// lifetime: 3000, valid lifetime: 4000 (3999.5 remaining)`; other lines
/// (VPP's errors when its dhcp plugin is not loaded) are skipped.
pub fn parse(listing: &str) -> Vec<GroupPrefix> {
    listing.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<GroupPrefix> {
    let field = |name: &str| {
        let start = line.find(name)? + name.len();
        let rest = &line[start..];
        Some(rest[..rest.find(',').unwrap_or(rest.len())].trim())
    };
    let (prefix, len) = field("prefix: ")?.split_once('/')?;
    let remaining = line
        .rsplit_once('(')?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(GroupPrefix {
        group: field("prefix group: ")?.to_string(),
        prefix: prefix.parse().ok()?,
        len: len.parse().ok().filter(|l| *l <= 128)?,
        remaining,
    })
}

/// The prefix of `group` its pools are to be made of, given the one they
/// are made of now.
pub fn choose(
    group: &str,
    current: Option<(Ipv6Addr, u8)>,
    listed: &[GroupPrefix],
) -> Option<(Ipv6Addr, u8)> {
    let mut alive = listed
        .iter()
        .filter(|p| p.group == group && p.remaining > 0.0)
        .map(|p| (p.prefix, p.len));
    let first = alive.clone().next();
    match current {
        Some(c) if alive.any(|p| p == c) => Some(c),
        _ => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "\
opaque_data: 1, prefix: 2001:db8:a000::/48, prefix group: wan, preferred lifetime: 3000, valid lifetime: 4000 (3998.250000 remaining)
opaque_data: 1, prefix: 2001:db8:b000::/48, prefix group: wan, preferred lifetime: 3000, valid lifetime: 4000 (3999.000000 remaining)
opaque_data: 2, prefix: 2001:db8:c000::/56, prefix group: guest, preferred lifetime: 0, valid lifetime: 0 (-0.100000 remaining)
show ip6 prefixes: unknown input
";

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn vpps_listing_is_read_line_by_line() {
        let got = parse(LISTING);
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            GroupPrefix {
                group: "wan".into(),
                prefix: v6("2001:db8:a000::"),
                len: 48,
                remaining: 3998.25
            }
        );
        assert_eq!((got[2].group.as_str(), got[2].len), ("guest", 56));
        assert!(parse("").is_empty());
    }

    #[test]
    fn a_group_keeps_its_prefix_while_vpp_has_it() {
        let listed = parse(LISTING);
        let a = (v6("2001:db8:a000::"), 48);
        let b = (v6("2001:db8:b000::"), 48);
        assert_eq!(choose("wan", None, &listed), Some(a));
        assert_eq!(choose("wan", Some(b), &listed), Some(b));
        assert_eq!(
            choose("wan", Some((v6("2001:db8:f000::"), 48)), &listed),
            Some(a)
        );
        // Expiring (no time left) counts as gone; an unknown group has none.
        assert_eq!(choose("guest", None, &listed), None);
        assert_eq!(choose("other", Some(a), &listed), None);
    }
}
