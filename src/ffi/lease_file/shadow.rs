//! The lease file's working copy in memory: a file on tmpfs
//! (`/dev/shm/dhcp6-server-leases-<dev>-<inode>`) that the dataplane maps
//! in place of the lease file itself.
//!
//! Why: the kernel writes a shared file mapping back to disk by first
//! making each dirty page read-only, so the next record written into that
//! page takes a write fault (and ext4's `page_mkwrite`): at a million
//! leases, a random Renew hits a page the last write-back cleaned, and the
//! fault cost more than the rest of the node. Tmpfs pages are never written
//! back, so they never fault once reserved. The sync thread copies the
//! pages the dataplane marked dirty into the lease file (`pwrite`, then
//! `fdatasync`), as often as it used to `msync`.
//!
//! The guarantees stay those of the mapped file: a record is in the kernel
//! (the tmpfs page) before the reply goes out, so it survives kill -9; the
//! lease file on disk trails by at most one sync interval, so a power loss
//! loses what it lost before. At start, the working copy is taken over if
//! it belongs to the lease file as VPP last wrote it (or was writing it);
//! a lease file changed since (restored from a backup, edited by hand) wins
//! and the copy is made anew from it.
//!
//! A lease file on tmpfs needs no copy, and where `/dev/shm` is missing or
//! full the lease file is mapped itself, as before (a line in the log).

use super::*;
use crate::ffi::huge_pages::{self, HUGE_PAGE};

const DIR: &str = "/dev/shm";
const TMPFS_MAGIC: i64 = 0x0102_1994;
/// The copy's first page says whose copy it is; the lease file's image
/// follows.
pub(super) const IMAGE_AT: usize = PAGE;
const MAGIC: &[u8; 8] = b"d6s-wc1\0";

/// The working copy and the pages of it not yet in the lease file.
pub(super) struct Shadow {
    pub file: File,
    pub path: PathBuf,
    pub dirty: Arc<Dirty>,
    /// Changes to the lease file under way (write-back, reservation):
    /// while there are any, the copy says so, and a VPP killed meanwhile
    /// takes the copy over at start whatever the lease file looks like.
    busy: u32,
    /// Counts new lease files (written anew after a deletion).
    pub generation: u64,
}

impl Shadow {
    /// Before the lease file is changed by us.
    pub fn begin_change(&mut self) -> Result<(), String> {
        write_stamp(
            &self.file,
            &Stamp {
                copying: true,
                file: [0; 5],
            },
        )
        .map_err(|e| format!("{}: {e}", self.path.display()))?;
        // Counted once the copy says so: a failed begin needs no end.
        self.busy += 1;
        Ok(())
    }

    /// After: the copy records the lease file as it is now.
    pub fn end_change(&mut self, disk: &File) -> Result<(), String> {
        self.busy = self.busy.saturating_sub(1);
        if self.busy > 0 {
            return Ok(());
        }
        write_stamp(
            &self.file,
            &Stamp {
                copying: false,
                file: stamp_of(disk)?,
            },
        )
        .map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

/// One flag per page of the image, set by the dataplane after each write
/// there, taken by the sync thread. A plain store after the record's
/// stores (never a load first: on x86 a load may pass the record's stores
/// still in the store buffer, and a flag seen set just before the sync
/// thread clears it would leave the record out of the write-back).
#[derive(Debug)]
pub(super) struct Dirty {
    pages: Box<[AtomicU8]>,
}

impl Dirty {
    fn new(len: usize) -> Dirty {
        Dirty {
            pages: (0..len.div_ceil(PAGE)).map(|_| AtomicU8::new(0)).collect(),
        }
    }

    /// Marks the pages holding `range`.
    pub fn mark(&self, range: std::ops::Range<usize>) {
        if range.is_empty() {
            return;
        }
        for page in range.start / PAGE..=(range.end - 1) / PAGE {
            if let Some(flag) = self.pages.get(page) {
                flag.store(1, Ordering::Release);
            }
        }
    }

    pub fn mark_all(&self) {
        for flag in self.pages.iter() {
            flag.store(1, Ordering::Release);
        }
    }

    /// Takes the marks: the pages written since the last call, in order.
    pub fn take(&self) -> Vec<usize> {
        let mut taken = Vec::new();
        for (page, flag) in self.pages.iter().enumerate() {
            if flag.load(Ordering::Relaxed) != 0 && flag.swap(0, Ordering::AcqRel) != 0 {
                taken.push(page);
            }
        }
        taken
    }

    pub fn put_back(&self, pages: &[usize]) {
        for &page in pages {
            if let Some(flag) = self.pages.get(page) {
                flag.store(1, Ordering::Release);
            }
        }
    }
}

/// Whether the filesystem holding `path` is a tmpfs, and the bytes free
/// on it (None where it cannot be told).
fn filesystem(path: &Path) -> Option<(bool, usize)> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statfs fills the struct we pass; `c` is a valid C string.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let found = unsafe { libc::statfs(c.as_ptr(), &mut st) } == 0;
    found.then_some((
        st.f_type as i64 == TMPFS_MAGIC,
        st.f_bavail as usize * st.f_bsize as usize,
    ))
}

/// Where the working copy of the lease file `(dev, ino)` lives.
pub fn path_for(dev: u64, ino: u64) -> PathBuf {
    PathBuf::from(format!("{DIR}/dhcp6-server-leases-{dev:x}-{ino:x}"))
}

/// What the copy's first page records: the lease file as last written
/// (size, change time, modification time), and whether a copy into it was
/// under way.
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    copying: bool,
    file: [i64; 5],
}

fn stamp_of(file: &File) -> Result<[i64; 5], String> {
    let m = file.metadata().map_err(|e| e.to_string())?;
    Ok([
        m.size() as i64,
        m.ctime(),
        m.ctime_nsec(),
        m.mtime(),
        m.mtime_nsec(),
    ])
}

fn read_stamp(copy: &File) -> Option<Stamp> {
    let mut b = [0u8; 56];
    copy.read_exact_at(&mut b, 0).ok()?;
    if &b[..8] != MAGIC {
        return None;
    }
    let word = |i: usize| i64::from_le_bytes(b[8 + 8 * i..16 + 8 * i].try_into().unwrap_or([0; 8]));
    Some(Stamp {
        copying: word(0) != 0,
        file: std::array::from_fn(|j| word(1 + j)),
    })
}

fn write_stamp(copy: &File, stamp: &Stamp) -> std::io::Result<()> {
    let mut b = [0u8; 56];
    b[..8].copy_from_slice(MAGIC);
    b[8..16].copy_from_slice(&i64::from(stamp.copying).to_le_bytes());
    for (i, v) in stamp.file.iter().enumerate() {
        b[16 + 8 * i..24 + 8 * i].copy_from_slice(&v.to_le_bytes());
    }
    copy.write_all_at(&b, 0)
}

/// Reserves `[from, to)` of the image in the copy (tmpfs allocates the
/// pages now, so no write into them can fail later), and on to the next
/// huge page boundary of the copy (within the image's `len`): the copy
/// grows by whole huge pages, made so before any worker writes them.
/// Returns where the copy's reservation ends.
pub(super) fn reserve(copy: &File, from: usize, to: usize, len: usize) -> std::io::Result<usize> {
    let to = ((IMAGE_AT + to).next_multiple_of(HUGE_PAGE) - IMAGE_AT)
        .min(len)
        .max(to);
    if to <= from {
        return Ok(to);
    }
    // SAFETY: posix_fallocate on a descriptor we own.
    match unsafe {
        libc::posix_fallocate(
            copy.as_raw_fd(),
            (IMAGE_AT + from) as libc::off_t,
            (to - from) as libc::off_t,
        )
    } {
        0 => Ok(to),
        e => Err(std::io::Error::from_raw_os_error(e)),
    }
}

/// Maps the copy's image (`len` bytes, `[0, reserved)` of it reserved)
/// with its huge pages on aligned addresses, and makes the reserved part
/// of huge pages (a Renew at a million leases writes a random record of
/// the image: with 4 KiB pages, each write also missed the TLB, and the
/// page walk the caches).
pub(super) fn map_image(copy: &File, len: usize, reserved: usize) -> Result<*mut u8, String> {
    let at = huge_pages::aligned_space(len, IMAGE_AT)?;
    let image = map(copy, IMAGE_AT, len, at).inspect_err(|_| huge_pages::free_space(at, len))?;
    HUGE_BYTES.store(0, Ordering::Release);
    make_huge(image, 0, reserved);
    Ok(image)
}

/// Makes the copy's newly reserved `[from, to)` of the image (mapped at
/// `image`) of huge pages; the huge page holding `from` is left as it is
/// (workers may be writing it).
pub(super) fn make_huge(image: *mut u8, from: usize, to: usize) {
    if image.is_null() {
        return;
    }
    let done = huge_pages::collapse(image as usize + from, to.saturating_sub(from));
    HUGE_BYTES.fetch_add(done, Ordering::AcqRel);
}

/// How much of the working copy is of huge pages.
pub(super) static HUGE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Looks for a working copy of the lease file `disk` before it is changed
/// at start; None where the lease file is on tmpfs itself (no copy is
/// needed). A copy that belongs to the file as VPP last wrote it is taken
/// over (and marked as under change: the start may change the file);
/// any other is emptied.
pub(super) fn find(disk: &File, path: &Path, len: usize) -> Result<Option<(Shadow, bool)>, String> {
    if filesystem(path.parent().unwrap_or(Path::new("/"))).is_none_or(|(tmpfs, _)| tmpfs) {
        return Ok(None);
    }
    let Some((true, free)) = filesystem(Path::new(DIR)) else {
        return Err(format!("{DIR} is not a tmpfs"));
    };
    let (dev, ino) = identity(disk)?;
    let at = path_for(dev, ino);
    // Room for the whole file, or the copy could fill up before the disk
    // (a copy taken over already holds its part).
    let held = std::fs::metadata(&at).map_or(0, |m| m.blocks() as usize * 512);
    if free + held < IMAGE_AT + len {
        return Err(format!(
            "{DIR} has {} MiB free, a copy of a lease file of this capacity may need {} MiB",
            free >> 20,
            (IMAGE_AT + len) >> 20
        ));
    }
    let show = at.display();
    let file = open_rw(&at, false).map_err(|e| format!("{show}: {e}"))?;
    let found = read_stamp(&file);
    let taken_over = found
        .as_ref()
        .is_some_and(|s| s.copying || s.file == stamp_of(disk).unwrap_or_default());
    if !taken_over {
        if found.is_some() {
            report(format!(
                "{show}: working copy dropped: {} changed since VPP last wrote it, and is read instead",
                path.display()
            ));
        }
        file.set_len(0).map_err(|e| format!("{show}: {e}"))?;
    }
    let mut copy = Shadow {
        file,
        path: at,
        dirty: Arc::new(Dirty::new(0)),
        busy: 0,
        generation: 0,
    };
    copy.begin_change()?;
    Ok(Some((copy, taken_over)))
}

/// Makes the copy found by `find` ready for the lease file `disk`, now of
/// `len` bytes with `reserved` reserved: sized, reserved, filled from the
/// file unless taken over (then every page is marked, to be written to the
/// file at the first pass).
pub(super) fn ready(
    copy: &mut Shadow,
    taken_over: bool,
    disk: &File,
    len: usize,
    reserved: usize,
) -> Result<(), String> {
    let show = copy.path.display().to_string();
    let file = &copy.file;
    file.set_len((IMAGE_AT + len) as u64)
        .map_err(|e| format!("{show}: {e}"))?;
    reserve(file, 0, reserved, len).map_err(|e| format!("{show}: {e}"))?;
    if !taken_over {
        copy_range(disk, file, 0, reserved).map_err(|e| format!("{show}: {e}"))?;
    }
    copy.dirty = Arc::new(Dirty::new(len));
    if taken_over {
        copy.dirty.mark_all();
    }
    copy.end_change(disk)
}

/// Copies `[from, to)` of the lease file into the copy's image.
fn copy_range(disk: &File, copy: &File, from: usize, to: usize) -> std::io::Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    let mut at = from;
    while at < to {
        let n = buf.len().min(to - at);
        disk.read_exact_at(&mut buf[..n], at as u64)?;
        copy.write_all_at(&buf[..n], (IMAGE_AT + at) as u64)?;
        at += n;
    }
    Ok(())
}

/// Writes `pages` (taken from the dirty marks) from the mapped copy
/// (`image`, of which `reserved` bytes are in use) to the lease file and
/// waits for the disk.
pub(super) fn write_pages(
    disk: &File,
    pages: &[usize],
    image: *const u8,
    reserved: usize,
) -> Result<(), String> {
    let mut run = 0;
    while run < pages.len() {
        let mut end = run + 1;
        while end < pages.len() && pages[end] == pages[end - 1] + 1 {
            end += 1;
        }
        let from = pages[run] * PAGE;
        let to = ((pages[end - 1] + 1) * PAGE).min(reserved);
        if from < to {
            // SAFETY: `[from, to)` lies in the mapped image; the kernel
            // copies it (workers may write meanwhile: a record torn in this
            // copy is whole in the slot's other copy, and its page is marked
            // again, to be written at the next pass).
            let n = unsafe {
                libc::pwrite(
                    disk.as_raw_fd(),
                    image.add(from).cast(),
                    to - from,
                    from as libc::off_t,
                )
            };
            if n != (to - from) as isize {
                return Err(format!("write: {}", std::io::Error::last_os_error()));
            }
        }
        run = end;
    }
    disk.sync_data().map_err(|e| format!("fdatasync: {e}"))?;
    // The lease file's pages need not stay cached beside the copy.
    // SAFETY: advice on a descriptor we own.
    unsafe { libc::posix_fadvise(disk.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    Ok(())
}
