//! Configuration options the servers hand out, DHCPv6 (RFC 8415 section 21
//! and friends) and DHCPv4 (RFC 2132 and friends): any option by its code
//! and a value of a typed format, kept in wire form. The named options are
//! shortcuts for codes with a format and the checks their RFCs ask for.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::wire::dhcpv4::option_code as v4;
use crate::wire::dhcpv6::option_code;
use crate::wire::domain::DomainName;

/// NTP server option's server-address sub-option (RFC 5908).
const NTP_SUBOPTION_SRV_ADDR: u16 = 1;
/// Limits from RFC 8415 section 21.23 (IRT_MINIMUM) and 21.24/21.25.
const IRT_MINIMUM: u32 = 600;
const MAX_RT: (u32, u32) = (60, 86_400);
const MAX_ADDRESSES: usize = 16;
const MAX_NAMES: usize = 16;
/// Longest option body accepted, so that options leave room in a reply.
pub const MAX_OPTION_BODY: usize = 1024;

/// Which protocol's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V6,
    V4,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::V6 => "DHCPv6",
            Family::V4 => "DHCPv4",
        }
    }

    fn named(self) -> &'static [Named] {
        match self {
            Family::V6 => &NAMED,
            Family::V4 => &NAMED4,
        }
    }

    /// The codes the protocol itself writes: never configured by code.
    fn protocol_owned(self) -> &'static [u16] {
        match self {
            Family::V6 => &PROTOCOL_OWNED,
            Family::V4 => &PROTOCOL_OWNED4,
        }
    }

    fn max_code(self) -> u16 {
        match self {
            Family::V6 => u16::MAX,
            Family::V4 => 254,
        }
    }

    /// The formats `option code` takes, by name.
    fn formats(self) -> &'static [(&'static str, Format)] {
        match self {
            Family::V6 => &Format::BY_NAME,
            Family::V4 => &Format::BY_NAME4,
        }
    }
}

/// Options DHCPv6 itself writes (identifiers, IAs, status, relay framing,
/// Server Unicast).
const PROTOCOL_OWNED: [u16; 20] = [
    0,
    option_code::CLIENT_ID,
    option_code::SERVER_ID,
    option_code::IA_NA,
    option_code::IA_TA,
    option_code::IA_ADDR,
    option_code::ORO,
    option_code::PREFERENCE,
    option_code::ELAPSED_TIME,
    option_code::RELAY_MSG,
    11, // Authentication
    option_code::SERVER_UNICAST,
    option_code::STATUS_CODE,
    option_code::RAPID_COMMIT,
    option_code::INTERFACE_ID,
    19, // Reconfigure Message
    20, // Reconfigure Accept
    option_code::IA_PD,
    option_code::IA_PREFIX,
    option_code::DHCPV4_MSG,
];

/// Options DHCPv4 itself writes (the subnet mask from the link, lease
/// times, message type, server id, the client's and the relay's options).
const PROTOCOL_OWNED4: [u16; 15] = [
    v4::PAD as u16,
    v4::SUBNET_MASK as u16,
    v4::REQUESTED_ADDRESS as u16,
    v4::LEASE_TIME as u16,
    v4::OVERLOAD as u16,
    v4::MESSAGE_TYPE as u16,
    v4::SERVER_ID as u16,
    v4::PARAMETER_REQUEST_LIST as u16,
    v4::MESSAGE as u16,
    v4::MAX_MESSAGE_SIZE as u16,
    v4::RENEWAL_TIME as u16,
    v4::REBINDING_TIME as u16,
    v4::CLIENT_ID as u16,
    v4::RAPID_COMMIT as u16,
    v4::RELAY_AGENT_INFO as u16,
];

/// How a value is written in configuration and encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Octets in hex, with or without ':' or '-' between them.
    Hex,
    /// A list of IPv6 addresses.
    Ipv6Address,
    /// A list of IPv4 addresses.
    Ipv4Address,
    /// Text, sent as it is (no length, no terminator).
    String,
    /// A list of domain names in DNS wire form (RFC 8415 section 10).
    Domain,
    U8,
    U16,
    U32,
    /// Unicast server addresses (named options only).
    ServerAddresses,
    /// NTP server addresses as RFC 5908 sub-options (named only).
    NtpServers,
    /// DHCPv4-over-DHCPv6 servers (RFC 7341 section 6.2): unicast
    /// addresses, or `multicast` for none (the client then uses the
    /// All_DHCP_Relay_Agents_and_Servers group) (named only).
    Dhcp4o6Servers,
    /// A number from `min` to `max` in `octets` octets (named only).
    Bounded {
        min: u32,
        max: u32,
        octets: u8,
        unit: &'static str,
    },
    /// RFC 3442 routes, `<subnet>/<len> <router>, ...` (named only).
    ClasslessRoutes,
}

impl Format {
    /// The formats DHCPv6's `option code` takes, by name.
    pub const BY_NAME: [(&'static str, Format); 7] = [
        ("hex", Format::Hex),
        ("ipv6-address", Format::Ipv6Address),
        ("string", Format::String),
        ("domain", Format::Domain),
        ("u8", Format::U8),
        ("u16", Format::U16),
        ("u32", Format::U32),
    ];

    /// DHCPv4's.
    pub const BY_NAME4: [(&'static str, Format); 7] = [
        ("hex", Format::Hex),
        ("ipv4-address", Format::Ipv4Address),
        ("string", Format::String),
        ("domain", Format::Domain),
        ("u8", Format::U8),
        ("u16", Format::U16),
        ("u32", Format::U32),
    ];

    fn name(&self) -> &'static str {
        Self::BY_NAME
            .iter()
            .chain(&Self::BY_NAME4)
            .find(|(_, f)| f == self)
            .map_or("", |(n, _)| n)
    }

    /// Encodes the text value; errors say what is wrong, not where.
    fn encode(&self, text: &str) -> Result<Vec<u8>, String> {
        let number = |max: u32| -> Result<u32, String> {
            let t = text.trim();
            t.parse::<u32>()
                .ok()
                .filter(|v| *v <= max)
                .ok_or_else(|| format!("{t:?} is not a number from 0 to {max}"))
        };
        Ok(match self {
            Format::Hex => crate::views::parse_hex(text)
                .ok_or_else(|| format!("{text:?} is not hex octets"))?,
            Format::Ipv6Address => addresses(text, false)?
                .iter()
                .flat_map(|a| a.octets())
                .collect(),
            Format::Ipv4Address => ipv4_addresses(text)?
                .iter()
                .flat_map(|a| a.octets())
                .collect(),
            Format::ClasslessRoutes => classless_routes(text)?,
            Format::ServerAddresses => addresses(text, true)?
                .iter()
                .flat_map(|a| a.octets())
                .collect(),
            Format::Dhcp4o6Servers if text.trim() == "multicast" => Vec::new(),
            Format::Dhcp4o6Servers => addresses(text, true)?
                .iter()
                .flat_map(|a| a.octets())
                .collect(),
            Format::NtpServers => {
                let mut wire = Vec::new();
                for a in addresses(text, true)? {
                    wire.extend(NTP_SUBOPTION_SRV_ADDR.to_be_bytes());
                    wire.extend(16u16.to_be_bytes());
                    wire.extend(a.octets());
                }
                wire
            }
            Format::String => {
                if text.is_empty() {
                    return Err("an empty string".into());
                }
                text.as_bytes().to_vec()
            }
            Format::Domain => {
                let names = words(text);
                if names.is_empty() || names.len() > MAX_NAMES {
                    return Err(format!("1 to {MAX_NAMES} domain names"));
                }
                let mut wire = Vec::new();
                for n in names {
                    DomainName::parse(n)
                        .map_err(|e| format!("domain {n:?}: {e}"))?
                        .encode_into(&mut wire);
                }
                wire
            }
            Format::U8 => vec![number(u8::MAX.into())? as u8],
            Format::U16 => (number(u16::MAX.into())? as u16).to_be_bytes().to_vec(),
            Format::U32 => number(u32::MAX)?.to_be_bytes().to_vec(),
            Format::Bounded {
                min,
                max,
                octets,
                unit,
            } => {
                let v = number(u32::MAX).map_err(|_| format!("{text:?} is not {unit}"))?;
                if !(*min..=*max).contains(&v) {
                    return Err(format!("{v} is outside {min}..={max} {unit}"));
                }
                v.to_be_bytes()[4 - usize::from(*octets)..].to_vec()
            }
        })
    }
}

/// A named option: a shortcut for a code and a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: &'static str,
    pub code: u16,
    pub format: Format,
    /// Sent to a client that sent no ORO at all (the DNS options, as Kea
    /// does); otherwise only when the ORO asks.
    pub unasked: bool,
}

pub const NAMED: [Named; 8] = [
    Named {
        name: "dns-servers",
        code: option_code::DNS_SERVERS,
        format: Format::ServerAddresses,
        unasked: true,
    },
    Named {
        name: "domain-search",
        code: option_code::DOMAIN_LIST,
        format: Format::Domain,
        unasked: true,
    },
    Named {
        name: "sntp-servers",
        code: option_code::SNTP_SERVERS,
        format: Format::ServerAddresses,
        unasked: false,
    },
    Named {
        name: "ntp-servers",
        code: option_code::NTP_SERVER,
        format: Format::NtpServers,
        unasked: false,
    },
    Named {
        name: "dhcp4o6-servers",
        code: option_code::DHCP4_O_DHCP6_SERVER,
        format: Format::Dhcp4o6Servers,
        unasked: false,
    },
    Named {
        name: "information-refresh-time",
        code: option_code::INFORMATION_REFRESH_TIME,
        format: Format::Bounded {
            min: IRT_MINIMUM,
            max: u32::MAX,
            octets: 4,
            unit: "seconds",
        },
        unasked: false,
    },
    Named {
        name: "sol-max-rt",
        code: option_code::SOL_MAX_RT,
        format: Format::Bounded {
            min: MAX_RT.0,
            max: MAX_RT.1,
            octets: 4,
            unit: "seconds",
        },
        unasked: false,
    },
    Named {
        name: "inf-max-rt",
        code: option_code::INF_MAX_RT,
        format: Format::Bounded {
            min: MAX_RT.0,
            max: MAX_RT.1,
            octets: 4,
            unit: "seconds",
        },
        unasked: false,
    },
];

/// DHCPv4's named options.
pub const NAMED4: [Named; 8] = [
    Named {
        name: "routers",
        code: v4::ROUTER as u16,
        format: Format::Ipv4Address,
        unasked: true,
    },
    Named {
        name: "dns-servers",
        code: v4::DNS_SERVERS as u16,
        format: Format::Ipv4Address,
        unasked: true,
    },
    Named {
        name: "domain-name",
        code: v4::DOMAIN_NAME as u16,
        format: Format::String,
        unasked: true,
    },
    Named {
        name: "domain-search",
        code: v4::DOMAIN_SEARCH as u16,
        format: Format::Domain,
        unasked: false,
    },
    Named {
        name: "ntp-servers",
        code: v4::NTP_SERVERS as u16,
        format: Format::Ipv4Address,
        unasked: false,
    },
    Named {
        name: "interface-mtu",
        code: v4::INTERFACE_MTU as u16,
        format: Format::Bounded {
            min: 68,
            max: 65535,
            octets: 2,
            unit: "octets",
        },
        unasked: false,
    },
    Named {
        name: "broadcast-address",
        code: v4::BROADCAST_ADDRESS as u16,
        format: Format::Ipv4Address,
        unasked: false,
    },
    Named {
        name: "classless-static-routes",
        code: v4::CLASSLESS_STATIC_ROUTES as u16,
        format: Format::ClasslessRoutes,
        unasked: false,
    },
];

pub fn named(family: Family, name: &str) -> Option<&'static Named> {
    family.named().iter().find(|n| n.name == name)
}

fn named_by_code(family: Family, code: u16) -> Option<&'static Named> {
    family.named().iter().find(|n| n.code == code)
}

/// Whether an option goes to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Send {
    /// When the client's ORO asks for it.
    Asked,
    /// When the ORO (DHCPv4: Parameter Request List) asks, or the client
    /// sent none.
    AskedOrNoOro,
    /// In every reply that carries configuration.
    Always,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError(pub String);

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A set option: its code, how it was given (for the views) and its wire
/// body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionValue {
    pub family: Family,
    pub code: u16,
    pub format: Format,
    pub send: Send,
    pub text: String,
    pub wire: Vec<u8>,
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect()
}

fn ipv4_addresses(text: &str) -> Result<Vec<Ipv4Addr>, String> {
    let list = words(text)
        .into_iter()
        .map(|w| {
            w.parse()
                .map_err(|_| format!("{w:?} is not an IPv4 address"))
        })
        .collect::<Result<Vec<Ipv4Addr>, _>>()?;
    if list.is_empty() || list.len() > MAX_ADDRESSES {
        return Err(format!("1 to {MAX_ADDRESSES} addresses"));
    }
    Ok(list)
}

/// RFC 3442: each route is the prefix length, the significant octets of
/// the destination, then the router.
fn classless_routes(text: &str) -> Result<Vec<u8>, String> {
    let mut wire = Vec::new();
    for route in text.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let bad = || format!("route {route:?}: expected <subnet>/<len> <router>");
        let (dest, router) = route.split_once(char::is_whitespace).ok_or_else(bad)?;
        let (net, len) = dest.split_once('/').ok_or_else(bad)?;
        let net: Ipv4Addr = net.parse().map_err(|_| bad())?;
        let len: u8 = len.parse().ok().filter(|l| *l <= 32).ok_or_else(bad)?;
        let router: Ipv4Addr = router.trim().parse().map_err(|_| bad())?;
        if len < 32 && u32::from(net) & (u32::MAX >> len) != 0 {
            return Err(format!("route {route:?}: host bits are set"));
        }
        wire.push(len);
        wire.extend_from_slice(&net.octets()[..usize::from(len).div_ceil(8)]);
        wire.extend_from_slice(&router.octets());
    }
    if wire.is_empty() {
        return Err("1 or more routes, <subnet>/<len> <router>, separated by commas".into());
    }
    Ok(wire)
}

fn addresses(text: &str, unicast: bool) -> Result<Vec<Ipv6Addr>, String> {
    let list = words(text)
        .into_iter()
        .map(|w| {
            let a: Ipv6Addr = w
                .parse()
                .map_err(|_| format!("{w:?} is not an IPv6 address"))?;
            if unicast && (a.is_unspecified() || a.is_multicast() || a.is_loopback()) {
                return Err(format!("{a} must be a unicast address"));
            }
            Ok(a)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if list.is_empty() || list.len() > MAX_ADDRESSES {
        return Err(format!("1 to {MAX_ADDRESSES} addresses"));
    }
    Ok(list)
}

impl OptionValue {
    /// A named option's text value.
    pub fn named(
        family: Family,
        name: &str,
        text: &str,
        always: bool,
    ) -> Result<Self, OptionError> {
        let Some(n) = named(family, name) else {
            let names: Vec<_> = family.named().iter().map(|n| n.name).collect();
            return Err(OptionError(format!(
                "unknown option {name:?}; one of: {}, or code <n> <type>",
                names.join(", ")
            )));
        };
        Self::build(family, n.code, n.format, text, always)
            .map_err(|e| OptionError(format!("{name}: {e}")))
    }

    /// Any option by code, its value in one of the family's formats.
    pub fn by_code(
        family: Family,
        code: u16,
        format: &str,
        text: &str,
        always: bool,
    ) -> Result<Self, OptionError> {
        check_code(family, code)?;
        let found = family.formats().iter().find(|(n, _)| *n == format);
        let Some(&(_, f)) = found else {
            let names: Vec<_> = family.formats().iter().map(|(n, _)| *n).collect();
            return Err(OptionError(format!(
                "option code {code}: type {format:?} is not one of {}",
                names.join(", ")
            )));
        };
        Self::build(family, code, f, text, always)
            .map_err(|e| OptionError(format!("option code {code} {format}: {e}")))
    }

    fn build(
        family: Family,
        code: u16,
        format: Format,
        text: &str,
        always: bool,
    ) -> Result<Self, String> {
        let text = match format {
            Format::String | Format::Hex | Format::ClasslessRoutes => text.trim().to_string(),
            _ => words(text).join(" "),
        };
        let wire = format.encode(&text)?;
        if wire.len() > MAX_OPTION_BODY {
            return Err(format!(
                "{} octets, more than {MAX_OPTION_BODY}",
                wire.len()
            ));
        }
        let send = match named_by_code(family, code) {
            _ if always => Send::Always,
            Some(n) if n.unasked => Send::AskedOrNoOro,
            _ => Send::Asked,
        };
        Ok(OptionValue {
            family,
            code,
            format,
            send,
            text,
            wire,
        })
    }

    /// How the option is set again from the CLI: `dns-servers ...` or
    /// `code 27 ipv6-address ...`, with `always` where it was given.
    pub fn describe(&self) -> String {
        let always = if self.send == Send::Always {
            " always"
        } else {
            ""
        };
        match named_by_code(self.family, self.code) {
            Some(n) if n.format == self.format => format!("{}{always} {}", n.name, self.text),
            _ => format!(
                "code {} {}{always} {}",
                self.code,
                self.format.name(),
                self.text
            ),
        }
    }
}

/// Refuses the codes the protocol writes itself.
pub fn check_code(family: Family, code: u16) -> Result<(), OptionError> {
    if code > family.max_code() {
        return Err(OptionError(format!(
            "option code {code}: DHCPv4 codes go up to {}",
            family.max_code()
        )));
    }
    if family.protocol_owned().contains(&code) {
        let hint = if family == Family::V6 && code == option_code::SERVER_UNICAST {
            " (set it with dhcp6-server enable ... server-unicast)"
        } else {
            ""
        };
        return Err(OptionError(format!(
            "option code {code} is written by the server itself, not configured{hint}"
        )));
    }
    Ok(())
}

/// Options set at one scope (server-wide, one link or one reservation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionTable {
    values: Vec<OptionValue>,
}

impl OptionTable {
    pub fn get(&self, code: u16) -> Option<&OptionValue> {
        self.values.iter().find(|v| v.code == code)
    }

    /// Sets an option, or clears the code when `value` is None.
    pub fn set(&mut self, code: u16, value: Option<OptionValue>) {
        self.values.retain(|v| v.code != code);
        if let Some(v) = value {
            self.values.push(v);
            self.values.sort_by_key(|v| v.code);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &OptionValue> {
        self.values.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named_wire(name: &str, text: &str) -> Vec<u8> {
        OptionValue::named(Family::V6, name, text, false)
            .unwrap()
            .wire
    }

    #[test]
    fn named_values_are_parsed_into_wire_form() {
        let w = named_wire("ntp-servers", "2001:db8::123");
        assert_eq!(&w[..4], &[0, 1, 0, 16]);
        assert_eq!(w.len(), 20);
        let v = OptionValue::named(
            Family::V6,
            "sntp-servers",
            "2001:db8::1, 2001:db8::2",
            false,
        )
        .unwrap();
        assert_eq!(v.wire.len(), 32);
        assert_eq!(v.text, "2001:db8::1 2001:db8::2");
        assert_eq!(v.describe(), "sntp-servers 2001:db8::1 2001:db8::2");
        assert_eq!(
            named_wire("information-refresh-time", "3600"),
            3600u32.to_be_bytes()
        );
        assert_eq!(
            named_wire("domain-search", "a.example"),
            b"\x01a\x07example\x00"
        );
    }

    #[test]
    fn bad_named_values_are_refused_with_a_reason() {
        let bad = [
            ("information-refresh-time", "599"),
            ("sol-max-rt", "59"),
            ("inf-max-rt", "86401"),
            ("sol-max-rt", "soon"),
            ("ntp-servers", "ff02::101"),
            ("sntp-servers", "not-an-address"),
            ("dns-servers", ""),
            ("domain-search", "bad_name"),
        ];
        for (name, t) in bad {
            let e = OptionValue::named(Family::V6, name, t, false).unwrap_err();
            assert!(e.0.starts_with(name), "{e}");
        }
        assert!(OptionValue::named(Family::V6, "bogus", "1", false)
            .unwrap_err()
            .0
            .contains("dns-servers"));
    }

    #[test]
    fn every_format_encodes_by_code() {
        let cases: [(&str, &str, &[u8]); 8] = [
            ("hex", "00:01:ff", &[0, 1, 0xff]),
            ("hex", "0001FF", &[0, 1, 0xff]),
            ("string", "lab printer", b"lab printer"),
            ("domain", "a.example, b", b"\x01a\x07example\x00\x01b\x00"),
            ("u8", "200", &[200]),
            ("u16", "513", &[2, 1]),
            ("u32", "65536", &[0, 1, 0, 0]),
            (
                "ipv6-address",
                "ff02::1",
                &[0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            ),
        ];
        for (format, text, wire) in cases {
            let v = OptionValue::by_code(Family::V6, 200, format, text, false).unwrap();
            assert_eq!(v.wire, wire, "{format} {text}");
            assert_eq!(v.send, Send::Asked);
        }
        let nis = OptionValue::by_code(
            Family::V6,
            27,
            "ipv6-address",
            "2001:db8::1 2001:db8::2",
            true,
        )
        .unwrap();
        assert_eq!(nis.wire.len(), 32);
        assert_eq!(nis.send, Send::Always);
        assert_eq!(
            nis.describe(),
            "code 27 ipv6-address always 2001:db8::1 2001:db8::2"
        );
    }

    #[test]
    fn a_code_with_a_named_format_is_that_named_option() {
        let v = OptionValue::by_code(Family::V6, 24, "domain", "example.com", false).unwrap();
        assert_eq!(v.send, Send::AskedOrNoOro, "the DNS options' default");
        assert_eq!(v.describe(), "domain-search example.com");
        let v =
            OptionValue::by_code(Family::V6, 23, "ipv6-address", "2001:db8::53", false).unwrap();
        assert_eq!(v.wire, named_wire("dns-servers", "2001:db8::53"));
        assert_eq!(v.describe(), "code 23 ipv6-address 2001:db8::53");
    }

    #[test]
    fn bad_codes_and_values_are_refused() {
        for code in [0, 1, 2, 3, 12, 13, 25, 26] {
            assert!(
                OptionValue::by_code(Family::V6, code, "hex", "00", false).is_err(),
                "{code}"
            );
        }
        let bad = [
            ("u8", "256"),
            ("u16", "-1"),
            ("u32", "4294967296"),
            ("hex", "0x"),
            ("hex", "abc"),
            ("string", ""),
            ("ipv6-address", "2001:db8::zz"),
            ("domain", "bad_name"),
            ("float", "1.5"),
        ];
        for (format, text) in bad {
            let e = OptionValue::by_code(Family::V6, 200, format, text, false).unwrap_err();
            assert!(e.0.starts_with("option code 200"), "{e}");
        }
        let long = "ab".repeat(MAX_OPTION_BODY + 1);
        assert!(OptionValue::by_code(Family::V6, 200, "hex", &long, false).is_err());
    }

    #[test]
    fn table_set_replace_clear() {
        let mut t = OptionTable::default();
        t.set(
            82,
            Some(OptionValue::named(Family::V6, "sol-max-rt", "120", false).unwrap()),
        );
        t.set(
            23,
            Some(OptionValue::named(Family::V6, "dns-servers", "2001:db8::1", false).unwrap()),
        );
        assert_eq!(t.iter().map(|v| v.code).collect::<Vec<_>>(), vec![23, 82]);
        t.set(
            23,
            Some(OptionValue::by_code(Family::V6, 23, "hex", "00", false).unwrap()),
        );
        assert_eq!(t.get(23).unwrap().wire, [0]);
        t.set(82, None);
        assert!(t.get(82).is_none());
    }

    #[test]
    fn dhcpv4_options_have_their_own_names_codes_and_formats() {
        let v4 = |name, text| OptionValue::named(Family::V4, name, text, false);
        assert_eq!(v4("routers", "192.0.2.1").unwrap().wire, [192, 0, 2, 1]);
        assert_eq!(v4("routers", "192.0.2.1").unwrap().code, 3);
        assert_eq!(
            v4("dns-servers", "192.0.2.53 192.0.2.54")
                .unwrap()
                .wire
                .len(),
            8
        );
        assert_eq!(v4("interface-mtu", "1500").unwrap().wire, [5, 220]);
        assert!(v4("interface-mtu", "67").is_err());
        assert_eq!(
            v4("domain-name", "example.com").unwrap().wire,
            b"example.com"
        );
        // RFC 3442's own examples: 10.17.0.0/16 and 0.0.0.0/0.
        let routes = v4(
            "classless-static-routes",
            "10.17.0.0/16 10.229.0.128, 0.0.0.0/0 10.0.0.1",
        )
        .unwrap();
        assert_eq!(routes.wire, [16, 10, 17, 10, 229, 0, 128, 0, 10, 0, 0, 1]);
        assert!(v4("classless-static-routes", "10.17.0.1/16 10.0.0.1").is_err());
        assert!(v4("sol-max-rt", "60").is_err(), "a DHCPv6 name");
        let any = OptionValue::by_code(Family::V4, 150, "ipv4-address", "192.0.2.9", true).unwrap();
        assert_eq!(any.describe(), "code 150 ipv4-address always 192.0.2.9");
        assert_eq!(
            OptionValue::by_code(Family::V4, 6, "ipv4-address", "192.0.2.53", false)
                .unwrap()
                .describe(),
            "dns-servers 192.0.2.53"
        );
        for code in [1, 50, 51, 53, 54, 55, 61, 82, 255, 256] {
            assert!(
                OptionValue::by_code(Family::V4, code, "hex", "00", false).is_err(),
                "{code}"
            );
        }
        assert!(OptionValue::by_code(Family::V4, 150, "ipv6-address", "::1", false).is_err());
    }
}
