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

mod commands;
mod events;
mod gauges;
mod huge_pages;
mod interfaces;
mod lease_file;
mod lease_store;
mod leases;
mod looking_glass;
mod packets;
mod prefix_groups;
mod registration;
mod router_adverts;
mod server_wide;
mod shard_cell;
mod show;
mod snapshot;
mod spsc;
mod threads;

pub use commands::*;
pub use gauges::*;
pub use interfaces::*;
pub use lease_store::*;
pub use leases::*;
pub use packets::*;
pub use prefix_groups::*;
pub use router_adverts::*;
pub use server_wide::*;
pub use show::*;

use std::ffi::{c_char, c_void, CStr};
use std::net::Ipv6Addr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::config::{ConfigError, InterfaceSettings, ServerConfig};
use crate::counters::{Counter, COUNTER_COUNT};
use crate::duid::MAX_DUID_LEN;
use crate::leases::{Lookahead, PoolSpec, PrefetchAddresses, Shard};
use crate::router_adverts::RaMode;
use crate::server::{
    client_duid_hint, handle_frame, Clock, Frame, InterfaceFacts, PacketSummary, Verdict,
};
use snapshot::Snapshot;

/// Everything the plugin keeps between calls, in one place.
pub(super) struct Plugin {
    /// The configuration in force, swapped whole: workers read it without
    /// locks, the main thread replaces it with the barrier held.
    config: Snapshot<ServerConfig>,
    /// The lease engine, used by its owner thread only.
    shard: shard_cell::ShardCell,
    /// What the main thread's maintenance pass reads without touching the
    /// shard: whether route changes wait, and when the next lease expires.
    routes_pending: AtomicBool,
    next_expiry: AtomicU32,
    /// Lease events for API subscribers, and how many subscribe.
    events: std::sync::OnceLock<events::EventRing>,
    subscribers: AtomicU32,
    /// What `show dhcp6-server` says of the lease file, and whether VPP has
    /// tried to open it (it does when it starts serving; until then the
    /// lease-file settings only change the config).
    store_status: std::sync::Mutex<String>,
    store_open_tried: AtomicBool,
    /// Per configured pool (in `all_pools` order): whether it is DHCPv4's,
    /// its size and its in-use count, shared with the owner thread;
    /// replaced on every configuration change, and `gauges_generation`
    /// moved on.
    pool_gauges: std::sync::Mutex<PoolGauges>,
    gauges_generation: AtomicU32,
    /// The shim's side (interfaces), registered at init.
    host: std::sync::OnceLock<Dhcp6ServerHost>,
    /// startup.conf items waiting for their interface.
    waiting: std::sync::Mutex<Vec<crate::commands::startup::Item>>,
    /// The CLI command refused last, and why (see `dhcp6_server_command_run`).
    last_refusal: std::sync::Mutex<Option<(&'static str, String)>>,
}

static PLUGIN: Plugin = Plugin {
    config: Snapshot::new(),
    shard: shard_cell::ShardCell::new(),
    routes_pending: AtomicBool::new(false),
    next_expiry: AtomicU32::new(u32::MAX),
    events: std::sync::OnceLock::new(),
    subscribers: AtomicU32::new(0),
    store_status: std::sync::Mutex::new(String::new()),
    store_open_tried: AtomicBool::new(false),
    pool_gauges: std::sync::Mutex::new(Vec::new()),
    gauges_generation: AtomicU32::new(0),
    host: std::sync::OnceLock::new(),
    waiting: std::sync::Mutex::new(Vec::new()),
    last_refusal: std::sync::Mutex::new(None),
};

/// Applies a configuration change and brings the lease engine's pools in
/// line with it. Main thread, worker barrier held.
fn publish<R>(
    change: impl FnOnce(&mut ServerConfig) -> Result<R, ConfigError>,
) -> Result<R, ConfigError> {
    let result = PLUGIN.config.update(change)?;
    if let Some(config) = PLUGIN.config.load() {
        let pools: Vec<PoolSpec> = config.all_pools().copied().collect();
        // SAFETY: called with the worker barrier held (or from the only
        // thread): no owner thread is inside the graph.
        let shard = unsafe { PLUGIN.shard.owner() };
        shard.sync_pools(&pools, 0, 1);
        shard.sync_reserved(config.reservations().reserved_set());
        shard.sync_limits(config.limits(), config.max_sw_if_index());
        publish_pool_gauges(&pools, shard);
        // The server DUID in force goes into the lease file.
        if let Some(duid) = config.server_duid() {
            shard.keep_server_duid(duid);
        }
        looking_glass::sync(config);
        shard.events_wanted = PLUGIN.subscribers.load(Ordering::Relaxed) > 0
            || looking_glass::wants_lease_events(config);
        note_shard_state(shard);
        router_adverts::sync(config);
    }
    Ok(result)
}

/// A value on cache lines of its own (two: the adjacent-line prefetcher
/// pairs them), so that what one core keeps writing never shares a line
/// with what another reads on the packet path.
#[repr(align(128))]
pub(crate) struct OwnLine<T>(pub T);

impl<T> core::ops::Deref for OwnLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn event_ring() -> &'static events::EventRing {
    PLUGIN.events.get_or_init(events::EventRing::new)
}

/// Publishes, for the maintenance pass, what the shard has waiting (and
/// hands its lease events to the ring).
fn note_shard_state(shard: &mut Shard) {
    let ring = event_ring();
    let subscribed = PLUGIN.subscribers.load(Ordering::Relaxed) > 0;
    let (events, dropped) = shard.take_events();
    for e in events {
        looking_glass::lease_event(&e);
        if subscribed {
            ring.push(e);
        }
    }
    if dropped > 0 {
        ring.count_dropped(dropped);
        looking_glass::lease_events_lost(dropped);
    }
    PLUGIN
        .routes_pending
        .store(shard.has_route_ops(), Ordering::Release);
    PLUGIN
        .next_expiry
        .store(shard.next_expiry().unwrap_or(u32::MAX), Ordering::Release);
}

/// Number of node error counters (the length of the counter table).
pub const DHCP6_SERVER_N_COUNTERS: u32 = 40;
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

/// A lease's prefix length on the binary API: a DHCPv4 address goes as
/// its IPv4-mapped IPv6 address, /128.
fn api_prefix_len(kind: crate::leases::ResourceKind, len: u8) -> u8 {
    if kind == crate::leases::ResourceKind::Ipv4 {
        128
    } else {
        len
    }
}

type PoolGauges = Vec<(bool, u64, std::sync::Arc<std::sync::atomic::AtomicU64>)>;

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
    /// A DHCPv4 packet (node dhcp4-server), else DHCPv6.
    pub dhcpv4: bool,
    /// What VPP knows of the receiving interface.
    pub facts: *const Dhcp6ServerInterfaceFacts,
    /// Out: the counter to bump. `REPLY_SENT` means the reply is in the
    /// buffer and `reply` says where it goes; any other value means drop.
    pub counter: Counter,
    /// Out: where the reply goes.
    pub reply: Dhcp6ServerReply,
    /// Out: what the packet trace shows.
    pub summary: PacketSummary,
    /// Out: the stats slots the packet counts in (`DHCP6_SERVER_NO_STAT`
    /// for unused entries).
    pub stats: [u8; DHCP6_SERVER_STATS_PER_PACKET],
}

/// Where a reply goes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dhcp6ServerReply {
    /// Bytes of the reply from the frame's start (Ethernet header).
    pub length: u32,
    /// false: out of the receiving interface as a whole frame;
    /// true: an IP packet from `l3_offset` on, to be routed (ip6-lookup,
    /// ip4-lookup).
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
    /// The first IPv4 address and its prefix length (0: none).
    pub ip4_address: [u8; 4],
    pub ip4_prefix_len: u8,
}

/// Settings of one interface; an all-zero address means "the default".
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerInterfaceSettings {
    pub reply_from: [u8; 16],
    pub link_address: [u8; 16],
    pub accept_multicast: bool,
    pub accept_unicast: bool,
    pub server_unicast: [u8; 16],
    /// 0 unchanged, 1 managed, 2 other (see `dhcp6_server_ra_mode_name`).
    pub ra: u8,
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
            server_unicast: optional_addr(s.server_unicast),
            ra: RaMode::from_code(s.ra),
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
            server_unicast: octets(s.server_unicast),
            ra: s.ra.code(),
        }
    }
}

impl From<&Dhcp6ServerInterfaceFacts> for crate::dhcp4::InterfaceFacts4 {
    fn from(f: &Dhcp6ServerInterfaceFacts) -> Self {
        crate::dhcp4::InterfaceFacts4 {
            mac: f.has_mac.then_some(f.mac),
            address: (f.ip4_prefix_len > 0)
                .then(|| (std::net::Ipv4Addr::from(f.ip4_address), f.ip4_prefix_len)),
        }
    }
}

impl From<&Dhcp6ServerInterfaceFacts> for InterfaceFacts {
    fn from(f: &Dhcp6ServerInterfaceFacts) -> Self {
        InterfaceFacts {
            mac: f.has_mac.then_some(f.mac),
            link_local: optional_addr(f.link_local),
            first_global: optional_addr(f.first_global),
            ipv4_address: (f.ip4_prefix_len > 0).then(|| std::net::Ipv4Addr::from(f.ip4_address)),
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
