//! The records the looking glass publishes, byte for byte.
//!
//! A transaction is DHCPKit's Kafka record (its `dhcpkit_kafka.messages.
//! DHCPKafkaMessage`, all big-endian): `u8 msg-type`, `u8 name-len`,
//! server name (UTF-8), `f64 timestamp-in` (Unix seconds), `u16 len-in`,
//! the message as received (Relay-forwards included), `f64 timestamp-out`,
//! `u16 len-out`, the reply as sent (length 0: none). Type 1 is DHCPKit's
//! DHCPv6; 2 (DHCPv4, the BOOTP message) and 3 (DHCPv4-over-DHCPv6, the
//! DHCPv6 messages that carry it) are this server's, with the same layout:
//! DHCPKit's decoder reads them as messages of an unknown type.

/// What a transaction record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordType {
    Dhcpv6 = 1,
    Dhcpv4 = 2,
    Dhcpv4OverDhcpv6 = 3,
}

/// The longest server name a record holds (its length is one octet).
pub const MAX_SERVER_NAME: usize = 255;

/// Bytes a record of these parts takes.
pub fn transaction_len(server_name: &str, msg_in: &[u8], msg_out: &[u8]) -> usize {
    2 + server_name.len().min(MAX_SERVER_NAME) + 2 * (8 + 2) + msg_in.len() + msg_out.len()
}

/// Appends one transaction record to `out`. Messages longer than 65,535
/// octets cannot be (a packet buffer holds far less) and are cut there.
pub fn write_transaction(
    out: &mut Vec<u8>,
    kind: RecordType,
    server_name: &str,
    (time_in, msg_in): (f64, &[u8]),
    (time_out, msg_out): (f64, &[u8]),
) {
    let name = truncate_utf8(server_name, MAX_SERVER_NAME);
    out.push(kind as u8);
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
    for (time, msg) in [(time_in, msg_in), (time_out, msg_out)] {
        let msg = &msg[..msg.len().min(usize::from(u16::MAX))];
        out.extend_from_slice(&time.to_be_bytes());
        out.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        out.extend_from_slice(msg);
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a
/// character boundary.
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_is_dhcpkits_layout() {
        let mut out = Vec::new();
        let (solicit, advertise) = ([1u8, 0xaa, 0xbb, 0xcc], [2u8, 0xaa, 0xbb, 0xcc, 0, 2]);
        write_transaction(
            &mut out,
            RecordType::Dhcpv6,
            "vpp1.example",
            (1.5, &solicit),
            (2.25, &advertise),
        );
        let mut want = vec![1, 12];
        want.extend_from_slice(b"vpp1.example");
        want.extend_from_slice(&1.5f64.to_be_bytes());
        want.extend_from_slice(&[0, 4]);
        want.extend_from_slice(&solicit);
        want.extend_from_slice(&2.25f64.to_be_bytes());
        want.extend_from_slice(&[0, 6]);
        want.extend_from_slice(&advertise);
        assert_eq!(out, want);
        assert_eq!(
            out.len(),
            transaction_len("vpp1.example", &solicit, &advertise)
        );
    }

    #[test]
    fn no_reply_is_length_zero_and_long_names_are_cut_on_a_character() {
        let mut out = Vec::new();
        let name = "é".repeat(200); // 400 bytes
        write_transaction(&mut out, RecordType::Dhcpv4, &name, (1.0, &[9]), (1.0, &[]));
        assert_eq!(out[0], 2);
        assert_eq!(out[1], 254, "127 two-byte characters");
        assert!(std::str::from_utf8(&out[2..2 + 254]).is_ok());
        assert_eq!(&out[out.len() - 10..out.len() - 2], &1.0f64.to_be_bytes());
        assert_eq!(&out[out.len() - 2..], &[0, 0]);
    }
}
