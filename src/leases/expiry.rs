//! Leases leaving their state: expiry FIFOs (one per hold or lifetime
//! length, so the head is always next), release, decline and delete.

use super::*;

impl Shard {
    /// Extends a bound lease (Renew, Rebind).
    pub fn extend(&mut self, index: u32, now: Time, lifetimes: Lifetimes) {
        self.commit(index, LeaseState::Bound, now, lifetimes, 0);
    }

    pub(super) fn enqueue_expiry(&mut self, index: u32, duration: u32) {
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

    pub(super) fn dequeue(&mut self, index: u32) {
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
        self.event_if_held(index, LeaseEventKind::Deleted);
        self.unbind(index);
        self.free(index);
        true
    }

    /// Ends every hold and lifetime that is over at `now`; returns how many
    /// leases changed state. O(1) per expired lease.
    pub fn expire(&mut self, now: Time) -> usize {
        self.expire_some(now, usize::MAX)
    }

    /// `expire`, for at most `max` leases (the oldest first within each
    /// queue): the rest are due still, for a later call.
    pub fn expire_some(&mut self, now: Time, max: usize) -> usize {
        let mut n = 0;
        while let Some(&(expires, index)) = self.irregular.first() {
            if expires > now || n >= max {
                break;
            }
            self.irregular.pop_first();
            self.end_of_hold_or_lifetime(index);
            n += 1;
        }
        for q in 0..self.expiry.len() {
            loop {
                let head = self.expiry[q].1.head;
                if head == NIL || self.leases[head as usize].expires > now || n >= max {
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
    pub(super) fn end_of_hold_or_lifetime(&mut self, index: u32) {
        self.leases[index as usize].set_queue(Queue::None);
        match self.leases[index as usize].state {
            LeaseState::Declined => {
                self.event(index, LeaseEventKind::Expired);
                self.unbind(index);
            }
            LeaseState::Bound => self.event(index, LeaseEventKind::Expired),
            _ => {}
        }
        self.free(index);
    }

    /// Frees a lease's resource: back on its pool's reuse FIFO, remembered
    /// for its client; forgotten if the pool is gone.
    pub(super) fn free(&mut self, index: u32) {
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
    pub(super) fn forget(&mut self, index: u32) {
        self.dequeue(index);
        self.unroute(index);
        if let Some(region) = self.store.as_mut() {
            persist::write_slot(region.as_mut(), index, None);
        }
        self.unbind(index);
        self.unindex_resource(index);
        let before = self.usage(index);
        self.leases[index as usize] = Lease::unused();
        self.account(index, before);
        self.unused_slots.push(index);
    }
}
