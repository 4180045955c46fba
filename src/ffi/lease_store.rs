//! The lease file's settings, opening and status.

use super::*;

pub(super) fn set_store_status(text: String) {
    *PLUGIN
        .store_status
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = text;
}

/// Sets the lease file's path (absolute, or "none"), capacity and flush
/// interval. A path is refused once the file is open: the lease file is
/// chosen before serving starts.
pub(super) fn set(
    path: Option<&str>,
    capacity: Option<u32>,
    flush_interval: Option<u32>,
) -> Result<(), ConfigError> {
    let path = path.map(str::trim).filter(|p| !p.is_empty());
    // SAFETY: configuration calls run on the main thread, barrier held.
    if unsafe { PLUGIN.shard.owner() }.has_store() && path.is_some() {
        return Err(ConfigError::BadOption(
            "the lease file is open: set it in startup.conf (or before serving) and restart VPP"
                .into(),
        ));
    }
    let before = PLUGIN.config.load().map(|c| c.lease_store().clone());
    publish(|c| c.set_lease_store(path, capacity, flush_interval))?;
    // Serving without the lease file it was given (it could not be
    // opened): another path is opened now, "none" serves unpersisted.
    // SAFETY: as above.
    let shard = unsafe { PLUGIN.shard.owner() };
    if !PLUGIN.store_open_tried.load(Ordering::Acquire) || shard.has_store() || path.is_none() {
        return Ok(());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.as_secs() as u32);
    match open_lease_store(now) {
        Ok(_) => Ok(()),
        Err(e) => {
            if let Some(old) = before {
                let old_path = old.path.as_deref().unwrap_or("none");
                let _ = publish(|c| c.set_lease_store(Some(old_path), None, None));
            }
            Err(ConfigError::BadOption(e))
        }
    }
}

/// Opens the configured lease file and restores its leases (routes of
/// delegated prefixes are queued for the maintenance pass). Main thread,
/// before packets flow. Returns the number restored, or -1 on error: then
/// no lease is given until a lease file is open (none could be kept).
#[no_mangle]
pub extern "C" fn dhcp6_server_lease_store_open(
    now: u32,
    error: *mut c_char,
    error_len: usize,
) -> i64 {
    let err = ErrorBuffer::new(error, error_len);
    boundary(-1, || {
        PLUGIN.store_open_tried.store(true, Ordering::Release);
        match open_lease_store(now) {
            Ok(n) => n as i64,
            Err(e) => {
                err.write(&e);
                -1
            }
        }
    })
}

/// Opens the configured lease file, if any, and restores its leases;
/// without one (`none`) leases are given unpersisted. On failure no lease
/// is given (none could be kept). Main thread, barrier held or no workers.
pub(super) fn open_lease_store(now: u32) -> Result<usize, String> {
    let settings = PLUGIN
        .config
        .load()
        .map(|c| c.lease_store().clone())
        .unwrap_or_default();
    // SAFETY: main thread before the workers run, or barrier held.
    let shard = unsafe { PLUGIN.shard.owner() };
    // The capacity bounds the leases with or without a file to keep them.
    shard.presize(settings.capacity as usize);
    let huge_mib = super::huge_pages::advise(&shard.table_memory()) >> 20;
    let Some(path) = settings.path else {
        shard.forgo_store();
        set_store_status("none: leases are not persisted".into());
        return Ok(0);
    };
    if shard.has_store() {
        return Ok(0);
    }
    let len = crate::leases::store::file_len(settings.capacity as usize);
    let started = std::time::Instant::now();
    let result = lease_file::open(std::path::Path::new(&path), len)
        .and_then(|file| shard.attach_store(Box::new(file), now));
    // An earlier run's server DUID, unless one is configured.
    if let Some(duid) = shard
        .store_bytes()
        .and_then(crate::leases::store::header_duid)
    {
        let _ = PLUGIN.config.update(|c| {
            if c.server_duid_source() != Some(crate::config::DuidSource::Configured) {
                c.restore_derived_duid(duid);
            }
            Ok::<(), ConfigError>(())
        });
    }
    match result {
        Ok(report) => {
            note_shard_state(shard);
            lease_file::start_threads(|| {
                PLUGIN
                    .config
                    .load()
                    .map_or(crate::config::DEFAULT_FLUSH_INTERVAL, |c| {
                        c.lease_store().flush_interval
                    })
            });
            if report.damaged > 0 {
                lease_file::log(format!(
                    "{path}: {} damaged records cleared at start (unreadable: their leases are lost), {} leases restored",
                    report.damaged, report.restored
                ));
            }
            set_store_status(format!(
                "{path} (capacity {}, tables on huge pages: {huge_mib} MiB, flushed every {}s; at start: {} leases restored in {:.3} s, {} damaged records cleared, {} torn copies)",
                settings.capacity,
                settings.flush_interval,
                report.restored,
                started.elapsed().as_secs_f64(),
                report.damaged,
                report.torn,
            ));
            Ok(report.restored)
        }
        Err(e) => {
            shard.require_store();
            set_store_status(format!(
                "{path}: NOT OPEN ({e}): no lease is given (none could be kept); give another path (dhcp6-server lease-file path ...), or 'none' to serve without one"
            ));
            Err(format!(
                "lease file NOT OPEN: {e}: no lease is given (none could be kept)"
            ))
        }
    }
}

/// At VPP's exit, workers stopped: the lease file gets the working copy's
/// last pages and the copy goes (its memory with it). False, with the
/// reason in `error`, when the copy had to be kept.
#[no_mangle]
pub extern "C" fn dhcp6_server_lease_store_close(error: *mut c_char, error_len: usize) -> bool {
    let err = ErrorBuffer::new(error, error_len);
    boundary(false, || match lease_file::close_working_copy() {
        Ok(()) => true,
        Err(e) => {
            err.write(&format!(
                "lease file working copy kept (taken over at the next start): {e}"
            ));
            false
        }
    })
}

/// The lease file's next line for VPP's log (space, flushes, path), false
/// when there is none. Main thread, each maintenance pass.
#[no_mangle]
pub extern "C" fn dhcp6_server_lease_store_message(buf: *mut c_char, len: usize) -> bool {
    boundary(false, || match lease_file::take_message() {
        Some(text) => {
            ErrorBuffer::new(buf, len).write(&text);
            true
        }
        None => false,
    })
}

/// The lease file's gauges: slots with disk space reserved, slots the file
/// can grow to, slots in use, leases refused because the file could not
/// keep them, failed write-backs.
pub(super) const LEASE_FILE_GAUGES: [&CStr; 5] = [
    c"/dhcp6-server/lease-file/reserved",
    c"/dhcp6-server/lease-file/capacity",
    c"/dhcp6-server/lease-file/used",
    c"/dhcp6-server/lease-file/refused",
    c"/dhcp6-server/lease-file/flush-failures",
];

/// Their values, in that order. Main thread.
pub(super) fn lease_file_gauges() -> [u64; 5] {
    let s = lease_file::status();
    // SAFETY: main thread; the shard's counter is read between frames
    // (a torn read of a u64 cannot happen on the 64-bit targets VPP has).
    let refused = unsafe { PLUGIN.shard.owner() }.store_refusals();
    [
        s.reserved_slots as u64,
        s.capacity as u64,
        s.slots_used as u64,
        refused,
        s.flush_failures,
    ]
}
/// Lines saying where leases are kept and how the file is doing.
pub(super) fn lines() -> Vec<String> {
    let mut out = Vec::new();
    let status = PLUGIN
        .store_status
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if status.is_empty() {
        let s = PLUGIN
            .config
            .load()
            .map(|c| c.lease_store().clone())
            .unwrap_or_default();
        let path = s.path.unwrap_or_else(|| "none".into());
        out.push(format!(
            "  lease file: {path} (opens when VPP starts serving)"
        ));
        return out;
    }
    out.push(format!("  lease file: {status}"));
    // SAFETY: views run on the main thread with the barrier held.
    let shard = unsafe { PLUGIN.shard.owner() };
    let s = lease_file::status();
    if !shard.has_store() {
        out.push(format!("    leases refused: {}", shard.store_refusals()));
        return out;
    }
    out.push(format!(
        "    slots: {} in use, {} with disk space reserved, {} at most; leases refused for want of space: {}; failed flushes: {}",
        s.slots_used,
        s.reserved_slots,
        s.capacity,
        shard.store_refusals(),
        s.flush_failures
    ));
    out.push(match &s.working_copy {
        Some(copy) => format!(
            "    working copy in memory: {} ({} MiB of it on huge pages; written to the file at each flush)",
            copy.display(),
            s.working_copy_huge >> 20
        ),
        None => "    no working copy: the file itself is mapped".into(),
    });
    if s.full {
        out.push(
            "    FULL: no disk space for more leases: new leases are refused, bound ones renew"
                .into(),
        );
    }
    if !s.last_error.is_empty() {
        out.push(format!("    last problem: {}", s.last_error));
    }
    out
}
