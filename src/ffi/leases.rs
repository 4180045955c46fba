//! Leases: delete, clear, the maintenance pass (expiry, routes), the
//! API's lease dump, Kea CSV export and import.

use super::*;

/// A change to VPP's FIB: route a delegated prefix (`add`) or stop.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerRouteOp {
    pub add: bool,
    pub prefix: [u8; 16],
    pub prefix_len: u8,
    pub next_hop: [u8; 16],
    /// Next hop's interface; `DHCP6_SERVER_NO_INTERFACE`: resolve recursively.
    pub sw_if_index: u32,
    pub fib_index: u32,
}

/// Applies one route change; returns false if it could not (e.g. the
/// next hop's interface does not exist yet).
pub type Dhcp6ServerRouteFn =
    Option<extern "C" fn(ctx: *mut c_void, op: *const Dhcp6ServerRouteOp) -> bool>;

/// Whether the maintenance pass has work at `now`: route changes waiting,
/// a lease due, or the lease file to write anew. Any thread; reads
/// atomics, never the shard.
#[no_mangle]
pub extern "C" fn dhcp6_server_maintenance_due(now: u32) -> bool {
    PLUGIN.routes_pending.load(Ordering::Acquire)
        || PLUGIN.next_expiry.load(Ordering::Acquire) <= now
        || lease_file::is_lost()
}

/// Time a maintenance pass spends on FIB changes (then the next one goes
/// on). A route to a delegated prefix takes VPP's FIB 30 us to 1 ms to
/// add (measured at 14,500 new prefixes a second: 64 of them took 2.2 to
/// 72 ms); one pass made all pending ones and held the barrier, and with
/// no workers packet input, for 77 ms.
const ROUTE_BUDGET: std::time::Duration = std::time::Duration::from_millis(1);
/// Leases ended per frame and per maintenance pass (a few microseconds of
/// work each: a burst bound together expires together).
pub(super) const EXPIRIES_PER_CALL: usize = 256;
/// Seconds from one maintenance pass to the next: soon while work is left
/// (packets are handled in between), else at the usual pace.
const PASS_SOON: f64 = 0.001;
const PASS_PACE: f64 = 0.2;

/// The maintenance pass: ends leases due at `now`, hands pending route
/// changes to `apply` (one that fails is retried at later passes, see
/// `Shard::apply_route_ops`), and writes the lease file anew if it was
/// deleted or replaced, each a bounded amount at a time. Main thread,
/// worker barrier held. Returns the seconds to wait before the next pass.
#[no_mangle]
pub extern "C" fn dhcp6_server_maintain(
    now: u32,
    apply: Dhcp6ServerRouteFn,
    ctx: *mut c_void,
) -> f64 {
    boundary(PASS_PACE, || {
        // SAFETY: main thread with the barrier held (function contract).
        let shard = unsafe { PLUGIN.shard.owner() };
        shard.expire_some(now, EXPIRIES_PER_CALL);
        let start = std::time::Instant::now();
        let more = |done| done == 0 || start.elapsed() < ROUTE_BUDGET;
        // Failed route adds are tried again at the usual pace, not at each
        // quick pass (their `ROUTE_ADD_PASSES` tries last about 30 s).
        static LAST_RETRY: std::sync::Mutex<Option<std::time::Instant>> =
            std::sync::Mutex::new(None);
        let mut last = LAST_RETRY.lock().unwrap_or_else(|p| p.into_inner());
        let retry_due = last.is_none_or(|t| t.elapsed().as_secs_f64() >= PASS_PACE);
        if retry_due {
            *last = Some(start);
        }
        drop(last);
        shard.apply_route_ops(more, retry_due, |op| {
            let c = Dhcp6ServerRouteOp {
                add: op.add,
                prefix: op.prefix.to_be_bytes(),
                prefix_len: op.len,
                next_hop: op.via.next_hop.to_be_bytes(),
                sw_if_index: op.via.sw_if_index,
                fib_index: op.via.fib_index,
            };
            apply.is_some_and(|f| f(ctx, &c))
        });
        lease_file::rehome_if_lost();
        note_shard_state(shard);
        // Soon only for work a pass can get on with: changes never tried,
        // leases due (not retries, nor a lease file that cannot be written
        // anew: those wait for the usual pace).
        if shard.has_new_route_ops() || shard.next_expiry().is_some_and(|t| t <= now) {
            PASS_SOON
        } else {
            PASS_PACE
        }
    })
}

/// Seconds the maintenance process waits for its first pass.
#[no_mangle]
pub extern "C" fn dhcp6_server_maintenance_pace() -> f64 {
    PASS_PACE
}

/// One lease, for the binary API's lease dump.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerLease {
    /// Address, or the delegated prefix's first address.
    pub resource: [u8; 16],
    pub prefix_len: u8,
    pub is_prefix: bool,
    /// 1 offered, 2 bound, 3 declined, 4 free (released or expired).
    pub state: u8,
    pub iaid: u32,
    pub duid_len: u8,
    pub duid: [u8; DHCP6_SERVER_MAX_DUID_LEN],
    pub preferred_left: u32,
    pub valid_left: u32,
    /// Interface the client was last served on, or `DHCP6_SERVER_NO_INTERFACE`.
    pub sw_if_index: u32,
    pub routed: bool,
    pub next_hop: [u8; 16],
}

pub type Dhcp6ServerLeaseFn =
    Option<extern "C" fn(ctx: *mut c_void, lease: *const Dhcp6ServerLease)>;

/// Hands every lease (of one interface and/or one DUID when given) to
/// `each`; returns how many. Main thread, barrier held.
#[no_mangle]
pub extern "C" fn dhcp6_server_leases_walk(
    now: u32,
    sw_if_index: u32,
    duid: *const u8,
    duid_len: usize,
    each: Dhcp6ServerLeaseFn,
    ctx: *mut c_void,
) -> u32 {
    boundary(0, || {
        let filter: Option<&[u8]> = if duid.is_null() || duid_len == 0 {
            None
        } else {
            // SAFETY: a non-null `duid` points at `duid_len` bytes.
            Some(unsafe {
                std::slice::from_raw_parts(duid, duid_len.min(DHCP6_SERVER_MAX_DUID_LEN))
            })
        };
        // SAFETY: main thread with the barrier held (function contract).
        let shard = unsafe { PLUGIN.shard.owner() };
        let mut n = 0;
        for (_, l) in shard.leases() {
            let owner = l.duid.as_ref().map(|d| d.as_bytes());
            if filter.is_some_and(|f| owner != Some(f))
                || (sw_if_index != DHCP6_SERVER_NO_INTERFACE && l.sw_if_index != sw_if_index)
            {
                continue;
            }
            let mut record = Dhcp6ServerLease {
                resource: l.resource.to_be_bytes(),
                prefix_len: api_prefix_len(l.kind, l.len),
                is_prefix: l.kind == crate::leases::ResourceKind::Pd,
                state: match l.state {
                    crate::leases::LeaseState::Offered => 1,
                    crate::leases::LeaseState::Bound => 2,
                    crate::leases::LeaseState::Declined => 3,
                    _ => 4,
                },
                iaid: l.iaid,
                duid_len: 0,
                duid: [0; DHCP6_SERVER_MAX_DUID_LEN],
                preferred_left: l.preferred_until.saturating_sub(now),
                valid_left: l.valid_until.saturating_sub(now),
                sw_if_index: l.sw_if_index,
                routed: l.route.is_some(),
                next_hop: l.route.map_or([0; 16], |r| r.next_hop.to_be_bytes()),
            };
            if let Some(d) = owner {
                record.duid[..d.len()].copy_from_slice(d);
                record.duid_len = d.len() as u8;
            }
            if let Some(f) = each {
                f(ctx, &record);
            }
            n += 1;
        }
        n
    })
}
