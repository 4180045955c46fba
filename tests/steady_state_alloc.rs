//! The per-packet path allocates nothing in steady state: Renews of bound
//! clients and Information-requests, counted by a counting allocator
//! around `server::handle_frame` exactly as the node calls it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use dhcp6_server_plugin::leases::ResourceKind;
use dhcp6_server_plugin::server::Verdict;

mod kit;
use kit::*;

struct Counting;
static CALLS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator and only
// counts them (a test tool, not part of the plugin).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(l.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        BYTES.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        CALLS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new.wrapping_sub(l.size()), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn renew_and_information_request_allocate_nothing() {
    let (mut b, _) = Bench::new(1000, || BYTES.load(Ordering::Relaxed));
    let renews: Vec<_> = (0..200u32)
        .map(|c| {
            let l = b.shard.find(&duid(c), ResourceKind::Na, 1).unwrap();
            let addr = b.shard.lease(l).resource;
            frame(&message(
                5,
                &[opt(1, &duid(c)), b.server_id.clone(), ia_na(1, Some(addr))],
            ))
        })
        .collect();
    let info = frame(&message(11, &[opt(1, &duid(5000)), opt(6, &[0, 23])]));
    let mut buf = vec![0u8; 2048];
    // Warm-up: the first pass may size what is sized once.
    for f in &renews {
        b.handle(&mut buf, f);
    }
    b.handle(&mut buf, &info);
    let before = CALLS.load(Ordering::Relaxed);
    for _ in 0..5 {
        for f in &renews {
            assert!(matches!(b.handle(&mut buf, f), Verdict::Reply { .. }));
        }
        for _ in 0..50 {
            assert!(matches!(b.handle(&mut buf, &info), Verdict::Reply { .. }));
        }
    }
    let calls = CALLS.load(Ordering::Relaxed) - before;
    assert_eq!(
        calls, 0,
        "{calls} allocations in 1,250 steady-state messages"
    );
}
