//! Shared by the fuzz targets: a configured server with a live lease engine,
//! the Ethernet/IPv6/UDP wrapping of a fuzzed payload, and the checks run on
//! what the server answers.
//!
//! Everything here panics (which libFuzzer reports as a crash) when the
//! server breaks one of the invariants checked.

use std::collections::HashSet;
use std::net::Ipv6Addr;

use dhcp6_server_plugin::config::{InterfaceSettings, LinkParameters, ServerConfig};
use dhcp6_server_plugin::counters::Counter;
use dhcp6_server_plugin::leases::{ResourceKind, LeaseState, Lifetimes, PoolSpec, RouteVia, Shard, Time};
use dhcp6_server_plugin::limits::{Limits, RateLimit};
use dhcp6_server_plugin::options::OptionKind;
use dhcp6_server_plugin::server::request::{
    read_client_message, unwrap_relays, ClientMessage, IaType, RelayChain, RelayIds, RelayLevel,
};
use dhcp6_server_plugin::server::{
    handle_frame, Clock, Frame, InterfaceFacts, PacketSummary, Verdict,
};
use dhcp6_server_plugin::wire::dhcpv6::{
    option_code, Message, MessageType, Options, RelayMessage,
};
use dhcp6_server_plugin::wire::frame::{
    finish_udp, udp_checksum_is_valid, write_ipv6_header, Ipv6Header, UdpHeader, IPV6_HEADER_LEN,
    IP_PROTOCOL_UDP, UDP_HEADER_LEN,
};

// ---------------------------------------------------------------------------
// The crate's request readers, behind one signature each (they fill their
// results in place; the targets only need them by value).

/// `unwrap_relays`: the relay chain (outermost first), the relay ids, and
/// the client message inside.
pub fn unwrap(payload: &[u8]) -> Result<(RelayChain, RelayIds, &[u8]), Counter> {
    let mut chain = RelayChain::new();
    let mut ids = RelayIds::default();
    let inner = unwrap_relays(payload, &mut chain, &mut ids)?;
    Ok((chain, ids, inner))
}

/// `read_client_message` of a parsed message of type `msg_type`.
pub fn read_request(
    config: &ServerConfig,
    message: &Message<'_>,
    msg_type: MessageType,
    summary: &mut PacketSummary,
) -> Result<ClientMessage, Counter> {
    let mut m = ClientMessage::new(msg_type, message.transaction_id());
    read_client_message(config, message, summary, &mut m)?;
    Ok(m)
}

// ---------------------------------------------------------------------------
// Small builders (the same shapes the crate's own tests use).

pub fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

pub fn bits(s: &str) -> u128 {
    u128::from_be_bytes(ip(s).octets())
}

pub fn opt(code: u16, data: &[u8]) -> Vec<u8> {
    let mut v = code.to_be_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    v
}

/// DUID-LL of MAC 02:00:00:00:00:n (what the stateful unit tests use).
pub fn duid(n: u8) -> Vec<u8> {
    vec![0, 3, 0, 1, 2, 0, 0, 0, 0, n]
}

pub fn client_id(n: u8) -> Vec<u8> {
    opt(option_code::CLIENT_ID, &duid(n))
}

pub fn ia_na(iaid: u32, addrs: &[&str]) -> Vec<u8> {
    let mut body = iaid.to_be_bytes().to_vec();
    body.extend_from_slice(&[0; 8]);
    for a in addrs {
        let mut sub = ip(a).octets().to_vec();
        sub.extend_from_slice(&[0; 8]);
        body.extend(opt(option_code::IA_ADDR, &sub));
    }
    opt(option_code::IA_NA, &body)
}

pub fn ia_pd(iaid: u32, prefixes: &[(&str, u8)]) -> Vec<u8> {
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

pub fn message(t: u8, options: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![t, 0xab, 0xcd, 0xef];
    for o in options {
        m.extend_from_slice(o);
    }
    m
}

pub fn relay_forward(
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

/// A cursor over fuzz input that never fails: past the end it yields zeros.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data }
    }
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
    pub fn rest(&mut self) -> &'a [u8] {
        self.take(self.data.len())
    }
}

// ---------------------------------------------------------------------------
// The server under test.

pub const MAC: [u8; 6] = [2, 0x5e, 0, 0, 0, 2];
/// The on-link client's MAC (reserved by link-layer address).
pub const CLIENT_MAC: [u8; 6] = [2, 0xc1, 0, 0, 0, 1];
pub const OTHER_MAC: [u8; 6] = [2, 0xc1, 0, 0, 0, 2];
pub const START: Time = 1_000_000;
/// Past this the clock is wound back (a fresh server), long before u32 wraps.
const CLOCK_LIMIT: Time = 2_000_000_000;
/// A fresh server every so many packets keeps one run's memory bounded.
const RESET_EVERY: u64 = 1 << 20;
/// Environment knobs, read once.
struct Knobs {
    /// FUZZ_VERBOSE=1: one line per packet; 2: and the payloads in hex.
    verbose: u8,
    /// FUZZ_SWEEP_EVERY=n: the whole-shard check every n packets (default
    /// 512; 1 to replay a sequence of inputs and check after each).
    sweep_every: u64,
}

fn knobs() -> &'static Knobs {
    static KNOBS: std::sync::OnceLock<Knobs> = std::sync::OnceLock::new();
    KNOBS.get_or_init(|| {
        let on = |name: &str| std::env::var_os(name).is_some_and(|v| v != "0" && !v.is_empty());
        Knobs {
            verbose: std::env::var("FUZZ_VERBOSE")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(u8::from(on("FUZZ_VERBOSE"))),
            sweep_every: std::env::var("FUZZ_SWEEP_EVERY")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(512),
        }
    })
}

pub const FUZZ_LIMITS: Limits = Limits {
    interface: RateLimit {
        rate: 5000,
        burst: 200,
    },
    client: RateLimit {
        rate: 20,
        burst: 40,
    },
    client_leases: 6,
    interface_leases: 400,
};

/// Receiving interfaces: (sw_if_index, what VPP knows about it).
pub const IF_MAIN: u32 = 1;
pub const IF_NO_UNICAST: u32 = 2;
pub const IF_NO_MULTICAST: u32 = 3;
pub const IF_NO_ADDRESSES: u32 = 5;
pub const IF_DISABLED: u32 = 7;

pub struct FuzzServer {
    pub config: ServerConfig,
    pub shard: Shard,
    /// Wall-clock seconds (lease times), START + ms / 1000.
    pub now: Time,
    /// Milliseconds since the server started (rate limits).
    pub ms: u64,
    pub packets: u64,
    /// Every pool's spec, and every reserved (kind, resource).
    pools: Vec<PoolSpec>,
    reserved: HashSet<(ResourceKind, u128)>,
}

impl Default for FuzzServer {
    fn default() -> Self {
        Self::new()
    }
}

impl FuzzServer {
    /// Two links with address and prefix pools, a third without pools,
    /// server-wide and per-link options, reservations by every kind of id,
    /// and leases already bound, offered, declined and released.
    pub fn new() -> Self {
        let mut config = ServerConfig::new();
        config
            .enable_interface(IF_MAIN, InterfaceSettings::default(), Some(MAC))
            .unwrap();
        config
            .enable_interface(
                IF_NO_UNICAST,
                InterfaceSettings {
                    accept_unicast: false,
                    link_address: Some(ip("2001:db8:2::1")),
                    reply_from: Some(ip("2001:db8:2::1")),
                    ..InterfaceSettings::default()
                },
                Some([2, 0x5e, 0, 0, 0, 3]),
            )
            .unwrap();
        config
            .enable_interface(
                IF_NO_MULTICAST,
                InterfaceSettings {
                    accept_multicast: false,
                    ..InterfaceSettings::default()
                },
                Some([2, 0x5e, 0, 0, 0, 4]),
            )
            .unwrap();
        config
            .enable_interface(IF_NO_ADDRESSES, InterfaceSettings::default(), Some(MAC))
            .unwrap();

        // Link 1: short lifetimes, rapid commit, preference.
        config
            .set_link(
                ip("2001:db8:1::"),
                64,
                &LinkParameters {
                    preferred_lifetime: Some(300),
                    valid_lifetime: Some(600),
                    rapid_commit: Some(true),
                    preference: Some(255),
                    ..LinkParameters::default()
                },
            )
            .unwrap();
        config
            .add_pool(
                ip("2001:db8:1::"),
                64,
                PoolSpec::Addresses {
                    first: ip("2001:db8:1::100"),
                    last: ip("2001:db8:1::1ff"),
                },
            )
            .unwrap();
        config
            .add_pool(
                ip("2001:db8:1::"),
                64,
                PoolSpec::Prefixes {
                    prefix: ip("2001:db8:100::"),
                    len: 40,
                    delegated_len: 48,
                },
            )
            .unwrap();
        // Link 2: defaults, explicit T1/T2, small pools (exhaustion).
        config
            .set_link(
                ip("2001:db8:2::"),
                64,
                &LinkParameters {
                    t1: Some(1000),
                    t2: Some(2000),
                    ..LinkParameters::default()
                },
            )
            .unwrap();
        config
            .add_pool(
                ip("2001:db8:2::"),
                64,
                PoolSpec::Addresses {
                    first: ip("2001:db8:2::10"),
                    last: ip("2001:db8:2::17"),
                },
            )
            .unwrap();
        config
            .add_pool(
                ip("2001:db8:2::"),
                64,
                PoolSpec::Prefixes {
                    prefix: ip("2001:db8:200::"),
                    len: 54,
                    delegated_len: 56,
                },
            )
            .unwrap();
        // Link 3: no pools, its own DNS servers (a more specific link inside
        // link 2's prefix would be too: keep it separate).
        config
            .set_link(ip("2001:db8:3::"), 48, &LinkParameters::default())
            .unwrap();

        config
            .set_dns_servers(&[ip("2001:db8::53"), ip("2001:db8::54")])
            .unwrap();
        config
            .set_domain_search(&["example.com", "corp.example.net"])
            .unwrap();
        config
            .set_option(None, OptionKind::SntpServers, Some("2001:db8::123"))
            .unwrap();
        config
            .set_option(None, OptionKind::InformationRefreshTime, Some("3600"))
            .unwrap();
        config
            .set_option(None, OptionKind::SolMaxRt, Some("3600"))
            .unwrap();
        config
            .set_option(
                Some((ip("2001:db8:1::"), 64)),
                OptionKind::NtpServers,
                Some("2001:db8:1::123"),
            )
            .unwrap();
        config
            .set_option(
                Some((ip("2001:db8:3::"), 48)),
                OptionKind::DnsServers,
                Some("2001:db8:3::53"),
            )
            .unwrap();
        config
            .set_option(
                Some((ip("2001:db8:2::"), 64)),
                OptionKind::InfMaxRt,
                Some("600"),
            )
            .unwrap();
        // Declined addresses come back within a run.
        config.set_holds(Some(30), Some(900)).unwrap();
        // Flood limits the fuzzer can run into: bursts with no clock step
        // hit the buckets, many IAs hit the client cap.
        config.set_limits(FUZZ_LIMITS).unwrap();

        for (id, addr, prefix) in [
            (
                "duid:00030001020000000001",
                "2001:db8:1::beef",
                "2001:db8:300::/56",
            ),
            ("duid:00030001020000000009", "2001:db8:1::100", ""),
            ("linklayer-id:1:02c100000001", "2001:db8:1::cafe", ""),
            ("interface-id-str:port7", "2001:db8:2::77", ""),
            (
                "remote-id:9:0a0b0c0d",
                "2001:db8:2::88",
                "2001:db8:301::/56",
            ),
            ("subscriber-id-str:sub1", "", "2001:db8:200::/56"),
        ] {
            config.add_reservation(id, addr, prefix).unwrap();
        }

        let mut shard = Shard::new();
        let pools: Vec<PoolSpec> = config.all_pools().copied().collect();
        shard.sync_pools(&pools, 0, 1);
        shard.sync_reserved(config.reservations().reserved_set());
        shard.sync_limits(config.limits(), config.max_sw_if_index());
        shard.events_wanted = true;
        let reserved = config.reservations().reserved_set().clone();

        let mut s = FuzzServer {
            config,
            shard,
            now: START,
            ms: 0,
            packets: 0,
            pools,
            reserved,
        };
        s.seed_leases();
        s
    }

    /// Leases that exist before the first packet.
    fn seed_leases(&mut self) {
        let now = self.now - 100;
        let life = Lifetimes {
            preferred: 300,
            valid: 600,
        };
        let na = [self.shard.config_pool_id(0).unwrap()];
        let pd = [self.shard.config_pool_id(1).unwrap()];
        let na2 = [self.shard.config_pool_id(2).unwrap()];
        let via = RouteVia {
            next_hop: bits("fe80::c1"),
            sw_if_index: IF_MAIN,
            fib_index: 0,
        };
        for n in 1..=8u8 {
            let d = duid(n);
            let a = self
                .shard
                .assign(
                    &d,
                    ResourceKind::Na,
                    1,
                    &na,
                    None,
                    LeaseState::Bound,
                    now,
                    life,
                    60,
                )
                .unwrap();
            self.shard.set_interface(a, IF_MAIN);
            let p = self
                .shard
                .assign(
                    &d,
                    ResourceKind::Pd,
                    2,
                    &pd,
                    None,
                    LeaseState::Bound,
                    now,
                    life,
                    60,
                )
                .unwrap();
            self.shard.set_interface(p, IF_MAIN);
            self.shard.set_route(p, via);
            match n {
                6 => self.shard.release(a),
                7 => self.shard.decline(a, now, 900),
                8 => self.shard.release(p),
                _ => {}
            }
        }
        // An offer waiting for its Request, and a lease on link 2.
        self.shard
            .assign(
                &duid(10),
                ResourceKind::Na,
                1,
                &na,
                None,
                LeaseState::Offered,
                now,
                life,
                60,
            )
            .unwrap();
        self.shard
            .assign(
                &duid(11),
                ResourceKind::Na,
                1,
                &na2,
                None,
                LeaseState::Bound,
                now,
                life,
                60,
            )
            .unwrap();
        let _ = self.shard.take_events();
        let _ = self.shard.take_route_ops().count();
    }

    /// Whether `resource` (of `len`) may be handed out by this server.
    fn is_ours(&self, kind: ResourceKind, resource: u128, len: u8) -> bool {
        self.reserved.contains(&(kind, resource))
            || self
                .pools
                .iter()
                .any(|p| p.kind() == kind && p.index_of(resource, len).is_some())
    }

    /// The clock moves on by `ms` milliseconds; what is due expires (as
    /// the node does before each packet), and the shard is checked now and
    /// then.
    pub fn advance(&mut self, ms: u64) {
        self.packets += 1;
        if self.now > CLOCK_LIMIT || self.packets.is_multiple_of(RESET_EVERY) {
            *self = FuzzServer::new();
            return;
        }
        self.ms += ms;
        self.now = START + (self.ms / 1000) as Time;
        self.shard.expire(self.now);
        if self.packets.is_multiple_of(knobs().sweep_every) {
            self.sweep();
        }
    }

    pub fn clock(&self) -> Clock {
        Clock {
            secs: self.now,
            ms: self.ms,
        }
    }

    /// Whole-shard consistency: no resource held twice, and nothing due is
    /// left in force after `expire`.
    pub fn sweep(&self) {
        let mut held = HashSet::new();
        let mut per_client: std::collections::HashMap<Vec<u8>, u32> = Default::default();
        for (index, view) in self.shard.leases() {
            if view.state != LeaseState::Free {
                if let Some(d) = &view.duid {
                    *per_client.entry(d.as_bytes().to_vec()).or_default() += 1;
                }
            }
            assert!(
                held.insert((view.kind, view.resource)),
                "resource {:x}/{} ({:?}) in two leases",
                view.resource,
                view.len,
                view.kind
            );
            let l = self.shard.lease(index);
            if matches!(
                l.state,
                LeaseState::Offered | LeaseState::Bound | LeaseState::Declined
            ) {
                assert!(
                    l.expires > self.now,
                    "lease {index} {:?} due at {} still in force at {}",
                    l.state,
                    l.expires,
                    self.now
                );
                assert_eq!(self.shard.holder(l.kind, l.resource), Some(index));
            }
            if l.state == LeaseState::Bound {
                assert!(l.preferred_until <= l.valid_until, "lease {index}: {l:?}");
            }
        }
        // No client holds more leases (offered, bound) than the cap,
        // reserved ones included.
        let cap = self.config.limits().client_leases;
        for (duid, n) in per_client {
            assert!(
                n <= cap,
                "client {duid:02x?} holds {n} leases, over its cap of {cap}"
            );
        }
    }

    /// After a packet, what the node hands on (events, route changes).
    pub fn drain(&mut self) {
        let _ = self.shard.take_events();
        let _ = self.shard.take_route_ops().count();
    }
}

// ---------------------------------------------------------------------------
// Frames.

/// How a payload reaches the server: addresses, interface, buffer space.
#[derive(Debug, Clone, Copy)]
pub struct Wrapping {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub src_mac: [u8; 6],
    pub src_port: u16,
    pub sw_if_index: u32,
    pub vlan: bool,
    pub bad_checksum: bool,
    /// Room after the frame for the reply; None: a 2048-byte buffer.
    pub slack: Option<usize>,
}

impl Wrapping {
    /// From the control bytes in front of a fuzzed payload:
    /// byte 0: bits 0-1 source, 2-3 destination, 4-5 interface, 6 VLAN tag,
    /// 7 broken UDP checksum; byte 2: bit 7 tight buffer (bits 0-4: slack
    /// in 4-byte steps), bit 6 the other client MAC, bit 5 a disabled
    /// interface instead of the one without addresses.
    pub fn from_control(flags: u8, room: u8, payload: &[u8]) -> Self {
        let src = match flags & 3 {
            0 => ip("fe80::c1"),
            1 => ip("fe80::2c1:ff:fe00:1"),
            2 => ip("2001:db8:1::c1"),
            _ => ip("2001:db8:ffff::1"),
        };
        let dst = match (flags >> 2) & 3 {
            0 => ip("ff02::1:2"),
            1 => ip("2001:db8:1::1"),
            2 => ip("fe80::2"),
            _ => ip("ff05::1:3"),
        };
        let sw_if_index = match (flags >> 4) & 3 {
            0 => IF_MAIN,
            1 => IF_NO_UNICAST,
            2 => IF_NO_MULTICAST,
            _ if room & 0x20 != 0 => IF_DISABLED,
            _ => IF_NO_ADDRESSES,
        };
        let relayed = payload.first() == Some(&(MessageType::RelayForward as u8));
        Wrapping {
            src,
            dst,
            src_mac: if room & 0x40 != 0 {
                OTHER_MAC
            } else {
                CLIENT_MAC
            },
            src_port: if relayed { 547 } else { 546 },
            sw_if_index,
            vlan: flags & 0x40 != 0,
            bad_checksum: flags & 0x80 != 0,
            slack: (room & 0x80 != 0).then_some(usize::from(room & 0x1f) * 4),
        }
    }
}

/// A received frame in its buffer.
pub struct Built {
    pub buf: Vec<u8>,
    pub len: usize,
    pub l3: usize,
    pub l4: usize,
}

/// Ethernet (optionally one VLAN tag), IPv6 and UDP around `payload`, as
/// VPP would hand the node the frame (short frames padded to 60 bytes).
pub fn build_frame(payload: &[u8], w: &Wrapping) -> Built {
    let dst_mac = if w.dst.is_multicast() {
        let o = w.dst.octets();
        [0x33, 0x33, o[12], o[13], o[14], o[15]]
    } else {
        MAC
    };
    let mut f = dst_mac.to_vec();
    f.extend_from_slice(&w.src_mac);
    if w.vlan {
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x07]);
    }
    f.extend_from_slice(&[0x86, 0xdd]);
    let l3 = f.len();
    let udp_len = UDP_HEADER_LEN + payload.len();
    let mut hdr = [0u8; IPV6_HEADER_LEN];
    write_ipv6_header(&mut hdr, &w.src, &w.dst, udp_len as u16);
    hdr[7] = 255;
    f.extend_from_slice(&hdr);
    let l4 = f.len();
    let mut udp = vec![0u8; UDP_HEADER_LEN];
    udp.extend_from_slice(payload);
    finish_udp(&mut udp, &w.src, &w.dst, w.src_port, 547);
    if udp_len > usize::from(u16::MAX) {
        // A jumbo payload: the length field cannot say it; keep it wrong.
        udp[4..6].copy_from_slice(&u16::MAX.to_be_bytes());
    }
    if w.bad_checksum {
        udp[6] ^= 0x5a;
    }
    f.extend_from_slice(&udp);
    let mut len = f.len();
    if len < 60 {
        f.resize(60, 0);
        len = 60;
    }
    let capacity = match w.slack {
        Some(slack) => len + slack,
        None => len.max(2048),
    };
    f.resize(capacity, 0);
    Built {
        buf: f,
        len,
        l3,
        l4,
    }
}

// ---------------------------------------------------------------------------
// Running one packet, and the checks on the answer.

/// The payload through the whole per-packet path, with every check on the
/// verdict. Returns the verdict.
pub fn serve_and_check(server: &mut FuzzServer, payload: &[u8], w: &Wrapping) -> Verdict {
    let mut built = build_frame(payload, w);
    let received = built.buf[..built.len].to_vec();
    let facts = facts_for(w.sw_if_index);
    let capacity = built.buf.len();
    let mut summary = PacketSummary::default();
    let clock = server.clock();
    let verdict = handle_frame(
        &server.config,
        &mut server.shard,
        clock,
        w.sw_if_index,
        &facts,
        Frame {
            buf: &mut built.buf,
            len: built.len,
            l3_offset: built.l3,
            l4_offset: built.l4,
        },
        &mut summary,
    );
    match verdict {
        Verdict::Reply { frame_len } => {
            assert!(frame_len <= capacity, "reply of {frame_len} in {capacity}");
            let (relays, _, inner) = unwrap(payload).expect("answered an unreadable relay");
            assert!(relays.is_empty(), "on-link Reply to a relayed message");
            let out = &built.buf[..frame_len];
            // Ethernet: back to the sender, from us; VLAN tag and type kept.
            assert_eq!(out[..6], received[6..12], "reply's destination MAC");
            assert_eq!(out[6..12], facts.mac.unwrap(), "reply's source MAC");
            assert_eq!(out[12..built.l3], received[12..built.l3]);
            let reply_from = server
                .config
                .interface(w.sw_if_index)
                .and_then(|s| facts.reply_from(s))
                .unwrap();
            let udp_payload = check_ip_udp(out, built.l3, built.l4, reply_from, w.src, 547, 546);
            assert_eq!(summary.msg_type_out, udp_payload[0]);
            assert!(!summary.relayed, "on-link reply summarized as relayed");
            check_reply(server, inner, udp_payload);
        }
        Verdict::Routed { frame_len } => {
            assert!(
                frame_len <= capacity,
                "relay-reply of {frame_len} in {capacity}"
            );
            let (relays, _, inner) = unwrap(payload).expect("answered an unreadable relay");
            assert!(!relays.is_empty(), "Relay-reply to an on-link message");
            let out = &built.buf[..frame_len];
            let settings = server.config.interface(w.sw_if_index).unwrap();
            let from = if w.dst.is_multicast() {
                settings.link_address.or(facts.first_global).unwrap()
            } else {
                w.dst
            };
            let udp_payload = check_ip_udp(out, built.l3, built.l4, from, w.src, 547, w.src_port);
            assert!(summary.relayed, "Relay-reply not summarized as relayed");
            assert_eq!(summary.msg_type_in, inner[0]);
            let reply = check_relay_replies(udp_payload, &relays);
            assert_eq!(summary.msg_type_out, reply[0]);
            check_reply(server, inner, reply);
        }
        Verdict::Drop(_) => {}
    }
    if verbose() {
        eprintln!(
            "t={} if={} {} -> {}: {:02x?} -> {verdict:?} (in {} out {})",
            server.now,
            w.sw_if_index,
            w.src,
            w.dst,
            &payload[..payload.len().min(8)],
            summary.msg_type_in,
            summary.msg_type_out
        );
        if knobs().verbose > 1 {
            eprintln!("  in  {}", hex(payload));
            if let Verdict::Reply { frame_len } | Verdict::Routed { frame_len } = verdict {
                eprintln!(
                    "  out {}",
                    hex(&built.buf[built.l4 + UDP_HEADER_LEN..frame_len])
                );
            }
        }
    }
    server.drain();
    verdict
}

fn verbose() -> bool {
    knobs().verbose > 0
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What VPP reports for each receiving interface.
pub fn facts_for(sw_if_index: u32) -> InterfaceFacts {
    match sw_if_index {
        IF_NO_ADDRESSES => InterfaceFacts {
            mac: Some(MAC),
            link_local: None,
            first_global: None,
            fib_index: 3,
        },
        IF_NO_UNICAST => InterfaceFacts {
            mac: Some([2, 0x5e, 0, 0, 0, 3]),
            link_local: Some(ip("fe80::3")),
            first_global: Some(ip("2001:db8:2::1")),
            fib_index: 1,
        },
        _ => InterfaceFacts {
            mac: Some(MAC),
            link_local: Some(ip("fe80::2")),
            first_global: Some(ip("2001:db8:1::1")),
            fib_index: 0,
        },
    }
}

/// IPv6 and UDP headers of a reply; returns the UDP payload.
fn check_ip_udp(
    out: &[u8],
    l3: usize,
    l4: usize,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    src_port: u16,
    dst_port: u16,
) -> &[u8] {
    let ip6 = Ipv6Header::new_checked(&out[l3..]).expect("reply's IPv6 header");
    assert_eq!(ip6.next_header(), IP_PROTOCOL_UDP);
    assert_eq!(ip6.src(), src, "reply's source address");
    assert_eq!(ip6.dst(), dst, "reply's destination address");
    let payload_len = usize::from(u16::from_be_bytes([out[l3 + 4], out[l3 + 5]]));
    assert_eq!(payload_len, out.len() - l4, "IPv6 payload length");
    let udp = UdpHeader::new_checked(&out[l4..]).expect("reply's UDP header");
    assert_eq!(usize::from(udp.length()), out.len() - l4, "UDP length");
    assert_eq!((udp.src_port(), udp.dst_port()), (src_port, dst_port));
    assert!(
        udp_checksum_is_valid(&src, &dst, &out[l4..]),
        "reply's UDP checksum"
    );
    &out[l4 + UDP_HEADER_LEN..]
}

/// Relay-reply envelopes that mirror the Relay-forward ones, outermost
/// first; returns the message inside.
pub fn check_relay_replies<'a>(mut payload: &'a [u8], chain: &[RelayLevel]) -> &'a [u8] {
    for (depth, level) in chain.iter().enumerate() {
        assert_eq!(
            payload.first(),
            Some(&(MessageType::RelayReply as u8)),
            "level {depth} is not a Relay-reply"
        );
        let r = RelayMessage::parse(payload).expect("a Relay-reply we wrote does not parse");
        assert_eq!(r.hop_count(), level.hop_count, "level {depth}: hop count");
        assert_eq!(r.link_address(), level.link_address, "level {depth}: link");
        assert_eq!(r.peer_address(), level.peer_address, "level {depth}: peer");
        let mut interface_id = None;
        let mut inner = None;
        for o in r.options() {
            match o.code {
                option_code::INTERFACE_ID => {
                    assert!(interface_id.is_none(), "level {depth}: two Interface-IDs");
                    interface_id = Some(o.data);
                }
                option_code::RELAY_MSG => {
                    assert!(inner.is_none(), "level {depth}: two Relay-messages");
                    inner = Some(o.data);
                }
                c => panic!("level {depth}: unexpected option {c} in a Relay-reply"),
            }
        }
        assert_eq!(
            interface_id,
            level.interface_id.as_deref(),
            "level {depth}: Interface-ID not echoed as received"
        );
        payload = inner.expect("Relay-reply without a Relay-message");
    }
    payload
}

/// Checks an Advertise or Reply against the request it answers and the
/// lease engine's state after it.
pub fn check_reply(server: &FuzzServer, request: &[u8], reply: &[u8]) {
    let req = Message::parse(request).expect("answered an unparsable request");
    let msg_type = MessageType::from_u8(req.msg_type()).expect("answered an unknown type");
    let mut summary = PacketSummary::default();
    let req = read_request(&server.config, &req, msg_type, &mut summary)
        .expect("answered a request the reader refuses");

    let m = Message::parse(reply).expect("our reply does not parse");
    let reply_type = MessageType::from_u8(m.msg_type()).expect("reply type");
    match (msg_type, reply_type) {
        (MessageType::Solicit, MessageType::Advertise | MessageType::Reply) => {}
        (MessageType::Solicit, t) | (_, t @ MessageType::Advertise) => {
            panic!("{t} answering {msg_type}")
        }
        (_, MessageType::Reply) => {}
        (_, t) => panic!("{t} answering {msg_type}"),
    }
    if reply_type == MessageType::Reply && msg_type == MessageType::Solicit {
        assert!(req.rapid_commit, "Reply to a Solicit without Rapid Commit");
    }
    assert_eq!(m.transaction_id(), req.transaction_id, "transaction id");

    let duid = req.client_id.as_deref().unwrap_or(&[]);
    let mut server_ids = 0;
    let mut client_ids = 0;
    let mut seen_ias = HashSet::new();
    let mut status = None;
    for (position, o) in m.options().enumerate() {
        match o.code {
            option_code::SERVER_ID => {
                assert_eq!(position, 0, "Server-ID comes first");
                assert_eq!(
                    Some(o.data),
                    server.config.server_duid().map(|d| d.as_bytes())
                );
                server_ids += 1;
            }
            option_code::CLIENT_ID => {
                assert_eq!(Some(o.data), req.client_id.as_deref(), "Client-ID echoed");
                client_ids += 1;
            }
            option_code::STATUS_CODE => {
                status = Some(check_status(o.data));
            }
            option_code::IA_NA | option_code::IA_TA | option_code::IA_PD => {
                let ty = match o.code {
                    option_code::IA_NA => IaType::Na,
                    option_code::IA_TA => IaType::Ta,
                    _ => IaType::Pd,
                };
                let iaid = check_ia(server, &req, duid, msg_type, ty, o.data);
                assert!(seen_ias.insert((o.code, iaid)), "IA {iaid} answered twice");
            }
            option_code::RELAY_MSG | option_code::IA_ADDR | option_code::IA_PREFIX => {
                panic!("option {} at the top of a reply", o.code)
            }
            _ => {}
        }
    }
    assert_eq!(server_ids, 1, "one Server-ID");
    assert_eq!(
        client_ids,
        usize::from(req.client_id.is_some()),
        "Client-ID"
    );
    assert!(
        seen_ias.len() <= req.ias.len(),
        "more IAs answered than asked"
    );

    if status == Some(5) {
        // UseMulticast: nothing else was done.
        assert!(seen_ias.is_empty(), "IAs answered with UseMulticast");
        return;
    }
    let ia_code = |ty: IaType| match ty {
        IaType::Na => option_code::IA_NA,
        IaType::Ta => option_code::IA_TA,
        IaType::Pd => option_code::IA_PD,
    };
    let all_answered = || {
        req.ias
            .iter()
            .all(|ia| seen_ias.contains(&(ia_code(ia.ty), ia.iaid)))
    };
    match msg_type {
        // RFC 8415 sections 18.3.2, 18.3.4, 18.3.5: an IA for every IA.
        MessageType::Request | MessageType::Renew | MessageType::Rebind => {
            assert!(
                all_answered(),
                "{msg_type}: an IA of the request left unanswered"
            )
        }
        // Section 18.3.1: every IA, or none with a top-level NoAddrsAvail.
        MessageType::Solicit => assert!(
            all_answered() || seen_ias.is_empty() && status == Some(2),
            "Solicit: IAs left unanswered"
        ),
        MessageType::Confirm | MessageType::InformationRequest => {
            assert!(seen_ias.is_empty(), "{msg_type} answered with IAs")
        }
        _ => {}
    }
    // Release and Decline: what was given back is no longer in force.
    if matches!(msg_type, MessageType::Release | MessageType::Decline) {
        assert_eq!(status, Some(0), "Release/Decline reply status");
        for ia in &req.ias {
            let Some(kind) = ia.ty.kind() else { continue };
            let code = if ia.ty == IaType::Pd {
                option_code::IA_PD
            } else {
                option_code::IA_NA
            };
            if seen_ias.contains(&(code, ia.iaid)) {
                continue; // NoBinding
            }
            if let Some(i) = server.shard.find(duid, kind, ia.iaid) {
                let l = server.shard.lease(i);
                let want = if msg_type == MessageType::Decline {
                    LeaseState::Declined
                } else {
                    LeaseState::Free
                };
                assert!(
                    l.state == want || l.state == LeaseState::Unused,
                    "{msg_type} of IA {} left its lease {:?}",
                    ia.iaid,
                    l.state
                );
            }
        }
    }
}

/// A Status Code body; returns the code.
fn check_status(data: &[u8]) -> u16 {
    assert!(data.len() >= 2, "Status Code body of {} bytes", data.len());
    let code = u16::from_be_bytes([data[0], data[1]]);
    assert!(code <= 6, "status code {code}");
    assert!(
        std::str::from_utf8(&data[2..]).is_ok(),
        "status message not UTF-8"
    );
    code
}

/// An IA of a reply: well formed, about an IA of the request, and what it
/// gives with a valid lifetime is the client's lease and ours to give.
/// Returns its IAID.
fn check_ia(
    server: &FuzzServer,
    req: &ClientMessage,
    duid: &[u8],
    msg_type: MessageType,
    ty: IaType,
    body: &[u8],
) -> u32 {
    let fixed = if ty == IaType::Ta { 4 } else { 12 };
    assert!(body.len() >= fixed, "{ty:?} body of {} bytes", body.len());
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let iaid = be32(body);
    assert!(
        req.ias.iter().any(|i| i.ty == ty && i.iaid == iaid),
        "{ty:?} {iaid} answered but not asked"
    );
    if ty != IaType::Ta {
        let (t1, t2) = (be32(&body[4..]), be32(&body[8..]));
        assert!(t2 == 0 || t1 <= t2, "T1 {t1} > T2 {t2}");
    }
    let subs = Options::checked(&body[fixed..]).expect("IA sub-options overrun");
    for s in subs {
        let (resource, len, preferred, valid) = match (ty, s.code) {
            (IaType::Na | IaType::Ta, option_code::IA_ADDR) => {
                assert!(s.data.len() >= 24, "IA Address of {} bytes", s.data.len());
                let r = u128::from_be_bytes(s.data[..16].try_into().unwrap());
                (r, 128, be32(&s.data[16..]), be32(&s.data[20..]))
            }
            (IaType::Pd, option_code::IA_PREFIX) => {
                assert!(s.data.len() >= 25, "IA Prefix of {} bytes", s.data.len());
                let r = u128::from_be_bytes(s.data[9..25].try_into().unwrap());
                assert!(s.data[8] <= 128, "prefix length {}", s.data[8]);
                (r, s.data[8], be32(s.data), be32(&s.data[4..]))
            }
            (_, option_code::STATUS_CODE) => {
                check_status(s.data);
                continue;
            }
            (_, c) => panic!("option {c} inside a {ty:?}"),
        };
        assert!(preferred <= valid, "preferred {preferred} > valid {valid}");
        if valid == 0 {
            continue;
        }
        let kind = ty.kind().expect("a temporary address handed out");
        assert!(
            matches!(
                msg_type,
                MessageType::Solicit
                    | MessageType::Request
                    | MessageType::Renew
                    | MessageType::Rebind
            ),
            "{msg_type} reply gives {resource:x} for {valid} s"
        );
        assert!(
            server.is_ours(kind, resource, len),
            "{resource:x}/{len} handed out is neither in a pool nor reserved"
        );
        let index = server
            .shard
            .find(duid, kind, iaid)
            .unwrap_or_else(|| panic!("{resource:x}/{len} given to IA {iaid} without a lease"));
        let l = server.shard.lease(index);
        assert_eq!(
            (l.resource, l.len),
            (resource, len),
            "IA {iaid} shows another lease's resource"
        );
        assert!(
            matches!(l.state, LeaseState::Offered | LeaseState::Bound),
            "{resource:x} shown with a {:?} lease",
            l.state
        );
        assert_eq!(server.shard.holder(kind, resource), Some(index));
        if l.state == LeaseState::Bound {
            assert!(
                l.valid_until > server.now,
                "{resource:x} bound but already over"
            );
        }
    }
    iaid
}

/// How many Relay-forward headers in a row parse in `payload`, following
/// each level's last Relay-message option (as the server does).
pub fn relay_depth(payload: &[u8]) -> usize {
    let mut depth = 0;
    let mut inner = payload;
    while inner.first() == Some(&(MessageType::RelayForward as u8)) && depth <= 64 {
        let Ok(r) = RelayMessage::parse(inner) else {
            break;
        };
        depth += 1;
        match r
            .options()
            .filter(|o| o.code == option_code::RELAY_MSG)
            .last()
        {
            Some(o) => inner = o.data,
            None => break,
        }
    }
    depth
}

pub use dhcp6_server_plugin::server::request::MAX_RELAY_DEPTH;
