//! The lease file as the lease engine sees it: the region its records go
//! to, writing a lease's record, restoring leases at start, importing
//! another server's leases, and refusing leases the file could not keep.

use super::*;

/// Where a lease, stored in the file, lives; its file region is behind a
/// trait so tests can use plain memory.
pub trait StoreRegion: Send {
    /// The bytes that may be read and written: the file's disk space is
    /// reserved for all of them. May grow between calls, never shrinks.
    fn bytes(&mut self) -> &mut [u8];
    /// The length the file has room for (`bytes` grows up to it).
    fn full_len(&self) -> usize;
    /// Tells the region how many slots are in use (the highest index + 1),
    /// so that it can reserve space ahead of need.
    fn note_slots_used(&self, _slots: usize) {}
    /// Where the bytes start (to prefetch a slot; never read through).
    fn base(&self) -> *const u8;
    /// Tells the region that `range` of `bytes` was written: a region
    /// kept in memory writes those pages back to the file.
    fn wrote(&self, _range: core::ops::Range<usize>) {}
}

/// Writes slot `index` of the lease file (a tombstone for `None`) and tells
/// the region which bytes changed.
pub(super) fn write_slot(
    region: &mut dyn StoreRegion,
    index: u32,
    record: Option<&store::RecordRef<'_>>,
) {
    store::write(region.bytes(), index, record);
    region.wrote(store::slot_range(index));
}

impl StoreRegion for Vec<u8> {
    fn bytes(&mut self) -> &mut [u8] {
        self
    }
    fn full_len(&self) -> usize {
        self.len()
    }
    fn base(&self) -> *const u8 {
        self.as_ptr()
    }
}

impl core::fmt::Debug for dyn StoreRegion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StoreRegion")
    }
}

/// What restoring the lease file found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreReport {
    /// Leases rebuilt (still valid).
    pub restored: usize,
    /// Slots with a copy cut short by a crash (the other copy was used).
    pub torn: usize,
    /// Records lost: no whole copy, or one that cannot be a lease.
    pub damaged: usize,
}

impl Shard {
    /// Whether a lease of the client `duid` can be kept in the lease file
    /// (its DUID fits a record; a file was asked for and is open). Counts
    /// a refusal.
    pub(super) fn can_store(&mut self, duid: &[u8]) -> bool {
        let storable = match &self.store {
            Some(_) => duid.len() <= store::MAX_STORED_DUID,
            None => !self.store_required,
        };
        if !storable {
            self.store_refusals += 1;
        }
        storable
    }

    /// Whether a new lease can be recorded: the lease file has a slot whose
    /// disk space is reserved (a refusal is counted), and memory for the
    /// tables.
    pub(super) fn has_room(&mut self) -> bool {
        if !self.slot_available() {
            self.store_refusals += 1;
            return false;
        }
        self.has_memory()
    }

    /// Whether the lease file, if any, has a slot with disk space for a new
    /// lease.
    pub(super) fn slot_available(&mut self) -> bool {
        self.store.as_mut().is_none_or(|r| {
            !self.unused_slots.is_empty() || self.leases.len() < store::capacity_of(r.bytes().len())
        })
    }

    /// Writes the lease's record to the lease file (tombstone unless bound
    /// or declined). A memory write, no system call.
    pub(super) fn persist(&mut self, index: u32) {
        let Some(region) = self.store.as_mut() else {
            return;
        };
        let l = &self.leases[index as usize];
        let route = (l.route != NIL).then(|| self.routes[l.route as usize]);
        let record = matches!(l.state, LeaseState::Bound | LeaseState::Declined).then_some(
            store::RecordRef {
                duid: self.clients.duid(l.client),
                iaid: l.iaid,
                kind: l.kind,
                resource: l.resource,
                len: l.len,
                state: l.state,
                preferred_until: l.preferred_until,
                valid_until: l.valid_until,
                expires: l.expires,
                sw_if_index: l.sw_if_index,
                route,
            },
        );
        write_slot(region.as_mut(), index, record.as_ref());
    }

    /// Attaches the lease file and rebuilds the leases it holds that are
    /// still valid at `now` (bound ones with their routes to reinstall,
    /// declined ones with their hold). Call before any lease exists.
    /// Records that cannot be read are cleared and counted.
    pub fn attach_store(
        &mut self,
        mut region: Box<dyn StoreRegion>,
        now: Time,
    ) -> Result<RestoreReport, String> {
        store::init_header(region.bytes())?;
        let capacity = store::capacity_of(region.full_len());
        if capacity > index::MAX_ENTRIES {
            return Err(format!(
                "a lease file holds at most {} leases",
                index::MAX_ENTRIES
            ));
        }
        // Index tables sized for a full file now, so serving never rehashes
        // them (8 bytes per slot of the file each; the records themselves
        // still grow with use).
        self.reserve_indexes(capacity);
        let mut report = RestoreReport::default();
        let mut restored: Vec<(Time, u32)> = Vec::new();
        // Only the part of the file whose space is reserved holds records.
        for index in 0..store::capacity_of(region.bytes().len()) as u32 {
            match store::scrub(region.bytes(), index) {
                store::SlotCondition::Sound => {}
                store::SlotCondition::Torn => report.torn += 1,
                store::SlotCondition::Damaged => report.damaged += 1,
            }
            let rec = match store::read(region.bytes(), index) {
                Ok(Some(rec)) => rec,
                Ok(None) => continue,
                Err(store::Damaged) => {
                    report.damaged += 1;
                    write_slot(region.as_mut(), index, None);
                    continue;
                }
            };
            let alive = match rec.state {
                LeaseState::Bound => rec.valid_until > now,
                _ => rec.expires > now,
            };
            if !alive || self.holder(rec.kind, rec.resource).is_some() {
                write_slot(region.as_mut(), index, None);
                continue;
            }
            while self.leases.len() <= index as usize {
                self.unused_slots.push(self.leases.len() as u32);
                self.leases.push(Lease::unused());
            }
            self.unused_slots.retain(|i| *i != index);
            let pool = self.pool_holding(rec.kind, rec.resource, rec.len);
            let before = self.usage(index);
            let lease = &mut self.leases[index as usize];
            *lease = Lease::unused();
            lease.kind = rec.kind;
            lease.resource = rec.resource;
            lease.len = rec.len;
            lease.state = rec.state;
            lease.preferred_until = rec.preferred_until;
            lease.valid_until = rec.valid_until;
            lease.expires = if rec.state == LeaseState::Bound {
                rec.valid_until
            } else {
                rec.expires
            };
            lease.sw_if_index = rec.sw_if_index;
            lease.pool = pool_field(pool);
            self.account(index, before);
            if !self.has_memory() {
                return Err("out of memory restoring leases".into());
            }
            self.index_resource(index);
            if let (LeaseState::Bound, Some(duid)) = (rec.state, &rec.duid) {
                self.rebind(index, duid.as_bytes(), rec.iaid);
            }
            if let Some(via) = rec.route {
                self.leases[index as usize].route = self.routes.len() as u32;
                self.routes.push(via);
                self.route_ops.push_back(RouteOp {
                    add: true,
                    prefix: rec.resource,
                    len: rec.len,
                    via,
                    tries: 0,
                });
            }
            restored.push((self.leases[index as usize].expires, index));
        }
        for &(expires, index) in &restored {
            self.irregular.insert((expires, index));
            self.leases[index as usize].set_queue(Queue::Irregular);
        }
        region.note_slots_used(self.leases.len());
        // The header may be new, and scrubbing rewrites torn copies.
        let restored_len = region.bytes().len();
        region.wrote(0..restored_len);
        self.store = Some(region);
        self.store_required = false;
        report.restored = restored.len();
        Ok(report)
    }

    /// A lease file was asked for and could not be opened: until one is
    /// attached, no lease is given (none could be kept).
    pub fn require_store(&mut self) {
        self.store_required = true;
    }

    /// Leases are given without a lease file (the operator said so).
    pub fn forgo_store(&mut self) {
        self.store_required = false;
    }

    /// Leases refused because the lease file could not keep them.
    pub fn store_refusals(&self) -> u64 {
        self.store_refusals
    }

    /// Adds a bound lease read from another server's lease file. Refused
    /// (false) if another client holds the resource or there is no room.
    pub fn import_lease(&mut self, l: &kea_csv::ImportedLease) -> bool {
        let duid = l.duid.as_bytes();
        let index = match self.holder(l.kind, l.resource) {
            Some(i)
                if self.can_store(duid)
                    && (self.find(duid, l.kind, l.iaid) == Some(i)
                        || self.leases[i as usize].state == LeaseState::Free) =>
            {
                self.dequeue(i);
                self.rebind(i, duid, l.iaid);
                i
            }
            Some(_) => return false,
            None if self.can_store(duid) && self.has_room() => {
                let pool = self.pool_holding(l.kind, l.resource, l.len);
                self.new_lease(duid, l.kind, l.iaid, pool, l.resource, l.len)
            }
            None => return false,
        };
        let before = self.usage(index);
        self.leases[index as usize].state = LeaseState::Bound;
        self.account(index, before);
        let lease = &mut self.leases[index as usize];
        lease.preferred_until = l.preferred_until;
        lease.valid_until = l.valid_until;
        lease.expires = l.valid_until;
        lease.set_queue(Queue::Irregular);
        self.irregular.insert((l.valid_until, index));
        self.persist(index);
        true
    }

    /// The lease file's bytes (export, tests).
    pub fn store_bytes(&mut self) -> Option<&[u8]> {
        self.store.as_mut().map(|r| &*r.bytes())
    }

    /// Keeps `duid` as the server DUID in the lease file's header, to be
    /// the same after a restart even if it was derived from an interface.
    pub fn keep_server_duid(&mut self, duid: &crate::duid::Duid) {
        let Some(region) = self.store.as_mut() else {
            return;
        };
        let bytes = region.bytes();
        if store::header_duid(bytes).as_ref() != Some(duid) {
            store::set_header_duid(bytes, duid);
            region.wrote(0..store::HEADER_LEN);
        }
    }

    pub fn has_store(&self) -> bool {
        self.store.is_some()
    }
}
