//! The lease engine of one shard: addresses and prefixes bound to clients'
//! IAs, allocated from pools in O(1), and expired in O(1).
//!
//! Allocation takes, in order: the IA's previous resource (a returning client
//! gets its address back), a valid hint, a never-used resource (a cursor that
//! only moves forward), and finally the resource freed longest ago (a FIFO of
//! released and expired leases). Expiry uses one FIFO per lifetime length:
//! leases enter it in expiry order, so the head is always the next to expire.
//!
//! A shard is single-threaded: only its owner thread touches it, or the main
//! thread while the workers are parked at VPP's barrier. Its maps are sized
//! when pools are configured, so serving a packet does not allocate.

mod clients;
pub mod index;
pub mod kea_csv;
pub mod list;
pub mod pool;
pub mod store;

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::duid::Duid;
use crate::limits::{Limiter, Limits};
use clients::Clients;
use index::{IndexTable, KeyedHash};
use list::{Linked, Links, List, NIL};
pub use pool::{IaKind, PoolSpec};

/// Seconds on the server's clock.
pub type Time = u32;

/// Upper bound on the entries the maps reserve room for up front; past it
/// they grow (amortized), and a failed growth refuses the lease instead of
/// aborting.
const MAX_RESERVED: usize = 1 << 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// Slot not in use.
    Unused,
    /// Advertised, held briefly for the client's Request.
    Offered,
    /// Acknowledged in a Reply.
    Bound,
    /// Declined by the client: out of service until the hold ends.
    Declined,
    /// Released or expired: free, remembered for the same client.
    Free,
}

/// Which list a lease is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    None,
    Expiry(u16),
    /// On its pool's reuse FIFO.
    Reuse,
    /// Restored or imported: expiries in no particular order.
    Irregular,
}

/// Where a delegated prefix is routed: next hop in a FIB table, through an
/// interface, or recursively (`sw_if_index` u32::MAX) for relayed clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteVia {
    pub next_hop: u128,
    pub sw_if_index: u32,
    pub fib_index: u32,
}

/// What happened to a lease, for API subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LeaseEventKind {
    Bound = 1,
    Renewed = 2,
    Released = 3,
    Expired = 4,
    Declined = 5,
}

/// One lease event (Copy: it crosses threads through a ring).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseEvent {
    pub kind: LeaseEventKind,
    pub ia: IaKind,
    pub resource: u128,
    pub len: u8,
    pub iaid: u32,
    pub duid_len: u8,
    pub duid: [u8; crate::duid::MAX_DUID_LEN],
    pub valid_until: Time,
    pub sw_if_index: u32,
}

/// What restoring the lease file found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreReport {
    /// Leases rebuilt (still valid).
    pub restored: usize,
    /// Slots with a copy cut short by a crash (the other copy was used).
    pub torn: usize,
    /// Records lost: no whole copy, or one that cannot be a lease.
    pub damaged: usize,
}

/// Events kept between two hand-overs; more are counted as dropped.
pub const EVENTS_RESERVED: usize = 1024;

/// A route change for the main thread to make in VPP's FIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteOp {
    pub add: bool,
    pub prefix: u128,
    pub len: u8,
    pub via: RouteVia,
    /// Earlier passes that could not make the change.
    pub tries: u16,
}

/// Passes (0.2 s apart: about 30 s) a route add may wait for its next
/// hop's interface (restored leases come before interfaces are created);
/// then it is dropped, and the client's next renewal routes the prefix on
/// the interface it uses then.
pub const ROUTE_ADD_PASSES: u16 = 150;

/// Route operations kept between two main-thread passes before it is
/// assumed to be stuck (further ones still queue, by allocating).
const ROUTE_OPS_RESERVED: usize = 4096;

/// A lease record: 64 bytes (the memory budget is 128 bytes per lease,
/// client record and index entries included).
#[derive(Debug, Clone)]
pub struct Lease {
    /// The address, or the first address of the delegated prefix.
    pub resource: u128,
    /// Client slot, NIL when none (declined, or free and forgotten).
    client: u32,
    /// Next lease of the same client (the client's list), NIL at the end.
    client_next: u32,
    pub iaid: u32,
    pub preferred_until: Time,
    pub valid_until: Time,
    /// When the lease leaves its current state (offer or decline hold end,
    /// or valid lifetime end).
    pub expires: Time,
    /// Interface the client's messages last came in on.
    pub sw_if_index: u32,
    links: Links,
    /// Slot in `Shard::routes` of the delegated prefix's FIB route, or NIL.
    route: u32,
    pool: u16,
    queue: u16,
    pub kind: IaKind,
    pub state: LeaseState,
    pub len: u8,
}

const _: () = assert!(core::mem::size_of::<Lease>() == 64);

/// `Lease::pool` when the lease belongs to no active pool.
const NO_POOL: u16 = u16::MAX;
/// Pool ids fit the lease's 16-bit field.
const MAX_POOL_IDS: usize = NO_POOL as usize;

// `Lease::queue`: an expiry FIFO's position in `Shard::expiry`, or one of:
const QUEUE_NONE: u16 = u16::MAX;
const QUEUE_IRREGULAR: u16 = u16::MAX - 1;
const QUEUE_REUSE: u16 = u16::MAX - 2;
const MAX_EXPIRY_QUEUES: usize = QUEUE_REUSE as usize;

impl Lease {
    fn unused() -> Self {
        Lease {
            resource: 0,
            client: NIL,
            client_next: NIL,
            iaid: 0,
            preferred_until: 0,
            valid_until: 0,
            expires: 0,
            sw_if_index: NIL,
            links: Links::default(),
            route: NIL,
            pool: NO_POOL,
            queue: QUEUE_NONE,
            kind: IaKind::Na,
            state: LeaseState::Unused,
            len: 0,
        }
    }

    /// Id of the pool the resource comes from, NIL for none.
    pub fn pool(&self) -> u32 {
        if self.pool == NO_POOL {
            NIL
        } else {
            u32::from(self.pool)
        }
    }

    fn queue(&self) -> Queue {
        match self.queue {
            QUEUE_NONE => Queue::None,
            QUEUE_IRREGULAR => Queue::Irregular,
            QUEUE_REUSE => Queue::Reuse,
            q => Queue::Expiry(q),
        }
    }

    fn set_queue(&mut self, q: Queue) {
        self.queue = match q {
            Queue::None => QUEUE_NONE,
            Queue::Irregular => QUEUE_IRREGULAR,
            Queue::Reuse => QUEUE_REUSE,
            Queue::Expiry(q) => q,
        };
    }

    /// Lifetimes left at `now` (preferred, valid).
    pub fn remaining(&self, now: Time) -> (u32, u32) {
        (
            self.preferred_until.saturating_sub(now),
            self.valid_until.saturating_sub(now),
        )
    }
}

fn pool_field(pool: u32) -> u16 {
    u16::try_from(pool)
        .ok()
        .filter(|p| *p != NO_POOL)
        .unwrap_or(NO_POOL)
}

impl Linked for Vec<Lease> {
    fn links(&mut self, index: u32) -> &mut Links {
        &mut self[index as usize].links
    }
}

#[derive(Debug)]
struct Allocator {
    spec: PoolSpec,
    /// This shard's window of the pool's indexes is [start, end); the
    /// cursor `next` moves from start to end over never-used indexes.
    start: u128,
    next: u128,
    end: u128,
    reuse: List,
    active: bool,
    /// Leases of the pool offered, bound or declined: written by the owner
    /// thread only, read by the main thread for the stats gauges.
    in_use: Arc<AtomicU64>,
}

/// Lifetimes handed out with a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub preferred: u32,
    pub valid: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted;

/// A lease as the views show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseView {
    pub duid: Option<Duid>,
    pub iaid: u32,
    pub kind: IaKind,
    pub resource: u128,
    pub len: u8,
    pub state: LeaseState,
    pub preferred_until: Time,
    pub valid_until: Time,
    pub route: Option<RouteVia>,
    pub sw_if_index: u32,
}

impl LeaseView {
    /// Whether a client holds it (offered, bound or declined), as opposed
    /// to free and kept for its last client until reused.
    pub fn is_held(&self) -> bool {
        matches!(
            self.state,
            LeaseState::Offered | LeaseState::Bound | LeaseState::Declined
        )
    }
}

#[derive(Debug, Default)]
pub struct Shard {
    leases: Vec<Lease>,
    unused_slots: Vec<u32>,
    clients: Clients,
    /// Lease by (kind, resource), hashed with `hash`.
    by_resource: IndexTable,
    hash: KeyedHash,
    /// FIB routes of delegated prefixes (few leases have one).
    routes: Vec<RouteVia>,
    unused_routes: Vec<u32>,
    pools: Vec<Allocator>,
    expiry: Vec<(u32, List)>,
    /// Pool id of each entry of the configuration's pool list.
    config_pool_ids: Vec<u32>,
    /// FIB changes waiting for the main thread.
    route_ops: Vec<RouteOp>,
    /// Resources reserved for particular clients: never allocated to others.
    reserved: HashSet<(IaKind, u128)>,
    /// The lease file, when one is attached: slot i holds lease i.
    store: Option<Box<dyn StoreRegion>>,
    /// A lease file was asked for but is not open: no lease is given.
    store_required: bool,
    /// Leases refused because the lease file could not keep them.
    store_refusals: u64,
    /// Leases restored from the file or imported, by expiry (their
    /// lifetimes differ, so the per-length FIFOs cannot order them).
    irregular: BTreeSet<(Time, u32)>,
    /// Rate limiters (flood protection), used by the server per packet.
    pub limiter: Limiter,
    /// Caps on leases in use (offered, bound, declined) per client and per
    /// interface; 0: none.
    client_lease_cap: u32,
    interface_lease_cap: u32,
    /// Leases in use per interface (`Lease::sw_if_index`), for the cap.
    in_use_by_interface: Vec<u32>,
    /// The interface the packet being served came in on (for the cap).
    pub serving_interface: u32,
    /// Lease events, recorded only while someone subscribed.
    pub events_wanted: bool,
    events: Vec<LeaseEvent>,
    events_dropped: u64,
}

/// What serving a client's next request will read, worked out a few
/// packets ahead in steps (each step reads what the previous one had
/// prefetched), so that the memory is in cache when the packet is served.
/// Only a hint: the shard may change in between, and nothing is trusted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lookahead {
    hash: u64,
    step: u8,
}

/// Addresses to prefetch (null: nothing).
pub type PrefetchAddresses = [*const u8; 3];

/// What `account` compares before and after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Usage {
    pool: u32,
    sw_if_index: u32,
    in_use: bool,
}

/// Hash of a lease's (kind, resource) key.
#[inline]
fn resource_hash(hash: &KeyedHash, kind: IaKind, resource: u128) -> u64 {
    hash.wide(kind as u8, resource)
}

/// Where a lease, stored in the file, lives; its file region is behind a
/// trait so tests can use plain memory.
pub trait StoreRegion: Send {
    /// The bytes that may be read and written: the file's disk space is
    /// reserved for all of them. May grow between calls, never shrinks.
    fn bytes(&mut self) -> &mut [u8];
    /// The length the file has room for (`bytes` grows up to it).
    fn full_len(&self) -> usize;
    /// Tells the region how many slots are in use (the highest index + 1),
    /// so that it can reserve space ahead of need.
    fn note_slots_used(&self, _slots: usize) {}
    /// Where the bytes start (to prefetch a slot; never read through).
    fn base(&self) -> *const u8;
    /// Pushes the bytes to stable storage.
    fn flush(&mut self) -> Result<(), String>;
}

impl StoreRegion for Vec<u8> {
    fn bytes(&mut self) -> &mut [u8] {
        self
    }
    fn full_len(&self) -> usize {
        self.len()
    }
    fn base(&self) -> *const u8 {
        self.as_ptr()
    }
    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }
}

impl core::fmt::Debug for dyn StoreRegion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StoreRegion")
    }
}

impl Shard {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `specs` the active pools. This shard takes window `shard` of
    /// `n_shards` of each pool. Pools no longer listed stop allocating; their
    /// free leases are forgotten, bound ones run out. Returns the pool ids,
    /// in the order of `specs`.
    pub fn set_pools(&mut self, specs: &[PoolSpec], shard: u32, n_shards: u32) -> Vec<u32> {
        let n_shards = u128::from(n_shards.max(1));
        let shard = u128::from(shard).min(n_shards - 1);
        for a in &mut self.pools {
            a.active = false;
        }
        let mut ids = Vec::with_capacity(specs.len());
        let mut total: u128 = 0;
        for spec in specs {
            let size = spec.size();
            total = total.saturating_add(size / n_shards);
            if let Some(id) = self.pools.iter().position(|a| a.spec == *spec) {
                self.pools[id].active = true;
                ids.push(id as u32);
                continue;
            }
            if self.pools.len() >= MAX_POOL_IDS {
                // Pool ids are 16 bits: past 65535 pools ever configured,
                // further ones stay inactive.
                continue;
            }
            let lo = size / n_shards * shard;
            let hi = if shard + 1 == n_shards {
                size
            } else {
                size / n_shards * (shard + 1)
            };
            self.pools.push(Allocator {
                spec: *spec,
                start: lo,
                next: lo,
                end: hi,
                reuse: List::default(),
                active: true,
                in_use: Arc::new(AtomicU64::new(0)),
            });
            ids.push(self.pools.len() as u32 - 1);
        }
        // Forget the free leases of pools that went away.
        for id in 0..self.pools.len() as u32 {
            if !self.pools[id as usize].active {
                while let Some(lease) = self.pools[id as usize].reuse.pop_front(&mut self.leases) {
                    self.leases[lease as usize].set_queue(Queue::None);
                    self.forget(lease);
                }
            }
        }
        // Leases restored before their pool was configured find it now.
        for index in 0..self.leases.len() {
            let l = &self.leases[index];
            if l.state != LeaseState::Unused && l.pool == NO_POOL {
                let pool = self.pool_holding(l.kind, l.resource, l.len);
                let before = self.usage(index as u32);
                self.leases[index].pool = pool_field(pool);
                self.account(index as u32, before);
            }
        }
        let want = usize::try_from(total)
            .unwrap_or(usize::MAX)
            .min(MAX_RESERVED);
        // Best effort: a failure here only means growing later.
        self.reserve_indexes(want);
        let _ = self
            .leases
            .try_reserve(want.saturating_sub(self.leases.len()));
        let _ = self
            .route_ops
            .try_reserve(ROUTE_OPS_RESERVED.saturating_sub(self.route_ops.len()));
        ids
    }

    fn reserve_indexes(&mut self, entries: usize) {
        let (leases, hash) = (&self.leases, &self.hash);
        let _ = self
            .by_resource
            .try_reserve(entries.saturating_sub(self.by_resource.len()), |e| {
                let l = &leases[e as usize];
                resource_hash(hash, l.kind, l.resource)
            });
        let _ = self
            .clients
            .try_reserve(entries.saturating_sub(self.clients.len()));
    }

    /// Adopts the configuration's pool list (see `ServerConfig::all_pools`).
    pub fn sync_pools(&mut self, specs: &[PoolSpec], shard: u32, n_shards: u32) {
        self.config_pool_ids = self.set_pools(specs, shard, n_shards);
    }

    /// Adopts the configuration's reserved resources.
    pub fn sync_reserved(&mut self, reserved: &HashSet<(IaKind, u128)>) {
        self.reserved.clone_from(reserved);
    }

    /// Gives the client's IA its reserved `resource`, unless another client
    /// holds it (bound, offered or declined): then `Exhausted`, and the
    /// caller falls back to the pools.
    #[allow(clippy::too_many_arguments)]
    pub fn assign_fixed(
        &mut self,
        duid: &[u8],
        kind: IaKind,
        iaid: u32,
        (resource, len): (u128, u8),
        state: LeaseState,
        now: Time,
        lifetimes: Lifetimes,
        offer_hold: u32,
    ) -> Result<u32, Exhausted> {
        // The caps count reserved resources too: a client at its cap gets
        // nothing more, reserved or not.
        let index = match self.holder(kind, resource) {
            Some(index) => {
                let mine = self.find(duid, kind, iaid) == Some(index);
                let lease = &self.leases[index as usize];
                if !mine && lease.state != LeaseState::Free {
                    return Err(Exhausted);
                }
                if lease.state == LeaseState::Free && !self.within_caps(duid) {
                    return Err(Exhausted);
                }
                if !mine && !self.can_store(duid) {
                    return Err(Exhausted);
                }
                if !mine {
                    self.dequeue(index);
                    self.rebind(index, duid, iaid);
                }
                index
            }
            None if self.within_caps(duid) && self.can_store(duid) && self.has_room() => {
                self.new_lease(duid, kind, iaid, NIL, resource, len)
            }
            None => return Err(Exhausted),
        };
        self.commit(index, state, now, lifetimes, offer_hold);
        Ok(index)
    }

    /// The pool id of the configuration's pool at `position`.
    pub fn config_pool_id(&self, position: usize) -> Option<u32> {
        self.config_pool_ids.get(position).copied()
    }

    pub fn pool_spec(&self, id: u32) -> Option<&PoolSpec> {
        self.pools
            .get(id as usize)
            .filter(|a| a.active)
            .map(|a| &a.spec)
    }

    /// Whether the server holds a lease (in any state) for this client.
    pub fn has_client(&self, duid: &[u8]) -> bool {
        self.clients.find(duid).is_some()
    }

    /// The client's lease for an IA, in any state but Unused.
    pub fn find(&self, duid: &[u8], kind: IaKind, iaid: u32) -> Option<u32> {
        let client = self.clients.find(duid)?;
        self.client_lease(client, kind, iaid)
    }

    /// Client `client`'s lease for an IA: a walk of the client's leases
    /// (one per IA; clients have a few).
    fn client_lease(&self, client: u32, kind: IaKind, iaid: u32) -> Option<u32> {
        let mut at = self.clients.first_lease(client);
        while at != NIL {
            let l = &self.leases[at as usize];
            if l.kind == kind && l.iaid == iaid {
                return Some(at);
            }
            at = l.client_next;
        }
        None
    }

    pub fn lease(&self, index: u32) -> &Lease {
        &self.leases[index as usize]
    }

    /// The lease holding `resource`, in any state.
    pub fn holder(&self, kind: IaKind, resource: u128) -> Option<u32> {
        let leases = &self.leases;
        self.by_resource
            .find(resource_hash(&self.hash, kind, resource), |e| {
                let l = &leases[e as usize];
                l.kind == kind && l.resource == resource
            })
    }

    /// First lookahead step for a request from `duid`: the client index
    /// slot's address.
    pub fn lookahead_start(&self, duid: &[u8], la: &mut Lookahead) -> PrefetchAddresses {
        la.hash = self.clients.hash_of(duid);
        la.step = 1;
        [
            self.clients.slot_address(la.hash),
            std::ptr::null(),
            std::ptr::null(),
        ]
    }

    /// Next step: the client record's address, then its first lease's and
    /// that lease's lease-file slot (both copies' headers).
    pub fn lookahead_next(&self, la: &mut Lookahead) -> PrefetchAddresses {
        let none = [std::ptr::null(); 3];
        let step = la.step;
        la.step = la.step.saturating_add(1);
        let Some(client) = (step > 0).then(|| self.clients.likely(la.hash)).flatten() else {
            return none;
        };
        match step {
            1 => [self.clients.record_address(client), none[1], none[2]],
            2 => {
                let lease = self.clients.first_lease(client);
                let Some(l) = self.leases.get(lease as usize) else {
                    return none;
                };
                let slot = self.store.as_ref().map_or(std::ptr::null(), |r| {
                    r.base()
                        .wrapping_add(store::HEADER_LEN + lease as usize * store::SLOT_LEN)
                });
                let second = if slot.is_null() {
                    slot
                } else {
                    slot.wrapping_add(store::RECORD_LEN)
                };
                [(l as *const Lease).cast(), slot, second]
            }
            _ => none,
        }
    }

    /// The FIB route of a delegated prefix's lease.
    pub fn route(&self, index: u32) -> Option<RouteVia> {
        self.route_of(&self.leases[index as usize])
    }

    fn route_of(&self, l: &Lease) -> Option<RouteVia> {
        (l.route != NIL).then(|| self.routes[l.route as usize])
    }

    fn index_resource(&mut self, index: u32) {
        let (leases, hash) = (&self.leases, &self.hash);
        let l = &leases[index as usize];
        let indexed =
            self.by_resource
                .insert(resource_hash(hash, l.kind, l.resource), index, |e| {
                    let l = &leases[e as usize];
                    resource_hash(hash, l.kind, l.resource)
                });
        debug_assert!(indexed, "room reserved by has_room");
    }

    fn unindex_resource(&mut self, index: u32) {
        let (leases, hash) = (&self.leases, &self.hash);
        let l = &leases[index as usize];
        self.by_resource
            .remove(resource_hash(hash, l.kind, l.resource), index, |e| {
                let l = &leases[e as usize];
                resource_hash(hash, l.kind, l.resource)
            });
    }

    /// Whether the lease belongs to this client's IA.
    pub fn is_bound_to(&self, index: u32, duid: &[u8], kind: IaKind, iaid: u32) -> bool {
        self.find(duid, kind, iaid) == Some(index)
    }

    /// Gives the client's IA an address or prefix from `pools` (ids of
    /// active pools of the IA's kind), as `state` (Offered or Bound).
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &mut self,
        duid: &[u8],
        kind: IaKind,
        iaid: u32,
        pools: &[u32],
        hint: Option<(u128, u8)>,
        state: LeaseState,
        now: Time,
        lifetimes: Lifetimes,
        offer_hold: u32,
    ) -> Result<u32, Exhausted> {
        let usable = |s: &Self, pool: u32| {
            pools.contains(&pool) && s.pools.get(pool as usize).is_some_and(|a| a.active)
        };
        // 1. The IA's own lease, unless declined or from a pool not offered now.
        if let Some(index) = self.find(duid, kind, iaid) {
            let lease = &self.leases[index as usize];
            if lease.state != LeaseState::Declined && usable(self, lease.pool()) {
                // A free one comes back into use: the caps apply.
                if lease.state == LeaseState::Free && !self.within_caps(duid) {
                    return Err(Exhausted);
                }
                self.commit(index, state, now, lifetimes, offer_hold);
                return Ok(index);
            }
        }
        if !self.within_caps(duid) || !self.can_store(duid) {
            return Err(Exhausted);
        }
        // 2. A hint that is in one of the pools and free.
        if let Some((resource, len)) = hint {
            if let Some(pool) = pools.iter().copied().find(|p| {
                usable(self, *p)
                    && self.pools[*p as usize]
                        .spec
                        .index_of(resource, len)
                        .is_some()
                    && self.in_window(*p, resource, len)
            }) {
                if self.holder(kind, resource).is_none()
                    && !self.is_reserved(kind, resource)
                    && self.slot_available()
                    && self.has_memory()
                {
                    let index = self.new_lease(duid, kind, iaid, pool, resource, len);
                    self.commit(index, state, now, lifetimes, offer_hold);
                    return Ok(index);
                }
            }
        }
        // 3. Never used, then 4. free the longest.
        for &pool in pools {
            if !usable(self, pool) {
                continue;
            }
            if !self.has_room() {
                break;
            }
            if let Some(resource) = self.take_never_used(pool) {
                let len = self.pools[pool as usize].spec.resource_len();
                let index = self.new_lease(duid, kind, iaid, pool, resource, len);
                self.commit(index, state, now, lifetimes, offer_hold);
                return Ok(index);
            }
        }
        for &pool in pools {
            if !usable(self, pool) {
                continue;
            }
            while let Some(index) = self.pools[pool as usize].reuse.pop_front(&mut self.leases) {
                self.leases[index as usize].set_queue(Queue::None);
                let l = &self.leases[index as usize];
                if self.is_reserved(l.kind, l.resource) {
                    // Reserved since it was freed: not ours to reuse.
                    self.forget(index);
                    continue;
                }
                self.rebind(index, duid, iaid);
                self.commit(index, state, now, lifetimes, offer_hold);
                return Ok(index);
            }
        }
        Err(Exhausted)
    }

    fn in_window(&self, pool: u32, resource: u128, len: u8) -> bool {
        let a = &self.pools[pool as usize];
        a.spec
            .index_of(resource, len)
            .is_some_and(|i| a.start <= i && i < a.end)
    }

    fn is_reserved(&self, kind: IaKind, resource: u128) -> bool {
        !self.reserved.is_empty() && self.reserved.contains(&(kind, resource))
    }

    fn take_never_used(&mut self, pool: u32) -> Option<u128> {
        loop {
            let a = &mut self.pools[pool as usize];
            if a.next >= a.end {
                return None;
            }
            let resource = a.spec.resource(a.next);
            let kind = a.spec.kind();
            a.next += 1;
            // Skip what a hint already took ahead of the cursor, and what
            // is reserved for someone.
            if self.holder(kind, resource).is_none() && !self.is_reserved(kind, resource) {
                return Some(resource);
            }
        }
    }

    /// The pool, interface and in-use state of a lease, before a change
    /// (for `account`).
    fn usage(&self, index: u32) -> Usage {
        let l = &self.leases[index as usize];
        Usage {
            pool: l.pool(),
            sw_if_index: l.sw_if_index,
            in_use: matches!(
                l.state,
                LeaseState::Offered | LeaseState::Bound | LeaseState::Declined
            ),
        }
    }

    /// Moves the lease's count between pools' in-use gauges and between
    /// interfaces' counts after a change.
    fn account(&mut self, index: u32, before: Usage) {
        let after = self.usage(index);
        if before == after {
            return;
        }
        if before.in_use {
            if let Some(a) = self.pools.get(before.pool as usize) {
                a.in_use.fetch_sub(1, Ordering::Relaxed);
            }
            if let Some(n) = self
                .in_use_by_interface
                .get_mut(before.sw_if_index as usize)
            {
                *n = n.saturating_sub(1);
            }
        }
        if after.in_use {
            if let Some(a) = self.pools.get(after.pool as usize) {
                a.in_use.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(n) = self.in_use_by_interface.get_mut(after.sw_if_index as usize) {
                *n += 1;
            }
        }
    }

    /// Adopts the flood limits: the lease caps here, the rate limits for
    /// the server's checks; per-interface tables cover interfaces up to
    /// `max_sw_if_index` (configuration time: packets never grow them).
    pub fn sync_limits(&mut self, limits: &Limits, max_sw_if_index: Option<u32>) {
        self.client_lease_cap = limits.client_leases;
        self.interface_lease_cap = limits.interface_leases;
        if let Some(max) = max_sw_if_index {
            self.limiter.cover_interfaces(max);
            let want = max as usize + 1;
            if want > self.in_use_by_interface.len() {
                self.in_use_by_interface.resize(want, 0);
                // Count what is there (leases restored or served before).
                self.in_use_by_interface.iter_mut().for_each(|n| *n = 0);
                for l in self.leases.iter().filter(|l| {
                    matches!(
                        l.state,
                        LeaseState::Offered | LeaseState::Bound | LeaseState::Declined
                    )
                }) {
                    if let Some(n) = self.in_use_by_interface.get_mut(l.sw_if_index as usize) {
                        *n += 1;
                    }
                }
            }
        }
    }

    /// Whether the client may be given one more resource: the caps on
    /// leases per client and per serving interface.
    fn within_caps(&self, duid: &[u8]) -> bool {
        if self.client_lease_cap > 0 {
            if let Some(client) = self.clients.find(duid) {
                let mut held = 0;
                let mut at = self.clients.first_lease(client);
                while at != NIL {
                    let l = &self.leases[at as usize];
                    held += u32::from(l.state != LeaseState::Free);
                    at = l.client_next;
                }
                if held >= self.client_lease_cap {
                    return false;
                }
            }
        }
        self.interface_lease_cap == 0
            || self
                .in_use_by_interface
                .get(self.serving_interface as usize)
                .is_none_or(|n| *n < self.interface_lease_cap)
    }

    /// The active pools with their in-use counts (shared, read without the
    /// shard by the main thread).
    pub fn pool_gauges(&self) -> Vec<(PoolSpec, Arc<AtomicU64>)> {
        self.pools
            .iter()
            .filter(|a| a.active)
            .map(|a| (a.spec, a.in_use.clone()))
            .collect()
    }

    /// Whether a lease of the client `duid` can be kept in the lease file
    /// (its DUID fits a record; a file was asked for and is open). Counts
    /// a refusal.
    fn can_store(&mut self, duid: &[u8]) -> bool {
        let storable = match &self.store {
            Some(_) => duid.len() <= store::MAX_STORED_DUID,
            None => !self.store_required,
        };
        if !storable {
            self.store_refusals += 1;
        }
        storable
    }

    /// Whether a new lease can be recorded: the lease file has a slot whose
    /// disk space is reserved (a refusal is counted), and memory for the
    /// tables.
    fn has_room(&mut self) -> bool {
        if !self.slot_available() {
            self.store_refusals += 1;
            return false;
        }
        self.has_memory()
    }

    /// Whether the lease file, if any, has a slot with disk space for a new
    /// lease.
    fn slot_available(&mut self) -> bool {
        self.store.as_mut().is_none_or(|r| {
            !self.unused_slots.is_empty() || self.leases.len() < store::capacity_of(r.bytes().len())
        })
    }

    /// Whether the tables have room for one more lease: growing them may
    /// allocate, and a failure refuses the lease rather than aborting VPP.
    fn has_memory(&mut self) -> bool {
        if self.unused_slots.is_empty() && self.leases.len() >= index::MAX_ENTRIES {
            return false;
        }
        if self.leases.try_reserve(1).is_err()
            || self.route_ops.try_reserve(2).is_err()
            || self.routes.try_reserve(1).is_err()
            || !self.clients.try_reserve(1)
        {
            return false;
        }
        let (leases, hash) = (&self.leases, &self.hash);
        self.by_resource
            .try_reserve(1, |e| {
                let l = &leases[e as usize];
                resource_hash(hash, l.kind, l.resource)
            })
            .is_ok()
    }

    fn new_lease(
        &mut self,
        duid: &[u8],
        kind: IaKind,
        iaid: u32,
        pool: u32,
        resource: u128,
        len: u8,
    ) -> u32 {
        let index = match self.unused_slots.pop() {
            Some(i) => i,
            None => {
                self.leases.push(Lease::unused());
                if let Some(r) = &self.store {
                    r.note_slots_used(self.leases.len());
                }
                self.leases.len() as u32 - 1
            }
        };
        let lease = &mut self.leases[index as usize];
        *lease = Lease::unused();
        lease.kind = kind;
        lease.resource = resource;
        lease.len = len;
        lease.pool = pool_field(pool);
        lease.state = LeaseState::Free;
        self.index_resource(index);
        self.rebind(index, duid, iaid);
        index
    }

    /// Moves a lease to the client's IA, releasing any earlier owner's claim.
    /// The IA's earlier resource, if another, becomes free.
    fn rebind(&mut self, index: u32, duid: &[u8], iaid: u32) {
        self.unbind(index);
        let Some(client) = self.clients.get_or_add(duid) else {
            // Out of memory: the lease stays without a client and runs out.
            return;
        };
        let kind = self.leases[index as usize].kind;
        let old = self.client_lease(client, kind, iaid);
        let first = self.clients.first_lease(client);
        let lease = &mut self.leases[index as usize];
        lease.client = client;
        lease.iaid = iaid;
        lease.client_next = first;
        self.clients.set_first_lease(client, index);
        if let Some(old) = old {
            self.unbind(old);
            self.free(old);
        }
    }

    /// Drops the lease's client binding (the lease itself stays); the
    /// client is forgotten with its last lease.
    fn unbind(&mut self, index: u32) {
        let client = self.leases[index as usize].client;
        if client == NIL {
            return;
        }
        let next = self.leases[index as usize].client_next;
        let mut at = self.clients.first_lease(client);
        if at == index {
            self.clients.set_first_lease(client, next);
        } else {
            while at != NIL {
                let after = self.leases[at as usize].client_next;
                if after == index {
                    self.leases[at as usize].client_next = next;
                    break;
                }
                at = after;
            }
        }
        let lease = &mut self.leases[index as usize];
        lease.client = NIL;
        lease.client_next = NIL;
        if self.clients.first_lease(client) == NIL {
            self.clients.remove(client);
        }
    }

    /// Sets state and times, and queues the lease for its next transition.
    fn commit(
        &mut self,
        index: u32,
        state: LeaseState,
        now: Time,
        lifetimes: Lifetimes,
        offer_hold: u32,
    ) {
        self.dequeue(index);
        let hold = if state == LeaseState::Offered {
            offer_hold
        } else {
            lifetimes.valid
        };
        let before = self.usage(index);
        let was_bound = self.leases[index as usize].state == LeaseState::Bound;
        self.leases[index as usize].state = state;
        self.account(index, before);
        let lease = &mut self.leases[index as usize];
        if state == LeaseState::Bound {
            lease.preferred_until = now.saturating_add(lifetimes.preferred);
            lease.valid_until = now.saturating_add(lifetimes.valid);
        }
        lease.expires = now.saturating_add(hold);
        self.enqueue_expiry(index, hold);
        if state == LeaseState::Bound {
            self.persist(index);
            let kind = if was_bound {
                LeaseEventKind::Renewed
            } else {
                LeaseEventKind::Bound
            };
            self.event(index, kind);
        }
    }

    /// Writes the lease's record to the lease file (tombstone unless bound
    /// or declined). A memory write, no system call.
    fn persist(&mut self, index: u32) {
        let Some(region) = self.store.as_mut() else {
            return;
        };
        let l = &self.leases[index as usize];
        let route = (l.route != NIL).then(|| self.routes[l.route as usize]);
        let record = matches!(l.state, LeaseState::Bound | LeaseState::Declined).then_some(
            store::RecordRef {
                duid: self.clients.duid(l.client),
                iaid: l.iaid,
                kind: l.kind,
                resource: l.resource,
                len: l.len,
                state: l.state,
                preferred_until: l.preferred_until,
                valid_until: l.valid_until,
                expires: l.expires,
                sw_if_index: l.sw_if_index,
                route,
            },
        );
        store::write(region.bytes(), index, record.as_ref());
    }

    /// Attaches the lease file and rebuilds the leases it holds that are
    /// still valid at `now` (bound ones with their routes to reinstall,
    /// declined ones with their hold). Call before any lease exists.
    /// Records that cannot be read are cleared and counted.
    pub fn attach_store(
        &mut self,
        mut region: Box<dyn StoreRegion>,
        now: Time,
    ) -> Result<RestoreReport, String> {
        store::init_header(region.bytes())?;
        let capacity = store::capacity_of(region.full_len());
        if capacity > index::MAX_ENTRIES {
            return Err(format!(
                "a lease file holds at most {} leases",
                index::MAX_ENTRIES
            ));
        }
        // Index tables sized for a full file now, so serving never rehashes
        // them (8 bytes per slot of the file each; the records themselves
        // still grow with use).
        self.reserve_indexes(capacity);
        let mut report = RestoreReport::default();
        let mut restored: Vec<(Time, u32)> = Vec::new();
        // Only the part of the file whose space is reserved holds records.
        for index in 0..store::capacity_of(region.bytes().len()) as u32 {
            match store::scrub(region.bytes(), index) {
                store::SlotCondition::Sound => {}
                store::SlotCondition::Torn => report.torn += 1,
                store::SlotCondition::Damaged => report.damaged += 1,
            }
            let rec = match store::read(region.bytes(), index) {
                Ok(Some(rec)) => rec,
                Ok(None) => continue,
                Err(store::Damaged) => {
                    report.damaged += 1;
                    store::write(region.bytes(), index, None);
                    continue;
                }
            };
            let alive = match rec.state {
                LeaseState::Bound => rec.valid_until > now,
                _ => rec.expires > now,
            };
            if !alive || self.holder(rec.kind, rec.resource).is_some() {
                store::write(region.bytes(), index, None);
                continue;
            }
            while self.leases.len() <= index as usize {
                self.unused_slots.push(self.leases.len() as u32);
                self.leases.push(Lease::unused());
            }
            self.unused_slots.retain(|i| *i != index);
            let pool = self.pool_holding(rec.kind, rec.resource, rec.len);
            let before = self.usage(index);
            let lease = &mut self.leases[index as usize];
            *lease = Lease::unused();
            lease.kind = rec.kind;
            lease.resource = rec.resource;
            lease.len = rec.len;
            lease.state = rec.state;
            lease.preferred_until = rec.preferred_until;
            lease.valid_until = rec.valid_until;
            lease.expires = if rec.state == LeaseState::Bound {
                rec.valid_until
            } else {
                rec.expires
            };
            lease.sw_if_index = rec.sw_if_index;
            lease.pool = pool_field(pool);
            self.account(index, before);
            if !self.has_memory() {
                return Err("out of memory restoring leases".into());
            }
            self.index_resource(index);
            if let (LeaseState::Bound, Some(duid)) = (rec.state, &rec.duid) {
                self.rebind(index, duid.as_bytes(), rec.iaid);
            }
            if let Some(via) = rec.route {
                self.leases[index as usize].route = self.routes.len() as u32;
                self.routes.push(via);
                self.route_ops.push(RouteOp {
                    add: true,
                    prefix: rec.resource,
                    len: rec.len,
                    via,
                    tries: 0,
                });
            }
            restored.push((self.leases[index as usize].expires, index));
        }
        for &(expires, index) in &restored {
            self.irregular.insert((expires, index));
            self.leases[index as usize].set_queue(Queue::Irregular);
        }
        region.note_slots_used(self.leases.len());
        self.store = Some(region);
        self.store_required = false;
        report.restored = restored.len();
        Ok(report)
    }

    /// A lease file was asked for and could not be opened: until one is
    /// attached, no lease is given (none could be kept).
    pub fn require_store(&mut self) {
        self.store_required = true;
    }

    /// Leases are given without a lease file (the operator said so).
    pub fn forgo_store(&mut self) {
        self.store_required = false;
    }

    /// Leases refused because the lease file could not keep them.
    pub fn store_refusals(&self) -> u64 {
        self.store_refusals
    }

    /// Adds a bound lease read from another server's lease file. Refused
    /// (false) if another client holds the resource or there is no room.
    pub fn import_lease(&mut self, l: &kea_csv::ImportedLease) -> bool {
        let duid = l.duid.as_bytes();
        let index = match self.holder(l.kind, l.resource) {
            Some(i)
                if self.can_store(duid)
                    && (self.find(duid, l.kind, l.iaid) == Some(i)
                        || self.leases[i as usize].state == LeaseState::Free) =>
            {
                self.dequeue(i);
                self.rebind(i, duid, l.iaid);
                i
            }
            Some(_) => return false,
            None if self.can_store(duid) && self.has_room() => {
                let pool = self.pool_holding(l.kind, l.resource, l.len);
                self.new_lease(duid, l.kind, l.iaid, pool, l.resource, l.len)
            }
            None => return false,
        };
        let before = self.usage(index);
        self.leases[index as usize].state = LeaseState::Bound;
        self.account(index, before);
        let lease = &mut self.leases[index as usize];
        lease.preferred_until = l.preferred_until;
        lease.valid_until = l.valid_until;
        lease.expires = l.valid_until;
        lease.set_queue(Queue::Irregular);
        self.irregular.insert((l.valid_until, index));
        self.persist(index);
        true
    }

    /// Pushes the lease file to disk (main thread; may block).
    pub fn flush_store(&mut self) -> Result<(), String> {
        self.store.as_mut().map_or(Ok(()), |r| r.flush())
    }

    /// The lease file's bytes (export, tests).
    pub fn store_bytes(&mut self) -> Option<&mut [u8]> {
        self.store.as_mut().map(|r| r.bytes())
    }

    pub fn has_store(&self) -> bool {
        self.store.is_some()
    }

    /// The active pool holding a resource, or NIL.
    fn pool_holding(&self, kind: IaKind, resource: u128, len: u8) -> u32 {
        self.pools
            .iter()
            .position(|a| {
                a.active && a.spec.kind() == kind && a.spec.index_of(resource, len).is_some()
            })
            .map_or(NIL, |p| p as u32)
    }

    /// Extends a bound lease (Renew, Rebind).
    pub fn extend(&mut self, index: u32, now: Time, lifetimes: Lifetimes) {
        self.commit(index, LeaseState::Bound, now, lifetimes, 0);
    }

    fn enqueue_expiry(&mut self, index: u32, duration: u32) {
        let q = match self.expiry.iter().position(|(d, _)| *d == duration) {
            Some(q) => q,
            None if self.expiry.len() < MAX_EXPIRY_QUEUES => {
                self.expiry.push((duration, List::default()));
                self.expiry.len() - 1
            }
            None => {
                // More distinct durations than FIFOs: ordered by time.
                let expires = self.leases[index as usize].expires;
                self.irregular.insert((expires, index));
                self.leases[index as usize].set_queue(Queue::Irregular);
                return;
            }
        };
        self.expiry[q].1.push_back(&mut self.leases, index);
        self.leases[index as usize].set_queue(Queue::Expiry(q as u16));
    }

    fn dequeue(&mut self, index: u32) {
        let lease = &self.leases[index as usize];
        match lease.queue() {
            Queue::None => {}
            Queue::Expiry(q) => self.expiry[q as usize].1.unlink(&mut self.leases, index),
            Queue::Reuse => {
                let pool = lease.pool as usize;
                self.pools[pool].reuse.unlink(&mut self.leases, index)
            }
            Queue::Irregular => {
                self.irregular
                    .remove(&(self.leases[index as usize].expires, index));
            }
        }
        self.leases[index as usize].set_queue(Queue::None);
    }

    /// Frees a lease's resource: back on its pool's reuse FIFO, remembered
    /// for its client; forgotten if the pool is gone.
    fn free(&mut self, index: u32) {
        self.dequeue(index);
        self.unroute(index);
        let pool = self.leases[index as usize].pool();
        let lease = &mut self.leases[index as usize];
        let was_kept = matches!(lease.state, LeaseState::Bound | LeaseState::Declined);
        let before = Usage {
            pool,
            sw_if_index: lease.sw_if_index,
            in_use: was_kept || lease.state == LeaseState::Offered,
        };
        lease.state = LeaseState::Free;
        self.account(index, before);
        let lease = &mut self.leases[index as usize];
        lease.preferred_until = 0;
        lease.valid_until = 0;
        if was_kept {
            self.persist(index);
        }
        match self.pools.get_mut(pool as usize).filter(|a| a.active) {
            Some(a) => {
                a.reuse.push_back(&mut self.leases, index);
                self.leases[index as usize].set_queue(Queue::Reuse);
            }
            None => self.forget(index),
        }
    }

    /// Removes a lease entirely (its slot becomes unused).
    fn forget(&mut self, index: u32) {
        self.dequeue(index);
        self.unroute(index);
        if let Some(region) = self.store.as_mut() {
            store::write(region.bytes(), index, None);
        }
        self.unbind(index);
        self.unindex_resource(index);
        let before = self.usage(index);
        self.leases[index as usize] = Lease::unused();
        self.account(index, before);
        self.unused_slots.push(index);
    }

    /// Records the interface the client is served on.
    pub fn set_interface(&mut self, index: u32, sw_if_index: u32) {
        let before = self.usage(index);
        self.leases[index as usize].sw_if_index = sw_if_index;
        self.account(index, before);
    }

    /// Routes a bound delegated prefix via `via` (replacing another route).
    pub fn set_route(&mut self, index: u32, via: RouteVia) {
        let lease = &self.leases[index as usize];
        if lease.kind != IaKind::Pd
            || lease.state != LeaseState::Bound
            || self.route_of(lease) == Some(via)
        {
            return;
        }
        self.unroute(index);
        let slot = match self.unused_routes.pop() {
            Some(slot) => {
                self.routes[slot as usize] = via;
                slot
            }
            None => {
                self.routes.push(via);
                self.routes.len() as u32 - 1
            }
        };
        let lease = &mut self.leases[index as usize];
        lease.route = slot;
        self.route_ops.push(RouteOp {
            add: true,
            prefix: lease.resource,
            len: lease.len,
            via,
            tries: 0,
        });
        self.persist(index);
    }

    fn unroute(&mut self, index: u32) {
        let lease = &mut self.leases[index as usize];
        let slot = std::mem::replace(&mut lease.route, NIL);
        if slot != NIL {
            let via = self.routes[slot as usize];
            self.unused_routes.push(slot);
            self.route_ops.push(RouteOp {
                add: false,
                prefix: lease.resource,
                len: lease.len,
                via,
                tries: 0,
            });
        }
    }

    /// Records an event about lease `index` (if subscribed; bounded).
    fn event(&mut self, index: u32, kind: LeaseEventKind) {
        if !self.events_wanted {
            return;
        }
        if self.events.len() >= EVENTS_RESERVED || self.events.try_reserve(1).is_err() {
            self.events_dropped += 1;
            return;
        }
        let l = &self.leases[index as usize];
        let mut e = LeaseEvent {
            kind,
            ia: l.kind,
            resource: l.resource,
            len: l.len,
            iaid: l.iaid,
            duid_len: 0,
            duid: [0; crate::duid::MAX_DUID_LEN],
            valid_until: l.valid_until,
            sw_if_index: l.sw_if_index,
        };
        if let Some(d) = self.clients.duid(l.client) {
            e.duid[..d.len()].copy_from_slice(d);
            e.duid_len = d.len() as u8;
        }
        self.events.push(e);
    }

    /// Hands the recorded events over, with the number dropped since the
    /// last hand-over.
    pub fn take_events(&mut self) -> (std::vec::Drain<'_, LeaseEvent>, u64) {
        let dropped = std::mem::take(&mut self.events_dropped);
        (self.events.drain(..), dropped)
    }

    /// Queues a route change again, e.g. one whose interface does not exist
    /// yet after a restart.
    /// Hands every pending FIB change to `apply`, oldest first, and
    /// returns how many. `apply` returns false when the change could not be
    /// made (the next hop's interface does not exist yet): an add is then
    /// kept for the next pass, for `ROUTE_ADD_PASSES` passes in all, unless
    /// a later change removes the same route; a removal is not kept (there
    /// is nothing to remove).
    pub fn apply_route_ops(&mut self, mut apply: impl FnMut(&RouteOp) -> bool) -> u32 {
        let ops: Vec<RouteOp> = self.route_ops.drain(..).collect();
        for (i, op) in ops.iter().enumerate() {
            let removed_later = || {
                ops[i + 1..]
                    .iter()
                    .any(|o| !o.add && o.prefix == op.prefix && o.len == op.len && o.via == op.via)
            };
            if !apply(op) && op.add && op.tries + 1 < ROUTE_ADD_PASSES && !removed_later() {
                self.route_ops.push(RouteOp {
                    tries: op.tries + 1,
                    ..*op
                });
            }
        }
        ops.len() as u32
    }

    /// Hands the pending FIB changes over, oldest first.
    pub fn take_route_ops(&mut self) -> std::vec::Drain<'_, RouteOp> {
        self.route_ops.drain(..)
    }

    pub fn has_route_ops(&self) -> bool {
        !self.route_ops.is_empty()
    }

    /// When the next hold or lifetime ends, if any lease is waiting for it.
    pub fn next_expiry(&self) -> Option<Time> {
        self.expiry
            .iter()
            .filter(|(_, q)| q.head != NIL)
            .map(|(_, q)| self.leases[q.head as usize].expires)
            .chain(self.irregular.first().map(|(t, _)| *t))
            .min()
    }

    /// Release (RFC 8415 section 18.3.7).
    pub fn release(&mut self, index: u32) {
        self.event(index, LeaseEventKind::Released);
        self.free(index);
    }

    /// Decline (section 18.3.8): out of service for `hold` seconds.
    pub fn decline(&mut self, index: u32, now: Time, hold: u32) {
        self.dequeue(index);
        self.unroute(index);
        self.unbind(index);
        let before = self.usage(index);
        self.leases[index as usize].state = LeaseState::Declined;
        self.account(index, before);
        self.event(index, LeaseEventKind::Declined);
        let lease = &mut self.leases[index as usize];
        lease.preferred_until = 0;
        lease.valid_until = 0;
        lease.expires = now.saturating_add(hold);
        self.enqueue_expiry(index, hold);
        self.persist(index);
    }

    /// Operator's delete: the resource is free and the binding gone.
    pub fn delete(&mut self, index: u32) -> bool {
        if self
            .leases
            .get(index as usize)
            .is_none_or(|l| l.state == LeaseState::Unused)
        {
            return false;
        }
        self.unbind(index);
        self.free(index);
        true
    }

    /// Ends every hold and lifetime that is over at `now`; returns how many
    /// leases changed state. O(1) per expired lease.
    pub fn expire(&mut self, now: Time) -> usize {
        let mut n = 0;
        while let Some(&(expires, index)) = self.irregular.first() {
            if expires > now {
                break;
            }
            self.irregular.pop_first();
            self.end_of_hold_or_lifetime(index);
            n += 1;
        }
        for q in 0..self.expiry.len() {
            loop {
                let head = self.expiry[q].1.head;
                if head == NIL || self.leases[head as usize].expires > now {
                    break;
                }
                self.expiry[q].1.unlink(&mut self.leases, head);
                self.end_of_hold_or_lifetime(head);
                n += 1;
            }
        }
        n
    }

    /// A lease taken off its expiry queue: its hold or lifetime is over.
    fn end_of_hold_or_lifetime(&mut self, index: u32) {
        self.leases[index as usize].set_queue(Queue::None);
        match self.leases[index as usize].state {
            LeaseState::Declined => self.unbind(index),
            LeaseState::Bound => self.event(index, LeaseEventKind::Expired),
            _ => {}
        }
        self.free(index);
    }

    /// Every lease in use, for the views.
    pub fn leases(&self) -> impl Iterator<Item = (u32, LeaseView)> + '_ {
        self.leases
            .iter()
            .enumerate()
            .filter(|(_, l)| l.state != LeaseState::Unused)
            .map(|(i, l)| {
                let duid = self
                    .clients
                    .duid(l.client)
                    .and_then(|d| Duid::from_bytes(d).ok());
                (
                    i as u32,
                    LeaseView {
                        duid,
                        iaid: l.iaid,
                        kind: l.kind,
                        resource: l.resource,
                        len: l.len,
                        state: l.state,
                        preferred_until: l.preferred_until,
                        valid_until: l.valid_until,
                        route: self.route_of(l),
                        sw_if_index: l.sw_if_index,
                    },
                )
            })
    }

    /// Deletes every lease (pools and their cursors stay).
    pub fn clear(&mut self) -> usize {
        let in_use: Vec<u32> = self.leases().map(|(i, _)| i).collect();
        for &i in &in_use {
            self.forget(i);
        }
        in_use.len()
    }

    /// Leases per state, for counters and tests.
    pub fn count(&self, state: LeaseState) -> usize {
        self.leases.iter().filter(|l| l.state == state).count()
    }
}

/// One line of `show dhcp6-server leases`.
pub fn format_lease(l: &LeaseView, now: Time) -> String {
    let addr = core::net::Ipv6Addr::from(l.resource.to_be_bytes());
    let state = match l.state {
        LeaseState::Unused => "unused",
        LeaseState::Offered => "offered",
        LeaseState::Bound => "bound",
        LeaseState::Declined => "declined",
        LeaseState::Free => "free",
    };
    let kind = match l.kind {
        IaKind::Na => "IA_NA",
        IaKind::Pd => "IA_PD",
    };
    let duid = l.duid.as_ref().map_or("-".to_string(), |d| d.to_string());
    let mut line = format!(
        "{addr}/{} {state} {kind} iaid {} duid {duid}",
        l.len, l.iaid
    );
    if let Some(via) = l.route {
        let hop = core::net::Ipv6Addr::from(via.next_hop.to_be_bytes());
        line += &format!(" routed via {hop}");
    }
    if l.state == LeaseState::Bound {
        line += &format!(
            " preferred {}s valid {}s",
            l.preferred_until.saturating_sub(now),
            l.valid_until.saturating_sub(now)
        );
    }
    line
}

#[cfg(test)]
mod tests;
