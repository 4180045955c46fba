//! The per-packet entry point, and the names of counters and message
//! types for VPP's counters and the stats segment.

use super::*;

/// Packets ahead of the one being served whose lease-engine memory is
/// prefetched, per lookahead step (see `Lookahead`): started this far ahead,
/// then advanced at the next two distances.
pub(super) const LOOKAHEAD: [usize; 3] = [6, 4, 2];

/// Prefetches `addresses` into the cache (a hint: the CPU never faults on
/// a prefetch, whatever the address).
pub(super) fn prefetch(addresses: PrefetchAddresses) {
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
pub(super) fn received(p: &Dhcp6ServerPacket) -> Option<&[u8]> {
    if p.frame.is_null() || p.frame_len > p.capacity {
        return None;
    }
    // SAFETY: `frame` points at `capacity` >= `frame_len` bytes of the
    // packet buffer, which the node owns while it runs.
    Some(unsafe { std::slice::from_raw_parts(p.frame, p.frame_len as usize) })
}

pub(super) fn duid_hint(p: &Dhcp6ServerPacket) -> Option<&[u8]> {
    received(p).and_then(|f| client_duid_hint(f, usize::from(p.l4_offset)))
}

pub(super) fn serve_packet(
    config: &ServerConfig,
    shard: &mut Shard,
    now: Clock,
    p: &mut Dhcp6ServerPacket,
) {
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

pub(super) fn describe_counter(
    index: u32,
) -> Option<(&'static str, &'static str, crate::counters::Severity)> {
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
