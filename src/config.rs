//! The server's configuration: what the CLI, the binary API and startup.conf
//! change, validated before anything is changed.
//!
//! A `ServerConfig` is immutable once published to the workers; a change is
//! made on a copy and published whole (see `ffi::snapshot`).

use core::fmt;
use core::net::Ipv6Addr;

use crate::duid::{Duid, DuidError};
use crate::wire::domain::{DomainError, DomainName};

/// Most DNS servers and search domains we hand out (keeps replies small).
pub const MAX_DNS_SERVERS: usize = 16;
pub const MAX_SEARCH_DOMAINS: usize = 16;
/// Interface indexes above this are refused rather than sizing a huge table.
pub const MAX_SW_IF_INDEX: u32 = 1 << 24;

/// Per-interface service settings (the DHCPKit VPP listener's knobs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceSettings {
    /// Source of on-link replies; `None`: the interface's link-local address.
    pub reply_from: Option<Ipv6Addr>,
    /// Identifies the link to pools and filters; `None`: the interface's
    /// first global address, else `::`.
    pub link_address: Option<Ipv6Addr>,
    pub accept_multicast: bool,
    pub accept_unicast: bool,
}

impl Default for InterfaceSettings {
    fn default() -> Self {
        InterfaceSettings {
            reply_from: None,
            link_address: None,
            accept_multicast: true,
            accept_unicast: true,
        }
    }
}

impl InterfaceSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(a) = self.reply_from {
            if a.is_unspecified() || a.is_multicast() || a.is_loopback() {
                return Err(ConfigError::BadReplyFrom(a));
            }
        }
        if let Some(a) = self.link_address {
            if a.is_multicast() || a.is_loopback() || a.is_unicast_link_local() {
                return Err(ConfigError::BadLinkAddress(a));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    BadReplyFrom(Ipv6Addr),
    BadLinkAddress(Ipv6Addr),
    SwIfIndexOutOfRange(u32),
    NotEthernet,
    NotEnabled(u32),
    BadDuid(DuidError),
    TooManyDnsServers(usize),
    BadDnsServer(Ipv6Addr),
    TooManySearchDomains(usize),
    BadDomain(String, DomainError),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::BadReplyFrom(a) => write!(
                f,
                "reply-from {a}: must be a unicast address (not ::, loopback or multicast)"
            ),
            ConfigError::BadLinkAddress(a) => write!(
                f,
                "link-address {a}: must be a global or unique-local unicast address"
            ),
            ConfigError::SwIfIndexOutOfRange(i) => write!(f, "interface index {i} is out of range"),
            ConfigError::NotEthernet => f.write_str(
                "the interface has no Ethernet address: DHCPv6 service needs an Ethernet interface",
            ),
            ConfigError::NotEnabled(i) => {
                write!(f, "DHCPv6 service is not enabled on interface index {i}")
            }
            ConfigError::BadDuid(e) => write!(f, "duid: {e}"),
            ConfigError::TooManyDnsServers(n) => {
                write!(f, "{n} DNS servers: at most {MAX_DNS_SERVERS} are allowed")
            }
            ConfigError::BadDnsServer(a) => {
                write!(
                    f,
                    "DNS server {a}: must be a unicast address (not ::, loopback or multicast)"
                )
            }
            ConfigError::TooManySearchDomains(n) => {
                write!(
                    f,
                    "{n} search domains: at most {MAX_SEARCH_DOMAINS} are allowed"
                )
            }
            ConfigError::BadDomain(name, e) => write!(f, "domain {name:?}: {e}"),
        }
    }
}

/// Where the server DUID in force comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuidSource {
    Configured,
    /// DUID-LL from the hardware address of the first interface enabled.
    DerivedFrom(u32),
}

#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    configured_duid: Option<Duid>,
    derived_duid: Option<(Duid, u32)>,
    dns_servers: Vec<Ipv6Addr>,
    domain_search: Vec<DomainName>,
    /// Wire form of the option bodies, made once per change, not per packet.
    dns_servers_wire: Vec<u8>,
    domain_search_wire: Vec<u8>,
    interfaces: Vec<Option<InterfaceSettings>>,
}

impl ServerConfig {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn interface(&self, sw_if_index: u32) -> Option<&InterfaceSettings> {
        self.interfaces.get(sw_if_index as usize)?.as_ref()
    }

    /// Enabled interfaces in index order.
    pub fn enabled_interfaces(&self) -> impl Iterator<Item = (u32, &InterfaceSettings)> {
        self.interfaces
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i as u32, s.as_ref()?)))
    }

    /// Enables service on an interface, or replaces its settings.
    /// `mac` is the interface's Ethernet address.
    pub fn enable_interface(
        &mut self,
        sw_if_index: u32,
        settings: InterfaceSettings,
        mac: Option<[u8; 6]>,
    ) -> Result<(), ConfigError> {
        Self::check_enable(sw_if_index, &settings, mac)?;
        let slot = sw_if_index as usize;
        if self.interfaces.len() <= slot {
            self.interfaces.resize(slot + 1, None);
        }
        self.interfaces[slot] = Some(settings);
        if self.derived_duid.is_none() {
            if let Some(mac) = mac {
                self.derived_duid = Some((Duid::link_layer_ethernet(mac), sw_if_index));
            }
        }
        Ok(())
    }

    /// What `enable_interface` checks, for callers that must validate before
    /// making other changes (the VPP side of enabling an interface).
    pub fn check_enable(
        sw_if_index: u32,
        settings: &InterfaceSettings,
        mac: Option<[u8; 6]>,
    ) -> Result<(), ConfigError> {
        if sw_if_index >= MAX_SW_IF_INDEX {
            return Err(ConfigError::SwIfIndexOutOfRange(sw_if_index));
        }
        if mac.is_none() {
            return Err(ConfigError::NotEthernet);
        }
        settings.validate()
    }

    pub fn disable_interface(
        &mut self,
        sw_if_index: u32,
    ) -> Result<InterfaceSettings, ConfigError> {
        self.interfaces
            .get_mut(sw_if_index as usize)
            .and_then(Option::take)
            .ok_or(ConfigError::NotEnabled(sw_if_index))
    }

    /// The DUID in `Server Identifier` options, if one is known yet.
    pub fn server_duid(&self) -> Option<&Duid> {
        self.configured_duid
            .as_ref()
            .or(self.derived_duid.as_ref().map(|(d, _)| d))
    }

    pub fn server_duid_source(&self) -> Option<DuidSource> {
        if self.configured_duid.is_some() {
            Some(DuidSource::Configured)
        } else {
            self.derived_duid
                .as_ref()
                .map(|(_, i)| DuidSource::DerivedFrom(*i))
        }
    }

    /// Sets the server DUID; `None` goes back to the derived one.
    pub fn set_duid(&mut self, duid: Option<Duid>) {
        self.configured_duid = duid;
    }

    pub fn dns_servers(&self) -> &[Ipv6Addr] {
        &self.dns_servers
    }

    pub fn domain_search(&self) -> &[DomainName] {
        &self.domain_search
    }

    pub fn dns_servers_wire(&self) -> &[u8] {
        &self.dns_servers_wire
    }

    pub fn domain_search_wire(&self) -> &[u8] {
        &self.domain_search_wire
    }

    pub fn set_dns_servers(&mut self, servers: &[Ipv6Addr]) -> Result<(), ConfigError> {
        if servers.len() > MAX_DNS_SERVERS {
            return Err(ConfigError::TooManyDnsServers(servers.len()));
        }
        if let Some(bad) = servers
            .iter()
            .find(|a| a.is_unspecified() || a.is_multicast() || a.is_loopback())
        {
            return Err(ConfigError::BadDnsServer(*bad));
        }
        self.dns_servers = servers.to_vec();
        self.dns_servers_wire = servers.iter().flat_map(|a| a.octets()).collect();
        Ok(())
    }

    /// Parses and sets the domain search list (names as text).
    pub fn set_domain_search<S: AsRef<str>>(&mut self, names: &[S]) -> Result<(), ConfigError> {
        if names.len() > MAX_SEARCH_DOMAINS {
            return Err(ConfigError::TooManySearchDomains(names.len()));
        }
        let parsed = names
            .iter()
            .map(|n| {
                DomainName::parse(n.as_ref())
                    .map_err(|e| ConfigError::BadDomain(n.as_ref().to_string(), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut wire = Vec::new();
        for name in &parsed {
            name.encode_into(&mut wire);
        }
        self.domain_search = parsed;
        self.domain_search_wire = wire;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: Option<[u8; 6]> = Some([2, 0, 0, 0, 0, 9]);

    #[test]
    fn enable_disable_and_lookup() {
        let mut c = ServerConfig::new();
        assert!(c.interface(3).is_none());
        c.enable_interface(3, InterfaceSettings::default(), MAC)
            .unwrap();
        assert_eq!(c.interface(3), Some(&InterfaceSettings::default()));
        assert!(c.interface(2).is_none());
        assert!(c.interface(4000).is_none());
        assert_eq!(
            c.enabled_interfaces().map(|(i, _)| i).collect::<Vec<_>>(),
            vec![3]
        );
        c.disable_interface(3).unwrap();
        assert!(c.interface(3).is_none());
        assert_eq!(c.disable_interface(3), Err(ConfigError::NotEnabled(3)));
    }

    #[test]
    fn invalid_settings_change_nothing() {
        let mut c = ServerConfig::new();
        let bad = [
            InterfaceSettings {
                reply_from: Some(Ipv6Addr::UNSPECIFIED),
                ..Default::default()
            },
            InterfaceSettings {
                reply_from: Some("ff02::1".parse().unwrap()),
                ..Default::default()
            },
            InterfaceSettings {
                link_address: Some("fe80::1".parse().unwrap()),
                ..Default::default()
            },
            InterfaceSettings {
                link_address: Some(Ipv6Addr::LOCALHOST),
                ..Default::default()
            },
        ];
        for s in bad {
            assert!(c.enable_interface(1, s, MAC).is_err(), "{s:?}");
        }
        assert_eq!(
            c.enable_interface(MAX_SW_IF_INDEX, Default::default(), MAC),
            Err(ConfigError::SwIfIndexOutOfRange(MAX_SW_IF_INDEX))
        );
        assert_eq!(
            c.enable_interface(1, Default::default(), None),
            Err(ConfigError::NotEthernet)
        );
        assert_eq!(c.enabled_interfaces().count(), 0);
        assert!(c.server_duid().is_none());
    }

    #[test]
    fn duid_is_derived_once_and_overridable() {
        let mut c = ServerConfig::new();
        c.enable_interface(5, Default::default(), MAC).unwrap();
        c.enable_interface(6, Default::default(), Some([2, 0, 0, 0, 0, 7]))
            .unwrap();
        let derived = Duid::link_layer_ethernet(MAC.unwrap());
        assert_eq!(c.server_duid(), Some(&derived));
        assert_eq!(c.server_duid_source(), Some(DuidSource::DerivedFrom(5)));
        let configured = Duid::parse_hex("0002000000090102").unwrap();
        c.set_duid(Some(configured.clone()));
        assert_eq!(c.server_duid(), Some(&configured));
        c.set_duid(None);
        assert_eq!(c.server_duid(), Some(&derived));
    }

    #[test]
    fn options_are_validated_and_encoded() {
        let mut c = ServerConfig::new();
        let dns: Vec<Ipv6Addr> = vec![
            "2001:db8::53".parse().unwrap(),
            "2001:db8::35".parse().unwrap(),
        ];
        c.set_dns_servers(&dns).unwrap();
        assert_eq!(c.dns_servers_wire().len(), 32);
        assert_eq!(&c.dns_servers_wire()[..16], &dns[0].octets());
        assert!(c.set_dns_servers(&["ff02::1".parse().unwrap()]).is_err());
        assert_eq!(c.dns_servers(), &dns[..], "refused list leaves the old one");
        assert!(c
            .set_dns_servers(&vec![dns[0]; MAX_DNS_SERVERS + 1])
            .is_err());

        c.set_domain_search(&["example.com", "lab.example.org."])
            .unwrap();
        assert_eq!(
            c.domain_search_wire(),
            b"\x07example\x03com\x00\x03lab\x07example\x03org\x00"
        );
        assert!(c.set_domain_search(&["ok.example", "bad_name"]).is_err());
        assert_eq!(
            c.domain_search().len(),
            2,
            "refused list leaves the old one"
        );
        c.set_domain_search::<&str>(&[]).unwrap();
        assert!(c.domain_search_wire().is_empty());
    }
}
