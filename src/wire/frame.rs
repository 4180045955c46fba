//! The Ethernet, IPv6 and UDP headers around a DHCPv6 message, read and
//! rewritten in place. Packet data is unaligned and in network byte order, so
//! every field is read and written as bytes.

use core::net::Ipv6Addr;

pub const ETHERNET_ADDR_LEN: usize = 6;
/// Destination and source MAC; VLAN tags and the ethertype follow.
pub const ETHERNET_ADDRS_LEN: usize = 2 * ETHERNET_ADDR_LEN;
pub const IPV6_HEADER_LEN: usize = 40;
pub const UDP_HEADER_LEN: usize = 8;
pub const IP_PROTOCOL_UDP: u8 = 17;

pub const DHCPV6_CLIENT_PORT: u16 = 546;
pub const DHCPV6_SERVER_PORT: u16 = 547;

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
pub fn finish_udp(
    datagram: &mut [u8],
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
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

/// UDP checksum over the IPv6 pseudo-header (RFC 8200 section 8.1) and the
/// datagram, whose checksum field must be zero. Never returns 0 (RFC 768).
pub fn udp_checksum(src: &Ipv6Addr, dst: &Ipv6Addr, datagram: &[u8]) -> u16 {
    let mut sum = ones_complement_sum(0, &src.octets());
    sum = ones_complement_sum(sum, &dst.octets());
    sum += datagram.len() as u64;
    sum += u64::from(IP_PROTOCOL_UDP);
    sum = ones_complement_sum(sum, datagram);
    match !fold(sum) {
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
pub fn udp_checksum_is_valid(src: &Ipv6Addr, dst: &Ipv6Addr, datagram: &[u8]) -> bool {
    let mut sum = ones_complement_sum(0, &src.octets());
    sum = ones_complement_sum(sum, &dst.octets());
    sum += datagram.len() as u64 + u64::from(IP_PROTOCOL_UDP);
    sum = ones_complement_sum(sum, datagram);
    fold(sum) == 0xffff
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
}
