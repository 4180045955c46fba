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
    frame_bytes(p, p.frame_len as usize)
}

/// The first `len` bytes of the packet's buffer (None past its capacity).
pub(super) fn frame_bytes(p: &Dhcp6ServerPacket, len: usize) -> Option<&[u8]> {
    if p.frame.is_null() || len > p.capacity as usize {
        return None;
    }
    // SAFETY: `frame` points at `capacity` >= `len` bytes of the packet
    // buffer, which the node owns while it runs.
    Some(unsafe { std::slice::from_raw_parts(p.frame, len) })
}

/// The client's key in the lease engine, read cheaply from the received
/// packet to prefetch its records: the DUID (DHCPv6), or the hardware
/// type and address (DHCPv4; a client with a different Client Identifier
/// only makes the prefetch miss).
pub(super) fn client_hint(p: &Dhcp6ServerPacket) -> Option<ClientHint<'_>> {
    let f = received(p)?;
    let l4 = usize::from(p.l4_offset);
    if p.dhcpv4 {
        crate::dhcp4::client_key_hint(f, l4).map(ClientHint::Key4)
    } else {
        client_duid_hint(f, l4).map(ClientHint::Duid)
    }
}

pub(super) enum ClientHint<'a> {
    Duid(&'a [u8]),
    Key4(arrayvec::ArrayVec<u8, 17>),
}

impl ClientHint<'_> {
    pub(super) fn key(&self) -> &[u8] {
        match self {
            ClientHint::Duid(d) => d,
            ClientHint::Key4(k) => k,
        }
    }
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
    let verdict = if p.dhcpv4 {
        p.summary.dhcpv4 = true;
        crate::dhcp4::handle_frame4(
            config,
            shard,
            now,
            p.rx_sw_if_index,
            &facts.into(),
            frame,
            &mut p.summary,
        )
    } else {
        handle_frame(
            config,
            shard,
            now,
            p.rx_sw_if_index,
            &facts.into(),
            frame,
            &mut p.summary,
        )
    };
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
/// summary is cleared). `wall` is wall-clock seconds (lease times are kept
/// in whole ones; the looking glass stamps transactions with it), `now_ms`
/// milliseconds of VPP's monotonic clock (rate limits).
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
    wall: f64,
    now_ms: u64,
) {
    let now = wall as u32;
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
        let Some(config) = PLUGIN.config.load() else {
            for p in packets.iter_mut().filter(|p| !p.frame.is_null()) {
                p.counter = Counter::InterfaceNotEnabled;
            }
            return;
        };
        // SAFETY: only the owner thread gets here (see the function doc).
        let shard = unsafe { PLUGIN.shard.owner() };
        shard.expire_some(now, super::leases::EXPIRIES_PER_CALL);
        let mut ahead = [Lookahead::default(); 8];
        let [start, second, third] = LOOKAHEAD;
        let count = packets.len();
        // Prologue: the first packets get their early steps now.
        for (j, p) in packets.iter().enumerate().take(start) {
            if let Some(hint) = client_hint(p) {
                prefetch(shard.lookahead_start(hint.key(), &mut ahead[j % 8]));
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
                if let Some(hint) = client_hint(p) {
                    prefetch(shard.lookahead_start(hint.key(), &mut ahead[(i + start) % 8]));
                }
            }
            if i + second < count {
                prefetch(shard.lookahead_next(&mut ahead[(i + second) % 8]));
            }
            if i + third < count {
                prefetch(shard.lookahead_next(&mut ahead[(i + third) % 8]));
            }
            let capture = looking_glass::begin(&packets[i], wall);
            serve_packet(config, shard, clock, &mut packets[i]);
            prefetch(shard.next_allocation_prefetch());
            if let Some(c) = capture {
                looking_glass::finish(c, &packets[i]);
            }
        }
        looking_glass::end_of_frame();
        note_shard_state(shard);
    });
    for p in packets.iter_mut() {
        p.stats = crate::stats::slots(&p.summary, p.counter);
    }
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

/// Stats-segment counter slots (`crate::stats`), and per packet.
pub const DHCP6_SERVER_N_STATS: usize = 130;
pub const DHCP6_SERVER_STATS_PER_PACKET: usize = 4;
/// An unused entry of `Dhcp6ServerPacket::stats`.
pub const DHCP6_SERVER_NO_STAT: u8 = 255;

// The literals above are what C sees; they must agree with the core.
const _: () = assert!(DHCP6_SERVER_N_STATS == crate::stats::SLOTS);
const _: () = assert!(DHCP6_SERVER_STATS_PER_PACKET == crate::stats::PER_PACKET);
const _: () = assert!(DHCP6_SERVER_NO_STAT == crate::stats::NONE);

/// Stats segment name of slot `index` ("/dhcp6-server/rx/solicit") as a
/// static C string; NULL for an unused slot or past the end.
#[no_mangle]
pub extern "C" fn dhcp6_server_stat_name(index: u32) -> *const c_char {
    static NAMES: std::sync::OnceLock<Vec<Option<std::ffi::CString>>> = std::sync::OnceLock::new();
    boundary(std::ptr::null(), || {
        let names = NAMES.get_or_init(|| {
            (0..crate::stats::SLOTS)
                .map(|i| crate::stats::name(i).and_then(|n| std::ffi::CString::new(n).ok()))
                .collect()
        });
        match names.get(index as usize) {
            Some(Some(n)) => n.as_ptr(),
            _ => std::ptr::null(),
        }
    })
}

/// The packet trace's text for one packet (after "DHCPv6 server: <if> "),
/// NUL-terminated in `out`; a second line is indented by `indent`.
#[no_mangle]
pub extern "C" fn dhcp6_server_trace_text(
    summary: *const PacketSummary,
    counter: u32,
    indent: u32,
    out: *mut c_char,
    len: usize,
) {
    boundary((), || {
        let counter = Counter::ALL.get(counter as usize).copied();
        // SAFETY: a non-null `summary` points at a trace record's summary
        // (ABI contract).
        if let (Some(s), Some(c)) = (unsafe { summary.as_ref() }, counter) {
            ErrorBuffer::new(out, len).write(&crate::views::trace(s, c, indent as usize));
        }
    })
}
