//! Builders shared by the benchmarks and the integration tests: a server
//! with one link and pool, clients with bound leases, and request frames
//! as the node hands them over.
//!
//! Included by path (`#[path = "../tests/kit/mod.rs"] mod kit;` in
//! `benches/`), so the plugin's library carries none of it.
#![allow(dead_code)]

use std::net::Ipv6Addr;

use dhcp6_server_plugin::config::{InterfaceSettings, LinkParameters, ServerConfig};
use dhcp6_server_plugin::leases::{LeaseState, Lifetimes, PoolSpec, ResourceKind, Shard};
use dhcp6_server_plugin::limits::{Limits, RateLimit, DEFAULT_LIMITS};
use dhcp6_server_plugin::server::{
    handle_frame, Clock, Frame, InterfaceFacts, PacketSummary, Verdict,
};
use dhcp6_server_plugin::wire::frame::{finish_udp, write_ipv6_header};

pub const MAC: [u8; 6] = [2, 0x5e, 0, 0, 0, 2];
pub const NOW: u32 = 1_000_000;

pub fn opt(code: u16, data: &[u8]) -> Vec<u8> {
    let mut v = code.to_be_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    v
}

pub fn duid(n: u32) -> Vec<u8> {
    let mut d = vec![0, 4];
    d.extend_from_slice(b"bench");
    d.extend_from_slice(&n.to_be_bytes());
    d
}

pub fn ia_na(iaid: u32, addr: Option<u128>) -> Vec<u8> {
    let mut body = iaid.to_be_bytes().to_vec();
    body.extend_from_slice(&[0; 8]);
    if let Some(a) = addr {
        let mut sub = a.to_be_bytes().to_vec();
        sub.extend_from_slice(&[0; 8]);
        body.extend(opt(5, &sub));
    }
    opt(3, &body)
}

pub fn frame(payload: &[u8]) -> (Vec<u8>, usize) {
    let (src, dst): (Ipv6Addr, Ipv6Addr) =
        ("fe80::c1".parse().unwrap(), "ff02::1:2".parse().unwrap());
    let mut f = vec![0x33, 0x33, 0, 1, 0, 2, 2, 0xc1, 0, 0, 0, 1, 0x86, 0xdd];
    let mut ip = [0u8; 40];
    write_ipv6_header(&mut ip, &src, &dst, (8 + payload.len()) as u16);
    f.extend_from_slice(&ip);
    let mut udp = vec![0u8; 8];
    udp.extend_from_slice(payload);
    finish_udp(&mut udp, &src, &dst, 546, 547);
    f.extend_from_slice(&udp);
    let len = f.len();
    f.resize(2048, 0);
    (f, len)
}

pub fn message(t: u8, options: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![t, 1, 2, 3];
    for o in options {
        m.extend_from_slice(o);
    }
    m
}

pub struct Bench {
    pub config: ServerConfig,
    pub shard: Shard,
    pub server_id: Vec<u8>,
    pub facts: InterfaceFacts,
}

impl Bench {
    pub fn new(active: u32, allocated: impl Fn() -> usize) -> (Self, usize) {
        let mut config = ServerConfig::new();
        config
            .enable_interface(1, InterfaceSettings::default(), Some(MAC))
            .unwrap();
        let link: Ipv6Addr = "2001:db8:1::".parse().unwrap();
        config
            .set_link(link, 64, &LinkParameters::default())
            .unwrap();
        let pool = PoolSpec::Addresses {
            first: "2001:db8:1::1:0".parse().unwrap(),
            last: "2001:db8:1::ffff:ffff".parse().unwrap(),
        };
        config.add_pool(link, 64, pool).unwrap();
        config
            .set_dns_servers(&["2001:db8::53".parse().unwrap()])
            .unwrap();
        // The limits' checks run, set high enough that a message repeated
        // back to back (the benchmark's loop) is never dropped.
        config
            .set_limits(Limits {
                client: RateLimit {
                    rate: 10_000_000,
                    burst: 10_000_000,
                },
                ..DEFAULT_LIMITS
            })
            .unwrap();
        let mut shard = Shard::new();
        shard.sync_pools(&config.all_pools().copied().collect::<Vec<_>>(), 0, 1);
        shard.sync_limits(config.limits(), config.max_sw_if_index());
        let before = allocated();
        let ids = [shard.config_pool_id(0).unwrap()];
        let life = Lifetimes {
            preferred: 3600,
            valid: 7200,
        };
        for c in 0..active {
            shard
                .assign(
                    &duid(c),
                    ResourceKind::Na,
                    1,
                    &ids,
                    None,
                    LeaseState::Bound,
                    NOW,
                    life,
                    60,
                )
                .unwrap();
        }
        let grown = allocated() - before;
        let server_id = opt(2, &[0, 3, 0, 1, 2, 0x5e, 0, 0, 0, 2]);
        let facts = InterfaceFacts {
            mac: Some(MAC),
            link_local: Some("fe80::2".parse().unwrap()),
            first_global: Some("2001:db8:1::1".parse().unwrap()),
            ipv4_address: None,
            fib_index: 0,
        };
        (
            Bench {
                config,
                shard,
                server_id,
                facts,
            },
            grown,
        )
    }

    pub fn handle(&mut self, buf: &mut [u8], prepared: &(Vec<u8>, usize)) -> Verdict {
        buf[..prepared.1].copy_from_slice(&prepared.0[..prepared.1]);
        let mut summary = PacketSummary::default();
        let frame = Frame {
            buf,
            len: prepared.1,
            l3_offset: 14,
            l4_offset: 54,
        };
        handle_frame(
            &self.config,
            &mut self.shard,
            Clock::at_secs(NOW),
            1,
            &self.facts,
            frame,
            &mut summary,
        )
    }
}
