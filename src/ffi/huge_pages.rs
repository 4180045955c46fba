//! The lease engine's big tables on huge pages. At a million leases a
//! Renew reads a few random lines of 150 MiB of tables (leases, clients,
//! their indexes); with 4 KiB pages each also misses the TLB, and the page
//! walk misses the caches too: the node's prefetches were where it stalled
//! (`perf annotate`). The tables are made of huge pages where the kernel
//! allows it (transparent huge pages `always` or `madvise`) and faulted in
//! now, at start, so the packet path meets no page fault in them.

pub(crate) const HUGE_PAGE: usize = 2 << 20;

const PAGE: usize = 4096;

/// The huge pages that `[at, at + len)` holds whole: (start, end).
fn aligned_part(at: usize, len: usize) -> (usize, usize) {
    (
        at.next_multiple_of(HUGE_PAGE),
        (at + len) / HUGE_PAGE * HUGE_PAGE,
    )
}

/// Advises huge pages for each (address, bytes) span (the 2 MiB-aligned
/// part of it), faults the whole span in, and collapses what was there
/// already into huge pages; returns the bytes advised. Spans are the lease
/// engine's own reserved buffers.
///
/// Faulting in: a reserved but untouched table is faulted page by page as
/// leases are added, each fault zeroing a page (with huge pages, 2 MiB at
/// once) on the packet path: `clear_page_erms` was a fifth of VPP's time in
/// the 1k Solicit profile, the new leases filling the tables. The tables'
/// memory is taken at start instead, as VPP does with its buffers.
pub fn advise(spans: &[(usize, usize)]) -> usize {
    let mut done = 0;
    for &(at, len) in spans.iter().filter(|s| s.1 > 0) {
        let (start, end) = aligned_part(at, len);
        let advised = end > start
            // SAFETY: advice on memory our own allocations hold (the span
            // lies inside a Vec's reserved buffer); it changes neither
            // contents nor validity, only how the pages are backed.
            && unsafe { libc::madvise(start as *mut _, end - start, libc::MADV_HUGEPAGE) } == 0;
        let (first, last) = (at / PAGE * PAGE, (at + len).next_multiple_of(PAGE));
        if last > first {
            // SAFETY: as above; populating faults the pages in, keeping
            // what they hold (kernels before 5.14 refuse it: the pages then
            // come at first touch, as before).
            let _ =
                unsafe { libc::madvise(first as *mut _, last - first, libc::MADV_POPULATE_WRITE) };
        }
        if advised {
            // SAFETY: as above; MADV_COLLAPSE only changes the backing
            // (kernels before 6.1 refuse it).
            let _ = unsafe { libc::madvise(start as *mut _, end - start, libc::MADV_COLLAPSE) };
            done += end - start;
        }
    }
    done
}

/// Address space for a mapping of `len` bytes of a file from `offset` on,
/// placed so that the file's huge pages (2 MiB-aligned in the file) fall
/// on 2 MiB-aligned addresses: only then can a huge page of the lease
/// file's working copy be mapped whole. Inaccessible until the file is
/// mapped over it (`MAP_FIXED`).
pub fn aligned_space(len: usize, offset: usize) -> Result<*mut u8, String> {
    let span = len + 2 * HUGE_PAGE;
    // SAFETY: a fresh anonymous reservation, no access, checked below.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            span,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(format!("mmap: {}", std::io::Error::last_os_error()));
    }
    let base = base as usize;
    let at = base.next_multiple_of(HUGE_PAGE) + offset % HUGE_PAGE;
    // SAFETY: both ends lie inside the reservation just made; what stays
    // is `[at, at + len)`, which `span` holds.
    unsafe {
        if at > base {
            libc::munmap(base as *mut _, at - base);
        }
        libc::munmap((at + len) as *mut _, base + span - at - len);
    }
    Ok(at as *mut u8)
}

/// Gives back address space from `aligned_space` that no file was mapped
/// over.
pub fn free_space(at: *mut u8, len: usize) {
    // SAFETY: `[at, at + len)` is our own inaccessible reservation, which
    // nothing refers to.
    unsafe { libc::munmap(at.cast(), len) };
}

/// Makes the 2 MiB-aligned part of `[at, at + len)`, a shared mapping of
/// a tmpfs file, of huge pages (MADV_COLLAPSE, which tmpfs honours even
/// where its mounts ask for none); returns the bytes made so. The caller
/// passes only pages no worker writes yet: a worker writing a page being
/// collapsed would wait for it.
pub fn collapse(at: usize, len: usize) -> usize {
    let (start, end) = aligned_part(at, len);
    // One huge page at a time: a page that cannot be made (no free huge
    // page now) leaves the others to be.
    let made = |page: usize| {
        // SAFETY: only changes how our own mapping's pages are backed
        // (kernels before 6.1 refuse it, then the pages stay as they are).
        unsafe { libc::madvise(page as *mut _, HUGE_PAGE, libc::MADV_COLLAPSE) == 0 }
    };
    (start..end)
        .step_by(HUGE_PAGE)
        .filter(|&page| made(page))
        .count()
        * HUGE_PAGE
}
