//! Lease events for API subscribers: recorded only while someone is
//! subscribed, in a bounded buffer the main thread drains.

use super::*;

/// What happened to a lease, for API subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LeaseEventKind {
    Bound = 1,
    Renewed = 2,
    Released = 3,
    Expired = 4,
    Declined = 5,
    /// Removed by the operator (`dhcp6-server lease delete`, `clear`).
    Deleted = 6,
}

/// One lease event (Copy: it crosses threads through a ring).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseEvent {
    pub kind: LeaseEventKind,
    pub ia: ResourceKind,
    pub resource: u128,
    pub len: u8,
    pub iaid: u32,
    pub duid_len: u8,
    pub duid: [u8; crate::duid::MAX_DUID_LEN],
    pub valid_until: Time,
    pub sw_if_index: u32,
}

/// Events kept between two hand-overs; more are counted as dropped.
pub const EVENTS_RESERVED: usize = 1024;

impl Shard {
    /// Records an event about lease `index` (if subscribed; bounded).
    pub(super) fn event(&mut self, index: u32, kind: LeaseEventKind) {
        if !self.events_wanted {
            return;
        }
        if self.events.len() >= EVENTS_RESERVED || self.events.try_reserve(1).is_err() {
            self.events_dropped += 1;
            return;
        }
        let l = &self.leases[index as usize];
        let mut e = LeaseEvent {
            kind,
            ia: l.kind,
            resource: l.resource,
            len: l.len,
            iaid: l.iaid,
            duid_len: 0,
            duid: [0; crate::duid::MAX_DUID_LEN],
            valid_until: l.valid_until,
            sw_if_index: l.sw_if_index,
        };
        if let Some(d) = self.clients.duid(l.client) {
            e.duid[..d.len()].copy_from_slice(d);
            e.duid_len = d.len() as u8;
        }
        self.events.push(e);
    }

    /// An event about lease `index` if it holds its resource (bound or
    /// declined): a lease that only was offered or is free was never told.
    pub(super) fn event_if_held(&mut self, index: u32, kind: LeaseEventKind) {
        if matches!(
            self.leases[index as usize].state,
            LeaseState::Bound | LeaseState::Declined
        ) {
            self.event(index, kind);
        }
    }

    /// Hands the recorded events over, with the number dropped since the
    /// last hand-over.
    pub fn take_events(&mut self) -> (std::vec::Drain<'_, LeaseEvent>, u64) {
        let dropped = std::mem::take(&mut self.events_dropped);
        (self.events.drain(..), dropped)
    }
}
