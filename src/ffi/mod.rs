//! The C ABI that the VPP shim (`vpp-shim/`) calls. `include/dhcp6_server.h`
//! is generated from this module by cbindgen.
//!
//! Rules every function here follows:
//! - no panic crosses into C: each body runs inside `boundary`, and a panic
//!   becomes an error value (for packets: the `internal_error` counter);
//! - pointers from C are checked for NULL before use;
//! - configuration functions run on VPP's main thread with the worker
//!   barrier held (CLI and non-mp-safe API handlers); only
//!   `dhcp6_server_handle_packets` runs on workers, and it never locks.

// These functions are the C ABI, called from the shim only: the pointer
// contract is stated on each function and checked (NULL) where it can be.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod events;
mod lease_file;
mod registration;
mod shard_cell;
mod snapshot;

use std::ffi::{c_char, c_void, CStr};
use std::net::Ipv6Addr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::config::{ConfigError, InterfaceSettings, LinkParameters, ServerConfig};
use crate::counters::{Counter, COUNTER_COUNT};
use crate::duid::{Duid, MAX_DUID_LEN};
use crate::leases::{Lookahead, PoolSpec, PrefetchAddresses, Shard};
use crate::server::{
    client_duid_hint, handle_frame, Clock, Frame, InterfaceFacts, PacketSummary, Verdict,
};
use crate::wire::dhcpv6::MessageType;
use snapshot::Snapshot;

static CONFIG: Snapshot<ServerConfig> = Snapshot::new();
/// What the main thread's maintenance pass reads without touching the shard:
/// whether route changes wait, and when the next lease is due to expire.
static ROUTES_PENDING: AtomicBool = AtomicBool::new(false);
static NEXT_EXPIRY: AtomicU32 = AtomicU32::new(u32::MAX);
static SHARD: shard_cell::ShardCell = shard_cell::ShardCell::new();

/// Applies a configuration change and brings the lease engine's pools in
/// line with it. Main thread, worker barrier held.
fn publish<R>(
    change: impl FnOnce(&mut ServerConfig) -> Result<R, ConfigError>,
) -> Result<R, ConfigError> {
    let result = CONFIG.update(change)?;
    if let Some(config) = CONFIG.load() {
        let pools: Vec<PoolSpec> = config.all_pools().copied().collect();
        // SAFETY: called with the worker barrier held (or from the only
        // thread): no owner thread is inside the graph.
        let shard = unsafe { SHARD.owner() };
        shard.sync_pools(&pools, 0, 1);
        shard.sync_reserved(config.reservations().reserved_set());
        shard.sync_limits(config.limits(), config.max_sw_if_index());
        publish_pool_gauges(&pools, shard);
        // The server DUID in force goes into the lease file, to be the same
        // after a restart even if it was derived from an interface address.
        if let (Some(duid), Some(bytes)) = (config.server_duid(), shard.store_bytes()) {
            if crate::leases::store::header_duid(bytes).as_ref() != Some(duid) {
                crate::leases::store::set_header_duid(bytes, duid);
            }
        }
        note_shard_state(shard);
    }
    Ok(result)
}

static EVENTS: std::sync::OnceLock<events::EventRing> = std::sync::OnceLock::new();

fn event_ring() -> &'static events::EventRing {
    EVENTS.get_or_init(events::EventRing::new)
}

/// Publishes, for the maintenance pass, what the shard has waiting (and
/// hands its lease events to the ring).
fn note_shard_state(shard: &mut Shard) {
    let ring = event_ring();
    let (events, dropped) = shard.take_events();
    for e in events {
        ring.push(e);
    }
    ring.count_dropped(dropped);
    ROUTES_PENDING.store(shard.has_route_ops(), Ordering::Release);
    NEXT_EXPIRY.store(shard.next_expiry().unwrap_or(u32::MAX), Ordering::Release);
}

/// Number of node error counters (the length of the counter table).
pub const DHCP6_SERVER_N_COUNTERS: u32 = 28;
/// Longest DUID in octets (type included).
pub const DHCP6_SERVER_MAX_DUID_LEN: usize = 130;
/// Most DNS servers in option 23.
pub const DHCP6_SERVER_MAX_DNS_SERVERS: usize = 16;

// The literals above are what C sees; they must agree with the core.
const _: () = assert!(DHCP6_SERVER_N_COUNTERS as usize == COUNTER_COUNT);
const _: () = assert!(DHCP6_SERVER_MAX_DUID_LEN == MAX_DUID_LEN);
const _: () = assert!(DHCP6_SERVER_MAX_DNS_SERVERS == crate::config::MAX_DNS_SERVERS);
/// Sentinel interface index: "none" / "all".
pub const DHCP6_SERVER_NO_INTERFACE: u32 = u32::MAX;

/// Result of a configuration call.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dhcp6ServerStatus {
    Ok = 0,
    /// A value was refused; the message says which and why.
    InvalidValue = 1,
    /// The interface is not enabled for DHCPv6 service.
    NotEnabled = 2,
    /// A bug: a panic was caught; nothing was changed.
    InternalError = 3,
}

/// One received packet, in its VPP buffer, and (filled in by
/// `dhcp6_server_handle_packets`) what became of it.
#[repr(C)]
pub struct Dhcp6ServerPacket {
    /// First byte of the Ethernet header.
    pub frame: *mut u8,
    /// Bytes received from `frame` on.
    pub frame_len: u32,
    /// Bytes that may be written from `frame` on.
    pub capacity: u32,
    pub l3_offset: u16,
    pub l4_offset: u16,
    pub rx_sw_if_index: u32,
    /// What VPP knows of the receiving interface.
    pub facts: *const Dhcp6ServerInterfaceFacts,
    /// Out: the counter to bump. `REPLY_SENT` means the reply is in the
    /// buffer and `reply` says where it goes; any other value means drop.
    pub counter: Counter,
    /// Out: where the reply goes.
    pub reply: Dhcp6ServerReply,
    /// Out: what the packet trace shows.
    pub summary: PacketSummary,
}

/// Where a reply goes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dhcp6ServerReply {
    /// Bytes of the reply from the frame's start (Ethernet header).
    pub length: u32,
    /// false: out of the receiving interface as a whole frame;
    /// true: an IPv6 packet from `l3_offset` on, to be routed (ip6-lookup).
    pub routed: bool,
}

/// What VPP knows of the receiving interface; all-zero addresses mean none.
#[repr(C)]
pub struct Dhcp6ServerInterfaceFacts {
    pub mac: [u8; 6],
    pub has_mac: bool,
    pub link_local: [u8; 16],
    pub first_global: [u8; 16],
    pub fib_index: u32,
}

/// Settings of one interface; an all-zero address means "the default".
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerInterfaceSettings {
    pub reply_from: [u8; 16],
    pub link_address: [u8; 16],
    pub accept_multicast: bool,
    pub accept_unicast: bool,
}

fn optional_addr(octets: [u8; 16]) -> Option<Ipv6Addr> {
    let a = Ipv6Addr::from(octets);
    (!a.is_unspecified()).then_some(a)
}

fn octets(addr: Option<Ipv6Addr>) -> [u8; 16] {
    addr.unwrap_or(Ipv6Addr::UNSPECIFIED).octets()
}

impl From<&Dhcp6ServerInterfaceSettings> for InterfaceSettings {
    fn from(s: &Dhcp6ServerInterfaceSettings) -> Self {
        InterfaceSettings {
            reply_from: optional_addr(s.reply_from),
            link_address: optional_addr(s.link_address),
            accept_multicast: s.accept_multicast,
            accept_unicast: s.accept_unicast,
        }
    }
}

impl From<&InterfaceSettings> for Dhcp6ServerInterfaceSettings {
    fn from(s: &InterfaceSettings) -> Self {
        Dhcp6ServerInterfaceSettings {
            reply_from: octets(s.reply_from),
            link_address: octets(s.link_address),
            accept_multicast: s.accept_multicast,
            accept_unicast: s.accept_unicast,
        }
    }
}

impl From<&Dhcp6ServerInterfaceFacts> for InterfaceFacts {
    fn from(f: &Dhcp6ServerInterfaceFacts) -> Self {
        InterfaceFacts {
            mac: f.has_mac.then_some(f.mac),
            link_local: optional_addr(f.link_local),
            first_global: optional_addr(f.first_global),
            fib_index: f.fib_index,
        }
    }
}

/// Runs `body`, turning a panic into `on_panic`.
fn boundary<R>(on_panic: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// Error message sink: a caller buffer that receives a NUL-terminated,
/// possibly truncated message.
struct ErrorBuffer {
    buf: *mut c_char,
    len: usize,
}

impl ErrorBuffer {
    fn new(buf: *mut c_char, len: usize) -> Self {
        ErrorBuffer { buf, len }
    }

    fn write(&self, message: &str) {
        if self.buf.is_null() || self.len == 0 {
            return;
        }
        let n = message.len().min(self.len - 1);
        // SAFETY: the caller passes a writable buffer of `len` bytes; we
        // write `n + 1 <= len` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(message.as_ptr(), self.buf.cast::<u8>(), n);
            *self.buf.add(n) = 0;
        }
    }

    fn status(&self, result: Result<(), ConfigError>) -> Dhcp6ServerStatus {
        match result {
            Ok(()) => Dhcp6ServerStatus::Ok,
            Err(e) => {
                self.write(&e.to_string());
                match e {
                    ConfigError::NotEnabled(_) => Dhcp6ServerStatus::NotEnabled,
                    _ => Dhcp6ServerStatus::InvalidValue,
                }
            }
        }
    }

    fn guarded(&self, body: impl FnOnce() -> Result<(), ConfigError>) -> Dhcp6ServerStatus {
        boundary(None, || Some(self.status(body()))).unwrap_or_else(|| {
            self.write("internal error (see the VPP log); nothing was changed");
            Dhcp6ServerStatus::InternalError
        })
    }
}

fn read_mac(mac: *const u8) -> Option<[u8; 6]> {
    if mac.is_null() {
        return None;
    }
    let mut out = [0u8; 6];
    // SAFETY: a non-null `mac` points at 6 readable bytes (ABI contract).
    unsafe { std::ptr::copy_nonoverlapping(mac, out.as_mut_ptr(), 6) };
    Some(out)
}

/// Reads a NUL-terminated string; NULL or invalid UTF-8 gives `None`.
fn read_str<'a>(text: *const c_char) -> Option<&'a str> {
    if text.is_null() {
        return None;
    }
    // SAFETY: a non-null `text` is a NUL-terminated string that outlives
    // this call (ABI contract).
    unsafe { CStr::from_ptr(text) }.to_str().ok()
}

// ---------------------------------------------------------------- packets

/// Packets ahead of the one being served whose lease-engine memory is
/// prefetched, per lookahead step (see `Lookahead`): started this far ahead,
/// then advanced at the next two distances.
const LOOKAHEAD: [usize; 3] = [6, 4, 2];

/// Prefetches `addresses` into the cache (a hint: the CPU never faults on
/// a prefetch, whatever the address).
fn prefetch(addresses: PrefetchAddresses) {
    for p in addresses.into_iter().filter(|p| !p.is_null()) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: PREFETCHT0 reads nothing architecturally and never faults;
        // SSE, which it needs, is part of the x86_64 baseline.
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast())
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = p;
    }
}

/// The received bytes of a packet (to read a hint from; None if the
/// descriptor is unusable, which `serve_packet` then reports).
fn received(p: &Dhcp6ServerPacket) -> Option<&[u8]> {
    if p.frame.is_null() || p.frame_len > p.capacity {
        return None;
    }
    // SAFETY: `frame` points at `capacity` >= `frame_len` bytes of the
    // packet buffer, which the node owns while it runs.
    Some(unsafe { std::slice::from_raw_parts(p.frame, p.frame_len as usize) })
}

fn duid_hint(p: &Dhcp6ServerPacket) -> Option<&[u8]> {
    received(p).and_then(|f| client_duid_hint(f, usize::from(p.l4_offset)))
}

fn serve_packet(config: &ServerConfig, shard: &mut Shard, now: Clock, p: &mut Dhcp6ServerPacket) {
    if p.frame.is_null() {
        return;
    }
    p.counter = Counter::InternalError;
    p.reply = Dhcp6ServerReply {
        length: 0,
        routed: false,
    };
    p.summary = PacketSummary::default();
    // SAFETY: a non-null `facts` points at the shim's facts of the
    // receiving interface for the duration of the call.
    let Some(facts) = (unsafe { p.facts.as_ref() }) else {
        return;
    };
    if p.frame_len > p.capacity {
        return;
    }
    // SAFETY: `frame` points at `capacity` writable bytes of the packet
    // buffer, which the node owns exclusively while it runs.
    let buf = unsafe { std::slice::from_raw_parts_mut(p.frame, p.capacity as usize) };
    let frame = Frame {
        buf,
        len: p.frame_len as usize,
        l3_offset: usize::from(p.l3_offset),
        l4_offset: usize::from(p.l4_offset),
    };
    let verdict = handle_frame(
        config,
        shard,
        now,
        p.rx_sw_if_index,
        &facts.into(),
        frame,
        &mut p.summary,
    );
    p.counter = match verdict {
        Verdict::Reply { frame_len } | Verdict::Routed { frame_len } => {
            p.reply = Dhcp6ServerReply {
                length: frame_len as u32,
                routed: matches!(verdict, Verdict::Routed { .. }),
            };
            Counter::ReplySent
        }
        Verdict::Drop(counter) => counter,
    };
}

/// Handles the `n` packets of a frame, in order, filling in each one's
/// outcome (a packet with a NULL `frame` was refused by the shim: only its
/// summary is cleared). `now` is wall-clock seconds (lease times are kept
/// in them), `now_ms` milliseconds of VPP's monotonic clock (rate limits).
/// While a packet is served, the lease-engine memory of the packets a few
/// places behind it is prefetched (VPP's dual/quad-loop idea, across the
/// lookups of the lease engine).
///
/// Must run on the lease engine's owner thread (the shim hands packets
/// over to it); never blocks or locks, and allocates only when a new lease
/// grows a lease-engine table past what was reserved (see `leases`).
#[no_mangle]
pub extern "C" fn dhcp6_server_handle_packets(
    packets: *mut Dhcp6ServerPacket,
    n: u32,
    now: u32,
    now_ms: u64,
) {
    let clock = Clock {
        secs: now,
        ms: now_ms,
    };
    if packets.is_null() {
        return;
    }
    // SAFETY: the shim passes its array of `n` descriptors, used by no one
    // else during the call.
    let packets = unsafe { std::slice::from_raw_parts_mut(packets, n as usize) };
    for p in packets.iter_mut() {
        // A NULL frame is a packet the shim refused, its counter set.
        if !p.frame.is_null() {
            p.counter = Counter::InternalError;
        }
        p.summary = PacketSummary::default();
    }
    boundary((), || {
        let Some(config) = CONFIG.load() else {
            for p in packets.iter_mut().filter(|p| !p.frame.is_null()) {
                p.counter = Counter::InterfaceNotEnabled;
            }
            return;
        };
        // SAFETY: only the owner thread gets here (see the function doc).
        let shard = unsafe { SHARD.owner() };
        shard.expire(now);
        let mut ahead = [Lookahead::default(); 8];
        let [start, second, third] = LOOKAHEAD;
        let count = packets.len();
        // Prologue: the first packets get their early steps now.
        for (j, p) in packets.iter().enumerate().take(start) {
            if let Some(duid) = duid_hint(p) {
                prefetch(shard.lookahead_start(duid, &mut ahead[j % 8]));
            }
        }
        for j in 0..second.min(count) {
            prefetch(shard.lookahead_next(&mut ahead[j % 8]));
        }
        for j in 0..third.min(count) {
            prefetch(shard.lookahead_next(&mut ahead[j % 8]));
        }
        for i in 0..count {
            if let Some(p) = packets.get(i + start) {
                ahead[(i + start) % 8] = Lookahead::default();
                if let Some(duid) = duid_hint(p) {
                    prefetch(shard.lookahead_start(duid, &mut ahead[(i + start) % 8]));
                }
            }
            if i + second < count {
                prefetch(shard.lookahead_next(&mut ahead[(i + second) % 8]));
            }
            if i + third < count {
                prefetch(shard.lookahead_next(&mut ahead[(i + third) % 8]));
            }
            serve_packet(config, shard, clock, &mut packets[i]);
        }
        note_shard_state(shard);
    });
}

/// Counter name (stats segment) as a static C string; NULL past the end.
#[no_mangle]
pub extern "C" fn dhcp6_server_counter_name(index: u32) -> *const c_char {
    describe_counter(index).map_or(std::ptr::null(), |(name, _, _)| name.as_ptr().cast())
}

/// Counter description (`show errors`) as a static C string; NULL past the end.
#[no_mangle]
pub extern "C" fn dhcp6_server_counter_description(index: u32) -> *const c_char {
    describe_counter(index).map_or(std::ptr::null(), |(_, desc, _)| desc.as_ptr().cast())
}

/// Counter severity as VPP's `vl_counter_severity_e` value (0 error, 1 warn,
/// 2 info).
#[no_mangle]
pub extern "C" fn dhcp6_server_counter_severity(index: u32) -> u32 {
    describe_counter(index).map_or(0, |(_, _, severity)| severity as u32)
}

fn describe_counter(index: u32) -> Option<(&'static str, &'static str, crate::counters::Severity)> {
    Counter::ALL.get(index as usize).map(|c| c.describe())
}

/// RFC 8415 name of a message type ("Information-request"), or "unknown".
#[no_mangle]
pub extern "C" fn dhcp6_server_message_type_name(msg_type: u8) -> *const c_char {
    match MessageType::from_u8(msg_type) {
        Some(t) => t.name_nul().as_ptr().cast(),
        None => c"unknown".as_ptr(),
    }
}

// ---------------------------------------------------------------- interfaces

/// Reads the settings C passed and runs `f` on them behind the panic
/// boundary.
fn with_settings(
    settings: *const Dhcp6ServerInterfaceSettings,
    err: &ErrorBuffer,
    f: impl FnOnce(InterfaceSettings) -> Result<(), ConfigError>,
) -> Dhcp6ServerStatus {
    // SAFETY: NULL is checked; otherwise the shim passes a valid struct.
    let Some(settings) = (unsafe { settings.as_ref() }) else {
        err.write("no settings given");
        return Dhcp6ServerStatus::InvalidValue;
    };
    let settings = InterfaceSettings::from(settings);
    err.guarded(|| f(settings))
}

/// Checks settings for an interface without changing anything. `mac` is the
/// interface's 6-byte Ethernet address, NULL if it has none.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_check(
    sw_if_index: u32,
    settings: *const Dhcp6ServerInterfaceSettings,
    mac: *const u8,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    with_settings(settings, &err, |s| {
        ServerConfig::check_enable(sw_if_index, &s, read_mac(mac))
    })
}

/// Enables DHCPv6 service on an interface, or replaces its settings.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_enable(
    sw_if_index: u32,
    settings: *const Dhcp6ServerInterfaceSettings,
    mac: *const u8,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    with_settings(settings, &err, |s| {
        publish(|c| c.enable_interface(sw_if_index, s, read_mac(mac)))
    })
}

#[no_mangle]
pub extern "C" fn dhcp6_server_interface_disable(
    sw_if_index: u32,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| publish(|c| c.disable_interface(sw_if_index).map(|_| ())))
}

/// Copies the settings of an enabled interface; false if it is not enabled.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_get(
    sw_if_index: u32,
    out: *mut Dhcp6ServerInterfaceSettings,
) -> bool {
    boundary(false, || {
        let Some(settings) = CONFIG.load().and_then(|c| c.interface(sw_if_index)) else {
            return false;
        };
        // SAFETY: NULL is checked; otherwise `out` is writable.
        match unsafe { out.as_mut() } {
            Some(out) => {
                *out = settings.into();
                true
            }
            None => false,
        }
    })
}

/// The first enabled interface with index >= `from`, or
/// `DHCP6_SERVER_NO_INTERFACE`. Iterate with `from = previous + 1`.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_next(from: u32) -> u32 {
    boundary(DHCP6_SERVER_NO_INTERFACE, || {
        CONFIG
            .load()
            .and_then(|c| c.enabled_interfaces().map(|(i, _)| i).find(|i| *i >= from))
            .unwrap_or(DHCP6_SERVER_NO_INTERFACE)
    })
}

/// The reply-from and link-address in force for `settings` on an interface
/// with `facts` (defaults filled in); all-zero when there is none.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_effective(
    settings: *const Dhcp6ServerInterfaceSettings,
    facts: *const Dhcp6ServerInterfaceFacts,
    reply_from: *mut [u8; 16],
    link_address: *mut [u8; 16],
) {
    boundary((), || {
        // SAFETY: NULLs are checked; otherwise the pointers are valid.
        let (Some(s), Some(f), Some(rf), Some(la)) = (unsafe {
            (
                settings.as_ref(),
                facts.as_ref(),
                reply_from.as_mut(),
                link_address.as_mut(),
            )
        }) else {
            return;
        };
        let settings: InterfaceSettings = s.into();
        let facts: InterfaceFacts = f.into();
        *rf = octets(facts.reply_from(&settings));
        *la = facts.link_address(&settings).octets();
    })
}

// ---------------------------------------------------------------- server-wide

/// Sets the server DUID from hex text ("00:03:00:01:..."); NULL or "auto"
/// returns to the DUID derived from the first enabled interface.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_duid_text(
    text: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        let duid = match read_str(text).map(str::trim) {
            None | Some("auto") => None,
            Some(hex) => Some(Duid::parse_hex(hex).map_err(ConfigError::BadDuid)?),
        };
        publish(|c| {
            c.set_duid(duid);
            Ok(())
        })
    })
}

/// Sets the server DUID from octets; `len == 0` returns to the derived DUID.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_duid(
    duid: *const u8,
    len: usize,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        let duid = if len == 0 || duid.is_null() {
            None
        } else {
            if len > MAX_DUID_LEN {
                return Err(ConfigError::BadDuid(crate::duid::DuidError::Length(len)));
            }
            // SAFETY: a non-null `duid` points at `len` readable bytes.
            let bytes = unsafe { std::slice::from_raw_parts(duid, len) };
            Some(Duid::from_bytes(bytes).map_err(ConfigError::BadDuid)?)
        };
        publish(|c| {
            c.set_duid(duid);
            Ok(())
        })
    })
}

/// Copies the DUID in force into `out` (130 bytes) and returns its length,
/// 0 if none is known yet. `*configured` tells whether it was set by the
/// operator; otherwise `*derived_from` is the interface it came from.
#[no_mangle]
pub extern "C" fn dhcp6_server_get_duid(
    out: *mut u8,
    configured: *mut bool,
    derived_from: *mut u32,
) -> usize {
    boundary(0, || {
        let Some(config) = CONFIG.load() else {
            return 0;
        };
        let (Some(duid), Some(source)) = (config.server_duid(), config.server_duid_source()) else {
            return 0;
        };
        if out.is_null() || configured.is_null() || derived_from.is_null() {
            return 0;
        }
        let bytes = duid.as_bytes();
        // SAFETY: `out` has room for MAX_DUID_LEN bytes, the flags are
        // writable (ABI contract; NULLs checked above).
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len());
            match source {
                crate::config::DuidSource::Configured => {
                    *configured = true;
                    *derived_from = DHCP6_SERVER_NO_INTERFACE;
                }
                crate::config::DuidSource::DerivedFrom(i) => {
                    *configured = false;
                    *derived_from = i;
                }
                crate::config::DuidSource::LeaseFile => {
                    *configured = false;
                    *derived_from = DHCP6_SERVER_NO_INTERFACE;
                }
            }
        }
        bytes.len()
    })
}

/// Reads `count` addresses; NULL or 0 is the empty list.
fn read_servers(servers: *const [u8; 16], count: usize) -> Result<Vec<Ipv6Addr>, ConfigError> {
    if count == 0 || servers.is_null() {
        return Ok(Vec::new());
    }
    if count > crate::config::MAX_DNS_SERVERS {
        return Err(ConfigError::TooManyDnsServers(count));
    }
    // SAFETY: a non-null `servers` points at `count` addresses (ABI contract).
    let octets = unsafe { std::slice::from_raw_parts(servers, count) };
    Ok(octets.iter().map(|o| Ipv6Addr::from(*o)).collect())
}

/// Reads a domain search list: names separated by spaces or commas. A
/// string that is not UTF-8 is refused with a message in `err`.
fn read_domain_search<'a>(
    names: *const c_char,
    err: &ErrorBuffer,
) -> Result<Vec<&'a str>, Dhcp6ServerStatus> {
    let Some(text) = read_str(names) else {
        err.write("domain search list: not a valid UTF-8 string");
        return Err(Dhcp6ServerStatus::InvalidValue);
    };
    Ok(text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .collect())
}

/// Sets the DNS recursive name servers (option 23); `count == 0` clears them.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_dns_servers(
    servers: *const [u8; 16],
    count: usize,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        let list = read_servers(servers, count)?;
        publish(|c| c.set_dns_servers(&list))
    })
}

/// Sets DNS servers and the domain search list together: if either is
/// refused, neither changes.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_options(
    servers: *const [u8; 16],
    count: usize,
    domain_search: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let names = match read_domain_search(domain_search, &err) {
        Ok(names) => names,
        Err(status) => return status,
    };
    err.guarded(|| {
        let list = read_servers(servers, count)?;
        publish(|c| {
            c.set_dns_servers(&list)?;
            c.set_domain_search(&names)
        })
    })
}

/// Copies up to `max` DNS servers into `out`; returns how many there are.
#[no_mangle]
pub extern "C" fn dhcp6_server_get_dns_servers(out: *mut [u8; 16], max: usize) -> usize {
    boundary(0, || {
        let servers = CONFIG.load().map(|c| c.dns_servers()).unwrap_or_default();
        if !out.is_null() {
            for (i, a) in servers.iter().take(max).enumerate() {
                // SAFETY: `out` has room for `max` addresses; i < max.
                unsafe { *out.add(i) = a.octets() };
            }
        }
        servers.len()
    })
}

/// Sets the domain search list (option 24) from names separated by spaces
/// or commas; an empty string clears it.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_domain_search(
    names: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    match read_domain_search(names, &err) {
        Ok(names) => err.guarded(|| publish(|c| c.set_domain_search(&names))),
        Err(status) => status,
    }
}

/// Writes the domain search list, space-separated and NUL-terminated, into
/// `out` (truncated to `len`); returns the full length without the NUL.
#[no_mangle]
pub extern "C" fn dhcp6_server_get_domain_search(out: *mut c_char, len: usize) -> usize {
    boundary(0, || {
        let text = CONFIG
            .load()
            .map(|c| {
                c.domain_search()
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        ErrorBuffer { buf: out, len }.write(&text);
        text.len()
    })
}

// ---------------------------------------------------------------- links, pools, leases

/// "Unset" for the optional numbers of `Dhcp6ServerLinkParameters`.
pub const DHCP6_SERVER_UNSET: u32 = u32::MAX;

/// Link parameters; `DHCP6_SERVER_UNSET` leaves a value as it is (or at its
/// default for a new link). `rapid_commit`: 0 no, 1 yes, other: unset.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerLinkParameters {
    pub preferred_lifetime: u32,
    pub valid_lifetime: u32,
    pub t1: u32,
    pub t2: u32,
    pub rapid_commit: u32,
    pub preference: u32,
}

/// An address range (`is_prefix_pool` false: `first`..`last`) or a prefix
/// pool (`prefix`/`prefix_len` carved into /`delegated_len`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerPool {
    pub is_prefix_pool: bool,
    pub first: [u8; 16],
    pub last: [u8; 16],
    pub prefix: [u8; 16],
    pub prefix_len: u8,
    pub delegated_len: u8,
}

/// Receives one line of text (NUL-terminated) of a view.
pub type Dhcp6ServerLineFn = Option<extern "C" fn(ctx: *mut c_void, line: *const c_char)>;

fn set(v: u32) -> Option<u32> {
    (v != DHCP6_SERVER_UNSET).then_some(v)
}

impl TryFrom<&Dhcp6ServerLinkParameters> for LinkParameters {
    type Error = ConfigError;
    fn try_from(p: &Dhcp6ServerLinkParameters) -> Result<Self, ConfigError> {
        let preference = match set(p.preference) {
            None => None,
            Some(v) => Some(
                u8::try_from(v)
                    .map_err(|_| ConfigError::BadPool(format!("preference {v}: 0 to 255")))?,
            ),
        };
        Ok(LinkParameters {
            preferred_lifetime: set(p.preferred_lifetime),
            valid_lifetime: set(p.valid_lifetime),
            t1: set(p.t1),
            t2: set(p.t2),
            rapid_commit: match p.rapid_commit {
                0 => Some(false),
                1 => Some(true),
                _ => None,
            },
            preference,
        })
    }
}

impl From<&Dhcp6ServerPool> for PoolSpec {
    fn from(p: &Dhcp6ServerPool) -> Self {
        if p.is_prefix_pool {
            PoolSpec::Prefixes {
                prefix: p.prefix.into(),
                len: p.prefix_len,
                delegated_len: p.delegated_len,
            }
        } else {
            PoolSpec::Addresses {
                first: p.first.into(),
                last: p.last.into(),
            }
        }
    }
}

fn read_addr(addr: *const [u8; 16]) -> Option<Ipv6Addr> {
    // SAFETY: a non-null `addr` points at 16 readable bytes (ABI contract).
    unsafe { addr.as_ref() }.map(|o| Ipv6Addr::from(*o))
}

/// Creates a link (identified by prefix/len) or changes its parameters.
#[no_mangle]
pub extern "C" fn dhcp6_server_link_set(
    prefix: *const [u8; 16],
    prefix_len: u8,
    params: *const Dhcp6ServerLinkParameters,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    // SAFETY: NULL is checked; otherwise a valid struct (ABI contract).
    let (Some(prefix), Some(params)) = (read_addr(prefix), unsafe { params.as_ref() }) else {
        err.write("no link given");
        return Dhcp6ServerStatus::InvalidValue;
    };
    err.guarded(|| {
        let params = LinkParameters::try_from(params)?;
        publish(|c| c.set_link(prefix, prefix_len, &params))
    })
}

#[no_mangle]
pub extern "C" fn dhcp6_server_link_remove(
    prefix: *const [u8; 16],
    prefix_len: u8,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let Some(prefix) = read_addr(prefix) else {
        err.write("no link given");
        return Dhcp6ServerStatus::InvalidValue;
    };
    err.guarded(|| publish(|c| c.remove_link(prefix, prefix_len)))
}

/// Adds (`add`) or removes a pool of a link.
#[no_mangle]
pub extern "C" fn dhcp6_server_pool_add_del(
    prefix: *const [u8; 16],
    prefix_len: u8,
    pool: *const Dhcp6ServerPool,
    add: bool,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    // SAFETY: NULL is checked; otherwise a valid struct (ABI contract).
    let (Some(prefix), Some(pool)) = (read_addr(prefix), unsafe { pool.as_ref() }) else {
        err.write("no link or pool given");
        return Dhcp6ServerStatus::InvalidValue;
    };
    let spec = PoolSpec::from(pool);
    err.guarded(|| {
        if add {
            publish(|c| c.add_pool(prefix, prefix_len, spec))
        } else {
            publish(|c| c.remove_pool(prefix, prefix_len, &spec))
        }
    })
}

/// Refuses a relative file name: VPP's working directory is no place an
/// operator would look for a file.
fn absolute(what: &str, path: &str) -> Result<(), ConfigError> {
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(ConfigError::BadOption(format!(
            "{what} {path:?}: give an absolute path"
        )))
    }
}

/// A setting passed as i64: negative means "leave as it is"; past u32 is
/// refused by name.
fn optional_u32(value: i64, what: &str) -> Result<Option<u32>, ConfigError> {
    if value < 0 {
        return Ok(None);
    }
    u32::try_from(value)
        .map(Some)
        .map_err(|_| ConfigError::BadOption(format!("{what} {value} is too large")))
}

/// Sets how long offers and declined addresses are held, in seconds
/// (negative: unchanged; 0 is refused).
#[no_mangle]
pub extern "C" fn dhcp6_server_set_holds(
    offer: i64,
    decline: i64,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        let offer = optional_u32(offer, "offer hold")?;
        let decline = optional_u32(decline, "decline hold")?;
        publish(|c| c.set_holds(offer, decline))
    })
}

/// Flood limits; a negative value leaves that limit as it is, 0 turns it
/// off. Refused as a whole (nothing changes) if any value is out of range.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerLimits {
    pub interface_rate: i64,
    pub interface_burst: i64,
    pub client_rate: i64,
    pub client_burst: i64,
    pub client_leases: i64,
    pub interface_leases: i64,
}

/// Sets the flood limits (see `Dhcp6ServerLimits`).
#[no_mangle]
pub extern "C" fn dhcp6_server_set_limits(
    limits: *const Dhcp6ServerLimits,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        // SAFETY: a non-null `limits` points at the caller's struct.
        let Some(new) = (unsafe { limits.as_ref() }) else {
            return Err(ConfigError::BadLimits("no limits given".into()));
        };
        publish(|c| {
            let mut l = *c.limits();
            let field = |v: i64, what: &str, into: &mut u32| {
                if v >= 0 {
                    *into = u32::try_from(v)
                        .map_err(|_| ConfigError::BadLimits(format!("{what} {v} is too large")))?;
                }
                Ok(())
            };
            field(new.interface_rate, "interface-rate", &mut l.interface.rate)?;
            field(
                new.interface_burst,
                "interface-burst",
                &mut l.interface.burst,
            )?;
            field(new.client_rate, "client-rate", &mut l.client.rate)?;
            field(new.client_burst, "client-burst", &mut l.client.burst)?;
            field(new.client_leases, "client-leases", &mut l.client_leases)?;
            field(
                new.interface_leases,
                "interface-leases",
                &mut l.interface_leases,
            )?;
            c.set_limits(l)
        })
    })
}

/// Prints the flood limits in force, one line.
#[no_mangle]
pub extern "C" fn dhcp6_server_show_limits(line: Dhcp6ServerLineFn, ctx: *mut c_void) {
    boundary((), || {
        if let Some(config) = CONFIG.load() {
            emit(line, ctx, &crate::views::limits(config.limits()));
        }
    })
}

fn emit(line: Dhcp6ServerLineFn, ctx: *mut c_void, text: &str) {
    if let (Some(f), Ok(c)) = (line, std::ffi::CString::new(text)) {
        f(ctx, c.as_ptr());
    }
}

/// Prints the links, their parameters and pools, one line at a time.
#[no_mangle]
pub extern "C" fn dhcp6_server_show_links(line: Dhcp6ServerLineFn, ctx: *mut c_void) {
    boundary((), || {
        if let Some(config) = CONFIG.load() {
            emit_all(line, ctx, crate::views::links(config));
        }
    })
}

fn emit_all(line: Dhcp6ServerLineFn, ctx: *mut c_void, lines: Vec<String>) {
    for text in &lines {
        emit(line, ctx, text);
    }
}

/// Prints the leases held (offered, bound, declined) or, with `all`, free
/// ones too (a free lease is kept for its last client until reused): all,
/// or those of one DUID given as hex text and/or one interface
/// (`DHCP6_SERVER_NO_INTERFACE` for all).
#[no_mangle]
pub extern "C" fn dhcp6_server_show_leases(
    now: u32,
    duid: *const c_char,
    sw_if_index: u32,
    all: bool,
    line: Dhcp6ServerLineFn,
    ctx: *mut c_void,
) {
    boundary((), || {
        let filter = match read_str(duid).map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(hex) => match Duid::parse_hex(hex) {
                Ok(d) => Some(d),
                Err(e) => return emit(line, ctx, &format!("duid: {e}")),
            },
        };
        // SAFETY: views run on the main thread with the barrier held.
        let shard = unsafe { SHARD.owner() };
        let filter = crate::views::LeaseFilter {
            duid: filter,
            sw_if_index: (sw_if_index != DHCP6_SERVER_NO_INTERFACE).then_some(sw_if_index),
            all,
        };
        emit_all(
            line,
            ctx,
            crate::views::leases(shard.leases().map(|(_, l)| l), &filter, now),
        );
    })
}

/// Deletes the lease of an address or delegated prefix (given by its first
/// address): the resource is free again at once.
#[no_mangle]
pub extern "C" fn dhcp6_server_lease_delete(
    resource: *const [u8; 16],
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let Some(addr) = read_addr(resource) else {
        err.write("no address given");
        return Dhcp6ServerStatus::InvalidValue;
    };
    err.guarded(|| {
        // SAFETY: configuration calls run on the main thread, barrier held.
        let shard = unsafe { SHARD.owner() };
        let bits = u128::from_be_bytes(addr.octets());
        let index = [crate::leases::IaKind::Na, crate::leases::IaKind::Pd]
            .into_iter()
            .find_map(|k| shard.holder(k, bits))
            .ok_or(ConfigError::NoSuchLease(addr))?;
        shard.delete(index);
        note_shard_state(shard);
        Ok(())
    })
}

/// Deletes every lease; returns how many there were.
#[no_mangle]
pub extern "C" fn dhcp6_server_leases_clear() -> usize {
    // SAFETY: configuration calls run on the main thread, barrier held.
    boundary(0, || {
        // SAFETY: as above.
        let shard = unsafe { SHARD.owner() };
        let n = shard.clear();
        note_shard_state(shard);
        n
    })
}

/// A change to VPP's FIB: route a delegated prefix (`add`) or stop.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerRouteOp {
    pub add: bool,
    pub prefix: [u8; 16],
    pub prefix_len: u8,
    pub next_hop: [u8; 16],
    /// Next hop's interface; `DHCP6_SERVER_NO_INTERFACE`: resolve recursively.
    pub sw_if_index: u32,
    pub fib_index: u32,
}

/// Applies one route change; returns false if it could not (e.g. the
/// next hop's interface does not exist yet).
pub type Dhcp6ServerRouteFn =
    Option<extern "C" fn(ctx: *mut c_void, op: *const Dhcp6ServerRouteOp) -> bool>;

/// Whether the maintenance pass has work at `now`: route changes waiting,
/// a lease due, or the lease file to write anew. Any thread; reads
/// atomics, never the shard.
#[no_mangle]
pub extern "C" fn dhcp6_server_maintenance_due(now: u32) -> bool {
    ROUTES_PENDING.load(Ordering::Acquire)
        || NEXT_EXPIRY.load(Ordering::Acquire) <= now
        || lease_file::is_lost()
}

/// The maintenance pass: ends what is due at `now`, hands every pending
/// route change to `apply` (one that fails is retried at later passes, see
/// `Shard::apply_route_ops`), and writes the lease file anew if it was
/// deleted or replaced. Main thread, worker barrier held. Returns the
/// number of route changes.
#[no_mangle]
pub extern "C" fn dhcp6_server_maintain(
    now: u32,
    apply: Dhcp6ServerRouteFn,
    ctx: *mut c_void,
) -> u32 {
    boundary(0, || {
        // SAFETY: main thread with the barrier held (function contract).
        let shard = unsafe { SHARD.owner() };
        shard.expire(now);
        let n = shard.apply_route_ops(|op| {
            let c = Dhcp6ServerRouteOp {
                add: op.add,
                prefix: op.prefix.to_be_bytes(),
                prefix_len: op.len,
                next_hop: op.via.next_hop.to_be_bytes(),
                sw_if_index: op.via.sw_if_index,
                fib_index: op.via.fib_index,
            };
            apply.is_some_and(|f| f(ctx, &c))
        });
        lease_file::rehome_if_lost();
        note_shard_state(shard);
        n
    })
}

/// Sets an option by name ("sntp-servers", "ntp-servers",
/// "information-refresh-time", "sol-max-rt", "inf-max-rt", "dns-servers",
/// "domain-search") from text; NULL or "none" clears it. `link_prefix` NULL:
/// server-wide; else for that link.
#[no_mangle]
pub extern "C" fn dhcp6_server_option_set(
    link_prefix: *const [u8; 16],
    link_len: u8,
    name: *const c_char,
    value: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let link = read_addr(link_prefix).map(|p| (p, link_len));
    let Some(kind) = read_str(name).and_then(crate::options::OptionKind::from_name) else {
        let names: Vec<_> = crate::options::OptionKind::ALL
            .iter()
            .map(|k| k.name())
            .collect();
        err.write(&format!("unknown option; one of: {}", names.join(", ")));
        return Dhcp6ServerStatus::InvalidValue;
    };
    let value = read_str(value)
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "none");
    err.guarded(|| publish(|c| c.set_option(link, kind, value)))
}

/// Adds or replaces a reservation: `id` in DHCPKit notation ("duid:...",
/// "interface-id-str:...", ...), `address` and `prefix` as text (empty or
/// NULL for none).
#[no_mangle]
pub extern "C" fn dhcp6_server_reservation_add(
    id: *const c_char,
    address: *const c_char,
    prefix: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let (id, address, prefix) = (
        read_str(id).unwrap_or(""),
        read_str(address).unwrap_or(""),
        read_str(prefix).unwrap_or(""),
    );
    err.guarded(|| publish(|c| c.add_reservation(id, address, prefix)))
}

#[no_mangle]
pub extern "C" fn dhcp6_server_reservation_del(
    id: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let id = read_str(id).unwrap_or("");
    err.guarded(|| publish(|c| c.remove_reservation(id)))
}

/// Replaces all reservations with a DHCPKit CSV file (`path` NULL: the file
/// loaded last). On any error nothing changes. `*count` gets the number.
#[no_mangle]
pub extern "C" fn dhcp6_server_reservations_load(
    path: *const c_char,
    count: *mut u32,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let path = read_str(path);
    err.guarded(|| {
        let n = publish(|c| c.load_reservations_file(path))?;
        // SAFETY: a non-null `count` is writable (ABI contract).
        if let Some(out) = unsafe { count.as_mut() } {
            *out = n as u32;
        }
        Ok(())
    })
}

/// Prints the reservations, one line each.
#[no_mangle]
pub extern "C" fn dhcp6_server_show_reservations(line: Dhcp6ServerLineFn, ctx: *mut c_void) {
    boundary((), || {
        let Some(config) = CONFIG.load() else {
            return emit(line, ctx, "0 reservations");
        };
        emit_all(line, ctx, crate::views::reservations(config));
    })
}

/// One lease, for the binary API's lease dump.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerLease {
    /// Address, or the delegated prefix's first address.
    pub resource: [u8; 16],
    pub prefix_len: u8,
    pub is_prefix: bool,
    /// 1 offered, 2 bound, 3 declined, 4 free (released or expired).
    pub state: u8,
    pub iaid: u32,
    pub duid_len: u8,
    pub duid: [u8; DHCP6_SERVER_MAX_DUID_LEN],
    pub preferred_left: u32,
    pub valid_left: u32,
    /// Interface the client was last served on, or `DHCP6_SERVER_NO_INTERFACE`.
    pub sw_if_index: u32,
    pub routed: bool,
    pub next_hop: [u8; 16],
}

pub type Dhcp6ServerLeaseFn =
    Option<extern "C" fn(ctx: *mut c_void, lease: *const Dhcp6ServerLease)>;

/// Hands every lease (of one interface and/or one DUID when given) to
/// `each`; returns how many. Main thread, barrier held.
#[no_mangle]
pub extern "C" fn dhcp6_server_leases_walk(
    now: u32,
    sw_if_index: u32,
    duid: *const u8,
    duid_len: usize,
    each: Dhcp6ServerLeaseFn,
    ctx: *mut c_void,
) -> u32 {
    boundary(0, || {
        let filter: Option<&[u8]> = if duid.is_null() || duid_len == 0 {
            None
        } else {
            // SAFETY: a non-null `duid` points at `duid_len` bytes.
            Some(unsafe {
                std::slice::from_raw_parts(duid, duid_len.min(DHCP6_SERVER_MAX_DUID_LEN))
            })
        };
        // SAFETY: main thread with the barrier held (function contract).
        let shard = unsafe { SHARD.owner() };
        let mut n = 0;
        for (_, l) in shard.leases() {
            let owner = l.duid.as_ref().map(|d| d.as_bytes());
            if filter.is_some_and(|f| owner != Some(f))
                || (sw_if_index != DHCP6_SERVER_NO_INTERFACE && l.sw_if_index != sw_if_index)
            {
                continue;
            }
            let mut record = Dhcp6ServerLease {
                resource: l.resource.to_be_bytes(),
                prefix_len: l.len,
                is_prefix: l.kind == crate::leases::IaKind::Pd,
                state: match l.state {
                    crate::leases::LeaseState::Offered => 1,
                    crate::leases::LeaseState::Bound => 2,
                    crate::leases::LeaseState::Declined => 3,
                    _ => 4,
                },
                iaid: l.iaid,
                duid_len: 0,
                duid: [0; DHCP6_SERVER_MAX_DUID_LEN],
                preferred_left: l.preferred_until.saturating_sub(now),
                valid_left: l.valid_until.saturating_sub(now),
                sw_if_index: l.sw_if_index,
                routed: l.route.is_some(),
                next_hop: l.route.map_or([0; 16], |r| r.next_hop.to_be_bytes()),
            };
            if let Some(d) = owner {
                record.duid[..d.len()].copy_from_slice(d);
                record.duid_len = d.len() as u8;
            }
            if let Some(f) = each {
                f(ctx, &record);
            }
            n += 1;
        }
        n
    })
}

// ---------------------------------------------------------------- lease file

/// What `show dhcp6-server` says about the lease file (main thread only).
static STORE_STATUS: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

fn set_store_status(text: String) {
    *STORE_STATUS.lock().unwrap_or_else(|p| p.into_inner()) = text;
}

/// Sets the lease file's path (absolute, or "none"), capacity (0: unchanged)
/// and flush interval (0: unchanged). Refused once the file is open: the
/// lease file is chosen before serving starts.
#[no_mangle]
pub extern "C" fn dhcp6_server_lease_store_set(
    path: *const c_char,
    capacity: i64,
    flush_interval: i64,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let path = read_str(path).map(str::trim).filter(|p| !p.is_empty());
    err.guarded(|| {
        // SAFETY: configuration calls run on the main thread, barrier held.
        if unsafe { SHARD.owner() }.has_store() && path.is_some() {
            return Err(ConfigError::BadOption(
                "the lease file is open: set it in startup.conf (or before serving) and restart VPP".into(),
            ));
        }
        let capacity = optional_u32(capacity, "capacity")?;
        let flush_interval = optional_u32(flush_interval, "flush-interval")?;
        let before = CONFIG.load().map(|c| c.lease_store().clone());
        publish(|c| c.set_lease_store(path, capacity, flush_interval))?;
        // Serving without the lease file it was given (it could not be
        // opened): another path is opened now, "none" serves unpersisted.
        // SAFETY: as above.
        let shard = unsafe { SHARD.owner() };
        if !STORE_OPEN_TRIED.load(Ordering::Acquire) || shard.has_store() || path.is_none() {
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
    })
}

/// Whether VPP has tried to open the lease file (it does when it starts
/// serving); until then the lease-file settings only change the config.
static STORE_OPEN_TRIED: AtomicBool = AtomicBool::new(false);

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
        STORE_OPEN_TRIED.store(true, Ordering::Release);
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
fn open_lease_store(now: u32) -> Result<usize, String> {
    let settings = CONFIG
        .load()
        .map(|c| c.lease_store().clone())
        .unwrap_or_default();
    // SAFETY: main thread before the workers run, or barrier held.
    let shard = unsafe { SHARD.owner() };
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
        .and_then(|b| crate::leases::store::header_duid(b))
    {
        let _ = CONFIG.update(|c| {
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
                CONFIG
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
                "{path} (capacity {}, flushed every {}s; at start: {} leases restored in {:.3} s, {} damaged records cleared, {} torn copies)",
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

/// The lease file's figures for the stats segment.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Dhcp6ServerLeaseFileGauges {
    /// Slots whose disk space is reserved (leases that can be kept now).
    pub reserved: u64,
    /// Slots the file can grow to.
    pub capacity: u64,
    /// Slots in use (highest index + 1).
    pub used: u64,
    /// Leases refused because the file could not keep them.
    pub refused: u64,
    /// Failed write-backs to disk (msync).
    pub flush_failures: u64,
}

/// Fills in the lease file's figures. Main thread.
#[no_mangle]
pub extern "C" fn dhcp6_server_lease_file_gauges(out: *mut Dhcp6ServerLeaseFileGauges) {
    boundary((), || {
        let s = lease_file::status();
        // SAFETY: main thread; the shard's counter is read between frames
        // (a torn read of a u64 cannot happen on the 64-bit targets VPP has).
        let refused = unsafe { SHARD.owner() }.store_refusals();
        // SAFETY: a non-null `out` is writable (ABI contract).
        if let Some(out) = unsafe { out.as_mut() } {
            *out = Dhcp6ServerLeaseFileGauges {
                reserved: s.reserved_slots as u64,
                capacity: s.capacity as u64,
                used: s.slots_used as u64,
                refused,
                flush_failures: s.flush_failures,
            };
        }
    })
}

/// Lines saying where leases are kept and how the file is doing.
#[no_mangle]
pub extern "C" fn dhcp6_server_show_lease_store(line: Dhcp6ServerLineFn, ctx: *mut c_void) {
    boundary((), || {
        let status = STORE_STATUS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if status.is_empty() {
            let s = CONFIG
                .load()
                .map(|c| c.lease_store().clone())
                .unwrap_or_default();
            let path = s.path.unwrap_or_else(|| "none".into());
            return emit(
                line,
                ctx,
                &format!("  lease file: {path} (opens when VPP starts serving)"),
            );
        }
        emit(line, ctx, &format!("  lease file: {status}"));
        // SAFETY: views run on the main thread with the barrier held.
        let shard = unsafe { SHARD.owner() };
        let s = lease_file::status();
        if !shard.has_store() {
            emit(
                line,
                ctx,
                &format!("    leases refused: {}", shard.store_refusals()),
            );
            return;
        }
        emit(
            line,
            ctx,
            &format!(
                "    slots: {} in use, {} with disk space reserved, {} at most; leases refused for want of space: {}; failed flushes: {}",
                s.slots_used,
                s.reserved_slots,
                s.capacity,
                shard.store_refusals(),
                s.flush_failures
            ),
        );
        if s.full {
            emit(
                line,
                ctx,
                "    FULL: no disk space for more leases: new leases are refused, bound ones renew",
            );
        }
        if !s.last_error.is_empty() {
            emit(line, ctx, &format!("    last problem: {}", s.last_error));
        }
    })
}

/// Writes every bound and declined lease to `path` in Kea's memfile lease6
/// CSV format (written beside, then renamed over). `*count`: rows written.
#[no_mangle]
pub extern "C" fn dhcp6_server_leases_export(
    path: *const c_char,
    now: u32,
    count: *mut u32,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    use crate::leases::kea_csv;
    let err = ErrorBuffer::new(error, error_len);
    let path = read_str(path).unwrap_or("").trim().to_string();
    err.guarded(|| {
        absolute("export", &path)?;
        let config = CONFIG.load().cloned().unwrap_or_default();
        // SAFETY: CLI/API handlers run on the main thread, barrier held.
        let shard = unsafe { SHARD.owner() };
        let (text, n) = kea_csv::export(
            shard.leases().map(|(_, l)| l),
            |l| config.subnet_id_of(l.resource, l.len),
            now,
        );
        let tmp = format!("{path}.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| ConfigError::BadOption(format!("{path}: {e}")))?;
        // SAFETY: a non-null `count` is writable (ABI contract).
        if let Some(out) = unsafe { count.as_mut() } {
            *out = n;
        }
        Ok(())
    })
}

/// Adds the leases of a Kea memfile lease6 CSV file that are still valid;
/// a lease whose address another client holds here is refused. On a
/// malformed file nothing is imported.
#[no_mangle]
pub extern "C" fn dhcp6_server_leases_import(
    path: *const c_char,
    now: u32,
    imported: *mut u32,
    refused: *mut u32,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    use crate::leases::kea_csv;
    let err = ErrorBuffer::new(error, error_len);
    let path = read_str(path).unwrap_or("").trim().to_string();
    err.guarded(|| {
        absolute("import", &path)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ConfigError::BadOption(format!("{path}: {e}")))?;
        let (leases, _left_out) = kea_csv::import(&text, now)
            .map_err(|e| ConfigError::BadOption(format!("{path}: {e}")))?;
        // SAFETY: CLI/API handlers run on the main thread, barrier held.
        let shard = unsafe { SHARD.owner() };
        let ok = leases.iter().filter(|l| shard.import_lease(l)).count() as u32;
        note_shard_state(shard);
        // SAFETY: non-null out-pointers are writable (ABI contract).
        unsafe {
            if let Some(out) = imported.as_mut() {
                *out = ok;
            }
            if let Some(out) = refused.as_mut() {
                *out = leases.len() as u32 - ok;
            }
        }
        Ok(())
    })
}

/// Message types counted in the stats segment: 0 is "other" (unknown
/// types), 1..=13 the RFC 8415 types.
pub const DHCP6_SERVER_N_STAT_MSG_TYPES: u32 = 14;
/// The stats index of Relay-forward: a relayed message is counted under it
/// as well as under its inner message's type (`PacketSummary::relayed`).
pub const DHCP6_SERVER_STAT_RELAY_FORWARD: u8 = 12;
/// The stats index of Relay-reply: a reply to a relayed message is counted
/// under it as well as under its own type (Advertise, Reply).
pub const DHCP6_SERVER_STAT_RELAY_REPLY: u8 = 13;

// The literals above are what C sees; they must agree with the core.
const _: () = assert!(DHCP6_SERVER_STAT_RELAY_FORWARD == MessageType::RelayForward as u8);
const _: () = assert!(DHCP6_SERVER_STAT_RELAY_REPLY == MessageType::RelayReply as u8);
const _: () = assert!(DHCP6_SERVER_STAT_RELAY_REPLY < DHCP6_SERVER_N_STAT_MSG_TYPES as u8);

/// The stats segment name of a message type ("solicit", "relay-forward",
/// "other"), as a static C string.
#[no_mangle]
pub extern "C" fn dhcp6_server_message_type_stat_name(msg_type: u8) -> *const c_char {
    let name: &'static CStr = match MessageType::from_u8(msg_type) {
        Some(MessageType::Solicit) => c"solicit",
        Some(MessageType::Advertise) => c"advertise",
        Some(MessageType::Request) => c"request",
        Some(MessageType::Confirm) => c"confirm",
        Some(MessageType::Renew) => c"renew",
        Some(MessageType::Rebind) => c"rebind",
        Some(MessageType::Reply) => c"reply",
        Some(MessageType::Release) => c"release",
        Some(MessageType::Decline) => c"decline",
        Some(MessageType::Reconfigure) => c"reconfigure",
        Some(MessageType::InformationRequest) => c"information-request",
        Some(MessageType::RelayForward) => c"relay-forward",
        Some(MessageType::RelayReply) => c"relay-reply",
        None => c"other",
    };
    name.as_ptr()
}

// ---------------------------------------------------------------- pool gauges

/// Per configured pool (in `all_pools` order): its size and its in-use
/// count, shared with the owner thread. Replaced on every configuration
/// change; read by the main thread's maintenance pass without the barrier.
static POOL_GAUGES: std::sync::Mutex<Vec<(u64, std::sync::Arc<std::sync::atomic::AtomicU64>)>> =
    std::sync::Mutex::new(Vec::new());
static POOL_GAUGES_GENERATION: AtomicU32 = AtomicU32::new(0);

fn publish_pool_gauges(pools: &[PoolSpec], shard: &Shard) {
    let shared = shard.pool_gauges();
    let gauges = pools
        .iter()
        .filter_map(|spec| {
            let (_, n) = shared.iter().find(|(s, _)| s == spec)?;
            Some((u64::try_from(spec.size()).unwrap_or(u64::MAX), n.clone()))
        })
        .collect();
    *POOL_GAUGES.lock().unwrap_or_else(|p| p.into_inner()) = gauges;
    POOL_GAUGES_GENERATION.fetch_add(1, Ordering::Release);
}

/// Changes whenever the set of pools changes (the gauges are then made anew).
#[no_mangle]
pub extern "C" fn dhcp6_server_pool_gauges_generation() -> u32 {
    POOL_GAUGES_GENERATION.load(Ordering::Acquire)
}

/// Number of pools with gauges; pool `i` is the i-th of `show dhcp6-server links`.
#[no_mangle]
pub extern "C" fn dhcp6_server_pool_gauges_count() -> u32 {
    boundary(0, || POOL_GAUGES.lock().map_or(0, |g| g.len() as u32))
}

/// Leases in use (offered, bound, declined) and size of pool `i`.
#[no_mangle]
pub extern "C" fn dhcp6_server_pool_gauge(index: u32, in_use: *mut u64, total: *mut u64) -> bool {
    boundary(false, || {
        let Ok(g) = POOL_GAUGES.lock() else {
            return false;
        };
        let Some((size, n)) = g.get(index as usize) else {
            return false;
        };
        // SAFETY: NULLs checked; otherwise writable (ABI contract).
        match unsafe { (in_use.as_mut(), total.as_mut()) } {
            (Some(u), Some(t)) => {
                *u = n.load(Ordering::Relaxed);
                *t = *size;
                true
            }
            _ => false,
        }
    })
}

// ---------------------------------------------------------------- lease events

/// A lease event for API subscribers.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerLeaseEvent {
    /// 1 bound, 2 renewed, 3 released, 4 expired, 5 declined.
    pub kind: u8,
    pub is_prefix: bool,
    pub resource: [u8; 16],
    pub prefix_len: u8,
    pub iaid: u32,
    pub duid_len: u8,
    pub duid: [u8; DHCP6_SERVER_MAX_DUID_LEN],
    pub valid_left: u32,
    pub sw_if_index: u32,
}

pub type Dhcp6ServerLeaseEventFn =
    Option<extern "C" fn(ctx: *mut c_void, event: *const Dhcp6ServerLeaseEvent)>;

/// Starts (or stops) recording lease events: while nobody subscribed the
/// lease engine records none. Main thread, barrier held.
#[no_mangle]
pub extern "C" fn dhcp6_server_events_want(wanted: bool) {
    boundary((), || {
        event_ring();
        // SAFETY: API handlers run on the main thread with the barrier held.
        unsafe { SHARD.owner() }.events_wanted = wanted;
    })
}

/// Hands every lease event waiting in the ring to `each`; main thread, no
/// barrier needed. Returns how many.
#[no_mangle]
pub extern "C" fn dhcp6_server_events_drain(
    now: u32,
    each: Dhcp6ServerLeaseEventFn,
    ctx: *mut c_void,
) -> u32 {
    boundary(0, || {
        let mut n = 0;
        while let Some(e) = event_ring().pop() {
            let c = Dhcp6ServerLeaseEvent {
                kind: e.kind as u8,
                is_prefix: e.ia == crate::leases::IaKind::Pd,
                resource: e.resource.to_be_bytes(),
                prefix_len: e.len,
                iaid: e.iaid,
                duid_len: e.duid_len,
                duid: e.duid,
                valid_left: e.valid_until.saturating_sub(now),
                sw_if_index: e.sw_if_index,
            };
            if let Some(f) = each {
                f(ctx, &c);
            }
            n += 1;
        }
        n
    })
}

/// Lease events dropped because the ring was full (since start).
#[no_mangle]
pub extern "C" fn dhcp6_server_events_dropped() -> u64 {
    boundary(0, || event_ring().dropped())
}
