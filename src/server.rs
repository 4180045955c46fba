//! The per-packet path: a received DHCPv6 frame in, a reply written over it
//! in the same buffer or a counted reason to drop it.
//!
//! Nothing here allocates, locks or blocks: the request's few fields we need
//! are copied to the stack, then the reply is written where the request was.

use arrayvec::ArrayVec;
use core::net::Ipv6Addr;

use crate::config::{InterfaceSettings, ServerConfig};
use crate::counters::Counter;
use crate::duid::{MAX_DUID_LEN, MIN_DUID_LEN};
use crate::wire::dhcpv6::{option_code, Message, MessageType, MessageWriter, WireError};
use crate::wire::frame::{
    finish_udp, write_ipv6_header, Ipv6Header, UdpHeader, DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT,
    ETHERNET_ADDRS_LEN, ETHERNET_ADDR_LEN, IPV6_HEADER_LEN, IP_PROTOCOL_UDP, UDP_HEADER_LEN,
};

/// What VPP knows about the receiving interface, looked up per packet so
/// address changes made after enabling the interface are always honoured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InterfaceFacts {
    pub mac: Option<[u8; 6]>,
    pub link_local: Option<Ipv6Addr>,
    pub first_global: Option<Ipv6Addr>,
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
    /// Message type received, 0 if none could be read.
    pub msg_type_in: u8,
    /// Message type sent, 0 if no reply.
    pub msg_type_out: u8,
    /// Full length of the client DUID (only the first 32 octets are kept).
    pub client_duid_len: u8,
    pub client_duid: [u8; DHCP6_SERVER_TRACE_DUID_LEN],
}

impl Default for PacketSummary {
    fn default() -> Self {
        PacketSummary {
            msg_type_in: 0,
            msg_type_out: 0,
            client_duid_len: 0,
            client_duid: [0; DHCP6_SERVER_TRACE_DUID_LEN],
        }
    }
}

impl PacketSummary {
    fn record_client_duid(&mut self, duid: &[u8]) {
        let kept = duid.len().min(DHCP6_SERVER_TRACE_DUID_LEN);
        self.client_duid[..kept].copy_from_slice(&duid[..kept]);
        self.client_duid_len = duid.len() as u8;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The reply is in the buffer: send `frame_len` bytes from its start.
    Reply {
        frame_len: usize,
    },
    Drop(Counter),
}

/// What we keep of an Information-request before overwriting it.
struct InformationRequest {
    transaction_id: [u8; 3],
    client_id: Option<ArrayVec<u8, MAX_DUID_LEN>>,
    wants_dns_servers: bool,
    wants_domain_search: bool,
}

const ETHERTYPE_END: usize = ETHERNET_ADDRS_LEN + 2;

/// Handles one received frame for interface `sw_if_index`.
pub fn handle_frame(
    config: &ServerConfig,
    sw_if_index: u32,
    facts: &InterfaceFacts,
    frame: Frame<'_>,
    summary: &mut PacketSummary,
) -> Verdict {
    match serve(config, sw_if_index, facts, frame, summary) {
        Ok(frame_len) => Verdict::Reply { frame_len },
        Err(counter) => Verdict::Drop(counter),
    }
}

fn serve(
    config: &ServerConfig,
    sw_if_index: u32,
    facts: &InterfaceFacts,
    frame: Frame<'_>,
    summary: &mut PacketSummary,
) -> Result<usize, Counter> {
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
    let client_addr = ip.src();
    let is_multicast = ip.dst().is_multicast();
    if let Some(&msg_type) = payload.first() {
        summary.msg_type_in = msg_type;
    }

    let settings = config
        .interface(sw_if_index)
        .ok_or(Counter::InterfaceNotEnabled)?;
    if is_multicast && !settings.accept_multicast {
        return Err(Counter::MulticastNotAccepted);
    }
    if !is_multicast && !settings.accept_unicast {
        return Err(Counter::UnicastNotAccepted);
    }

    let message = Message::parse(payload).map_err(|e| match e {
        WireError::Truncated => Counter::Truncated,
        WireError::OptionOverrun => Counter::OptionOverrun,
    })?;
    let request = match MessageType::from_u8(message.msg_type()) {
        Some(MessageType::InformationRequest) => {
            read_information_request(config, &message, summary)?
        }
        Some(
            MessageType::Solicit
            | MessageType::Request
            | MessageType::Confirm
            | MessageType::Renew
            | MessageType::Rebind
            | MessageType::Release
            | MessageType::Decline,
        ) => return Err(Counter::StatefulNotServed),
        Some(MessageType::RelayForward) => return Err(Counter::RelayNotServed),
        Some(
            MessageType::Advertise
            | MessageType::Reply
            | MessageType::Reconfigure
            | MessageType::RelayReply,
        ) => return Err(Counter::ServerOnlyMessage),
        None => return Err(Counter::UnknownMessageType),
    };

    let server_duid = config.server_duid().ok_or(Counter::NoServerDuid)?;
    let reply_from = facts.reply_from(settings).ok_or(Counter::NoReplyAddress)?;
    let our_mac = facts.mac.ok_or(Counter::NoReplyAddress)?;

    // From here on the request's bytes are overwritten.
    let reply_len = {
        let out = &mut buf[payload_start..];
        let mut w = MessageWriter::new(out, MessageType::Reply, request.transaction_id)
            .map_err(|_| Counter::NoRoom)?;
        w.option(option_code::SERVER_ID, &[server_duid.as_bytes()])
            .map_err(|_| Counter::NoRoom)?;
        if let Some(client_id) = &request.client_id {
            w.option(option_code::CLIENT_ID, &[client_id])
                .map_err(|_| Counter::NoRoom)?;
        }
        if request.wants_dns_servers && !config.dns_servers_wire().is_empty() {
            w.option(option_code::DNS_SERVERS, &[config.dns_servers_wire()])
                .map_err(|_| Counter::NoRoom)?;
        }
        if request.wants_domain_search && !config.domain_search_wire().is_empty() {
            w.option(option_code::DOMAIN_LIST, &[config.domain_search_wire()])
                .map_err(|_| Counter::NoRoom)?;
        }
        w.len()
    };

    let udp_len = UDP_HEADER_LEN + reply_len;
    finish_udp(
        &mut buf[l4_offset..l4_offset + udp_len],
        &reply_from,
        &client_addr,
        DHCPV6_SERVER_PORT,
        DHCPV6_CLIENT_PORT,
    );
    write_ipv6_header(
        &mut buf[l3_offset..],
        &reply_from,
        &client_addr,
        udp_len as u16,
    );
    // Back to the client's MAC, from ours; VLAN tags and ethertype stay.
    buf.copy_within(ETHERNET_ADDR_LEN..ETHERNET_ADDRS_LEN, 0);
    buf[ETHERNET_ADDR_LEN..ETHERNET_ADDRS_LEN].copy_from_slice(&our_mac);

    summary.msg_type_out = MessageType::Reply as u8;
    Ok(l4_offset + udp_len)
}

/// Checks an Information-request (RFC 8415 section 16.12) and keeps what the
/// reply needs.
fn read_information_request(
    config: &ServerConfig,
    message: &Message<'_>,
    summary: &mut PacketSummary,
) -> Result<InformationRequest, Counter> {
    let mut request = InformationRequest {
        transaction_id: message.transaction_id(),
        client_id: None,
        wants_dns_servers: true,
        wants_domain_search: true,
    };
    let mut saw_oro = false;
    let mut server_id_mismatch = false;
    for option in message.options() {
        match option.code {
            option_code::CLIENT_ID => {
                if request.client_id.is_some()
                    || !(MIN_DUID_LEN..=MAX_DUID_LEN).contains(&option.data.len())
                {
                    return Err(Counter::BadClientId);
                }
                let mut id = ArrayVec::new();
                id.try_extend_from_slice(option.data)
                    .map_err(|_| Counter::BadClientId)?;
                summary.record_client_duid(option.data);
                request.client_id = Some(id);
            }
            option_code::SERVER_ID => {
                if !(MIN_DUID_LEN..=MAX_DUID_LEN).contains(&option.data.len()) {
                    return Err(Counter::BadOptionLength);
                }
                server_id_mismatch |=
                    config.server_duid().map(|d| d.as_bytes()) != Some(option.data);
            }
            option_code::IA_NA | option_code::IA_TA | option_code::IA_PD => {
                return Err(Counter::InformationRequestWithIa);
            }
            option_code::ORO => {
                if option.data.len() % 2 != 0 || saw_oro {
                    return Err(Counter::BadOptionLength);
                }
                // Without an ORO we send what we have; with one, what it asks.
                saw_oro = true;
                let requested = |code: u16| {
                    option
                        .data
                        .chunks_exact(2)
                        .any(|c| u16::from_be_bytes([c[0], c[1]]) == code)
                };
                request.wants_dns_servers = requested(option_code::DNS_SERVERS);
                request.wants_domain_search = requested(option_code::DOMAIN_LIST);
            }
            option_code::ELAPSED_TIME if option.data.len() != 2 => {
                return Err(Counter::BadOptionLength);
            }
            _ => {}
        }
    }
    if server_id_mismatch {
        return Err(Counter::ServerIdMismatch);
    }
    Ok(request)
}

#[cfg(test)]
mod tests;
