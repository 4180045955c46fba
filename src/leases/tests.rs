use super::*;
use core::net::Ipv6Addr;
use std::collections::HashSet;

const LIFE: Lifetimes = Lifetimes {
    preferred: 100,
    valid: 200,
};
const HOLD: u32 = 10;

fn a(s: &str) -> u128 {
    u128::from_be_bytes(s.parse::<Ipv6Addr>().unwrap().octets())
}

fn duid(n: u32) -> Vec<u8> {
    let mut d = vec![0, 4];
    d.extend_from_slice(&n.to_be_bytes());
    d
}

fn addresses(first: &str, last: &str) -> PoolSpec {
    PoolSpec::Addresses {
        first: first.parse().unwrap(),
        last: last.parse().unwrap(),
    }
}

fn shard_with(specs: &[PoolSpec]) -> (Shard, Vec<u32>) {
    let mut s = Shard::new();
    let ids = s.set_pools(specs, 0, 1);
    (s, ids)
}

fn bind(
    s: &mut Shard,
    client: u32,
    iaid: u32,
    pools: &[u32],
    now: Time,
) -> Result<u128, Exhausted> {
    s.assign(
        &duid(client),
        ResourceKind::Na,
        iaid,
        pools,
        None,
        LeaseState::Bound,
        now,
        LIFE,
        HOLD,
    )
    .map(|i| s.lease(i).resource)
}

#[test]
fn allocates_in_order_then_exhausts_then_reuses_the_longest_free() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::3")]);
    let got: Vec<u128> = (0..3)
        .map(|c| bind(&mut s, c, 1, &ids, 0).unwrap())
        .collect();
    assert_eq!(
        got,
        vec![a("2001:db8::1"), a("2001:db8::2"), a("2001:db8::3")]
    );
    assert_eq!(bind(&mut s, 9, 1, &ids, 0), Err(Exhausted));
    // Free ::2 then ::1; a new client gets ::2 (freed first).
    let l2 = s.find(&duid(1), ResourceKind::Na, 1).unwrap();
    let l1 = s.find(&duid(0), ResourceKind::Na, 1).unwrap();
    s.release(l2);
    s.release(l1);
    assert_eq!(bind(&mut s, 9, 1, &ids, 0), Ok(a("2001:db8::2")));
    // The evicted client no longer has a binding; client 0 still remembers ::1.
    assert!(s.find(&duid(1), ResourceKind::Na, 1).is_none());
    assert_eq!(bind(&mut s, 0, 1, &ids, 0), Ok(a("2001:db8::1")));
}

#[test]
fn a_returning_client_gets_its_address_back_after_release_and_expiry() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::ff")]);
    for c in 0..10 {
        bind(&mut s, c, 7, &ids, 0).unwrap();
    }
    let mine = bind(&mut s, 5, 7, &ids, 0).unwrap();
    assert_eq!(mine, a("2001:db8::6"), "same IA asks again: same address");
    s.release(s.find(&duid(5), ResourceKind::Na, 7).unwrap());
    assert_eq!(bind(&mut s, 5, 7, &ids, 1), Ok(mine));
    assert_eq!(s.expire(1000), 10);
    assert_eq!(s.count(LeaseState::Free), 10);
    assert_eq!(bind(&mut s, 5, 7, &ids, 1001), Ok(mine), "after expiry too");
    // A different IAID of the same client is a different binding.
    assert_ne!(bind(&mut s, 5, 8, &ids, 1001).unwrap(), mine);
}

#[test]
fn hints_are_honoured_when_free_and_in_the_pool() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::ff")]);
    let hint = |s: &mut Shard, c: u32, h: &str| {
        s.assign(
            &duid(c),
            ResourceKind::Na,
            1,
            &ids,
            Some((a(h), 128)),
            LeaseState::Bound,
            0,
            LIFE,
            HOLD,
        )
        .map(|i| s.lease(i).resource)
    };
    assert_eq!(hint(&mut s, 1, "2001:db8::80"), Ok(a("2001:db8::80")));
    assert_eq!(
        hint(&mut s, 2, "2001:db8::80"),
        Ok(a("2001:db8::1")),
        "taken: allocated instead"
    );
    assert_eq!(
        hint(&mut s, 3, "2001:db8:1::80"),
        Ok(a("2001:db8::2")),
        "outside the pool"
    );
    // The cursor skips what the hint took ahead of it.
    for c in 10..200 {
        let got = bind(&mut s, c, 1, &ids, 0).unwrap();
        assert_ne!(got, a("2001:db8::80"));
    }
}

#[test]
fn offers_are_held_briefly_and_confirmed_by_request() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::2")]);
    let offered = s
        .assign(
            &duid(1),
            ResourceKind::Na,
            1,
            &ids,
            None,
            LeaseState::Offered,
            0,
            LIFE,
            HOLD,
        )
        .unwrap();
    assert_eq!(s.lease(offered).state, LeaseState::Offered);
    let bound = s
        .assign(
            &duid(1),
            ResourceKind::Na,
            1,
            &ids,
            None,
            LeaseState::Bound,
            5,
            LIFE,
            HOLD,
        )
        .unwrap();
    assert_eq!(bound, offered, "the Request gets what was advertised");
    assert_eq!(s.lease(bound).valid_until, 205);
    // An offer nobody requests goes back to the pool after the hold.
    let other = s
        .assign(
            &duid(2),
            ResourceKind::Na,
            1,
            &ids,
            None,
            LeaseState::Offered,
            0,
            LIFE,
            HOLD,
        )
        .unwrap();
    assert_eq!(s.expire(HOLD - 1), 0);
    assert_eq!(s.expire(HOLD), 1);
    assert_eq!(s.lease(other).state, LeaseState::Free);
    assert_eq!(s.lease(bound).state, LeaseState::Bound);
}

#[test]
fn declined_addresses_are_held_out_of_service() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::1")]);
    let l = s
        .assign(
            &duid(1),
            ResourceKind::Na,
            1,
            &ids,
            None,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD,
        )
        .unwrap();
    s.decline(l, 0, 50);
    assert!(
        s.find(&duid(1), ResourceKind::Na, 1).is_none(),
        "no longer the client's"
    );
    assert_eq!(
        bind(&mut s, 1, 1, &ids, 10),
        Err(Exhausted),
        "held, not reused"
    );
    assert_eq!(bind(&mut s, 2, 1, &ids, 10), Err(Exhausted));
    assert_eq!(s.expire(50), 1);
    assert_eq!(bind(&mut s, 2, 1, &ids, 51), Ok(a("2001:db8::1")));
}

#[test]
fn expiry_follows_each_lifetime_and_renew_moves_the_deadline() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::ff")]);
    let short = Lifetimes {
        preferred: 5,
        valid: 10,
    };
    let l1 = s
        .assign(
            &duid(1),
            ResourceKind::Na,
            1,
            &ids,
            None,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD,
        )
        .unwrap();
    let l2 = s
        .assign(
            &duid(2),
            ResourceKind::Na,
            1,
            &ids,
            None,
            LeaseState::Bound,
            0,
            short,
            HOLD,
        )
        .unwrap();
    s.extend(l1, 150, LIFE);
    assert_eq!(s.expire(199), 1, "only the short one");
    assert_eq!(s.lease(l2).state, LeaseState::Free);
    assert_eq!(s.expire(349), 0);
    assert_eq!(s.expire(350), 1);
    assert_eq!(s.lease(l1).state, LeaseState::Free);
}

#[test]
fn a_bounded_expiry_ends_the_oldest_and_leaves_the_rest_due() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::ff")]);
    let leases: Vec<u32> = (1..=5)
        .map(|n| {
            let life = Lifetimes {
                preferred: 5,
                valid: 10 + n,
            };
            s.assign(
                &duid(n),
                ResourceKind::Na,
                1,
                &ids,
                None,
                LeaseState::Bound,
                0,
                life,
                HOLD,
            )
            .unwrap()
        })
        .collect();
    assert_eq!(s.expire_some(100, 2), 2);
    let states: Vec<_> = leases.iter().map(|l| s.lease(*l).state).collect();
    use LeaseState::{Bound, Free};
    assert_eq!(states, [Free, Free, Bound, Bound, Bound], "oldest first");
    assert!(
        s.next_expiry().is_some_and(|t| t <= 100),
        "the rest still due"
    );
    assert_eq!(s.expire_some(100, 2), 2);
    assert_eq!(s.expire_some(100, 2), 1);
    assert_eq!(s.next_expiry(), None);
}

#[test]
fn removed_pools_stop_allocating_and_forget_free_leases() {
    let p1 = addresses("2001:db8::1", "2001:db8::2");
    let p2 = addresses("2001:db8:1::1", "2001:db8:1::2");
    let (mut s, ids) = shard_with(&[p1, p2]);
    bind(&mut s, 1, 1, &ids[..1], 0).unwrap();
    bind(&mut s, 2, 1, &ids[..1], 0).unwrap();
    s.release(s.find(&duid(2), ResourceKind::Na, 1).unwrap());
    let ids2 = s.set_pools(&[p2], 0, 1);
    assert_eq!(ids2, vec![ids[1]], "ids are stable");
    assert_eq!(
        s.count(LeaseState::Free),
        0,
        "free lease of the removed pool forgotten"
    );
    assert_eq!(s.count(LeaseState::Bound), 1, "bound one runs out");
    assert_eq!(
        bind(&mut s, 3, 1, &ids, 0),
        Ok(a("2001:db8:1::1")),
        "only the active pool allocates"
    );
    assert_eq!(s.expire(1000), 2);
    assert_eq!(
        s.count(LeaseState::Unused),
        1,
        "expired lease of a removed pool is gone"
    );
}

#[test]
fn prefixes_are_delegated_from_prefix_pools() {
    let pd = PoolSpec::Prefixes {
        prefix: "2001:db8:100::".parse().unwrap(),
        len: 46,
        delegated_len: 48,
    };
    let (mut s, ids) = shard_with(&[pd]);
    let got: Vec<_> = (0..4)
        .map(|c| {
            let i = s
                .assign(
                    &duid(c),
                    ResourceKind::Pd,
                    1,
                    &ids,
                    None,
                    LeaseState::Bound,
                    0,
                    LIFE,
                    HOLD,
                )
                .unwrap();
            (s.lease(i).resource, s.lease(i).len)
        })
        .collect();
    assert_eq!(got[3], (a("2001:db8:103::"), 48));
    assert!(s
        .assign(
            &duid(9),
            ResourceKind::Pd,
            1,
            &ids,
            None,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD
        )
        .is_err());
}

#[test]
fn shard_windows_never_overlap() {
    let spec = addresses("2001:db8::1", "2001:db8::64");
    let mut seen = HashSet::new();
    for shard in 0..3 {
        let mut s = Shard::new();
        let ids = s.set_pools(&[spec], shard, 3);
        let mut c = 0;
        while let Ok(r) = bind(&mut s, c, 1, &ids, 0) {
            assert!(seen.insert(r), "resource handed out by two shards");
            c += 1;
        }
    }
    assert_eq!(seen.len(), 100, "the windows cover the pool");
}

/// Random operations against the invariants: no resource held twice, every
/// binding points at a lease of that client, lookups agree with the slab.
#[test]
fn random_operations_keep_the_invariants() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::40")]);
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut now = 0;
    for step in 0..50_000 {
        let client = rnd(120) as u32;
        let iaid = rnd(2) as u32;
        match rnd(10) {
            0..=4 => {
                let st = if rnd(2) == 0 {
                    LeaseState::Offered
                } else {
                    LeaseState::Bound
                };
                let _ = s.assign(
                    &duid(client),
                    ResourceKind::Na,
                    iaid,
                    &ids,
                    None,
                    st,
                    now,
                    LIFE,
                    HOLD,
                );
            }
            5 => {
                if let Some(l) = s.find(&duid(client), ResourceKind::Na, iaid) {
                    if s.lease(l).state == LeaseState::Bound {
                        s.release(l);
                    }
                }
            }
            6 => {
                if let Some(l) = s.find(&duid(client), ResourceKind::Na, iaid) {
                    s.decline(l, now, 30);
                }
            }
            7 => {
                if let Some(l) = s.find(&duid(client), ResourceKind::Na, iaid) {
                    s.extend(l, now, LIFE);
                }
            }
            _ => {
                now += rnd(20) as u32;
                s.expire(now);
            }
        }
        if step % 500 == 0 {
            let mut resources = HashSet::new();
            for (i, view) in s.leases() {
                assert!(resources.insert(view.resource), "resource twice");
                assert_eq!(s.holder(ResourceKind::Na, view.resource), Some(i));
                if let Some(d) = &view.duid {
                    // A lease with a client is that client's binding for its IA
                    // or was displaced (then it has no client).
                    assert_eq!(s.find(d.as_bytes(), ResourceKind::Na, view.iaid), Some(i));
                }
                if view.state == LeaseState::Declined {
                    assert!(view.duid.is_none());
                }
            }
            assert!(resources.len() <= 64);
        }
    }
}

#[test]
fn clear_forgets_everything_and_the_pools_are_whole_again() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::2")]);
    bind(&mut s, 1, 1, &ids, 0).unwrap();
    bind(&mut s, 2, 1, &ids, 0).unwrap();
    assert_eq!(s.clear(), 2);
    assert_eq!(s.leases().count(), 0);
    assert!(s.find(&duid(1), ResourceKind::Na, 1).is_none());
    assert_eq!(s.expire(10_000), 0, "nothing left on the expiry queues");
    // Every address can be given again, in order (the benchmark clears
    // between steps and hands out more than the pool holds in all).
    assert_eq!(bind(&mut s, 3, 1, &ids, 0), Ok(a("2001:db8::1")));
    assert_eq!(bind(&mut s, 4, 1, &ids, 0), Ok(a("2001:db8::2")));
    assert_eq!(bind(&mut s, 5, 1, &ids, 0), Err(Exhausted));
}

#[test]
fn clearing_one_family_leaves_the_others_leases_and_pools() {
    let v4 = PoolSpec::Ipv4Addresses {
        first: "192.0.2.1".parse().unwrap(),
        last: "192.0.2.1".parse().unwrap(),
    };
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::1"), v4]);
    bind(&mut s, 1, 1, &ids[..1], 0).unwrap();
    assert_eq!(s.clear_kinds(&[ResourceKind::Ipv4]), 0);
    assert_eq!(
        bind(&mut s, 2, 1, &ids[..1], 0),
        Err(Exhausted),
        "IPv6 lease kept"
    );
    assert_eq!(s.clear_kinds(&[ResourceKind::Na, ResourceKind::Pd]), 1);
    assert_eq!(bind(&mut s, 2, 1, &ids[..1], 0), Ok(a("2001:db8::1")));
}

#[test]
fn delegated_prefixes_are_routed_while_bound() {
    let pd = PoolSpec::Prefixes {
        prefix: "2001:db8:100::".parse().unwrap(),
        len: 46,
        delegated_len: 48,
    };
    let (mut s, ids) = shard_with(&[pd]);
    let via = RouteVia {
        next_hop: a("fe80::1"),
        sw_if_index: 3,
        fib_index: 0,
    };
    let l = s
        .assign(
            &duid(1),
            ResourceKind::Pd,
            1,
            &ids,
            None,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD,
        )
        .unwrap();
    s.set_route(l, via);
    s.set_route(l, via);
    let ops: Vec<_> = s.take_route_ops().collect();
    assert_eq!(
        ops,
        vec![RouteOp {
            add: true,
            prefix: a("2001:db8:100::"),
            len: 48,
            via,
            tries: 0,
        }],
        "once"
    );
    // The client moved behind another next hop: old route out, new in.
    let via2 = RouteVia {
        next_hop: a("fe80::2"),
        ..via
    };
    s.set_route(l, via2);
    let ops: Vec<_> = s
        .take_route_ops()
        .map(|o| (o.add, o.via.next_hop))
        .collect();
    assert_eq!(ops, vec![(false, a("fe80::1")), (true, a("fe80::2"))]);
    // Expiry takes the route away.
    assert_eq!(s.next_expiry(), Some(200));
    s.expire(200);
    let ops: Vec<_> = s.take_route_ops().map(|o| o.add).collect();
    assert_eq!(ops, vec![false]);
    assert_eq!(s.next_expiry(), None);
    // Release and delete do too; offers are never routed.
    let l = s
        .assign(
            &duid(2),
            ResourceKind::Pd,
            1,
            &ids,
            None,
            LeaseState::Offered,
            0,
            LIFE,
            HOLD,
        )
        .unwrap();
    s.set_route(l, via);
    assert!(!s.has_route_ops());
    let l = s
        .assign(
            &duid(2),
            ResourceKind::Pd,
            1,
            &ids,
            None,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD,
        )
        .unwrap();
    s.set_route(l, via);
    s.release(l);
    let ops: Vec<_> = s.take_route_ops().map(|o| o.add).collect();
    assert_eq!(ops, vec![true, false]);
}

fn stored_shard(specs: &[PoolSpec], capacity: usize, now: Time) -> (Shard, Vec<u32>) {
    let mut s = Shard::new();
    let ids = s.set_pools(specs, 0, 1);
    assert_eq!(
        s.attach_store(Box::new(vec![0u8; store::file_len(capacity)]), now)
            .map(|r| r.restored),
        Ok(0)
    );
    (s, ids)
}

/// The shard is lost (a crash); a new one is built from the file's bytes.
fn restart(old: &mut Shard, specs: &[PoolSpec], now: Time) -> (Shard, Vec<u32>, usize) {
    let bytes = old.store_bytes().unwrap().to_vec();
    let mut s = Shard::new();
    let ids = s.set_pools(specs, 0, 1);
    let n = s.attach_store(Box::new(bytes), now).unwrap().restored;
    (s, ids, n)
}

#[test]
fn acknowledged_leases_survive_a_restart() {
    let na = addresses("2001:db8::1", "2001:db8::ff");
    let pd = PoolSpec::Prefixes {
        prefix: "2001:db8:100::".parse().unwrap(),
        len: 40,
        delegated_len: 48,
    };
    let (mut s, ids) = stored_shard(&[na, pd], 64, 0);
    let via = RouteVia {
        next_hop: a("fe80::9"),
        sw_if_index: 4,
        fib_index: 0,
    };
    let mut bound = Vec::new();
    for c in 0..10 {
        let l = s
            .assign(
                &duid(c),
                ResourceKind::Na,
                1,
                &ids[..1],
                None,
                LeaseState::Bound,
                0,
                LIFE,
                HOLD,
            )
            .unwrap();
        bound.push((c, s.lease(l).resource));
    }
    let p = s
        .assign(
            &duid(3),
            ResourceKind::Pd,
            2,
            &ids[1..],
            None,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD,
        )
        .unwrap();
    s.set_route(p, via);
    // Not acknowledged, released or declined: not (or not as bound) restored.
    s.assign(
        &duid(50),
        ResourceKind::Na,
        1,
        &ids[..1],
        None,
        LeaseState::Offered,
        0,
        LIFE,
        HOLD,
    )
    .unwrap();
    s.release(s.find(&duid(9), ResourceKind::Na, 1).unwrap());
    let declined = s.find(&duid(8), ResourceKind::Na, 1).unwrap();
    let declined_addr = s.lease(declined).resource;
    s.decline(declined, 0, 500);
    s.extend(s.find(&duid(0), ResourceKind::Na, 1).unwrap(), 100, LIFE);

    let (mut r, ids2, n) = restart(&mut s, &[na, pd], 150);
    assert_eq!(n, 8 + 1 + 1, "8 bound addresses, 1 prefix, 1 declined");
    for &(c, addr) in &bound[..8] {
        let l = r
            .find(&duid(c), ResourceKind::Na, 1)
            .expect("binding restored");
        assert_eq!(
            (r.lease(l).resource, r.lease(l).state),
            (addr, LeaseState::Bound)
        );
    }
    assert_eq!(
        r.lease(r.find(&duid(0), ResourceKind::Na, 1).unwrap())
            .valid_until,
        300,
        "the renewal"
    );
    assert!(
        r.find(&duid(9), ResourceKind::Na, 1).is_none()
            && r.find(&duid(50), ResourceKind::Na, 1).is_none()
    );
    assert_eq!(
        r.lease(r.holder(ResourceKind::Na, declined_addr).unwrap())
            .state,
        LeaseState::Declined
    );
    // The delegated prefix's route is reinstalled.
    let ops: Vec<_> = r.take_route_ops().collect();
    assert_eq!(
        ops,
        vec![RouteOp {
            add: true,
            prefix: a("2001:db8:100::"),
            len: 48,
            via,
            tries: 0,
        }]
    );
    // New clients never get a restored resource; clients renew theirs.
    let mut seen: HashSet<u128> = bound[..8].iter().map(|b| b.1).collect();
    seen.insert(declined_addr);
    for c in 100..140 {
        let got = bind(&mut r, c, 1, &ids2[..1], 150).unwrap();
        assert!(seen.insert(got), "handed out twice");
    }
    let l = r.find(&duid(5), ResourceKind::Na, 1).unwrap();
    r.extend(l, 160, LIFE);
    assert_eq!(r.lease(l).valid_until, 360);
    // Expiry of restored leases still works, in order.
    assert_eq!(r.expire(199), 0);
    assert!(r.expire(200) >= 7);
}

#[test]
fn expired_records_are_dropped_at_restore_and_capacity_bounds_the_leases() {
    let na = addresses("2001:db8::1", "2001:db8::ff");
    let (mut s, ids) = stored_shard(&[na], 3, 0);
    for c in 0..3 {
        bind(&mut s, c, 1, &ids, 0).unwrap();
    }
    assert_eq!(
        bind(&mut s, 9, 1, &ids, 0),
        Err(Exhausted),
        "no slot in the file: no acknowledgement"
    );
    let (_, _, n) = restart(&mut s, &[na], 10_000);
    assert_eq!(n, 0, "all expired while down");
}

#[test]
fn restore_before_pools_are_configured_then_pools_arrive() {
    let na = addresses("2001:db8::1", "2001:db8::ff");
    let (mut s, ids) = stored_shard(&[na], 8, 0);
    let addr = bind(&mut s, 1, 1, &ids, 0).unwrap();
    let bytes = s.store_bytes().unwrap().to_vec();
    let mut r = Shard::new();
    assert_eq!(
        r.attach_store(Box::new(bytes), 10).map(|r| r.restored),
        Ok(1)
    );
    let ids = r.set_pools(&[na], 0, 1);
    let l = r.find(&duid(1), ResourceKind::Na, 1).unwrap();
    assert!(ids.contains(&r.lease(l).pool()), "lease joined its pool");
    assert_ne!(bind(&mut r, 2, 1, &ids, 10).unwrap(), addr);
}

#[test]
fn pool_gauges_count_leases_in_use() {
    use std::sync::atomic::Ordering;
    let p1 = addresses("2001:db8::1", "2001:db8::ff");
    let (mut s, ids) = shard_with(&[p1]);
    fn s_snapshot(s: &Shard) -> Vec<(PoolSpec, u64)> {
        s.pool_gauges()
            .into_iter()
            .map(|(p, n)| (p, n.load(Ordering::Relaxed)))
            .collect()
    }
    fn s_gauge(v: &[(PoolSpec, u64)]) -> u64 {
        v[0].1
    }
    for c in 0..5 {
        bind(&mut s, c, 1, &ids, 0).unwrap();
    }
    s.assign(
        &duid(9),
        ResourceKind::Na,
        1,
        &ids,
        None,
        LeaseState::Offered,
        0,
        LIFE,
        HOLD,
    )
    .unwrap();
    assert_eq!(s_gauge(&s_snapshot(&s)), 6, "bound and offered");
    let l = s.find(&duid(0), ResourceKind::Na, 1).unwrap();
    s.release(l);
    let l = s.find(&duid(1), ResourceKind::Na, 1).unwrap();
    s.decline(l, 0, 50);
    assert_eq!(
        s_gauge(&s_snapshot(&s)),
        5,
        "released one out, declined one still held"
    );
    s.expire(10_000);
    assert_eq!(s_gauge(&s_snapshot(&s)), 0);
    bind(&mut s, 3, 1, &ids, 10_001).unwrap();
    s.clear();
    assert_eq!(s_gauge(&s_snapshot(&s)), 0);
}

/// Found by the handle_frame fuzz target: a reserved resource was given to
/// a client already at its lease cap (9 leases with a cap of 8).
#[test]
fn caps_count_reserved_resources_too() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::100", "2001:db8::1ff")]);
    let limits = crate::limits::Limits {
        client_leases: 2,
        ..crate::limits::DEFAULT_LIMITS
    };
    s.sync_limits(&limits, None);
    let life = Lifetimes {
        preferred: 100,
        valid: 200,
    };
    for iaid in 1..=2 {
        s.assign(
            &duid(1),
            ResourceKind::Na,
            iaid,
            &ids,
            None,
            LeaseState::Bound,
            10,
            life,
            5,
        )
        .unwrap();
    }
    assert_eq!(
        s.assign(
            &duid(1),
            ResourceKind::Na,
            3,
            &ids,
            None,
            LeaseState::Bound,
            10,
            life,
            5
        ),
        Err(Exhausted)
    );
    let reserved = (a("2001:db8::10"), 128);
    assert_eq!(
        s.assign_fixed(
            &duid(1),
            ResourceKind::Na,
            3,
            reserved,
            LeaseState::Bound,
            10,
            life,
            5
        ),
        Err(Exhausted),
        "a reservation does not lift the cap"
    );
    // Below the cap the reservation is given.
    assert!(s
        .assign_fixed(
            &duid(2),
            ResourceKind::Na,
            1,
            reserved,
            LeaseState::Bound,
            10,
            life,
            5
        )
        .is_ok());
    let held = s
        .leases()
        .filter(|(_, l)| l.state == LeaseState::Bound)
        .count();
    assert_eq!(held, 3);
}

/// A lease file whose disk space is reserved a part at a time, as the
/// FFI layer's mapped file is: only the reserved part can be written.
struct Reserved {
    bytes: Vec<u8>,
    reserved: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    used: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl StoreRegion for Reserved {
    fn bytes(&mut self) -> &mut [u8] {
        let n = self.reserved.load(std::sync::atomic::Ordering::Relaxed);
        &mut self.bytes[..n]
    }
    fn full_len(&self) -> usize {
        self.bytes.len()
    }
    fn note_slots_used(&self, slots: usize) {
        self.used.store(slots, std::sync::atomic::Ordering::Relaxed);
    }
    fn base(&self) -> *const u8 {
        self.bytes.as_ptr()
    }
}

#[test]
fn leases_beyond_the_reserved_space_are_refused_until_more_is_reserved() {
    use std::sync::atomic::Ordering;
    let na = addresses("2001:db8::1", "2001:db8::ff");
    let reserved = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(store::file_len(2)));
    let used = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut s = Shard::new();
    let ids = s.set_pools(&[na], 0, 1);
    let region = Reserved {
        bytes: vec![0u8; store::file_len(100)],
        reserved: reserved.clone(),
        used: used.clone(),
    };
    assert_eq!(
        s.attach_store(Box::new(region), 0).map(|r| r.restored),
        Ok(0)
    );
    let first = bind(&mut s, 1, 1, &ids, 0).unwrap();
    bind(&mut s, 2, 1, &ids, 0).unwrap();
    assert_eq!(used.load(Ordering::Relaxed), 2, "the region is told");
    assert_eq!(
        bind(&mut s, 3, 1, &ids, 0),
        Err(Exhausted),
        "no reserved slot"
    );
    assert_eq!(s.store_refusals(), 1);
    // Bound clients still renew: their slots are reserved.
    assert_eq!(bind(&mut s, 1, 1, &ids, 50), Ok(first));
    reserved.store(store::file_len(3), Ordering::Relaxed);
    bind(&mut s, 3, 1, &ids, 0).unwrap();
    // Everything acknowledged is in the reserved part of the file.
    let bytes = s.store_bytes().unwrap().to_vec();
    assert_eq!(bytes.len(), store::file_len(3));
    let mut r = Shard::new();
    r.set_pools(&[na], 0, 1);
    assert_eq!(
        r.attach_store(Box::new(bytes), 60).map(|r| r.restored),
        Ok(3)
    );
}

#[test]
fn a_lease_file_that_could_not_be_opened_means_no_lease_and_long_duids_none_either() {
    let na = addresses("2001:db8::1", "2001:db8::ff");
    let (mut s, ids) = shard_with(&[na]);
    s.require_store();
    assert_eq!(bind(&mut s, 1, 1, &ids, 0), Err(Exhausted));
    assert_eq!(s.store_refusals(), 1);

    let (mut s, ids) = stored_shard(&[na], 8, 0);
    let long = vec![0x42u8; store::MAX_STORED_DUID + 1];
    let assign = |s: &mut Shard, duid: &[u8]| {
        s.assign(
            duid,
            ResourceKind::Na,
            1,
            &ids,
            None,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD,
        )
    };
    assert_eq!(assign(&mut s, &long), Err(Exhausted), "would not be kept");
    assert!(assign(&mut s, &long[..store::MAX_STORED_DUID]).is_ok());
    // Without a lease file a long DUID is served.
    let (mut s, ids) = shard_with(&[na]);
    assert!(s
        .assign(
            &long,
            ResourceKind::Na,
            1,
            &ids,
            None,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD
        )
        .is_ok());
}

#[test]
fn restore_keeps_every_intact_record_and_counts_the_damaged_ones() {
    let na = addresses("2001:db8::1", "2001:db8::ff");
    let (mut s, ids) = stored_shard(&[na], 16, 0);
    let bound: Vec<u128> = (0..10)
        .map(|c| bind(&mut s, c, 1, &ids, 0).unwrap())
        .collect();
    let mut bytes = s.store_bytes().unwrap().to_vec();
    // Garbage over slots 3 and 4 (both copies), one copy of slot 7 torn.
    let slot = |i: usize| store::HEADER_LEN + i * store::SLOT_LEN;
    for b in &mut bytes[slot(3)..slot(5)] {
        *b = 0xa5;
    }
    // Slot 7's lease was written once, to copy 0; a second write goes to
    // copy 1, which is then torn: copy 0 is still whole.
    bytes[slot(7) + store::RECORD_LEN + 60] ^= 0xff;
    bytes[slot(7) + store::RECORD_LEN] = 1;
    let mut r = Shard::new();
    r.set_pools(&[na], 0, 1);
    let report = r.attach_store(Box::new(bytes), 10).unwrap();
    assert_eq!((report.restored, report.damaged, report.torn), (8, 2, 1));
    for (c, addr) in bound.iter().enumerate() {
        let found = r
            .find(&duid(c as u32), ResourceKind::Na, 1)
            .map(|l| r.lease(l).resource);
        if c == 3 || c == 4 {
            assert_eq!(found, None);
        } else {
            assert_eq!(found, Some(*addr), "client {c}");
        }
    }
    // A file cut short: the slots it lost are empty, the rest restored.
    let mut bytes = s.store_bytes().unwrap().to_vec();
    bytes.truncate(slot(6) + 100);
    bytes.resize(store::file_len(16), 0);
    let mut r = Shard::new();
    r.set_pools(&[na], 0, 1);
    let report = r.attach_store(Box::new(bytes), 10).unwrap();
    assert_eq!((report.restored, report.damaged), (6, 1));
}

fn route_op(prefix: &str, add: bool) -> RouteOp {
    RouteOp {
        add,
        prefix: a(prefix),
        len: 56,
        via: RouteVia {
            next_hop: a("fe80::1"),
            sw_if_index: 1,
            fib_index: 0,
        },
        tries: 0,
    }
}

#[test]
fn failed_route_adds_are_retried_for_a_while_each_and_removals_are_not() {
    let mut s = Shard::new();
    s.route_ops.push_back(route_op("2001:db8:100::", true));
    s.route_ops.push_back(route_op("2001:db8:200::", false));
    for pass in 1..ROUTE_ADD_PASSES {
        assert_eq!(
            s.apply_route_ops(|_| true, true, |_| false),
            if pass == 1 { 2 } else { 1 }
        );
        assert!(s.has_route_ops(), "still waiting after {pass} passes");
    }
    assert_eq!(s.apply_route_ops(|_| true, true, |_| false), 1);
    assert!(
        !s.has_route_ops(),
        "given up after {ROUTE_ADD_PASSES} passes"
    );
    // A later route gets its own tries (they are not counted per process).
    s.route_ops.push_back(route_op("2001:db8:300::", true));
    s.apply_route_ops(|_| true, true, |_| false);
    let mut made = Vec::new();
    s.apply_route_ops(
        |_| true,
        true,
        |op| {
            made.push(op.prefix);
            true
        },
    );
    assert_eq!(made, vec![a("2001:db8:300::")]);
    assert!(!s.has_route_ops());
    // An add whose removal follows is not retried.
    s.route_ops.push_back(route_op("2001:db8:400::", true));
    s.route_ops.push_back(route_op("2001:db8:400::", false));
    s.apply_route_ops(|_| true, true, |_| false);
    assert!(!s.has_route_ops());
}

#[test]
fn failed_route_adds_wait_for_a_paced_pass_and_a_removal_ends_them() {
    let mut s = Shard::new();
    s.route_ops.push_back(route_op("2001:db8:100::", true));
    assert_eq!(s.apply_route_ops(|_| true, false, |_| false), 1);
    assert!(
        s.has_route_ops() && !s.has_new_route_ops(),
        "kept as a retry"
    );
    // A quick pass (no retry due) leaves it alone; a paced one tries it.
    assert_eq!(
        s.apply_route_ops(|_| true, false, |_| panic!("retried early")),
        0
    );
    assert_eq!(s.apply_route_ops(|_| true, true, |_| false), 1);
    // The lease goes: its removal ends the retries, whatever comes first.
    s.route_ops.push_back(route_op("2001:db8:100::", false));
    assert!(s.has_new_route_ops());
    let mut made = Vec::new();
    s.apply_route_ops(
        |_| true,
        false,
        |op| {
            made.push(op.add);
            true
        },
    );
    assert_eq!(made, [false]);
    assert!(!s.has_route_ops(), "no retry left");
}

#[test]
fn a_pass_makes_at_most_its_share_of_route_changes_oldest_first() {
    let mut s = Shard::new();
    s.route_ops.push_back(route_op("2001:db8:100::", true));
    s.route_ops.push_back(route_op("2001:db8:200::", true));
    s.route_ops.push_back(route_op("2001:db8:100::", false));
    let mut made = Vec::new();
    assert_eq!(
        s.apply_route_ops(
            |done| done < 1,
            true,
            |op| {
                made.push((op.prefix, op.add));
                op.prefix != a("2001:db8:100::")
            }
        ),
        1
    );
    // The failed add is not kept: its removal is still to come.
    assert_eq!(s.route_ops.len(), 2);
    assert_eq!(
        s.apply_route_ops(
            |done| done < 8,
            true,
            |op| {
                made.push((op.prefix, op.add));
                true
            }
        ),
        2
    );
    assert_eq!(
        made,
        [
            (a("2001:db8:100::"), true),
            (a("2001:db8:200::"), true),
            (a("2001:db8:100::"), false)
        ]
    );
    assert!(!s.has_route_ops());
}

#[test]
fn a_refusal_is_counted_once_and_free_leases_are_not_handed_to_unstorable_clients() {
    let na = addresses("2001:db8::1", "2001:db8::2");
    let (mut s, ids) = stored_shard(&[na], 2, 0);
    bind(&mut s, 1, 1, &ids, 0).unwrap();
    let second = bind(&mut s, 2, 1, &ids, 0).unwrap();
    let hinted = |s: &mut Shard, duid: &[u8], hint| {
        s.assign(
            duid,
            ResourceKind::Na,
            1,
            &ids,
            hint,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD,
        )
    };
    // The file is full: a hinted request is refused, and counted once.
    assert_eq!(
        hinted(&mut s, &duid(3), Some((a("2001:db8::9"), 128))),
        Err(Exhausted)
    );
    assert_eq!(s.store_refusals(), 1);
    // A freed lease is reused for a client whose DUID a record keeps, not
    // for one whose DUID it cannot.
    let l = s.find(&duid(2), ResourceKind::Na, 1).unwrap();
    s.release(l);
    let long = vec![0x42u8; store::MAX_STORED_DUID + 1];
    assert_eq!(hinted(&mut s, &long, None), Err(Exhausted));
    assert_eq!(s.store_refusals(), 2);
    let l = hinted(&mut s, &duid(3), None).unwrap();
    assert_eq!(s.lease(l).resource, second);
}

#[test]
fn an_ipv4_pool_is_one_more_kind_of_resource() {
    let pool = PoolSpec::Ipv4Addresses {
        first: "192.0.2.10".parse().unwrap(),
        last: "192.0.2.11".parse().unwrap(),
    };
    assert_eq!(pool.validate(), Ok(()));
    assert_eq!(pool.size(), 2);
    let (mut s, ids) = shard_with(&[pool, addresses("2001:db8::1", "2001:db8::1")]);
    let mac = [0x02, 0, 0, 0, 0, 9];
    let get = |s: &mut Shard, client: &[u8]| {
        s.assign(
            client,
            ResourceKind::Ipv4,
            0,
            &ids[..1],
            None,
            LeaseState::Bound,
            0,
            LIFE,
            HOLD,
        )
        .map(|i| pool::ipv4_of(s.lease(i).resource))
    };
    assert_eq!(get(&mut s, &mac), Ok("192.0.2.10".parse().unwrap()));
    // The same client gets the same address again; another the next one.
    assert_eq!(get(&mut s, &mac), Ok("192.0.2.10".parse().unwrap()));
    assert_eq!(
        get(&mut s, &[0x02, 0, 0, 0, 0, 8]),
        Ok("192.0.2.11".parse().unwrap())
    );
    assert_eq!(get(&mut s, &[0x02, 0, 0, 0, 0, 7]), Err(Exhausted));
    // IPv6 leases of the same engine are untouched by IPv4 ones.
    assert_eq!(bind(&mut s, 1, 1, &ids[1..], 0), Ok(a("2001:db8::1")));
    let index = s.find(&mac, ResourceKind::Ipv4, 0).unwrap();
    assert_eq!(
        s.holder(
            ResourceKind::Ipv4,
            pool::ipv4_resource("192.0.2.10".parse().unwrap())
        ),
        Some(index)
    );
    let (_, view) = s.leases().find(|(i, _)| *i == index).unwrap();
    assert!(format_lease(&view, 0).starts_with("192.0.2.10/32 bound IPv4 "));
    // Expired, the address is free again.
    s.expire(1000);
    assert_eq!(
        get(&mut s, &[0x02, 0, 0, 0, 0, 7]),
        Ok("192.0.2.10".parse().unwrap())
    );
}

#[test]
fn ipv4_pools_refuse_what_cannot_be_leased() {
    let pool = |a: &str, b: &str| PoolSpec::Ipv4Addresses {
        first: a.parse().unwrap(),
        last: b.parse().unwrap(),
    };
    assert!(pool("192.0.2.9", "192.0.2.1").validate().is_err());
    assert!(pool("224.0.0.1", "224.0.0.9").validate().is_err());
    assert!(pool("0.0.0.0", "0.0.0.9").validate().is_err());
    assert_eq!(pool("192.0.2.1", "192.0.2.9").validate(), Ok(()));
}

#[test]
fn delegated_prefixes_of_any_length_up_to_128() {
    for (pool, dlen, second) in [
        ("2001:db8:1::", 96, "2001:db8:1::1:0:0"),
        ("2001:db8:1::", 112, "2001:db8:1::1:0"),
        ("2001:db8:1::", 128, "2001:db8:1::1"),
    ] {
        let spec = PoolSpec::Prefixes {
            prefix: pool.parse().unwrap(),
            len: 64,
            delegated_len: dlen,
        };
        assert_eq!(spec.validate(), Ok(()), "/{dlen}");
        assert_eq!(spec.size(), 1u128 << (dlen - 64));
        let (mut s, ids) = shard_with(&[spec]);
        let mut take = |c: u32| {
            s.assign(
                &duid(c),
                ResourceKind::Pd,
                1,
                &ids,
                None,
                LeaseState::Bound,
                0,
                LIFE,
                HOLD,
            )
            .map(|i| (s.lease(i).resource, s.lease(i).len))
        };
        assert_eq!(take(1), Ok((a(pool), dlen)));
        assert_eq!(take(2), Ok((a(second), dlen)), "/{dlen}");
        assert_eq!(spec.index_of(a(second), dlen), Some(1));
    }
}

#[test]
fn every_change_of_a_held_resource_is_an_event_so_the_stream_ends_in_the_table() {
    let (mut s, ids) = shard_with(&[addresses("2001:db8::1", "2001:db8::4")]);
    s.events_wanted = true;
    let mut held: Vec<u32> = (1..=4)
        .map(|c| {
            bind(&mut s, c, 1, &ids, 0).unwrap();
            s.find(&duid(c), ResourceKind::Na, 1).unwrap()
        })
        .collect();
    s.decline(held.remove(0), 0, 50);
    s.delete(held.remove(0));
    assert_eq!(s.expire(50), 1, "the decline's hold is over");
    s.clear();
    let kinds: Vec<(u128, LeaseEventKind)> =
        s.take_events().0.map(|e| (e.resource, e.kind)).collect();
    use LeaseEventKind::*;
    assert_eq!(
        kinds,
        [
            (a("2001:db8::1"), Bound),
            (a("2001:db8::2"), Bound),
            (a("2001:db8::3"), Bound),
            (a("2001:db8::4"), Bound),
            (a("2001:db8::1"), Declined),
            (a("2001:db8::2"), Deleted),
            (a("2001:db8::1"), Expired),
            (a("2001:db8::3"), Deleted),
            (a("2001:db8::4"), Deleted),
        ]
    );
}
