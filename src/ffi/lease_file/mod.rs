//! The lease file on disk. It is mapped into memory shared with the
//! kernel's page cache, so records written to it survive the process
//! (kill -9); a thread of its own (`dhcp6-lease-sync`) writes it back to
//! disk (`msync`) so they survive the machine.
//!
//! A write into a page of a shared mapping that has no disk block behind it
//! is a SIGBUS when the filesystem is full: it would take VPP down. So no
//! byte is ever written (or read: tmpfs allocates on read faults too) past
//! the part of the file whose blocks are reserved (`posix_fallocate`). The
//! reserved part starts at what the file already holds plus a step, and the
//! space thread (`dhcp6-lease-space`) reserves further steps ahead of need; the lease engine sees
//! only the reserved part (`StoreRegion::bytes`) and refuses a lease with no
//! reserved slot. The pages are also locked in memory, so a failing disk
//! cannot fault the dataplane on a read either.
//!
//! The space thread also checks that the path still names the file: if it
//! was deleted or replaced, the main thread writes the leases to a new file
//! at the path and maps it in place of the old one (`rehome_if_lost`).

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::leases::store::{self, FileKind, HEADER_LEN, SLOT_LEN};
use crate::leases::StoreRegion;

mod shadow;
mod upkeep;
pub use upkeep::{is_lost, rehome_if_lost, start_threads};

const PAGE: usize = 4096;
/// The smallest step of reservation (4 MiB). The first one is at least a
/// sixteenth of the capacity; then each step doubles what is reserved, once
/// half of it is in use, so that a burst of new clients stays inside the
/// reserved part.
const STEP_SLOTS: usize = 16384;
/// A step is reserved and made usable in chunks of this many bytes.
const CHUNK_BYTES: usize = STEP_SLOTS * SLOT_LEN;
/// How often the space thread looks at the reservation: every millisecond
/// while new slots are being taken, every 10 ms while none are.
const TICK_BUSY: Duration = Duration::from_millis(1);
const TICK_IDLE: Duration = Duration::from_millis(10);
const PATH_CHECK: Duration = Duration::from_secs(1);

/// The shard's view of the mapping: only the reserved part.
#[derive(Debug)]
pub struct MappedFile {
    ptr: *mut u8,
    len: usize,
    /// Where the working copy's pages written since the last pass are
    /// marked (None: the lease file itself is mapped).
    dirty: Option<Arc<shadow::Dirty>>,
}

// SAFETY: the mapping lives until the process ends; the shard that holds
// this view is used by one thread at a time (see `shard_cell`).
unsafe impl Send for MappedFile {}

/// The file behind the mapping (main thread and the two threads).
struct Disk {
    file: File,
    path: PathBuf,
    dev: u64,
    ino: u64,
    /// The working copy the dataplane maps, if any.
    shadow: Option<shadow::Shadow>,
}

static DISK: Mutex<Option<Disk>> = Mutex::new(None);
static MAP_PTR: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static MAP_LEN: AtomicUsize = AtomicUsize::new(0);
/// Bytes from the start of the file whose disk space is reserved.
static RESERVED: AtomicUsize = AtomicUsize::new(0);
/// Slots in use (highest index + 1), told by the lease engine.
static SLOTS_USED: AtomicUsize = AtomicUsize::new(0);
static FLUSH_FAILURES: AtomicU64 = AtomicU64::new(0);
/// The path no longer names the mapped file (deleted or replaced).
static LOST: AtomicBool = AtomicBool::new(false);
/// Set while the last attempt to reserve more space failed.
static FULL: AtomicBool = AtomicBool::new(false);
/// Lines for VPP's log, written by any thread, taken by the main thread.
static MESSAGES: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());
static LAST_ERROR: Mutex<String> = Mutex::new(String::new());
/// The working copy's path, for `status` (the main thread must not wait
/// for `DISK`, which the lease file's threads hold across disk writes).
static WORKING_COPY: Mutex<Option<PathBuf>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Queues a line for VPP's log and remembers it as the last error.
fn report(text: String) {
    *lock(&LAST_ERROR) = text.clone();
    log(text);
}

/// Queues a line for VPP's log.
pub fn log(text: String) {
    let mut queue = lock(&MESSAGES);
    if queue.len() < 64 {
        queue.push_back(text);
    }
}

/// The next line for VPP's log, if any (main thread).
pub fn take_message() -> Option<String> {
    lock(&MESSAGES).pop_front()
}

fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

/// Bytes free for an unprivileged writer on the filesystem holding `path`.
fn free_space(path: &Path) -> Option<u64> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs fills the struct we pass; `c` is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    (unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0).then(|| st.f_bavail * st.f_frsize)
}

/// Reserves disk space for `[from, to)` of the file, and writes zeros into
/// every part of it that holds no data yet. `posix_fallocate` alone is not
/// enough: ext4 hands out unwritten extents, and the first write into one
/// through the mapping may still need a block to split the extent (seen: a
/// SIGBUS on a full 8 MiB ext4 with 1 KiB blocks). Written zeros make every
/// block an ordinary one, and a failure shows here, as an error, instead of
/// in the dataplane.
fn reserve(file: &File, from: usize, to: usize) -> std::io::Result<()> {
    let len = (to - from) as libc::off_t;
    // SAFETY: posix_fallocate on a descriptor we own.
    match unsafe { libc::posix_fallocate(file.as_raw_fd(), from as libc::off_t, len) } {
        0 => {}
        e => return Err(std::io::Error::from_raw_os_error(e)),
    }
    if let Some(data) = data_extents(file, from, to) {
        let mut at = from;
        for (start, end) in data {
            write_zeros(file, at, start)?;
            at = end;
        }
        write_zeros(file, at, to)?;
    }
    Ok(())
}

/// The parts of `[from, to)` that hold data (ext4's unwritten extents do
/// not), in order; None where the filesystem cannot tell.
fn data_extents(file: &File, from: usize, to: usize) -> Option<Vec<(usize, usize)>> {
    let fd = file.as_raw_fd();
    let mut found = Vec::new();
    let mut at = from;
    while at < to {
        // SAFETY: lseek on a descriptor we own.
        let data = unsafe { libc::lseek(fd, at as libc::off_t, libc::SEEK_DATA) };
        if data < 0 {
            // ENXIO: no data past `at`.
            let errno = std::io::Error::last_os_error().raw_os_error();
            return (errno == Some(libc::ENXIO)).then_some(found);
        }
        let data = data as usize;
        if data >= to {
            break;
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(fd, data as libc::off_t, libc::SEEK_HOLE) };
        if hole <= data as libc::off_t {
            return None;
        }
        let end = (hole as usize).min(to);
        found.push((data, end));
        at = end;
    }
    Some(found)
}

fn write_zeros(file: &File, from: usize, to: usize) -> std::io::Result<()> {
    const CHUNK: usize = 64 * 1024;
    let zeros = vec![0u8; CHUNK];
    let mut at = from;
    while at < to {
        let n = CHUNK.min(to - at);
        file.write_all_at(&zeros[..n], at as u64)?;
        at += n;
    }
    Ok(())
}

/// Reserves the file up to `needed` bytes (from `from` on: what is below
/// is reserved already) and as much of `extra` more as there is room for
/// (halving down to a page); returns the bytes reserved.
fn reserve_at_least(
    file: &File,
    path: &Path,
    from: usize,
    needed: usize,
    mut extra: usize,
) -> Result<usize, String> {
    loop {
        let target = needed + extra;
        match reserve(file, from, target) {
            Ok(()) => return Ok(target),
            Err(e) if extra == 0 => {
                return Err(format!(
                    "{}: cannot reserve {target} bytes of disk space for the lease file ({e}; {} bytes free there)",
                    path.display(),
                    free_space(path).map_or("unknown".into(), |f| f.to_string()),
                ));
            }
            Err(_) => {
                extra = if extra > PAGE {
                    round_up(extra / 2, PAGE)
                } else {
                    0
                }
            }
        }
    }
}

/// Where the file's data ends (the end of its last data extent); the
/// whole file where the filesystem cannot tell.
fn data_end(file: &File, len: usize) -> usize {
    data_extents(file, 0, len).map_or(len, |d| d.last().map_or(0, |e| e.1))
}

/// Opens `path` read-write, created (owner only) if missing.
fn open_rw(path: &Path, truncate: bool) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(truncate)
        .mode(0o600)
        .open(path)
}

fn open_locked(path: &Path, truncate: bool) -> Result<File, String> {
    let show = path.display();
    let file =
        open_rw(path, truncate).map_err(|e| format!("{show}: cannot open the lease file: {e}"))?;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(format!("{show}: in use by another process"));
    }
    Ok(file)
}

/// Maps `len` bytes of `file` from `offset` on, shared and read-write, at
/// `at` if not null (replacing what is mapped or reserved there).
fn map(file: &File, offset: usize, len: usize, at: *mut u8) -> Result<*mut u8, String> {
    let fixed = if at.is_null() { 0 } else { libc::MAP_FIXED };
    // SAFETY: mapping a descriptor we own; with MAP_FIXED, `at` is our own
    // mapping or reserved address space of the same length, replaced whole.
    // Checked for MAP_FAILED.
    let ptr = unsafe {
        libc::mmap(
            at.cast(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | fixed,
            file.as_raw_fd(),
            offset as libc::off_t,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(format!("mmap: {}", std::io::Error::last_os_error()));
    }
    Ok(ptr.cast())
}

/// Keeps `[from, to)` of the mapping in memory (best effort: without it a
/// read fault on a failing disk would be a SIGBUS).
fn lock_pages(ptr: *mut u8, from: usize, to: usize) {
    static TOLD: AtomicBool = AtomicBool::new(false);
    if to > from {
        // SAFETY: the range lies inside our mapping; mlock only pins pages.
        let rc = unsafe { libc::mlock(ptr.add(from).cast(), to - from) };
        if rc != 0 && !TOLD.swap(true, Ordering::AcqRel) {
            report(format!(
                "lease file pages not locked in memory: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
}

fn identity(file: &File) -> Result<(u64, u64), String> {
    let m = file.metadata().map_err(|e| e.to_string())?;
    Ok((m.dev(), m.ino()))
}

/// Makes `file` (at `path`, `reserved` bytes reserved, mapped at `ptr`
/// itself or through its working copy) the lease file the threads watch.
fn install(
    file: File,
    path: &Path,
    ptr: *mut u8,
    len: usize,
    reserved: usize,
    shadow: Option<shadow::Shadow>,
) -> MappedFile {
    let (dev, ino) = identity(&file).unwrap_or((0, 0));
    let dirty = shadow.as_ref().map(|c| c.dirty.clone());
    *lock(&WORKING_COPY) = shadow.as_ref().map(|c| c.path.clone());
    lock_pages(ptr, 0, reserved);
    RESERVED.store(reserved, Ordering::Release);
    MAP_LEN.store(len, Ordering::Release);
    MAP_PTR.store(ptr, Ordering::Release);
    *lock(&DISK) = Some(Disk {
        file,
        path: path.to_path_buf(),
        dev,
        ino,
        shadow,
    });
    MappedFile { ptr, len, dirty }
}

/// Opens (creating it and its directory if needed) and maps `path`, with
/// room for at least `len` bytes, of which what it holds plus a step are
/// reserved on disk. A file of an older version is rewritten first.
/// Refuses a file another process holds.
pub fn open(path: &Path, len: usize) -> Result<MappedFile, String> {
    if !MAP_PTR.load(Ordering::Acquire).is_null() {
        return Err("a lease file is open already".into());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create the directory: {e}", dir.display()))?;
    }
    let file = open_locked(path, false)?;
    let mut head = [0u8; 24];
    let got = file.read_at(&mut head, 0).unwrap_or(0);
    match store::file_kind(&head[..got]) {
        FileKind::Legacy => {
            migrate(path, &file, len)?;
            drop(file);
            return open(path, len);
        }
        // Not ours (or its header is cut short): left as it is.
        FileKind::Foreign => {
            return Err(format!(
                "{}: not a dhcp6-server lease file (and not empty): left untouched",
                path.display()
            ))
        }
        FileKind::Empty | FileKind::Current => {}
    }
    let current = file.metadata().map_err(|e| e.to_string())?.len() as usize;
    let len = round_up(len.max(current), PAGE);
    // Looked for before the file is changed below: a copy is only taken
    // over if the file is as VPP last wrote it.
    let found = shadow::find(&file, path, len).unwrap_or_else(|e| {
        no_working_copy(path, &e);
        None
    });
    if current < len {
        // No blocks yet: they are reserved below, as far as needed.
        file.set_len(len as u64)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let needed = round_up(data_end(&file, len).max(HEADER_LEN), PAGE).min(len);
    let first = STEP_SLOTS.max(store::capacity_of(len) / 16);
    let extra = round_up(first * SLOT_LEN, PAGE).min(len - needed);
    let reserved = reserve_at_least(&file, path, 0, needed, extra)?;
    if let Some((mut copy, taken_over)) = found {
        let mapped = shadow::ready(&mut copy, taken_over, &file, len, reserved)
            .and_then(|()| shadow::map_image(&copy.file, len, reserved));
        match mapped {
            Ok(ptr) => return Ok(install(file, path, ptr, len, reserved, Some(copy))),
            Err(e) => {
                no_working_copy(path, &e);
                let _ = std::fs::remove_file(&copy.path);
            }
        }
    }
    let ptr = map(&file, 0, len, std::ptr::null_mut())?;
    Ok(install(file, path, ptr, len, reserved, None))
}

fn no_working_copy(path: &Path, why: &str) {
    report(format!(
        "{}: no working copy in memory ({why}): the lease file is mapped itself, and a write after each write-back takes a page fault",
        path.display()
    ));
}

/// Rewrites a version 1 or 2 file (512-byte slots) as the current version
/// beside it, then renames it over. Records keep their slots.
fn migrate(path: &Path, old: &File, len: usize) -> Result<(), String> {
    let show = path.display();
    let old_len = old.metadata().map_err(|e| e.to_string())?.len() as usize;
    let old_end = data_end(old, old_len);
    let slots = store::capacity_of(old_len);
    let used = old_end
        .saturating_sub(HEADER_LEN)
        .div_ceil(store::legacy::SLOT_LEN);
    let len = round_up(len.max(store::file_len(slots)), PAGE);
    let tmp = PathBuf::from(format!("{}.v3", path.display()));
    let file = open_locked(&tmp, true)?;
    file.set_len(len as u64)
        .map_err(|e| format!("{show}: {e}"))?;
    let needed = round_up(store::file_len(used), PAGE).min(len);
    let reserved = reserve_at_least(&file, path, 0, needed, 0)?;
    let ptr = map(&file, 0, len, std::ptr::null_mut())?;
    // SAFETY: `reserved` bytes of the new mapping; nothing else uses it yet.
    let region = unsafe { std::slice::from_raw_parts_mut(ptr, reserved) };
    let mut header = vec![0u8; HEADER_LEN];
    old.read_exact_at(&mut header, 0)
        .map_err(|e| format!("{show}: {e}"))?;
    store::init_header(region)?;
    if let Some(duid) = store::header_duid(&header) {
        store::set_header_duid(region, &duid);
    }
    let (mut carried, mut left) = (0usize, 0usize);
    let mut slot = vec![0u8; store::legacy::SLOT_LEN];
    for index in 0..used.min(slots) {
        let at = HEADER_LEN + index * store::legacy::SLOT_LEN;
        if old.read_exact_at(&mut slot, at as u64).is_err() {
            left += 1;
            continue;
        }
        match store::legacy::read(&slot) {
            Ok(None) => {}
            Ok(Some(rec)) if store::write(region, index as u32, Some(&rec.as_record())) => {
                carried += 1;
            }
            _ => left += 1,
        }
    }
    // SAFETY: msync and unmapping of the mapping made above; `region`
    // is not used after.
    unsafe {
        libc::msync(ptr.cast(), reserved, libc::MS_SYNC);
        libc::munmap(ptr.cast(), len);
    }
    std::fs::rename(&tmp, path).map_err(|e| format!("{show}: {e}"))?;
    report(format!(
        "{show}: lease file of version 1/2 rewritten as version 3: {carried} records carried over, {left} could not be (unreadable, or a DUID longer than {} octets)",
        store::MAX_STORED_DUID
    ));
    Ok(())
}

/// What `show dhcp6-server` and the stats segment say about the file.
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub reserved_slots: usize,
    pub capacity: usize,
    pub slots_used: usize,
    pub flush_failures: u64,
    pub full: bool,
    pub last_error: String,
    /// The working copy in memory, if the dataplane maps one.
    pub working_copy: Option<PathBuf>,
    /// How much of the working copy is of huge pages.
    pub working_copy_huge: usize,
}

pub fn status() -> Status {
    Status {
        reserved_slots: store::capacity_of(RESERVED.load(Ordering::Acquire)),
        capacity: store::capacity_of(MAP_LEN.load(Ordering::Acquire)),
        slots_used: SLOTS_USED.load(Ordering::Acquire),
        flush_failures: FLUSH_FAILURES.load(Ordering::Acquire),
        full: FULL.load(Ordering::Acquire),
        last_error: lock(&LAST_ERROR).clone(),
        working_copy: lock(&WORKING_COPY).clone(),
        working_copy_huge: shadow::HUGE_BYTES.load(Ordering::Acquire),
    }
}

impl StoreRegion for MappedFile {
    fn bytes(&mut self) -> &mut [u8] {
        let reserved = RESERVED.load(Ordering::Acquire).min(self.len);
        // SAFETY: `ptr` maps `len` >= `reserved` bytes for the life of the
        // process, and `&mut self` makes this the only slice of it; the
        // first `reserved` bytes have disk space behind them.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, reserved) }
    }

    fn full_len(&self) -> usize {
        self.len
    }

    fn note_slots_used(&self, slots: usize) {
        SLOTS_USED.store(slots, Ordering::Release);
    }

    fn base(&self) -> *const u8 {
        self.ptr
    }

    fn wrote(&self, range: std::ops::Range<usize>) {
        if let Some(dirty) = &self.dirty {
            dirty.mark(range);
        }
    }
}

/// At VPP's exit (workers stopped): writes the working copy's last pages
/// to the lease file and removes the copy, giving its memory back. A copy
/// that could not be written is kept, to be taken over at the next start.
pub fn close_working_copy() -> Result<(), String> {
    upkeep::flush()?;
    let mut disk = lock(&DISK);
    if let Some(copy) = disk.as_mut().and_then(|d| d.shadow.take()) {
        *lock(&WORKING_COPY) = None;
        shadow::HUGE_BYTES.store(0, Ordering::Release);
        std::fs::remove_file(&copy.path).map_err(|e| format!("{}: {e}", copy.path.display()))?;
    }
    Ok(())
}

impl Drop for MappedFile {
    /// Only when the file is refused after opening (the lease engine keeps
    /// an attached file for the life of the process).
    fn drop(&mut self) {
        let _ = close_working_copy();
        *lock(&WORKING_COPY) = None;
        MAP_PTR.store(std::ptr::null_mut(), Ordering::Release);
        RESERVED.store(0, Ordering::Release);
        MAP_LEN.store(0, Ordering::Release);
        *lock(&DISK) = None;
        // SAFETY: unmapping what `open` mapped; no slice of it outlives self.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duid::Duid;
    use crate::leases::{LeaseState, ResourceKind};

    /// What a kill -9 leaves: the working copy, and the lease file as the
    /// last write-back left it (no flush, no close).
    fn kill() {
        MAP_PTR.store(std::ptr::null_mut(), Ordering::Release);
        *lock(&DISK) = None;
    }

    fn on_disk(path: &Path, index: u32) -> Option<store::StoredLease> {
        store::read(&std::fs::read(path).unwrap(), index).unwrap()
    }

    fn working_copy_is_taken_over_after_a_kill_and_dropped_for_a_changed_file(
        dir: &Path,
        rec: &store::StoredLease,
    ) {
        let path = dir.join("copied");
        let f = open(&path, store::file_len(64)).unwrap();
        let Some(copy) = status().working_copy else {
            eprintln!(
                "NOTE: no working copy here (/dev/shm is not a tmpfs): its checks are skipped"
            );
            return;
        };
        let mut f = f;
        assert!(copy.exists());
        let huge = crate::ffi::huge_pages::HUGE_PAGE;
        assert_eq!(
            f.bytes().as_ptr() as usize % huge,
            shadow::IMAGE_AT % huge,
            "the copy's huge pages fall on aligned addresses"
        );
        store::write(f.bytes(), 3, Some(&rec.as_record()));
        f.wrote(store::slot_range(3));
        assert_eq!(on_disk(&path, 3), None, "not on disk before a write-back");
        upkeep::flush().unwrap();
        assert_eq!(on_disk(&path, 3).as_ref(), Some(rec), "written back");

        // Written after the last write-back, then killed: the copy holds it.
        store::write(f.bytes(), 4, Some(&rec.as_record()));
        f.wrote(store::slot_range(4));
        std::mem::forget(f);
        kill();
        let mut f = open(&path, store::file_len(64)).unwrap();
        assert_eq!(
            store::read(f.bytes(), 4).unwrap().as_ref(),
            Some(rec),
            "taken over"
        );
        assert_eq!(on_disk(&path, 4), None);
        upkeep::flush().unwrap();
        assert_eq!(
            on_disk(&path, 4).as_ref(),
            Some(rec),
            "every page written at the first pass"
        );

        // Killed again, then the lease file is restored from a backup
        // without slot 4: the file wins and the copy is made anew.
        let backup = std::fs::read(&path).unwrap();
        store::write(f.bytes(), 4, None);
        f.wrote(store::slot_range(4));
        upkeep::flush().unwrap();
        std::mem::forget(f);
        kill();
        std::fs::write(&path, &backup).unwrap();
        let mut f = open(&path, store::file_len(64)).unwrap();
        assert!(take_message().is_some_and(|m| m.contains("working copy dropped")));
        assert_eq!(
            store::read(f.bytes(), 4).unwrap().as_ref(),
            Some(rec),
            "read from the file"
        );

        // A clean exit writes the copy back and removes it.
        store::write(f.bytes(), 5, Some(&rec.as_record()));
        f.wrote(store::slot_range(5));
        close_working_copy().unwrap();
        assert!(!copy.exists() && status().working_copy.is_none());
        assert_eq!(on_disk(&path, 5).as_ref(), Some(rec));
        drop(f);
    }

    /// One test: the file's state is the process's (one lease file).
    #[test]
    fn space_is_reserved_old_files_are_rewritten_and_foreign_ones_left_alone() {
        let dir = std::env::temp_dir().join(format!("d6s-lease-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let len = store::file_len(100_000);

        let path = dir.join("new/leases");
        let mut f = open(&path, len).unwrap();
        let st = status();
        assert_eq!(st.capacity, 100_000);
        assert_eq!(
            st.reserved_slots, STEP_SLOTS,
            "one step, not the whole file"
        );
        assert_eq!(f.bytes().len(), store::file_len(STEP_SLOTS));
        let blocks = std::fs::metadata(&path).unwrap().blocks() * 512;
        assert!(
            blocks >= store::file_len(STEP_SLOTS) as u64,
            "{blocks} bytes allocated"
        );
        assert!(open(&path, len).is_err(), "one lease file at a time");
        drop(f);
        // A large file: a sixteenth of it first.
        let mut f = open(&dir.join("big"), store::file_len(1 << 20)).unwrap();
        assert_eq!(status().reserved_slots, (1 << 20) / 16);
        assert_eq!(f.bytes().len(), store::file_len((1 << 20) / 16));
        drop(f);

        // Version 2 (512-byte slots): rewritten, records kept in their slots.
        let path = dir.join("v2");
        let rec = store::StoredLease {
            duid: Some(Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 9]).unwrap()),
            iaid: 7,
            kind: ResourceKind::Na,
            resource: 0x2001_0db8 << 96 | 0x10,
            len: 128,
            state: LeaseState::Bound,
            preferred_until: 100,
            valid_until: 200,
            expires: 200,
            sw_if_index: 1,
            route: None,
        };
        let mut old = store::legacy::header_v2();
        old.resize(HEADER_LEN + 8 * store::legacy::SLOT_LEN, 0);
        let at = HEADER_LEN + 5 * store::legacy::SLOT_LEN;
        store::legacy::write_v2(&mut old[at..at + store::legacy::SLOT_LEN], &rec);
        std::fs::write(&path, &old).unwrap();
        let mut f = open(&path, store::file_len(8)).unwrap();
        assert_eq!(store::read(f.bytes(), 5), Ok(Some(rec.clone())));
        assert_eq!(store::file_kind(&f.bytes()[..24]), FileKind::Current);
        assert!(take_message().is_some_and(|m| m.contains("1 records carried over")));
        drop(f);
        let mut head = [0u8; 24];
        File::open(&path)
            .unwrap()
            .read_exact_at(&mut head, 0)
            .unwrap();
        assert_eq!(store::file_kind(&head), FileKind::Current, "renamed over");

        working_copy_is_taken_over_after_a_kill_and_dropped_for_a_changed_file(&dir, &rec);

        // Not ours: refused, not extended.
        let path = dir.join("foreign");
        std::fs::write(&path, b"something else").unwrap();
        assert!(open(&path, len).unwrap_err().contains("left untouched"));
        assert_eq!(std::fs::read(&path).unwrap(), b"something else");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
