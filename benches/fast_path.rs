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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use dhcp6_server_plugin::leases::ResourceKind;
use dhcp6_server_plugin::server::Verdict;

#[path = "../tests/kit/mod.rs"]
mod kit;
use kit::*;

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
        let (mut b, grown) = Bench::new(active, || ALLOCATED.load(Ordering::Relaxed));
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
                let l = b.shard.find(&duid(c), ResourceKind::Na, 1).unwrap();
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
