//! Lease events on their way from the lease owner thread to the main thread,
//! which sends them to API subscribers: a bounded single-producer,
//! single-consumer ring. The producer is the owner thread, or the main
//! thread while the owner is parked at the barrier (never both at once);
//! the consumer is the main thread. A full ring drops and counts, it never
//! makes the producer wait.

use std::cell::{Cell, UnsafeCell};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::OwnLine;
use crate::leases::LeaseEvent;

pub const CAPACITY: usize = 4096;

pub struct EventRing {
    slots: Box<[UnsafeCell<Option<LeaseEvent>>]>,
    producer: OwnLine<Side>,
    consumer: OwnLine<Side>,
}

/// One side's index (it only grows), the other side's as last read (read
/// again only when the ring looks full or empty), and the producer's drop
/// count: each side writes only its own line.
struct Side {
    index: AtomicUsize,
    other_seen: Cell<usize>,
    dropped: AtomicU64,
}

impl Side {
    fn new() -> OwnLine<Side> {
        OwnLine(Side {
            index: AtomicUsize::new(0),
            other_seen: Cell::new(0),
            dropped: AtomicU64::new(0),
        })
    }
}

// SAFETY: one producer and one consumer at a time (module comment), each
// touching only its own side's Cell; a slot is written only while outside
// [head, tail) and read only inside it, with the Release/Acquire pairs on
// the indices ordering the accesses.
unsafe impl Sync for EventRing {}

impl EventRing {
    pub fn new() -> Self {
        EventRing {
            slots: (0..CAPACITY).map(|_| UnsafeCell::new(None)).collect(),
            producer: Side::new(),
            consumer: Side::new(),
        }
    }

    /// Producer side. False (and counted) when full.
    pub fn push(&self, event: LeaseEvent) -> bool {
        let p = &self.producer;
        let tail = p.index.load(Ordering::Relaxed);
        if tail - p.other_seen.get() == CAPACITY {
            p.other_seen
                .set(self.consumer.index.load(Ordering::Acquire));
            if tail - p.other_seen.get() == CAPACITY {
                p.dropped.fetch_add(1, Ordering::Relaxed);
                return false;
            }
        }
        // SAFETY: the slot is outside [head, tail): the consumer does not
        // touch it until `tail` is published below.
        unsafe { *self.slots[tail % CAPACITY].get() = Some(event) };
        p.index.store(tail + 1, Ordering::Release);
        true
    }

    pub fn count_dropped(&self, n: u64) {
        self.producer.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Consumer side.
    pub fn pop(&self) -> Option<LeaseEvent> {
        let c = &self.consumer;
        let head = c.index.load(Ordering::Relaxed);
        if head == c.other_seen.get() {
            c.other_seen
                .set(self.producer.index.load(Ordering::Acquire));
            if head == c.other_seen.get() {
                return None;
            }
        }
        // SAFETY: the slot is inside [head, tail): the producer finished it
        // (Acquire above) and will not reuse it until `head` moves past.
        let event = unsafe { (*self.slots[head % CAPACITY].get()).take() };
        c.index.store(head + 1, Ordering::Release);
        event
    }

    pub fn dropped(&self) -> u64 {
        self.producer.dropped.load(Ordering::Relaxed)
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
