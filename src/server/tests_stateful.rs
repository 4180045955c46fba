//! Every RFC 8415 exchange against the lease engine, through `handle_frame`.

use super::*;
use crate::config::{InterfaceSettings, LinkParameters};
use crate::duid::Duid;
use crate::leases::{PoolSpec, Shard};
use crate::wire::dhcpv6::{option_code, Options, StatusCode};
use crate::wire::frame::ALL_DHCP_RELAY_AGENTS_AND_SERVERS;

pub(super) const SW_IF: u32 = 1;
const MAC: [u8; 6] = [2, 0x5e, 0, 0, 0, 2];

pub(super) fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn bits(s: &str) -> u128 {
    u128::from_be_bytes(ip(s).octets())
}

pub(super) fn opt(code: u16, data: &[u8]) -> Vec<u8> {
    let mut v = code.to_be_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn client_id(n: u8) -> Vec<u8> {
    opt(option_code::CLIENT_ID, &[0, 3, 0, 1, 2, 0, 0, 0, 0, n])
}

fn ia_na(iaid: u32, addrs: &[&str]) -> Vec<u8> {
    let mut body = iaid.to_be_bytes().to_vec();
    body.extend_from_slice(&[0; 8]);
    for a in addrs {
        let mut sub = ip(a).octets().to_vec();
        sub.extend_from_slice(&[0; 8]);
        body.extend(opt(option_code::IA_ADDR, &sub));
    }
    opt(option_code::IA_NA, &body)
}

fn ia_pd(iaid: u32, prefixes: &[(&str, u8)]) -> Vec<u8> {
    let mut body = iaid.to_be_bytes().to_vec();
    body.extend_from_slice(&[0; 8]);
    for (p, len) in prefixes {
        let mut sub = vec![0; 8];
        sub.push(*len);
        sub.extend_from_slice(&ip(p).octets());
        body.extend(opt(option_code::IA_PREFIX, &sub));
    }
    opt(option_code::IA_PD, &body)
}

pub(super) fn msg(t: MessageType, options: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![t as u8, 0xab, 0xcd, 0xef];
    for o in options {
        m.extend_from_slice(o);
    }
    m
}

pub(super) fn relay_forward(
    hop: u8,
    link: &str,
    peer: &str,
    interface_id: Option<&[u8]>,
    inner: &[u8],
) -> Vec<u8> {
    let mut m = vec![MessageType::RelayForward as u8, hop];
    m.extend_from_slice(&ip(link).octets());
    m.extend_from_slice(&ip(peer).octets());
    if let Some(id) = interface_id {
        m.extend(opt(option_code::INTERFACE_ID, id));
    }
    m.extend(opt(option_code::RELAY_MSG, inner));
    m
}

/// Options of a message (after the 4-byte header) or an option body.
pub(super) fn options(area: &[u8]) -> Vec<(u16, Vec<u8>)> {
    Options::checked(area)
        .unwrap()
        .map(|o| (o.code, o.data.to_vec()))
        .collect()
}

pub(super) fn find(opts: &[(u16, Vec<u8>)], code: u16) -> Option<Vec<u8>> {
    opts.iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| d.clone())
}

fn status_of(body: &[u8]) -> u16 {
    u16::from_be_bytes([body[0], body[1]])
}

/// An IA of the reply: iaid, t1, t2, (resource, len, preferred, valid), status.
#[derive(Debug)]
struct Ia {
    iaid: u32,
    t1: u32,
    t2: u32,
    resources: Vec<(u128, u8, u32, u32)>,
    status: Option<u16>,
}

fn ias(opts: &[(u16, Vec<u8>)]) -> Vec<Ia> {
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    opts.iter()
        .filter(|(c, _)| *c == option_code::IA_NA || *c == option_code::IA_PD)
        .map(|(c, d)| {
            let mut ia = Ia {
                iaid: be(d),
                t1: be(&d[4..]),
                t2: be(&d[8..]),
                resources: vec![],
                status: None,
            };
            for (sc, sd) in options(&d[12..]) {
                match sc {
                    option_code::IA_ADDR => ia.resources.push((
                        u128::from_be_bytes(sd[..16].try_into().unwrap()),
                        128,
                        be(&sd[16..]),
                        be(&sd[20..]),
                    )),
                    option_code::IA_PREFIX => ia.resources.push((
                        u128::from_be_bytes(sd[9..25].try_into().unwrap()),
                        sd[8],
                        be(&sd[0..]),
                        be(&sd[4..]),
                    )),
                    option_code::STATUS_CODE => ia.status = Some(status_of(&sd)),
                    _ => {}
                }
                let _ = c;
            }
            ia
        })
        .collect()
}

pub(super) struct Server {
    pub(super) config: ServerConfig,
    pub(super) shard: Shard,
    pub(super) now: Time,
    /// The interface's MAC as VPP reports it (None: no Ethernet address).
    mac: Option<[u8; 6]>,
    /// The IPv6 source of the last reply sent, and its (destination,
    /// source) MACs.
    pub(super) last_source: Option<Ipv6Addr>,
    /// The interface's IPv4 address as VPP reports it.
    pub(super) ipv4_address: Option<core::net::Ipv4Addr>,
    last_frame_macs: ([u8; 6], [u8; 6]),
}

/// The source MAC of the frames `send_from` makes.
const CLIENT_FRAME_MAC: [u8; 6] = [2, 0xc1, 0, 0, 0, 1];

const LINK: &str = "2001:db8:1::";

impl Server {
    fn new(settings: InterfaceSettings, params: LinkParameters) -> Self {
        let mut config = ServerConfig::new();
        config.enable_interface(SW_IF, settings, Some(MAC)).unwrap();
        config.set_link(ip(LINK), 64, &params).unwrap();
        config
            .add_pool(
                ip(LINK),
                64,
                PoolSpec::Addresses {
                    first: ip("2001:db8:1::100"),
                    last: ip("2001:db8:1::103"),
                },
            )
            .unwrap();
        config
            .add_pool(
                ip(LINK),
                64,
                PoolSpec::Prefixes {
                    prefix: ip("2001:db8:100::"),
                    len: 46,
                    delegated_len: 48,
                },
            )
            .unwrap();
        config
            .set_link(ip("2001:db8:2::"), 64, &LinkParameters::default())
            .unwrap();
        config
            .add_pool(
                ip("2001:db8:2::"),
                64,
                PoolSpec::Addresses {
                    first: ip("2001:db8:2::10"),
                    last: ip("2001:db8:2::1f"),
                },
            )
            .unwrap();
        let mut shard = Shard::new();
        shard.sync_pools(&config.all_pools().copied().collect::<Vec<_>>(), 0, 1);
        Server {
            config,
            shard,
            now: 1_000,
            mac: Some(MAC),
            last_source: None,
            ipv4_address: None,
            last_frame_macs: ([0; 6], [0; 6]),
        }
    }

    pub(super) fn default() -> Self {
        Self::new(InterfaceSettings::default(), LinkParameters::default())
    }

    fn facts(&self) -> InterfaceFacts {
        InterfaceFacts {
            mac: self.mac,
            link_local: Some(ip("fe80::2")),
            first_global: Some(ip("2001:db8:1::1")),
            ipv4_address: self.ipv4_address,
            fib_index: 0,
        }
    }

    pub(super) fn server_id(&self) -> Vec<u8> {
        opt(
            option_code::SERVER_ID,
            Duid::link_layer_ethernet(MAC).as_bytes(),
        )
    }

    /// Sends `payload` from `src` to `dst`; returns the verdict and the
    /// reply's UDP payload.
    pub(super) fn send_from(
        &mut self,
        src: &str,
        dst: Ipv6Addr,
        payload: &[u8],
    ) -> (Verdict, Vec<u8>) {
        let mut f = vec![0x33, 0x33, 0, 1, 0, 2, 2, 0xc1, 0, 0, 0, 1, 0x86, 0xdd];
        let l3 = f.len();
        let udp_len = (UDP_HEADER_LEN + payload.len()) as u16;
        let mut hdr = [0u8; IPV6_HEADER_LEN];
        write_ipv6_header(&mut hdr, &ip(src), &dst, udp_len);
        f.extend_from_slice(&hdr);
        let mut udp = vec![0u8; UDP_HEADER_LEN];
        udp.extend_from_slice(payload);
        finish_udp(&mut udp, &ip(src), &dst, 546, 547);
        f.extend_from_slice(&udp);
        let len = f.len();
        f.resize(2048, 0);
        let mut summary = PacketSummary::default();
        let frame = Frame {
            buf: &mut f,
            len,
            l3_offset: l3,
            l4_offset: l3 + IPV6_HEADER_LEN,
        };
        let facts = self.facts();
        let v = handle_frame(
            &self.config,
            &mut self.shard,
            Clock::at_secs(self.now),
            SW_IF,
            &facts,
            frame,
            &mut summary,
        );
        let out = match v {
            Verdict::Reply { frame_len } | Verdict::Routed { frame_len } => {
                let src: [u8; 16] = f[l3 + 8..l3 + 24].try_into().unwrap();
                self.last_source = Some(Ipv6Addr::from(src));
                self.last_frame_macs = (f[..6].try_into().unwrap(), f[6..12].try_into().unwrap());
                f[l3 + IPV6_HEADER_LEN + UDP_HEADER_LEN..frame_len].to_vec()
            }
            Verdict::Drop(_) => vec![],
        };
        (v, out)
    }

    pub(super) fn send(&mut self, payload: &[u8]) -> (Verdict, Vec<u8>) {
        self.send_from("fe80::c1", ALL_DHCP_RELAY_AGENTS_AND_SERVERS, payload)
    }

    fn reply(&mut self, payload: &[u8]) -> (u8, Vec<(u16, Vec<u8>)>) {
        let (v, out) = self.send(payload);
        assert!(matches!(v, Verdict::Reply { .. }), "{v:?}");
        (out[0], options(&out[4..]))
    }
}

#[test]
fn solicit_request_renew_rebind_release() {
    let mut s = Server::default();
    let (t, opts) = s.reply(&msg(
        MessageType::Solicit,
        &[client_id(1), ia_na(7, &[]), ia_pd(8, &[])],
    ));
    assert_eq!(t, MessageType::Advertise as u8);
    let offered = ias(&opts);
    assert_eq!((offered[0].iaid, offered[1].iaid), (7, 8));
    assert_eq!(offered[0].resources[0].0, bits("2001:db8:1::100"));
    assert_eq!(offered[1].resources[0].0, bits("2001:db8:100::"));
    assert_eq!(offered[1].resources[0].1, 48);
    assert_eq!((offered[0].t1, offered[0].t2), (1800, 2880));
    assert_eq!(
        (offered[0].resources[0].2, offered[0].resources[0].3),
        (3600, 7200)
    );

    // Another client is offered something else: the offer is held.
    let (_, other) = s.reply(&msg(MessageType::Solicit, &[client_id(2), ia_na(7, &[])]));
    assert_eq!(ias(&other)[0].resources[0].0, bits("2001:db8:1::101"));

    let sid = s.server_id();
    let (t, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(1), sid.clone(), ia_na(7, &[]), ia_pd(8, &[])],
    ));
    assert_eq!(t, MessageType::Reply as u8);
    let bound = ias(&opts);
    assert_eq!(
        bound[0].resources[0].0,
        bits("2001:db8:1::100"),
        "what was advertised"
    );
    assert_eq!(bound[1].resources[0].0, bits("2001:db8:100::"));

    s.now += 1000;
    let (_, opts) = s.reply(&msg(
        MessageType::Renew,
        &[
            client_id(1),
            sid.clone(),
            ia_na(7, &["2001:db8:1::100"]),
            ia_pd(8, &[("2001:db8:100::", 48)]),
        ],
    ));
    let renewed = ias(&opts);
    assert_eq!(
        renewed[0].resources,
        vec![(bits("2001:db8:1::100"), 128, 3600, 7200)]
    );
    assert_eq!(
        renewed[1].resources,
        vec![(bits("2001:db8:100::"), 48, 3600, 7200)]
    );

    // Renew naming an address that is not the binding: it comes back with
    // lifetimes 0, next to the binding.
    let (_, opts) = s.reply(&msg(
        MessageType::Renew,
        &[client_id(1), sid.clone(), ia_na(7, &["2001:db8:1::1ff"])],
    ));
    let r = &ias(&opts)[0].resources;
    assert!(
        r.contains(&(bits("2001:db8:1::100"), 128, 3600, 7200))
            && r.contains(&(bits("2001:db8:1::1ff"), 128, 0, 0))
    );

    let (_, opts) = s.reply(&msg(
        MessageType::Rebind,
        &[client_id(1), ia_na(7, &["2001:db8:1::100"])],
    ));
    assert_eq!(ias(&opts)[0].resources[0].0, bits("2001:db8:1::100"));

    let (_, opts) = s.reply(&msg(
        MessageType::Release,
        &[client_id(1), sid.clone(), ia_na(7, &["2001:db8:1::100"])],
    ));
    assert_eq!(
        find(&opts, option_code::STATUS_CODE).map(|b| status_of(&b)),
        Some(StatusCode::Success as u16)
    );
    // The released IA comes back with its own Success.
    let released = ias(&opts);
    assert_eq!(released.len(), 1);
    assert_eq!(
        (released[0].iaid, released[0].status),
        (7, Some(StatusCode::Success as u16))
    );
    assert!(released[0].resources.is_empty());
    // Renew after release: the address is free and on the link, so the
    // binding is made again (sections 18.3.4; Kea does the same).
    let (_, opts) = s.reply(&msg(
        MessageType::Renew,
        &[client_id(1), sid.clone(), ia_na(7, &["2001:db8:1::100"])],
    ));
    let renewed = &ias(&opts)[0];
    assert_eq!(renewed.status, None);
    assert_eq!(renewed.resources[0].0, bits("2001:db8:1::100"));
    assert!(renewed.resources[0].3 > 0);
    // Renew of an address that is not the link's: NoBinding.
    let (_, opts) = s.reply(&msg(
        MessageType::Renew,
        &[client_id(1), sid, ia_na(8, &["2001:db8:99::1"])],
    ));
    assert_eq!(ias(&opts)[0].status, Some(StatusCode::NoBinding as u16));
}

#[test]
fn renew_and_rebind_recreate_lost_bindings_and_rebind_moves_a_client_to_its_link() {
    let mut s = Server::default();
    let sid = s.server_id();
    // An IA the server never saw, holding a free address of the link.
    let (_, opts) = s.reply(&msg(
        MessageType::Renew,
        &[client_id(3), sid.clone(), ia_na(1, &["2001:db8:1::102"])],
    ));
    let got = &ias(&opts)[0];
    assert_eq!(
        (got.status, got.resources[0].0),
        (None, bits("2001:db8:1::102"))
    );
    assert!(got.resources[0].2 > 0 && got.resources[0].3 > 0);
    // Another client cannot take it over by Renew or Rebind.
    for t in [MessageType::Renew, MessageType::Rebind] {
        let mut options = vec![client_id(4), ia_na(1, &["2001:db8:1::102"])];
        if t == MessageType::Renew {
            options.push(sid.clone());
        }
        let (_, opts) = s.reply(&msg(t, &options));
        let got = &ias(&opts)[0];
        assert!(
            got.status == Some(StatusCode::NoBinding as u16)
                || got
                    .resources
                    .iter()
                    .all(|r| r.0 != bits("2001:db8:1::102") || r.3 == 0),
            "{t:?}: {got:?}"
        );
    }
    // Rebind of an address from elsewhere: lifetimes 0 for it, and an
    // address of this link.
    let (_, opts) = s.reply(&msg(
        MessageType::Rebind,
        &[client_id(5), ia_na(1, &["2001:db8:99::5"])],
    ));
    let got = &ias(&opts)[0];
    assert_eq!(got.status, None);
    let old = got
        .resources
        .iter()
        .find(|r| r.0 == bits("2001:db8:99::5"))
        .unwrap();
    assert_eq!((old.2, old.3), (0, 0));
    let new = got
        .resources
        .iter()
        .find(|r| r.0 != bits("2001:db8:99::5"))
        .unwrap();
    assert!(
        new.3 > 0 && ip(LINK).octets()[..8] == new.0.to_be_bytes()[..8],
        "{got:?}"
    );
}

#[test]
fn a_returning_client_gets_its_address_back() {
    let mut s = Server::default();
    let sid = s.server_id();
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(3), sid.clone(), ia_na(1, &[])],
    ));
    let first = ias(&opts)[0].resources[0].0;
    s.reply(&msg(
        MessageType::Release,
        &[client_id(3), sid.clone(), ia_na(1, &[&ip_str(first)])],
    ));
    s.reply(&msg(
        MessageType::Request,
        &[client_id(4), sid.clone(), ia_na(1, &[])],
    ));
    let (_, opts) = s.reply(&msg(MessageType::Solicit, &[client_id(3), ia_na(1, &[])]));
    assert_eq!(ias(&opts)[0].resources[0].0, first);
}

fn ip_str(b: u128) -> String {
    Ipv6Addr::from(b.to_be_bytes()).to_string()
}

#[test]
fn exhaustion_gives_status_codes() {
    let mut s = Server::default();
    let sid = s.server_id();
    for c in 0..4 {
        s.reply(&msg(
            MessageType::Request,
            &[client_id(c), sid.clone(), ia_na(1, &[]), ia_pd(1, &[])],
        ));
    }
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(9), sid.clone(), ia_na(1, &[]), ia_pd(1, &[])],
    ));
    let got = ias(&opts);
    assert_eq!(got[0].status, Some(StatusCode::NoAddrsAvail as u16));
    assert_eq!(got[1].status, Some(StatusCode::NoPrefixAvail as u16));
    // An Advertise with nothing to give returns each IA with its own
    // status, and the top-level NoAddrsAvail of RFC 8415 section 18.3.9.
    let (t, opts) = s.reply(&msg(
        MessageType::Solicit,
        &[client_id(9), ia_na(1, &[]), ia_pd(2, &[])],
    ));
    assert_eq!(t, MessageType::Advertise as u8);
    let got = ias(&opts);
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].iaid, got[0].status),
        (1, Some(StatusCode::NoAddrsAvail as u16))
    );
    assert_eq!(
        (got[1].iaid, got[1].status),
        (2, Some(StatusCode::NoPrefixAvail as u16))
    );
    assert!(got.iter().all(|ia| ia.resources.is_empty()));
    assert_eq!(
        find(&opts, option_code::STATUS_CODE).map(|b| status_of(&b)),
        Some(StatusCode::NoAddrsAvail as u16)
    );
}

#[test]
fn release_and_decline_give_each_ia_its_own_status() {
    let mut s = Server::default();
    let sid = s.server_id();
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(1), sid.clone(), ia_na(1, &[]), ia_pd(2, &[])],
    ));
    let bound = ias(&opts);
    let (addr, prefix) = (bound[0].resources[0], bound[1].resources[0]);
    let a = std::net::Ipv6Addr::from(addr.0).to_string();
    let p = std::net::Ipv6Addr::from(prefix.0).to_string();
    // Bound IA_NA and IA_PD released, plus an IA_NA and an IA_PD never seen.
    let (_, opts) = s.reply(&msg(
        MessageType::Release,
        &[
            client_id(1),
            sid.clone(),
            ia_na(1, &[&a]),
            ia_pd(2, &[(&p, prefix.1)]),
            ia_na(3, &["2001:db8:1::77"]),
            ia_pd(4, &[("2001:db8:100::", 56)]),
        ],
    ));
    let statuses: Vec<(u32, Option<u16>)> = ias(&opts).iter().map(|i| (i.iaid, i.status)).collect();
    let (ok, none) = (
        Some(StatusCode::Success as u16),
        Some(StatusCode::NoBinding as u16),
    );
    assert_eq!(statuses, [(1, ok), (2, ok), (3, none), (4, none)]);
    assert_eq!(
        find(&opts, option_code::STATUS_CODE).map(|b| status_of(&b)),
        Some(StatusCode::Success as u16)
    );
    // Decline: the bound address Success, an unknown one NoBinding.
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(5), sid.clone(), ia_na(1, &[])],
    ));
    let a = std::net::Ipv6Addr::from(ias(&opts)[0].resources[0].0).to_string();
    let (_, opts) = s.reply(&msg(
        MessageType::Decline,
        &[
            client_id(5),
            sid,
            ia_na(1, &[&a]),
            ia_na(2, &["2001:db8:1::78"]),
        ],
    ));
    let statuses: Vec<(u32, Option<u16>)> = ias(&opts).iter().map(|i| (i.iaid, i.status)).collect();
    assert_eq!(statuses, [(1, ok), (2, none)]);
}

#[test]
fn a_prefix_length_hint_picks_the_pool_of_that_length_or_the_closest() {
    let mut s = Server::default();
    // Beside the link's /48s (from 2001:db8:100::/46): /56s and /60s.
    for (prefix, len, dlen) in [("2001:db8:200::", 48, 56), ("2001:db8:300::", 48, 60)] {
        s.config
            .add_pool(
                ip(LINK),
                64,
                PoolSpec::Prefixes {
                    prefix: ip(prefix),
                    len,
                    delegated_len: dlen,
                },
            )
            .unwrap();
    }
    s.shard
        .sync_pools(&s.config.all_pools().copied().collect::<Vec<_>>(), 0, 1);
    let mut ask = |client: u8, hint: Option<(&str, u8)>| {
        let hints: Vec<(&str, u8)> = hint.into_iter().collect();
        let (_, opts) = s.reply(&msg(
            MessageType::Solicit,
            &[client_id(client), ia_pd(1, &hints)],
        ));
        let got = ias(&opts)[0].resources[0];
        // Which pool: 2001:db8:1xx (the /48s), :200 (/56s) or :300 (/60s).
        (
            std::net::Ipv6Addr::from(got.0).segments()[2] & 0xff00,
            got.1,
        )
    };
    assert_eq!(ask(1, None), (0x100, 48), "no hint: configuration order");
    assert_eq!(ask(2, Some(("::", 60))), (0x300, 60));
    assert_eq!(ask(3, Some(("::", 56))), (0x200, 56));
    assert_eq!(ask(4, Some(("::", 62))), (0x300, 60), "closest");
    assert_eq!(ask(5, Some(("::", 50))), (0x100, 48), "closest");
    // A hinted prefix of a pool's length is given when free.
    let (_, opts) = s.reply(&msg(
        MessageType::Solicit,
        &[client_id(6), ia_pd(1, &[("2001:db8:300:50::", 60)])],
    ));
    assert_eq!(ias(&opts)[0].resources[0].0, bits("2001:db8:300:50::"));
}

#[test]
fn relayed_clients_are_placed_by_interface_id_then_relay_address_then_link_address() {
    let mut s = Server::default();
    // 2001:db8:2::/64 (pool ::10-::1f) is named by Interface-ID "port7";
    // a third link, 2001:db8:3::/64, by the relay address 2001:db8:ffff::7.
    s.config
        .set_link(
            ip("2001:db8:2::"),
            64,
            &LinkParameters {
                interface_id: Some(b"port7".to_vec()),
                ..LinkParameters::default()
            },
        )
        .unwrap();
    s.config
        .set_link(
            ip("2001:db8:3::"),
            64,
            &LinkParameters {
                relay_address: Some(ip("2001:db8:ffff::7")),
                ..LinkParameters::default()
            },
        )
        .unwrap();
    s.config
        .add_pool(
            ip("2001:db8:3::"),
            64,
            PoolSpec::Addresses {
                first: ip("2001:db8:3::10"),
                last: ip("2001:db8:3::1f"),
            },
        )
        .unwrap();
    s.shard
        .sync_pools(&s.config.all_pools().copied().collect::<Vec<_>>(), 0, 1);
    let mut got = |client: u8, relay: &str, link_address: &str, id: Option<&[u8]>| {
        let inner = msg(MessageType::Solicit, &[client_id(client), ia_na(1, &[])]);
        let relayed = relay_forward(0, link_address, "fe80::c2", id, &inner);
        let (_, out) = s.send_from(relay, ip("2001:db8:1::1"), &relayed);
        let inner = find(&options(&out[34..]), option_code::RELAY_MSG).unwrap();
        std::net::Ipv6Addr::from(ias(&options(&inner[4..]))[0].resources[0].0).segments()[2]
    };
    // The link-address alone (an ordinary relay on 2001:db8:1::/64).
    assert_eq!(got(1, "2001:db8:ffff::1", "2001:db8:1::5", None), 1);
    // The Interface-ID wins over the link-address and the relay address.
    assert_eq!(
        got(2, "2001:db8:ffff::7", "2001:db8:1::5", Some(b"port7")),
        2
    );
    // The relay address wins over the link-address.
    assert_eq!(got(3, "2001:db8:ffff::7", "2001:db8:1::5", None), 3);
    // A Lightweight relay (link-address ::) by its Interface-ID.
    assert_eq!(got(4, "2001:db8:ffff::1", "::", Some(b"port7")), 2);
}

#[test]
fn a_delegated_prefix_carries_its_excluded_prefix_when_asked() {
    let mut s = Server::default();
    let pool = PoolSpec::Prefixes {
        prefix: ip("2001:db8:100::"),
        len: 46,
        delegated_len: 48,
    };
    s.config
        .set_pool_exclude(ip(LINK), 64, &pool, Some((ip("2001:db8:100:ab00::"), 56)))
        .unwrap();
    let oro = opt(option_code::ORO, &option_code::PD_EXCLUDE.to_be_bytes());
    let prefix_options = |s: &mut Server, client: u8, with_oro: bool| {
        let mut m = vec![client_id(client), ia_pd(1, &[])];
        if with_oro {
            m.push(oro.clone());
        }
        let (_, opts) = s.reply(&msg(MessageType::Solicit, &m));
        let ia = find(&opts, option_code::IA_PD).unwrap();
        let prefix = find(&options(&ia[12..]), option_code::IA_PREFIX).unwrap();
        (prefix[9..25].to_vec(), options(&prefix[25..]))
    };
    let (delegated, sub) = prefix_options(&mut s, 1, true);
    assert_eq!(delegated, ip("2001:db8:100::").octets());
    // The /56 2001:db8:100:ab00:: out of the delegated /48: length 56, then
    // the 8 bits past /48.
    assert_eq!(sub, [(option_code::PD_EXCLUDE, vec![56, 0xab])]);
    // Not asked for: not sent (RFC 6603 section 4.4).
    let (_, sub) = prefix_options(&mut s, 2, false);
    assert!(sub.is_empty(), "{sub:?}");
    // Refused: an excluded prefix not longer than the delegated one.
    assert!(s
        .config
        .set_pool_exclude(ip(LINK), 64, &pool, Some((ip("2001:db8:100::"), 48)))
        .is_err());
}

#[test]
fn rapid_commit_and_preference() {
    let params = LinkParameters {
        rapid_commit: Some(true),
        preference: Some(200),
        ..Default::default()
    };
    let mut s = Server::new(InterfaceSettings::default(), params);
    let rc = opt(option_code::RAPID_COMMIT, &[]);
    let (t, opts) = s.reply(&msg(
        MessageType::Solicit,
        &[client_id(1), rc.clone(), ia_na(1, &[])],
    ));
    assert_eq!(t, MessageType::Reply as u8);
    assert!(find(&opts, option_code::RAPID_COMMIT).is_some());
    let bound = s
        .shard
        .find(
            &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1],
            crate::leases::ResourceKind::Na,
            1,
        )
        .unwrap();
    assert_eq!(s.shard.lease(bound).state, crate::leases::LeaseState::Bound);
    // Without Rapid Commit from the client: Advertise with Preference.
    let (t, opts) = s.reply(&msg(MessageType::Solicit, &[client_id(2), ia_na(1, &[])]));
    assert_eq!(t, MessageType::Advertise as u8);
    assert_eq!(find(&opts, option_code::PREFERENCE), Some(vec![200]));
    // Rapid commit not enabled on the link: Advertise.
    let mut s = Server::default();
    let (t, _) = s.reply(&msg(
        MessageType::Solicit,
        &[client_id(1), rc, ia_na(1, &[])],
    ));
    assert_eq!(t, MessageType::Advertise as u8);
}

#[test]
fn decline_holds_the_address_out_of_service() {
    let mut s = Server::default();
    let sid = s.server_id();
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(1), sid.clone(), ia_na(1, &[])],
    ));
    let addr = ip_str(ias(&opts)[0].resources[0].0);
    let (_, opts) = s.reply(&msg(
        MessageType::Decline,
        &[client_id(1), sid.clone(), ia_na(1, &[&addr])],
    ));
    assert_eq!(
        find(&opts, option_code::STATUS_CODE).map(|b| status_of(&b)),
        Some(0)
    );
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(1), sid.clone(), ia_na(1, &[])],
    ));
    assert_ne!(
        ip_str(ias(&opts)[0].resources[0].0),
        addr,
        "declined address not handed out again"
    );
    // Declining something never bound: NoBinding.
    let (_, opts) = s.reply(&msg(
        MessageType::Decline,
        &[client_id(5), sid, ia_na(1, &["2001:db8:1::103"])],
    ));
    assert_eq!(ias(&opts)[0].status, Some(StatusCode::NoBinding as u16));
}

#[test]
fn confirm_says_whether_addresses_are_on_link() {
    let mut s = Server::default();
    let (_, opts) = s.reply(&msg(
        MessageType::Confirm,
        &[client_id(1), ia_na(1, &["2001:db8:1::5"])],
    ));
    assert_eq!(
        find(&opts, option_code::STATUS_CODE).map(|b| status_of(&b)),
        Some(StatusCode::Success as u16)
    );
    let (_, opts) = s.reply(&msg(
        MessageType::Confirm,
        &[client_id(1), ia_na(1, &["2001:db8:9::5"])],
    ));
    assert_eq!(
        find(&opts, option_code::STATUS_CODE).map(|b| status_of(&b)),
        Some(StatusCode::NotOnLink as u16)
    );
    let (v, _) = s.send(&msg(MessageType::Confirm, &[client_id(1), ia_na(1, &[])]));
    assert_eq!(
        v,
        Verdict::Drop(Counter::ConfirmUndecidable),
        "no addresses: no reply"
    );
}

#[test]
fn identifier_rules_of_section_16() {
    let mut s = Server::default();
    let sid = s.server_id();
    let other = opt(option_code::SERVER_ID, &[0, 3, 0, 1, 9, 9, 9, 9, 9, 9]);
    let cases = [
        (
            msg(MessageType::Solicit, &[ia_na(1, &[])]),
            Counter::BadClientId,
        ),
        (
            msg(MessageType::Solicit, &[client_id(1), sid.clone()]),
            Counter::UnexpectedServerId,
        ),
        (
            msg(MessageType::Rebind, &[client_id(1), sid.clone()]),
            Counter::UnexpectedServerId,
        ),
        (
            msg(MessageType::Confirm, &[client_id(1), sid.clone()]),
            Counter::UnexpectedServerId,
        ),
        (
            msg(MessageType::Request, &[client_id(1), ia_na(1, &[])]),
            Counter::MissingServerId,
        ),
        (
            msg(MessageType::Renew, &[client_id(1), other.clone()]),
            Counter::ServerIdMismatch,
        ),
        (
            msg(MessageType::Release, &[client_id(1), other]),
            Counter::ServerIdMismatch,
        ),
        (
            msg(
                MessageType::Solicit,
                &(0..9)
                    .map(|i| ia_na(i, &[]))
                    .chain([client_id(1)])
                    .collect::<Vec<_>>(),
            ),
            Counter::TooManyIas,
        ),
    ];
    for (payload, want) in cases {
        assert_eq!(s.send(&payload).0, Verdict::Drop(want));
    }
}

/// The status and the option codes of a reply's top level.
fn status_and_codes(out: &[u8]) -> (Option<u16>, Vec<u16>) {
    let opts = options(&out[4..]);
    let status = find(&opts, option_code::STATUS_CODE).map(|b| status_of(&b));
    (status, opts.iter().map(|(c, _)| *c).collect())
}

#[test]
fn unicast_follows_rfc_8415_sections_16_and_18_4() {
    let mut s = Server::default();
    let sid = s.server_id();
    let to_us = ip("2001:db8:1::1");
    // Solicit, Confirm, Rebind, Information-request by unicast: discarded.
    for m in [
        msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]),
        msg(
            MessageType::Confirm,
            &[client_id(1), ia_na(1, &["2001:db8:1::100"])],
        ),
        msg(
            MessageType::Rebind,
            &[client_id(1), ia_na(1, &["2001:db8:1::100"])],
        ),
        msg(MessageType::InformationRequest, &[client_id(1)]),
    ] {
        assert_eq!(
            s.send_from("fe80::c1", to_us, &m).0,
            Verdict::Drop(Counter::UnicastForbidden)
        );
    }
    // Request, Renew, Release, Decline by unicast, no Server Unicast
    // offered: UseMulticast with the two ids only, nothing bound.
    for t in [
        MessageType::Request,
        MessageType::Renew,
        MessageType::Release,
        MessageType::Decline,
    ] {
        let m = msg(
            t,
            &[client_id(1), sid.clone(), ia_na(1, &["2001:db8:1::100"])],
        );
        let (v, out) = s.send_from("fe80::c1", to_us, &m);
        assert!(matches!(v, Verdict::Reply { .. }), "{t:?}: {v:?}");
        assert_eq!(
            status_and_codes(&out),
            (
                Some(StatusCode::UseMulticast as u16),
                vec![
                    option_code::SERVER_ID,
                    option_code::CLIENT_ID,
                    option_code::STATUS_CODE
                ]
            ),
            "{t:?}"
        );
    }
    assert_eq!(s.shard.leases().count(), 0, "nothing was bound");
    // A relay unicasts to servers: served.
    let relayed = relay_forward(
        0,
        "2001:db8:2::1",
        "fe80::c2",
        None,
        &msg(MessageType::Solicit, &[client_id(2), ia_na(1, &[])]),
    );
    let (v, _) = s.send_from("2001:db8:ffff::1", to_us, &relayed);
    assert!(matches!(v, Verdict::Routed { .. }), "{v:?}");
}

#[test]
fn a_server_unicast_address_is_offered_and_then_served() {
    let settings = InterfaceSettings {
        server_unicast: Some(ip("2001:db8:1::1")),
        ..Default::default()
    };
    let mut s = Server::new(settings, LinkParameters::default());
    let sid = s.server_id();
    let offered = opt(option_code::SERVER_UNICAST, &ip("2001:db8:1::1").octets());
    let (_, opts) = s.reply(&msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]));
    assert_eq!(
        find(&opts, option_code::SERVER_UNICAST),
        Some(offered[4..].to_vec()),
        "offered in Advertise, asked or not"
    );
    // Request by unicast to the offered address: bound.
    let request = msg(
        MessageType::Request,
        &[client_id(1), sid.clone(), ia_na(1, &[])],
    );
    let (v, out) = s.send_from("fe80::c1", ip("2001:db8:1::1"), &request);
    assert!(matches!(v, Verdict::Reply { .. }));
    let opts = options(&out[4..]);
    assert_eq!(ias(&opts)[0].resources[0].0, bits("2001:db8:1::100"));
    assert!(find(&opts, option_code::SERVER_UNICAST).is_some());
    // Renew and Release to it too.
    let held = ia_na(1, &["2001:db8:1::100"]);
    let renew = msg(
        MessageType::Renew,
        &[client_id(1), sid.clone(), held.clone()],
    );
    let (_, out) = s.send_from("fe80::c1", ip("2001:db8:1::1"), &renew);
    assert_eq!(status_and_codes(&out).0, None, "renewed");
    // To another of VPP's addresses: UseMulticast.
    let (_, out) = s.send_from("fe80::c1", ip("2001:db8:1::2"), &renew);
    assert_eq!(
        status_and_codes(&out).0,
        Some(StatusCode::UseMulticast as u16)
    );
    let release = msg(MessageType::Release, &[client_id(1), sid.clone(), held]);
    let (_, out) = s.send_from("fe80::c1", ip("2001:db8:1::1"), &release);
    assert_eq!(status_and_codes(&out).0, Some(StatusCode::Success as u16));
    assert!(s
        .shard
        .leases()
        .all(|(_, l)| l.state != crate::leases::LeaseState::Bound));
    // Still discarded by unicast even to the offered address.
    let solicit = msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]);
    assert_eq!(
        s.send_from("fe80::c1", ip("2001:db8:1::1"), &solicit).0,
        Verdict::Drop(Counter::UnicastForbidden)
    );

    // The link's own address wins over the interface's.
    s.config
        .set_link(
            ip(LINK),
            64,
            &LinkParameters {
                server_unicast: Some(ip("2001:db8:1::53")),
                ..Default::default()
            },
        )
        .unwrap();
    let (_, opts) = s.reply(&solicit);
    assert_eq!(
        find(&opts, option_code::SERVER_UNICAST),
        Some(ip("2001:db8:1::53").octets().to_vec())
    );
    let (_, out) = s.send_from("fe80::c1", ip("2001:db8:1::1"), &renew);
    assert_eq!(
        status_and_codes(&out).0,
        Some(StatusCode::UseMulticast as u16)
    );
    assert!(s
        .config
        .set_link(
            ip(LINK),
            64,
            &LinkParameters {
                server_unicast: Some(ip("ff02::1")),
                ..Default::default()
            }
        )
        .is_err());
}

#[test]
fn an_interface_that_takes_no_unicast_offers_none_and_refuses_it() {
    let settings = InterfaceSettings {
        accept_unicast: false,
        server_unicast: Some(ip("2001:db8:1::1")),
        ..Default::default()
    };
    let mut s = Server::new(settings, LinkParameters::default());
    let sid = s.server_id();
    let (_, opts) = s.reply(&msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]));
    assert!(find(&opts, option_code::SERVER_UNICAST).is_none());
    let (v, out) = s.send_from(
        "fe80::c1",
        ip("2001:db8:1::1"),
        &msg(MessageType::Request, &[client_id(1), sid, ia_na(1, &[])]),
    );
    assert!(matches!(v, Verdict::Reply { .. }));
    assert_eq!(
        status_and_codes(&out).0,
        Some(StatusCode::UseMulticast as u16)
    );
    assert!(
        s.shard
            .leases()
            .all(|(_, l)| l.state != crate::leases::LeaseState::Bound),
        "nothing was bound"
    );
    let (v, _) = s.send_from(
        "fe80::c1",
        ip("2001:db8:1::1"),
        &msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]),
    );
    assert_eq!(v, Verdict::Drop(Counter::UnicastNotAccepted));
}

#[test]
fn relayed_messages_get_relay_replies_from_the_relays_link() {
    let mut s = Server::default();
    let solicit = msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]);
    let inner = relay_forward(0, "2001:db8:2::1", "fe80::c1", Some(b"port7"), &solicit);
    let outer = relay_forward(1, "::", "2001:db8:2::1", Some(b"agg"), &inner);
    let (v, out) = s.send_from("2001:db8:ffff::1", ip("2001:db8:1::1"), &outer);
    assert!(matches!(v, Verdict::Routed { .. }), "{v:?}");
    // Outer Relay-reply, with the outer Interface-ID.
    assert_eq!(out[0], MessageType::RelayReply as u8);
    assert_eq!(out[1], 1);
    assert_eq!(&out[18..34], &ip("2001:db8:2::1").octets());
    let outer_opts = options(&out[34..]);
    assert_eq!(
        find(&outer_opts, option_code::INTERFACE_ID),
        Some(b"agg".to_vec())
    );
    let inner_reply = find(&outer_opts, option_code::RELAY_MSG).unwrap();
    assert_eq!(inner_reply[0], MessageType::RelayReply as u8);
    assert_eq!(&inner_reply[2..18], &ip("2001:db8:2::1").octets());
    assert_eq!(&inner_reply[18..34], &ip("fe80::c1").octets());
    let inner_opts = options(&inner_reply[34..]);
    assert_eq!(
        find(&inner_opts, option_code::INTERFACE_ID),
        Some(b"port7".to_vec())
    );
    let advertise = find(&inner_opts, option_code::RELAY_MSG).unwrap();
    assert_eq!(advertise[0], MessageType::Advertise as u8);
    // The innermost relay's link-address picked the 2001:db8:2::/64 pool.
    assert_eq!(
        ias(&options(&advertise[4..]))[0].resources[0].0,
        bits("2001:db8:2::10")
    );
}

#[test]
fn a_relay_reply_comes_from_an_address_vpp_owns_not_the_configured_link_address() {
    // The link-address names the link; VPP need not own it (DHCPKit's
    // "doesn't even need to exist").
    let settings = InterfaceSettings {
        link_address: Some(ip("2001:db8:1::dead")),
        ..InterfaceSettings::default()
    };
    let mut s = Server::new(settings, LinkParameters::default());
    let inner = msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]);
    // An on-link relay to ff02::1:2: from the interface's global address.
    let relayed = relay_forward(0, "2001:db8:1::5", "fe80::c2", None, &inner);
    let (v, _) = s.send_from(
        "2001:db8:1::99",
        ALL_DHCP_RELAY_AGENTS_AND_SERVERS,
        &relayed,
    );
    assert!(matches!(v, Verdict::Reply { .. }), "{v:?}");
    assert_eq!(s.last_source, Some(ip("2001:db8:1::1")));
    // A relay that unicasts: from the address it sent to.
    let (v, _) = s.send_from("2001:db8:ffff::1", ip("2001:db8:1::1"), &relayed);
    assert!(matches!(v, Verdict::Routed { .. }), "{v:?}");
    assert_eq!(s.last_source, Some(ip("2001:db8:1::1")));
}

#[test]
fn a_relay_on_the_link_is_answered_at_layer_2_one_elsewhere_routed() {
    let mut s = Server::default();
    let inner = msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]);
    let relayed = relay_forward(0, "2001:db8:2::1", "fe80::c2", None, &inner);
    // Link-local and same-/64 relays are neighbors: back to the MAC their
    // frame came from, out of the receiving interface.
    for relay in ["fe80::9", "2001:db8:1::9"] {
        let (v, _) = s.send_from(relay, ip("2001:db8:1::1"), &relayed);
        assert!(matches!(v, Verdict::Reply { .. }), "{relay}: {v:?}");
        assert_eq!(s.last_frame_macs, (CLIENT_FRAME_MAC, MAC), "{relay}");
    }
    // A relay on another network: routed (ip6-lookup).
    let (v, _) = s.send_from("2001:db8:77::9", ip("2001:db8:1::1"), &relayed);
    assert!(matches!(v, Verdict::Routed { .. }), "{v:?}");
}

#[test]
fn relay_nesting_past_the_hop_limit_is_answered_up_to_the_buffers_bound() {
    let mut s = Server::default();
    let mut m = msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]);
    for hop in 0..request::MAX_RELAY_DEPTH {
        m = relay_forward(hop as u8, "2001:db8:2::1", "fe80::1", None, &m);
        let (verdict, reply) = s.send_from("2001:db8:ffff::1", ip("2001:db8:1::1"), &m);
        assert!(
            matches!(verdict, Verdict::Routed { .. }),
            "{} levels: {verdict:?}",
            hop + 1
        );
        // The Relay-reply mirrors every level around the Advertise.
        let mut inner = reply.clone();
        for _ in 0..=hop {
            assert_eq!(inner[0], MessageType::RelayReply as u8);
            inner = find(&options(&inner[34..]), option_code::RELAY_MSG).expect("relay message");
        }
        assert_eq!(inner[0], MessageType::Advertise as u8);
    }
    m = relay_forward(40, "2001:db8:2::1", "fe80::1", None, &m);
    assert_eq!(
        s.send_from("2001:db8:ffff::1", ip("2001:db8:1::1"), &m).0,
        Verdict::Drop(Counter::RelayTooDeep)
    );
    let no_msg = {
        let mut r = vec![MessageType::RelayForward as u8, 0];
        r.extend_from_slice(&[0; 32]);
        r
    };
    assert_eq!(
        s.send_from("2001:db8:ffff::1", ip("2001:db8:1::1"), &no_msg)
            .0,
        Verdict::Drop(Counter::RelayWithoutMessage)
    );
}

#[test]
fn a_client_on_a_link_without_pools_is_told_so() {
    let mut s = Server::default();
    s.config.remove_link(ip(LINK), 64).unwrap();
    let (_, opts) = s.reply(&msg(MessageType::Solicit, &[client_id(1), ia_na(1, &[])]));
    assert_eq!(
        find(&opts, option_code::STATUS_CODE).map(|b| status_of(&b)),
        Some(StatusCode::NoAddrsAvail as u16)
    );
}

#[test]
fn delegated_prefixes_are_routed_via_the_client_or_its_relay() {
    let mut s = Server::default();
    let sid = s.server_id();
    s.reply(&msg(
        MessageType::Request,
        &[client_id(1), sid.clone(), ia_pd(1, &[]), ia_na(2, &[])],
    ));
    let ops: Vec<_> = s.shard.take_route_ops().collect();
    assert_eq!(ops.len(), 1, "only the prefix is routed");
    assert!(ops[0].add && ops[0].len == 48);
    assert_eq!(
        (ops[0].via.next_hop, ops[0].via.sw_if_index),
        (bits("fe80::c1"), SW_IF)
    );
    // Renew keeps it; Release removes it.
    s.reply(&msg(
        MessageType::Renew,
        &[
            client_id(1),
            sid.clone(),
            ia_pd(1, &[("2001:db8:100::", 48)]),
        ],
    ));
    assert!(!s.shard.has_route_ops());
    s.reply(&msg(
        MessageType::Release,
        &[client_id(1), sid, ia_pd(1, &[("2001:db8:100::", 48)])],
    ));
    let ops: Vec<_> = s.shard.take_route_ops().map(|o| o.add).collect();
    assert_eq!(ops, vec![false]);

    // Relayed: via the relay's address, recursively. The relay's link has
    // no prefix pool, so use one with: link 2001:db8:1::/64.
    let request = msg(
        MessageType::Solicit,
        &[
            client_id(2),
            opt(option_code::RAPID_COMMIT, &[]),
            ia_pd(1, &[]),
        ],
    );
    let relayed = relay_forward(0, "2001:db8:1::5", "fe80::c2", None, &request);
    s.config
        .set_link(
            ip(LINK),
            64,
            &LinkParameters {
                rapid_commit: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    let (v, _) = s.send_from("2001:db8:ffff::1", ip("2001:db8:1::1"), &relayed);
    assert!(matches!(v, Verdict::Routed { .. }));
    let ops: Vec<_> = s.shard.take_route_ops().collect();
    assert_eq!(
        (ops[0].via.next_hop, ops[0].via.sw_if_index),
        (bits("2001:db8:ffff::1"), u32::MAX)
    );
}

#[test]
fn options_come_from_the_link_over_the_server_and_only_when_asked() {
    use crate::config::OptionScope::{Link, Server as Wide};
    let mut s = Server::default();
    let link = Link(ip(LINK), 64);
    let c = &mut s.config;
    c.set_named_option(Wide, "sntp-servers", "2001:db8::123")
        .unwrap();
    c.set_named_option(Wide, "sol-max-rt", "3600").unwrap();
    c.set_named_option(Wide, "information-refresh-time", "7200")
        .unwrap();
    c.set_named_option(link, "sntp-servers", "2001:db8:1::123")
        .unwrap();
    c.set_named_option(link, "ntp-servers", "2001:db8:1::7b")
        .unwrap();
    assert!(
        c.set_named_option(Link(ip("2001:db8:7::"), 64), "sol-max-rt", "120")
            .is_err(),
        "no such link"
    );
    assert!(c.set_named_option(Wide, "sol-max-rt", "5").is_err());

    let oro = opt(option_code::ORO, &[0, 31, 0, 56, 0, 82, 0, 32]);
    let (_, opts) = s.reply(&msg(
        MessageType::Solicit,
        &[client_id(1), ia_na(1, &[]), oro.clone()],
    ));
    assert_eq!(
        find(&opts, option_code::SNTP_SERVERS),
        Some(ip("2001:db8:1::123").octets().to_vec()),
        "link's"
    );
    let mut ntp = vec![0, 1, 0, 16];
    ntp.extend(ip("2001:db8:1::7b").octets());
    assert_eq!(find(&opts, option_code::NTP_SERVER), Some(ntp));
    assert_eq!(
        find(&opts, option_code::SOL_MAX_RT),
        Some(3600u32.to_be_bytes().to_vec()),
        "server's"
    );
    assert_eq!(
        find(&opts, option_code::INFORMATION_REFRESH_TIME),
        None,
        "stateless replies only"
    );

    let (_, opts) = s.reply(&msg(MessageType::InformationRequest, &[client_id(1), oro]));
    assert_eq!(
        find(&opts, option_code::INFORMATION_REFRESH_TIME),
        Some(7200u32.to_be_bytes().to_vec())
    );
    // Not asked for: not sent.
    let (_, opts) = s.reply(&msg(
        MessageType::InformationRequest,
        &[client_id(1), opt(option_code::ORO, &[0, 23])],
    ));
    assert!(
        find(&opts, option_code::SNTP_SERVERS).is_none()
            && find(&opts, option_code::SOL_MAX_RT).is_none()
    );
}

#[test]
fn options_by_code_per_reservation_link_and_server_and_always() {
    use crate::config::OptionScope::{Link, Reservation, Server as Wide};
    use crate::options::OptionValue;
    let mut s = Server::default();
    let sid = s.server_id();
    let by_code = |code, format, text, always| {
        Some(OptionValue::by_code(crate::options::Family::V6, code, format, text, always).unwrap())
    };
    let c = &mut s.config;
    // NIS servers (27) everywhere; the link's and the reservation's win.
    c.set_option(Wide, 27, by_code(27, "ipv6-address", "2001:db8::27", false))
        .unwrap();
    c.set_option(
        Link(ip(LINK), 64),
        27,
        by_code(27, "ipv6-address", "2001:db8:1::27", false),
    )
    .unwrap();
    let client2 = "duid:00030001020000000002";
    assert!(
        c.set_option(Reservation(client2), 27, by_code(27, "hex", "00", false))
            .is_err(),
        "no reservation for it yet"
    );
    c.add_reservation(client2, "2001:db8:1::2", "").unwrap();
    c.set_option(
        Reservation(client2),
        27,
        by_code(27, "ipv6-address", "2001:db8:2::27", false),
    )
    .unwrap();
    // A string option sent whether asked or not (29, NIS domain name).
    c.set_option(Wide, 29, by_code(29, "domain", "nis.example", true))
        .unwrap();
    c.set_option(Wide, 65000, by_code(65000, "u16", "513", false))
        .unwrap();

    let oro = opt(option_code::ORO, &[0, 27, 0xfd, 0xe8]);
    let ask = |s: &mut Server, client: u8, oro: &[u8]| {
        s.reply(&msg(
            MessageType::Request,
            &[client_id(client), sid.clone(), ia_na(1, &[]), oro.to_vec()],
        ))
        .1
    };
    let opts = ask(&mut s, 1, &oro);
    assert_eq!(
        find(&opts, 27),
        Some(ip("2001:db8:1::27").octets().to_vec()),
        "link's"
    );
    assert_eq!(
        find(&opts, 29),
        Some(b"\x03nis\x07example\x00".to_vec()),
        "always"
    );
    assert_eq!(find(&opts, 65000), Some(vec![2, 1]));
    let opts = ask(&mut s, 2, &oro);
    assert_eq!(
        find(&opts, 27),
        Some(ip("2001:db8:2::27").octets().to_vec()),
        "reservation's"
    );
    // Not asked for: only the `always` one.
    let opts = ask(&mut s, 1, &opt(option_code::ORO, &[0, 23]));
    assert_eq!((find(&opts, 27), find(&opts, 65000)), (None, None));
    assert!(find(&opts, 29).is_some());
    // Cleared at the link: the server's shows through; reloading
    // reservations keeps the reservation's options.
    s.config.set_option(Link(ip(LINK), 64), 27, None).unwrap();
    s.config
        .load_reservations(
            crate::options::Family::V6,
            "id,address\nduid:00030001020000000002,2001:db8:1::2\n",
        )
        .unwrap();
    let opts = ask(&mut s, 1, &oro);
    assert_eq!(
        find(&opts, 27),
        Some(ip("2001:db8::27").octets().to_vec()),
        "server's"
    );
    let opts = ask(&mut s, 2, &oro);
    assert_eq!(
        find(&opts, 27),
        Some(ip("2001:db8:2::27").octets().to_vec())
    );
}

#[test]
fn reservations_by_duid_relay_ids_and_link_layer_address() {
    use crate::leases::ResourceKind;
    let mut s = Server::default();
    let sid = s.server_id();
    // Client 1 by DUID: an address outside the pools and a prefix.
    s.config
        .add_reservation(
            "duid:00030001020000000001",
            "2001:db8:1::beef",
            "2001:db8:300::/56",
        )
        .unwrap();
    // An on-link client by its MAC (seen in the frame, 02:c1:00:00:00:01).
    s.config
        .add_reservation("linklayer-id:1:02c100000001", "2001:db8:1::cafe", "")
        .unwrap();
    // A relayed client by the relay's Interface-ID.
    s.config
        .add_reservation("interface-id-str:port7", "2001:db8:2::77", "")
        .unwrap();
    // One of the pool's addresses reserved: dynamic allocation skips it.
    s.config
        .add_reservation("duid:00030001020000000009", "2001:db8:1::100", "")
        .unwrap();
    s.shard
        .sync_reserved(s.config.reservations().reserved_set());

    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(1), sid.clone(), ia_na(1, &[]), ia_pd(2, &[])],
    ));
    let got = ias(&opts);
    assert_eq!(got[0].resources[0].0, bits("2001:db8:1::beef"));
    assert_eq!(got[1].resources[0].0, bits("2001:db8:300::"));
    assert_eq!(got[1].resources[0].1, 56);
    // A second IA_NA of the same client gets a pool address, not the reserved
    // one twice.
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(1), sid.clone(), ia_na(1, &[]), ia_na(5, &[])],
    ));
    let got = ias(&opts);
    assert_eq!(got[0].resources[0].0, bits("2001:db8:1::beef"));
    assert_eq!(
        got[1].resources[0].0,
        bits("2001:db8:1::101"),
        "::100 is reserved for client 9"
    );
    // Renew of the reserved address (outside the pools) is accepted.
    let (_, opts) = s.reply(&msg(
        MessageType::Renew,
        &[client_id(1), sid.clone(), ia_na(1, &["2001:db8:1::beef"])],
    ));
    assert_eq!(ias(&opts)[0].resources[0].3, 7200);

    // Another DUID from the reserved MAC gets the link-layer reservation.
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(42), sid.clone(), ia_na(1, &[])],
    ));
    assert_eq!(ias(&opts)[0].resources[0].0, bits("2001:db8:1::cafe"));

    // Relayed by Interface-ID.
    let inner = msg(MessageType::Solicit, &[client_id(43), ia_na(1, &[])]);
    let relayed = relay_forward(0, "2001:db8:2::1", "fe80::99", Some(b"port7"), &inner);
    let (_, out) = s.send_from("2001:db8:ffff::1", ip("2001:db8:1::1"), &relayed);
    let advertise = find(&options(&out[34..]), option_code::RELAY_MSG).unwrap();
    assert_eq!(
        ias(&options(&advertise[4..]))[0].resources[0].0,
        bits("2001:db8:2::77")
    );

    // A reserved address held by someone else is not taken from them: the
    // reserved client gets a pool address meanwhile.
    s.config
        .add_reservation("duid:00030001020000000007", "2001:db8:1::101", "")
        .unwrap();
    s.shard
        .sync_reserved(s.config.reservations().reserved_set());
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(7), sid, ia_na(1, &[])],
    ));
    let got = ias(&opts)[0].resources[0].0;
    assert_ne!(got, bits("2001:db8:1::101"));
    assert!(s
        .shard
        .holder(ResourceKind::Na, bits("2001:db8:1::101"))
        .is_some());
}

/// Many receiving threads, one lease owner: the shape of the plugin in a
/// multi-worker VPP (workers hand frames to the owner over frame queues).
/// The same clients arrive on every thread.
#[test]
fn many_receiving_threads_never_bind_a_resource_twice() {
    use std::collections::HashMap;
    use std::sync::mpsc;

    type Job = (Vec<u8>, mpsc::Sender<Vec<u8>>);
    let (to_owner, jobs) = mpsc::channel::<Job>();
    let owner = std::thread::spawn(move || {
        let mut s = Server::default();
        let sid = s.server_id();
        for (payload, reply) in jobs {
            let mut p = payload;
            if p[0] == MessageType::Request as u8 {
                p.extend_from_slice(&sid);
            }
            let (_, out) = s.send(&p);
            let _ = reply.send(out);
        }
        s.shard.leases().count()
    });

    const THREADS: u8 = 8;
    const CLIENTS: u8 = 40; // more than the 4 addresses and 4 prefixes of the pools
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let to_owner = to_owner.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                let (tx, rx) = mpsc::channel();
                for round in 0..200u32 {
                    let c = ((round * 7 + u32::from(t) * 13) % u32::from(CLIENTS)) as u8;
                    let kind = if round % 2 == 0 {
                        MessageType::Solicit
                    } else {
                        MessageType::Request
                    };
                    to_owner
                        .send((
                            msg(kind, &[client_id(c), ia_na(1, &[]), ia_pd(2, &[])]),
                            tx.clone(),
                        ))
                        .unwrap();
                    let reply = rx.recv().unwrap();
                    if reply.len() > 4 && reply[0] == MessageType::Reply as u8 {
                        for ia in ias(&options(&reply[4..])) {
                            for r in ia.resources {
                                got.push((c, ia.iaid, r.0));
                            }
                        }
                    }
                }
                got
            })
        })
        .collect();
    drop(to_owner);
    let replies: Vec<(u8, u32, u128)> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let leases = owner.join().unwrap();

    assert!(
        replies.len() > 100,
        "{} bound resources seen",
        replies.len()
    );
    // A resource is only ever seen bound to one client, and a client's IA
    // keeps one resource, whichever thread its messages came in on.
    let mut holder: HashMap<u128, u8> = HashMap::new();
    let mut of_client: HashMap<(u8, u32), u128> = HashMap::new();
    for (c, iaid, r) in replies {
        assert_eq!(
            *holder.entry(r).or_insert(c),
            c,
            "resource {r:x} bound to two clients"
        );
        assert_eq!(
            *of_client.entry((c, iaid)).or_insert(r),
            r,
            "client {c} moved"
        );
    }
    assert!(holder.len() <= 8 && leases <= 8 + usize::from(CLIENTS) * 2);
}

#[test]
fn flood_limits_drop_messages_and_cap_leases() {
    use crate::limits::{Limits, RateLimit};
    let mut s = Server::default();
    let mut limits = Limits {
        interface: RateLimit { rate: 5, burst: 5 },
        client: RateLimit { rate: 1, burst: 2 },
        client_leases: 1,
        interface_leases: 0,
    };
    s.config.set_limits(limits).unwrap();
    s.shard
        .sync_limits(s.config.limits(), s.config.max_sw_if_index());
    // Interface bucket: 5 at once, then one per 200 ms.
    let verdicts: Vec<Verdict> = (0..8)
        .map(|c| {
            s.send(&msg(MessageType::InformationRequest, &[client_id(c)]))
                .0
        })
        .collect();
    let limited = verdicts
        .iter()
        .filter(|v| **v == Verdict::Drop(Counter::InterfaceRateLimited))
        .count();
    assert_eq!(limited, 3, "{verdicts:?}");
    // A second later: the client bucket (2 at once) limits client 20.
    s.now += 1;
    let sid = s.server_id();
    let request = msg(
        MessageType::Request,
        &[client_id(20), sid.clone(), ia_na(1, &[]), ia_pd(1, &[])],
    );
    let (_, opts) = s.reply(&request);
    let got = ias(&opts);
    // The client cap (1 lease): the address, not the prefix too.
    assert_eq!(got[0].status, None);
    assert_eq!(got[1].status, Some(StatusCode::NoPrefixAvail as u16));
    s.reply(&request);
    assert_eq!(
        s.send(&request).0,
        Verdict::Drop(Counter::ClientRateLimited)
    );
    // The interface cap: one lease in use on the interface, cap 1.
    limits.interface_leases = 1;
    s.config.set_limits(limits).unwrap();
    s.shard
        .sync_limits(s.config.limits(), s.config.max_sw_if_index());
    s.now += 1;
    let (_, opts) = s.reply(&msg(
        MessageType::Request,
        &[client_id(30), sid, ia_na(1, &[])],
    ));
    assert_eq!(ias(&opts)[0].status, Some(StatusCode::NoAddrsAvail as u16));
    // Turned off, nothing limits.
    s.config
        .set_limits(Limits {
            interface: RateLimit::default(),
            client: RateLimit::default(),
            client_leases: 0,
            interface_leases: 0,
        })
        .unwrap();
    s.shard
        .sync_limits(s.config.limits(), s.config.max_sw_if_index());
    for _ in 0..100 {
        assert!(matches!(s.send(&request).0, Verdict::Reply { .. }));
    }
}

/// Found with the handle_frame fuzz target: a request that cannot be
/// answered (no address or MAC to answer from) bound its lease anyway.
#[test]
fn an_unanswerable_request_changes_no_lease() {
    let mut s = Server::default();
    let sid = s.server_id();
    s.mac = None;
    let (v, _) = s.send(&msg(
        MessageType::Request,
        &[client_id(1), sid, ia_na(1, &[])],
    ));
    assert_eq!(v, Verdict::Drop(Counter::NoReplyAddress));
    assert_eq!(s.shard.leases().count(), 0, "nothing bound");
}

#[test]
fn a_prefix_from_a_pool_the_link_lost_is_withdrawn_then_moved_at_renew() {
    // The link's prefix pool is replaced (its prefix group got another
    // prefix): the bound prefix's route is withdrawn at once; its Renew is
    // told lifetimes 0 for it and gets one of the new pool.
    let mut s = Server::default();
    let sid = s.server_id();
    s.reply(&msg(
        MessageType::Request,
        &[client_id(1), sid.clone(), ia_pd(1, &[])],
    ));
    assert_eq!(s.shard.take_route_ops().count(), 1);
    let old = PoolSpec::Prefixes {
        prefix: ip("2001:db8:100::"),
        len: 46,
        delegated_len: 48,
    };
    s.config.remove_pool(ip(LINK), 64, &old).unwrap();
    let new = PoolSpec::Prefixes {
        prefix: ip("2001:db8:200::"),
        len: 46,
        delegated_len: 48,
    };
    s.config.add_pool(ip(LINK), 64, new).unwrap();
    s.shard
        .sync_pools(&s.config.all_pools().copied().collect::<Vec<_>>(), 0, 1);
    assert_eq!(s.shard.withdraw_routes_of(&old), 1);
    assert_eq!(s.shard.withdraw_routes_of(&old), 0, "once");
    let ops: Vec<_> = s
        .shard
        .take_route_ops()
        .map(|o| (o.add, o.prefix))
        .collect();
    assert_eq!(ops, [(false, bits("2001:db8:100::"))]);

    let (_, opts) = s.reply(&msg(
        MessageType::Renew,
        &[client_id(1), sid, ia_pd(1, &[("2001:db8:100::", 48)])],
    ));
    let ia = &ias(&opts)[0];
    let got: Vec<(u128, u32)> = ia.resources.iter().map(|r| (r.0, r.3)).collect();
    assert_eq!(
        got,
        [(bits("2001:db8:100::"), 0), (bits("2001:db8:200::"), 7200)]
    );
    let ops: Vec<_> = s
        .shard
        .take_route_ops()
        .map(|o| (o.add, o.prefix))
        .collect();
    assert_eq!(
        ops,
        [(true, bits("2001:db8:200::"))],
        "only the new one is routed"
    );
}
