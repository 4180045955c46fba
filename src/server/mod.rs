//! The per-packet path: a received DHCPv6 frame in, a reply written over it
//! in the same buffer or a counted reason to drop it.
//!
//! Nothing here locks or blocks. A steady-state packet (a Renew, an
//! Information-request) allocates nothing (`tests/steady_state_alloc.rs`
//! counts); a new lease may grow a lease-engine table past what was
//! reserved up front (see `leases`). The
//! request's fields are copied to the stack (`request`), the exchange runs
//! against the lease engine (`exchange`), and the reply, wrapped in
//! Relay-reply envelopes when the request came through relays (`reply`), is
//! written where the request was.

mod exchange;
pub mod reply;
pub mod request;

use core::net::Ipv6Addr;

use crate::config::{InterfaceSettings, ServerConfig};
use crate::counters::Counter;
use crate::leases::{RouteVia, Shard, Time};
use crate::reservations::{id_key, IdKind, Reservation};
use crate::wire::dhcpv6::{Message, MessageType, WireError};
use crate::wire::frame::{
    finish_udp, write_ipv6_header, Ipv6Header, UdpHeader, DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT,
    ETHERNET_ADDRS_LEN, ETHERNET_ADDR_LEN, IPV6_HEADER_LEN, IP_PROTOCOL_UDP, UDP_HEADER_LEN,
};
use exchange::{Delivery, Exchange};
use reply::{relay_overhead, wrap_in_relay_replies};
use request::{read_client_message, unwrap_relays, ClientMessage, RelayChain, RelayIds};

/// What VPP knows about the receiving interface, looked up per packet so
/// address changes made after enabling the interface are always honoured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InterfaceFacts {
    pub mac: Option<[u8; 6]>,
    pub link_local: Option<Ipv6Addr>,
    pub first_global: Option<Ipv6Addr>,
    /// The interface's first IPv4 address (the Server Identifier of its
    /// DHCPv4-over-DHCPv6 replies when their link sets none).
    pub ipv4_address: Option<core::net::Ipv4Addr>,
    /// The interface's IPv6 FIB table (delegated prefixes are routed there).
    pub fib_index: u32,
}

impl InterfaceFacts {
    /// `reply-from` in force: the configured address, else the link-local.
    pub fn reply_from(&self, settings: &InterfaceSettings) -> Option<Ipv6Addr> {
        settings.reply_from.or(self.link_local)
    }

    /// `link-address` in force: configured, else first global, else `::`.
    pub fn link_address(&self, settings: &InterfaceSettings) -> Ipv6Addr {
        settings
            .link_address
            .or(self.first_global)
            .unwrap_or(Ipv6Addr::UNSPECIFIED)
    }
}

/// A received frame, in place in its packet buffer.
pub struct Frame<'a> {
    /// From the first byte of the Ethernet header to the end of the space
    /// the reply may use.
    pub buf: &'a mut [u8],
    /// Bytes received, from the Ethernet header on.
    pub len: usize,
    /// Where the IPv6 header starts (after Ethernet and any VLAN tags).
    pub l3_offset: usize,
    /// Where the UDP header starts.
    pub l4_offset: usize,
}

/// Bytes of the client DUID kept for the packet trace.
pub const DHCP6_SERVER_TRACE_DUID_LEN: usize = 32;

/// What the packet trace shows for one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct PacketSummary {
    /// Message type received, 0 if none could be read. For a relayed
    /// message, the type of the innermost message once it could be read
    /// (Relay-forward until then).
    pub msg_type_in: u8,
    /// Message type sent, 0 if no reply. For a relayed message, the type of
    /// the reply inside the Relay-reply (Advertise or Reply).
    pub msg_type_out: u8,
    /// The message came in a Relay-forward (and its reply, if any, leaves
    /// in a Relay-reply). The stats segment counts a relayed message under
    /// rx/relay-forward and, once its inner message is read, under that
    /// message's type too; its reply under tx/relay-reply and its own type.
    pub relayed: bool,
    /// A DHCPv4 packet: the types are DHCPv4's, the DUID its client key.
    pub dhcpv4: bool,
    /// A DHCPv4-query (RFC 7341): the types of the DHCPv4 messages in it
    /// and in its response (0: none read or sent); the DUID is the DHCPv4
    /// client key.
    pub dhcpv4_in: u8,
    pub dhcpv4_out: u8,
    /// Full length of the client DUID (only the first 32 octets are kept).
    pub client_duid_len: u8,
    pub client_duid: [u8; DHCP6_SERVER_TRACE_DUID_LEN],
}

impl Default for PacketSummary {
    fn default() -> Self {
        PacketSummary {
            msg_type_in: 0,
            msg_type_out: 0,
            relayed: false,
            dhcpv4: false,
            dhcpv4_in: 0,
            dhcpv4_out: 0,
            client_duid_len: 0,
            client_duid: [0; DHCP6_SERVER_TRACE_DUID_LEN],
        }
    }
}

impl PacketSummary {
    pub(crate) fn record_client_duid(&mut self, duid: &[u8]) {
        let kept = duid.len().min(DHCP6_SERVER_TRACE_DUID_LEN);
        self.client_duid[..kept].copy_from_slice(&duid[..kept]);
        self.client_duid_len = duid.len() as u8;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The reply is in the buffer: send `frame_len` bytes from its start
    /// back out of the receiving interface.
    Reply {
        frame_len: usize,
    },
    /// A Relay-reply: an IPv6 packet from the frame's `l3_offset` up to
    /// `frame_len`, to be routed to the relay.
    Routed {
        frame_len: usize,
    },
    Drop(Counter),
}

const ETHERTYPE_END: usize = ETHERNET_ADDRS_LEN + 2;

impl From<WireError> for Counter {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Truncated => Counter::Truncated,
            WireError::OptionOverrun => Counter::OptionOverrun,
            WireError::BadLength => Counter::BadOptionLength,
        }
    }
}

/// When a packet is served: wall-clock seconds (lease times are kept in
/// them) and milliseconds of a clock that only moves forward (rate limits:
/// only differences count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub secs: Time,
    pub ms: u64,
}

impl Clock {
    /// Both clocks from one count of seconds (tests and benchmarks).
    pub fn at_secs(secs: Time) -> Self {
        Clock {
            secs,
            ms: u64::from(secs) * 1000,
        }
    }
}

/// Handles one received frame for interface `sw_if_index` at `now`.
pub fn handle_frame(
    config: &ServerConfig,
    shard: &mut Shard,
    now: Clock,
    sw_if_index: u32,
    facts: &InterfaceFacts,
    frame: Frame<'_>,
    summary: &mut PacketSummary,
) -> Verdict {
    match serve(config, shard, now, sw_if_index, facts, frame, summary) {
        Ok(v) => v,
        Err(counter) => Verdict::Drop(counter),
    }
}

fn serve(
    config: &ServerConfig,
    shard: &mut Shard,
    clock: Clock,
    sw_if_index: u32,
    facts: &InterfaceFacts,
    frame: Frame<'_>,
    summary: &mut PacketSummary,
) -> Result<Verdict, Counter> {
    let Frame {
        buf,
        len,
        l3_offset,
        l4_offset,
    } = frame;
    let received = buf.get(..len).ok_or(Counter::Truncated)?;
    if l3_offset < ETHERTYPE_END || l4_offset != l3_offset + IPV6_HEADER_LEN {
        return Err(Counter::NotIpv6Udp);
    }
    let ip = received
        .get(l3_offset..)
        .and_then(Ipv6Header::new_checked)
        .filter(|ip| ip.next_header() == IP_PROTOCOL_UDP)
        .ok_or(Counter::NotIpv6Udp)?;
    let udp = received
        .get(l4_offset..)
        .and_then(UdpHeader::new_checked)
        .ok_or(Counter::Truncated)?;
    let payload_start = l4_offset + UDP_HEADER_LEN;
    let payload_end = l4_offset + usize::from(udp.length());
    let payload = received
        .get(payload_start..payload_end)
        .ok_or(Counter::Truncated)?;
    let (peer_addr, our_addr, peer_port) = (ip.src(), ip.dst(), udp.src_port());
    let is_multicast = our_addr.is_multicast();
    if let Some(&msg_type) = payload.first() {
        summary.msg_type_in = msg_type;
        summary.relayed = msg_type == MessageType::RelayForward as u8;
    }

    let settings = config
        .interface(sw_if_index)
        .ok_or(Counter::InterfaceNotEnabled)?;
    if is_multicast && !settings.accept_multicast {
        return Err(Counter::MulticastNotAccepted);
    }
    let unicast_refused = !is_multicast && !settings.accept_unicast;

    let mut relays = RelayChain::new();
    let mut relay_ids = RelayIds::default();
    let inner = unwrap_relays(payload, &mut relays, &mut relay_ids)?;
    // RFC 8415 section 13.1: a client sends to the multicast group from
    // its link-local address (relays, from any address, are not clients).
    if relays.is_empty() && is_multicast && !is_link_local(&peer_addr) {
        return Err(Counter::SourceNotLinkLocal);
    }
    if !relays.is_empty() {
        if let Some(&t) = inner.first() {
            summary.msg_type_in = t;
        }
        if unicast_refused {
            return Err(Counter::UnicastNotAccepted);
        }
    }
    let message = Message::parse(inner)?;
    // The client's IPv6 link: the innermost relay's link-address that is
    // set, else the receiving interface's.
    let link_address = relays
        .iter()
        .rev()
        .map(|r| Ipv6Addr::from(r.link_address))
        .find(|a| !a.is_unspecified())
        .unwrap_or_else(|| facts.link_address(settings));
    let arrival = Arrival {
        config,
        settings,
        clock,
        sw_if_index,
        facts,
        peer_addr,
        our_addr,
        is_multicast,
        unicast_refused,
        relays: &relays,
        relay_ids: &relay_ids,
        client_mac: relays
            .is_empty()
            .then(|| <[u8; 6]>::try_from(&received[ETHERNET_ADDR_LEN..ETHERNET_ADDRS_LEN]).ok())
            .flatten(),
        link_address,
    };
    // Filled by `prepare` in place (its type and transaction ID too).
    let mut request = ClientMessage::new(MessageType::InformationRequest, [0; 3]);
    let query = if message.msg_type() == MessageType::Dhcpv4Query as u8 {
        if unicast_refused {
            return Err(Counter::UnicastNotAccepted);
        }
        let origin = crate::dhcp4::over_dhcpv6::Origin {
            sw_if_index,
            link_address,
            interface_address: facts.ipv4_address,
        };
        Query::Dhcpv4(crate::dhcp4::over_dhcpv6::read_query(
            config, shard, clock, origin, &message, summary,
        )?)
    } else {
        Query::Dhcpv6(arrival.prepare(shard, &message, &mut request, summary)?)
    };

    // Where an on-link reply comes from, known before any lease changes:
    // a request that cannot be answered must not bind or release anything.
    let on_link_from = if relays.is_empty() {
        let reply_from = facts.reply_from(settings).ok_or(Counter::NoReplyAddress)?;
        let our_mac = facts.mac.ok_or(Counter::NoReplyAddress)?;
        Some((reply_from, our_mac))
    } else {
        None
    };
    // To a relay, from an address VPP owns: the one it sent to, or, when it
    // used a multicast group (it is on the link), the receiving interface's
    // first global address; the configured link-address only names the
    // link and need not be an address of VPP's at all.
    let relay_from = if is_multicast {
        facts
            .first_global
            .or(facts.link_local.filter(|_| is_link_local(&peer_addr)))
    } else {
        Some(our_addr)
    };
    if on_link_from.is_none() && relay_from.is_none() {
        return Err(Counter::NoReplyAddress);
    }

    // From here on the request's bytes are overwritten.
    let inner_start = payload_start + relay_overhead(&relays);
    let out = buf.get_mut(inner_start..).ok_or(Counter::NoRoom)?;
    let inner_len = match query {
        Query::Dhcpv6(mut exchange) => {
            let (len, reply_type) = exchange.respond(&request, out)?;
            summary.msg_type_out = reply_type as u8;
            len
        }
        Query::Dhcpv4(query) => {
            let len = query.respond(out, summary)?;
            summary.msg_type_out = MessageType::Dhcpv4Response as u8;
            len
        }
    };

    if let Some((reply_from, our_mac)) = on_link_from {
        let udp_len = UDP_HEADER_LEN + inner_len;
        finish_udp(
            &mut buf[l4_offset..l4_offset + udp_len],
            &reply_from,
            &peer_addr,
            DHCPV6_SERVER_PORT,
            DHCPV6_CLIENT_PORT,
        );
        write_ipv6_header(
            &mut buf[l3_offset..],
            &reply_from,
            &peer_addr,
            udp_len as u16,
        );
        // Back to the client's MAC, from ours; VLAN tags and ethertype stay.
        buf.copy_within(ETHERNET_ADDR_LEN..ETHERNET_ADDRS_LEN, 0);
        buf[ETHERNET_ADDR_LEN..ETHERNET_ADDRS_LEN].copy_from_slice(&our_mac);
        return Ok(Verdict::Reply {
            frame_len: l4_offset + udp_len,
        });
    }

    let payload_len = wrap_in_relay_replies(&mut buf[payload_start..], &relays, inner_len);
    let from = relay_from.ok_or(Counter::NoReplyAddress)?;
    let udp_len = UDP_HEADER_LEN + payload_len;
    finish_udp(
        &mut buf[l4_offset..l4_offset + udp_len],
        &from,
        &peer_addr,
        DHCPV6_SERVER_PORT,
        peer_port,
    );
    write_ipv6_header(&mut buf[l3_offset..], &from, &peer_addr, udp_len as u16);
    // A relay on this link gets its Relay-reply at layer 2, back to the
    // MAC its Relay-forward came from: routed, the first reply would wait
    // for neighbor discovery (VPP's ip6-glean drops it) and the relayed
    // client's first exchange would time out.
    if let (true, Some(our_mac)) = (relay_on_link(facts, &peer_addr), facts.mac) {
        buf.copy_within(ETHERNET_ADDR_LEN..ETHERNET_ADDRS_LEN, 0);
        buf[ETHERNET_ADDR_LEN..ETHERNET_ADDRS_LEN].copy_from_slice(&our_mac);
        return Ok(Verdict::Reply {
            frame_len: l4_offset + udp_len,
        });
    }
    Ok(Verdict::Routed {
        frame_len: l4_offset + udp_len,
    })
}

/// A client message read and ready to answer (a DHCPv6 one's request is
/// `serve`'s: over a kilobyte, filled in place and never moved).
#[allow(clippy::large_enum_variant)]
enum Query<'a> {
    Dhcpv6(Exchange<'a>),
    Dhcpv4(crate::dhcp4::over_dhcpv6::Query<'a>),
}

/// What the envelope of a client message says: where it came from, how,
/// and through which relays.
struct Arrival<'a> {
    config: &'a ServerConfig,
    settings: &'a InterfaceSettings,
    clock: Clock,
    sw_if_index: u32,
    facts: &'a InterfaceFacts,
    peer_addr: Ipv6Addr,
    our_addr: Ipv6Addr,
    is_multicast: bool,
    unicast_refused: bool,
    relays: &'a RelayChain,
    relay_ids: &'a RelayIds,
    /// An on-link client's MAC (the frame's source).
    client_mac: Option<[u8; 6]>,
    link_address: Ipv6Addr,
}

impl<'a> Arrival<'a> {
    /// Reads a DHCPv6 client message and sets up its exchange: the flood
    /// limits, the client's reservation, link and Server Unicast.
    fn prepare(
        &self,
        shard: &'a mut Shard,
        message: &Message<'_>,
        request: &mut ClientMessage,
        summary: &mut PacketSummary,
    ) -> Result<Exchange<'a>, Counter> {
        let config = self.config;
        let msg_type = match MessageType::from_u8(message.msg_type()) {
            Some(
                MessageType::Advertise
                | MessageType::Reply
                | MessageType::Reconfigure
                | MessageType::RelayReply
                | MessageType::RelayForward
                | MessageType::Dhcpv4Response,
            ) => return Err(Counter::ServerOnlyMessage),
            Some(MessageType::Dhcpv4Query) | None => return Err(Counter::UnknownMessageType),
            Some(t) => t,
        };
        request.msg_type = msg_type;
        request.transaction_id = message.transaction_id();
        read_client_message(config, message, summary, request)?;
        // Flood protection. The interface's bucket is for clients the server
        // holds nothing for (a storm of made-up clients drains it); clients
        // with leases pass, so they keep renewing through a storm. Each
        // client has its own bucket besides.
        // Whether the client is known is only looked up when an interface
        // limit is set (off by default).
        let limits = config.limits();
        let ms = self.clock.ms;
        if limits.interface.is_set()
            && !request
                .client_id
                .as_deref()
                .is_some_and(|id| shard.has_client(id))
            && !shard
                .limiter
                .admit_interface(limits.interface, self.sw_if_index, ms)
        {
            return Err(Counter::InterfaceRateLimited);
        }
        if let Some(id) = &request.client_id {
            if !shard.limiter.admit_client(limits.client, id, ms) {
                return Err(Counter::ClientRateLimited);
            }
        }
        shard.serving_interface = self.sw_if_index;
        let relays = self.relays;
        let reservation =
            find_reservation(config, request, relays, self.relay_ids, self.client_mac);

        // The link: for a relayed client by its relay (Interface-ID,
        // address) or the link-address; else the receiving interface's.
        let link = match relays.last() {
            None => config.link_for(&self.link_address),
            Some(closest) => {
                // The closest relay's address: the peer-address the relay
                // outside it gives, or the packet's source.
                let relay_address = match relays.len() {
                    1 => self.peer_addr,
                    n => Ipv6Addr::from(relays[n - 2].peer_address),
                };
                config.link_for_relayed(
                    closest.interface_id.as_deref(),
                    Some(relay_address),
                    &self.link_address,
                )
            }
        };
        let settings = self.settings;
        // Server Unicast (option 12): the link's address, else the
        // receiving interface's, offered only where unicast is taken.
        let server_unicast = link
            .and_then(|l| l.server_unicast)
            .or(settings.server_unicast)
            .filter(|_| settings.accept_unicast);
        let delivery = if self.is_multicast || !relays.is_empty() {
            Delivery::Multicast
        } else if self.unicast_refused {
            Delivery::RefusedUnicast
        } else if server_unicast == Some(self.our_addr) {
            Delivery::ToServerUnicast
        } else {
            Delivery::OtherUnicast
        };
        Ok(Exchange {
            config,
            shard,
            link,
            now: self.clock.secs,
            delivery,
            server_unicast,
            reservation,
            sw_if_index: self.sw_if_index,
            pd_exclude_wanted: request
                .requested
                .asked(crate::wire::dhcpv6::option_code::PD_EXCLUDE),
            // Via the client's link-local on this interface, or via the
            // relay (resolved recursively) when relayed.
            route_via: RouteVia {
                next_hop: u128::from_be_bytes(self.peer_addr.octets()),
                sw_if_index: if relays.is_empty() {
                    self.sw_if_index
                } else {
                    u32::MAX
                },
                fib_index: self.facts.fib_index,
            },
        })
    }
}

/// Whether a relay is a neighbor on the receiving interface: its address
/// is link-local or in the /64 of the interface's first global address.
fn relay_on_link(facts: &InterfaceFacts, relay: &Ipv6Addr) -> bool {
    is_link_local(relay)
        || facts
            .first_global
            .is_some_and(|g| g.octets()[..8] == relay.octets()[..8])
}

fn is_link_local(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// Options looked at for `client_duid_hint` (clients put the Client
/// Identifier among the first).
const HINT_OPTIONS: usize = 8;

/// The Client Identifier of an on-link client message in a received frame
/// (`frame` ends where the packet does), found without parsing the rest,
/// for `Shard::lookahead_start`. None for relayed or malformed messages:
/// a hint only, the real parse comes later.
pub fn client_duid_hint(frame: &[u8], l4_offset: usize) -> Option<&[u8]> {
    let payload = frame.get(l4_offset + UDP_HEADER_LEN..)?;
    // Stateless service reads no lease: nothing to prefetch.
    let msg_type = *payload.first()?;
    if msg_type == MessageType::RelayForward as u8
        || msg_type == MessageType::InformationRequest as u8
    {
        return None;
    }
    let options = payload.get(crate::wire::dhcpv6::MESSAGE_HEADER_LEN..)?;
    crate::wire::dhcpv6::Options::unchecked(options)
        .take(HINT_OPTIONS)
        .find(|o| o.code == crate::wire::dhcpv6::option_code::CLIENT_ID)
        .map(|o| o.data)
}

/// The client's reservation, looked up by each identifier it has, in
/// order: DUID, the relay's Interface-ID, Remote-ID, Subscriber-ID, and its
/// link-layer address (from the relay, or seen directly for on-link clients).
fn find_reservation<'a>(
    config: &'a ServerConfig,
    request: &request::ClientMessage,
    relays: &request::RelayChain,
    relay_ids: &request::RelayIds,
    client_mac: Option<[u8; 6]>,
) -> Option<&'a Reservation> {
    let table = config.reservations();
    if table.is_empty() {
        return None;
    }
    let ethernet = client_mac.map(|m| {
        let mut ll = [0u8; 8];
        ll[..2].copy_from_slice(&1u16.to_be_bytes());
        ll[2..].copy_from_slice(&m);
        ll
    });
    let candidates: [(IdKind, Option<&[u8]>); 6] = [
        (IdKind::Duid, request.client_id.as_deref()),
        (
            IdKind::InterfaceId,
            relays.last().and_then(|r| r.interface_id.as_deref()),
        ),
        (IdKind::RemoteId, relay_ids.remote_id.as_deref()),
        (IdKind::SubscriberId, relay_ids.subscriber_id.as_deref()),
        (IdKind::LinkLayer, relay_ids.link_layer.as_deref()),
        (IdKind::LinkLayer, ethernet.as_ref().map(|e| &e[..])),
    ];
    candidates.iter().find_map(|(kind, value)| {
        let key = id_key(*kind, &[], (*value)?)?;
        table.find(&key)
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dhcp4o6;
#[cfg(test)]
mod tests_stateful;
