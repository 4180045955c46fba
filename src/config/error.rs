//! Why a configuration change was refused, in words for the operator.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    BadReplyFrom(Ipv6Addr),
    BadLinkAddress(Ipv6Addr),
    SwIfIndexOutOfRange(u32),
    NotEthernet,
    NotEnabled(u32),
    BadDuid(DuidError),
    TooManyDnsServers(usize),
    BadDnsServer(Ipv6Addr),
    TooManySearchDomains(usize),
    BadDomain(String, DomainError),
    BadLinkPrefix(Ipv6Addr, u8),
    BadSubnet(core::net::Ipv4Addr, u8),
    NoSuchLink(Ipv6Addr, u8),
    TooManyLinks,
    BadPool(String),
    PoolOverlap(PoolSpec, PoolSpec),
    PoolOutsideLink(PoolSpec),
    TooManyPools,
    NoSuchPool(PoolSpec),
    BadLifetimes(String),
    NoSuchLease(Ipv6Addr),
    BadOption(String),
    BadServerUnicast(Ipv6Addr),
    BadReservation(String),
    BadLimits(String),
    BadDhcp4o6Link(Ipv6Addr, u8),
    Dhcp4o6LinkTaken(String, String),
    BadServerId(core::net::Ipv4Addr),
    BadLookingGlass(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::BadReplyFrom(a) => write!(
                f,
                "reply-from {a}: must be a unicast address (not ::, loopback or multicast)"
            ),
            ConfigError::BadLinkAddress(a) => write!(
                f,
                "link-address {a}: must be a global or unique-local unicast address"
            ),
            ConfigError::SwIfIndexOutOfRange(i) => write!(f, "interface index {i} is out of range"),
            ConfigError::NotEthernet => f.write_str(
                "the interface has no Ethernet address: DHCPv6 service needs an Ethernet interface",
            ),
            ConfigError::NotEnabled(i) => {
                write!(f, "DHCPv6 service is not enabled on interface index {i}")
            }
            ConfigError::BadDuid(e) => write!(f, "duid: {e}"),
            ConfigError::TooManyDnsServers(n) => {
                write!(f, "{n} DNS servers: at most {MAX_DNS_SERVERS} are allowed")
            }
            ConfigError::BadDnsServer(a) => {
                write!(
                    f,
                    "DNS server {a}: must be a unicast address (not ::, loopback or multicast)"
                )
            }
            ConfigError::TooManySearchDomains(n) => {
                write!(
                    f,
                    "{n} search domains: at most {MAX_SEARCH_DOMAINS} are allowed"
                )
            }
            ConfigError::BadDomain(name, e) => write!(f, "domain {name:?}: {e}"),
            ConfigError::BadLinkPrefix(p, l) => write!(
                f,
                "link {p}/{l}: must be a global or unique-local prefix of length 1 to 128 with no host bits set"
            ),
            ConfigError::NoSuchLink(p, l) => {
                write!(f, "no link {} is configured", super::prefix_text(*p, *l))
            }
            ConfigError::BadSubnet(s, l) => write!(
                f,
                "link {s}/{l}: must be a unicast subnet of length 1 to 32 with no host bits set"
            ),
            ConfigError::TooManyLinks => write!(f, "at most {MAX_LINKS} links"),
            ConfigError::BadPool(why) => f.write_str(why),
            ConfigError::PoolOverlap(a, b) => write!(f, "pool {a} overlaps pool {b}"),
            ConfigError::PoolOutsideLink(p) => write!(f, "pool {p}: addresses must lie inside the link's prefix"),
            ConfigError::TooManyPools => write!(f, "at most {MAX_POOLS_PER_LINK} pools per link"),
            ConfigError::NoSuchPool(p) => write!(f, "no pool {p} on this link"),
            ConfigError::BadLifetimes(why) => write!(f, "lifetimes: {why}"),
            ConfigError::NoSuchLease(a) => write!(f, "no lease for {a}"),
            ConfigError::BadOption(why) => f.write_str(why),
            ConfigError::BadServerUnicast(a) => write!(
                f,
                "server-unicast {a}: must be a unicast address (not loopback or multicast)"
            ),
            ConfigError::BadReservation(why) => write!(f, "reservation: {why}"),
            ConfigError::BadLimits(why) => write!(f, "limits: {why}"),
            ConfigError::BadDhcp4o6Link(p, l) => write!(
                f,
                "dhcp4o6-link {p}/{l}: must be an IPv6 prefix with no host bits set, outside ::ffff:0:0/96"
            ),
            ConfigError::Dhcp4o6LinkTaken(p, other) => {
                write!(f, "dhcp4o6-link {p} is already link {other}'s")
            }
            ConfigError::BadLookingGlass(why) => write!(f, "looking-glass: {why}"),
            ConfigError::BadServerId(a) => {
                write!(f, "server-id {a}: must be a unicast address")
            }
        }
    }
}
