//! Allocation: pools and their windows, a client's IA given its previous
//! resource, a hint, a never-used one or the one freed longest ago, and
//! the binding of leases to clients.

use super::*;

#[derive(Debug)]
pub(super) struct Allocator {
    pub(super) spec: PoolSpec,
    /// This shard's window of the pool's indexes is [start, end); the
    /// cursor `next` moves from start to end over never-used indexes.
    pub(super) start: u128,
    pub(super) next: u128,
    pub(super) end: u128,
    pub(super) reuse: List,
    pub(super) active: bool,
    /// Leases of the pool offered, bound or declined: written by the owner
    /// thread only, read by the main thread for the stats gauges.
    pub(super) in_use: Arc<AtomicU64>,
}

impl Shard {
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

    pub(super) fn reserve_indexes(&mut self, entries: usize) {
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
    pub fn sync_reserved(&mut self, reserved: &HashSet<(ResourceKind, u128)>) {
        self.reserved.clone_from(reserved);
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

    /// Gives the client's IA its reserved `resource`, unless another client
    /// holds it (bound, offered or declined): then `Exhausted`, and the
    /// caller falls back to the pools.
    #[allow(clippy::too_many_arguments)]
    pub fn assign_fixed(
        &mut self,
        duid: &[u8],
        kind: ResourceKind,
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

    /// Gives the client's IA an address or prefix from `pools` (ids of
    /// active pools of the IA's kind), as `state` (Offered or Bound).
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &mut self,
        duid: &[u8],
        kind: ResourceKind,
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

    pub(super) fn in_window(&self, pool: u32, resource: u128, len: u8) -> bool {
        let a = &self.pools[pool as usize];
        a.spec
            .index_of(resource, len)
            .is_some_and(|i| a.start <= i && i < a.end)
    }

    pub(super) fn is_reserved(&self, kind: ResourceKind, resource: u128) -> bool {
        !self.reserved.is_empty() && self.reserved.contains(&(kind, resource))
    }

    pub(super) fn take_never_used(&mut self, pool: u32) -> Option<u128> {
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
                self.note_next_candidate(pool);
                return Some(resource);
            }
        }
    }

    fn note_next_candidate(&mut self, pool: u32) {
        let a = &self.pools[pool as usize];
        self.next_candidate_slot = if a.next < a.end {
            let hash = resource_hash(&self.hash, a.spec.kind(), a.spec.resource(a.next));
            self.by_resource.slot_address(hash) as usize
        } else {
            0
        };
    }

    /// The resource-index slot the next new allocation from the same pool
    /// will read (null: none), to prefetch while other packets are served.
    pub fn next_allocation_prefetch(&self) -> PrefetchAddresses {
        [
            self.next_candidate_slot as *const u8,
            std::ptr::null(),
            std::ptr::null(),
        ]
    }

    /// Sizes the tables for `leases` leases (and as many clients) now, off
    /// the packet path: grown there, a table is copied or rehashed whole
    /// while packets wait (at 500,000 leases, 80 ms of one packet's time,
    /// and the interface's ring overflows). Best effort: a table that
    /// cannot have the memory now grows later, as before. Main thread,
    /// barrier held or no workers.
    pub fn presize(&mut self, leases: usize) {
        let leases = leases.min(index::MAX_ENTRIES);
        self.reserve_indexes(leases);
        let _ = self
            .leases
            .try_reserve(leases.saturating_sub(self.leases.len()));
    }

    /// Where the big tables are (address, bytes): leases, clients, the
    /// client index and the resource index.
    pub fn table_memory(&self) -> [(usize, usize); 4] {
        let [clients, client_index] = self.clients.memory();
        let leases = (
            self.leases.as_ptr() as usize,
            self.leases.capacity() * size_of::<Lease>(),
        );
        [leases, clients, client_index, self.by_resource.memory()]
    }

    /// Whether the tables have room for one more lease: growing them may
    /// allocate, and a failure refuses the lease rather than aborting VPP.
    pub(super) fn has_memory(&mut self) -> bool {
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

    pub(super) fn new_lease(
        &mut self,
        duid: &[u8],
        kind: ResourceKind,
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
    pub(super) fn rebind(&mut self, index: u32, duid: &[u8], iaid: u32) {
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
    pub(super) fn unbind(&mut self, index: u32) {
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
    pub(super) fn commit(
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

    /// The active pool holding a resource, or NIL (for the exchanges).
    pub fn pool_of(&self, kind: ResourceKind, resource: u128, len: u8) -> u32 {
        self.pool_holding(kind, resource, len)
    }

    /// The active pool holding a resource, or NIL.
    pub(super) fn pool_holding(&self, kind: ResourceKind, resource: u128, len: u8) -> u32 {
        self.pools
            .iter()
            .position(|a| {
                a.active && a.spec.kind() == kind && a.spec.index_of(resource, len).is_some()
            })
            .map_or(NIL, |p| p as u32)
    }
}
