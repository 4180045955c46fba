//! Domain names in the uncompressed wire form DHCPv6 uses (RFC 8415 section
//! 10, RFC 1035 section 3.1): length-prefixed labels ending in a zero octet.

use core::fmt;

/// Longest name in text form, without the trailing dot (RFC 1035 section 2.3.4).
pub const MAX_NAME_LEN: usize = 253;
pub const MAX_LABEL_LEN: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainError {
    Empty,
    TooLong,
    EmptyLabel,
    LabelTooLong,
    BadCharacter(char),
    HyphenAtLabelEdge,
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainError::Empty => f.write_str("empty domain name"),
            DomainError::TooLong => write!(f, "longer than {MAX_NAME_LEN} characters"),
            DomainError::EmptyLabel => f.write_str("empty label (two dots in a row?)"),
            DomainError::LabelTooLong => {
                write!(f, "a label is longer than {MAX_LABEL_LEN} characters")
            }
            DomainError::BadCharacter(c) => write!(f, "character {c:?} is not allowed"),
            DomainError::HyphenAtLabelEdge => f.write_str("a label starts or ends with '-'"),
        }
    }
}

/// A validated host or domain name (letters, digits, hyphens; one trailing
/// dot allowed), kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let name = text.strip_suffix('.').unwrap_or(text);
        if name.is_empty() {
            return Err(DomainError::Empty);
        }
        if name.len() > MAX_NAME_LEN {
            return Err(DomainError::TooLong);
        }
        for label in name.split('.') {
            if label.is_empty() {
                return Err(DomainError::EmptyLabel);
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(DomainError::LabelTooLong);
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return Err(DomainError::BadCharacter(c));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(DomainError::HyphenAtLabelEdge);
            }
        }
        Ok(DomainName(name.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Appends the wire form (labels, then the root's zero octet).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        for label in self.0.split('.') {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_labels_and_root() {
        let mut out = Vec::new();
        DomainName::parse("Example.COM.")
            .unwrap()
            .encode_into(&mut out);
        assert_eq!(out, b"\x07example\x03com\x00");
    }

    #[test]
    fn refuses_bad_names() {
        assert_eq!(DomainName::parse(""), Err(DomainError::Empty));
        assert_eq!(DomainName::parse("."), Err(DomainError::Empty));
        assert_eq!(DomainName::parse("a..b"), Err(DomainError::EmptyLabel));
        assert_eq!(
            DomainName::parse("a b"),
            Err(DomainError::BadCharacter(' '))
        );
        assert_eq!(
            DomainName::parse("-a.b"),
            Err(DomainError::HyphenAtLabelEdge)
        );
        assert_eq!(
            DomainName::parse(&"a".repeat(64)),
            Err(DomainError::LabelTooLong)
        );
        let long = ["abcdefghi"; 26].join(".");
        assert_eq!(DomainName::parse(&long), Err(DomainError::TooLong));
    }
}
