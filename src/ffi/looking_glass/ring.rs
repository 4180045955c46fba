//! Transactions on their way from the packet path to the producer thread:
//! a bounded single-producer (the lease owner thread), single-consumer
//! (the producer thread) ring of fixed slots, allocated whole when the
//! looking glass starts. The packet path copies a message into the slot
//! at the tail and publishes it; a full ring drops and counts, it never
//! makes the packet path wait or allocate.

use std::cell::UnsafeCell;

use crate::ffi::spsc::Indices;

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
    /// Published once per frame by the packet path (`publish`).
    indices: Indices,
}

// SAFETY: one producer and one consumer (module comment); a slot is
// written only while `Indices` gives it to the producer (free, not yet
// published) and read only while it gives it to the consumer.
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
        let indices = Indices::new(slots.len());
        TransactionRing { slots, indices }
    }

    /// Published slots not yet taken (any thread).
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Slots dropped because the ring was full (any thread).
    pub fn dropped(&self) -> u64 {
        self.indices.dropped()
    }

    /// Producer: the free slot after the committed ones (None, counted,
    /// when full). Reserving again before `commit` gives the same slot.
    #[allow(clippy::mut_from_ref)]
    pub fn reserve(&self) -> Option<&mut Slot> {
        let at = self.indices.free_slot()?;
        // SAFETY: a free slot, not committed: the consumer does not touch
        // it until `publish` hands it over, and the one producer holds this
        // reference only until then.
        Some(unsafe { &mut *self.slots[at].get() })
    }

    /// Producer: the reserved slot is done; it goes with the next `publish`.
    pub fn commit(&self) {
        self.indices.commit();
    }

    /// Producer: hands every committed slot over (once per frame).
    pub fn publish(&self) {
        self.indices.publish();
    }

    /// Consumer: the oldest published slot.
    pub fn front(&self) -> Option<&Slot> {
        let at = self.indices.oldest()?;
        // SAFETY: a published slot: the producer finished it (Acquire in
        // `oldest`) and will not reuse it until `pop` releases it.
        Some(unsafe { &*self.slots[at].get() })
    }

    /// Consumer: done with the front slot.
    pub fn pop(&self) {
        self.indices.release();
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
