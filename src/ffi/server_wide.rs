//! Server-wide settings: the server DUID, DNS servers, domain search.

use super::*;

/// Copies the DUID in force into `out` (130 bytes) and returns its length,
/// 0 if none is known yet. `*configured` tells whether it was set by the
/// operator; otherwise `*derived_from` is the interface it came from.
#[no_mangle]
pub extern "C" fn dhcp6_server_get_duid(
    out: *mut u8,
    configured: *mut bool,
    derived_from: *mut u32,
) -> usize {
    boundary(0, || {
        let Some(config) = PLUGIN.config.load() else {
            return 0;
        };
        let (Some(duid), Some(source)) = (config.server_duid(), config.server_duid_source()) else {
            return 0;
        };
        if out.is_null() || configured.is_null() || derived_from.is_null() {
            return 0;
        }
        let bytes = duid.as_bytes();
        // SAFETY: `out` has room for MAX_DUID_LEN bytes, the flags are
        // writable (ABI contract; NULLs checked above).
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len());
            match source {
                crate::config::DuidSource::Configured => {
                    *configured = true;
                    *derived_from = DHCP6_SERVER_NO_INTERFACE;
                }
                crate::config::DuidSource::DerivedFrom(i) => {
                    *configured = false;
                    *derived_from = i;
                }
                crate::config::DuidSource::LeaseFile => {
                    *configured = false;
                    *derived_from = DHCP6_SERVER_NO_INTERFACE;
                }
            }
        }
        bytes.len()
    })
}

/// Copies up to `max` DNS servers into `out`; returns how many there are.
#[no_mangle]
pub extern "C" fn dhcp6_server_get_dns_servers(out: *mut [u8; 16], max: usize) -> usize {
    boundary(0, || {
        let servers = PLUGIN
            .config
            .load()
            .map(|c| c.dns_servers())
            .unwrap_or_default();
        if !out.is_null() {
            for (i, a) in servers.iter().take(max).enumerate() {
                // SAFETY: `out` has room for `max` addresses; i < max.
                unsafe { *out.add(i) = a.octets() };
            }
        }
        servers.len()
    })
}

/// Writes the domain search list, space-separated and NUL-terminated, into
/// `out` (truncated to `len`); returns the full length without the NUL.
#[no_mangle]
pub extern "C" fn dhcp6_server_get_domain_search(out: *mut c_char, len: usize) -> usize {
    boundary(0, || {
        let text = PLUGIN
            .config
            .load()
            .map(|c| {
                c.domain_search()
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        ErrorBuffer { buf: out, len }.write(&text);
        text.len()
    })
}
