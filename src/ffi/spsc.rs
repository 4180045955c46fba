//! The indices of a bounded single-producer, single-consumer ring (the
//! lease events' and the looking glass's rings keep their slots; this is
//! where the two sides meet). Each side writes only its own cache line
//! and re-reads the other's index only when the ring looks full or empty,
//! so a producer on the packet path and a consumer on another core do not
//! keep moving a line between them; the producer makes what it committed
//! visible with one store (`publish`), once per batch if it likes.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::OwnLine;

pub struct Indices {
    capacity: usize,
    producer: OwnLine<ProducerSide>,
    consumer: OwnLine<ConsumerSide>,
}

struct ProducerSide {
    /// Slots published (seen by the consumer); they only grow.
    tail: AtomicUsize,
    /// Slots committed, published at the next `publish`.
    next: Cell<usize>,
    /// The consumer's head as last read.
    head_seen: Cell<usize>,
    dropped: AtomicU64,
}

struct ConsumerSide {
    head: AtomicUsize,
    tail_seen: Cell<usize>,
}

// SAFETY: one producer and one consumer at a time (the rings' contract);
// each side's Cells are touched only by that side's thread, and the
// indices the other side reads are atomics (Release/Acquire).
unsafe impl Sync for Indices {}

impl Indices {
    pub fn new(capacity: usize) -> Self {
        Indices {
            capacity: capacity.max(1),
            producer: OwnLine(ProducerSide {
                tail: AtomicUsize::new(0),
                next: Cell::new(0),
                head_seen: Cell::new(0),
                dropped: AtomicU64::new(0),
            }),
            consumer: OwnLine(ConsumerSide {
                head: AtomicUsize::new(0),
                tail_seen: Cell::new(0),
            }),
        }
    }

    /// Producer: the slot after the committed ones, if it is free (else
    /// None, counted as dropped). The same until `commit`.
    pub fn free_slot(&self) -> Option<usize> {
        let p = &self.producer;
        let next = p.next.get();
        if next - p.head_seen.get() == self.capacity {
            p.head_seen.set(self.consumer.head.load(Ordering::Acquire));
            if next - p.head_seen.get() == self.capacity {
                p.dropped.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        }
        Some(next % self.capacity)
    }

    /// Producer: the free slot is written; it goes with the next `publish`.
    pub fn commit(&self) {
        let p = &self.producer;
        p.next.set(p.next.get() + 1);
    }

    /// Producer: hands every committed slot over.
    pub fn publish(&self) {
        let p = &self.producer;
        if p.tail.load(Ordering::Relaxed) != p.next.get() {
            p.tail.store(p.next.get(), Ordering::Release);
        }
    }

    /// Consumer: the oldest published slot, if any.
    pub fn oldest(&self) -> Option<usize> {
        let c = &self.consumer;
        let head = c.head.load(Ordering::Relaxed);
        if head == c.tail_seen.get() {
            c.tail_seen.set(self.producer.tail.load(Ordering::Acquire));
            if head == c.tail_seen.get() {
                return None;
            }
        }
        Some(head % self.capacity)
    }

    /// Consumer: done with the oldest slot (after `oldest` gave one).
    pub fn release(&self) {
        let c = &self.consumer;
        let head = c.head.load(Ordering::Relaxed);
        if head != c.tail_seen.get() {
            c.head.store(head + 1, Ordering::Release);
        }
    }

    /// Published slots not yet released (any thread).
    pub fn len(&self) -> usize {
        let head = self.consumer.head.load(Ordering::Acquire);
        self.producer.tail.load(Ordering::Acquire) - head
    }

    /// Slots the producer found no room for, and others counted with them.
    pub fn dropped(&self) -> u64 {
        self.producer.dropped.load(Ordering::Relaxed)
    }

    pub fn count_dropped(&self, n: u64) {
        self.producer.dropped.fetch_add(n, Ordering::Relaxed);
    }
}
