//! The lease file, mapped into memory shared with the kernel's page cache:
//! records written to it survive the process (kill -9), and `flush` makes
//! them survive the machine.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use crate::leases::StoreRegion;

pub struct MappedFile {
    ptr: *mut u8,
    len: usize,
    _file: File,
}

// SAFETY: the mapping is owned by this value; the shard that holds it is
// used by one thread at a time (see `shard_cell`).
unsafe impl Send for MappedFile {}

/// The mapping as the flusher sees it: main thread, without the shard.
static FLUSH_PTR: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static FLUSH_LEN: AtomicUsize = AtomicUsize::new(0);

impl MappedFile {
    /// Opens (creating it and its directory if needed) and maps `path`, at
    /// least `len` bytes long. Refuses a file another process holds.
    pub fn open(path: &Path, len: usize) -> Result<Self, String> {
        let show = path.display();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{show}: {e}"))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("{show}: {e}"))?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(format!("{show}: in use by another process"));
        }
        let current = file.metadata().map_err(|e| format!("{show}: {e}"))?.len() as usize;
        let len = len.max(current);
        if current < len {
            // Sparse: only pages with records take disk space.
            file.set_len(len as u64)
                .map_err(|e| format!("{show}: {e}"))?;
        }
        // SAFETY: mapping `len` bytes of a file that is at least that long,
        // shared, read-write; checked for MAP_FAILED below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!("{show}: mmap: {}", std::io::Error::last_os_error()));
        }
        FLUSH_PTR.store(ptr.cast(), Ordering::Release);
        FLUSH_LEN.store(len, Ordering::Release);
        Ok(MappedFile {
            ptr: ptr.cast(),
            len,
            _file: file,
        })
    }
}

/// Set by the flusher thread when an msync failed, until the main thread's
/// maintenance pass takes it (and logs it).
static FLUSH_FAILED: AtomicBool = AtomicBool::new(false);
static FLUSHER: std::sync::Once = std::sync::Once::new();
static FLUSHER_RUNNING: AtomicBool = AtomicBool::new(false);

/// Starts (once) the thread that writes the mapped lease file back to disk
/// every `interval()` seconds. `msync(MS_SYNC)` waits for the disk; on VPP's
/// main thread it stalled packet input for as long (over a second, seen
/// with no workers under load), so it has a thread of its own, which only
/// makes that system call.
pub fn start_flusher(interval: impl Fn() -> u32 + Send + 'static) {
    FLUSHER.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("dhcp6-lease-sync".into())
            .spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_secs(u64::from(interval().max(1))));
                if flush_mapped().is_err() {
                    FLUSH_FAILED.store(true, Ordering::Release);
                }
            });
        FLUSHER_RUNNING.store(spawned.is_ok(), Ordering::Release);
    });
}

/// For the maintenance pass: with the flusher thread running, whether its
/// flushes since the last call all worked; without it, flushes here.
pub fn flush_or_check() -> Result<(), String> {
    if FLUSHER_RUNNING.load(Ordering::Acquire) {
        if FLUSH_FAILED.swap(false, Ordering::AcqRel) {
            return Err("msync failed".into());
        }
        return Ok(());
    }
    flush_mapped()
}

/// Writes the mapped lease file back to disk and waits for it (workers keep
/// writing records meanwhile, which is fine).
pub fn flush_mapped() -> Result<(), String> {
    let (ptr, len) = (
        FLUSH_PTR.load(Ordering::Acquire),
        FLUSH_LEN.load(Ordering::Acquire),
    );
    if ptr.is_null() {
        return Ok(());
    }
    // SAFETY: the mapping lives until the process ends (the shard keeps it).
    if unsafe { libc::msync(ptr.cast(), len, libc::MS_SYNC) } != 0 {
        return Err(format!("msync: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

impl StoreRegion for MappedFile {
    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: `ptr` maps `len` bytes for as long as `self` lives, and
        // `&mut self` makes this the only slice of it.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    fn base(&self) -> *const u8 {
        self.ptr
    }

    fn flush(&mut self) -> Result<(), String> {
        flush_mapped()
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        FLUSH_PTR.store(std::ptr::null_mut(), Ordering::Release);
        // SAFETY: unmapping what `open` mapped; no slice of it outlives self.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
