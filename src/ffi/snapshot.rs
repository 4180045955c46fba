//! Publication of immutable configuration snapshots to the workers.
//!
//! Workers read the current snapshot with one atomic load per packet and
//! never lock. The main thread builds a new snapshot on a copy and swaps the
//! pointer; the old one is freed at once, which is sound only because every
//! writer runs with VPP's worker barrier held (CLI and non-mp-safe API
//! handlers do): no worker is inside the graph, so none holds a reference.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Mutex;

pub struct Snapshot<T> {
    current: AtomicPtr<T>,
    /// Serialises writers (all on the main thread in VPP); never taken by
    /// readers.
    writer: Mutex<()>,
}

impl<T: Clone + Default> Snapshot<T> {
    pub const fn new() -> Self {
        Snapshot {
            current: AtomicPtr::new(ptr::null_mut()),
            writer: Mutex::new(()),
        }
    }

    /// The snapshot in force, if one was ever published.
    ///
    /// The reference must not outlive the current graph dispatch (one frame):
    /// the next barrier may free it.
    pub fn load(&self) -> Option<&T> {
        let p = self.current.load(Ordering::Acquire);
        // SAFETY: a non-null pointer came from Box::into_raw in `update` and
        // stays valid until a later `update`, which runs only while no reader
        // is inside the graph (worker barrier, see the module comment).
        unsafe { p.as_ref() }
    }

    /// Applies `change` to a copy of the current snapshot and publishes the
    /// copy if `change` succeeds; on error nothing changes.
    ///
    /// Callers must hold VPP's worker barrier (or be the only thread, as in
    /// tests) so that no reader holds the snapshot being replaced.
    pub fn update<R, E>(&self, change: impl FnOnce(&mut T) -> Result<R, E>) -> Result<R, E> {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut next = self.load().cloned().unwrap_or_default();
        let result = change(&mut next)?;
        let old = self
            .current
            .swap(Box::into_raw(Box::new(next)), Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: `old` came from Box::into_raw and was just unpublished;
            // no reader holds it (barrier held, see above).
            drop(unsafe { Box::from_raw(old) });
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_publishes_only_on_success() {
        let s: Snapshot<Vec<u32>> = Snapshot::new();
        assert!(s.load().is_none());
        s.update(|v| {
            v.push(1);
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(s.load(), Some(&vec![1]));
        let r = s.update(|v| {
            v.push(2);
            Err::<(), _>("refused")
        });
        assert_eq!(r, Err("refused"));
        assert_eq!(s.load(), Some(&vec![1]), "a failed change is not published");
    }
}
