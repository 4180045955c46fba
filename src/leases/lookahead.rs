//! Prefetching for the packets behind the one being served: what a
//! client's next request will read, worked out in steps.

use super::*;

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

impl Shard {
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
}
