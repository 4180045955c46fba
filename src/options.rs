//! Configuration options the server hands out (RFC 8415 section 21 and
//! friends), set by name from text, kept in wire form.

use core::fmt;
use core::net::Ipv6Addr;

use crate::wire::dhcpv6::option_code;
use crate::wire::domain::DomainName;

/// NTP server option's server-address sub-option (RFC 5908).
const NTP_SUBOPTION_SRV_ADDR: u16 = 1;
/// Limits from RFC 8415 section 21.23 (IRT_MINIMUM) and 21.24/21.25.
const IRT_MINIMUM: u32 = 600;
const MAX_RT_RANGE: core::ops::RangeInclusive<u32> = 60..=86_400;
const MAX_ADDRESSES: usize = 16;
const MAX_NAMES: usize = 16;

/// The options an operator can set, by their configuration name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    DnsServers,
    DomainSearch,
    SntpServers,
    NtpServers,
    InformationRefreshTime,
    SolMaxRt,
    InfMaxRt,
}

impl OptionKind {
    pub const ALL: [OptionKind; 7] = [
        OptionKind::DnsServers,
        OptionKind::DomainSearch,
        OptionKind::SntpServers,
        OptionKind::NtpServers,
        OptionKind::InformationRefreshTime,
        OptionKind::SolMaxRt,
        OptionKind::InfMaxRt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OptionKind::DnsServers => "dns-servers",
            OptionKind::DomainSearch => "domain-search",
            OptionKind::SntpServers => "sntp-servers",
            OptionKind::NtpServers => "ntp-servers",
            OptionKind::InformationRefreshTime => "information-refresh-time",
            OptionKind::SolMaxRt => "sol-max-rt",
            OptionKind::InfMaxRt => "inf-max-rt",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn code(self) -> u16 {
        match self {
            OptionKind::DnsServers => option_code::DNS_SERVERS,
            OptionKind::DomainSearch => option_code::DOMAIN_LIST,
            OptionKind::SntpServers => option_code::SNTP_SERVERS,
            OptionKind::NtpServers => option_code::NTP_SERVER,
            OptionKind::InformationRefreshTime => option_code::INFORMATION_REFRESH_TIME,
            OptionKind::SolMaxRt => option_code::SOL_MAX_RT,
            OptionKind::InfMaxRt => option_code::INF_MAX_RT,
        }
    }

    /// DNS options go out unasked when the client sent no ORO; the rest
    /// only when requested.
    pub fn sent_without_oro(self) -> bool {
        matches!(self, OptionKind::DnsServers | OptionKind::DomainSearch)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError(pub String);

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A set option: its text form (for the views) and its wire body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionValue {
    pub kind: OptionKind,
    pub text: String,
    pub wire: Vec<u8>,
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect()
}

fn addresses(kind: OptionKind, text: &str) -> Result<Vec<Ipv6Addr>, OptionError> {
    let list = words(text)
        .into_iter()
        .map(|w| {
            let a: Ipv6Addr = w.parse().map_err(|_| {
                OptionError(format!("{}: {w:?} is not an IPv6 address", kind.name()))
            })?;
            if a.is_unspecified() || a.is_multicast() || a.is_loopback() {
                return Err(OptionError(format!(
                    "{}: {a} must be a unicast address",
                    kind.name()
                )));
            }
            Ok(a)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if list.is_empty() || list.len() > MAX_ADDRESSES {
        return Err(OptionError(format!(
            "{}: 1 to {MAX_ADDRESSES} addresses",
            kind.name()
        )));
    }
    Ok(list)
}

fn seconds(
    kind: OptionKind,
    text: &str,
    range: core::ops::RangeInclusive<u32>,
) -> Result<u32, OptionError> {
    let v: u32 = text.trim().parse().map_err(|_| {
        OptionError(format!(
            "{}: {text:?} is not a number of seconds",
            kind.name()
        ))
    })?;
    if !range.contains(&v) {
        return Err(OptionError(format!(
            "{}: {v} is outside {}..={} seconds",
            kind.name(),
            range.start(),
            range.end()
        )));
    }
    Ok(v)
}

impl OptionValue {
    /// Parses the text value of an option.
    pub fn parse(kind: OptionKind, text: &str) -> Result<Self, OptionError> {
        let wire = match kind {
            OptionKind::DnsServers | OptionKind::SntpServers => addresses(kind, text)?
                .iter()
                .flat_map(|a| a.octets())
                .collect(),
            OptionKind::NtpServers => {
                let mut wire = Vec::new();
                for a in addresses(kind, text)? {
                    wire.extend(NTP_SUBOPTION_SRV_ADDR.to_be_bytes());
                    wire.extend(16u16.to_be_bytes());
                    wire.extend(a.octets());
                }
                wire
            }
            OptionKind::DomainSearch => {
                let names = words(text);
                if names.is_empty() || names.len() > MAX_NAMES {
                    return Err(OptionError(format!(
                        "domain-search: 1 to {MAX_NAMES} names"
                    )));
                }
                let mut wire = Vec::new();
                for n in names {
                    DomainName::parse(n)
                        .map_err(|e| OptionError(format!("domain {n:?}: {e}")))?
                        .encode_into(&mut wire);
                }
                wire
            }
            OptionKind::InformationRefreshTime => seconds(kind, text, IRT_MINIMUM..=u32::MAX)?
                .to_be_bytes()
                .to_vec(),
            OptionKind::SolMaxRt | OptionKind::InfMaxRt => {
                seconds(kind, text, MAX_RT_RANGE)?.to_be_bytes().to_vec()
            }
        };
        Ok(OptionValue {
            kind,
            text: words(text).join(" "),
            wire,
        })
    }
}

/// Options set at one scope (server-wide or one link).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionTable {
    values: Vec<OptionValue>,
}

impl OptionTable {
    pub fn get(&self, kind: OptionKind) -> Option<&OptionValue> {
        self.values.iter().find(|v| v.kind == kind)
    }

    /// Sets an option, or clears it when `value` is None.
    pub fn set(&mut self, kind: OptionKind, value: Option<OptionValue>) {
        self.values.retain(|v| v.kind != kind);
        if let Some(v) = value {
            self.values.push(v);
            self.values.sort_by_key(|v| v.kind.code());
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &OptionValue> {
        self.values.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_parsed_into_wire_form() {
        let v = OptionValue::parse(OptionKind::NtpServers, "2001:db8::123").unwrap();
        assert_eq!(&v.wire[..4], &[0, 1, 0, 16]);
        assert_eq!(v.wire.len(), 20);
        let v = OptionValue::parse(OptionKind::SntpServers, "2001:db8::1, 2001:db8::2").unwrap();
        assert_eq!(v.wire.len(), 32);
        assert_eq!(v.text, "2001:db8::1 2001:db8::2");
        let v = OptionValue::parse(OptionKind::InformationRefreshTime, "3600").unwrap();
        assert_eq!(v.wire, 3600u32.to_be_bytes());
        let v = OptionValue::parse(OptionKind::DomainSearch, "a.example").unwrap();
        assert_eq!(v.wire, b"\x01a\x07example\x00");
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let bad = [
            (OptionKind::InformationRefreshTime, "599"),
            (OptionKind::SolMaxRt, "59"),
            (OptionKind::InfMaxRt, "86401"),
            (OptionKind::SolMaxRt, "soon"),
            (OptionKind::NtpServers, "ff02::101"),
            (OptionKind::SntpServers, "not-an-address"),
            (OptionKind::DnsServers, ""),
            (OptionKind::DomainSearch, "bad_name"),
        ];
        for (k, t) in bad {
            let e = OptionValue::parse(k, t).unwrap_err();
            assert!(e.0.contains(k.name()) || e.0.contains("domain"), "{e}");
        }
    }

    #[test]
    fn table_set_replace_clear() {
        let mut t = OptionTable::default();
        t.set(
            OptionKind::SolMaxRt,
            Some(OptionValue::parse(OptionKind::SolMaxRt, "120").unwrap()),
        );
        t.set(
            OptionKind::DnsServers,
            Some(OptionValue::parse(OptionKind::DnsServers, "2001:db8::1").unwrap()),
        );
        assert_eq!(
            t.iter().map(|v| v.kind.code()).collect::<Vec<_>>(),
            vec![23, 82]
        );
        t.set(OptionKind::SolMaxRt, None);
        assert!(t.get(OptionKind::SolMaxRt).is_none());
        assert_eq!(
            OptionKind::from_name("ntp-servers"),
            Some(OptionKind::NtpServers)
        );
        assert_eq!(OptionKind::from_name("bogus"), None);
    }
}
