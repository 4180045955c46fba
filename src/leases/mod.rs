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
//! thread while the workers are parked at VPP's barrier. Its tables are
//! sized up front (for the pools, up to `MAX_RESERVED` entries, or for the
//! lease file's capacity), so serving a packet allocates only when a new
//! lease grows one past that (amortized; a growth that fails refuses the
//! lease instead of aborting).

mod allocate;
mod caps;
mod clients;
mod events;
mod expiry;
pub mod index;
pub mod kea_csv;
pub mod list;
mod lookahead;
mod persist;
pub mod pool;
mod routes;
pub mod store;

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::duid::Duid;
use crate::limits::{Limiter, Limits};
use allocate::Allocator;
use caps::Usage;
use clients::Clients;
pub use events::{LeaseEvent, LeaseEventKind, EVENTS_RESERVED};
use index::{IndexTable, KeyedHash};
use list::{Linked, Links, List, NIL};
pub use lookahead::{Lookahead, PrefetchAddresses};
pub use persist::{RestoreReport, StoreRegion};
pub use pool::{PoolSpec, ResourceKind};
use routes::ROUTE_OPS_RESERVED;
pub use routes::{RouteOp, RouteVia, ROUTE_ADD_PASSES};

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
    pub kind: ResourceKind,
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
            kind: ResourceKind::Na,
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
    pub kind: ResourceKind,
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
    route_ops: std::collections::VecDeque<RouteOp>,
    /// Route adds that failed (their next hop's interface is missing),
    /// tried again at paced passes (see `apply_route_ops`).
    route_retries: Vec<RouteOp>,
    /// Resources reserved for particular clients: never allocated to others.
    reserved: HashSet<(ResourceKind, u128)>,
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
    /// Where the resource index keeps the slot of the last-used pool's next
    /// never-used candidate (an address, for prefetching: a new allocation
    /// asks the index whether it is free, and at scale that read misses).
    next_candidate_slot: usize,
}

/// Hash of a lease's (kind, resource) key.
#[inline]
fn resource_hash(hash: &KeyedHash, kind: ResourceKind, resource: u128) -> u64 {
    hash.wide(kind as u8, resource)
}

impl Shard {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the server holds a lease (in any state) for this client.
    pub fn has_client(&self, duid: &[u8]) -> bool {
        self.clients.find(duid).is_some()
    }

    /// The client's lease for an IA, in any state but Unused.
    pub fn find(&self, duid: &[u8], kind: ResourceKind, iaid: u32) -> Option<u32> {
        let client = self.clients.find(duid)?;
        self.client_lease(client, kind, iaid)
    }

    /// Client `client`'s lease for an IA: a walk of the client's leases
    /// (one per IA; clients have a few).
    fn client_lease(&self, client: u32, kind: ResourceKind, iaid: u32) -> Option<u32> {
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
    pub fn holder(&self, kind: ResourceKind, resource: u128) -> Option<u32> {
        let leases = &self.leases;
        self.by_resource
            .find(resource_hash(&self.hash, kind, resource), |e| {
                let l = &leases[e as usize];
                l.kind == kind && l.resource == resource
            })
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
    pub fn is_bound_to(&self, index: u32, duid: &[u8], kind: ResourceKind, iaid: u32) -> bool {
        self.find(duid, kind, iaid) == Some(index)
    }

    /// Records the interface the client is served on.
    pub fn set_interface(&mut self, index: u32, sw_if_index: u32) {
        let before = self.usage(index);
        self.leases[index as usize].sw_if_index = sw_if_index;
        self.account(index, before);
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
        self.clear_kinds(&ResourceKind::ALL)
    }

    /// Deletes every lease of these kinds (one protocol's); their pools
    /// are whole again, allocating from the start of their windows.
    pub fn clear_kinds(&mut self, kinds: &[ResourceKind]) -> usize {
        let in_use: Vec<u32> = self
            .leases()
            .filter(|(_, l)| kinds.contains(&l.kind))
            .map(|(i, _)| i)
            .collect();
        for &i in &in_use {
            self.event_if_held(i, LeaseEventKind::Deleted);
            self.forget(i);
        }
        for a in &mut self.pools {
            if kinds.contains(&a.spec.kind()) {
                a.next = a.start;
            }
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
    let addr = match l.kind {
        ResourceKind::Ipv4 => pool::ipv4_of(l.resource).to_string(),
        _ => core::net::Ipv6Addr::from(l.resource.to_be_bytes()).to_string(),
    };
    let state = match l.state {
        LeaseState::Unused => "unused",
        LeaseState::Offered => "offered",
        LeaseState::Bound => "bound",
        LeaseState::Declined => "declined",
        LeaseState::Free => "free",
    };
    let kind = match l.kind {
        ResourceKind::Na => "IA_NA",
        ResourceKind::Pd => "IA_PD",
        ResourceKind::Ipv4 => "IPv4",
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
