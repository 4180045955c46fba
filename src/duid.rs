//! DHCP Unique Identifiers (RFC 8415 section 11).

use arrayvec::ArrayVec;
use core::fmt;

/// A DUID is a 2-octet type followed by at most 128 octets.
pub const MAX_DUID_LEN: usize = 130;
/// The shortest DUID we accept: the type and at least one octet.
pub const MIN_DUID_LEN: usize = 3;

const DUID_LL: u16 = 3;
const HARDWARE_TYPE_ETHERNET: u16 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuidError {
    Length(usize),
    BadHex,
}

impl fmt::Display for DuidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DuidError::Length(n) => write!(
                f,
                "a DUID is {MIN_DUID_LEN} to {MAX_DUID_LEN} octets (a 2-octet type and its data), not {n}"
            ),
            DuidError::BadHex => f.write_str("a DUID is written as hex octets, e.g. 00:03:00:01:02:00:00:00:00:01"),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Duid(ArrayVec<u8, MAX_DUID_LEN>);

impl Duid {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DuidError> {
        if !(MIN_DUID_LEN..=MAX_DUID_LEN).contains(&bytes.len()) {
            return Err(DuidError::Length(bytes.len()));
        }
        let mut v = ArrayVec::new();
        v.try_extend_from_slice(bytes)
            .map_err(|_| DuidError::Length(bytes.len()))?;
        Ok(Duid(v))
    }

    /// DUID-LL (type 3) for an Ethernet address (RFC 8415 section 11.4).
    pub fn link_layer_ethernet(mac: [u8; 6]) -> Self {
        let mut v = ArrayVec::new();
        v.extend(DUID_LL.to_be_bytes());
        v.extend(HARDWARE_TYPE_ETHERNET.to_be_bytes());
        v.extend(mac);
        Duid(v)
    }

    /// Parses hex octets, with or without ':' or '-' between them.
    pub fn parse_hex(text: &str) -> Result<Self, DuidError> {
        let bytes = crate::views::parse_hex(text).ok_or(DuidError::BadHex)?;
        Duid::from_bytes(&bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

// Lookups by the DUID's bytes without building a key: ArrayVec hashes and
// compares as its slice does.
impl std::borrow::Borrow<[u8]> for Duid {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Duid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Duid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Duid({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duid_ll_from_mac() {
        let d = Duid::link_layer_ethernet([2, 0, 0, 0, 0, 1]);
        assert_eq!(d.as_bytes(), &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]);
        assert_eq!(d.to_string(), "00:03:00:01:02:00:00:00:00:01");
    }

    #[test]
    fn parses_hex_forms_and_refuses_bad_ones() {
        let a = Duid::parse_hex("00:03:00:01:02:00:00:00:00:01").unwrap();
        let b = Duid::parse_hex("0003000102000000-0001").unwrap();
        assert_eq!(a, b);
        assert_eq!(Duid::parse_hex("0003x1"), Err(DuidError::BadHex));
        assert_eq!(Duid::parse_hex("000"), Err(DuidError::BadHex));
        assert_eq!(Duid::parse_hex("0003"), Err(DuidError::Length(2)));
        assert_eq!(
            Duid::parse_hex(&"ab".repeat(131)),
            Err(DuidError::Length(131))
        );
        assert!(Duid::parse_hex(&"ab".repeat(130)).is_ok());
    }
}
