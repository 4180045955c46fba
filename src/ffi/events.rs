//! Lease events on their way from the lease owner thread to the main thread,
//! which sends them to API subscribers: a bounded single-producer,
//! single-consumer ring. The producer is the owner thread, or the main
//! thread while the owner is parked at the barrier (never both at once);
//! the consumer is the main thread. A full ring drops and counts, it never
//! makes the producer wait.

use std::cell::UnsafeCell;

use super::spsc::Indices;
use crate::leases::LeaseEvent;

pub const CAPACITY: usize = 4096;

pub struct EventRing {
    slots: Box<[UnsafeCell<Option<LeaseEvent>>]>,
    indices: Indices,
}

// SAFETY: one producer and one consumer at a time (module comment); a slot
// is written only while `Indices` gives it to the producer and read only
// while it gives it to the consumer.
unsafe impl Sync for EventRing {}

impl EventRing {
    pub fn new() -> Self {
        EventRing {
            slots: (0..CAPACITY).map(|_| UnsafeCell::new(None)).collect(),
            indices: Indices::new(CAPACITY),
        }
    }

    /// Producer side. False (and counted) when full.
    pub fn push(&self, event: LeaseEvent) -> bool {
        let Some(at) = self.indices.free_slot() else {
            return false;
        };
        // SAFETY: a free slot: the consumer does not touch it until
        // `publish` hands it over.
        unsafe { *self.slots[at].get() = Some(event) };
        self.indices.commit();
        self.indices.publish();
        true
    }

    pub fn count_dropped(&self, n: u64) {
        self.indices.count_dropped(n);
    }

    /// Consumer side.
    pub fn pop(&self) -> Option<LeaseEvent> {
        let at = self.indices.oldest()?;
        // SAFETY: a published slot: the producer finished it (Acquire in
        // `oldest`) and will not reuse it until it is released.
        let event = unsafe { (*self.slots[at].get()).take() };
        self.indices.release();
        event
    }

    pub fn dropped(&self) -> u64 {
        self.indices.dropped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leases::{LeaseEventKind, ResourceKind};

    fn event(n: u32) -> LeaseEvent {
        LeaseEvent {
            kind: LeaseEventKind::Bound,
            ia: ResourceKind::Na,
            resource: u128::from(n),
            len: 128,
            iaid: n,
            duid_len: 0,
            duid: [0; crate::duid::MAX_DUID_LEN],
            valid_until: 0,
            sw_if_index: 0,
        }
    }

    #[test]
    fn fifo_bounded_and_counting_drops() {
        let ring = EventRing::new();
        for n in 0..CAPACITY as u32 + 5 {
            ring.push(event(n));
        }
        assert_eq!(ring.dropped(), 5);
        assert_eq!(ring.pop().map(|e| e.iaid), Some(0));
        assert!(ring.push(event(99)));
        let rest: Vec<u32> = std::iter::from_fn(|| ring.pop()).map(|e| e.iaid).collect();
        assert_eq!(rest.len(), CAPACITY);
        assert_eq!(*rest.last().unwrap(), 99);
    }

    #[test]
    fn one_producer_one_consumer_threads_see_every_event_in_order() {
        let ring = std::sync::Arc::new(EventRing::new());
        let producer = {
            let ring = ring.clone();
            std::thread::spawn(move || {
                for n in 0..100_000u32 {
                    while !ring.push(event(n)) {
                        std::thread::yield_now();
                    }
                }
            })
        };
        let mut next = 0u32;
        while next < 100_000 {
            if let Some(e) = ring.pop() {
                assert_eq!(e.iaid, next, "in order, none torn or lost");
                next += 1;
            }
        }
        producer.join().unwrap();
    }
}
