//! The DHCPv4 packet path: a received frame in, the reply written over it
//! in the same buffer and addressed as RFC 2131 section 4.1 says, or a
//! counted reason to drop it. The lease engine, the configuration, the
//! flood limits and the counters are the DHCPv6 server's; what is DHCPv4's
//! is the message (`request`), the exchanges (`exchange`) and the
//! addressing here.

mod exchange;
pub mod over_dhcpv6;
pub mod request;

use core::net::Ipv4Addr;

use crate::config::ServerConfig;
use crate::counters::Counter;
use crate::leases::Shard;
use crate::reservations::{id_key, IdKind, Reservation};
use crate::server::{Clock, Frame, PacketSummary, Verdict};
use crate::wire::dhcpv4::{relay_suboption, Message, MessageType, HTYPE_ETHERNET};
use crate::wire::frame::{
    finish_udp, write_ipv4_header, Ipv4Header, UdpHeader, DHCPV4_CLIENT_PORT, DHCPV4_SERVER_PORT,
    ETHERNET_ADDRS_LEN, ETHERNET_ADDR_LEN, IPV4_HEADER_LEN, IP_PROTOCOL_UDP, UDP_HEADER_LEN,
};
use exchange::{Answer, Exchange};
use request::{read_request_into, Request};

/// Time to live of the replies we originate.
const REPLY_TTL: u8 = 64;
const BROADCAST_MAC: [u8; 6] = [0xff; 6];

/// What VPP knows about the receiving interface for DHCPv4.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InterfaceFacts4 {
    pub mac: Option<[u8; 6]>,
    /// The interface's first IPv4 address and its prefix length: the
    /// Server Identifier, and the subnet of on-link clients.
    pub address: Option<(Ipv4Addr, u8)>,
}

impl InterfaceFacts4 {
    fn on_link(&self, a: Ipv4Addr) -> bool {
        self.address.is_some_and(|(ours, len)| {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(ours) & mask == u32::from(a) & mask
        })
    }
}

/// The hardware type and address of the BOOTREQUEST in `frame` (its UDP
/// header at `l4_offset`): the lease engine's key of a client that sends
/// no Client Identifier (or one made of them, as most do), read without
/// parsing, to prefetch the client's records.
pub fn client_key_hint(frame: &[u8], l4_offset: usize) -> Option<arrayvec::ArrayVec<u8, 17>> {
    let bootp = frame.get(l4_offset + UDP_HEADER_LEN..)?;
    let (htype, hlen) = (*bootp.get(1)?, usize::from(*bootp.get(2)?));
    let chaddr = bootp.get(28..28 + hlen.min(16))?;
    let mut key = arrayvec::ArrayVec::new();
    key.push(htype);
    key.try_extend_from_slice(chaddr).ok()?;
    Some(key)
}

/// Handles one received DHCPv4 frame for interface `sw_if_index`.
pub fn handle_frame4(
    config: &ServerConfig,
    shard: &mut Shard,
    now: Clock,
    sw_if_index: u32,
    facts: &InterfaceFacts4,
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
    facts: &InterfaceFacts4,
    frame: Frame<'_>,
    summary: &mut PacketSummary,
) -> Result<Verdict, Counter> {
    let Frame {
        buf,
        len,
        l3_offset,
        l4_offset,
    } = frame;
    if !config.interface4_enabled(sw_if_index) {
        return Err(Counter::InterfaceNotEnabled);
    }
    let received = buf.get(..len).ok_or(Counter::Truncated)?;
    let ip = received
        .get(l3_offset..)
        .and_then(Ipv4Header::new_checked)
        .filter(|ip| ip.protocol() == IP_PROTOCOL_UDP && l4_offset == l3_offset + ip.header_len())
        .ok_or(Counter::NotIpv4Udp)?;
    if l3_offset < ETHERNET_ADDRS_LEN + 2 {
        return Err(Counter::NotIpv4Udp);
    }
    let peer_addr = ip.src();
    let udp = received
        .get(l4_offset..)
        .and_then(UdpHeader::new_checked)
        .ok_or(Counter::Truncated)?;
    let payload_start = l4_offset + UDP_HEADER_LEN;
    let payload_end = l4_offset + usize::from(udp.length());
    let payload = received
        .get(payload_start..payload_end)
        .ok_or(Counter::Truncated)?;
    let message = Message::parse(payload)?;
    let mut request = Request::empty();
    read_request_into(&message, &mut request)?;
    summary.msg_type_in = request.msg_type as u8;
    summary.relayed = request.relayed();
    summary.record_client_duid(request.client_key());

    admit(config, shard, &request, sw_if_index, clock)?;

    let (our_address, _) = facts.address.ok_or(Counter::NoServerAddress)?;
    let our_mac = facts.mac.ok_or(Counter::NoReplyAddress)?;
    // The link: for a relayed client the relay's link selection (RFC 3527)
    // or its giaddr, else the receiving interface's subnet.
    let link_address = if request.relayed() {
        request.link_selection().unwrap_or(request.giaddr)
    } else {
        our_address
    };
    let link = config.link_for4(link_address);
    let server_id = link.and_then(|l| l.server_id4).unwrap_or(our_address);
    let mut exchange = exchange_for(config, shard, link, clock, server_id, &request, sw_if_index);
    let client_mac: [u8; 6] = received[ETHERNET_ADDR_LEN..ETHERNET_ADDRS_LEN]
        .try_into()
        .map_err(|_| Counter::Truncated)?;

    // From here on the request's bytes are overwritten.
    let out = buf.get_mut(payload_start..).ok_or(Counter::NoRoom)?;
    let answer = exchange.respond(&request, out)?;
    summary.msg_type_out = answer.msg_type as u8;

    let to = destination(&request, &answer, facts, peer_addr, client_mac);
    let udp_len = UDP_HEADER_LEN + answer.len;
    let datagram = buf
        .get_mut(l4_offset..l4_offset + udp_len)
        .ok_or(Counter::NoRoom)?;
    finish_udp(datagram, &our_address, &to.ip, DHCPV4_SERVER_PORT, to.port);
    // The reply's IPv4 header has no options: the UDP datagram moves up
    // to right after it when the request's header had some.
    let l4_reply = l3_offset + IPV4_HEADER_LEN;
    if l4_reply != l4_offset {
        buf.copy_within(l4_offset..l4_offset + udp_len, l4_reply);
    }
    write_ipv4_header(
        &mut buf[l3_offset..],
        &our_address,
        &to.ip,
        udp_len as u16,
        REPLY_TTL,
    );
    let frame_len = l4_reply + udp_len;
    match to.mac {
        Some(mac) => {
            // VLAN tags and the ethertype stay.
            buf[..ETHERNET_ADDR_LEN].copy_from_slice(&mac);
            buf[ETHERNET_ADDR_LEN..ETHERNET_ADDRS_LEN].copy_from_slice(&our_mac);
            Ok(Verdict::Reply { frame_len })
        }
        None => Ok(Verdict::Routed { frame_len }),
    }
}

/// The exchange of `request` on `link`, with the client's reservation.
fn exchange_for<'a>(
    config: &'a ServerConfig,
    shard: &'a mut Shard,
    link: Option<&'a crate::config::LinkSettings>,
    clock: Clock,
    server_id: Ipv4Addr,
    request: &Request,
    sw_if_index: u32,
) -> Exchange<'a> {
    Exchange {
        config,
        shard,
        link,
        now: clock.secs,
        server_id,
        reservation: find_reservation(config, request),
        sw_if_index,
    }
}

/// Flood protection, as for DHCPv6: clients the server holds nothing for
/// share the interface's bucket; each client has its own.
fn admit(
    config: &ServerConfig,
    shard: &mut Shard,
    request: &Request,
    sw_if_index: u32,
    clock: Clock,
) -> Result<(), Counter> {
    let limits = config.limits();
    let key = request.client_key();
    if limits.interface.is_set()
        && !shard.has_client(key)
        && !shard
            .limiter
            .admit_interface(limits.interface, sw_if_index, clock.ms)
    {
        return Err(Counter::InterfaceRateLimited);
    }
    if !shard.limiter.admit_client(limits.client, key, clock.ms) {
        return Err(Counter::ClientRateLimited);
    }
    shard.serving_interface = sw_if_index;
    Ok(())
}

/// Where a reply goes: IP destination and port, and the MAC when it is
/// sent at layer 2 (None: routed by VPP).
struct Destination {
    ip: Ipv4Addr,
    port: u16,
    mac: Option<[u8; 6]>,
}

/// RFC 2131 section 4.1: to the relay (giaddr, port 67) when relayed; a
/// NAK is broadcast; to ciaddr when the client has one; broadcast when
/// the client asks (flag B); else unicast to yiaddr at chaddr, without
/// ARP (the client has no address yet to answer ARP with).
fn destination(
    req: &Request,
    answer: &Answer,
    facts: &InterfaceFacts4,
    peer: Ipv4Addr,
    frame_source: [u8; 6],
) -> Destination {
    let client = |ip, mac| Destination {
        ip,
        port: DHCPV4_CLIENT_PORT,
        mac: Some(mac),
    };
    if req.relayed() {
        // A relay on this link (it sent from an address of the receiving
        // interface's subnet, whatever its giaddr) gets its reply at layer
        // 2, back to the MAC its request came from: routed, the first
        // reply would wait for ARP, which VPP does not learn from the
        // relay's packet.
        let on_link = facts.on_link(peer);
        return Destination {
            ip: req.giaddr,
            port: DHCPV4_SERVER_PORT,
            mac: on_link.then_some(frame_source),
        };
    }
    let chaddr_mac = (req.htype == HTYPE_ETHERNET)
        .then(|| <[u8; 6]>::try_from(req.mac()).ok())
        .flatten()
        .unwrap_or(frame_source);
    if answer.msg_type == MessageType::Nak {
        client(Ipv4Addr::BROADCAST, BROADCAST_MAC)
    } else if !req.ciaddr.is_unspecified() {
        client(req.ciaddr, frame_source)
    } else if req.broadcast_flag() || answer.yiaddr.is_unspecified() {
        client(Ipv4Addr::BROADCAST, BROADCAST_MAC)
    } else {
        client(answer.yiaddr, chaddr_mac)
    }
}

/// The client's reservation, by each of its identifiers in turn: hardware
/// address, Client Identifier, then the relay's Circuit-ID and Remote-ID.
fn find_reservation<'a>(config: &'a ServerConfig, req: &Request) -> Option<&'a Reservation> {
    let table = config.reservations();
    if table.is_empty() {
        return None;
    }
    let mac = (req.htype == HTYPE_ETHERNET).then(|| req.mac());
    let candidates: [(IdKind, Option<&[u8]>); 4] = [
        (IdKind::HwAddress, mac),
        (IdKind::ClientId, req.client_id.as_deref()),
        (
            IdKind::CircuitId,
            req.relay_suboption(relay_suboption::CIRCUIT_ID),
        ),
        (
            IdKind::AgentRemoteId,
            req.relay_suboption(relay_suboption::REMOTE_ID),
        ),
    ];
    candidates.iter().find_map(|(kind, value)| {
        let key = id_key(*kind, &[], (*value)?)?;
        table.find(&key)
    })
}

#[cfg(test)]
mod tests;
