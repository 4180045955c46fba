//! Transactions on their way from the packet path to the producer thread:
//! a bounded single-producer (the lease owner thread), single-consumer
//! (the producer thread) ring of fixed slots, allocated whole when the
//! looking glass starts. The packet path copies a message into the slot
//! at the tail and publishes it; a full ring drops and counts, it never
//! makes the packet path wait or allocate.

use std::cell::{Cell, UnsafeCell};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::ffi::OwnLine;

/// Bytes a slot holds: the message received and the reply (each at most
/// a packet buffer: chained buffers are refused before).
pub const SLOT_BYTES: usize = 4096;

/// One transaction.
pub struct Slot {
    pub kind: u8,
    pub time: f64,
    pub in_len: u16,
    pub out_len: u16,
    pub data: [u8; SLOT_BYTES],
}

impl Slot {
    const EMPTY: Slot = Slot {
        kind: 0,
        time: 0.0,
        in_len: 0,
        out_len: 0,
        data: [0; SLOT_BYTES],
    };

    pub fn message_in(&self) -> &[u8] {
        &self.data[..usize::from(self.in_len)]
    }

    pub fn message_out(&self) -> &[u8] {
        let start = usize::from(self.in_len);
        &self.data[start..start + usize::from(self.out_len)]
    }

    /// Sets the message received (cut to the slot).
    pub fn set_in(&mut self, msg: &[u8]) {
        let n = msg.len().min(SLOT_BYTES);
        self.data[..n].copy_from_slice(&msg[..n]);
        self.in_len = n as u16;
        self.out_len = 0;
    }

    /// Sets the reply, after the message received (cut to what is left).
    pub fn set_out(&mut self, msg: &[u8]) {
        let start = usize::from(self.in_len);
        let n = msg.len().min(SLOT_BYTES - start);
        self.data[start..start + n].copy_from_slice(&msg[..n]);
        self.out_len = n as u16;
    }
}

pub struct TransactionRing {
    slots: Box<[UnsafeCell<Slot>]>,
    producer: OwnLine<ProducerSide>,
    consumer: OwnLine<ConsumerSide>,
}

/// The packet path's indices, on a cache line the consumer only reads
/// (`tail`, once per frame) so that serving a packet touches no line the
/// other core keeps writing.
struct ProducerSide {
    /// Slots published (seen by the consumer).
    tail: AtomicUsize,
    /// Slots committed, published at the end of the frame.
    next: Cell<usize>,
    /// The consumer's head as last read: read again only when the ring
    /// looks full.
    head_seen: Cell<usize>,
    dropped: AtomicU64,
}

struct ConsumerSide {
    head: AtomicUsize,
    tail_seen: Cell<usize>,
}

// SAFETY: one producer and one consumer (module comment); each side's
// Cells are touched only by its own thread; a slot is written only while
// outside [head, tail) and read only inside it, the Release/Acquire pairs
// on `tail` and `head` ordering the accesses.
unsafe impl Sync for TransactionRing {}

impl TransactionRing {
    pub fn new(capacity: usize) -> Self {
        let mut slots: Box<[UnsafeCell<Slot>]> = (0..capacity.max(1))
            .map(|_| UnsafeCell::new(Slot::EMPTY))
            .collect();
        // Every page written now, not at the first record it holds: the
        // allocator may hand out zeroed pages not yet mapped, and the first
        // write to each would be a page fault on the packet path.
        for cell in slots.iter_mut() {
            // SAFETY: a valid slot, borrowed exclusively.
            unsafe { std::ptr::write_volatile(cell.get_mut(), Slot::EMPTY) };
        }
        TransactionRing {
            slots,
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

    /// Published slots not yet taken (any thread).
    pub fn len(&self) -> usize {
        let head = self.consumer.0.head.load(Ordering::Acquire);
        self.producer.0.tail.load(Ordering::Acquire) - head
    }

    /// Slots dropped because the ring was full (any thread).
    pub fn dropped(&self) -> u64 {
        self.producer.0.dropped.load(Ordering::Relaxed)
    }

    /// Producer: the free slot after the committed ones (None, counted,
    /// when full). Reserving again before `commit` gives the same slot.
    #[allow(clippy::mut_from_ref)]
    pub fn reserve(&self) -> Option<&mut Slot> {
        let p = &self.producer.0;
        let next = p.next.get();
        if next - p.head_seen.get() == self.slots.len() {
            p.head_seen
                .set(self.consumer.0.head.load(Ordering::Acquire));
            if next - p.head_seen.get() == self.slots.len() {
                p.dropped.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        }
        // SAFETY: the slot is outside [head, tail) and not committed: the
        // consumer does not touch it until `publish` moves the tail past
        // it, and the one producer holds this reference only until then.
        Some(unsafe { &mut *self.slots[next % self.slots.len()].get() })
    }

    /// Producer: the reserved slot is done; it goes with the next `publish`.
    pub fn commit(&self) {
        let p = &self.producer.0;
        p.next.set(p.next.get() + 1);
    }

    /// Producer: hands every committed slot over (once per frame).
    pub fn publish(&self) {
        let p = &self.producer.0;
        if p.tail.load(Ordering::Relaxed) != p.next.get() {
            p.tail.store(p.next.get(), Ordering::Release);
        }
    }

    /// Consumer: the oldest published slot.
    pub fn front(&self) -> Option<&Slot> {
        let c = &self.consumer.0;
        let head = c.head.load(Ordering::Relaxed);
        if head == c.tail_seen.get() {
            c.tail_seen
                .set(self.producer.0.tail.load(Ordering::Acquire));
            if head == c.tail_seen.get() {
                return None;
            }
        }
        // SAFETY: the slot is inside [head, tail): the producer finished it
        // (Acquire above) and will not reuse it until `pop` moves the head.
        Some(unsafe { &*self.slots[head % self.slots.len()].get() })
    }

    /// Consumer: done with the front slot (after `front` gave one).
    pub fn pop(&self) {
        let c = &self.consumer.0;
        let head = c.head.load(Ordering::Relaxed);
        if head != c.tail_seen.get() {
            c.head.store(head + 1, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_fifo_that_counts_what_it_drops() {
        let ring = TransactionRing::new(2);
        for n in 0..3u8 {
            if let Some(s) = ring.reserve() {
                s.set_in(&[n; 10]);
                s.set_out(&[n; 5]);
                ring.commit();
            }
        }
        assert_eq!(ring.len(), 0, "nothing seen before the frame's end");
        ring.publish();
        assert_eq!(ring.dropped(), 1);
        assert_eq!(ring.len(), 2);
        let s = ring.front().unwrap();
        assert_eq!(
            (s.message_in(), s.message_out()),
            (&[0u8; 10][..], &[0u8; 5][..])
        );
        ring.pop();
        assert_eq!(ring.front().unwrap().message_in()[0], 1);
        ring.pop();
        assert!(ring.front().is_none());
        // A reply longer than what is left is cut to the slot.
        let s = ring.reserve().unwrap();
        s.set_in(&[1; SLOT_BYTES - 3]);
        s.set_out(&[2; 10]);
        assert_eq!(s.message_out().len(), 3);
    }

    #[test]
    fn a_producer_and_a_consumer_thread_see_every_slot_in_order() {
        let ring = std::sync::Arc::new(TransactionRing::new(64));
        let producer = {
            let ring = ring.clone();
            std::thread::spawn(move || {
                for n in 0..50_000u32 {
                    loop {
                        if let Some(s) = ring.reserve() {
                            s.set_in(&n.to_be_bytes());
                            ring.commit();
                            if n % 7 == 0 {
                                ring.publish();
                            }
                            break;
                        }
                        ring.publish();
                        std::thread::yield_now();
                    }
                }
                ring.publish();
            })
        };
        let mut next = 0u32;
        while next < 50_000 {
            if let Some(s) = ring.front() {
                assert_eq!(s.message_in(), next.to_be_bytes(), "in order, none torn");
                ring.pop();
                next += 1;
            }
        }
        producer.join().unwrap();
    }
}
