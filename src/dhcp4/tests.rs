//! The DHCPv4 packet path end to end: frames in, frames out.

use core::net::Ipv4Addr;

use super::request::tests::bootrequest;
use super::*;
use crate::config::{Link4Parameters, OptionScope};
use crate::leases::pool::ipv4_resource;
use crate::leases::{LeaseState, ResourceKind};
use crate::options::{Family, OptionValue};
use crate::wire::dhcpv4::option_code as opt;
use crate::wire::frame::{ipv4_header_checksum_is_valid, udp_checksum_is_valid};

const SW_IF: u32 = 1;
const OUR_MAC: [u8; 6] = [2, 0x5e, 0, 0, 0, 1];
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn ip4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn client_mac(n: u8) -> [u8; 6] {
    [2, 0, 0, 0, 0, n]
}

struct Server {
    config: ServerConfig,
    shard: Shard,
    now: u32,
}

/// A reply as the tests read it.
#[derive(Debug)]
struct Sent {
    verdict: Verdict,
    dst_mac: [u8; 6],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    dst_port: u16,
    yiaddr: Ipv4Addr,
    ciaddr: Ipv4Addr,
    flags: u16,
    /// (code, body) in order.
    options: Vec<(u8, Vec<u8>)>,
}

impl Sent {
    fn option(&self, code: u8) -> Option<&[u8]> {
        self.options
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, d)| d.as_slice())
    }

    fn msg_type(&self) -> u8 {
        self.option(opt::MESSAGE_TYPE).unwrap()[0]
    }
}

impl Server {
    fn new() -> Self {
        let mut config = ServerConfig::new();
        config.enable_interface4(SW_IF).unwrap();
        let params = Link4Parameters {
            lease_time: Some(3600),
            ..Default::default()
        };
        config.set_link4(ip4("192.0.2.0"), 24, &params).unwrap();
        config
            .add_pool4(
                ip4("192.0.2.0"),
                24,
                ip4("192.0.2.100"),
                ip4("192.0.2.102"),
                false,
            )
            .unwrap();
        config.set_link4(ip4("198.51.100.0"), 24, &params).unwrap();
        config
            .add_pool4(
                ip4("198.51.100.0"),
                24,
                ip4("198.51.100.10"),
                ip4("198.51.100.19"),
                false,
            )
            .unwrap();
        let mut s = Server {
            config,
            shard: Shard::new(),
            now: 1000,
        };
        s.sync();
        s
    }

    fn sync(&mut self) {
        let pools: Vec<_> = self.config.all_pools().copied().collect();
        self.shard.sync_pools(&pools, 0, 1);
        self.shard
            .sync_reserved(self.config.reservations().reserved_set());
    }

    /// Sends a BOOTREQUEST in a frame from `src_mac`/`src` to `dst`.
    fn send(&mut self, src_mac: [u8; 6], src: Ipv4Addr, dst: Ipv4Addr, message: &[u8]) -> Sent {
        let mut f = vec![0u8; 14];
        f[..6].copy_from_slice(&[0xff; 6]);
        f[6..12].copy_from_slice(&src_mac);
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let l3 = f.len();
        let udp_len = (UDP_HEADER_LEN + message.len()) as u16;
        let mut ip = [0u8; IPV4_HEADER_LEN];
        write_ipv4_header(&mut ip, &src, &dst, udp_len, 64);
        f.extend_from_slice(&ip);
        let mut udp = vec![0u8; UDP_HEADER_LEN];
        udp.extend_from_slice(message);
        finish_udp(&mut udp, &src, &dst, 68, 67);
        f.extend_from_slice(&udp);
        let len = f.len();
        f.resize(2048, 0);
        let mut summary = PacketSummary::default();
        let facts = InterfaceFacts4 {
            mac: Some(OUR_MAC),
            address: Some((SERVER, 24)),
        };
        let verdict = handle_frame4(
            &self.config,
            &mut self.shard,
            Clock::at_secs(self.now),
            SW_IF,
            &facts,
            Frame {
                buf: &mut f,
                len,
                l3_offset: l3,
                l4_offset: l3 + IPV4_HEADER_LEN,
            },
            &mut summary,
        );
        let frame_len = match verdict {
            Verdict::Reply { frame_len } | Verdict::Routed { frame_len } => frame_len,
            Verdict::Drop(_) => {
                return Sent {
                    verdict,
                    dst_mac: [0; 6],
                    src: Ipv4Addr::UNSPECIFIED,
                    dst: Ipv4Addr::UNSPECIFIED,
                    dst_port: 0,
                    yiaddr: Ipv4Addr::UNSPECIFIED,
                    ciaddr: Ipv4Addr::UNSPECIFIED,
                    flags: 0,
                    options: vec![],
                }
            }
        };
        let hdr = Ipv4Header::new_checked(&f[l3..]).unwrap();
        assert!(ipv4_header_checksum_is_valid(&f[l3..l3 + IPV4_HEADER_LEN]));
        let (src, dst) = (hdr.src(), hdr.dst());
        let datagram = &f[l3 + IPV4_HEADER_LEN..frame_len];
        assert!(udp_checksum_is_valid(&src, &dst, datagram));
        if matches!(verdict, Verdict::Reply { .. }) {
            assert_eq!(&f[6..12], &OUR_MAC, "from our MAC");
        }
        let m = Message::parse(&datagram[UDP_HEADER_LEN..]).unwrap();
        assert!(
            datagram.len() - UDP_HEADER_LEN >= 300,
            "padded to BOOTP's minimum"
        );
        assert_eq!(m.op(), 2);
        Sent {
            verdict,
            dst_mac: f[..6].try_into().unwrap(),
            src,
            dst,
            dst_port: u16::from_be_bytes([datagram[2], datagram[3]]),
            yiaddr: Ipv4Addr::from(<[u8; 4]>::try_from(&datagram[8 + 16..8 + 20]).unwrap()),
            ciaddr: m.ciaddr(),
            flags: m.flags(),
            options: m.options().map(|o| (o.code, o.data.to_vec())).collect(),
        }
    }

    /// From client `n` (broadcast, from 0.0.0.0).
    fn broadcast(&mut self, n: u8, message: &[u8]) -> Sent {
        self.send(
            client_mac(n),
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            message,
        )
    }
}

fn with_flags(mut m: Vec<u8>, flags: u16) -> Vec<u8> {
    m[10..12].copy_from_slice(&flags.to_be_bytes());
    m
}

fn with_ciaddr(mut m: Vec<u8>, a: Ipv4Addr) -> Vec<u8> {
    m[12..16].copy_from_slice(&a.octets());
    m
}

fn with_giaddr(mut m: Vec<u8>, a: Ipv4Addr) -> Vec<u8> {
    m[24..28].copy_from_slice(&a.octets());
    m
}

fn requested(a: Ipv4Addr) -> Vec<u8> {
    let o = a.octets();
    vec![50, 4, o[0], o[1], o[2], o[3]]
}

fn server_id(a: Ipv4Addr) -> Vec<u8> {
    let o = a.octets();
    vec![54, 4, o[0], o[1], o[2], o[3]]
}

const DISCOVER: &[u8] = &[53, 1, 1];
const REQUEST: &[u8] = &[53, 1, 3];

fn bound(s: &Server, a: Ipv4Addr) -> bool {
    s.shard
        .holder(ResourceKind::Ipv4, ipv4_resource(a))
        .is_some_and(|i| s.shard.lease(i).state == LeaseState::Bound)
}

#[test]
fn discover_offer_request_ack_as_rfc_2131_addresses_them() {
    let mut s = Server::new();
    // A client that asks for broadcast gets it at both layers.
    let offer = s.broadcast(1, &with_flags(bootrequest(1, &[DISCOVER]), 0x8000));
    assert!(
        matches!(offer.verdict, Verdict::Reply { .. }),
        "{:?}",
        offer.verdict
    );
    assert_eq!(offer.msg_type(), 2);
    assert_eq!(
        (offer.dst, offer.dst_mac, offer.dst_port),
        (Ipv4Addr::BROADCAST, [0xff; 6], 68)
    );
    assert_eq!(offer.src, SERVER);
    let yiaddr = offer.yiaddr;
    assert_eq!(yiaddr, ip4("192.0.2.100"));
    assert_eq!(offer.option(opt::SERVER_ID), Some(&SERVER.octets()[..]));
    assert_eq!(
        offer.option(opt::LEASE_TIME),
        Some(&3600u32.to_be_bytes()[..])
    );
    assert_eq!(
        offer.option(opt::RENEWAL_TIME),
        Some(&1800u32.to_be_bytes()[..])
    );
    assert_eq!(
        offer.option(opt::REBINDING_TIME),
        Some(&3150u32.to_be_bytes()[..])
    );
    assert_eq!(
        offer.option(opt::SUBNET_MASK),
        Some(&[255, 255, 255, 0][..])
    );
    assert!(!bound(&s, yiaddr), "only offered");

    // Without the flag: unicast to yiaddr at chaddr, no ARP needed.
    let offer = s.broadcast(1, &bootrequest(1, &[DISCOVER]));
    assert_eq!(
        (offer.dst, offer.dst_mac),
        (yiaddr, client_mac(1)),
        "the same offer"
    );

    // SELECTING: the offered address, named with our server id.
    let req = bootrequest(1, &[REQUEST, &requested(yiaddr), &server_id(SERVER)]);
    let ack = s.broadcast(1, &req);
    assert_eq!(ack.msg_type(), 5);
    assert_eq!((ack.yiaddr, ack.dst), (yiaddr, yiaddr));
    assert!(bound(&s, yiaddr));

    // RENEWING: unicast from ciaddr, answered to ciaddr.
    s.now += 1800;
    let renew = with_ciaddr(bootrequest(1, &[REQUEST]), yiaddr);
    let ack = s.send(client_mac(1), yiaddr, SERVER, &renew);
    assert_eq!(
        (ack.msg_type(), ack.dst, ack.dst_mac),
        (5, yiaddr, client_mac(1))
    );
    assert_eq!((ack.ciaddr, ack.yiaddr), (yiaddr, yiaddr));
    assert_eq!(
        ack.option(opt::LEASE_TIME),
        Some(&3600u32.to_be_bytes()[..]),
        "extended"
    );
}

#[test]
fn a_request_for_another_server_is_silent_and_frees_our_offer() {
    let mut s = Server::new();
    let offered = s.broadcast(1, &bootrequest(1, &[DISCOVER])).yiaddr;
    let other = s.broadcast(
        1,
        &bootrequest(
            1,
            &[
                REQUEST,
                &requested(ip4("192.0.2.200")),
                &server_id(ip4("192.0.2.254")),
            ],
        ),
    );
    assert_eq!(other.verdict, Verdict::Drop(Counter::ServerIdMismatch));
    let holder = s
        .shard
        .holder(ResourceKind::Ipv4, ipv4_resource(offered))
        .unwrap();
    assert_eq!(s.shard.lease(holder).state, LeaseState::Free);
}

#[test]
fn init_reboot_naks_a_wrong_network_and_keeps_a_right_address() {
    let mut s = Server::new();
    // Wrong network for this link: NAK, broadcast.
    let nak = s.broadcast(2, &bootrequest(2, &[REQUEST, &requested(ip4("10.9.9.9"))]));
    assert_eq!(nak.msg_type(), 6);
    assert_eq!(
        (nak.dst, nak.dst_mac, nak.yiaddr),
        (Ipv4Addr::BROADCAST, [0xff; 6], Ipv4Addr::UNSPECIFIED)
    );
    assert!(nak.option(opt::MESSAGE).is_some());
    assert!(nak.option(opt::LEASE_TIME).is_none());
    // An address of the pool, free, the client lost its lease: kept.
    let ack = s.broadcast(
        2,
        &bootrequest(2, &[REQUEST, &requested(ip4("192.0.2.101"))]),
    );
    assert_eq!((ack.msg_type(), ack.yiaddr), (5, ip4("192.0.2.101")));
    // Another client asking for it: NAK.
    let nak = s.broadcast(
        3,
        &bootrequest(3, &[REQUEST, &requested(ip4("192.0.2.101"))]),
    );
    assert_eq!(nak.msg_type(), 6);
    // An address on the subnet but outside every pool: not ours to judge.
    let quiet = s.broadcast(
        3,
        &bootrequest(3, &[REQUEST, &requested(ip4("192.0.2.50"))]),
    );
    assert_eq!(quiet.verdict, Verdict::Drop(Counter::UnknownClient));
    // The bound client asking for a different address: NAK.
    let nak = s.broadcast(
        2,
        &bootrequest(2, &[REQUEST, &requested(ip4("192.0.2.100"))]),
    );
    assert_eq!(nak.msg_type(), 6);
}

#[test]
fn release_decline_and_a_returning_client() {
    let mut s = Server::new();
    let a = s.broadcast(1, &bootrequest(1, &[DISCOVER])).yiaddr;
    s.broadcast(
        1,
        &bootrequest(1, &[REQUEST, &requested(a), &server_id(SERVER)]),
    );
    let release = with_ciaddr(bootrequest(1, &[&[53, 1, 7], &server_id(SERVER)]), a);
    assert_eq!(
        s.send(client_mac(1), a, SERVER, &release).verdict,
        Verdict::Drop(Counter::NoReplyNeeded)
    );
    assert!(!bound(&s, a));
    // Another client comes and goes; the first gets its address back.
    let b = s.broadcast(2, &bootrequest(2, &[DISCOVER])).yiaddr;
    assert_ne!(a, b);
    assert_eq!(s.broadcast(1, &bootrequest(1, &[DISCOVER])).yiaddr, a);
    // DECLINE: out of service.
    s.broadcast(
        1,
        &bootrequest(1, &[REQUEST, &requested(a), &server_id(SERVER)]),
    );
    let decline = bootrequest(1, &[&[53, 1, 4], &requested(a), &server_id(SERVER)]);
    assert_eq!(
        s.broadcast(1, &decline).verdict,
        Verdict::Drop(Counter::NoReplyNeeded)
    );
    let i = s
        .shard
        .holder(ResourceKind::Ipv4, ipv4_resource(a))
        .unwrap();
    assert_eq!(s.shard.lease(i).state, LeaseState::Declined);
    assert_ne!(s.broadcast(1, &bootrequest(1, &[DISCOVER])).yiaddr, a);
}

#[test]
fn exhaustion_is_silent_and_counted() {
    let mut s = Server::new();
    for n in 1..=3 {
        assert_eq!(s.broadcast(n, &bootrequest(n, &[DISCOVER])).msg_type(), 2);
    }
    assert_eq!(
        s.broadcast(4, &bootrequest(4, &[DISCOVER])).verdict,
        Verdict::Drop(Counter::NoAddressToOffer)
    );
}

#[test]
fn inform_gets_options_and_no_lease() {
    let mut s = Server::new();
    s.config
        .set_option(
            OptionScope::Server4,
            6,
            Some(OptionValue::named(Family::V4, "dns-servers", "192.0.2.53", false).unwrap()),
        )
        .unwrap();
    let client = ip4("192.0.2.77");
    let inform = with_ciaddr(bootrequest(5, &[&[53, 1, 8]]), client);
    let ack = s.send(client_mac(5), client, SERVER, &inform);
    assert_eq!(
        (ack.msg_type(), ack.dst, ack.yiaddr),
        (5, client, Ipv4Addr::UNSPECIFIED)
    );
    assert!(ack.option(opt::LEASE_TIME).is_none());
    assert_eq!(
        ack.option(opt::DNS_SERVERS),
        Some(&[192, 0, 2, 53][..]),
        "DNS goes unasked"
    );
}

#[test]
fn options_follow_the_parameter_request_list_narrowest_scope_first() {
    let mut s = Server::new();
    let named = |name, text| Some(OptionValue::named(Family::V4, name, text, false).unwrap());
    let link = crate::config::mapped_prefix(ip4("192.0.2.0"), 24);
    let c = &mut s.config;
    c.set_option(OptionScope::Server4, 3, named("routers", "192.0.2.254"))
        .unwrap();
    c.set_option(
        OptionScope::Link(link.0, link.1),
        3,
        named("routers", "192.0.2.1"),
    )
    .unwrap();
    c.set_option(
        OptionScope::Server4,
        42,
        named("ntp-servers", "192.0.2.123"),
    )
    .unwrap();
    c.set_option(
        OptionScope::Server4,
        150,
        Some(OptionValue::by_code(Family::V4, 150, "ipv4-address", "192.0.2.9", false).unwrap()),
    )
    .unwrap();
    let offer = s.broadcast(1, &bootrequest(1, &[DISCOVER, &[55, 4, 1, 3, 28, 150]]));
    assert_eq!(offer.option(3), Some(&[192, 0, 2, 1][..]), "the link's");
    assert_eq!(
        offer.option(28),
        Some(&[192, 0, 2, 255][..]),
        "from the subnet"
    );
    assert_eq!(offer.option(150), Some(&[192, 0, 2, 9][..]));
    assert!(offer.option(42).is_none(), "not asked for");
}

#[test]
fn relayed_clients_are_placed_by_giaddr_or_link_selection_and_82_is_echoed() {
    let mut s = Server::new();
    let relay = ip4("198.51.100.1");
    let agent_info: &[u8] = &[82, 6, 1, 4, b'p', b'o', b'r', b't'];
    let discover = with_giaddr(bootrequest(1, &[DISCOVER, agent_info]), relay);
    // From a relay that is not on our link: routed to it, port 67.
    let offer = s.send(client_mac(0x99), relay, SERVER, &discover);
    assert!(
        matches!(offer.verdict, Verdict::Routed { .. }),
        "{:?}",
        offer.verdict
    );
    assert_eq!((offer.dst, offer.dst_port), (relay, 67));
    assert!(
        offer.yiaddr.octets()[..3] == [198, 51, 100],
        "{}",
        offer.yiaddr
    );
    assert_eq!(
        offer.options.last().unwrap(),
        &(82u8, agent_info[2..].to_vec()),
        "echoed, last"
    );
    // Link selection (RFC 3527) wins over giaddr.
    let select: &[u8] = &[82, 6, 5, 4, 192, 0, 2, 0];
    let discover = with_giaddr(bootrequest(2, &[DISCOVER, select]), relay);
    assert_eq!(
        s.send(client_mac(0x99), relay, SERVER, &discover)
            .yiaddr
            .octets()[..3],
        [192, 0, 2]
    );
    // A relay on our link gets its reply at layer 2, whatever its giaddr.
    let discover = with_giaddr(bootrequest(4, &[DISCOVER]), relay);
    let offer = s.send(client_mac(0x56), ip4("192.0.2.6"), SERVER, &discover);
    assert!(matches!(offer.verdict, Verdict::Reply { .. }));
    assert_eq!(
        (offer.dst, offer.dst_mac, offer.dst_port),
        (relay, client_mac(0x56), 67)
    );
    let on_link = ip4("192.0.2.5");
    let discover = with_giaddr(bootrequest(3, &[DISCOVER]), on_link);
    let offer = s.send(client_mac(0x55), on_link, SERVER, &discover);
    assert!(matches!(offer.verdict, Verdict::Reply { .. }));
    assert_eq!(offer.dst_mac, client_mac(0x55));
    // A relayed NAK asks the relay to broadcast it.
    let nak = s.send(
        client_mac(0x55),
        on_link,
        SERVER,
        &with_giaddr(
            bootrequest(3, &[REQUEST, &requested(ip4("10.0.0.1"))]),
            on_link,
        ),
    );
    assert_eq!((nak.msg_type(), nak.flags & 0x8000), (6, 0x8000));
}

#[test]
fn rapid_commit_and_reservations() {
    let mut s = Server::new();
    let rapid = Link4Parameters {
        rapid_commit: Some(true),
        ..Default::default()
    };
    s.config.set_link4(ip4("192.0.2.0"), 24, &rapid).unwrap();
    let ack = s.broadcast(1, &bootrequest(1, &[DISCOVER, &[80, 0]]));
    assert_eq!(ack.msg_type(), 5);
    assert!(ack.option(opt::RAPID_COMMIT).is_some());
    assert!(bound(&s, ack.yiaddr));
    // By hardware address, outside the pools.
    s.config
        .add_reservation("hw-address:02:00:00:00:00:07", "192.0.2.7", "")
        .unwrap();
    s.sync();
    let offer = s.broadcast(7, &bootrequest(7, &[DISCOVER]));
    assert_eq!(offer.yiaddr, ip4("192.0.2.7"));
}

#[test]
fn what_cannot_be_served_is_dropped_and_counted() {
    let mut s = Server::new();
    let mut bad_cookie = bootrequest(1, &[DISCOVER]);
    bad_cookie[236] = 0;
    assert_eq!(
        s.broadcast(1, &bad_cookie).verdict,
        Verdict::Drop(Counter::BadMagicCookie)
    );
    assert_eq!(
        s.broadcast(1, &bootrequest(1, &[DISCOVER])[..200]).verdict,
        Verdict::Drop(Counter::Truncated)
    );
    s.config.disable_interface4(SW_IF).unwrap();
    assert_eq!(
        s.broadcast(1, &bootrequest(1, &[DISCOVER])).verdict,
        Verdict::Drop(Counter::InterfaceNotEnabled)
    );
}

#[test]
fn the_prefetch_hint_is_the_key_of_a_client_without_client_id() {
    let m = bootrequest(9, &[DISCOVER]);
    let mut frame = vec![0u8; 14 + IPV4_HEADER_LEN + UDP_HEADER_LEN];
    frame.extend_from_slice(&m);
    let hint = client_key_hint(&frame, 14 + IPV4_HEADER_LEN).unwrap();
    let req = request::read_request(&Message::parse(&m).unwrap()).unwrap();
    assert_eq!(hint.as_slice(), req.client_key());
    assert!(client_key_hint(&frame[..60], 14 + IPV4_HEADER_LEN).is_none());
}
