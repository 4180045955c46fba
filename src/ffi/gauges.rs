//! The stats segment's gauges (the lease file's, and two per pool), and
//! lease events for API subscribers.

use std::ffi::CString;

use super::*;

pub(super) fn publish_pool_gauges(pools: &[PoolSpec], shard: &Shard) {
    let shared = shard.pool_gauges();
    let gauges = pools
        .iter()
        .filter_map(|spec| {
            let (_, n) = shared.iter().find(|(s, _)| s == spec)?;
            let v4 = spec.kind() == crate::leases::ResourceKind::Ipv4;
            Some((
                v4,
                u64::try_from(spec.size()).unwrap_or(u64::MAX),
                n.clone(),
            ))
        })
        .collect();
    *PLUGIN.pool_gauges.lock().unwrap_or_else(|p| p.into_inner()) = gauges;
    PLUGIN.gauges_generation.fetch_add(1, Ordering::Release);
}

/// Changes whenever the set of gauges changes (the shim makes them anew).
#[no_mangle]
pub extern "C" fn dhcp6_server_gauges_generation() -> u32 {
    PLUGIN.gauges_generation.load(Ordering::Acquire)
}

/// The gauges' names, lease file first, then the delegated prefixes
/// withdrawn with their prefix group's prefix, then `/dhcp6-server/pool/<i>/in-use`
/// and `.../total` per pool (pool `i` as `show dhcp6-server links` and
/// `show dhcp4-server` number it; `/dhcp4-server/pool/<i>/...` for a DHCPv4
/// pool); made again when the generation changes.
fn gauge_names() -> std::sync::MutexGuard<'static, (u32, Vec<CString>)> {
    static NAMES: std::sync::Mutex<(u32, Vec<CString>)> =
        std::sync::Mutex::new((u32::MAX, Vec::new()));
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    let generation = dhcp6_server_gauges_generation();
    if names.0 != generation {
        let families: Vec<bool> = PLUGIN
            .pool_gauges
            .lock()
            .map_or(Vec::new(), |g| g.iter().map(|(v4, _, _)| *v4).collect());
        let mut all: Vec<CString> = lease_store::LEASE_FILE_GAUGES
            .iter()
            .map(|n| (*n).to_owned())
            .collect();
        all.push(c"/dhcp6-server/prefix-groups/withdrawn".to_owned());
        all.extend(looking_glass::GAUGES.iter().map(|n| (*n).to_owned()));
        for (i, v4) in families.into_iter().enumerate() {
            let node = if v4 { "dhcp4-server" } else { "dhcp6-server" };
            for what in ["in-use", "total"] {
                all.extend(CString::new(format!("/{node}/pool/{i}/{what}")));
            }
        }
        *names = (generation, all);
    }
    names
}

/// Number of gauges.
#[no_mangle]
pub extern "C" fn dhcp6_server_gauge_count() -> u32 {
    boundary(0, || gauge_names().1.len() as u32)
}

/// Stats segment name of gauge `index`, NULL past the end; valid until the
/// generation changes. Main thread.
#[no_mangle]
pub extern "C" fn dhcp6_server_gauge_name(index: u32) -> *const c_char {
    boundary(std::ptr::null(), || {
        gauge_names()
            .1
            .get(index as usize)
            .map_or(std::ptr::null(), |n| n.as_ptr())
    })
}

/// Fills `out[0..max]` with the gauges' values, in the order of their
/// names; returns how many. Main thread.
#[no_mangle]
pub extern "C" fn dhcp6_server_gauge_values(out: *mut u64, max: u32) -> u32 {
    boundary(0, || {
        let mut values: Vec<u64> = lease_store::lease_file_gauges().to_vec();
        values.push(prefix_groups::withdrawn());
        values.extend(looking_glass::gauges());
        if let Ok(pools) = PLUGIN.pool_gauges.lock() {
            for (_, size, in_use) in pools.iter() {
                values.extend([in_use.load(Ordering::Relaxed), *size]);
            }
        }
        let n = values.len().min(max as usize);
        if !out.is_null() {
            // SAFETY: a non-null `out` has room for `max` values (ABI contract).
            unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), out, n) };
        }
        n as u32
    })
}

// ---------------------------------------------------------------- lease events

/// A lease event for API subscribers.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerLeaseEvent {
    /// 1 bound, 2 renewed, 3 released, 4 expired, 5 declined, 6 deleted.
    pub kind: u8,
    pub is_prefix: bool,
    pub resource: [u8; 16],
    pub prefix_len: u8,
    pub iaid: u32,
    pub duid_len: u8,
    pub duid: [u8; DHCP6_SERVER_MAX_DUID_LEN],
    pub valid_left: u32,
    pub sw_if_index: u32,
}

pub type Dhcp6ServerLeaseEventFn =
    Option<extern "C" fn(ctx: *mut c_void, event: *const Dhcp6ServerLeaseEvent)>;

/// How many API clients subscribe to lease events: while none does the
/// lease engine records none. Main thread, barrier held.
#[no_mangle]
pub extern "C" fn dhcp6_server_events_want(subscribers: u32) {
    boundary((), || {
        event_ring();
        PLUGIN.subscribers.store(subscribers, Ordering::Relaxed);
        // SAFETY: API handlers run on the main thread with the barrier held.
        unsafe { PLUGIN.shard.owner() }.events_wanted = subscribers > 0
            || PLUGIN
                .config
                .load()
                .is_some_and(looking_glass::wants_lease_events);
    })
}

/// Hands every lease event waiting in the ring to `each`; main thread, no
/// barrier needed. Returns how many.
#[no_mangle]
pub extern "C" fn dhcp6_server_events_drain(
    now: u32,
    each: Dhcp6ServerLeaseEventFn,
    ctx: *mut c_void,
) -> u32 {
    boundary(0, || {
        let mut n = 0;
        while let Some(e) = event_ring().pop() {
            let c = Dhcp6ServerLeaseEvent {
                kind: e.kind as u8,
                is_prefix: e.ia == crate::leases::ResourceKind::Pd,
                resource: e.resource.to_be_bytes(),
                prefix_len: api_prefix_len(e.ia, e.len),
                iaid: e.iaid,
                duid_len: e.duid_len,
                duid: e.duid,
                valid_left: e.valid_until.saturating_sub(now),
                sw_if_index: e.sw_if_index,
            };
            if let Some(f) = each {
                f(ctx, &c);
            }
            n += 1;
        }
        n
    })
}

/// Lease events dropped because the ring was full (since start).
#[no_mangle]
pub extern "C" fn dhcp6_server_events_dropped() -> u64 {
    boundary(0, || event_ring().dropped())
}
