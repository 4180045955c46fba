//! The looking glass's producer: librdkafka (`rdkafka`) on a thread of
//! the plugin's own, fed by the transaction ring (`ring`) that the packet
//! path fills without waiting, and by the lease events the lease owner
//! thread hands over after each frame. Started, reconfigured and stopped from `publish` (main thread,
//! barrier held); the packet path sees the running one through one atomic
//! pointer, swapped only while it is parked at the barrier.

mod rdkafka;
mod ring;

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::config::ServerConfig;
use crate::leases::LeaseEvent;
use crate::looking_glass::record::{write_transaction, RecordType};
use crate::looking_glass::{lease_record, Settings, Status, Transactions};
use ring::TransactionRing;

use super::events::EventRing;
use super::{Dhcp6ServerPacket, OwnLine, PacketSummary};

/// What the producer thread, the packet path and the main thread share.
struct Shared {
    settings: Settings,
    transactions: TransactionRing,
    leases: EventRing,
    stop: AtomicBool,
    /// Written by the producer thread for every record: off the lines the
    /// packet path reads.
    counters: OwnLine<Counters>,
    last_error: Mutex<Option<String>>,
    server_name: Mutex<String>,
}

struct Counters {
    sent: AtomicU64,
    /// Transactions dropped past the ring: librdkafka's queue full,
    /// delivery failed.
    dropped: AtomicU64,
    lease_records: AtomicU64,
    /// Lease records lost past the stream's ring (which counts its own):
    /// librdkafka's queue full, delivery failed.
    lease_dropped: AtomicU64,
    in_flight: AtomicU64,
    connected: AtomicBool,
}

impl Counters {
    /// Where a record of kind `what` (TRANSACTION, LEASE) is counted when
    /// it is lost.
    fn dropped_counter(&self, what: usize) -> &AtomicU64 {
        if what == LEASE {
            &self.lease_dropped
        } else {
            &self.dropped
        }
    }
}

impl Shared {
    fn note_error(&self, e: String) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
    }
}

/// The running producer, for the packet path (null: off).
static ACTIVE: AtomicPtr<Shared> = AtomicPtr::new(std::ptr::null_mut());
/// The running producer and its thread, for the main thread.
static RUNNING: Mutex<Option<(Arc<Shared>, JoinHandle<()>)>> = Mutex::new(None);

/// Brings the producer in line with the configuration. Main thread,
/// barrier held (the packet path is parked). A producer replaced or
/// stopped is told to stop and left to flush what it has (a second at
/// most) on its own thread: the barrier does not wait for it.
pub(super) fn sync(config: &ServerConfig) {
    let wanted = config.looking_glass();
    let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    if running.as_ref().map(|(s, _)| &s.settings) == wanted {
        return;
    }
    ACTIVE.store(std::ptr::null_mut(), Ordering::Release);
    if let Some((shared, _thread)) = running.take() {
        shared.stop.store(true, Ordering::Release);
    }
    let Some(settings) = wanted.cloned() else {
        return;
    };
    let shared = Arc::new(Shared {
        transactions: TransactionRing::new(match settings.transactions {
            Transactions::None => 1,
            _ => settings.queue as usize,
        }),
        leases: EventRing::new(),
        settings,
        stop: AtomicBool::new(false),
        counters: OwnLine(Counters {
            sent: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            lease_records: AtomicU64::new(0),
            lease_dropped: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            connected: AtomicBool::new(false),
        }),
        last_error: Mutex::new(None),
        server_name: Mutex::new(String::new()),
    });
    let for_thread = shared.clone();
    match super::threads::spawn("dhcp6-kafka", move || produce(&for_thread)) {
        Ok(thread) => {
            ACTIVE.store(Arc::as_ptr(&shared).cast_mut(), Ordering::Release);
            *running = Some((shared, thread));
        }
        Err(e) => shared.note_error(format!("no producer thread: {e}")),
    }
}

/// Whether lease events are wanted for the lease stream.
pub(super) fn wants_lease_events(config: &ServerConfig) -> bool {
    config
        .looking_glass()
        .is_some_and(|s| s.lease_topic.is_some())
}

fn active() -> Option<&'static Shared> {
    let p = ACTIVE.load(Ordering::Acquire);
    // SAFETY: a non-null ACTIVE points into an Arc that RUNNING and the
    // producer thread hold; it is nulled (barrier held, so no packet path
    // is inside; the main thread, the lease events' reader, is the one
    // doing it) before RUNNING lets its Arc go, and the thread's outlives
    // that.
    unsafe { p.as_ref() }
}

/// A transaction being captured: its slot in the ring.
pub(super) struct Capture(&'static mut ring::Slot);

/// Packet path, before the packet is served: copies the message received
/// into a free slot (none: off, not wanted, or the ring full, counted).
pub(super) fn begin(p: &Dhcp6ServerPacket, wall: f64) -> Option<Capture> {
    let shared = active()?;
    if shared.settings.transactions == Transactions::None {
        return None;
    }
    let message = udp_payload(p, usize::from(p.l4_offset), p.frame_len as usize)?;
    let slot = shared.transactions.reserve()?;
    slot.time = wall;
    slot.set_in(message);
    Some(Capture(slot))
}

/// Packet path, after: adds the reply (if any) and hands the slot over,
/// unless only answered transactions are wanted and there was none.
pub(super) fn finish(capture: Capture, p: &Dhcp6ServerPacket) {
    let Some(shared) = active() else {
        return;
    };
    let Capture(slot) = capture;
    slot.kind = record_type(&p.summary) as u8;
    let reply = (p.reply.length > 0)
        .then(|| {
            // The reply's IP header has no options: UDP right after it.
            let ip_len = if p.summary.dhcpv4 { 20 } else { 40 };
            udp_payload(
                p,
                usize::from(p.l3_offset) + ip_len,
                p.reply.length as usize,
            )
        })
        .flatten();
    match reply {
        Some(r) => slot.set_out(r),
        None if shared.settings.transactions == Transactions::Answered => return,
        None => slot.set_out(&[]),
    }
    shared.transactions.commit();
}

/// Packet path, after the frame: the frame's transactions go to the
/// producer thread together (one write of a shared line per frame).
pub(super) fn end_of_frame() {
    if let Some(shared) = active() {
        shared.transactions.publish();
    }
}

fn record_type(s: &PacketSummary) -> RecordType {
    if s.dhcpv4 {
        RecordType::Dhcpv4
    } else if s.msg_type_in == crate::wire::dhcpv6::MessageType::Dhcpv4Query as u8 {
        RecordType::Dhcpv4OverDhcpv6
    } else {
        RecordType::Dhcpv6
    }
}

/// The UDP payload of the frame in `p` whose UDP header is at `l4`, the
/// frame `len` bytes long.
fn udp_payload(p: &Dhcp6ServerPacket, l4: usize, len: usize) -> Option<&[u8]> {
    let frame = super::packets::frame_bytes(p, len)?;
    let udp_len = usize::from(u16::from_be_bytes([
        *frame.get(l4 + 4)?,
        *frame.get(l4 + 5)?,
    ]));
    frame.get(l4 + 8..l4 + udp_len)
}

/// A lease event for the lease stream (dropped, counted, when the stream's
/// ring is full). The lease owner thread, or the main thread while the
/// owner is parked at the barrier: one producer at a time.
pub(super) fn lease_event(e: &LeaseEvent) {
    if let Some(shared) = active().filter(|s| s.settings.lease_topic.is_some()) {
        shared.leases.push(*e);
    }
}

/// Lease events the shard could not keep (more than it holds between two
/// hand-overs): lease records lost, counted.
pub(super) fn lease_events_lost(n: u64) {
    if let Some(shared) = active().filter(|s| s.settings.lease_topic.is_some()) {
        shared.leases.count_dropped(n);
    }
}

/// What `show dhcp6-server looking-glass` and the gauges say.
pub(super) fn status() -> Status {
    let running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    let Some((s, thread)) = running.as_ref() else {
        return Status::default();
    };
    let text = |m: &Mutex<Option<String>>| m.lock().map(|g| g.clone()).unwrap_or_default();
    Status {
        running: !thread.is_finished(),
        connected: s.counters.connected.load(Ordering::Relaxed),
        server_name: s.server_name.lock().map(|g| g.clone()).unwrap_or_default(),
        sent: s.counters.sent.load(Ordering::Relaxed),
        queued: s.transactions.len() as u64 + s.counters.in_flight.load(Ordering::Relaxed),
        dropped: s.counters.dropped.load(Ordering::Relaxed) + s.transactions.dropped(),
        lease_records: s.counters.lease_records.load(Ordering::Relaxed),
        lease_dropped: s.counters.lease_dropped.load(Ordering::Relaxed) + s.leases.dropped(),
        last_error: text(&s.last_error),
    }
}

/// The stats segment's gauges of the looking glass, and their values.
pub(super) const GAUGES: [&CStr; 5] = [
    c"/dhcp6-server/looking-glass/sent",
    c"/dhcp6-server/looking-glass/queued",
    c"/dhcp6-server/looking-glass/dropped",
    c"/dhcp6-server/looking-glass/lease-records",
    c"/dhcp6-server/looking-glass/lease-records-dropped",
];

pub(super) fn gauges() -> [u64; 5] {
    let s = status();
    [
        s.sent,
        s.queued,
        s.dropped,
        s.lease_records,
        s.lease_dropped,
    ]
}

// ------------------------------------------------------------ the thread

/// Transactions published per turn before librdkafka is polled.
const BATCH: usize = 256;
/// How long an idle turn waits in librdkafka's poll (it returns at once
/// when a delivery report comes).
const IDLE_POLL_MS: c_int = 2;
/// What record a delivery report is about (librdkafka's msg_opaque).
const TRANSACTION: usize = 1;
const LEASE: usize = 2;

/// The producer thread's body.
fn produce(shared: &Arc<Shared>) {
    let name = shared
        .settings
        .server_name
        .clone()
        .unwrap_or_else(host_name);
    *shared.server_name.lock().unwrap_or_else(|p| p.into_inner()) = name.clone();
    let api = match rdkafka::api() {
        Ok(api) => api,
        Err(e) => return shared.note_error(e),
    };
    let producer = match Producer::new(api, shared) {
        Ok(p) => p,
        Err(e) => return shared.note_error(e),
    };
    let mut record = Vec::with_capacity(2 * ring::SLOT_BYTES + 512);
    while !shared.stop.load(Ordering::Acquire) {
        let mut done = 0;
        while done < BATCH {
            let Some(slot) = shared.transactions.front() else {
                break;
            };
            record.clear();
            let kind = match slot.kind {
                2 => RecordType::Dhcpv4,
                3 => RecordType::Dhcpv4OverDhcpv6,
                _ => RecordType::Dhcpv6,
            };
            write_transaction(
                &mut record,
                kind,
                &name,
                (slot.time, slot.message_in()),
                (slot.time, slot.message_out()),
            );
            shared.transactions.pop();
            producer.send(producer.topic, &record, None, TRANSACTION);
            done += 1;
        }
        while let Some(e) = shared.leases.pop() {
            let key = lease_record::key(&e);
            let value = lease_record::value(&e, &name, wall_now());
            producer.send(
                producer.lease_topic,
                value.as_bytes(),
                Some(key.as_bytes()),
                LEASE,
            );
        }
        // SAFETY: a live producer handle.
        unsafe { (api.poll)(producer.rk, if done == 0 { IDLE_POLL_MS } else { 0 }) };
    }
    // Stopping: what is queued gets a second to go.
    // SAFETY: a live producer handle.
    unsafe { (api.flush)(producer.rk, 1000) };
}

/// A librdkafka producer with its two topics.
struct Producer {
    api: &'static rdkafka::Api,
    shared: Arc<Shared>,
    rk: *mut rdkafka::Kafka,
    topic: *mut rdkafka::Topic,
    lease_topic: *mut rdkafka::Topic,
}

impl Producer {
    fn new(api: &'static rdkafka::Api, shared: &Arc<Shared>) -> Result<Self, String> {
        let s = &shared.settings;
        // SAFETY: rd_kafka_conf_new has no preconditions.
        let conf = unsafe { (api.conf_new)() };
        let queue = s.queue.to_string();
        let settings = [
            ("bootstrap.servers", s.brokers.as_str()),
            ("client.id", "vpp-dhcp6-server"),
            // Buffered while the broker is away, up to the bound, never
            // expired; retried until it is back.
            ("queue.buffering.max.messages", queue.as_str()),
            ("message.timeout.ms", "0"),
            ("linger.ms", "5"),
            ("reconnect.backoff.max.ms", "1000"),
            // A topic the broker refused (not authorized, unknown) is
            // asked about again every 5 s, not librdkafka's 5 min: once the
            // broker takes it, records go again.
            ("topic.metadata.refresh.interval.ms", "5000"),
        ];
        for (name, value) in settings {
            let mut err = [0 as c_char; 256];
            let (n, v) = (cstring(name), cstring(value));
            // SAFETY: a live conf, NUL-terminated strings and a buffer of
            // the length given.
            let rc = unsafe {
                (api.conf_set)(conf, n.as_ptr(), v.as_ptr(), err.as_mut_ptr(), err.len())
            };
            if rc != rdkafka::CONF_OK {
                // SAFETY: the conf was not handed to rd_kafka_new.
                unsafe { (api.conf_destroy)(conf) };
                return Err(format!(
                    "librdkafka refused {name}={value}: {}",
                    super::commands::read_c_buffer(&err)
                ));
            }
        }
        // SAFETY: a live conf and callbacks that outlive it; the opaque
        // they get is the Shared this Producer holds an Arc of until after
        // rd_kafka_destroy (the last point callbacks run).
        unsafe {
            (api.conf_set_dr_msg_cb)(conf, on_delivery);
            (api.conf_set_error_cb)(conf, on_error);
            (api.conf_set_opaque)(conf, Arc::as_ptr(shared).cast_mut().cast());
        }
        let mut err = [0 as c_char; 256];
        // SAFETY: a live conf (owned by the producer on success) and a
        // buffer of the length given.
        let rk = unsafe { (api.new)(rdkafka::PRODUCER, conf, err.as_mut_ptr(), err.len()) };
        if rk.is_null() {
            // SAFETY: rd_kafka_new failed: the conf is still ours.
            unsafe { (api.conf_destroy)(conf) };
            return Err(format!(
                "no Kafka producer: {}",
                super::commands::read_c_buffer(&err)
            ));
        }
        let topic_of = |name: &str| {
            let n = cstring(name);
            // SAFETY: a live producer and a NUL-terminated name.
            unsafe { (api.topic_new)(rk, n.as_ptr(), std::ptr::null_mut()) }
        };
        let topic = topic_of(&s.topic);
        let lease_topic = s
            .lease_topic
            .as_deref()
            .map_or(std::ptr::null_mut(), topic_of);
        Ok(Producer {
            api,
            shared: shared.clone(),
            rk,
            topic,
            lease_topic,
        })
    }

    /// Hands one record to librdkafka (copied), or counts it dropped.
    fn send(&self, topic: *mut rdkafka::Topic, value: &[u8], key: Option<&[u8]>, what: usize) {
        if topic.is_null() {
            self.dropped(what).fetch_add(1, Ordering::Relaxed);
            return;
        }
        let (k, klen) = key.map_or((std::ptr::null(), 0), |k| {
            (k.as_ptr().cast::<c_void>(), k.len())
        });
        // SAFETY: a live topic; librdkafka copies the value and key
        // (MSG_F_COPY) before it returns.
        let rc = unsafe {
            (self.api.produce)(
                topic,
                rdkafka::PARTITION_UA,
                rdkafka::MSG_F_COPY,
                value.as_ptr().cast_mut().cast(),
                value.len(),
                k,
                klen,
                what as *mut c_void,
            )
        };
        if rc == 0 {
            self.shared
                .counters
                .in_flight
                .fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.dropped(what).fetch_add(1, Ordering::Relaxed);
        // SAFETY: no preconditions.
        let err = unsafe { (self.api.last_error)() };
        if err != rdkafka::ERR_QUEUE_FULL {
            self.shared.note_error(rdkafka::describe(self.api, err));
        }
    }

    fn dropped(&self, what: usize) -> &AtomicU64 {
        self.shared.counters.dropped_counter(what)
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        // SAFETY: live handles, destroyed once, topics before the producer.
        unsafe {
            for t in [self.topic, self.lease_topic] {
                if !t.is_null() {
                    (self.api.topic_destroy)(t);
                }
            }
            (self.api.destroy)(self.rk);
        }
    }
}

/// The Shared a callback's opaque points at (callbacks run inside
/// rd_kafka_poll, rd_kafka_flush and rd_kafka_destroy, on the producer
/// thread, while its Producer holds an Arc of it).
fn callback_target(opaque: *mut c_void) -> Option<&'static Shared> {
    // SAFETY: the opaque set in Producer::new (see there).
    unsafe { opaque.cast::<Shared>().as_ref() }
}

extern "C" fn on_delivery(_: *mut rdkafka::Kafka, m: *const rdkafka::Message, opaque: *mut c_void) {
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: librdkafka passes a valid message for the callback's
        // duration.
        let (Some(s), Some(m)) = (callback_target(opaque), unsafe { m.as_ref() }) else {
            return;
        };
        s.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
        let counter = match (m.err, m.opaque as usize) {
            (0, LEASE) => &s.counters.lease_records,
            (0, _) => &s.counters.sent,
            (_, what) => s.counters.dropped_counter(what),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        s.counters.connected.store(m.err == 0, Ordering::Relaxed);
        if m.err != 0 {
            if let Ok(api) = rdkafka::api() {
                s.note_error(format!("delivery: {}", rdkafka::describe(api, m.err)));
            }
        }
    });
}

extern "C" fn on_error(
    _: *mut rdkafka::Kafka,
    err: c_int,
    reason: *const c_char,
    opaque: *mut c_void,
) {
    let _ = std::panic::catch_unwind(|| {
        let Some(s) = callback_target(opaque) else {
            return;
        };
        if err == rdkafka::ERR_ALL_BROKERS_DOWN {
            s.counters.connected.store(false, Ordering::Relaxed);
        }
        if !reason.is_null() {
            // SAFETY: librdkafka passes a NUL-terminated reason.
            let why = unsafe { CStr::from_ptr(reason) }
                .to_string_lossy()
                .into_owned();
            s.note_error(why);
        }
    });
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

fn wall_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The host's fully qualified name: its canonical name in the resolver,
/// else the plain host name (looked up on the producer thread: a DNS query
/// may take a while, never on VPP's threads).
fn host_name() -> String {
    let mut buf = [0 as c_char; 256];
    // SAFETY: a buffer of the length given.
    if unsafe { libc::gethostname(buf.as_mut_ptr(), buf.len() - 1) } != 0 {
        return "localhost".into();
    }
    let short = super::commands::read_c_buffer(&buf);
    let hints = libc::addrinfo {
        ai_flags: libc::AI_CANONNAME,
        ai_family: libc::AF_UNSPEC,
        ai_socktype: 0,
        ai_protocol: 0,
        ai_addrlen: 0,
        ai_addr: std::ptr::null_mut(),
        ai_canonname: std::ptr::null_mut(),
        ai_next: std::ptr::null_mut(),
    };
    let mut found: *mut libc::addrinfo = std::ptr::null_mut();
    let node = cstring(&short);
    // SAFETY: NUL-terminated node, valid hints, an out pointer.
    if unsafe { libc::getaddrinfo(node.as_ptr(), std::ptr::null(), &hints, &mut found) } != 0 {
        return short;
    }
    // SAFETY: getaddrinfo succeeded: `found` is a list to free once; its
    // first entry's canonname is NULL or NUL-terminated.
    let name = unsafe {
        let canon = (*found).ai_canonname;
        let name = (!canon.is_null()).then(|| CStr::from_ptr(canon).to_string_lossy().into_owned());
        libc::freeaddrinfo(found);
        name
    };
    name.filter(|n| !n.is_empty()).unwrap_or(short)
}
