//! Pool definitions: a range of addresses (IA_NA), a prefix carved into
//! delegated prefixes (IA_PD), or a range of IPv4 addresses. A resource is
//! a 128-bit number (an IPv4 address in its IPv4-mapped form,
//! ::ffff:a.b.c.d) identified by its index in the pool, so allocation is
//! arithmetic, not search, whatever the kind.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

/// The kinds of resource the lease engine hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// Non-temporary addresses (IA_NA).
    Na,
    /// Delegated prefixes (IA_PD).
    Pd,
    /// IPv4 addresses (DHCPv4).
    Ipv4,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 3] = [ResourceKind::Na, ResourceKind::Pd, ResourceKind::Ipv4];
}

/// An IPv4 address as a resource: its IPv4-mapped IPv6 form.
pub fn ipv4_resource(a: Ipv4Addr) -> u128 {
    bits(a.to_ipv6_mapped())
}

/// The IPv4 address of a resource of kind `Ipv4`.
pub fn ipv4_of(resource: u128) -> Ipv4Addr {
    Ipv4Addr::from((resource & 0xffff_ffff) as u32)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolSpec {
    Addresses {
        first: Ipv6Addr,
        last: Ipv6Addr,
    },
    Prefixes {
        prefix: Ipv6Addr,
        len: u8,
        delegated_len: u8,
    },
    Ipv4Addresses {
        first: Ipv4Addr,
        last: Ipv4Addr,
    },
}

fn bits(a: Ipv6Addr) -> u128 {
    u128::from_be_bytes(a.octets())
}

/// Mask of the first `len` bits.
pub fn prefix_mask(len: u8) -> u128 {
    match len {
        0 => 0,
        l if l >= 128 => u128::MAX,
        l => !(u128::MAX >> l),
    }
}

impl PoolSpec {
    pub fn kind(&self) -> ResourceKind {
        match self {
            PoolSpec::Addresses { .. } => ResourceKind::Na,
            PoolSpec::Prefixes { .. } => ResourceKind::Pd,
            PoolSpec::Ipv4Addresses { .. } => ResourceKind::Ipv4,
        }
    }

    /// Prefix length of each resource (128 for an address).
    pub fn resource_len(&self) -> u8 {
        match self {
            PoolSpec::Addresses { .. } => 128,
            PoolSpec::Prefixes { delegated_len, .. } => *delegated_len,
            PoolSpec::Ipv4Addresses { .. } => 32,
        }
    }

    /// How many addresses or prefixes the pool holds.
    pub fn size(&self) -> u128 {
        match *self {
            PoolSpec::Addresses { first, last } => (bits(last) - bits(first)).saturating_add(1),
            PoolSpec::Ipv4Addresses { first, last } => {
                u128::from(u32::from(last) - u32::from(first)) + 1
            }
            PoolSpec::Prefixes {
                len, delegated_len, ..
            } => {
                let shift = u32::from(delegated_len - len);
                if shift >= 128 {
                    u128::MAX
                } else {
                    1u128 << shift
                }
            }
        }
    }

    /// The address, or the prefix's first address, at `index` (< size).
    pub fn resource(&self, index: u128) -> u128 {
        match *self {
            PoolSpec::Addresses { first, .. } => bits(first) + index,
            PoolSpec::Ipv4Addresses { first, .. } => ipv4_resource(first) + index,
            PoolSpec::Prefixes {
                prefix,
                delegated_len,
                ..
            } => bits(prefix) | (index << (128 - u32::from(delegated_len))),
        }
    }

    /// The index of `resource` (of length `len`) in this pool, if it is one.
    pub fn index_of(&self, resource: u128, len: u8) -> Option<u128> {
        if len != self.resource_len() {
            return None;
        }
        match *self {
            PoolSpec::Addresses { first, last } => (bits(first)..=bits(last))
                .contains(&resource)
                .then(|| resource - bits(first)),
            PoolSpec::Ipv4Addresses { first, last } => (ipv4_resource(first)..=ipv4_resource(last))
                .contains(&resource)
                .then(|| resource - ipv4_resource(first)),
            PoolSpec::Prefixes {
                prefix,
                len: plen,
                delegated_len,
            } => {
                let inside = resource & prefix_mask(plen) == bits(prefix);
                let aligned = resource & !prefix_mask(delegated_len) == 0;
                (inside && aligned)
                    .then(|| (resource & !prefix_mask(plen)) >> (128 - u32::from(delegated_len)))
            }
        }
    }

    /// First and last address the pool covers.
    pub fn span(&self) -> (u128, u128) {
        match *self {
            PoolSpec::Addresses { first, last } => (bits(first), bits(last)),
            PoolSpec::Ipv4Addresses { first, last } => (ipv4_resource(first), ipv4_resource(last)),
            PoolSpec::Prefixes { prefix, len, .. } => {
                (bits(prefix), bits(prefix) | !prefix_mask(len))
            }
        }
    }

    pub fn overlaps(&self, other: &PoolSpec) -> bool {
        let (a0, a1) = self.span();
        let (b0, b1) = other.span();
        a0 <= b1 && b0 <= a1
    }

    pub fn validate(&self) -> Result<(), String> {
        match *self {
            PoolSpec::Addresses { first, last } => {
                if bits(first) > bits(last) {
                    return Err(format!(
                        "address pool {first} - {last}: the first address is after the last"
                    ));
                }
                if first.is_multicast() || first.is_unspecified() || last.is_multicast() {
                    return Err(format!(
                        "address pool {first} - {last}: must be unicast addresses"
                    ));
                }
                if first.is_unicast_link_local() || last.is_unicast_link_local() {
                    return Err(format!(
                        "address pool {first} - {last}: link-local addresses are not leased"
                    ));
                }
            }
            PoolSpec::Prefixes {
                prefix,
                len,
                delegated_len,
            } => {
                if len > 128 || delegated_len > 128 {
                    return Err(format!(
                        "prefix pool {prefix}/{len}: lengths are at most 128"
                    ));
                }
                if bits(prefix) & !prefix_mask(len) != 0 {
                    return Err(format!("prefix pool {prefix}/{len}: host bits are set"));
                }
                if delegated_len <= len {
                    return Err(format!(
                        "prefix pool {prefix}/{len}: the delegated length ({delegated_len}) must be longer than the pool's"
                    ));
                }
                if prefix.is_multicast() || prefix.is_unicast_link_local() || len < 8 {
                    return Err(format!(
                        "prefix pool {prefix}/{len}: not a global or unique-local prefix"
                    ));
                }
            }
            PoolSpec::Ipv4Addresses { first, last } => {
                if first > last {
                    return Err(format!(
                        "address pool {first} - {last}: the first address is after the last"
                    ));
                }
                let unusable = |a: Ipv4Addr| {
                    a.is_unspecified() || a.is_broadcast() || a.is_multicast() || a.is_loopback()
                };
                if unusable(first) || unusable(last) {
                    return Err(format!(
                        "address pool {first} - {last}: must be unicast addresses"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for PoolSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolSpec::Addresses { first, last } => write!(f, "addresses {first} - {last}"),
            PoolSpec::Ipv4Addresses { first, last } => write!(f, "addresses {first} - {last}"),
            PoolSpec::Prefixes {
                prefix,
                len,
                delegated_len,
            } => {
                write!(
                    f,
                    "prefixes {prefix}/{len} delegated-length {delegated_len}"
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn address_pool_indexes() {
        let p = PoolSpec::Addresses {
            first: a("2001:db8::10"),
            last: a("2001:db8::1f"),
        };
        assert_eq!(p.size(), 16);
        assert_eq!(p.resource(0), bits(a("2001:db8::10")));
        assert_eq!(p.index_of(bits(a("2001:db8::1f")), 128), Some(15));
        assert_eq!(p.index_of(bits(a("2001:db8::20")), 128), None);
        assert_eq!(p.index_of(bits(a("2001:db8::10")), 64), None);
    }

    #[test]
    fn prefix_pool_indexes() {
        let p = PoolSpec::Prefixes {
            prefix: a("2001:db8:100::"),
            len: 40,
            delegated_len: 48,
        };
        assert_eq!(p.size(), 256);
        assert_eq!(p.resource(1), bits(a("2001:db8:101::")));
        assert_eq!(p.index_of(bits(a("2001:db8:1ff::")), 48), Some(255));
        assert_eq!(
            p.index_of(bits(a("2001:db8:1ff::1")), 48),
            None,
            "not aligned"
        );
        assert_eq!(p.index_of(bits(a("2001:db8:200::")), 48), None, "outside");
    }

    #[test]
    fn validation_and_overlap() {
        assert!(PoolSpec::Addresses {
            first: a("2001:db8::2"),
            last: a("2001:db8::1")
        }
        .validate()
        .is_err());
        assert!(PoolSpec::Addresses {
            first: a("fe80::1"),
            last: a("fe80::2")
        }
        .validate()
        .is_err());
        assert!(PoolSpec::Prefixes {
            prefix: a("2001:db8::1"),
            len: 48,
            delegated_len: 56
        }
        .validate()
        .is_err());
        assert!(PoolSpec::Prefixes {
            prefix: a("2001:db8::"),
            len: 48,
            delegated_len: 48
        }
        .validate()
        .is_err());
        // Any delegated length up to 128 (CPE-internal /96s and /112s).
        assert!(PoolSpec::Prefixes {
            prefix: a("2001:db8::"),
            len: 48,
            delegated_len: 80
        }
        .validate()
        .is_ok());
        assert!(PoolSpec::Prefixes {
            prefix: a("2001:db8::"),
            len: 48,
            delegated_len: 129
        }
        .validate()
        .is_err());
        let p = PoolSpec::Prefixes {
            prefix: a("2001:db8::"),
            len: 48,
            delegated_len: 56,
        };
        assert!(p.validate().is_ok());
        assert!(p.overlaps(&PoolSpec::Addresses {
            first: a("2001:db8::5"),
            last: a("2001:db8::6")
        }));
        assert!(!p.overlaps(&PoolSpec::Addresses {
            first: a("2001:db8:1::5"),
            last: a("2001:db8:1::6")
        }));
    }
}
