//! Router Advertisements that announce the service. A host starts DHCPv6
//! only when an RA's M or O flag says so (RFC 4861 section 4.2, RFC 8415
//! section 18.2.1 leaves the trigger to them). VPP sends the RAs (`ip6 nd`);
//! on an interface with `ra managed` or `ra other` the plugin has VPP send
//! them (VPP sends none until told to) with those flags, and with
//! `managed` announces the interface's link prefix as on-link without
//! SLAAC (L=1, A=0); it puts back what was there when the service stops
//! or the setting goes.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::net::Ipv6Addr;

/// What an interface's RAs say about DHCPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RaMode {
    /// VPP's RA settings are left as they are.
    #[default]
    Unchanged,
    /// M=1 and O=1, the link prefix on-link with A=0: addresses and other
    /// configuration from DHCPv6.
    Managed,
    /// O=1: other configuration from DHCPv6 (stateless service).
    Other,
}

impl RaMode {
    pub const WORDS: &'static str = "managed|other|unchanged";

    pub fn parse(word: &str) -> Result<RaMode, String> {
        [RaMode::Unchanged, RaMode::Managed, RaMode::Other]
            .into_iter()
            .find(|m| m.name() == word)
            .ok_or_else(|| format!("ra {word}: expected {}", RaMode::WORDS))
    }

    /// By code, NUL-terminated for C.
    const NAMES: [&'static CStr; 3] = [c"unchanged", c"managed", c"other"];

    pub fn name(self) -> &'static str {
        self.c_name().to_str().unwrap_or_default()
    }

    pub fn c_name(self) -> &'static CStr {
        RaMode::NAMES[usize::from(self.code())]
    }

    /// Its number on the C ABI and the binary API.
    pub fn code(self) -> u8 {
        match self {
            RaMode::Unchanged => 0,
            RaMode::Managed => 1,
            RaMode::Other => 2,
        }
    }

    pub fn from_code(code: u8) -> RaMode {
        match code {
            1 => RaMode::Managed,
            2 => RaMode::Other,
            _ => RaMode::Unchanged,
        }
    }

    fn flags(self) -> Option<RaFlags> {
        match self {
            RaMode::Unchanged => None,
            RaMode::Managed => Some(RaFlags {
                send: true,
                managed: true,
                other: true,
            }),
            RaMode::Other => Some(RaFlags {
                send: true,
                managed: false,
                other: true,
            }),
        }
    }
}

/// Whether RAs are sent, and their M and O flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaFlags {
    pub send: bool,
    pub managed: bool,
    pub other: bool,
}

/// A Prefix Information option as VPP advertises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixInfo {
    pub on_link: bool,
    pub autonomous: bool,
    pub valid_lifetime: u32,
    pub preferred_lifetime: u32,
}

/// The link prefix as `managed` announces it: on-link, no SLAAC, RFC 4861
/// section 6.2.1's default lifetimes (30 and 7 days).
pub const ANNOUNCED_PREFIX: PrefixInfo = PrefixInfo {
    on_link: true,
    autonomous: false,
    valid_lifetime: 2_592_000,
    preferred_lifetime: 604_800,
};

/// VPP's RA settings of an interface, as the shim reaches them.
pub trait RaHost {
    /// None when the interface sends no RAs (IPv6 not enabled on it).
    fn flags(&mut self, sw_if_index: u32) -> Option<RaFlags>;
    fn set_flags(&mut self, sw_if_index: u32, flags: RaFlags) -> bool;
    fn prefix(&mut self, sw_if_index: u32, prefix: (Ipv6Addr, u8)) -> Option<PrefixInfo>;
    /// Adds or changes the prefix's option, or with None removes it.
    fn set_prefix(
        &mut self,
        sw_if_index: u32,
        prefix: (Ipv6Addr, u8),
        info: Option<PrefixInfo>,
    ) -> bool;
}

/// What the plugin changed on one interface, to put it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Changed {
    mode: RaMode,
    flags_before: RaFlags,
    /// The prefix announced, and its option before (None: there was none).
    prefix: Option<((Ipv6Addr, u8), Option<PrefixInfo>)>,
}

/// The RA changes in force, per interface (main thread).
#[derive(Debug, Default)]
pub struct RaChanges {
    by_interface: BTreeMap<u32, Changed>,
}

impl RaChanges {
    pub const fn new() -> RaChanges {
        RaChanges {
            by_interface: BTreeMap::new(),
        }
    }

    /// Makes the interface's RAs say `mode`, `link` being the link prefix
    /// served there; what an earlier mode changed is put back first.
    pub fn apply(
        &mut self,
        host: &mut dyn RaHost,
        sw_if_index: u32,
        mode: RaMode,
        link: Option<(Ipv6Addr, u8)>,
    ) -> Result<(), String> {
        let prefix = link.filter(|_| mode == RaMode::Managed);
        if let Some(c) = self.by_interface.get(&sw_if_index) {
            if c.mode == mode && c.prefix.map(|p| p.0) == prefix {
                return Ok(());
            }
        }
        self.restore(host, sw_if_index);
        let Some(flags) = mode.flags() else {
            return Ok(());
        };
        let flags_before = host
            .flags(sw_if_index)
            .ok_or("the interface sends no router advertisements (IPv6 is not enabled on it)")?;
        if !host.set_flags(sw_if_index, flags) {
            return Err("VPP refused the router advertisement flags".into());
        }
        let prefix = prefix.map(|p| (p, host.prefix(sw_if_index, p)));
        let mut changed = Changed {
            mode,
            flags_before,
            prefix,
        };
        if let Some((p, _)) = prefix {
            if !host.set_prefix(sw_if_index, p, Some(ANNOUNCED_PREFIX)) {
                changed.prefix = None;
                self.by_interface.insert(sw_if_index, changed);
                return Err(format!(
                    "VPP refused to announce {}/{} in router advertisements",
                    p.0, p.1
                ));
            }
        }
        self.by_interface.insert(sw_if_index, changed);
        Ok(())
    }

    /// Puts back what the plugin changed on the interface, if anything.
    pub fn restore(&mut self, host: &mut dyn RaHost, sw_if_index: u32) {
        if let Some(c) = self.by_interface.remove(&sw_if_index) {
            host.set_flags(sw_if_index, c.flags_before);
            if let Some((p, before)) = c.prefix {
                host.set_prefix(sw_if_index, p, before);
            }
        }
    }

    /// The interfaces whose RAs the plugin changed.
    pub fn interfaces(&self) -> impl Iterator<Item = u32> + '_ {
        self.by_interface.keys().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// VPP's RA state of interfaces, as a map.
    #[derive(Default)]
    struct FakeVpp {
        flags: HashMap<u32, RaFlags>,
        prefixes: HashMap<(u32, (Ipv6Addr, u8)), PrefixInfo>,
    }

    impl RaHost for FakeVpp {
        fn flags(&mut self, i: u32) -> Option<RaFlags> {
            self.flags.get(&i).copied()
        }
        fn set_flags(&mut self, i: u32, f: RaFlags) -> bool {
            self.flags.insert(i, f).is_some()
        }
        fn prefix(&mut self, i: u32, p: (Ipv6Addr, u8)) -> Option<PrefixInfo> {
            self.prefixes.get(&(i, p)).copied()
        }
        fn set_prefix(&mut self, i: u32, p: (Ipv6Addr, u8), info: Option<PrefixInfo>) -> bool {
            match info {
                Some(info) => self.prefixes.insert((i, p), info),
                None => self.prefixes.remove(&(i, p)),
            };
            true
        }
    }

    const LINK: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0), 64);
    const NONE: RaFlags = RaFlags {
        send: false,
        managed: false,
        other: false,
    };

    /// Interface 1 sending no RAs, then `ra managed` on it; the prefix
    /// option `own` there before, if any.
    fn managed(own: Option<PrefixInfo>) -> (FakeVpp, RaChanges) {
        let mut vpp = FakeVpp::default();
        vpp.flags.insert(1, NONE);
        if let Some(own) = own {
            vpp.prefixes.insert((1, LINK), own);
        }
        let mut changes = RaChanges::default();
        changes
            .apply(&mut vpp, 1, RaMode::Managed, Some(LINK))
            .unwrap();
        (vpp, changes)
    }

    #[test]
    fn managed_sets_m_and_o_and_the_prefix_without_slaac_then_puts_everything_back() {
        let (mut vpp, mut changes) = managed(None);
        assert_eq!(vpp.flags[&1], RaMode::Managed.flags().unwrap());
        assert_eq!(vpp.prefixes[&(1, LINK)], ANNOUNCED_PREFIX);
        changes.restore(&mut vpp, 1);
        assert_eq!(vpp.flags[&1], NONE);
        assert!(
            vpp.prefixes.is_empty(),
            "the prefix the plugin added is gone"
        );
    }

    #[test]
    fn a_prefix_the_operator_announced_gets_its_own_settings_back() {
        let own = PrefixInfo {
            on_link: true,
            autonomous: true,
            valid_lifetime: 9000,
            preferred_lifetime: 8000,
        };
        let (mut vpp, mut changes) = managed(Some(own));
        assert!(!vpp.prefixes[&(1, LINK)].autonomous);
        // managed -> other: the prefix goes back, O stays, M goes.
        changes
            .apply(&mut vpp, 1, RaMode::Other, Some(LINK))
            .unwrap();
        assert_eq!(vpp.prefixes[&(1, LINK)], own);
        assert_eq!(vpp.flags[&1], RaMode::Other.flags().unwrap());
        changes
            .apply(&mut vpp, 1, RaMode::Unchanged, Some(LINK))
            .unwrap();
        assert_eq!(vpp.flags[&1], NONE);
        assert_eq!(changes.interfaces().count(), 0);
    }

    #[test]
    fn the_same_mode_again_changes_nothing_and_a_new_link_moves_the_prefix() {
        let (mut vpp, mut changes) = managed(None);
        // The operator changes a flag meanwhile: applying the same again
        // does not undo it.
        vpp.flags.insert(1, NONE);
        changes
            .apply(&mut vpp, 1, RaMode::Managed, Some(LINK))
            .unwrap();
        assert_eq!(vpp.flags[&1], NONE);
        let other = (Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 0), 64);
        changes
            .apply(&mut vpp, 1, RaMode::Managed, Some(other))
            .unwrap();
        assert!(!vpp.prefixes.contains_key(&(1, LINK)));
        assert_eq!(vpp.prefixes[&(1, other)], ANNOUNCED_PREFIX);
    }

    #[test]
    fn an_interface_without_ipv6_is_an_error_that_changes_nothing() {
        let mut vpp = FakeVpp::default();
        let mut changes = RaChanges::default();
        let e = changes
            .apply(&mut vpp, 7, RaMode::Managed, Some(LINK))
            .unwrap_err();
        assert!(e.contains("IPv6 is not enabled"), "{e}");
        assert!(vpp.prefixes.is_empty());
        assert_eq!(changes.interfaces().count(), 0);
    }

    #[test]
    fn the_words() {
        for m in [RaMode::Managed, RaMode::Other, RaMode::Unchanged] {
            assert_eq!(RaMode::parse(m.name()), Ok(m));
            assert_eq!(RaMode::from_code(m.code()), m);
        }
        assert!(RaMode::parse("stateful").is_err());
    }
}
