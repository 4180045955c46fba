//! The router advertisements of the interfaces served, brought in line with
//! the configuration after every change (see [`crate::router_adverts`]),
//! through the shim's RA calls.

use std::sync::Mutex;

use super::*;
use crate::router_adverts::{PrefixInfo, RaChanges, RaFlags, RaHost};

/// Whether an interface sends RAs, and their M and O flags.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Dhcp6ServerRaFlags {
    pub send: bool,
    pub managed: bool,
    pub other: bool,
}

/// One Prefix Information option of an interface's RAs.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Dhcp6ServerRaPrefix {
    pub on_link: bool,
    pub autonomous: bool,
    pub valid_lifetime: u32,
    pub preferred_lifetime: u32,
}

impl From<Dhcp6ServerRaPrefix> for PrefixInfo {
    fn from(p: Dhcp6ServerRaPrefix) -> Self {
        PrefixInfo {
            on_link: p.on_link,
            autonomous: p.autonomous,
            valid_lifetime: p.valid_lifetime,
            preferred_lifetime: p.preferred_lifetime,
        }
    }
}

impl From<PrefixInfo> for Dhcp6ServerRaPrefix {
    fn from(p: PrefixInfo) -> Self {
        Dhcp6ServerRaPrefix {
            on_link: p.on_link,
            autonomous: p.autonomous,
            valid_lifetime: p.valid_lifetime,
            preferred_lifetime: p.preferred_lifetime,
        }
    }
}

/// VPP's RA settings through the shim's calls.
struct Shim<'a>(&'a Dhcp6ServerHost);

impl RaHost for Shim<'_> {
    fn flags(&mut self, sw_if_index: u32) -> Option<RaFlags> {
        let mut out = Dhcp6ServerRaFlags::default();
        (self.0.ra_flags_get?(sw_if_index, &mut out)).then_some(RaFlags {
            send: out.send,
            managed: out.managed,
            other: out.other,
        })
    }

    fn set_flags(&mut self, sw_if_index: u32, flags: RaFlags) -> bool {
        let c = Dhcp6ServerRaFlags {
            send: flags.send,
            managed: flags.managed,
            other: flags.other,
        };
        self.0.ra_flags_set.is_some_and(|f| f(sw_if_index, &c))
    }

    fn prefix(&mut self, sw_if_index: u32, (prefix, len): (Ipv6Addr, u8)) -> Option<PrefixInfo> {
        let mut out = Dhcp6ServerRaPrefix::default();
        (self.0.ra_prefix_get?(sw_if_index, &prefix.octets(), len, &mut out)).then(|| out.into())
    }

    fn set_prefix(
        &mut self,
        sw_if_index: u32,
        (prefix, len): (Ipv6Addr, u8),
        info: Option<PrefixInfo>,
    ) -> bool {
        let c = info.map(Dhcp6ServerRaPrefix::from);
        let ptr = c.as_ref().map_or(std::ptr::null(), |c| c as *const _);
        self.0
            .ra_prefix_set
            .is_some_and(|f| f(sw_if_index, &prefix.octets(), len, ptr))
    }
}

static CHANGES: Mutex<RaChanges> = Mutex::new(RaChanges::new());

/// Makes the RAs of every interface say what its `ra` setting asks, and
/// puts back what the plugin changed on interfaces no longer served. Main
/// thread, after each configuration change; a refusal goes to VPP's log.
pub(super) fn sync(config: &ServerConfig) {
    let Some(host) = PLUGIN.host.get() else {
        return;
    };
    let mut changes = CHANGES.lock().unwrap_or_else(|p| p.into_inner());
    let mut shim = Shim(host);
    let served: Vec<(u32, InterfaceSettings)> =
        config.enabled_interfaces().map(|(i, s)| (i, *s)).collect();
    let gone: Vec<u32> = changes
        .interfaces()
        .filter(|i| !served.iter().any(|(s, _)| s == i))
        .collect();
    for sw_if_index in gone {
        changes.restore(&mut shim, sw_if_index);
    }
    for (sw_if_index, settings) in served {
        let facts = host_interface_facts(sw_if_index);
        let link = config
            .link_for(&facts.link_address(&settings))
            .map(|l| (l.prefix, l.prefix_len));
        if let Err(e) = changes.apply(&mut shim, sw_if_index, settings.ra, link) {
            lease_file::log(format!(
                "router advertisements of sw_if_index {sw_if_index} not set to ra {}: {e}",
                settings.ra.name()
            ));
        }
    }
}

/// The name of an `ra` setting's code (for the binary API's details).
#[no_mangle]
pub extern "C" fn dhcp6_server_ra_mode_name(code: u8) -> *const c_char {
    RaMode::from_code(code).c_name().as_ptr()
}
