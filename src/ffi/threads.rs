//! The plugin's own threads (lease file upkeep, the looking glass's
//! producer) run off VPP's dataplane cores. A thread inherits the CPU
//! affinity of the one that starts it, VPP's main thread, which VPP pins
//! to its main core: left there, a producer and librdkafka's threads take
//! turns with the packet path on that core (seen: every plugin thread on
//! CPU 0 beside vpp_main). So each starts by moving to the CPUs that no
//! VPP thread (`vpp_main`, `vpp_wk_*`) is pinned to; with none left (VPP
//! not pinned, or on every core) it stays where it is.

use std::io;
use std::thread::JoinHandle;

/// `std::thread::Builder::spawn` with the name `name`, the body run off
/// VPP's dataplane cores.
pub fn spawn<F>(name: &str, body: F) -> io::Result<JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            leave_dataplane_cores();
            body();
        })
}

/// Moves the calling thread to the CPUs VPP's threads are not pinned to.
fn leave_dataplane_cores() {
    let Some(current) = affinity(0) else {
        return;
    };
    let all = all_cpus();
    let mut free = all;
    for tid in dataplane_threads() {
        let Some(taken) = affinity(tid) else {
            continue;
        };
        if count(&taken) == count(&all) && count(&taken) > 1 {
            continue; // not pinned: it does not claim a core
        }
        for cpu in 0..libc::CPU_SETSIZE as usize {
            // SAFETY: cpu < CPU_SETSIZE, the sets' size.
            if unsafe { libc::CPU_ISSET(cpu, &taken) } {
                // SAFETY: as above.
                unsafe { libc::CPU_CLR(cpu, &mut free) };
            }
        }
    }
    if count(&free) == 0 || same(&free, &current) {
        return;
    }
    // SAFETY: a valid set of the size given, for the calling thread (0).
    unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &free) };
}

/// The thread ids of VPP's main and worker threads in this process.
fn dataplane_threads() -> Vec<libc::pid_t> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| {
            let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
            let comm = comm.trim_end();
            (comm == "vpp_main" || comm.starts_with("vpp_wk_"))
                .then(|| t.file_name().to_str()?.parse().ok())
                .flatten()
        })
        .collect()
}

/// The CPUs thread `tid` (0: the calling one) may run on.
fn affinity(tid: libc::pid_t) -> Option<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is plain data; zeroed is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: a valid set of the size given.
    let rc =
        unsafe { libc::sched_getaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    (rc == 0).then_some(set)
}

/// Every CPU online.
fn all_cpus() -> libc::cpu_set_t {
    // SAFETY: no preconditions.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize;
    // SAFETY: cpu_set_t is plain data; zeroed is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for cpu in 0..online.min(libc::CPU_SETSIZE as usize) {
        // SAFETY: cpu < CPU_SETSIZE.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    set
}

fn count(set: &libc::cpu_set_t) -> u32 {
    // SAFETY: a valid set.
    unsafe { libc::CPU_COUNT(set) as u32 }
}

fn same(a: &libc::cpu_set_t, b: &libc::cpu_set_t) -> bool {
    // SAFETY: valid sets.
    unsafe { libc::CPU_EQUAL(a, b) }
}
