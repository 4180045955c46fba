//! The Ethernet, IPv6, IPv4 and UDP headers around a DHCP message, read and
//! rewritten in place. Packet data is unaligned and in network byte order, so
//! every field is read and written as bytes.

use core::net::{Ipv4Addr, Ipv6Addr};

pub const ETHERNET_ADDR_LEN: usize = 6;
/// Destination and source MAC; VLAN tags and the ethertype follow.
pub const ETHERNET_ADDRS_LEN: usize = 2 * ETHERNET_ADDR_LEN;
pub const IPV6_HEADER_LEN: usize = 40;
/// An IPv4 header without options (the only kind we write).
pub(crate) const IPV4_HEADER_LEN: usize = 20;
pub const UDP_HEADER_LEN: usize = 8;
pub const IP_PROTOCOL_UDP: u8 = 17;

pub const DHCPV6_CLIENT_PORT: u16 = 546;
pub const DHCPV6_SERVER_PORT: u16 = 547;
pub(crate) const DHCPV4_SERVER_PORT: u16 = 67;
pub(crate) const DHCPV4_CLIENT_PORT: u16 = 68;

/// Hop limit of the replies we originate (the common host default).
pub const REPLY_HOP_LIMIT: u8 = 64;

/// All_DHCP_Relay_Agents_and_Servers (RFC 8415 section 7.1).
pub const ALL_DHCP_RELAY_AGENTS_AND_SERVERS: Ipv6Addr =
    Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0x1, 0x2);

// Field offsets inside the IPv6 header.
const IPV6_PAYLOAD_LEN: usize = 4;
const IPV6_NEXT_HEADER: usize = 6;
const IPV6_HOP_LIMIT: usize = 7;
const IPV6_SRC: usize = 8;
const IPV6_DST: usize = 24;

/// Reads an IPv6 address at `at` (the caller has checked the bounds).
pub fn read_ipv6(buf: &[u8], at: usize) -> Ipv6Addr {
    let mut octets = [0u8; 16];
    octets.copy_from_slice(&buf[at..at + 16]);
    Ipv6Addr::from(octets)
}

/// Read-only view of an IPv6 header at the start of `buf` (at least 40 bytes).
#[derive(Debug, Clone, Copy)]
pub struct Ipv6Header<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv6Header<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Option<Self> {
        (buf.len() >= IPV6_HEADER_LEN && buf[0] >> 4 == 6).then_some(Ipv6Header { buf })
    }

    pub fn next_header(&self) -> u8 {
        self.buf[IPV6_NEXT_HEADER]
    }

    pub fn src(&self) -> Ipv6Addr {
        read_ipv6(self.buf, IPV6_SRC)
    }

    pub fn dst(&self) -> Ipv6Addr {
        read_ipv6(self.buf, IPV6_DST)
    }
}

/// Writes a fresh IPv6 header (no extension headers) carrying UDP.
pub fn write_ipv6_header(out: &mut [u8], src: &Ipv6Addr, dst: &Ipv6Addr, payload_len: u16) {
    out[..4].copy_from_slice(&[0x60, 0, 0, 0]); // version 6, class 0, flow 0
    out[IPV6_PAYLOAD_LEN..IPV6_PAYLOAD_LEN + 2].copy_from_slice(&payload_len.to_be_bytes());
    out[IPV6_NEXT_HEADER] = IP_PROTOCOL_UDP;
    out[IPV6_HOP_LIMIT] = REPLY_HOP_LIMIT;
    out[IPV6_SRC..IPV6_SRC + 16].copy_from_slice(&src.octets());
    out[IPV6_DST..IPV6_DST + 16].copy_from_slice(&dst.octets());
}

// Field offsets inside the IPv4 header (RFC 791 section 3.1).
const IPV4_TOTAL_LEN: usize = 2;
const IPV4_TTL: usize = 8;
const IPV4_PROTOCOL: usize = 9;
const IPV4_CHECKSUM: usize = 10;
const IPV4_SRC: usize = 12;
const IPV4_DST: usize = 16;

fn read_ipv4(buf: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(buf[at], buf[at + 1], buf[at + 2], buf[at + 3])
}

/// Read-only view of an IPv4 header at the start of `buf`: version 4, a
/// header length that fits, not a fragment.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Header<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv4Header<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Option<Self> {
        let first = *buf.first()?;
        let header_len = usize::from(first & 0x0f) * 4;
        let fragment = u16::from_be_bytes([*buf.get(6)?, *buf.get(7)?]) & 0x3fff;
        (first >> 4 == 4
            && header_len >= IPV4_HEADER_LEN
            && buf.len() >= header_len
            && fragment == 0)
            .then_some(Ipv4Header { buf })
    }

    /// Header length in bytes (options included).
    pub fn header_len(&self) -> usize {
        usize::from(self.buf[0] & 0x0f) * 4
    }

    pub fn protocol(&self) -> u8 {
        self.buf[IPV4_PROTOCOL]
    }

    pub fn src(&self) -> Ipv4Addr {
        read_ipv4(self.buf, IPV4_SRC)
    }

    pub fn dst(&self) -> Ipv4Addr {
        read_ipv4(self.buf, IPV4_DST)
    }
}

/// Writes a fresh IPv4 header (no options, don't fragment) carrying UDP,
/// with its checksum.
pub fn write_ipv4_header(
    out: &mut [u8],
    src: &Ipv4Addr,
    dst: &Ipv4Addr,
    payload_len: u16,
    ttl: u8,
) {
    let total = IPV4_HEADER_LEN as u16 + payload_len;
    out[..IPV4_HEADER_LEN].fill(0);
    out[0] = 0x45; // version 4, 5 words
    out[IPV4_TOTAL_LEN..IPV4_TOTAL_LEN + 2].copy_from_slice(&total.to_be_bytes());
    out[6] = 0x40; // don't fragment
    out[IPV4_TTL] = ttl;
    out[IPV4_PROTOCOL] = IP_PROTOCOL_UDP;
    out[IPV4_SRC..IPV4_SRC + 4].copy_from_slice(&src.octets());
    out[IPV4_DST..IPV4_DST + 4].copy_from_slice(&dst.octets());
    let checksum = !fold(ones_complement_sum(0, &out[..IPV4_HEADER_LEN]));
    out[IPV4_CHECKSUM..IPV4_CHECKSUM + 2].copy_from_slice(&checksum.to_be_bytes());
}

/// Whether an IPv4 header's checksum is right (tests and diagnostics).
pub fn ipv4_header_checksum_is_valid(header: &[u8]) -> bool {
    fold(ones_complement_sum(0, header)) == 0xffff
}

/// An address of the UDP pseudo-header: IPv6 (RFC 8200 section 8.1) or
/// IPv4 (RFC 768). Both headers sum to the same: source, destination, the
/// UDP length and the protocol.
pub trait PseudoHeaderAddr {
    type Octets: AsRef<[u8]>;
    fn pseudo_octets(&self) -> Self::Octets;
}

impl PseudoHeaderAddr for Ipv6Addr {
    type Octets = [u8; 16];
    fn pseudo_octets(&self) -> [u8; 16] {
        self.octets()
    }
}

impl PseudoHeaderAddr for Ipv4Addr {
    type Octets = [u8; 4];
    fn pseudo_octets(&self) -> [u8; 4] {
        self.octets()
    }
}

fn pseudo_header_sum<A: PseudoHeaderAddr>(src: &A, dst: &A, datagram: &[u8]) -> u64 {
    let mut sum = ones_complement_sum(0, src.pseudo_octets().as_ref());
    sum = ones_complement_sum(sum, dst.pseudo_octets().as_ref());
    sum += datagram.len() as u64 + u64::from(IP_PROTOCOL_UDP);
    ones_complement_sum(sum, datagram)
}

/// Read-only view of a UDP header at the start of `buf` (at least 8 bytes).
#[derive(Debug, Clone, Copy)]
pub struct UdpHeader<'a> {
    buf: &'a [u8],
}

impl<'a> UdpHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Option<Self> {
        (buf.len() >= UDP_HEADER_LEN).then_some(UdpHeader { buf })
    }

    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.buf[0], self.buf[1]])
    }

    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// Header plus payload, as the sender declared it.
    pub fn length(&self) -> u16 {
        u16::from_be_bytes([self.buf[4], self.buf[5]])
    }
}

/// Fills in a UDP header and its checksum over the pseudo-header and
/// `datagram` (header followed by `payload_len` bytes already in place).
pub fn finish_udp<A: PseudoHeaderAddr>(
    datagram: &mut [u8],
    src: &A,
    dst: &A,
    src_port: u16,
    dst_port: u16,
) {
    let len = datagram.len() as u16;
    datagram[0..2].copy_from_slice(&src_port.to_be_bytes());
    datagram[2..4].copy_from_slice(&dst_port.to_be_bytes());
    datagram[4..6].copy_from_slice(&len.to_be_bytes());
    datagram[6..8].copy_from_slice(&[0, 0]);
    let checksum = udp_checksum(src, dst, datagram);
    datagram[6..8].copy_from_slice(&checksum.to_be_bytes());
}

/// UDP checksum over the pseudo-header and the datagram, whose checksum
/// field must be zero. Never returns 0 (RFC 768).
pub fn udp_checksum<A: PseudoHeaderAddr>(src: &A, dst: &A, datagram: &[u8]) -> u16 {
    match !fold(pseudo_header_sum(src, dst, datagram)) {
        0 => 0xffff,
        c => c,
    }
}

/// Adds `data` as big-endian 16-bit words to `sum` (unfolded). Adds 32-bit
/// words where it can: 2^16 is 1 modulo 0xffff, so their folded sum is the
/// same, in half the additions.
fn ones_complement_sum(mut sum: u64, data: &[u8]) -> u64 {
    let mut quads = data.chunks_exact(4);
    for q in &mut quads {
        sum += u64::from(u32::from_be_bytes([q[0], q[1], q[2], q[3]]));
    }
    let rest = quads.remainder();
    let mut words = rest.chunks_exact(2);
    for w in &mut words {
        sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        sum += u64::from(*last) << 8;
    }
    sum
}

fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Verifies a received datagram's checksum (used by tests and diagnostics).
pub fn udp_checksum_is_valid<A: PseudoHeaderAddr>(src: &A, dst: &A, datagram: &[u8]) -> bool {
    fold(pseudo_header_sum(src, dst, datagram)) == 0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_round_trips_for_odd_and_even_lengths() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "fe80::2:3".parse().unwrap();
        for payload_len in [0usize, 1, 7, 8, 63] {
            let mut datagram = vec![0u8; UDP_HEADER_LEN + payload_len];
            for (i, b) in datagram[UDP_HEADER_LEN..].iter_mut().enumerate() {
                *b = (i * 37 + 11) as u8;
            }
            finish_udp(&mut datagram, &src, &dst, 547, 546);
            assert!(
                udp_checksum_is_valid(&src, &dst, &datagram),
                "len {payload_len}"
            );
            datagram[UDP_HEADER_LEN - 1] ^= 1;
            assert!(!udp_checksum_is_valid(&src, &dst, &datagram));
        }
    }

    #[test]
    fn checksum_matches_a_known_packet() {
        // UDP 546 -> 547 from fe80::1 to ff02::1:2 with payload 0b 00 00 01;
        // the expected value was computed separately with Python's struct.
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst = ALL_DHCP_RELAY_AGENTS_AND_SERVERS;
        let mut datagram = [0u8, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0, 0, 1];
        finish_udp(&mut datagram, &src, &dst, 546, 547);
        assert_eq!(u16::from_be_bytes([datagram[6], datagram[7]]), 0xf308);
    }

    #[test]
    fn ipv6_header_round_trips() {
        let mut hdr = [0u8; IPV6_HEADER_LEN];
        let src: Ipv6Addr = "fe80::a".parse().unwrap();
        let dst: Ipv6Addr = "2001:db8::b".parse().unwrap();
        write_ipv6_header(&mut hdr, &src, &dst, 99);
        let view = Ipv6Header::new_checked(&hdr).unwrap();
        assert_eq!(view.src(), src);
        assert_eq!(view.dst(), dst);
        assert_eq!(view.next_header(), IP_PROTOCOL_UDP);
        assert_eq!(hdr[IPV6_HOP_LIMIT], REPLY_HOP_LIMIT);
        assert!(Ipv6Header::new_checked(&hdr[..39]).is_none());
        hdr[0] = 0x45;
        assert!(Ipv6Header::new_checked(&hdr).is_none());
    }

    #[test]
    fn ipv4_header_round_trips_with_its_checksum() {
        let mut hdr = [0u8; IPV4_HEADER_LEN];
        let (src, dst) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::BROADCAST);
        write_ipv4_header(&mut hdr, &src, &dst, 308, 64);
        assert!(ipv4_header_checksum_is_valid(&hdr));
        // Checked separately with Python: the checksum of this header.
        assert_eq!(u16::from_be_bytes([hdr[10], hdr[11]]), 0x77a4);
        let view = Ipv4Header::new_checked(&hdr).unwrap();
        assert_eq!(
            (view.src(), view.dst(), view.protocol()),
            (src, dst, IP_PROTOCOL_UDP)
        );
        assert_eq!(view.header_len(), IPV4_HEADER_LEN);
        hdr[7] = 1; // a fragment
        assert!(Ipv4Header::new_checked(&hdr).is_none());
        hdr[7] = 0;
        hdr[0] = 0x46; // header longer than the buffer
        assert!(Ipv4Header::new_checked(&hdr).is_none());
    }

    #[test]
    fn udp_checksum_over_ipv4() {
        let (src, dst) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 77));
        let mut datagram = vec![0u8; UDP_HEADER_LEN + 5];
        datagram[UDP_HEADER_LEN..].copy_from_slice(b"hello");
        finish_udp(&mut datagram, &src, &dst, 67, 68);
        assert!(udp_checksum_is_valid(&src, &dst, &datagram));
        datagram[9] ^= 0x10;
        assert!(!udp_checksum_is_valid(&src, &dst, &datagram));
    }
}
