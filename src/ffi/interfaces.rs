//! Enabling the service on interfaces, and their settings.

use super::*;

/// Reads the settings C passed and runs `f` on them behind the panic
/// boundary.
pub(super) fn with_settings(
    settings: *const Dhcp6ServerInterfaceSettings,
    err: &ErrorBuffer,
    f: impl FnOnce(InterfaceSettings) -> Result<(), ConfigError>,
) -> Dhcp6ServerStatus {
    // SAFETY: NULL is checked; otherwise the shim passes a valid struct.
    let Some(settings) = (unsafe { settings.as_ref() }) else {
        err.write("no settings given");
        return Dhcp6ServerStatus::InvalidValue;
    };
    let settings = InterfaceSettings::from(settings);
    err.guarded(|| f(settings))
}

/// Checks settings for an interface without changing anything. `mac` is the
/// interface's 6-byte Ethernet address, NULL if it has none.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_check(
    sw_if_index: u32,
    settings: *const Dhcp6ServerInterfaceSettings,
    mac: *const u8,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    with_settings(settings, &err, |s| {
        ServerConfig::check_enable(sw_if_index, &s, read_mac(mac))
    })
}

/// Enables DHCPv6 service on an interface, or replaces its settings.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_enable(
    sw_if_index: u32,
    settings: *const Dhcp6ServerInterfaceSettings,
    mac: *const u8,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    with_settings(settings, &err, |s| {
        publish(|c| c.enable_interface(sw_if_index, s, read_mac(mac)))
    })
}

#[no_mangle]
pub extern "C" fn dhcp6_server_interface_disable(
    sw_if_index: u32,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| publish(|c| c.disable_interface(sw_if_index).map(|_| ())))
}

/// Enables (`enable`) or disables DHCPv4 service in the configuration,
/// once the shim has done its part; a refusal changes nothing.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface4_apply(
    sw_if_index: u32,
    enable: bool,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        publish(|c| {
            if enable {
                c.enable_interface4(sw_if_index)
            } else {
                c.disable_interface4(sw_if_index)
            }
        })
    })
}

/// Whether DHCPv4 is served on an interface.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface4_enabled(sw_if_index: u32) -> bool {
    boundary(false, || {
        PLUGIN
            .config
            .load()
            .is_some_and(|c| c.interface4_enabled(sw_if_index))
    })
}

/// Copies the settings of an enabled interface; false if it is not enabled.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_get(
    sw_if_index: u32,
    out: *mut Dhcp6ServerInterfaceSettings,
) -> bool {
    boundary(false, || {
        let Some(settings) = PLUGIN.config.load().and_then(|c| c.interface(sw_if_index)) else {
            return false;
        };
        // SAFETY: NULL is checked; otherwise `out` is writable.
        match unsafe { out.as_mut() } {
            Some(out) => {
                *out = settings.into();
                true
            }
            None => false,
        }
    })
}

/// The first enabled interface with index >= `from`, or
/// `DHCP6_SERVER_NO_INTERFACE`. Iterate with `from = previous + 1`.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_next(from: u32) -> u32 {
    boundary(DHCP6_SERVER_NO_INTERFACE, || {
        PLUGIN
            .config
            .load()
            .and_then(|c| c.enabled_interfaces().map(|(i, _)| i).find(|i| *i >= from))
            .unwrap_or(DHCP6_SERVER_NO_INTERFACE)
    })
}

/// The reply-from and link-address in force for `settings` on an interface
/// with `facts` (defaults filled in); all-zero when there is none.
#[no_mangle]
pub extern "C" fn dhcp6_server_interface_effective(
    settings: *const Dhcp6ServerInterfaceSettings,
    facts: *const Dhcp6ServerInterfaceFacts,
    reply_from: *mut [u8; 16],
    link_address: *mut [u8; 16],
) {
    boundary((), || {
        // SAFETY: NULLs are checked; otherwise the pointers are valid.
        let (Some(s), Some(f), Some(rf), Some(la)) = (unsafe {
            (
                settings.as_ref(),
                facts.as_ref(),
                reply_from.as_mut(),
                link_address.as_mut(),
            )
        }) else {
            return;
        };
        let settings: InterfaceSettings = s.into();
        let facts: InterfaceFacts = f.into();
        *rf = octets(facts.reply_from(&settings));
        *la = facts.link_address(&settings).octets();
    })
}
