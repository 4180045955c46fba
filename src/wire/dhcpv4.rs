//! DHCPv4 messages (RFC 2131 section 2, the BOOTP layout of RFC 951) and
//! their options (RFC 2132), read in place from a byte slice and written
//! in place into one.
//!
//! `Message::parse` checks the fixed part and the whole option area once;
//! after that, walking the options cannot fail and never reads past the
//! message.

use core::net::Ipv4Addr;
use core::ops::Range;

/// Byte ranges of the fixed part (RFC 2131 figure 1).
mod field {
    use core::ops::Range;
    pub(crate) const OP: usize = 0;
    pub(crate) const HTYPE: usize = 1;
    pub(crate) const HLEN: usize = 2;
    pub(crate) const HOPS: usize = 3;
    pub(crate) const XID: Range<usize> = 4..8;
    pub(crate) const SECS: Range<usize> = 8..10;
    pub(crate) const FLAGS: Range<usize> = 10..12;
    pub(crate) const CIADDR: Range<usize> = 12..16;
    pub(crate) const YIADDR: Range<usize> = 16..20;
    pub(crate) const SIADDR: Range<usize> = 20..24;
    pub(crate) const GIADDR: Range<usize> = 24..28;
    pub(crate) const CHADDR: Range<usize> = 28..44;
    pub(crate) const SNAME: Range<usize> = 44..108;
    pub(crate) const FILE: Range<usize> = 108..236;
    pub(crate) const MAGIC: Range<usize> = 236..240;
    pub(crate) const OPTIONS: usize = 240;
}

/// The fixed part and the magic cookie.
pub(crate) const HEADER_LEN: usize = field::OPTIONS;
/// RFC 2131 section 3: 99.130.83.99.
pub(crate) const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// BOOTP's minimum message (RFC 1542 section 2.1): replies are padded to it.
pub(crate) const MIN_MESSAGE_LEN: usize = 300;
/// The broadcast bit of `flags` (RFC 2131 section 2).
pub(crate) const FLAG_BROADCAST: u16 = 0x8000;
pub(crate) const OP_BOOTREQUEST: u8 = 1;
pub(crate) const OP_BOOTREPLY: u8 = 2;
/// Ethernet (RFC 1700 hardware types).
pub(crate) const HTYPE_ETHERNET: u8 = 1;

/// Option codes (RFC 2132 and the RFCs named).
pub mod option_code {
    pub(crate) const PAD: u8 = 0;
    pub(crate) const SUBNET_MASK: u8 = 1;
    pub(crate) const ROUTER: u8 = 3;
    pub(crate) const DNS_SERVERS: u8 = 6;
    pub(crate) const DOMAIN_NAME: u8 = 15;
    pub(crate) const INTERFACE_MTU: u8 = 26;
    pub(crate) const BROADCAST_ADDRESS: u8 = 28;
    pub(crate) const NTP_SERVERS: u8 = 42;
    pub(crate) const REQUESTED_ADDRESS: u8 = 50;
    pub(crate) const LEASE_TIME: u8 = 51;
    pub(crate) const OVERLOAD: u8 = 52;
    pub(crate) const MESSAGE_TYPE: u8 = 53;
    pub(crate) const SERVER_ID: u8 = 54;
    pub(crate) const PARAMETER_REQUEST_LIST: u8 = 55;
    pub(crate) const MESSAGE: u8 = 56;
    pub(crate) const MAX_MESSAGE_SIZE: u8 = 57;
    pub(crate) const RENEWAL_TIME: u8 = 58;
    pub(crate) const REBINDING_TIME: u8 = 59;
    pub(crate) const CLIENT_ID: u8 = 61;
    /// RFC 4039.
    pub(crate) const RAPID_COMMIT: u8 = 80;
    /// RFC 3046.
    pub(crate) const RELAY_AGENT_INFO: u8 = 82;
    /// RFC 3397.
    pub(crate) const DOMAIN_SEARCH: u8 = 119;
    /// RFC 3442.
    pub(crate) const CLASSLESS_STATIC_ROUTES: u8 = 121;
    pub(crate) const END: u8 = 255;
}

/// Sub-options of the Relay Agent Information option.
pub mod relay_suboption {
    /// RFC 3046.
    pub(crate) const CIRCUIT_ID: u8 = 1;
    pub(crate) const REMOTE_ID: u8 = 2;
    /// RFC 3527.
    pub(crate) const LINK_SELECTION: u8 = 5;
}

/// DHCP message types (option 53, RFC 2132 section 9.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum MessageType {
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
}

impl MessageType {
    pub fn from_u8(value: u8) -> Option<Self> {
        use MessageType::*;
        Some(match value {
            1 => Discover,
            2 => Offer,
            3 => Request,
            4 => Decline,
            5 => Ack,
            6 => Nak,
            7 => Release,
            8 => Inform,
            _ => return None,
        })
    }

    /// The name RFC 2131 gives the message type.
    pub(crate) const fn name(self) -> &'static str {
        use MessageType::*;
        match self {
            Discover => "DHCPDISCOVER",
            Offer => "DHCPOFFER",
            Request => "DHCPREQUEST",
            Decline => "DHCPDECLINE",
            Ack => "DHCPACK",
            Nak => "DHCPNAK",
            Release => "DHCPRELEASE",
            Inform => "DHCPINFORM",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Shorter than the fixed part and the magic cookie.
    Truncated,
    BadMagic,
    /// An option runs past the end of the message.
    OptionOverrun,
    /// Not a BOOTREQUEST.
    NotARequest,
}

fn ipv4(bytes: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])
}

/// A checked DHCPv4 message.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    buf: &'a [u8],
    /// Where the option area ends (the End option, or the end of `buf`).
    options_end: usize,
}

impl<'a> Message<'a> {
    /// Checks the fixed part, the cookie and that every option fits.
    pub fn parse(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if buf[field::MAGIC] != MAGIC_COOKIE {
            return Err(WireError::BadMagic);
        }
        let options_end = check_options(buf, field::OPTIONS..buf.len())?;
        Ok(Message { buf, options_end })
    }

    pub fn op(&self) -> u8 {
        self.buf[field::OP]
    }

    pub fn htype(&self) -> u8 {
        self.buf[field::HTYPE]
    }

    pub fn hlen(&self) -> u8 {
        self.buf[field::HLEN]
    }

    pub fn hops(&self) -> u8 {
        self.buf[field::HOPS]
    }

    pub fn xid(&self) -> [u8; 4] {
        let mut x = [0; 4];
        x.copy_from_slice(&self.buf[field::XID]);
        x
    }

    pub fn secs(&self) -> u16 {
        u16::from_be_bytes([self.buf[field::SECS.start], self.buf[field::SECS.start + 1]])
    }

    pub fn flags(&self) -> u16 {
        u16::from_be_bytes([
            self.buf[field::FLAGS.start],
            self.buf[field::FLAGS.start + 1],
        ])
    }

    pub fn ciaddr(&self) -> Ipv4Addr {
        ipv4(&self.buf[field::CIADDR])
    }

    pub fn giaddr(&self) -> Ipv4Addr {
        ipv4(&self.buf[field::GIADDR])
    }

    /// The client hardware address field (16 octets; `hlen` of them used).
    pub fn chaddr(&self) -> &'a [u8; 16] {
        self.buf[field::CHADDR].try_into().unwrap_or(&[0; 16])
    }

    pub fn options(&self) -> Options<'a> {
        Options {
            area: &self.buf[field::OPTIONS..self.options_end],
        }
    }

    /// The first option of a code.
    pub fn option(&self, code: u8) -> Option<&'a [u8]> {
        self.options().find(|o| o.code == code).map(|o| o.data)
    }

    /// Option 52: the `file` (1) and/or `sname` (2) fields hold options too.
    /// Their areas, when they are well formed.
    pub fn overloaded_areas(&self) -> [Option<Options<'a>>; 2] {
        let overload = self
            .option(option_code::OVERLOAD)
            .and_then(|d| d.first().copied())
            .unwrap_or(0);
        let area = |bit: u8, range: Range<usize>| {
            (overload & bit != 0)
                .then(|| check_options(self.buf, range.clone()).ok())
                .flatten()
                .map(|end| Options {
                    area: &self.buf[range.start..end],
                })
        };
        [area(1, field::FILE), area(2, field::SNAME)]
    }
}

/// Checks that the options in `range` fit; returns where they end (at the
/// End option, or the end of the range).
fn check_options(buf: &[u8], range: Range<usize>) -> Result<usize, WireError> {
    let mut at = range.start;
    while at < range.end {
        match buf[at] {
            option_code::PAD => at += 1,
            option_code::END => return Ok(at),
            _ => {
                let len = *buf
                    .get(at + 1)
                    .filter(|_| at + 1 < range.end)
                    .ok_or(WireError::OptionOverrun)?;
                at += 2 + usize::from(len);
                if at > range.end {
                    return Err(WireError::OptionOverrun);
                }
            }
        }
    }
    Ok(range.end)
}

/// One option: code and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DhcpOption<'a> {
    pub code: u8,
    pub data: &'a [u8],
}

/// Walks a checked option area (Pad skipped).
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    area: &'a [u8],
}

impl<'a> Options<'a> {
    /// Walks an area without checking it first: it stops at the first
    /// option that does not fit (for sub-options inside a checked option).
    pub fn unchecked(area: &'a [u8]) -> Self {
        Options { area }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = DhcpOption<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (&code, rest) = self.area.split_first()?;
            if code == option_code::PAD {
                self.area = rest;
                continue;
            }
            if code == option_code::END {
                self.area = &[];
                return None;
            }
            let (&len, rest) = rest.split_first()?;
            let len = usize::from(len);
            if rest.len() < len {
                self.area = &[];
                return None;
            }
            let (data, rest) = rest.split_at(len);
            self.area = rest;
            return Some(DhcpOption { code, data });
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRoom;

/// Writes a BOOTREPLY into `out` (the request's own bytes, overwritten):
/// the fixed part first, then options one by one, then `finish`.
pub struct MessageWriter<'a> {
    out: &'a mut [u8],
    len: usize,
}

/// What the fixed part of a reply carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyHeader {
    pub htype: u8,
    pub hlen: u8,
    pub xid: [u8; 4],
    pub flags: u16,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: [u8; 16],
}

impl<'a> MessageWriter<'a> {
    /// Writes the fixed part and the cookie (hops and secs 0, sname and
    /// file empty).
    pub fn new(out: &'a mut [u8], h: &ReplyHeader) -> Result<Self, NoRoom> {
        let fixed = out.get_mut(..HEADER_LEN).ok_or(NoRoom)?;
        fixed.fill(0);
        fixed[field::OP] = OP_BOOTREPLY;
        fixed[field::HTYPE] = h.htype;
        fixed[field::HLEN] = h.hlen;
        fixed[field::XID].copy_from_slice(&h.xid);
        fixed[field::FLAGS].copy_from_slice(&h.flags.to_be_bytes());
        fixed[field::CIADDR].copy_from_slice(&h.ciaddr.octets());
        fixed[field::YIADDR].copy_from_slice(&h.yiaddr.octets());
        fixed[field::SIADDR].copy_from_slice(&h.siaddr.octets());
        fixed[field::GIADDR].copy_from_slice(&h.giaddr.octets());
        fixed[field::CHADDR].copy_from_slice(&h.chaddr);
        fixed[field::MAGIC].copy_from_slice(&MAGIC_COOKIE);
        Ok(MessageWriter {
            out,
            len: HEADER_LEN,
        })
    }

    /// Appends an option whose body is the concatenation of `parts`;
    /// a body longer than 255 octets is split into several options of the
    /// same code (RFC 3396).
    pub fn option(&mut self, code: u8, parts: &[&[u8]]) -> Result<(), NoRoom> {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let pieces = total.div_ceil(255).max(1);
        let needed = total + 2 * pieces;
        // Room for the End option must remain.
        if self.len + needed + 1 > self.out.len() {
            return Err(NoRoom);
        }
        if pieces == 1 {
            // The common case: one option, its parts copied whole.
            self.out[self.len] = code;
            self.out[self.len + 1] = total as u8;
            let mut at = self.len + 2;
            for p in parts {
                self.out[at..at + p.len()].copy_from_slice(p);
                at += p.len();
            }
            self.len = at;
            return Ok(());
        }
        let mut bytes = parts.iter().flat_map(|p| p.iter().copied());
        let mut left = total;
        for _ in 0..pieces {
            let n = left.min(255);
            self.out[self.len] = code;
            self.out[self.len + 1] = n as u8;
            for slot in &mut self.out[self.len + 2..self.len + 2 + n] {
                *slot = bytes.next().unwrap_or(0);
            }
            self.len += 2 + n;
            left -= n;
        }
        Ok(())
    }

    /// Writes End and pads to BOOTP's minimum; returns the length.
    pub fn finish(self) -> Result<usize, NoRoom> {
        let end = self.len + 1;
        let len = end.max(MIN_MESSAGE_LEN);
        let area = self.out.get_mut(self.len..len).ok_or(NoRoom)?;
        area.fill(0);
        area[0] = option_code::END;
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(options: &[u8]) -> Vec<u8> {
        let mut m = vec![0u8; HEADER_LEN];
        m[field::OP] = OP_BOOTREQUEST;
        m[field::HTYPE] = HTYPE_ETHERNET;
        m[field::HLEN] = 6;
        m[field::XID].copy_from_slice(&[1, 2, 3, 4]);
        m[field::FLAGS].copy_from_slice(&FLAG_BROADCAST.to_be_bytes());
        m[28..34].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
        m[field::MAGIC].copy_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(options);
        m
    }

    #[test]
    fn parses_the_fixed_part_and_walks_options() {
        let m = request(&[53, 1, 1, 0, 0, 61, 3, 1, 2, 3, 55, 2, 1, 3, 255, 9, 9]);
        let msg = Message::parse(&m).unwrap();
        assert_eq!((msg.op(), msg.htype(), msg.hlen()), (1, 1, 6));
        assert_eq!(msg.xid(), [1, 2, 3, 4]);
        assert_eq!(msg.flags(), FLAG_BROADCAST);
        assert_eq!(&msg.chaddr()[..6], &[2, 0, 0, 0, 0, 1]);
        let codes: Vec<u8> = msg.options().map(|o| o.code).collect();
        assert_eq!(codes, [53, 61, 55], "pads skipped, stops at End");
        assert_eq!(msg.option(option_code::CLIENT_ID), Some(&[1u8, 2, 3][..]));
        // No End: the options run to the end of the message.
        let m = request(&[53, 1, 3]);
        assert_eq!(Message::parse(&m).unwrap().options().count(), 1);
    }

    #[test]
    fn refuses_short_messages_bad_cookies_and_overruns() {
        assert_eq!(Message::parse(&[0; 239]).unwrap_err(), WireError::Truncated);
        let mut m = request(&[]);
        m[236] = 0;
        assert_eq!(Message::parse(&m).unwrap_err(), WireError::BadMagic);
        for bad in [&[53u8, 2, 1][..], &[53], &[61, 255, 1]] {
            assert_eq!(
                Message::parse(&request(bad)).unwrap_err(),
                WireError::OptionOverrun,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn overloaded_file_and_sname_hold_options() {
        let mut m = request(&[52, 1, 3, 255]);
        m[108..113].copy_from_slice(&[12, 3, b'a', b'b', b'c']);
        m[113] = 255;
        m[44] = 255;
        let msg = Message::parse(&m).unwrap();
        let [file, sname] = msg.overloaded_areas();
        let o: Vec<_> = file.unwrap().collect();
        assert_eq!(
            o,
            [DhcpOption {
                code: 12,
                data: b"abc"
            }]
        );
        assert_eq!(sname.unwrap().count(), 0);
    }

    #[test]
    fn writes_a_reply_with_long_options_split_and_padding() {
        let mut buf = vec![0xaau8; 1024];
        let h = ReplyHeader {
            htype: 1,
            hlen: 6,
            xid: [9, 8, 7, 6],
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::new(192, 0, 2, 10),
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::new(192, 0, 2, 1),
            chaddr: [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        };
        let mut w = MessageWriter::new(&mut buf, &h).unwrap();
        w.option(option_code::MESSAGE_TYPE, &[&[MessageType::Offer as u8]])
            .unwrap();
        let long = [7u8; 300];
        w.option(option_code::DOMAIN_SEARCH, &[&long[..200], &long[200..]])
            .unwrap();
        let len = w.finish().unwrap();
        assert_eq!(len, HEADER_LEN + 3 + (2 + 255) + (2 + 45) + 1);
        let m = Message::parse(&buf[..len]).unwrap();
        assert_eq!(m.op(), OP_BOOTREPLY);
        assert_eq!(m.xid(), [9, 8, 7, 6]);
        assert_eq!(ipv4(&buf[field::YIADDR]), Ipv4Addr::new(192, 0, 2, 10));
        let lens: Vec<usize> = m.options().map(|o| o.data.len()).collect();
        assert_eq!(lens, [1, 255, 45]);
        // A short reply is padded to 300 octets.
        let mut buf = vec![0xaau8; 400];
        let mut w = MessageWriter::new(&mut buf, &h).unwrap();
        w.option(option_code::MESSAGE_TYPE, &[&[5]]).unwrap();
        assert_eq!(w.finish().unwrap(), MIN_MESSAGE_LEN);
        assert_eq!(buf[HEADER_LEN + 3], option_code::END);
        assert!(buf[HEADER_LEN + 4..MIN_MESSAGE_LEN].iter().all(|b| *b == 0));
        // No room: an error, not a panic.
        let mut small = vec![0u8; HEADER_LEN + 3];
        let mut w = MessageWriter::new(&mut small, &h).unwrap();
        assert_eq!(w.option(option_code::MESSAGE_TYPE, &[&[5]]), Err(NoRoom));
        assert!(MessageWriter::new(&mut [0u8; 10], &h).is_err());
    }
}
