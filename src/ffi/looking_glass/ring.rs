//! Transactions on their way from the packet path to the producer thread:
//! a bounded single-producer (the lease owner thread), single-consumer
//! (the producer thread) ring of fixed slots, allocated whole when the
//! looking glass starts. The packet path copies a message into the slot
//! at the tail and publishes it; a full ring drops and counts, it never
//! makes the packet path wait or allocate.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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
    head: AtomicUsize,
    tail: AtomicUsize,
    pub dropped: AtomicU64,
}

// SAFETY: one producer and one consumer (module comment); a slot is
// written only while outside [head, tail) and read only inside it, the
// Release/Acquire pairs on `tail` and `head` ordering the accesses.
unsafe impl Sync for TransactionRing {}

impl TransactionRing {
    pub fn new(capacity: usize) -> Self {
        TransactionRing {
            slots: (0..capacity.max(1))
                .map(|_| UnsafeCell::new(Slot::EMPTY))
                .collect(),
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.tail.load(Ordering::Acquire) - self.head.load(Ordering::Acquire)
    }

    /// Producer: the free slot at the tail (None, counted, when full). It
    /// becomes the consumer's only at `publish`; reserving again before
    /// that gives the same slot.
    #[allow(clippy::mut_from_ref)]
    pub fn reserve(&self) -> Option<&mut Slot> {
        let tail = self.tail.load(Ordering::Relaxed);
        if tail - self.head.load(Ordering::Acquire) == self.slots.len() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        // SAFETY: the slot is outside [head, tail): the consumer does not
        // touch it until `publish` moves the tail past it, and the one
        // producer holds this reference only until then.
        Some(unsafe { &mut *self.slots[tail % self.slots.len()].get() })
    }

    /// Producer: hands the reserved slot over.
    pub fn publish(&self) {
        let tail = self.tail.load(Ordering::Relaxed);
        self.tail.store(tail + 1, Ordering::Release);
    }

    /// Consumer: the oldest published slot.
    pub fn front(&self) -> Option<&Slot> {
        let head = self.head.load(Ordering::Relaxed);
        if head == self.tail.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: the slot is inside [head, tail): the producer finished it
        // (Acquire above) and will not reuse it until `pop` moves the head.
        Some(unsafe { &*self.slots[head % self.slots.len()].get() })
    }

    /// Consumer: done with the front slot.
    pub fn pop(&self) {
        let head = self.head.load(Ordering::Relaxed);
        if head != self.tail.load(Ordering::Acquire) {
            self.head.store(head + 1, Ordering::Release);
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
                ring.publish();
            }
        }
        assert_eq!(ring.dropped.load(Ordering::Relaxed), 1);
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
                            ring.publish();
                            break;
                        }
                        std::thread::yield_now();
                    }
                }
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
