//! DHCPv4-over-DHCPv6 (RFC 7341), the server side: a DHCPv4-query that
//! reached the DHCPv6 path (directly or in Relay-forwards) is served by the
//! DHCPv4 engine, with the same links, pools, leases and reservations as
//! DHCPv4 on an interface, and answered with a DHCPv4-response that the
//! DHCPv6 path addresses and wraps like any of its replies. One node, one
//! lease engine: no second process, no IPC, relayed queries too (Kea's
//! pair of servers takes direct ones only).
//!
//! What RFC 7341 leaves to the server:
//! - The DHCPv4 link is the one whose `dhcp4o6-link` prefix holds the
//!   client's IPv6 link-address (the innermost relay's, else the receiving
//!   interface's), the IPv6 facts RFC 7341's server behaviour names;
//!   giaddr plays no part.
//! - The Server Identifier is the link's `server-id`, else the receiving
//!   interface's IPv4 address (Kea's rule); without either the query is
//!   dropped (an IPv6-only access link needs `server-id`).
//! - The query's flags (the unicast bit: RENEWING rather than REBINDING)
//!   change nothing: both are answered from the client's lease, as plain
//!   DHCPv4 answers a unicast and a broadcast REQUEST alike. The DHCPv4
//!   flags and giaddr are echoed in the reply (RFC 2131 section 4.3), which
//!   goes to the client's IPv6 address whatever its broadcast bit says.
//! - The response's flags are zero (RFC 7341 section 6: no flag is
//!   defined for it; Kea copies the query's).

use core::net::{Ipv4Addr, Ipv6Addr};

use super::exchange::Exchange;
use super::request::{read_request, Request};
use super::{admit, exchange_for};
use crate::config::ServerConfig;
use crate::counters::Counter;
use crate::leases::Shard;
use crate::server::{Clock, PacketSummary};
use crate::wire::dhcpv4::Message as Message4;
use crate::wire::dhcpv6::{
    option_code, write_option_header, Message, MessageType, MESSAGE_HEADER_LEN, OPTION_HEADER_LEN,
};

/// RFC 7341 section 6: the query's unicast flag (the top bit of its
/// three flag octets).
pub const FLAG_UNICAST: u8 = 0x80;

/// Where the DHCPv4 message starts in a DHCPv4-response.
const REPLY_HEADER_LEN: usize = MESSAGE_HEADER_LEN + OPTION_HEADER_LEN;

/// A DHCPv4-query read and ready to be answered: the DHCPv4 request copied
/// to the stack, the exchange set up against its link.
pub struct Query<'a> {
    exchange: Exchange<'a>,
    request: Request,
}

/// Where the query came from, as the DHCPv6 path found it.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub sw_if_index: u32,
    /// The client's IPv6 link: the innermost relay's link-address, else
    /// the receiving interface's.
    pub link_address: Ipv6Addr,
    /// The receiving interface's IPv4 address, if it has one.
    pub interface_address: Option<Ipv4Addr>,
}

/// Reads a DHCPv4-query: exactly one DHCPv4 Message option, no Server
/// Identifier but ours, then the DHCPv4 message as the DHCPv4 path reads
/// it, through the same flood limits.
pub fn read_query<'a>(
    config: &'a ServerConfig,
    shard: &'a mut Shard,
    clock: Clock,
    origin: Origin,
    message: &Message<'_>,
    summary: &mut PacketSummary,
) -> Result<Query<'a>, Counter> {
    let mut dhcpv4 = None;
    let mut count = 0;
    for o in message.options() {
        match o.code {
            option_code::DHCPV4_MSG => {
                dhcpv4 = Some(o.data);
                count += 1;
            }
            option_code::SERVER_ID
                if config.server_duid().map(|d| d.as_bytes()) != Some(o.data) =>
            {
                return Err(Counter::ServerIdMismatch);
            }
            _ => {}
        }
    }
    let dhcpv4 = dhcpv4
        .filter(|_| count == 1)
        .ok_or(Counter::NoDhcpv4Message)?;
    let request = read_request(&Message4::parse(dhcpv4)?)?;
    summary.dhcpv4_in = request.msg_type as u8;
    summary.record_client_duid(request.client_key());
    admit(config, shard, &request, origin.sw_if_index, clock)?;

    let link = config.link_for_4o6(&origin.link_address);
    let server_id = link
        .and_then(|l| l.server_id4)
        .or(origin.interface_address)
        .ok_or(match link {
            None => Counter::NoSubnet,
            Some(_) => Counter::NoServerAddress,
        })?;
    let exchange = exchange_for(
        config,
        shard,
        link,
        clock,
        server_id,
        &request,
        origin.sw_if_index,
    );
    Ok(Query { exchange, request })
}

impl Query<'_> {
    /// Writes the DHCPv4-response into `out`: its length, or why there is
    /// none (a DHCPRELEASE or DHCPDECLINE is done and answers nothing).
    pub fn respond(
        mut self,
        out: &mut [u8],
        summary: &mut PacketSummary,
    ) -> Result<usize, Counter> {
        let body = out.get_mut(REPLY_HEADER_LEN..).ok_or(Counter::NoRoom)?;
        let answer = self.exchange.respond(&self.request, body)?;
        summary.dhcpv4_out = answer.msg_type as u8;
        out[0] = MessageType::Dhcpv4Response as u8;
        out[1..MESSAGE_HEADER_LEN].fill(0);
        let len = u16::try_from(answer.len).map_err(|_| Counter::NoRoom)?;
        write_option_header(&mut out[MESSAGE_HEADER_LEN..], option_code::DHCPV4_MSG, len);
        Ok(REPLY_HEADER_LEN + answer.len)
    }
}
