//! The lease engine's big tables on huge pages. At a million leases a
//! Renew reads a few random lines of 150 MiB of tables (leases, clients,
//! their indexes); with 4 KiB pages each also misses the TLB, and the page
//! walk misses the caches too: the node's prefetches were where it stalled
//! (`perf annotate`). The tables are made of huge pages where the kernel
//! allows it (transparent huge pages `always` or `madvise`) and populated
//! now, at start, so the packet path meets no page fault in them.

const HUGE_PAGE: usize = 2 << 20;

/// Advises huge pages for each (address, bytes) span (the 2 MiB-aligned
/// part of it) and collapses it into them now; returns the bytes that the
/// kernel accepted. Spans are the lease engine's own reserved buffers.
pub fn advise(spans: &[(usize, usize)]) -> usize {
    let mut done = 0;
    for &(at, len) in spans {
        let start = at.next_multiple_of(HUGE_PAGE);
        let end = (at + len) / HUGE_PAGE * HUGE_PAGE;
        if end <= start {
            continue;
        }
        let ptr = start as *mut libc::c_void;
        // SAFETY: advice on memory our own allocations hold (the span lies
        // inside a Vec's reserved buffer); it changes neither contents nor
        // validity, only how the pages are backed.
        let advised = unsafe { libc::madvise(ptr, end - start, libc::MADV_HUGEPAGE) } == 0;
        // SAFETY: as above; MADV_COLLAPSE only changes the backing (kernels
        // before 6.1 refuse it: the pages then come huge at first touch).
        let _ = unsafe { libc::madvise(ptr, end - start, libc::MADV_COLLAPSE) };
        if advised {
            done += end - start;
        }
    }
    done
}
