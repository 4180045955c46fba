//! DHCPv6 messages (RFC 8415 section 8) and their options (section 21), read
//! in place from a byte slice and written in place into one.
//!
//! `Message::parse` checks the whole option area once; after that, walking the
//! options cannot fail and never reads past the message.

use core::fmt;

/// DHCPv6 message types (RFC 8415 section 7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum MessageType {
    Solicit = 1,
    Advertise = 2,
    Request = 3,
    Confirm = 4,
    Renew = 5,
    Rebind = 6,
    Reply = 7,
    Release = 8,
    Decline = 9,
    Reconfigure = 10,
    InformationRequest = 11,
    RelayForward = 12,
    RelayReply = 13,
    /// RFC 7341: a DHCPv4 message from a client, carried in DHCPv6.
    Dhcpv4Query = 20,
    Dhcpv4Response = 21,
}

impl MessageType {
    pub fn from_u8(value: u8) -> Option<Self> {
        use MessageType::*;
        Some(match value {
            1 => Solicit,
            2 => Advertise,
            3 => Request,
            4 => Confirm,
            5 => Renew,
            6 => Rebind,
            7 => Reply,
            8 => Release,
            9 => Decline,
            10 => Reconfigure,
            11 => InformationRequest,
            12 => RelayForward,
            13 => RelayReply,
            20 => Dhcpv4Query,
            21 => Dhcpv4Response,
            _ => return None,
        })
    }

    /// The name RFC 8415 (RFC 7341 for DHCPv4's) gives the message type, NUL-terminated for C.
    pub const fn name_nul(self) -> &'static str {
        use MessageType::*;
        match self {
            Solicit => "Solicit\0",
            Advertise => "Advertise\0",
            Request => "Request\0",
            Confirm => "Confirm\0",
            Renew => "Renew\0",
            Rebind => "Rebind\0",
            Reply => "Reply\0",
            Release => "Release\0",
            Decline => "Decline\0",
            Reconfigure => "Reconfigure\0",
            InformationRequest => "Information-request\0",
            RelayForward => "Relay-forward\0",
            RelayReply => "Relay-reply\0",
            Dhcpv4Query => "DHCPv4-query\0",
            Dhcpv4Response => "DHCPv4-response\0",
        }
    }

    /// The name RFC 8415 (RFC 7341 for DHCPv4's) gives the message type.
    pub fn name(self) -> &'static str {
        self.name_nul().trim_end_matches('\0')
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Option codes this server reads or writes (IANA "DHCPv6 Option Codes").
pub mod option_code {
    pub const CLIENT_ID: u16 = 1;
    pub const SERVER_ID: u16 = 2;
    pub const IA_NA: u16 = 3;
    pub const IA_TA: u16 = 4;
    pub const IA_ADDR: u16 = 5;
    pub const ORO: u16 = 6;
    pub const PREFERENCE: u16 = 7;
    pub const ELAPSED_TIME: u16 = 8;
    pub const RELAY_MSG: u16 = 9;
    pub const SERVER_UNICAST: u16 = 12;
    pub const STATUS_CODE: u16 = 13;
    pub const RAPID_COMMIT: u16 = 14;
    pub const INTERFACE_ID: u16 = 18;
    pub const DNS_SERVERS: u16 = 23;
    pub const DOMAIN_LIST: u16 = 24;
    pub const IA_PD: u16 = 25;
    pub const IA_PREFIX: u16 = 26;
    pub const SNTP_SERVERS: u16 = 31;
    pub const INFORMATION_REFRESH_TIME: u16 = 32;
    pub const REMOTE_ID: u16 = 37;
    pub const SUBSCRIBER_ID: u16 = 38;
    pub const NTP_SERVER: u16 = 56;
    pub const CLIENT_LINKLAYER_ADDR: u16 = 79;
    pub const SOL_MAX_RT: u16 = 82;
    pub const INF_MAX_RT: u16 = 83;
    pub const PD_EXCLUDE: u16 = 67;
    /// RFC 7341: the DHCPv4 message of a DHCPv4-query or -response.
    pub const DHCPV4_MSG: u16 = 87;
    /// RFC 7341: the IPv6 addresses of DHCPv4-over-DHCPv6 servers.
    pub const DHCP4_O_DHCP6_SERVER: u16 = 88;
}

/// OPTION_PD_EXCLUDE's body (RFC 6603 section 4.2): the excluded prefix's
/// length, then its bits past the delegated prefix's length, left-aligned
/// in as few octets as hold them.
pub fn pd_exclude_body(
    delegated_len: u8,
    excluded: u128,
    excluded_len: u8,
) -> arrayvec::ArrayVec<u8, 17> {
    let mut out = arrayvec::ArrayVec::new();
    out.push(excluded_len);
    let bits = u32::from(excluded_len.saturating_sub(delegated_len));
    if bits == 0 {
        return out;
    }
    let subnet = (excluded << delegated_len) >> (128 - bits) << (128 - bits);
    let octets = subnet.to_be_bytes();
    out.try_extend_from_slice(&octets[..bits.div_ceil(8) as usize])
        .ok();
    out
}

/// Status codes (RFC 8415 section 21.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum StatusCode {
    Success = 0,
    UnspecFail = 1,
    NoAddrsAvail = 2,
    NoBinding = 3,
    NotOnLink = 4,
    UseMulticast = 5,
    NoPrefixAvail = 6,
}

impl StatusCode {
    /// The short message that goes with the code.
    pub fn message(self) -> &'static str {
        match self {
            StatusCode::Success => "success",
            StatusCode::UnspecFail => "unspecified failure",
            StatusCode::NoAddrsAvail => "no addresses available",
            StatusCode::NoBinding => "no binding for this IA",
            StatusCode::NotOnLink => "not on link",
            StatusCode::UseMulticast => "use multicast",
            StatusCode::NoPrefixAvail => "no prefixes available",
        }
    }
}

/// Where each field of the fixed parts lies (RFC 8415 sections 9, 21.4,
/// 21.5, 21.6, 21.13, 21.21, 21.22), smoltcp-style: the only place that
/// knows these offsets.
mod ia;
pub use ia::{status_body, Ia, IaAddress, IaOption, IaPrefix};

mod field {
    pub(super) type Field = core::ops::Range<usize>;

    // Relay-forward and Relay-reply.
    pub(super) const RELAY_TYPE: usize = 0;
    pub(super) const RELAY_HOP_COUNT: usize = 1;
    pub(super) const RELAY_LINK_ADDRESS: Field = 2..18;
    pub(super) const RELAY_PEER_ADDRESS: Field = 18..34;
    pub(super) const RELAY_OPTIONS: usize = 34;

    // IA_NA and IA_PD (IA_TA has only the IAID).
    pub(super) const IA_IAID: Field = 0..4;
    pub(super) const IA_T1: Field = 4..8;
    pub(super) const IA_T2: Field = 8..12;
    pub(super) const IA_OPTIONS: usize = 12;
    pub(super) const IA_TA_OPTIONS: usize = 4;

    // IA Address.
    pub(super) const ADDR_ADDRESS: Field = 0..16;
    pub(super) const ADDR_PREFERRED: Field = 16..20;
    pub(super) const ADDR_VALID: Field = 20..24;
    pub(super) const ADDR_OPTIONS: usize = 24;

    // IA Prefix.
    pub(super) const PREFIX_PREFERRED: Field = 0..4;
    pub(super) const PREFIX_VALID: Field = 4..8;
    pub(super) const PREFIX_LEN: usize = 8;
    pub(super) const PREFIX_PREFIX: Field = 9..25;
    pub(super) const PREFIX_OPTIONS: usize = 25;

    // Status Code.
    pub(super) const STATUS_CODE: Field = 0..2;
    pub(super) const STATUS_MESSAGE: usize = 2;

    // Every option.
    pub(super) const OPTION_CODE: Field = 0..2;
    pub(super) const OPTION_LEN: Field = 2..4;
    pub(super) const OPTION_BODY: usize = 4;
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be128(b: &[u8]) -> u128 {
    let mut o = [0u8; 16];
    o.copy_from_slice(&b[..16]);
    u128::from_be_bytes(o)
}

/// Relay-forward and Relay-reply fixed part: type, hop count, link-address,
/// peer-address (RFC 8415 section 9).
pub const RELAY_HEADER_LEN: usize = field::RELAY_OPTIONS;
/// Most relay agents a message may have crossed (HOP_COUNT_LIMIT).
pub const HOP_COUNT_LIMIT: u8 = 8;

/// A relay message: hop count, link and peer addresses, and options.
#[derive(Debug, Clone, Copy)]
pub struct RelayMessage<'a> {
    buf: &'a [u8],
}

impl<'a> RelayMessage<'a> {
    pub fn parse(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < RELAY_HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Options::checked(&buf[RELAY_HEADER_LEN..])?;
        Ok(RelayMessage { buf })
    }

    pub fn hop_count(&self) -> u8 {
        self.buf[field::RELAY_HOP_COUNT]
    }

    pub fn link_address(&self) -> [u8; 16] {
        self.buf[field::RELAY_LINK_ADDRESS]
            .try_into()
            .unwrap_or([0; 16])
    }

    pub fn peer_address(&self) -> [u8; 16] {
        self.buf[field::RELAY_PEER_ADDRESS]
            .try_into()
            .unwrap_or([0; 16])
    }
}

/// Writes a Relay-reply's fixed part into the first `RELAY_HEADER_LEN`
/// bytes of `out`.
pub fn write_relay_header(out: &mut [u8], hop_count: u8, link: &[u8; 16], peer: &[u8; 16]) {
    out[field::RELAY_TYPE] = MessageType::RelayReply as u8;
    out[field::RELAY_HOP_COUNT] = hop_count;
    out[field::RELAY_LINK_ADDRESS].copy_from_slice(link);
    out[field::RELAY_PEER_ADDRESS].copy_from_slice(peer);
}

impl<'a> RelayMessage<'a> {
    pub fn options(&self) -> Options<'a> {
        Options {
            rest: &self.buf[RELAY_HEADER_LEN..],
        }
    }
}

/// Fixed part of a client/server message: type and transaction id.
pub const MESSAGE_HEADER_LEN: usize = 4;
/// Code and length in front of every option.
pub const OPTION_HEADER_LEN: usize = field::OPTION_BODY;

/// Writes an option's code and body length into the first
/// `OPTION_HEADER_LEN` bytes of `out`.
pub fn write_option_header(out: &mut [u8], code: u16, body_len: u16) {
    out[field::OPTION_CODE].copy_from_slice(&code.to_be_bytes());
    out[field::OPTION_LEN].copy_from_slice(&body_len.to_be_bytes());
}

/// The code and body length of the option at the start of `bytes`.
fn read_option_header(bytes: &[u8]) -> Option<(u16, usize)> {
    let h = bytes.get(..OPTION_HEADER_LEN)?;
    Some((
        u16::from_be_bytes([h[0], h[1]]),
        usize::from(u16::from_be_bytes([h[2], h[3]])),
    ))
}

/// Why a message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Shorter than the fixed header.
    Truncated,
    /// An option header or body runs past the end of the message.
    OptionOverrun,
    /// An option's body is too short for its fixed part, or a field in it
    /// is out of range (a prefix longer than 128 bits).
    BadLength,
}

/// One option: its code and its body, borrowed from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption<'a> {
    pub code: u16,
    pub data: &'a [u8],
}

/// Iterator over a well-formed option area.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    rest: &'a [u8],
}

impl<'a> Options<'a> {
    /// Checks that `area` is a sequence of complete options.
    /// (Also used for the options nested in IA_NA, IA_PD and their kin.)
    pub fn checked(area: &'a [u8]) -> Result<Self, WireError> {
        let mut rest = area;
        while !rest.is_empty() {
            let (_, len) = read_option_header(rest).ok_or(WireError::OptionOverrun)?;
            if rest.len() < OPTION_HEADER_LEN + len {
                return Err(WireError::OptionOverrun);
            }
            rest = &rest[OPTION_HEADER_LEN + len..];
        }
        Ok(Options { rest: area })
    }

    /// The options of an area not checked first: the walk stops at the
    /// first one that is incomplete (for hints read ahead of the parse).
    pub fn unchecked(area: &'a [u8]) -> Self {
        Options { rest: area }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = RawOption<'a>;

    fn next(&mut self) -> Option<RawOption<'a>> {
        // `checked` guarantees every header and body is complete; `get` keeps
        // this total anyway so no input can make it index out of bounds.
        let (code, len) = read_option_header(self.rest)?;
        let data = self.rest.get(OPTION_HEADER_LEN..OPTION_HEADER_LEN + len)?;
        self.rest = &self.rest[OPTION_HEADER_LEN + len..];
        Some(RawOption { code, data })
    }
}

/// A client or server message (everything but the relay messages).
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    buf: &'a [u8],
}

impl<'a> Message<'a> {
    /// Reads the header and checks every option's length.
    pub fn parse(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < MESSAGE_HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Options::checked(&buf[MESSAGE_HEADER_LEN..])?;
        Ok(Message { buf })
    }

    /// The raw message type byte (may be a type this server does not know).
    pub fn msg_type(&self) -> u8 {
        self.buf[0]
    }

    pub fn transaction_id(&self) -> [u8; 3] {
        [self.buf[1], self.buf[2], self.buf[3]]
    }

    pub fn options(&self) -> Options<'a> {
        Options {
            rest: &self.buf[MESSAGE_HEADER_LEN..],
        }
    }
}

/// The reply did not fit in the space left in the packet buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRoom;

/// Writes a message into a buffer, front to back, refusing to overrun it.
pub struct MessageWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> MessageWriter<'a> {
    /// Starts a message with its type and transaction id.
    pub fn new(
        buf: &'a mut [u8],
        msg_type: MessageType,
        transaction_id: [u8; 3],
    ) -> Result<Self, NoRoom> {
        let header = buf.get_mut(..MESSAGE_HEADER_LEN).ok_or(NoRoom)?;
        header[0] = msg_type as u8;
        header[1..].copy_from_slice(&transaction_id);
        Ok(MessageWriter {
            buf,
            len: MESSAGE_HEADER_LEN,
        })
    }

    /// Appends one option whose body is `parts` laid end to end.
    pub fn option(&mut self, code: u16, parts: &[&[u8]]) -> Result<(), NoRoom> {
        let body_len: usize = parts.iter().map(|p| p.len()).sum();
        let body_len_u16 = u16::try_from(body_len).map_err(|_| NoRoom)?;
        let end = self.len + OPTION_HEADER_LEN + body_len;
        let out = self.buf.get_mut(self.len..end).ok_or(NoRoom)?;
        write_option_header(out, code, body_len_u16);
        let mut at = OPTION_HEADER_LEN;
        for part in parts {
            out[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        self.len = end;
        Ok(())
    }

    /// Drops what was written after the first `len` bytes (never the header).
    pub fn truncate(&mut self, len: usize) {
        self.len = len.clamp(MESSAGE_HEADER_LEN, self.len);
    }

    /// Length of the message written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_walks_options() {
        let msg = [
            11, 0xaa, 0xbb, 0xcc, // Information-request, xid
            0, 1, 0, 2, 0xde, 0xad, // Client-ID, 2 bytes
            0, 6, 0, 4, 0, 23, 0, 24, // ORO: 23, 24
        ];
        let m = Message::parse(&msg).unwrap();
        assert_eq!(m.msg_type(), 11);
        assert_eq!(m.transaction_id(), [0xaa, 0xbb, 0xcc]);
        let opts: Vec<_> = m.options().collect();
        assert_eq!(opts.len(), 2);
        assert_eq!(opts[0].code, option_code::CLIENT_ID);
        assert_eq!(opts[0].data, &[0xde, 0xad]);
        assert_eq!(opts[1].code, option_code::ORO);
        assert_eq!(opts[1].data, &[0, 23, 0, 24]);
    }

    #[test]
    fn refuses_truncated_header_and_overrunning_options() {
        assert_eq!(
            Message::parse(&[11, 0, 0]).unwrap_err(),
            WireError::Truncated
        );
        // Option header cut short.
        assert_eq!(
            Message::parse(&[11, 0, 0, 0, 0, 1, 0]).unwrap_err(),
            WireError::OptionOverrun
        );
        // Option length one past the end.
        assert_eq!(
            Message::parse(&[11, 0, 0, 0, 0, 1, 0, 3, 1, 2]).unwrap_err(),
            WireError::OptionOverrun
        );
        // Length field at its maximum with no body.
        assert_eq!(
            Message::parse(&[11, 0, 0, 0, 0, 1, 0xff, 0xff]).unwrap_err(),
            WireError::OptionOverrun
        );
    }

    #[test]
    fn zero_length_options_are_well_formed() {
        let m = Message::parse(&[11, 1, 2, 3, 0, 14, 0, 0]).unwrap();
        let opts: Vec<_> = m.options().collect();
        assert_eq!(
            opts,
            vec![RawOption {
                code: 14,
                data: &[]
            }]
        );
    }

    #[test]
    fn writer_lays_out_options_and_refuses_to_overrun() {
        let mut buf = [0u8; 16];
        let mut w = MessageWriter::new(&mut buf, MessageType::Reply, [1, 2, 3]).unwrap();
        w.option(option_code::SERVER_ID, &[&[0, 3], &[0, 1]])
            .unwrap();
        assert_eq!(w.len(), 12);
        assert_eq!(w.option(option_code::CLIENT_ID, &[&[1]]), Err(NoRoom));
        assert_eq!(w.len(), 12, "a refused option leaves the message as it was");
        assert_eq!(&buf[..12], &[7, 1, 2, 3, 0, 2, 0, 4, 0, 3, 0, 1]);
    }

    #[test]
    fn ia_views_read_what_their_writers_lay_out() {
        let addr = IaAddress::body(0x2001_0db8 << 96 | 5, 100, 200);
        assert_eq!(&addr[16..], &[0, 0, 0, 100, 0, 0, 0, 200]);
        assert_eq!(
            IaAddress::parse(&addr).unwrap().address(),
            0x2001_0db8 << 96 | 5
        );
        assert_eq!(
            IaAddress::parse(&addr[..23]).unwrap_err(),
            WireError::BadLength
        );
        let prefix = IaPrefix::body(0x2001_0db8 << 96, 56, 100, 200);
        assert_eq!(
            prefix[8], 56,
            "the length sits between the lifetimes and the prefix"
        );
        let p = IaPrefix::parse(&prefix).unwrap();
        assert_eq!((p.prefix(), p.prefix_len()), (0x2001_0db8 << 96, 56));
        let mut long = prefix;
        long[8] = 129;
        assert_eq!(IaPrefix::parse(&long).unwrap_err(), WireError::BadLength);
        let mut ia = Ia::header(7, 1, 2).to_vec();
        assert_eq!(&ia, &[0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2]);
        ia.extend_from_slice(&[0, 5, 0, 1]); // a sub-option overrunning
        assert_eq!(
            Ia::parse(IaOption::Na, &ia).unwrap_err(),
            WireError::OptionOverrun
        );
        assert_eq!(Ia::parse(IaOption::Ta, &[0, 0, 0, 9]).unwrap().iaid(), 9);
        assert_eq!(
            Ia::parse(IaOption::Pd, &[0; 11]).unwrap_err(),
            WireError::BadLength
        );
        let status = status_body(StatusCode::NoAddrsAvail);
        assert_eq!(
            &status[..2],
            &(StatusCode::NoAddrsAvail as u16).to_be_bytes()
        );
        assert!(status.len() <= 64);
    }

    #[test]
    fn message_type_round_trips() {
        for v in 1..=13u8 {
            assert_eq!(MessageType::from_u8(v).unwrap() as u8, v);
        }
        assert_eq!(MessageType::from_u8(0), None);
        assert_eq!(MessageType::from_u8(14), None);
    }

    #[test]
    fn pd_exclude_carries_the_subnet_id_bits_past_the_delegated_length() {
        // RFC 6603's example: 2001:db8:0:1ab::/64 out of 2001:db8:0:100::/56.
        let excluded = 0x2001_0db8_0000_01ab_u128 << 64;
        assert_eq!(pd_exclude_body(56, excluded, 64).as_slice(), &[64, 0xab]);
        // /48 to /64: two octets; /48 to /60: two, the last half used.
        let excluded = 0x2001_0db8_0001_abc0_u128 << 64;
        assert_eq!(
            pd_exclude_body(48, excluded, 64).as_slice(),
            &[64, 0xab, 0xc0]
        );
        assert_eq!(
            pd_exclude_body(48, excluded, 60).as_slice(),
            &[60, 0xab, 0xc0]
        );
    }
}
