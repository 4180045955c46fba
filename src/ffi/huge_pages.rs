//! The lease engine's big tables on huge pages. At a million leases a
//! Renew reads a few random lines of 150 MiB of tables (leases, clients,
//! their indexes); with 4 KiB pages each also misses the TLB, and the page
//! walk misses the caches too: the node's prefetches were where it stalled
//! (`perf annotate`). The tables are made of huge pages where the kernel
//! allows it (transparent huge pages `always` or `madvise`) and faulted in
//! now, at start, so the packet path meets no page fault in them.

const HUGE_PAGE: usize = 2 << 20;

const PAGE: usize = 4096;

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
        let start = at.next_multiple_of(HUGE_PAGE);
        let end = (at + len) / HUGE_PAGE * HUGE_PAGE;
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
