//! Per-packet cost of the Rust fast path on prepared buffers, and memory
//! per lease, at 1,000 and 1,000,000 active leases.
//!
//!     cargo bench --bench fast_path
//!
//! Each message is handled through `server::handle_frame`, exactly as the
//! node does, from a copy of a prepared frame (the copy, ~100 bytes, is
//! included). Memory is counted by a counting allocator around the lease
//! engine's growth.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::net::Ipv6Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use dhcp6_server_plugin::config::{InterfaceSettings, LinkParameters, ServerConfig};
use dhcp6_server_plugin::leases::{IaKind, LeaseState, Lifetimes, PoolSpec, Shard};
use dhcp6_server_plugin::limits::{Limits, RateLimit, DEFAULT_LIMITS};
use dhcp6_server_plugin::server::{
    handle_frame, Clock, Frame, InterfaceFacts, PacketSummary, Verdict,
};
use dhcp6_server_plugin::wire::frame::{finish_udp, write_ipv6_header};

struct Counting;
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only
// counts bytes on the way (a measuring tool, not part of the plugin).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(l.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        ALLOCATED.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new.wrapping_sub(l.size()), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const MAC: [u8; 6] = [2, 0x5e, 0, 0, 0, 2];
const NOW: u32 = 1_000_000;

fn opt(code: u16, data: &[u8]) -> Vec<u8> {
    let mut v = code.to_be_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn duid(n: u32) -> Vec<u8> {
    let mut d = vec![0, 4];
    d.extend_from_slice(b"bench");
    d.extend_from_slice(&n.to_be_bytes());
    d
}

fn ia_na(iaid: u32, addr: Option<u128>) -> Vec<u8> {
    let mut body = iaid.to_be_bytes().to_vec();
    body.extend_from_slice(&[0; 8]);
    if let Some(a) = addr {
        let mut sub = a.to_be_bytes().to_vec();
        sub.extend_from_slice(&[0; 8]);
        body.extend(opt(5, &sub));
    }
    opt(3, &body)
}

fn frame(payload: &[u8]) -> (Vec<u8>, usize) {
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

fn message(t: u8, options: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![t, 1, 2, 3];
    for o in options {
        m.extend_from_slice(o);
    }
    m
}

struct Bench {
    config: ServerConfig,
    shard: Shard,
    server_id: Vec<u8>,
    facts: InterfaceFacts,
}

impl Bench {
    fn new(active: u32) -> (Self, usize) {
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
        let before = ALLOCATED.load(Ordering::Relaxed);
        let ids = [shard.config_pool_id(0).unwrap()];
        let life = Lifetimes {
            preferred: 3600,
            valid: 7200,
        };
        for c in 0..active {
            shard
                .assign(
                    &duid(c),
                    IaKind::Na,
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
        let grown = ALLOCATED.load(Ordering::Relaxed) - before;
        let server_id = opt(2, &[0, 3, 0, 1, 2, 0x5e, 0, 0, 0, 2]);
        let facts = InterfaceFacts {
            mac: Some(MAC),
            link_local: Some("fe80::2".parse().unwrap()),
            first_global: Some("2001:db8:1::1".parse().unwrap()),
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

    fn handle(&mut self, buf: &mut [u8], prepared: &(Vec<u8>, usize)) -> Verdict {
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

/// ns per message over `frames` (cycled), after a warm-up pass.
fn measure(b: &mut Bench, frames: &[(Vec<u8>, usize)], rounds: usize) -> f64 {
    let mut buf = vec![0u8; 2048];
    for f in frames.iter().take(1000) {
        black_box(b.handle(&mut buf, f));
    }
    let start = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        for f in frames {
            let v = b.handle(&mut buf, f);
            assert!(matches!(v, Verdict::Reply { .. }), "{v:?}");
            black_box(v);
            n += 1;
        }
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    println!(
        "{:<34} {:>12} {:>14}",
        "message", "1,000 leases", "1,000,000 leases"
    );
    let mut rows: Vec<(String, Vec<f64>)> = Vec::new();
    let mut memory = Vec::new();
    for &active in &[1_000u32, 1_000_000] {
        let (mut b, grown) = Bench::new(active);
        memory.push((active, grown));
        let sample: Vec<u32> = (0..10_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761)) % active)
            .collect();
        let info: Vec<_> = (0..1)
            .map(|_| frame(&message(11, &[opt(1, &duid(1)), opt(6, &[0, 23])])))
            .collect();
        let renew: Vec<_> = sample
            .iter()
            .map(|&c| {
                let l = b.shard.find(&duid(c), IaKind::Na, 1).unwrap();
                let addr = b.shard.lease(l).resource;
                frame(&message(
                    5,
                    &[opt(1, &duid(c)), b.server_id.clone(), ia_na(1, Some(addr))],
                ))
            })
            .collect();
        let solicit_new: Vec<_> = (0..20_000u32)
            .map(|i| {
                frame(&message(
                    1,
                    &[opt(1, &duid(10_000_000 + i)), ia_na(1, None)],
                ))
            })
            .collect();
        let request: Vec<_> = (0..20_000u32)
            .map(|i| {
                frame(&message(
                    3,
                    &[
                        opt(1, &duid(10_000_000 + i)),
                        b.server_id.clone(),
                        ia_na(1, None),
                    ],
                ))
            })
            .collect();
        let results = [
            (
                "Information-request -> Reply",
                measure(&mut b, &info, 200_000),
            ),
            ("Renew -> Reply", measure(&mut b, &renew, 20)),
            (
                "Solicit -> Advertise (new client)",
                measure(&mut b, &solicit_new, 1),
            ),
            (
                "Request -> Reply (after Advertise)",
                measure(&mut b, &request, 1),
            ),
        ];
        for (i, (name, ns)) in results.iter().enumerate() {
            if rows.len() <= i {
                rows.push((name.to_string(), Vec::new()));
            }
            rows[i].1.push(*ns);
        }
    }
    for (name, ns) in &rows {
        println!("{:<34} {:>9.0} ns {:>12.0} ns", name, ns[0], ns[1]);
    }
    for (active, grown) in memory {
        println!(
            "heap per lease at {active} leases: {} bytes",
            grown / active as usize
        );
    }
}
