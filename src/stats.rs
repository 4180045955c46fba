//! The nodes' stats-segment counters, per interface: messages received and
//! sent by type (`/dhcp6-server/rx/<type>`, `/dhcp6-server/tx/<type>`) and
//! packets not answered by reason (`/dhcp6-server/drops/<reason>`), and the
//! same under `/dhcp4-server/` for DHCPv4, as one table of slots that the
//! shim registers; each packet says which slots it counts in.

use crate::counters::{Counter, COUNTER_COUNT};
use crate::server::PacketSummary;
use crate::wire::dhcpv4::MessageType as MessageType4;
use crate::wire::dhcpv6::MessageType;

/// Message types counted: 0 is "other" (unknown types), 1..=13 RFC 8415's,
/// 14 and 15 RFC 7341's DHCPv4-query (20) and DHCPv4-response (21).
pub const MSG_TYPES: usize = 16;
const RX: usize = 0;
const TX: usize = MSG_TYPES;
const DROPS: usize = 2 * MSG_TYPES;
/// DHCPv4's: 0 "other", 1..=8 RFC 2132's.
pub const MSG_TYPES4: usize = 9;
const RX4: usize = DROPS + COUNTER_COUNT;
const TX4: usize = RX4 + MSG_TYPES4;
const DROPS4: usize = TX4 + MSG_TYPES4;
/// Slots in all (the drop slots of `ReplySent` are unused).
pub const SLOTS: usize = DROPS4 + COUNTER_COUNT;
/// Most slots one packet counts in.
pub const PER_PACKET: usize = 4;
/// An unused entry of a packet's slots.
pub const NONE: u8 = u8::MAX;

const _: () = assert!(SLOTS < NONE as usize);
const _: () = assert!((MessageType::RelayReply as usize) < MSG_TYPES - 2);

/// The slot offset of a DHCPv6 message type.
fn type_slot(t: u8) -> usize {
    match MessageType::from_u8(t) {
        Some(MessageType::Dhcpv4Query) => MSG_TYPES - 2,
        Some(MessageType::Dhcpv4Response) => MSG_TYPES - 1,
        Some(t) => t as usize,
        None => 0,
    }
}

fn type_name(slot: usize) -> &'static str {
    let t = match slot {
        s if s == MSG_TYPES - 2 => MessageType::Dhcpv4Query as u8,
        s if s == MSG_TYPES - 1 => MessageType::Dhcpv4Response as u8,
        s => s as u8,
    };
    match MessageType::from_u8(t) {
        Some(MessageType::Solicit) => "solicit",
        Some(MessageType::Advertise) => "advertise",
        Some(MessageType::Request) => "request",
        Some(MessageType::Confirm) => "confirm",
        Some(MessageType::Renew) => "renew",
        Some(MessageType::Rebind) => "rebind",
        Some(MessageType::Reply) => "reply",
        Some(MessageType::Release) => "release",
        Some(MessageType::Decline) => "decline",
        Some(MessageType::Reconfigure) => "reconfigure",
        Some(MessageType::InformationRequest) => "information-request",
        Some(MessageType::RelayForward) => "relay-forward",
        Some(MessageType::RelayReply) => "relay-reply",
        Some(MessageType::Dhcpv4Query) => "dhcpv4-query",
        Some(MessageType::Dhcpv4Response) => "dhcpv4-response",
        None => "other",
    }
}

fn type_name4(t: u8) -> &'static str {
    match MessageType4::from_u8(t) {
        Some(MessageType4::Discover) => "discover",
        Some(MessageType4::Offer) => "offer",
        Some(MessageType4::Request) => "request",
        Some(MessageType4::Decline) => "decline",
        Some(MessageType4::Ack) => "ack",
        Some(MessageType4::Nak) => "nak",
        Some(MessageType4::Release) => "release",
        Some(MessageType4::Inform) => "inform",
        None => "other",
    }
}

/// The stats segment name of a slot; `None` for the unused ones.
pub fn name(slot: usize) -> Option<String> {
    match slot {
        s if (RX4..TX4).contains(&s) => {
            Some(format!("/dhcp4-server/rx/{}", type_name4((s - RX4) as u8)))
        }
        s if (TX4..DROPS4).contains(&s) => {
            Some(format!("/dhcp4-server/tx/{}", type_name4((s - TX4) as u8)))
        }
        s if (DROPS4 + 1..SLOTS).contains(&s) => Some(format!(
            "/dhcp4-server/drops/{}",
            Counter::ALL[s - DROPS4].name()
        )),
        DROPS4 => None,
        s if s < TX => Some(format!("/dhcp6-server/rx/{}", type_name(s))),
        s if s < DROPS => Some(format!("/dhcp6-server/tx/{}", type_name(s - TX))),
        s if s < RX4 && s > DROPS => Some(format!(
            "/dhcp6-server/drops/{}",
            Counter::ALL[s - DROPS].name()
        )),
        _ => None,
    }
}

/// The slots a packet counts in. A relayed message counts under
/// rx/relay-forward and (once read) under its inner message's type; its
/// reply under tx/relay-reply and its own type.
pub fn slots(summary: &PacketSummary, counter: Counter) -> [u8; PER_PACKET] {
    let mut out = [NONE; PER_PACKET];
    let mut n = 0;
    let mut push = |slot: usize| {
        out[n] = slot as u8;
        n += 1;
    };
    if summary.dhcpv4 {
        // A relayed DHCPv4 message is one message; no envelope to count.
        let kind = |t: u8| match usize::from(t) {
            t if t < MSG_TYPES4 => t,
            _ => 0,
        };
        push(RX4 + kind(summary.msg_type_in));
        if counter == Counter::ReplySent {
            push(TX4 + kind(summary.msg_type_out));
        } else {
            push(DROPS4 + counter as usize);
        }
        return out;
    }
    let received = type_slot(summary.msg_type_in);
    let relay_forward = MessageType::RelayForward as usize;
    push(RX + received);
    if summary.relayed && received != relay_forward {
        push(RX + relay_forward);
    }
    if counter == Counter::ReplySent {
        push(TX + type_slot(summary.msg_type_out));
        if summary.relayed {
            push(TX + MessageType::RelayReply as usize);
        }
    } else {
        push(DROPS + counter as usize);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &[u8]) -> Vec<String> {
        s.iter()
            .filter(|x| **x != NONE)
            .map(|x| name(*x as usize).unwrap())
            .collect()
    }

    #[test]
    fn a_relayed_request_counts_under_both_of_its_types() {
        let mut s = PacketSummary {
            msg_type_in: MessageType::Solicit as u8,
            msg_type_out: MessageType::Advertise as u8,
            relayed: true,
            ..Default::default()
        };
        assert_eq!(
            names(&slots(&s, Counter::ReplySent)),
            [
                "/dhcp6-server/rx/solicit",
                "/dhcp6-server/rx/relay-forward",
                "/dhcp6-server/tx/advertise",
                "/dhcp6-server/tx/relay-reply"
            ]
        );
        s.relayed = false;
        assert_eq!(
            names(&slots(&s, Counter::ClientRateLimited)),
            [
                "/dhcp6-server/rx/solicit",
                "/dhcp6-server/drops/client_rate_limited"
            ]
        );
    }

    #[test]
    fn an_unreadable_relay_forward_counts_once_and_unknown_types_as_other() {
        let mut s = PacketSummary {
            msg_type_in: MessageType::RelayForward as u8,
            relayed: true,
            ..Default::default()
        };
        assert_eq!(
            slots(&s, Counter::Truncated)
                .iter()
                .filter(|x| **x != NONE)
                .count(),
            2
        );
        s.msg_type_in = 200;
        s.relayed = false;
        assert_eq!(
            names(&slots(&s, Counter::Truncated))[0],
            "/dhcp6-server/rx/other"
        );
    }

    #[test]
    fn every_slot_but_the_reply_sent_drop_has_a_unique_name() {
        let all: Vec<String> = (0..SLOTS).filter_map(name).collect();
        assert_eq!(all.len(), SLOTS - 2);
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
        assert!(name(DROPS).is_none() && name(DROPS4).is_none());
    }

    #[test]
    fn dhcpv4_packets_count_under_dhcp4_server() {
        let s = PacketSummary {
            msg_type_in: MessageType4::Discover as u8,
            msg_type_out: MessageType4::Offer as u8,
            relayed: true,
            dhcpv4: true,
            ..Default::default()
        };
        assert_eq!(
            names(&slots(&s, Counter::ReplySent)),
            ["/dhcp4-server/rx/discover", "/dhcp4-server/tx/offer"]
        );
        let s = PacketSummary {
            msg_type_in: 0,
            dhcpv4: true,
            ..Default::default()
        };
        assert_eq!(
            names(&slots(&s, Counter::BadMagicCookie)),
            [
                "/dhcp4-server/rx/other",
                "/dhcp4-server/drops/bad_magic_cookie"
            ]
        );
    }
}
