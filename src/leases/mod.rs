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

pub mod kea_csv;
pub mod list;
pub mod pool;
pub mod store;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::duid::Duid;
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
    Reuse(u32),
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

/// Events kept between two hand-overs; more are counted as dropped.
pub const EVENTS_RESERVED: usize = 1024;

/// A route change for the main thread to make in VPP's FIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteOp {
    pub add: bool,
    pub prefix: u128,
    pub len: u8,
    pub via: RouteVia,
}

/// Route operations kept between two main-thread passes before it is
/// assumed to be stuck (further ones still queue, by allocating).
const ROUTE_OPS_RESERVED: usize = 4096;

#[derive(Debug, Clone)]
pub struct Lease {
    /// Client slot, NIL when none (declined).
    client: u32,
    pub iaid: u32,
    pub kind: IaKind,
    /// The address, or the first address of the delegated prefix.
    pub resource: u128,
    pub len: u8,
    pub state: LeaseState,
    pub pool: u32,
    pub preferred_until: Time,
    pub valid_until: Time,
    /// When the lease leaves its current state (offer or decline hold end,
    /// or valid lifetime end).
    pub expires: Time,
    /// The FIB route installed for a delegated prefix.
    pub route: Option<RouteVia>,
    /// Interface the client's messages last came in on.
    pub sw_if_index: u32,
    links: Links,
    queue: Queue,
}

impl Lease {
    fn unused() -> Self {
        Lease {
            client: NIL,
            iaid: 0,
            kind: IaKind::Na,
            resource: 0,
            len: 0,
            state: LeaseState::Unused,
            pool: NIL,
            preferred_until: 0,
            valid_until: 0,
            expires: 0,
            route: None,
            sw_if_index: NIL,
            links: Links::default(),
            queue: Queue::None,
        }
    }

    /// Lifetimes left at `now` (preferred, valid).
    pub fn remaining(&self, now: Time) -> (u32, u32) {
        (
            self.preferred_until.saturating_sub(now),
            self.valid_until.saturating_sub(now),
        )
    }
}

impl Linked for Vec<Lease> {
    fn links(&mut self, index: u32) -> &mut Links {
        &mut self[index as usize].links
    }
}

#[derive(Debug)]
struct Client {
    duid: Duid,
    n_leases: u32,
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

#[derive(Debug, Default)]
pub struct Shard {
    leases: Vec<Lease>,
    unused_slots: Vec<u32>,
    clients: Vec<Option<Client>>,
    unused_clients: Vec<u32>,
    client_by_duid: HashMap<Duid, u32>,
    binding: HashMap<(u32, IaKind, u32), u32>,
    by_resource: HashMap<(IaKind, u128), u32>,
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
    /// Leases restored from the file or imported, by expiry (their
    /// lifetimes differ, so the per-length FIFOs cannot order them).
    irregular: BTreeSet<(Time, u32)>,
    /// Lease events, recorded only while someone subscribed.
    pub events_wanted: bool,
    events: Vec<LeaseEvent>,
    events_dropped: u64,
}

/// Memory the lease records are written to (a mapped file in VPP).
pub trait StoreRegion: Send {
    fn bytes(&mut self) -> &mut [u8];
    /// Asks for the written records to reach the disk.
    fn flush(&mut self) -> Result<(), String>;
}

impl StoreRegion for Vec<u8> {
    fn bytes(&mut self) -> &mut [u8] {
        self
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
                    self.leases[lease as usize].queue = Queue::None;
                    self.forget(lease);
                }
            }
        }
        // Leases restored before their pool was configured find it now.
        for index in 0..self.leases.len() {
            let l = &self.leases[index];
            if l.state != LeaseState::Unused && l.pool == NIL {
                let pool = self.pool_holding(l.kind, l.resource, l.len);
                let before = self.usage(index as u32);
                self.leases[index].pool = pool;
                self.account(index as u32, before);
            }
        }
        let want = usize::try_from(total)
            .unwrap_or(usize::MAX)
            .min(MAX_RESERVED);
        // Best effort: a failure here only means growing later.
        let _ = self
            .by_resource
            .try_reserve(want.saturating_sub(self.by_resource.len()));
        let _ = self
            .binding
            .try_reserve(want.saturating_sub(self.binding.len()));
        let _ = self
            .client_by_duid
            .try_reserve(want.saturating_sub(self.client_by_duid.len()));
        let _ = self
            .leases
            .try_reserve(want.saturating_sub(self.leases.len()));
        let _ = self
            .route_ops
            .try_reserve(ROUTE_OPS_RESERVED.saturating_sub(self.route_ops.len()));
        ids
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
        let index = match self.by_resource.get(&(kind, resource)).copied() {
            Some(index) => {
                let mine = self.find(duid, kind, iaid) == Some(index);
                let lease = &self.leases[index as usize];
                if !mine && lease.state != LeaseState::Free {
                    return Err(Exhausted);
                }
                if !mine {
                    self.dequeue(index);
                    self.rebind(index, duid, iaid);
                }
                index
            }
            None if self.has_room() => self.new_lease(duid, kind, iaid, NIL, resource, len),
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

    fn client_slot(&self, duid: &[u8]) -> Option<u32> {
        self.client_by_duid.get(duid).copied()
    }

    /// The client's lease for an IA, in any state but Unused.
    pub fn find(&self, duid: &[u8], kind: IaKind, iaid: u32) -> Option<u32> {
        let client = self.client_slot(duid)?;
        self.binding.get(&(client, kind, iaid)).copied()
    }

    pub fn lease(&self, index: u32) -> &Lease {
        &self.leases[index as usize]
    }

    /// The lease holding `resource`, in any state.
    pub fn holder(&self, kind: IaKind, resource: u128) -> Option<u32> {
        self.by_resource.get(&(kind, resource)).copied()
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
            if lease.state != LeaseState::Declined && usable(self, lease.pool) {
                self.commit(index, state, now, lifetimes, offer_hold);
                return Ok(index);
            }
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
                if !self.by_resource.contains_key(&(kind, resource))
                    && !self.reserved.contains(&(kind, resource))
                    && self.has_room()
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
                self.leases[index as usize].queue = Queue::None;
                let l = &self.leases[index as usize];
                if self.reserved.contains(&(l.kind, l.resource)) {
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

    fn take_never_used(&mut self, pool: u32) -> Option<u128> {
        let a = &mut self.pools[pool as usize];
        while a.next < a.end {
            let resource = a.spec.resource(a.next);
            a.next += 1;
            // Skip what a hint already took ahead of the cursor, and what
            // is reserved for someone.
            let key = (a.spec.kind(), resource);
            if !self.by_resource.contains_key(&key) && !self.reserved.contains(&key) {
                return Some(resource);
            }
        }
        None
    }

    /// The pool and in-use state of a lease, before a change (for `account`).
    fn usage(&self, index: u32) -> (u32, bool) {
        let l = &self.leases[index as usize];
        (
            l.pool,
            matches!(
                l.state,
                LeaseState::Offered | LeaseState::Bound | LeaseState::Declined
            ),
        )
    }

    /// Moves the lease's count between pools' in-use gauges after a change.
    fn account(&mut self, index: u32, before: (u32, bool)) {
        let after = self.usage(index);
        if before == after {
            return;
        }
        if before.1 {
            if let Some(a) = self.pools.get(before.0 as usize) {
                a.in_use.fetch_sub(1, Ordering::Relaxed);
            }
        }
        if after.1 {
            if let Some(a) = self.pools.get(after.0 as usize) {
                a.in_use.fetch_add(1, Ordering::Relaxed);
            }
        }
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

    /// Whether a new lease can be recorded (the lease file has a slot).
    fn has_room(&mut self) -> bool {
        if let Some(r) = self.store.as_mut() {
            if self.unused_slots.is_empty()
                && self.leases.len() >= store::capacity_of(r.bytes().len())
            {
                return false;
            }
        }
        // Growing the tables may allocate; a failure refuses the lease
        // rather than aborting VPP.
        self.leases.try_reserve(1).is_ok()
            && self.by_resource.try_reserve(1).is_ok()
            && self.binding.try_reserve(1).is_ok()
            && self.client_by_duid.try_reserve(1).is_ok()
            && self.clients.try_reserve(1).is_ok()
            && self.route_ops.try_reserve(2).is_ok()
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
                self.leases.len() as u32 - 1
            }
        };
        let lease = &mut self.leases[index as usize];
        *lease = Lease::unused();
        lease.kind = kind;
        lease.resource = resource;
        lease.len = len;
        lease.pool = pool;
        lease.state = LeaseState::Free;
        self.by_resource.insert((kind, resource), index);
        self.rebind(index, duid, iaid);
        index
    }

    /// Moves a lease to the client's IA, releasing any earlier owner's claim.
    fn rebind(&mut self, index: u32, duid: &[u8], iaid: u32) {
        self.unbind(index);
        let client = self.client_for(duid);
        if let Some(c) = self.clients[client as usize].as_mut() {
            c.n_leases += 1;
        }
        let lease = &mut self.leases[index as usize];
        lease.client = client;
        lease.iaid = iaid;
        let kind = lease.kind;
        if let Some(old) = self.binding.insert((client, kind, iaid), index) {
            if old != index {
                // The IA held another resource: that one becomes free.
                self.leases[old as usize].client = NIL;
                self.put_client(client);
                self.free(old);
            }
        }
    }

    /// Drops the lease's client binding (the lease itself stays).
    fn unbind(&mut self, index: u32) {
        let lease = &self.leases[index as usize];
        let client = lease.client;
        if client == NIL {
            return;
        }
        let key = (client, lease.kind, lease.iaid);
        if self.binding.get(&key) == Some(&index) {
            self.binding.remove(&key);
        }
        self.leases[index as usize].client = NIL;
        self.put_client(client);
    }

    fn client_for(&mut self, duid: &[u8]) -> u32 {
        let key = Duid::from_bytes(duid).expect("DUID checked by the parser");
        if let Some(&slot) = self.client_by_duid.get(&key) {
            return slot;
        }
        let entry = Some(Client {
            duid: key.clone(),
            n_leases: 0,
        });
        let slot = match self.unused_clients.pop() {
            Some(s) => {
                self.clients[s as usize] = entry;
                s
            }
            None => {
                self.clients.push(entry);
                self.clients.len() as u32 - 1
            }
        };
        self.client_by_duid.insert(key, slot);
        slot
    }

    /// One lease fewer for the client; forget the client with its last one.
    fn put_client(&mut self, client: u32) {
        let Some(c) = self
            .clients
            .get_mut(client as usize)
            .and_then(Option::as_mut)
        else {
            return;
        };
        c.n_leases = c.n_leases.saturating_sub(1);
        if c.n_leases == 0 {
            let duid = c.duid.clone();
            self.client_by_duid.remove(&duid);
            self.clients[client as usize] = None;
            self.unused_clients.push(client);
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
        let record = matches!(l.state, LeaseState::Bound | LeaseState::Declined).then(|| {
            store::StoredLease {
                duid: self
                    .clients
                    .get(l.client as usize)
                    .and_then(Option::as_ref)
                    .map(|c| c.duid.clone()),
                iaid: l.iaid,
                kind: l.kind,
                resource: l.resource,
                len: l.len,
                state: l.state,
                preferred_until: l.preferred_until,
                valid_until: l.valid_until,
                expires: l.expires,
                sw_if_index: l.sw_if_index,
                route: l.route,
            }
        });
        store::write(region.bytes(), index, record.as_ref());
    }

    /// Attaches the lease file and rebuilds the leases it holds that are
    /// still valid at `now` (bound ones with their routes to reinstall,
    /// declined ones with their hold). Call before any lease exists.
    pub fn attach_store(
        &mut self,
        mut region: Box<dyn StoreRegion>,
        now: Time,
    ) -> Result<usize, String> {
        store::init_header(region.bytes())?;
        let capacity = store::capacity_of(region.bytes().len());
        let mut restored: Vec<(Time, u32)> = Vec::new();
        for index in 0..capacity as u32 {
            let Some(rec) = store::read(region.bytes(), index) else {
                continue;
            };
            let alive = match rec.state {
                LeaseState::Bound => rec.valid_until > now,
                _ => rec.expires > now,
            };
            if !alive || self.by_resource.contains_key(&(rec.kind, rec.resource)) {
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
            lease.pool = pool;
            self.account(index, before);
            self.by_resource.insert((rec.kind, rec.resource), index);
            if let (LeaseState::Bound, Some(duid)) = (rec.state, &rec.duid) {
                self.rebind(index, duid.as_bytes(), rec.iaid);
            }
            if let Some(via) = rec.route {
                self.leases[index as usize].route = Some(via);
                self.route_ops.push(RouteOp {
                    add: true,
                    prefix: rec.resource,
                    len: rec.len,
                    via,
                });
            }
            restored.push((self.leases[index as usize].expires, index));
        }
        for &(expires, index) in &restored {
            self.irregular.insert((expires, index));
            self.leases[index as usize].queue = Queue::Irregular;
        }
        self.store = Some(region);
        Ok(restored.len())
    }

    /// Adds a bound lease read from another server's lease file. Refused
    /// (false) if another client holds the resource or there is no room.
    pub fn import_lease(&mut self, l: &kea_csv::ImportedLease) -> bool {
        let duid = l.duid.as_bytes();
        let index = match self.by_resource.get(&(l.kind, l.resource)).copied() {
            Some(i)
                if self.find(duid, l.kind, l.iaid) == Some(i)
                    || self.leases[i as usize].state == LeaseState::Free =>
            {
                self.dequeue(i);
                self.rebind(i, duid, l.iaid);
                i
            }
            Some(_) => return false,
            None if self.has_room() => {
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
        lease.queue = Queue::Irregular;
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
            None => {
                self.expiry.push((duration, List::default()));
                self.expiry.len() - 1
            }
        };
        self.expiry[q].1.push_back(&mut self.leases, index);
        self.leases[index as usize].queue = Queue::Expiry(q as u16);
    }

    fn dequeue(&mut self, index: u32) {
        match self.leases[index as usize].queue {
            Queue::None => {}
            Queue::Expiry(q) => self.expiry[q as usize].1.unlink(&mut self.leases, index),
            Queue::Reuse(p) => self.pools[p as usize].reuse.unlink(&mut self.leases, index),
            Queue::Irregular => {
                self.irregular
                    .remove(&(self.leases[index as usize].expires, index));
            }
        }
        self.leases[index as usize].queue = Queue::None;
    }

    /// Frees a lease's resource: back on its pool's reuse FIFO, remembered
    /// for its client; forgotten if the pool is gone.
    fn free(&mut self, index: u32) {
        self.dequeue(index);
        self.unroute(index);
        let pool = self.leases[index as usize].pool;
        let lease = &mut self.leases[index as usize];
        let was_kept = matches!(lease.state, LeaseState::Bound | LeaseState::Declined);
        let before = (lease.pool, was_kept || lease.state == LeaseState::Offered);
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
                self.leases[index as usize].queue = Queue::Reuse(pool);
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
        let lease = &self.leases[index as usize];
        let key = (lease.kind, lease.resource);
        if self.by_resource.get(&key) == Some(&index) {
            self.by_resource.remove(&key);
        }
        let before = self.usage(index);
        self.leases[index as usize] = Lease::unused();
        self.account(index, before);
        self.unused_slots.push(index);
    }

    /// Records the interface the client is served on.
    pub fn set_interface(&mut self, index: u32, sw_if_index: u32) {
        self.leases[index as usize].sw_if_index = sw_if_index;
    }

    /// Routes a bound delegated prefix via `via` (replacing another route).
    pub fn set_route(&mut self, index: u32, via: RouteVia) {
        let lease = &self.leases[index as usize];
        if lease.kind != IaKind::Pd || lease.state != LeaseState::Bound || lease.route == Some(via)
        {
            return;
        }
        self.unroute(index);
        let lease = &mut self.leases[index as usize];
        lease.route = Some(via);
        self.route_ops.push(RouteOp {
            add: true,
            prefix: lease.resource,
            len: lease.len,
            via,
        });
        self.persist(index);
    }

    fn unroute(&mut self, index: u32) {
        let lease = &mut self.leases[index as usize];
        if let Some(via) = lease.route.take() {
            self.route_ops.push(RouteOp {
                add: false,
                prefix: lease.resource,
                len: lease.len,
                via,
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
        if let Some(c) = self.clients.get(l.client as usize).and_then(Option::as_ref) {
            let d = c.duid.as_bytes();
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
    pub fn requeue_route_op(&mut self, op: RouteOp) {
        self.route_ops.push(op);
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
            self.leases[index as usize].queue = Queue::None;
            if self.leases[index as usize].state == LeaseState::Declined {
                self.leases[index as usize].client = NIL;
            }
            if self.leases[index as usize].state == LeaseState::Bound {
                self.event(index, LeaseEventKind::Expired);
            }
            self.free(index);
            n += 1;
        }
        for q in 0..self.expiry.len() {
            loop {
                let head = self.expiry[q].1.head;
                if head == NIL || self.leases[head as usize].expires > now {
                    break;
                }
                self.expiry[q].1.unlink(&mut self.leases, head);
                self.leases[head as usize].queue = Queue::None;
                if self.leases[head as usize].state == LeaseState::Declined {
                    self.leases[head as usize].client = NIL;
                }
                if self.leases[head as usize].state == LeaseState::Bound {
                    self.event(head, LeaseEventKind::Expired);
                }
                self.free(head);
                n += 1;
            }
        }
        n
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
                    .get(l.client as usize)
                    .and_then(Option::as_ref)
                    .map(|c| c.duid.clone());
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
                        route: l.route,
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
