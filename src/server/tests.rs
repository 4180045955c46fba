use super::*;
use crate::config::InterfaceSettings;
use crate::duid::Duid;
use crate::leases::Shard;
use crate::wire::dhcpv6::option_code;
use crate::wire::dhcpv6::RawOption;
use crate::wire::frame::{udp_checksum_is_valid, ALL_DHCP_RELAY_AGENTS_AND_SERVERS};

const SW_IF: u32 = 1;
const CLIENT_MAC: [u8; 6] = [0x02, 0xc1, 0, 0, 0, 0x01];
const SERVER_MAC: [u8; 6] = [0x02, 0x5e, 0, 0, 0, 0x02];
const CLIENT_DUID: &[u8] = &[0, 3, 0, 1, 0x02, 0xc1, 0, 0, 0, 0x01];
const XID: [u8; 3] = [0x12, 0x34, 0x56];

fn client_ll() -> Ipv6Addr {
    "fe80::c1:ff:fe00:1".parse().unwrap()
}

fn facts() -> InterfaceFacts {
    InterfaceFacts {
        mac: Some(SERVER_MAC),
        link_local: Some("fe80::5e:ff:fe00:2".parse().unwrap()),
        first_global: Some("2001:db8:1::1".parse().unwrap()),
        ipv4_address: None,
        fib_index: 0,
    }
}

fn config_with(settings: InterfaceSettings) -> ServerConfig {
    let mut c = ServerConfig::new();
    c.enable_interface(SW_IF, settings, Some(SERVER_MAC))
        .unwrap();
    c.set_dns_servers(&["2001:db8::53".parse().unwrap()])
        .unwrap();
    c.set_domain_search(&["example.com"]).unwrap();
    c
}

fn config() -> ServerConfig {
    config_with(InterfaceSettings::default())
}

fn option(code: u16, data: &[u8]) -> Vec<u8> {
    let mut v = code.to_be_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn message(msg_type: u8, options: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![msg_type];
    m.extend_from_slice(&XID);
    for o in options {
        m.extend_from_slice(o);
    }
    m
}

fn info_request(extra: &[Vec<u8>]) -> Vec<u8> {
    let mut opts = vec![
        option(option_code::CLIENT_ID, CLIENT_DUID),
        option(option_code::ORO, &[0, 23, 0, 24]),
    ];
    opts.extend_from_slice(extra);
    message(MessageType::InformationRequest as u8, &opts)
}

/// Ethernet (with `vlan` tags) + IPv6 + UDP + `payload`, in a 2048-byte buffer.
struct TestFrame {
    buf: Vec<u8>,
    len: usize,
    l3: usize,
}

fn frame_to(dst: Ipv6Addr, payload: &[u8], vlan_tags: usize) -> TestFrame {
    let mut f = Vec::new();
    f.extend_from_slice(&[0x33, 0x33, 0, 1, 0, 2]);
    f.extend_from_slice(&CLIENT_MAC);
    for _ in 0..vlan_tags {
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x64]);
    }
    f.extend_from_slice(&[0x86, 0xdd]);
    let l3 = f.len();
    let udp_len = (UDP_HEADER_LEN + payload.len()) as u16;
    let mut ip = [0u8; IPV6_HEADER_LEN];
    write_ipv6_header(&mut ip, &client_ll(), &dst, udp_len);
    ip[7] = 1;
    f.extend_from_slice(&ip);
    let mut udp = vec![0u8; UDP_HEADER_LEN];
    udp.extend_from_slice(payload);
    finish_udp(
        &mut udp,
        &client_ll(),
        &dst,
        DHCPV6_CLIENT_PORT,
        DHCPV6_SERVER_PORT,
    );
    f.extend_from_slice(&udp);
    let len = f.len();
    f.resize(2048, 0xee);
    TestFrame { buf: f, len, l3 }
}

fn frame(payload: &[u8]) -> TestFrame {
    frame_to(ALL_DHCP_RELAY_AGENTS_AND_SERVERS, payload, 0)
}

/// A fresh lease engine with the configuration's pools.
fn shard_for(config: &ServerConfig) -> Shard {
    let mut shard = Shard::new();
    let pools: Vec<_> = config.all_pools().copied().collect();
    shard.sync_pools(&pools, 0, 1);
    shard
}

fn run_with(
    config: &ServerConfig,
    facts: &InterfaceFacts,
    f: &mut TestFrame,
    l4: usize,
) -> (Verdict, PacketSummary) {
    let mut summary = PacketSummary::default();
    let frame = Frame {
        buf: &mut f.buf,
        len: f.len,
        l3_offset: f.l3,
        l4_offset: l4,
    };
    let mut shard = shard_for(config);
    let v = handle_frame(
        config,
        &mut shard,
        Clock::at_secs(1000),
        SW_IF,
        facts,
        frame,
        &mut summary,
    );
    (v, summary)
}

fn run(config: &ServerConfig, f: &mut TestFrame) -> (Verdict, PacketSummary) {
    let l4 = f.l3 + IPV6_HEADER_LEN;
    run_with(config, &facts(), f, l4)
}

/// Checks every header field of a reply and returns its DHCPv6 options.
fn check_reply(f: &TestFrame, frame_len: usize, from: Ipv6Addr) -> Vec<(u16, Vec<u8>)> {
    let b = &f.buf[..frame_len];
    assert_eq!(&b[..6], &CLIENT_MAC, "to the client's MAC");
    assert_eq!(&b[6..12], &SERVER_MAC, "from the interface's MAC");
    assert_eq!(&b[f.l3 - 2..f.l3], &[0x86, 0xdd]);
    let ip = Ipv6Header::new_checked(&b[f.l3..]).unwrap();
    assert_eq!(ip.src(), from);
    assert_eq!(ip.dst(), client_ll());
    assert_eq!(b[f.l3 + 7], 64, "hop limit");
    assert_eq!(&b[f.l3..f.l3 + 4], &[0x60, 0, 0, 0], "version, class, flow");
    let l4 = f.l3 + IPV6_HEADER_LEN;
    let payload_len = u16::from_be_bytes([b[f.l3 + 4], b[f.l3 + 5]]) as usize;
    assert_eq!(l4 + payload_len, frame_len);
    let udp = UdpHeader::new_checked(&b[l4..]).unwrap();
    assert_eq!((udp.src_port(), udp.dst_port()), (547, 546));
    assert_eq!(udp.length() as usize, payload_len);
    assert!(udp_checksum_is_valid(
        &from,
        &client_ll(),
        &b[l4..frame_len]
    ));
    let m = Message::parse(&b[l4 + UDP_HEADER_LEN..frame_len]).unwrap();
    assert_eq!(m.msg_type(), MessageType::Reply as u8);
    assert_eq!(m.transaction_id(), XID);
    m.options()
        .map(|RawOption { code, data }| (code, data.to_vec()))
        .collect()
}

#[test]
fn information_request_gets_a_complete_reply() {
    let c = config();
    let mut f = frame(&info_request(&[option(option_code::ELAPSED_TIME, &[0, 0])]));
    let (v, s) = run(&c, &mut f);
    let Verdict::Reply { frame_len } = v else {
        panic!("{v:?}")
    };
    let opts = check_reply(&f, frame_len, facts().link_local.unwrap());
    let duid = Duid::link_layer_ethernet(SERVER_MAC);
    assert_eq!(
        opts,
        vec![
            (option_code::SERVER_ID, duid.as_bytes().to_vec()),
            (option_code::CLIENT_ID, CLIENT_DUID.to_vec()),
            (
                option_code::DNS_SERVERS,
                "2001:db8::53"
                    .parse::<Ipv6Addr>()
                    .unwrap()
                    .octets()
                    .to_vec()
            ),
            (option_code::DOMAIN_LIST, b"\x07example\x03com\x00".to_vec()),
        ]
    );
    assert_eq!((s.msg_type_in, s.msg_type_out), (11, 7));
    assert_eq!(&s.client_duid[..s.client_duid_len as usize], CLIENT_DUID);
}

#[test]
fn oro_selects_options_and_no_oro_gets_all() {
    let c = config();
    let ir = message(
        11,
        &[
            option(option_code::CLIENT_ID, CLIENT_DUID),
            option(option_code::ORO, &[0, 23]),
        ],
    );
    let mut f = frame(&ir);
    let Verdict::Reply { frame_len } = run(&c, &mut f).0 else {
        panic!()
    };
    let codes: Vec<u16> = check_reply(&f, frame_len, facts().link_local.unwrap())
        .iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(
        codes,
        vec![
            option_code::SERVER_ID,
            option_code::CLIENT_ID,
            option_code::DNS_SERVERS
        ]
    );

    // No ORO and no Client Identifier: both options, no Client Identifier.
    let mut f = frame(&message(11, &[]));
    let Verdict::Reply { frame_len } = run(&c, &mut f).0 else {
        panic!()
    };
    let codes: Vec<u16> = check_reply(&f, frame_len, facts().link_local.unwrap())
        .iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(
        codes,
        vec![
            option_code::SERVER_ID,
            option_code::DNS_SERVERS,
            option_code::DOMAIN_LIST
        ]
    );
}

#[test]
fn configured_reply_from_and_vlan_tags_are_honoured() {
    let from: Ipv6Addr = "fe80::1234".parse().unwrap();
    let c = config_with(InterfaceSettings {
        reply_from: Some(from),
        ..Default::default()
    });
    let mut f = frame_to(ALL_DHCP_RELAY_AGENTS_AND_SERVERS, &info_request(&[]), 2);
    assert_eq!(f.l3, 22);
    let Verdict::Reply { frame_len } = run(&c, &mut f).0 else {
        panic!()
    };
    check_reply(&f, frame_len, from);
    assert_eq!(
        &f.buf[12..20],
        &[0x81, 0, 0, 0x64, 0x81, 0, 0, 0x64],
        "tags kept"
    );
}

#[test]
fn per_interface_acceptance() {
    let unicast: Ipv6Addr = "2001:db8:1::1".parse().unwrap();
    let no_mc = config_with(InterfaceSettings {
        accept_multicast: false,
        ..Default::default()
    });
    assert_eq!(
        run(&no_mc, &mut frame(&info_request(&[]))).0,
        Verdict::Drop(Counter::MulticastNotAccepted)
    );
    // By unicast: a client's Information-request is discarded (RFC 8415
    // section 16), a relay's Relay-forward served.
    assert_eq!(
        run(&no_mc, &mut frame_to(unicast, &info_request(&[]), 0)).0,
        Verdict::Drop(Counter::UnicastForbidden)
    );
    assert!(matches!(
        run(
            &no_mc,
            &mut frame_to(unicast, &relay_forward(&info_request(&[])), 0)
        )
        .0,
        Verdict::Reply { .. } | Verdict::Routed { .. }
    ));

    let no_uc = config_with(InterfaceSettings {
        accept_unicast: false,
        ..Default::default()
    });
    assert_eq!(
        run(&no_uc, &mut frame_to(unicast, &info_request(&[]), 0)).0,
        Verdict::Drop(Counter::UnicastNotAccepted)
    );
    assert!(matches!(
        run(&no_uc, &mut frame(&info_request(&[]))).0,
        Verdict::Reply { .. }
    ));

    let mut none = config();
    none.disable_interface(SW_IF).unwrap();
    assert_eq!(
        run(&none, &mut frame(&info_request(&[]))).0,
        Verdict::Drop(Counter::InterfaceNotEnabled)
    );
}

#[test]
fn server_identifier_must_be_ours() {
    let c = config();
    let ours = option(
        option_code::SERVER_ID,
        Duid::link_layer_ethernet(SERVER_MAC).as_bytes(),
    );
    assert!(matches!(
        run(&c, &mut frame(&info_request(&[ours]))).0,
        Verdict::Reply { .. }
    ));
    let other = option(option_code::SERVER_ID, &[0, 3, 0, 1, 9, 9, 9, 9, 9, 9]);
    assert_eq!(
        run(&c, &mut frame(&info_request(&[other]))).0,
        Verdict::Drop(Counter::ServerIdMismatch)
    );
}

#[test]
fn server_only_and_unknown_message_types_are_counted() {
    let c = config();
    let duid = option(option_code::CLIENT_ID, CLIENT_DUID);
    for (t, want) in [
        (2, Counter::ServerOnlyMessage),
        (7, Counter::ServerOnlyMessage),
        (10, Counter::ServerOnlyMessage),
        (13, Counter::ServerOnlyMessage),
        (0, Counter::UnknownMessageType),
        (14, Counter::UnknownMessageType),
        (255, Counter::UnknownMessageType),
    ] {
        let (v, s) = run(&c, &mut frame(&message(t, std::slice::from_ref(&duid))));
        assert_eq!(v, Verdict::Drop(want), "type {t}");
        assert_eq!(s.msg_type_in, t);
        assert_eq!(s.msg_type_out, 0);
    }
}

/// A Relay-forward (hop count 0) from a relay on the link, carrying `inner`.
fn relay_forward(inner: &[u8]) -> Vec<u8> {
    let mut m = vec![MessageType::RelayForward as u8, 0];
    m.extend_from_slice(&"2001:db8:1::2".parse::<Ipv6Addr>().unwrap().octets());
    m.extend_from_slice(&client_ll().octets());
    m.extend(option(option_code::RELAY_MSG, inner));
    m
}

#[test]
fn a_relayed_message_is_summarized_as_relayed_with_its_inner_types() {
    // The stats segment counts a relayed message under rx/relay-forward
    // and its own type, its reply under tx/relay-reply and its own type:
    // the summary carries both, the inner types and the relayed flag.
    let c = config();
    let (v, s) = run(&c, &mut frame(&relay_forward(&info_request(&[]))));
    // (A relay on the link: answered at layer 2.)
    assert!(matches!(v, Verdict::Reply { .. }), "{v:?}");
    assert_eq!(
        (s.msg_type_in, s.msg_type_out, s.relayed),
        (
            MessageType::InformationRequest as u8,
            MessageType::Reply as u8,
            true
        )
    );
    assert_eq!(&s.client_duid[..s.client_duid_len as usize], CLIENT_DUID);

    // Not relayed: the flag is clear.
    let (v, s) = run(&c, &mut frame(&info_request(&[])));
    assert!(matches!(v, Verdict::Reply { .. }), "{v:?}");
    assert_eq!((s.msg_type_in, s.msg_type_out, s.relayed), (11, 7, false));

    // A Relay-forward whose message cannot be read is a Relay-forward.
    let mut no_msg = vec![MessageType::RelayForward as u8, 0];
    no_msg.extend_from_slice(&[0; 32]);
    let (v, s) = run(&c, &mut frame(&no_msg));
    assert_eq!(v, Verdict::Drop(Counter::RelayWithoutMessage));
    assert_eq!((s.msg_type_in, s.msg_type_out, s.relayed), (12, 0, true));

    // Relayed but dropped after the inner message was read: the inner type
    // is known (it is counted under rx/solicit and rx/relay-forward).
    let unicast_refused = config_with(InterfaceSettings {
        accept_unicast: false,
        ..Default::default()
    });
    let solicit = message(
        MessageType::Solicit as u8,
        &[option(option_code::CLIENT_ID, CLIENT_DUID)],
    );
    let mut f = frame_to(facts().first_global.unwrap(), &relay_forward(&solicit), 0);
    let (v, s) = run(&unicast_refused, &mut f);
    assert_eq!(v, Verdict::Drop(Counter::UnicastNotAccepted));
    assert_eq!((s.msg_type_in, s.msg_type_out, s.relayed), (1, 0, true));
}

#[test]
fn malformed_requests_are_dropped_with_their_reason() {
    let c = config();
    let cid = option(option_code::CLIENT_ID, CLIENT_DUID);
    let cases: Vec<(Vec<u8>, Counter)> = vec![
        (vec![11, 0, 0], Counter::Truncated),
        (vec![], Counter::Truncated),
        (vec![11, 0, 0, 0, 0, 1, 0, 9, 1], Counter::OptionOverrun),
        (
            message(11, &[cid.clone(), cid.clone()]),
            Counter::BadClientId,
        ),
        (
            message(11, &[option(option_code::CLIENT_ID, &[])]),
            Counter::BadClientId,
        ),
        (
            message(11, &[option(option_code::CLIENT_ID, &[0; 131])]),
            Counter::BadClientId,
        ),
        (
            message(11, &[option(option_code::ORO, &[0, 23, 0])]),
            Counter::BadOptionLength,
        ),
        (
            message(11, &[option(option_code::ELAPSED_TIME, &[0])]),
            Counter::BadOptionLength,
        ),
        (
            message(11, &[option(option_code::SERVER_ID, &[0])]),
            Counter::BadOptionLength,
        ),
        (
            message(11, &[cid.clone(), option(option_code::IA_NA, &[0; 12])]),
            Counter::InformationRequestWithIa,
        ),
        (
            message(11, &[option(option_code::IA_PD, &[0; 12])]),
            Counter::InformationRequestWithIa,
        ),
    ];
    for (payload, want) in cases {
        assert_eq!(
            run(&c, &mut frame(&payload)).0,
            Verdict::Drop(want),
            "{payload:?}"
        );
    }
}

#[test]
fn udp_length_beyond_the_frame_is_truncated() {
    let c = config();
    let mut f = frame(&info_request(&[]));
    f.len -= 3; // the UDP header still claims the full length
    assert_eq!(run(&c, &mut f).0, Verdict::Drop(Counter::Truncated));
}

#[test]
fn extension_headers_and_non_udp_are_refused() {
    let c = config();
    let mut f = frame(&info_request(&[]));
    let l3 = f.l3;
    assert_eq!(
        run_with(&c, &facts(), &mut f, l3 + 48).0,
        Verdict::Drop(Counter::NotIpv6Udp)
    );
    f.buf[l3 + 6] = 6; // TCP
    assert_eq!(run(&c, &mut f).0, Verdict::Drop(Counter::NotIpv6Udp));
}

#[test]
fn reply_that_does_not_fit_is_dropped() {
    let c = config();
    let mut f = frame(&info_request(&[]));
    f.buf.truncate(f.len); // no room beyond the request
    assert_eq!(run(&c, &mut f).0, Verdict::Drop(Counter::NoRoom));
}

#[test]
fn missing_link_local_or_mac_is_counted() {
    let c = config();
    for facts in [
        InterfaceFacts {
            link_local: None,
            ..facts()
        },
        InterfaceFacts {
            mac: None,
            ..facts()
        },
    ] {
        let mut f = frame(&info_request(&[]));
        let l4 = f.l3 + IPV6_HEADER_LEN;
        assert_eq!(
            run_with(&c, &facts, &mut f, l4).0,
            Verdict::Drop(Counter::NoReplyAddress)
        );
    }
}

/// Deterministic mutation run: flips, truncations and option-length damage of
/// a valid request never panic, and every reply produced is well formed.
#[test]
fn mutated_requests_never_panic_and_replies_stay_valid() {
    let c = config();
    let base = frame(&info_request(&[option(option_code::ELAPSED_TIME, &[0, 5])]));
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut replies, mut drops) = (0, 0);
    for _ in 0..20_000 {
        let mut f = TestFrame {
            buf: base.buf.clone(),
            len: base.len,
            l3: base.l3,
        };
        let l4 = f.l3 + IPV6_HEADER_LEN;
        for _ in 0..(next() % 4 + 1) {
            let at = l4 + (next() as usize % (f.len - l4));
            f.buf[at] = next() as u8;
        }
        if next() % 5 == 0 {
            f.len = l4 + (next() as usize % (f.len - l4 + 1));
        }
        match run(&c, &mut f).0 {
            Verdict::Reply { frame_len } | Verdict::Routed { frame_len } => {
                replies += 1;
                let ip = Ipv6Header::new_checked(&f.buf[f.l3..]).unwrap();
                assert!(udp_checksum_is_valid(
                    &ip.src(),
                    &ip.dst(),
                    &f.buf[l4..frame_len]
                ));
                Message::parse(&f.buf[l4 + UDP_HEADER_LEN..frame_len]).unwrap();
            }
            Verdict::Drop(_) => drops += 1,
        }
    }
    assert!(replies > 0 && drops > 0, "replies {replies}, drops {drops}");
}
