//! The server's configuration: what the CLI, the binary API and startup.conf
//! change, validated before anything is changed.
//!
//! A `ServerConfig` is immutable once published to the workers; a change is
//! made on a copy and published whole (see `ffi::snapshot`).

use core::fmt;
use core::net::Ipv6Addr;

use crate::duid::{Duid, DuidError};
use crate::leases::pool::prefix_mask;
use crate::leases::PoolSpec;
use crate::limits::Limits;
use crate::options::{Family, OptionTable, OptionValue};
use crate::reservations::{Reservation, ReservationId, Reservations};
use crate::wire::dhcpv6::option_code;
use crate::wire::domain::{DomainError, DomainName};

mod error;
mod groups;
mod lease_store;
mod links;
mod v4;
pub use error::ConfigError;
pub use groups::{GroupChange, GroupPool, GroupShape, MAX_GROUP_NAME};
pub use lease_store::LeaseStoreSettings;
pub use links::{LinkParameters, LinkSettings};
pub use v4::{mapped_prefix, prefix_text, subnet_of, Link4Parameters};

/// Most DNS servers and search domains we hand out (keeps replies small).
pub const MAX_DNS_SERVERS: usize = 16;
pub const MAX_SEARCH_DOMAINS: usize = 16;
/// Interface indexes above this are refused rather than sizing a huge table.
pub const MAX_SW_IF_INDEX: u32 = 1 << 24;
/// Pools per link (a reply looks at each in turn).
pub const MAX_POOLS_PER_LINK: usize = 16;
pub const MAX_LINKS: usize = 4096;

/// Defaults when a link leaves them unset (RFC 8415 section 7.6 gives T1
/// and T2 as 0.5 and 0.8 of the preferred lifetime).
pub const DEFAULT_PREFERRED_LIFETIME: u32 = 3600;
pub const DEFAULT_VALID_LIFETIME: u32 = 7200;
/// How long an advertised address is held for the client's Request.
pub const DEFAULT_OFFER_HOLD: u32 = 60;
/// Most leases a lease file holds (the lease engine's indexes address
/// 2^24 - 1 entries).
pub const MAX_LEASE_CAPACITY: u32 = (1 << 24) - 1;
/// How long a declined address stays out of service.
pub const DEFAULT_DECLINE_HOLD: u32 = 86_400;
/// Where leases are kept across restarts, how many, and how often the file
/// is pushed to disk.
pub const DEFAULT_LEASE_FILE: &str = "/var/lib/vpp/dhcp6-server/leases";
pub const DEFAULT_LEASE_CAPACITY: u32 = 1 << 20;
pub const DEFAULT_FLUSH_INTERVAL: u32 = 1;

/// Per-interface service settings (the DHCPKit VPP listener's knobs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceSettings {
    /// Source of on-link replies; `None`: the interface's link-local address.
    pub reply_from: Option<Ipv6Addr>,
    /// Identifies the link to pools and filters; `None`: the interface's
    /// first global address, else `::`.
    pub link_address: Option<Ipv6Addr>,
    pub accept_multicast: bool,
    /// Relay-forwards by unicast are served, and client messages by
    /// unicast follow RFC 8415 section 18.4; `false`: no unicast at all.
    pub accept_unicast: bool,
    /// The Server Unicast option (12) offered to this interface's clients
    /// (a link's own setting wins): unicast Request, Renew, Release and
    /// Decline to it are served.
    pub server_unicast: Option<Ipv6Addr>,
    /// What VPP's router advertisements on the interface say of DHCPv6.
    pub ra: crate::router_adverts::RaMode,
}

impl Default for InterfaceSettings {
    fn default() -> Self {
        InterfaceSettings {
            reply_from: None,
            link_address: None,
            accept_multicast: true,
            accept_unicast: true,
            server_unicast: None,
            ra: Default::default(),
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
        if let Some(a) = self.server_unicast {
            check_server_unicast(a)?;
        }
        if let Some(a) = self.link_address {
            if a.is_multicast() || a.is_loopback() || a.is_unicast_link_local() {
                return Err(ConfigError::BadLinkAddress(a));
            }
        }
        Ok(())
    }
}

/// A Server Unicast address is one a client can send to.
pub(crate) fn check_server_unicast(a: Ipv6Addr) -> Result<(), ConfigError> {
    if a.is_unspecified() || a.is_multicast() || a.is_loopback() {
        return Err(ConfigError::BadServerUnicast(a));
    }
    Ok(())
}

/// Where the server DUID in force comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuidSource {
    Configured,
    /// DUID-LL from the hardware address of the first interface enabled.
    DerivedFrom(u32),
    /// Derived in an earlier run and kept in the lease file.
    LeaseFile,
}

/// Where an option is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionScope<'a> {
    Server,
    /// Server-wide for DHCPv4.
    Server4,
    Link(Ipv6Addr, u8),
    /// The client of a reservation, by its id in DHCPKit notation.
    Reservation(&'a str),
}

#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    configured_duid: Option<Duid>,
    derived_duid: Option<(Duid, u32)>,
    /// Server-wide options, in wire form (made once per change, not per
    /// packet).
    options: OptionTable,
    interfaces: Vec<Option<InterfaceSettings>>,
    /// Interfaces DHCPv4 is served on, sorted.
    interfaces4: Vec<u32>,
    /// Server-wide DHCPv4 options.
    options4: OptionTable,
    links: Vec<LinkSettings>,
    offer_hold: Option<u32>,
    decline_hold: Option<u32>,
    reservations: Reservations,
    /// The CSV files the DHCPv6 and DHCPv4 reservations were last loaded
    /// from (for reload).
    reservations_file: Option<String>,
    reservations4_file: Option<String>,
    lease_store: LeaseStoreSettings,
    limits: Limits,
    /// The Kafka looking glass and lease stream (None: off).
    looking_glass: Option<crate::looking_glass::Settings>,
}

impl ServerConfig {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn looking_glass(&self) -> Option<&crate::looking_glass::Settings> {
        self.looking_glass.as_ref()
    }

    /// Turns the looking glass on with `settings` (checked), or off.
    pub fn set_looking_glass(
        &mut self,
        settings: Option<crate::looking_glass::Settings>,
    ) -> Result<(), ConfigError> {
        if let Some(s) = &settings {
            s.validate().map_err(ConfigError::BadLookingGlass)?;
        }
        self.looking_glass = settings;
        Ok(())
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
            self.derived_duid.as_ref().map(|(_, i)| {
                if *i == u32::MAX {
                    DuidSource::LeaseFile
                } else {
                    DuidSource::DerivedFrom(*i)
                }
            })
        }
    }

    /// Adopts the DUID an earlier run derived (kept in the lease file), so
    /// the server keeps its identity across restarts.
    pub fn restore_derived_duid(&mut self, duid: Duid) {
        self.derived_duid = Some((duid, u32::MAX));
    }

    /// Sets the server DUID; `None` goes back to the derived one.
    pub fn set_duid(&mut self, duid: Option<Duid>) {
        self.configured_duid = duid;
    }

    /// The server-wide DNS servers (option 23).
    pub fn dns_servers(&self) -> Vec<Ipv6Addr> {
        self.dns_servers_wire()
            .chunks_exact(16)
            .map(|c| Ipv6Addr::from(<[u8; 16]>::try_from(c).unwrap_or([0; 16])))
            .collect()
    }

    /// The server-wide domain search list (option 24), as text.
    pub fn domain_search(&self) -> Vec<String> {
        self.options
            .get(option_code::DOMAIN_LIST)
            .map_or_else(Vec::new, |v| {
                v.text.split(' ').map(str::to_string).collect()
            })
    }

    pub fn dns_servers_wire(&self) -> &[u8] {
        self.options
            .get(option_code::DNS_SERVERS)
            .map_or(&[], |v| &v.wire)
    }

    pub fn domain_search_wire(&self) -> &[u8] {
        self.options
            .get(option_code::DOMAIN_LIST)
            .map_or(&[], |v| &v.wire)
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
        let text: Vec<String> = servers.iter().map(|a| a.to_string()).collect();
        self.set_named_option(OptionScope::Server, "dns-servers", &text.join(" "))
    }

    /// Parses and sets the domain search list (names as text).
    pub fn set_domain_search<S: AsRef<str>>(&mut self, names: &[S]) -> Result<(), ConfigError> {
        if names.len() > MAX_SEARCH_DOMAINS {
            return Err(ConfigError::TooManySearchDomains(names.len()));
        }
        for n in names {
            DomainName::parse(n.as_ref())
                .map_err(|e| ConfigError::BadDomain(n.as_ref().to_string(), e))?;
        }
        let text: Vec<&str> = names.iter().map(|n| n.as_ref()).collect();
        self.set_named_option(OptionScope::Server, "domain-search", &text.join(" "))
    }

    /// Sets a named option from its text, or clears it when `text` is
    /// empty.
    pub fn set_named_option(
        &mut self,
        scope: OptionScope,
        name: &str,
        text: &str,
    ) -> Result<(), ConfigError> {
        let code = crate::options::named(Family::V6, name)
            .map(|n| n.code)
            .ok_or_else(|| ConfigError::BadOption(format!("unknown option {name:?}")))?;
        let value = (!text.trim().is_empty())
            .then(|| OptionValue::named(Family::V6, name, text, false))
            .transpose()
            .map_err(|e| ConfigError::BadOption(e.0))?;
        self.set_option(scope, code, value)
    }

    /// Sets (`Some`) or clears the option `code` at one scope.
    pub fn set_option(
        &mut self,
        scope: OptionScope,
        code: u16,
        value: Option<OptionValue>,
    ) -> Result<(), ConfigError> {
        let table = match scope {
            OptionScope::Server => &mut self.options,
            OptionScope::Server4 => &mut self.options4,
            OptionScope::Link(prefix, len) => &mut self.link_mut(prefix, len)?.options,
            OptionScope::Reservation(id) => {
                let id = ReservationId::parse(id).map_err(ConfigError::BadReservation)?;
                self.reservations.options_mut(&id).ok_or_else(|| {
                    ConfigError::BadReservation(format!("no reservation for {id}; add it first"))
                })?
            }
        };
        table.set(code, value);
        Ok(())
    }

    pub fn reservations(&self) -> &Reservations {
        &self.reservations
    }

    /// Adds or replaces a reservation given as text (DHCPKit id notation,
    /// address and prefix columns; empty for none).
    pub fn add_reservation(
        &mut self,
        id: &str,
        address: &str,
        prefix: &str,
    ) -> Result<(), ConfigError> {
        let id = ReservationId::parse(id).map_err(ConfigError::BadReservation)?;
        let r = Reservation::parse(&id, address, prefix).map_err(ConfigError::BadReservation)?;
        self.reservations
            .insert(id, r)
            .map_err(ConfigError::BadReservation)
    }

    pub fn remove_reservation(&mut self, id: &str) -> Result<(), ConfigError> {
        let id = ReservationId::parse(id).map_err(ConfigError::BadReservation)?;
        if !self.reservations.remove(&id) {
            return Err(ConfigError::BadReservation(format!(
                "no reservation for {id}"
            )));
        }
        Ok(())
    }

    /// Replaces a family's reservations with those of a CSV text; returns
    /// how many it has now.
    pub fn load_reservations(&mut self, family: Family, csv: &str) -> Result<usize, ConfigError> {
        let loaded = Reservations::from_csv(family, csv).map_err(ConfigError::BadReservation)?;
        self.reservations.replace_family(family, loaded);
        Ok(self.reservations.count(family))
    }

    fn reservations_file_mut(&mut self, family: Family) -> &mut Option<String> {
        match family {
            Family::V6 => &mut self.reservations_file,
            Family::V4 => &mut self.reservations4_file,
        }
    }

    /// Replaces a family's reservations with those of a CSV file; `None`
    /// reads the file loaded last.
    pub fn load_reservations_file(
        &mut self,
        family: Family,
        path: Option<&str>,
    ) -> Result<usize, ConfigError> {
        let path = path
            .map(str::to_string)
            .or_else(|| self.reservations_file_mut(family).clone())
            .ok_or_else(|| {
                ConfigError::BadReservation("no reservations file was loaded before".into())
            })?;
        let csv = std::fs::read_to_string(&path)
            .map_err(|e| ConfigError::BadReservation(format!("{path}: {e}")))?;
        let n = self
            .load_reservations(family, &csv)
            .map_err(|e| ConfigError::BadReservation(format!("{path}: {e}")))?;
        *self.reservations_file_mut(family) = Some(path);
        Ok(n)
    }

    pub fn reservations_file(&self, family: Family) -> Option<&str> {
        match family {
            Family::V6 => self.reservations_file.as_deref(),
            Family::V4 => self.reservations4_file.as_deref(),
        }
    }

    pub fn options(&self) -> &OptionTable {
        &self.options
    }

    pub fn options4(&self) -> &OptionTable {
        &self.options4
    }

    /// The options in force for a client: its reservation's, then its
    /// link's, then the server's (of the protocol), each code once (the
    /// narrowest wins).
    pub fn options_for<'a>(
        &'a self,
        family: Family,
        link: Option<&'a LinkSettings>,
        reservation: Option<&'a OptionTable>,
    ) -> impl Iterator<Item = &'a OptionValue> + 'a {
        let server = match family {
            Family::V6 => &self.options,
            Family::V4 => &self.options4,
        };
        let link = link.map(|l| &l.options);
        let unset = |t: Option<&OptionTable>, code| t.and_then(|t| t.get(code)).is_none();
        reservation
            .into_iter()
            .flat_map(OptionTable::iter)
            .chain(
                link.into_iter()
                    .flat_map(OptionTable::iter)
                    .filter(move |v| unset(reservation, v.code)),
            )
            .chain(
                server
                    .iter()
                    .filter(move |v| unset(reservation, v.code) && unset(link, v.code)),
            )
    }

    pub fn offer_hold(&self) -> u32 {
        self.offer_hold.unwrap_or(DEFAULT_OFFER_HOLD)
    }

    pub fn decline_hold(&self) -> u32 {
        self.decline_hold.unwrap_or(DEFAULT_DECLINE_HOLD)
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Replaces the flood limits (checked first; nothing changes on error).
    pub fn set_limits(&mut self, limits: Limits) -> Result<(), ConfigError> {
        limits.validate().map_err(ConfigError::BadLimits)?;
        self.limits = limits;
        Ok(())
    }

    /// The highest interface index with settings (for per-interface tables).
    pub fn max_sw_if_index(&self) -> Option<u32> {
        self.interfaces
            .iter()
            .rposition(Option::is_some)
            .map(|i| i as u32)
    }

    pub fn set_holds(
        &mut self,
        offer: Option<u32>,
        decline: Option<u32>,
    ) -> Result<(), ConfigError> {
        if offer == Some(0) || decline == Some(0) {
            return Err(ConfigError::BadLifetimes(
                "hold times must be above 0".into(),
            ));
        }
        self.offer_hold = offer.or(self.offer_hold);
        self.decline_hold = decline.or(self.decline_hold);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: Option<[u8; 6]> = Some([2, 0, 0, 0, 0, 9]);

    #[test]
    fn kea_subnet_ids_are_link_positions_from_one() {
        let bits = |s: &str| u128::from_be_bytes(s.parse::<Ipv6Addr>().unwrap().octets());
        let mut c = ServerConfig::new();
        let (l1, l2) = (
            "2001:db8:1::".parse().unwrap(),
            "2001:db8:2::".parse().unwrap(),
        );
        c.set_link(l1, 64, &LinkParameters::default()).unwrap();
        c.set_link(l2, 64, &LinkParameters::default()).unwrap();
        let pd = PoolSpec::Prefixes {
            prefix: "2001:db8:200::".parse().unwrap(),
            len: 40,
            delegated_len: 56,
        };
        c.add_pool(l2, 64, pd).unwrap();
        assert_eq!(c.subnet_id_of(bits("2001:db8:1::5"), 128), 1);
        assert_eq!(c.subnet_id_of(bits("2001:db8:2::5"), 128), 2);
        assert_eq!(
            c.subnet_id_of(bits("2001:db8:200:100::"), 56),
            2,
            "by the link's pool"
        );
        assert_eq!(c.subnet_id_of(bits("2001:db8:3::5"), 128), 0, "on no link");
    }

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
    fn links_and_pools_are_validated() {
        let mut c = ServerConfig::new();
        let p: Ipv6Addr = "2001:db8:1::".parse().unwrap();
        c.set_link(p, 64, &LinkParameters::default()).unwrap();
        assert_eq!(c.links()[0].timers(), (1800, 2880));
        assert!(
            c.set_link("2001:db8:1::1".parse().unwrap(), 64, &Default::default())
                .is_err(),
            "host bits"
        );
        assert!(c
            .set_link("fe80::".parse().unwrap(), 64, &Default::default())
            .is_err());
        let bad = LinkParameters {
            preferred_lifetime: Some(100),
            valid_lifetime: Some(50),
            ..Default::default()
        };
        assert!(c.set_link(p, 64, &bad).is_err());
        let bad = LinkParameters {
            t1: Some(3000),
            t2: Some(2000),
            ..Default::default()
        };
        assert!(c.set_link(p, 64, &bad).is_err());
        assert_eq!(
            c.links()[0].preferred_lifetime,
            DEFAULT_PREFERRED_LIFETIME,
            "refused change left it"
        );

        let na = PoolSpec::Addresses {
            first: "2001:db8:1::100".parse().unwrap(),
            last: "2001:db8:1::1ff".parse().unwrap(),
        };
        c.add_pool(p, 64, na).unwrap();
        let overlapping = PoolSpec::Addresses {
            first: "2001:db8:1::1f0".parse().unwrap(),
            last: "2001:db8:1::2ff".parse().unwrap(),
        };
        assert!(matches!(
            c.add_pool(p, 64, overlapping),
            Err(ConfigError::PoolOverlap(..))
        ));
        let outside = PoolSpec::Addresses {
            first: "2001:db8:2::1".parse().unwrap(),
            last: "2001:db8:2::2".parse().unwrap(),
        };
        assert!(matches!(
            c.add_pool(p, 64, outside),
            Err(ConfigError::PoolOutsideLink(_))
        ));
        let pd = PoolSpec::Prefixes {
            prefix: "2001:db8:100::".parse().unwrap(),
            len: 40,
            delegated_len: 56,
        };
        c.add_pool(p, 64, pd).unwrap();
        assert!(matches!(
            c.add_pool("2001:db8:9::".parse().unwrap(), 64, pd),
            Err(ConfigError::BadPool(_)
                | ConfigError::PoolOverlap(..)
                | ConfigError::NoSuchLink(..))
        ));
        assert_eq!(c.all_pools().count(), 2);

        let inside: Ipv6Addr = "2001:db8:1::42".parse().unwrap();
        assert_eq!(c.link_for(&inside).map(|l| l.prefix_len), Some(64));
        c.set_link("2001:db8:1::".parse().unwrap(), 56, &Default::default())
            .unwrap();
        assert_eq!(
            c.link_for(&inside).map(|l| l.prefix_len),
            Some(64),
            "longest match"
        );
        assert!(c.link_for(&"2001:db8:2::1".parse().unwrap()).is_none());
        c.remove_pool(p, 64, &na).unwrap();
        assert!(c.remove_pool(p, 64, &na).is_err());
        c.remove_link(p, 64).unwrap();
        assert!(c.remove_link(p, 64).is_err());
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
        assert_eq!(c.dns_servers(), dns, "refused list leaves the old one");
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
