//! Caps on leases in use per client and per interface, and the counts
//! behind them and the pool gauges.

use super::*;

/// What `account` compares before and after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Usage {
    pub(super) pool: u32,
    pub(super) sw_if_index: u32,
    pub(super) in_use: bool,
}

impl Shard {
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
    pub(super) fn within_caps(&self, duid: &[u8]) -> bool {
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

    /// The pool, interface and in-use state of a lease, before a change
    /// (for `account`).
    pub(super) fn usage(&self, index: u32) -> Usage {
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
    pub(super) fn account(&mut self, index: u32, before: Usage) {
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

    /// The active pools with their in-use counts (shared, read without the
    /// shard by the main thread).
    pub fn pool_gauges(&self) -> Vec<(PoolSpec, Arc<AtomicU64>)> {
        self.pools
            .iter()
            .filter(|a| a.active)
            .map(|a| (a.spec, a.in_use.clone()))
            .collect()
    }
}
