//! FIB routes of delegated prefixes: recorded with the lease, handed to
//! the main thread as route operations, retried while their interface is
//! not there yet.

use super::*;

/// Where a delegated prefix is routed: next hop in a FIB table, through an
/// interface, or recursively (`sw_if_index` u32::MAX) for relayed clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteVia {
    pub next_hop: u128,
    pub sw_if_index: u32,
    pub fib_index: u32,
}

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
pub(super) const ROUTE_OPS_RESERVED: usize = 4096;

impl Shard {
    /// The FIB route of a delegated prefix's lease.
    pub fn route(&self, index: u32) -> Option<RouteVia> {
        self.route_of(&self.leases[index as usize])
    }

    pub(super) fn route_of(&self, l: &Lease) -> Option<RouteVia> {
        (l.route != NIL).then(|| self.routes[l.route as usize])
    }

    /// Routes a bound delegated prefix via `via` (replacing another route).
    pub fn set_route(&mut self, index: u32, via: RouteVia) {
        let lease = &self.leases[index as usize];
        if lease.kind != ResourceKind::Pd
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
        self.route_ops.push_back(RouteOp {
            add: true,
            prefix: lease.resource,
            len: lease.len,
            via,
            tries: 0,
        });
        self.persist(index);
    }

    pub(super) fn unroute(&mut self, index: u32) {
        let lease = &mut self.leases[index as usize];
        let slot = std::mem::replace(&mut lease.route, NIL);
        if slot != NIL {
            let via = self.routes[slot as usize];
            self.unused_routes.push(slot);
            self.route_ops.push_back(RouteOp {
                add: false,
                prefix: lease.resource,
                len: lease.len,
                via,
                tries: 0,
            });
        }
    }

    /// Withdraws the routes of the prefixes bound from `spec`'s pool, once
    /// it is no longer configured (its prefix group's prefix went away):
    /// the leases stay bound, so that a Renew or Rebind is told lifetimes 0
    /// for them, but nothing is routed to them any more. Returns how many.
    pub fn withdraw_routes_of(&mut self, spec: &PoolSpec) -> usize {
        let gone: Vec<u32> = (0..self.pools.len() as u32)
            .filter(|&id| {
                let a = &self.pools[id as usize];
                !a.active && a.spec == *spec
            })
            .collect();
        let mut withdrawn = 0;
        for index in 0..self.leases.len() as u32 {
            let l = &self.leases[index as usize];
            if l.kind == ResourceKind::Pd && l.route != NIL && gone.contains(&l.pool()) {
                self.unroute(index);
                self.persist(index);
                withdrawn += 1;
            }
        }
        withdrawn
    }

    /// Hands pending FIB changes to `apply`, oldest first, while `more`
    /// (told how many were handed so far) says so, and returns how many;
    /// with `retry_due`, the adds that failed before go first. `apply`
    /// returns false when the change could not be made (the next hop's
    /// interface does not exist yet): an add is then tried again at later
    /// paced passes, `ROUTE_ADD_PASSES` in all, unless a later change
    /// removes the same route; a removal is not kept (there is nothing to
    /// remove), and it ends the retries of its route.
    pub fn apply_route_ops(
        &mut self,
        mut more: impl FnMut(u32) -> bool,
        retry_due: bool,
        mut apply: impl FnMut(&RouteOp) -> bool,
    ) -> u32 {
        let mut n = 0;
        if retry_due {
            let retries = std::mem::take(&mut self.route_retries);
            for op in retries {
                if !more(n) {
                    self.route_retries.push(op);
                    continue;
                }
                n += 1;
                if !apply(&op) && op.tries + 1 < ROUTE_ADD_PASSES {
                    self.route_retries.push(RouteOp {
                        tries: op.tries + 1,
                        ..op
                    });
                }
            }
        }
        while !self.route_ops.is_empty() && more(n) {
            let Some(op) = self.route_ops.pop_front() else {
                break;
            };
            n += 1;
            let same = |o: &RouteOp| o.prefix == op.prefix && o.len == op.len && o.via == op.via;
            if !op.add {
                self.route_retries.retain(|o| !same(o));
            }
            if !apply(&op) && op.add && !self.route_ops.iter().any(|o| !o.add && same(o)) {
                self.route_retries.push(RouteOp { tries: 1, ..op });
            }
        }
        n
    }

    /// Whether route changes never tried are waiting (retries wait for the
    /// next paced pass).
    pub fn has_new_route_ops(&self) -> bool {
        !self.route_ops.is_empty()
    }

    /// Hands the pending FIB changes over, oldest first.
    pub fn take_route_ops(&mut self) -> std::collections::vec_deque::Drain<'_, RouteOp> {
        self.route_ops.drain(..)
    }

    pub fn has_route_ops(&self) -> bool {
        !self.route_ops.is_empty() || !self.route_retries.is_empty()
    }
}
