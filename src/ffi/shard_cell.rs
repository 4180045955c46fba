//! The lease engine's home. One shard, owned by one thread: the shim hands
//! every DHCPv6 packet to that thread, and everything else (configuration,
//! views) runs on the main thread with the workers parked at VPP's barrier.
//! So at any moment exactly one thread uses the shard, and it needs no lock.

use std::cell::UnsafeCell;
use std::sync::OnceLock;

use crate::leases::Shard;

pub struct ShardCell {
    shard: OnceLock<UnsafeCell<Shard>>,
}

// SAFETY: access is serialised by the ownership rule in the module comment;
// `owner` is unsafe and states it.
unsafe impl Sync for ShardCell {}

impl ShardCell {
    pub const fn new() -> Self {
        ShardCell {
            shard: OnceLock::new(),
        }
    }

    /// The shard, for the one thread that may use it now.
    ///
    /// # Safety
    /// The caller is the owner thread inside the graph, or the main thread
    /// with the worker barrier held; no other reference is alive.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn owner(&self) -> &mut Shard {
        let cell = self.shard.get_or_init(|| UnsafeCell::new(Shard::new()));
        // SAFETY: exclusive by the caller's contract.
        unsafe { &mut *cell.get() }
    }
}
