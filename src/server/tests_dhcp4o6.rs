//! DHCPv4-over-DHCPv6 (RFC 7341) through `handle_frame`: DHCPv4-queries
//! direct and relayed, answered by the DHCPv4 engine.

use core::net::Ipv4Addr;

use super::tests_stateful::{find, ip, msg, opt, options, relay_forward, Server};
use super::*;
use crate::config::{Link4Parameters, OptionScope};
use crate::dhcp4::request::tests::bootrequest;
use crate::leases::{LeaseState, ResourceKind};
use crate::wire::dhcpv6::option_code;

fn ip4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// The server of the DHCPv6 tests with two DHCPv4 links for 4o6 clients:
/// 192.0.2.0/24 for those on 2001:db8:1::/64 (the receiving interface's
/// link), 198.51.100.0/24 (Server Identifier from the interface) for
/// those behind relays on 2001:db8:2::/64.
fn server() -> Server {
    let mut s = Server::default();
    let c = &mut s.config;
    let on_link = Link4Parameters {
        dhcp4o6_link: Some((ip("2001:db8:1::"), 64)),
        server_id: Some(ip4("192.0.2.1")),
        ..Default::default()
    };
    c.set_link4(ip4("192.0.2.0"), 24, &on_link).unwrap();
    c.add_pool4(
        ip4("192.0.2.0"),
        24,
        ip4("192.0.2.10"),
        ip4("192.0.2.11"),
        false,
    )
    .unwrap();
    let relayed = Link4Parameters {
        dhcp4o6_link: Some((ip("2001:db8:2::"), 64)),
        ..Default::default()
    };
    c.set_link4(ip4("198.51.100.0"), 24, &relayed).unwrap();
    c.add_pool4(
        ip4("198.51.100.0"),
        24,
        ip4("198.51.100.20"),
        ip4("198.51.100.29"),
        false,
    )
    .unwrap();
    let pools: Vec<_> = s.config.all_pools().copied().collect();
    s.shard.sync_pools(&pools, 0, 1);
    s.ipv4_address = Some(ip4("203.0.113.1"));
    s
}

/// A DHCPv4-query with `flags` around `dhcpv4`, and more options.
fn query(flags: [u8; 3], dhcpv4: &[u8], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![MessageType::Dhcpv4Query as u8];
    m.extend_from_slice(&flags);
    m.extend(opt(option_code::DHCPV4_MSG, dhcpv4));
    for o in extra {
        m.extend_from_slice(o);
    }
    m
}

const MULTICAST: [u8; 3] = [0, 0, 0];
const UNICAST: [u8; 3] = [0x80, 0, 0];

/// A DHCPv4 message of `n`'s client: type `t` and more options.
fn dhcpv4(n: u8, t: u8, options: &[&[u8]]) -> Vec<u8> {
    let mut all: Vec<&[u8]> = vec![];
    let kind = [53, 1, t];
    all.push(&kind);
    all.extend_from_slice(options);
    bootrequest(n, &all)
}

/// The DHCPv4 message of a DHCPv4-response, checked: type 21, zero flags,
/// one option (87); returns the BOOTREPLY.
fn response(out: &[u8]) -> Vec<u8> {
    assert_eq!(out[0], MessageType::Dhcpv4Response as u8);
    assert_eq!(&out[1..4], &[0, 0, 0], "RFC 7341: no flags in a response");
    let opts = options(&out[4..]);
    assert_eq!(opts.len(), 1, "{opts:?}");
    assert_eq!(opts[0].0, option_code::DHCPV4_MSG);
    let m = opts[0].1.clone();
    assert_eq!(m[0], 2, "BOOTREPLY");
    m
}

/// A BOOTREPLY's (type, yiaddr, ciaddr, giaddr, flags, server id).
fn fields(m: &[u8]) -> (u8, Ipv4Addr, Ipv4Addr, Ipv4Addr, u16, Option<Ipv4Addr>) {
    let addr = |at: usize| Ipv4Addr::new(m[at], m[at + 1], m[at + 2], m[at + 3]);
    let mut t = 0;
    let mut server_id = None;
    let mut at = 240;
    while at < m.len() && m[at] != 255 {
        let (code, len) = (m[at], usize::from(m[at + 1]));
        match code {
            53 => t = m[at + 2],
            54 => server_id = Some(addr(at + 2)),
            _ => {}
        }
        at += 2 + len;
    }
    let flags = u16::from_be_bytes([m[10], m[11]]);
    (t, addr(16), addr(12), addr(24), flags, server_id)
}

fn lease_of(s: &Server, n: u8) -> Option<(LeaseState, Ipv4Addr)> {
    let key = [1, 2, 0, 0, 0, 0, n];
    let i = s.shard.find(&key, ResourceKind::Ipv4, 0)?;
    let l = s.shard.lease(i);
    Some((l.state, crate::leases::pool::ipv4_of(l.resource)))
}

#[test]
fn a_direct_client_is_offered_bound_renewed_and_released() {
    let mut s = server();
    // DISCOVER with the broadcast bit: the reply still goes to the
    // client's IPv6 address, its flags echoed.
    let mut discover = dhcpv4(1, 1, &[]);
    discover[10] = 0x80;
    let (v, out) = s.send(&query(MULTICAST, &discover, &[]));
    assert!(matches!(v, Verdict::Reply { .. }), "{v:?}");
    assert_eq!(s.last_source, Some(ip("fe80::2")), "from our link-local");
    let offer = response(&out);
    let offered = ip4("192.0.2.10");
    assert_eq!(
        fields(&offer),
        (
            2,
            offered,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            0x8000,
            Some(ip4("192.0.2.1"))
        )
    );
    assert_eq!(&offer[4..8], &discover[4..8], "xid");
    assert_eq!(lease_of(&s, 1), Some((LeaseState::Offered, offered)));

    // REQUEST (SELECTING), naming the link's Server Identifier.
    let request = dhcpv4(1, 3, &[&[50, 4, 192, 0, 2, 10], &[54, 4, 192, 0, 2, 1]]);
    let (_, out) = s.send(&query(MULTICAST, &request, &[]));
    assert_eq!(fields(&response(&out)).0, 5, "ACK");
    assert_eq!(lease_of(&s, 1), Some((LeaseState::Bound, offered)));

    // RENEWING: ciaddr set, the unicast flag, to the server's address.
    let mut renew = dhcpv4(1, 3, &[]);
    renew[12..16].copy_from_slice(&offered.octets());
    s.now += 100;
    let (v, out) = s.send_from(
        "fe80::c1",
        ip("2001:db8:1::1"),
        &query(UNICAST, &renew, &[]),
    );
    assert!(matches!(v, Verdict::Reply { .. }), "{v:?}");
    let ack = fields(&response(&out));
    assert_eq!((ack.0, ack.1, ack.2), (5, offered, offered));

    // RELEASE: done, nothing to answer.
    let mut release = dhcpv4(1, 7, &[&[54, 4, 192, 0, 2, 1]]);
    release[12..16].copy_from_slice(&offered.octets());
    let (v, _) = s.send(&query(UNICAST, &release, &[]));
    assert_eq!(v, Verdict::Drop(Counter::NoReplyNeeded));
    assert_ne!(lease_of(&s, 1).map(|l| l.0), Some(LeaseState::Bound));
}

#[test]
fn relayed_queries_are_served_from_the_innermost_relays_link() {
    let mut s = server();
    let inner = query(MULTICAST, &dhcpv4(2, 1, &[]), &[]);
    // One relay on 2001:db8:2::/64, then the same behind a second relay.
    let once = relay_forward(0, "2001:db8:2::1", "fe80::c2", Some(b"port2"), &inner);
    let twice = relay_forward(1, "::", "2001:db8:2::1", Some(b"agg"), &once);
    for (relayed, depth) in [(once, 1), (twice, 2)] {
        let (v, out) = s.send_from("2001:db8:1::99", ip("2001:db8:1::1"), &relayed);
        assert!(
            matches!(v, Verdict::Reply { .. } | Verdict::Routed { .. }),
            "{v:?}"
        );
        let mut body = out;
        for _ in 0..depth {
            assert_eq!(body[0], MessageType::RelayReply as u8);
            let opts = options(&body[34..]);
            assert!(find(&opts, option_code::INTERFACE_ID).is_some(), "echoed");
            body = find(&opts, option_code::RELAY_MSG).unwrap();
        }
        let offer = fields(&response(&body));
        // The relayed link's pool; its Server Identifier is the interface's.
        assert_eq!(offer.0, 2);
        assert_eq!(offer.1, ip4("198.51.100.20"));
        assert_eq!(offer.5, Some(ip4("203.0.113.1")));
    }
}

#[test]
fn what_cannot_be_served_is_dropped_and_counted() {
    let mut s = server();
    let discover = dhcpv4(3, 1, &[]);
    let mut two = query(MULTICAST, &discover, &[]);
    two.extend(opt(option_code::DHCPV4_MSG, &discover));
    let other_server = opt(option_code::SERVER_ID, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 9]);
    let cases = [
        (msg(MessageType::Dhcpv4Query, &[]), Counter::NoDhcpv4Message),
        (two, Counter::NoDhcpv4Message),
        (
            query(MULTICAST, &discover, &[other_server]),
            Counter::ServerIdMismatch,
        ),
        (query(MULTICAST, &discover[..100], &[]), Counter::Truncated),
        (
            {
                let mut m = query(MULTICAST, &discover, &[]);
                m[0] = MessageType::Dhcpv4Response as u8;
                m
            },
            Counter::ServerOnlyMessage,
        ),
    ];
    for (m, want) in cases {
        let (v, _) = s.send(&m);
        assert_eq!(v, Verdict::Drop(want));
    }
    // A client on a link no DHCPv4 link serves; one whose link has no
    // Server Identifier on an interface without IPv4.
    for (link_address, ipv4, want) in [
        ("2001:db8:3::1", s.ipv4_address, Counter::NoSubnet),
        ("2001:db8:2::1", None, Counter::NoServerAddress),
    ] {
        s.ipv4_address = ipv4;
        let inner = query(MULTICAST, &discover, &[]);
        let relayed = relay_forward(0, link_address, "fe80::c3", None, &inner);
        let (v, _) = s.send_from("2001:db8:1::99", ip("2001:db8:1::1"), &relayed);
        assert_eq!(v, Verdict::Drop(want));
    }
    assert!(lease_of(&s, 3).is_none(), "nothing was bound");
}

#[test]
fn the_4o6_server_option_is_sent_when_the_oro_asks() {
    let mut s = server();
    s.config
        .set_named_option(OptionScope::Server, "dhcp4o6-servers", "2001:db8:1::1")
        .unwrap();
    let oro = |codes: &[u16]| {
        let body: Vec<u8> = codes.iter().flat_map(|c| c.to_be_bytes()).collect();
        opt(option_code::ORO, &body)
    };
    let asked = msg(MessageType::InformationRequest, &[oro(&[88])]);
    let (_, out) = s.send(&asked);
    assert_eq!(
        find(&options(&out[4..]), option_code::DHCP4_O_DHCP6_SERVER),
        Some(ip("2001:db8:1::1").octets().to_vec())
    );
    let not_asked = msg(MessageType::InformationRequest, &[oro(&[23])]);
    let (_, out) = s.send(&not_asked);
    assert_eq!(
        find(&options(&out[4..]), option_code::DHCP4_O_DHCP6_SERVER),
        None
    );
    // `multicast`: the option with no address.
    s.config
        .set_named_option(OptionScope::Server, "dhcp4o6-servers", "multicast")
        .unwrap();
    let (_, out) = s.send(&asked);
    assert_eq!(
        find(&options(&out[4..]), option_code::DHCP4_O_DHCP6_SERVER),
        Some(vec![])
    );
}
