//! The lease file's upkeep while VPP runs: space reserved ahead of need,
//! write-back to disk, and the path watched (a deleted or replaced file is
//! written anew). Two threads of the plugin's own, and the main thread's
//! part under the barrier.

use super::*;

/// Reserves the next step when the slots in use come near the end of the
/// reserved part (space thread).
pub(super) fn grow() {
    let len = MAP_LEN.load(Ordering::Acquire);
    let reserved = RESERVED.load(Ordering::Acquire);
    if len == 0 || reserved >= len {
        return;
    }
    let reserved_slots = store::capacity_of(reserved);
    let used = SLOTS_USED.load(Ordering::Acquire);
    let headroom = (STEP_SLOTS / 2).max(reserved_slots / 2);
    if reserved_slots.saturating_sub(used) >= headroom {
        return;
    }
    // Full: tried again every second, not every tick.
    static LAST_TRY: Mutex<Option<Instant>> = Mutex::new(None);
    if FULL.load(Ordering::Acquire)
        && lock(&LAST_TRY).is_some_and(|t| t.elapsed() < Duration::from_secs(1))
    {
        return;
    }
    *lock(&LAST_TRY) = Some(Instant::now());
    // The step is reserved and handed to the workers a chunk at a time: a
    // burst of new clients (the benchmark binds 700,000 a second) takes the
    // slots of each chunk while the next one is written, instead of
    // waiting for the whole step (hundreds of megabytes at 1M leases).
    let goal =
        reserved + round_up(STEP_SLOTS.max(reserved_slots) * SLOT_LEN, PAGE).min(len - reserved);
    loop {
        let at = RESERVED.load(Ordering::Acquire);
        if at >= goal {
            return;
        }
        // Taken per chunk: the main thread may need the file meanwhile.
        let mut disk = lock(&DISK);
        let Some(d) = disk.as_mut() else {
            return;
        };
        match reserve_chunk(d, at, CHUNK_BYTES.min(goal - at)) {
            Ok(now) if now > at => {
                lock_pages(MAP_PTR.load(Ordering::Acquire), at, now);
                RESERVED.store(now, Ordering::Release);
                if FULL.swap(false, Ordering::AcqRel) {
                    report(format!(
                        "{}: disk space for the lease file reserved again: new leases are given",
                        d.path.display()
                    ));
                }
            }
            _ => {
                if !FULL.swap(true, Ordering::AcqRel) {
                    report(format!(
                        "{}: cannot reserve disk space for more leases ({} bytes free there): new leases are refused, {} of {} slots in use",
                        d.path.display(),
                        free_space(&d.path).map_or("unknown".into(), |f| f.to_string()),
                        SLOTS_USED.load(Ordering::Acquire),
                        store::capacity_of(at)
                    ));
                }
                return;
            }
        }
    }
}

/// Reserves up to `extra` bytes more of the lease file from `at` on, and
/// the same part of its working copy; returns where the reserved part ends.
fn reserve_chunk(d: &mut Disk, at: usize, extra: usize) -> Result<usize, String> {
    let Some(copy) = d.shadow.as_mut() else {
        return reserve_at_least(&d.file, &d.path, at, at, extra);
    };
    copy.begin_change()?;
    let len = MAP_LEN.load(Ordering::Acquire);
    let reserved = reserve_at_least(&d.file, &d.path, at, at, extra).and_then(|now| {
        let copied = shadow::reserve(&copy.file, at, now, len)
            .map_err(|e| format!("{}: {e}", copy.path.display()))?;
        shadow::make_huge(MAP_PTR.load(Ordering::Acquire), at, copied);
        Ok(now)
    });
    let stamped = copy.end_change(&d.file);
    let now = reserved?;
    stamped.map(|()| now)
}

/// Writes the lease file back to disk and waits for it (workers keep
/// writing records meanwhile, which is fine): the working copy's dirty
/// pages, or the mapped file itself.
pub(super) fn flush() -> Result<(), String> {
    let ptr = MAP_PTR.load(Ordering::Acquire);
    if ptr.is_null() {
        return Ok(());
    }
    let reserved = RESERVED.load(Ordering::Acquire);
    let (disk, pages, generation) = {
        let mut guard = lock(&DISK);
        let Some(d) = guard.as_mut() else {
            return Ok(());
        };
        let Some(copy) = d.shadow.as_mut() else {
            drop(guard);
            // SAFETY: the mapping lives until the process ends.
            if unsafe { libc::msync(ptr.cast(), reserved, libc::MS_SYNC) } != 0 {
                return Err(format!("msync: {}", std::io::Error::last_os_error()));
            }
            return Ok(());
        };
        let pages = copy.dirty.take();
        if pages.is_empty() {
            return Ok(());
        }
        let disk = match d.file.try_clone() {
            Ok(disk) => copy.begin_change().map(|()| disk),
            Err(e) => Err(e.to_string()),
        };
        match disk {
            Ok(disk) => (disk, pages, copy.generation),
            Err(e) => {
                copy.dirty.put_back(&pages);
                return Err(e);
            }
        }
    };
    // Written without the lock: the space thread and the main thread may
    // need the file meanwhile.
    let written = shadow::write_pages(&disk, &pages, ptr, reserved);
    let mut guard = lock(&DISK);
    let Some(d) = guard.as_mut() else {
        return written;
    };
    let Some(copy) = d.shadow.as_mut() else {
        return written;
    };
    if written.is_err() {
        copy.dirty.put_back(&pages);
    }
    if copy.generation != generation {
        // Written to a file since replaced: the new one gets every page.
        copy.dirty.mark_all();
    }
    let stamped = copy.end_change(&d.file);
    written.and(stamped)
}

/// Whether the path still names the mapped file.
pub(super) fn check_path() {
    let disk = lock(&DISK);
    let Some(d) = disk.as_ref() else {
        return;
    };
    let same = std::fs::metadata(&d.path).is_ok_and(|m| m.dev() == d.dev && m.ino() == d.ino);
    if !same && !LOST.swap(true, Ordering::AcqRel) {
        report(format!(
            "{}: the lease file was deleted or replaced while in use: it will be written anew from the leases in memory",
            d.path.display()
        ));
    }
}

pub(super) static THREADS: std::sync::Once = std::sync::Once::new();

/// Starts (once) the lease file's two threads: `dhcp6-lease-space`
/// reserves space ahead of need and watches the path; `dhcp6-lease-sync`
/// writes the file back to disk every `interval()` seconds. `msync(MS_SYNC)`
/// waits for the disk (on VPP's main thread it stalled packet input for
/// over a second, seen with no workers under load), and while it waits,
/// space must still be reserved: hence two threads.
pub fn start_threads(interval: impl Fn() -> u32 + Send + 'static) {
    THREADS.call_once(|| {
        let space = crate::ffi::threads::spawn("dhcp6-lease-space", || {
                let mut checked = Instant::now();
                let mut used = 0;
                loop {
                    let now_used = SLOTS_USED.load(Ordering::Acquire);
                    let busy = now_used != used;
                    used = now_used;
                    std::thread::sleep(if busy { TICK_BUSY } else { TICK_IDLE });
                    grow();
                    if checked.elapsed() >= PATH_CHECK {
                        check_path();
                        checked = Instant::now();
                    }
                }
            });
        let sync = crate::ffi::threads::spawn("dhcp6-lease-sync", move || loop {
            std::thread::sleep(Duration::from_secs(u64::from(interval().max(1))));
            flush_counted();
        });
        if let Err(e) = space.and(sync) {
            report(format!(
                "a lease file thread could not start ({e}): space is not reserved ahead or the file not written back to disk (but by the kernel's own writeback)"
            ));
        }
    });
}

pub(super) fn flush_counted() {
    if let Err(e) = flush() {
        FLUSH_FAILURES.fetch_add(1, Ordering::AcqRel);
        report(format!(
            "flushing the lease file failed ({e}): leases acknowledged since the last good flush may not survive a power loss; serving goes on"
        ));
    }
}

/// Whether the main thread has work: the file must be written anew.
pub fn is_lost() -> bool {
    LOST.load(Ordering::Acquire)
}

/// When the path no longer names the mapped file: writes the reserved part
/// to a new file at the path (a file found there is kept aside as
/// `<path>.displaced-<unix time>`) and maps it in place of the old one.
/// Main thread with the worker barrier held: nothing writes records
/// meanwhile. On failure it is tried again at the next pass.
pub fn rehome_if_lost() {
    if !LOST.load(Ordering::Acquire) {
        return;
    }
    let mut disk = lock(&DISK);
    let Some(d) = disk.as_mut() else {
        return;
    };
    match rehome(d) {
        Ok(()) => {
            LOST.store(false, Ordering::Release);
            report(format!(
                "{}: lease file written anew from the leases in memory",
                d.path.display()
            ));
        }
        Err(e) => report(format!(
            "{}: cannot write the lease file anew ({e}); trying again",
            d.path.display()
        )),
    }
}

/// Writes the lease file anew (`write_anew`), the working copy marked as
/// under change meanwhile and stamped after, whether it worked or not.
pub(super) fn rehome(d: &mut Disk) -> Result<(), String> {
    if let Some(copy) = d.shadow.as_mut() {
        copy.begin_change()?;
    }
    let written = write_anew(d);
    match d.shadow.as_mut() {
        // Stamped with the file in force: the new one if it worked.
        Some(copy) => written.and(copy.end_change(&d.file)),
        None => written,
    }
}

/// `rehome`'s work: the leases in memory written to a new file at the path,
/// which then becomes `d`'s file (the copy follows it, or the new file is
/// mapped in place of the old).
fn write_anew(d: &mut Disk) -> Result<(), String> {
    let ptr = MAP_PTR.load(Ordering::Acquire);
    let len = MAP_LEN.load(Ordering::Acquire);
    let reserved = RESERVED.load(Ordering::Acquire);
    let tmp = PathBuf::from(format!("{}.new", d.path.display()));
    let file = open_locked(&tmp, true)?;
    file.set_len(len as u64).map_err(|e| e.to_string())?;
    // Writing every reserved byte allocates (and reserves) its blocks: a
    // full disk fails here, not in the dataplane.
    // SAFETY: the reserved part of our mapping, read while the barrier
    // keeps every writer out.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, reserved) };
    file.write_all_at(bytes, 0).map_err(|e| e.to_string())?;
    file.sync_data().map_err(|e| e.to_string())?;
    if d.path.exists() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_secs());
        let aside = PathBuf::from(format!("{}.displaced-{now}", d.path.display()));
        std::fs::rename(&d.path, &aside).map_err(|e| e.to_string())?;
        report(format!(
            "{}: the file found at the lease file's path was kept as {}",
            d.path.display(),
            aside.display()
        ));
    }
    std::fs::rename(&tmp, &d.path).map_err(|e| e.to_string())?;
    let (dev, ino) = identity(&file)?;
    match d.shadow.as_mut() {
        Some(copy) => {
            // The copy follows the new file; it is mapped already.
            let to = shadow::path_for(dev, ino);
            std::fs::rename(&copy.path, &to).map_err(|e| e.to_string())?;
            *lock(&WORKING_COPY) = Some(to.clone());
            copy.path = to;
            copy.generation += 1;
        }
        None => {
            map(&file, 0, len, ptr)?;
            lock_pages(ptr, 0, reserved);
        }
    }
    // The old file's descriptor closes here (and its lock goes with it).
    d.file = file;
    d.dev = dev;
    d.ino = ino;
    Ok(())
}
