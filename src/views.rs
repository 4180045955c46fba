//! What the `show dhcp6-server ...` commands print, as lines of text, made
//! from the configuration and the lease engine (the FFI layer only hands
//! the lines to VPP's CLI).

use crate::config::ServerConfig;
use crate::counters::Counter;
use crate::duid::Duid;
use crate::leases::{format_lease, LeaseView, Time};
use crate::limits::{Limits, RateLimit};
use crate::options::Family;

/// `show dhcp6-server`'s limits line.
pub fn limits(l: &Limits) -> String {
    let rate = |r: RateLimit| {
        if r.is_set() {
            format!("{}/s burst {}", r.rate, r.burst)
        } else {
            "off".to_string()
        }
    };
    let cap = |n: u32| {
        if n > 0 {
            n.to_string()
        } else {
            "off".to_string()
        }
    };
    format!(
        "  limits: interface-rate {} client-rate {} client-leases {} interface-leases {}",
        rate(l.interface),
        rate(l.client),
        cap(l.client_leases),
        cap(l.interface_leases)
    )
}

/// `show dhcp6-server links`: each link with its pools (and their stats
/// index) and options, then the holds and the server-wide options.
pub fn links(config: &ServerConfig) -> Vec<String> {
    let mut out = Vec::new();
    let links = || config.links().iter().filter(|l| l.subnet4().is_none());
    if links().next().is_none() {
        out.push("no links configured".to_string());
    }
    for l in links() {
        let (t1, t2) = l.timers();
        out.push(format!(
            "link {}/{}: preferred-lifetime {} valid-lifetime {} t1 {} t2 {} rapid-commit {}{}",
            l.prefix,
            l.prefix_len,
            l.preferred_lifetime,
            l.valid_lifetime,
            t1,
            t2,
            if l.rapid_commit { "yes" } else { "no" },
            l.preference
                .map(|p| format!(" preference {p}"))
                .unwrap_or_default()
        ));
        if let Some(id) = &l.interface_id {
            out.push(format!(
                "  relayed clients by interface-id {}",
                String::from_utf8_lossy(id)
            ));
        }
        if let Some(a) = l.relay_address {
            out.push(format!("  relayed clients by relay-address {a}"));
        }
        if let Some(a) = l.server_unicast {
            out.push(format!("  server-unicast {a}"));
        }
        for (n, p) in l.pool_positions().zip(&l.pools) {
            let exclude = l
                .excludes
                .iter()
                .find(|(s, _, _)| s == p)
                .map(|(_, at, len)| format!(" exclude-prefix {at}/{len}"))
                .unwrap_or_default();
            let group = l
                .group_pools
                .iter()
                .find(|g| g.spec().as_ref() == Some(p))
                .map(|g| format!(" from prefix group {}", g.group))
                .unwrap_or_default();
            out.push(format!(
                "  pool {p}{exclude}{group} (stats /dhcp6-server/pool/{n})"
            ));
        }
        for g in l.group_pools.iter().filter(|g| !g.pooled) {
            let why = match g.current {
                None => "it has no prefix".to_string(),
                Some((p, len)) => format!("{p}/{len} makes no pool (see the log)"),
            };
            out.push(format!(
                "  pool prefix-group {} {}: {why}",
                g.group, g.shape
            ));
        }
        for o in l.options.iter() {
            out.push(format!("  option {}", o.describe()));
        }
    }
    out.push(format!(
        "offer-hold {}s, decline-hold {}s",
        config.offer_hold(),
        config.decline_hold()
    ));
    for o in config.options().iter() {
        out.push(format!("server-wide option {}", o.describe()));
    }
    out
}

/// `show dhcp4-server`: each DHCPv4 link with its timers, pools and
/// options, then the server-wide options.
pub fn links4(config: &ServerConfig) -> Vec<String> {
    let mut out = Vec::new();
    for l in config.links4() {
        let (t1, t2) = l.timers4();
        let subnet = crate::config::prefix_text(l.prefix, l.prefix_len);
        let mut line = format!(
            "link {subnet}: lease-time {} t1 {t1} t2 {t2} rapid-commit {}",
            l.valid_lifetime,
            if l.rapid_commit { "yes" } else { "no" }
        );
        if let Some(id) = l.server_id4 {
            line.push_str(&format!(" server-id {id}"));
        }
        if let Some((p, len)) = l.dhcp4o6_link {
            line.push_str(&format!(" dhcp4o6-link {p}/{len}"));
        }
        out.push(line);
        for (n, p) in l.pool_positions().zip(&l.pools) {
            let auto = if l.hashed.contains(p) {
                " (placed by MAC hash)"
            } else {
                ""
            };
            out.push(format!("  pool {p}{auto} (stats /dhcp4-server/pool/{n})"));
        }
        for o in l.options.iter() {
            out.push(format!("  option {}", o.describe()));
        }
    }
    if config.links4().next().is_none() {
        out.push("no DHCPv4 links configured".to_string());
    }
    for o in config.options4().iter() {
        out.push(format!("server-wide option {}", o.describe()));
    }
    out
}

/// `show dhcp6-server reservations` (and dhcp4-server's): sorted rows,
/// then the count (and the file they came from).
pub fn reservations(config: &ServerConfig, family: Family) -> Vec<String> {
    let mut rows: Vec<String> = config
        .reservations()
        .iter()
        .filter(|(id, _)| id.family() == family)
        .map(|(id, r)| {
            let mut row = id.to_string();
            if let Some(a) = r.address4 {
                row += &format!(" address {a}");
            }
            if let Some(a) = r.address {
                row += &format!(" address {a}");
            }
            if let Some((p, l)) = r.prefix {
                row += &format!(" prefix {p}/{l}");
            }
            for o in r.options.iter() {
                row += &format!(" (option {})", o.describe());
            }
            row
        })
        .collect();
    rows.sort();
    let from = config
        .reservations_file(family)
        .map(|f| format!(" (file {f})"))
        .unwrap_or_default();
    let total = format!("{} reservations{from}", rows.len());
    rows.push(total);
    rows
}

/// Which leases `show dhcp6-server leases` lists.
#[derive(Debug, Clone, Default)]
pub struct LeaseFilter {
    pub duid: Option<Duid>,
    /// Only the leases of clients served on this interface.
    pub sw_if_index: Option<u32>,
    /// Free leases too (kept for their last client until reused).
    pub all: bool,
    /// DHCPv4's leases (else DHCPv6's).
    pub v4: bool,
}

/// `show dhcp6-server leases`: the leases held (offered, bound, declined),
/// or with `all` free ones too, then a line counting them.
pub fn leases(
    leases: impl Iterator<Item = LeaseView>,
    filter: &LeaseFilter,
    now: Time,
) -> Vec<String> {
    let mut out = Vec::new();
    let (mut held, mut free) = (0, 0);
    for l in leases {
        if (filter.duid.is_some() && l.duid != filter.duid)
            || filter.sw_if_index.is_some_and(|i| l.sw_if_index != i)
            || (l.kind == crate::leases::ResourceKind::Ipv4) != filter.v4
        {
            continue;
        }
        if l.is_held() {
            held += 1;
        } else {
            free += 1;
            if !filter.all {
                continue;
            }
        }
        out.push(format_lease(&l, now));
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut total = format!("{held} lease{} held", plural(held));
    if free > 0 {
        total += &format!(
            ", {free} free one{} {}",
            plural(free),
            if filter.all {
                "shown"
            } else {
                "not shown ('all' shows them)"
            }
        );
    }
    out.push(total);
    out
}

/// Hex octets, with or without ':' or '-' between them (as `hex` writes
/// them, or as DUIDs are usually written); None unless whole octets.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b':' && *b != b'-').collect();
    if digits.is_empty() || digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16)?;
            let lo = char::from(pair[1]).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// A MAC address as `02:00:00:00:00:01` (any length).
pub fn mac(bytes: &[u8]) -> String {
    let octets: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    octets.join(":")
}

/// Octets as plain hex, "00030001" (as VPP's format_hex_bytes prints them).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A packet trace entry after the interface name: "Solicit -> Advertise",
/// "Relay-forward(Request) -> Relay-reply(Reply)", or "... -> dropped:
/// <reason>", and the client DUID on the next line (`indent` spaces in).
pub fn trace(s: &crate::server::PacketSummary, counter: Counter, indent: usize) -> String {
    if s.dhcpv4 {
        return trace4(s, counter, indent);
    }
    use crate::wire::dhcpv6::MessageType;
    let name = |t: u8| MessageType::from_u8(t).map_or("unknown", MessageType::name);
    let relay_forward = MessageType::RelayForward as u8;
    let mut line = if s.relayed && s.msg_type_in != relay_forward {
        format!("{}({}) -> ", name(relay_forward), name(s.msg_type_in))
    } else if s.msg_type_in == 0 {
        "(none) -> ".to_string()
    } else {
        format!("{} -> ", name(s.msg_type_in))
    };
    match (counter, s.relayed) {
        (Counter::ReplySent, true) => line.push_str(&format!(
            "{}({})",
            name(MessageType::RelayReply as u8),
            name(s.msg_type_out)
        )),
        (Counter::ReplySent, false) => line.push_str(name(s.msg_type_out)),
        _ => line.push_str(&format!(
            "dropped: {}",
            counter.describe().1.trim_end_matches('\0')
        )),
    }
    if s.msg_type_in == MessageType::Dhcpv4Query as u8 {
        // RFC 7341: the DHCPv4 exchange inside, and its client's key.
        use crate::wire::dhcpv4::MessageType as MessageType4;
        let name4 = |t: u8| MessageType4::from_u8(t).map_or("(none)", MessageType4::name);
        line.push_str(&format!(
            "\n{:indent$}dhcpv4 {} -> {}",
            "",
            name4(s.dhcpv4_in),
            name4(s.dhcpv4_out)
        ));
        return line + &client_line(s, "client", indent);
    }
    line + &client_line(s, "client-duid", indent)
}

/// The trace's second line: the client's DUID (DHCPv4: its key).
fn client_line(s: &crate::server::PacketSummary, label: &str, indent: usize) -> String {
    if s.client_duid_len == 0 {
        return String::new();
    }
    let kept = usize::from(s.client_duid_len).min(s.client_duid.len());
    let hex = hex(&s.client_duid[..kept]);
    let more = if kept < usize::from(s.client_duid_len) {
        "..."
    } else {
        ""
    };
    format!("\n{:indent$}{label} {hex}{more}", "")
}

/// A DHCPv4 packet's trace: "DHCPDISCOVER -> DHCPOFFER", "(relayed)" when
/// it came through a relay, or "-> dropped: <reason>".
fn trace4(s: &crate::server::PacketSummary, counter: Counter, indent: usize) -> String {
    use crate::wire::dhcpv4::MessageType;
    let name = |t: u8| MessageType::from_u8(t).map_or("(none)", MessageType::name);
    let relayed = if s.relayed { " (relayed)" } else { "" };
    let out = match counter {
        Counter::ReplySent => name(s.msg_type_out).to_string(),
        _ => format!("dropped: {}", counter.describe().1.trim_end_matches('\0')),
    };
    let line = format!("{}{relayed} -> {out}", name(s.msg_type_in));
    line + &client_line(s, "client", indent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leases::{LeaseState, ResourceKind};

    fn lease(n: u8, state: LeaseState, sw_if_index: u32) -> LeaseView {
        LeaseView {
            duid: Some(Duid::from_bytes(&[0, 4, n]).unwrap()),
            iaid: 1,
            kind: ResourceKind::Na,
            resource: 0x2001_0db8 << 96 | u128::from(n),
            len: 128,
            state,
            preferred_until: 100,
            valid_until: 200,
            route: None,
            sw_if_index,
        }
    }

    #[test]
    fn leases_lists_held_ones_and_counts_free_ones_apart() {
        let all = [
            lease(1, LeaseState::Bound, 1),
            lease(2, LeaseState::Free, 1),
            lease(3, LeaseState::Offered, 2),
            lease(4, LeaseState::Declined, 1),
        ];
        let out = leases(all.iter().cloned(), &LeaseFilter::default(), 50);
        assert_eq!(out.len(), 4, "{out:?}");
        assert_eq!(
            out[3],
            "3 leases held, 1 free one not shown ('all' shows them)"
        );
        assert!(!out.iter().any(|l| l.contains(" free IA_NA")));
        let shown = LeaseFilter {
            all: true,
            ..LeaseFilter::default()
        };
        let out = leases(all.iter().cloned(), &shown, 50);
        assert_eq!(out.last().unwrap(), "3 leases held, 1 free one shown");
        assert!(out.iter().any(|l| l.contains(" free IA_NA")));
        let on_2 = LeaseFilter {
            sw_if_index: Some(2),
            ..LeaseFilter::default()
        };
        assert_eq!(
            leases(all.iter().cloned(), &on_2, 50).last().unwrap(),
            "1 lease held"
        );
        let one = LeaseFilter {
            duid: Some(Duid::from_bytes(&[0, 4, 4]).unwrap()),
            ..LeaseFilter::default()
        };
        let out = leases(all.iter().cloned(), &one, 50);
        assert_eq!(out.len(), 2);
        assert!(out[0].contains(" declined IA_NA"), "{out:?}");
    }

    #[test]
    fn limits_say_off_for_what_is_not_set() {
        let mut l = crate::limits::DEFAULT_LIMITS;
        l.interface = RateLimit { rate: 0, burst: 0 };
        l.client_leases = 0;
        let line = limits(&l);
        assert!(
            line.starts_with("  limits: interface-rate off client-rate "),
            "{line}"
        );
        assert!(line.contains("client-leases off"), "{line}");
    }

    #[test]
    fn a_trace_names_both_messages_or_the_drop_and_the_client() {
        use crate::server::PacketSummary;
        let mut s = PacketSummary {
            msg_type_in: 1,
            msg_type_out: 2,
            relayed: true,
            client_duid_len: 3,
            ..Default::default()
        };
        s.client_duid[..3].copy_from_slice(&[0, 1, 0xab]);
        assert_eq!(
            trace(&s, Counter::ReplySent, 4),
            "Relay-forward(Solicit) -> Relay-reply(Advertise)\n    client-duid 0001ab"
        );
        s.relayed = false;
        s.client_duid_len = 0;
        let dropped = trace(&s, Counter::ClientRateLimited, 0);
        assert!(dropped.starts_with("Solicit -> dropped: "), "{dropped}");
        assert_eq!(
            trace(&PacketSummary::default(), Counter::Truncated, 0),
            format!(
                "(none) -> dropped: {}",
                Counter::Truncated.describe().1.trim_end_matches('\0')
            )
        );
    }
}
