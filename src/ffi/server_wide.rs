//! Server-wide settings: the server DUID, DNS servers, domain search.

use super::*;

/// Sets the server DUID from hex text ("00:03:00:01:..."); NULL or "auto"
/// returns to the DUID derived from the first enabled interface.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_duid_text(
    text: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        let duid = match read_str(text).map(str::trim) {
            None | Some("auto") => None,
            Some(hex) => Some(Duid::parse_hex(hex).map_err(ConfigError::BadDuid)?),
        };
        publish(|c| {
            c.set_duid(duid);
            Ok(())
        })
    })
}

/// Sets the server DUID from octets; `len == 0` returns to the derived DUID.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_duid(
    duid: *const u8,
    len: usize,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        let duid = if len == 0 || duid.is_null() {
            None
        } else {
            if len > MAX_DUID_LEN {
                return Err(ConfigError::BadDuid(crate::duid::DuidError::Length(len)));
            }
            // SAFETY: a non-null `duid` points at `len` readable bytes.
            let bytes = unsafe { std::slice::from_raw_parts(duid, len) };
            Some(Duid::from_bytes(bytes).map_err(ConfigError::BadDuid)?)
        };
        publish(|c| {
            c.set_duid(duid);
            Ok(())
        })
    })
}

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
        let Some(config) = CONFIG.load() else {
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

/// Reads `count` addresses; NULL or 0 is the empty list.
pub(super) fn read_servers(
    servers: *const [u8; 16],
    count: usize,
) -> Result<Vec<Ipv6Addr>, ConfigError> {
    if count == 0 || servers.is_null() {
        return Ok(Vec::new());
    }
    if count > crate::config::MAX_DNS_SERVERS {
        return Err(ConfigError::TooManyDnsServers(count));
    }
    // SAFETY: a non-null `servers` points at `count` addresses (ABI contract).
    let octets = unsafe { std::slice::from_raw_parts(servers, count) };
    Ok(octets.iter().map(|o| Ipv6Addr::from(*o)).collect())
}

/// Reads a domain search list: names separated by spaces or commas. A
/// string that is not UTF-8 is refused with a message in `err`.
pub(super) fn read_domain_search<'a>(
    names: *const c_char,
    err: &ErrorBuffer,
) -> Result<Vec<&'a str>, Dhcp6ServerStatus> {
    let Some(text) = read_str(names) else {
        err.write("domain search list: not a valid UTF-8 string");
        return Err(Dhcp6ServerStatus::InvalidValue);
    };
    Ok(text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .collect())
}

/// Sets the DNS recursive name servers (option 23); `count == 0` clears them.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_dns_servers(
    servers: *const [u8; 16],
    count: usize,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        let list = read_servers(servers, count)?;
        publish(|c| c.set_dns_servers(&list))
    })
}

/// Sets DNS servers and the domain search list together: if either is
/// refused, neither changes.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_options(
    servers: *const [u8; 16],
    count: usize,
    domain_search: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let names = match read_domain_search(domain_search, &err) {
        Ok(names) => names,
        Err(status) => return status,
    };
    err.guarded(|| {
        let list = read_servers(servers, count)?;
        publish(|c| {
            c.set_dns_servers(&list)?;
            c.set_domain_search(&names)
        })
    })
}

/// Copies up to `max` DNS servers into `out`; returns how many there are.
#[no_mangle]
pub extern "C" fn dhcp6_server_get_dns_servers(out: *mut [u8; 16], max: usize) -> usize {
    boundary(0, || {
        let servers = CONFIG.load().map(|c| c.dns_servers()).unwrap_or_default();
        if !out.is_null() {
            for (i, a) in servers.iter().take(max).enumerate() {
                // SAFETY: `out` has room for `max` addresses; i < max.
                unsafe { *out.add(i) = a.octets() };
            }
        }
        servers.len()
    })
}

/// Sets the domain search list (option 24) from names separated by spaces
/// or commas; an empty string clears it.
#[no_mangle]
pub extern "C" fn dhcp6_server_set_domain_search(
    names: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    match read_domain_search(names, &err) {
        Ok(names) => err.guarded(|| publish(|c| c.set_domain_search(&names))),
        Err(status) => status,
    }
}

/// Writes the domain search list, space-separated and NUL-terminated, into
/// `out` (truncated to `len`); returns the full length without the NUL.
#[no_mangle]
pub extern "C" fn dhcp6_server_get_domain_search(out: *mut c_char, len: usize) -> usize {
    boundary(0, || {
        let text = CONFIG
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
