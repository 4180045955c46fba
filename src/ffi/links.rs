//! Links, pools, holds, limits, options and reservations.

use super::*;

/// "Unset" for the optional numbers of `Dhcp6ServerLinkParameters`.
pub const DHCP6_SERVER_UNSET: u32 = u32::MAX;

/// Link parameters; `DHCP6_SERVER_UNSET` leaves a value as it is (or at its
/// default for a new link). `rapid_commit`: 0 no, 1 yes, other: unset.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerLinkParameters {
    pub preferred_lifetime: u32,
    pub valid_lifetime: u32,
    pub t1: u32,
    pub t2: u32,
    pub rapid_commit: u32,
    pub preference: u32,
}

/// An address range (`is_prefix_pool` false: `first`..`last`) or a prefix
/// pool (`prefix`/`prefix_len` carved into /`delegated_len`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerPool {
    pub is_prefix_pool: bool,
    pub first: [u8; 16],
    pub last: [u8; 16],
    pub prefix: [u8; 16],
    pub prefix_len: u8,
    pub delegated_len: u8,
}

/// Receives one line of text (NUL-terminated) of a view.
pub type Dhcp6ServerLineFn = Option<extern "C" fn(ctx: *mut c_void, line: *const c_char)>;

pub(super) fn set(v: u32) -> Option<u32> {
    (v != DHCP6_SERVER_UNSET).then_some(v)
}

impl TryFrom<&Dhcp6ServerLinkParameters> for LinkParameters {
    type Error = ConfigError;
    fn try_from(p: &Dhcp6ServerLinkParameters) -> Result<Self, ConfigError> {
        let preference = match set(p.preference) {
            None => None,
            Some(v) => Some(
                u8::try_from(v)
                    .map_err(|_| ConfigError::BadPool(format!("preference {v}: 0 to 255")))?,
            ),
        };
        Ok(LinkParameters {
            preferred_lifetime: set(p.preferred_lifetime),
            valid_lifetime: set(p.valid_lifetime),
            t1: set(p.t1),
            t2: set(p.t2),
            rapid_commit: match p.rapid_commit {
                0 => Some(false),
                1 => Some(true),
                _ => None,
            },
            preference,
        })
    }
}

impl From<&Dhcp6ServerPool> for PoolSpec {
    fn from(p: &Dhcp6ServerPool) -> Self {
        if p.is_prefix_pool {
            PoolSpec::Prefixes {
                prefix: p.prefix.into(),
                len: p.prefix_len,
                delegated_len: p.delegated_len,
            }
        } else {
            PoolSpec::Addresses {
                first: p.first.into(),
                last: p.last.into(),
            }
        }
    }
}

pub(super) fn read_addr(addr: *const [u8; 16]) -> Option<Ipv6Addr> {
    // SAFETY: a non-null `addr` points at 16 readable bytes (ABI contract).
    unsafe { addr.as_ref() }.map(|o| Ipv6Addr::from(*o))
}

/// Creates a link (identified by prefix/len) or changes its parameters.
#[no_mangle]
pub extern "C" fn dhcp6_server_link_set(
    prefix: *const [u8; 16],
    prefix_len: u8,
    params: *const Dhcp6ServerLinkParameters,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    // SAFETY: NULL is checked; otherwise a valid struct (ABI contract).
    let (Some(prefix), Some(params)) = (read_addr(prefix), unsafe { params.as_ref() }) else {
        err.write("no link given");
        return Dhcp6ServerStatus::InvalidValue;
    };
    err.guarded(|| {
        let params = LinkParameters::try_from(params)?;
        publish(|c| c.set_link(prefix, prefix_len, &params))
    })
}

#[no_mangle]
pub extern "C" fn dhcp6_server_link_remove(
    prefix: *const [u8; 16],
    prefix_len: u8,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let Some(prefix) = read_addr(prefix) else {
        err.write("no link given");
        return Dhcp6ServerStatus::InvalidValue;
    };
    err.guarded(|| publish(|c| c.remove_link(prefix, prefix_len)))
}

/// Adds (`add`) or removes a pool of a link.
#[no_mangle]
pub extern "C" fn dhcp6_server_pool_add_del(
    prefix: *const [u8; 16],
    prefix_len: u8,
    pool: *const Dhcp6ServerPool,
    add: bool,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    // SAFETY: NULL is checked; otherwise a valid struct (ABI contract).
    let (Some(prefix), Some(pool)) = (read_addr(prefix), unsafe { pool.as_ref() }) else {
        err.write("no link or pool given");
        return Dhcp6ServerStatus::InvalidValue;
    };
    let spec = PoolSpec::from(pool);
    err.guarded(|| {
        if add {
            publish(|c| c.add_pool(prefix, prefix_len, spec))
        } else {
            publish(|c| c.remove_pool(prefix, prefix_len, &spec))
        }
    })
}

/// Refuses a relative file name: VPP's working directory is no place an
/// operator would look for a file.
pub(super) fn absolute(what: &str, path: &str) -> Result<(), ConfigError> {
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(ConfigError::BadOption(format!(
            "{what} {path:?}: give an absolute path"
        )))
    }
}

/// A setting passed as i64: negative means "leave as it is"; past u32 is
/// refused by name.
pub(super) fn optional_u32(value: i64, what: &str) -> Result<Option<u32>, ConfigError> {
    if value < 0 {
        return Ok(None);
    }
    u32::try_from(value)
        .map(Some)
        .map_err(|_| ConfigError::BadOption(format!("{what} {value} is too large")))
}

/// Sets how long offers and declined addresses are held, in seconds
/// (negative: unchanged; 0 is refused).
#[no_mangle]
pub extern "C" fn dhcp6_server_set_holds(
    offer: i64,
    decline: i64,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        let offer = optional_u32(offer, "offer hold")?;
        let decline = optional_u32(decline, "decline hold")?;
        publish(|c| c.set_holds(offer, decline))
    })
}

/// Flood limits; a negative value leaves that limit as it is, 0 turns it
/// off. Refused as a whole (nothing changes) if any value is out of range.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Dhcp6ServerLimits {
    pub interface_rate: i64,
    pub interface_burst: i64,
    pub client_rate: i64,
    pub client_burst: i64,
    pub client_leases: i64,
    pub interface_leases: i64,
}

/// Sets the flood limits (see `Dhcp6ServerLimits`).
#[no_mangle]
pub extern "C" fn dhcp6_server_set_limits(
    limits: *const Dhcp6ServerLimits,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    err.guarded(|| {
        // SAFETY: a non-null `limits` points at the caller's struct.
        let Some(new) = (unsafe { limits.as_ref() }) else {
            return Err(ConfigError::BadLimits("no limits given".into()));
        };
        publish(|c| {
            let mut l = *c.limits();
            let field = |v: i64, what: &str, into: &mut u32| {
                if v >= 0 {
                    *into = u32::try_from(v)
                        .map_err(|_| ConfigError::BadLimits(format!("{what} {v} is too large")))?;
                }
                Ok(())
            };
            field(new.interface_rate, "interface-rate", &mut l.interface.rate)?;
            field(
                new.interface_burst,
                "interface-burst",
                &mut l.interface.burst,
            )?;
            field(new.client_rate, "client-rate", &mut l.client.rate)?;
            field(new.client_burst, "client-burst", &mut l.client.burst)?;
            field(new.client_leases, "client-leases", &mut l.client_leases)?;
            field(
                new.interface_leases,
                "interface-leases",
                &mut l.interface_leases,
            )?;
            c.set_limits(l)
        })
    })
}

/// Sets an option by name ("sntp-servers", "ntp-servers",
/// "information-refresh-time", "sol-max-rt", "inf-max-rt", "dns-servers",
/// "domain-search") from text; NULL or "none" clears it. `link_prefix` NULL:
/// server-wide; else for that link.
#[no_mangle]
pub extern "C" fn dhcp6_server_option_set(
    link_prefix: *const [u8; 16],
    link_len: u8,
    name: *const c_char,
    value: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let link = read_addr(link_prefix).map(|p| (p, link_len));
    let Some(kind) = read_str(name).and_then(crate::options::OptionKind::from_name) else {
        let names: Vec<_> = crate::options::OptionKind::ALL
            .iter()
            .map(|k| k.name())
            .collect();
        err.write(&format!("unknown option; one of: {}", names.join(", ")));
        return Dhcp6ServerStatus::InvalidValue;
    };
    let value = read_str(value)
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "none");
    err.guarded(|| publish(|c| c.set_option(link, kind, value)))
}

/// Adds or replaces a reservation: `id` in DHCPKit notation ("duid:...",
/// "interface-id-str:...", ...), `address` and `prefix` as text (empty or
/// NULL for none).
#[no_mangle]
pub extern "C" fn dhcp6_server_reservation_add(
    id: *const c_char,
    address: *const c_char,
    prefix: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let (id, address, prefix) = (
        read_str(id).unwrap_or(""),
        read_str(address).unwrap_or(""),
        read_str(prefix).unwrap_or(""),
    );
    err.guarded(|| publish(|c| c.add_reservation(id, address, prefix)))
}

#[no_mangle]
pub extern "C" fn dhcp6_server_reservation_del(
    id: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let id = read_str(id).unwrap_or("");
    err.guarded(|| publish(|c| c.remove_reservation(id)))
}

/// Replaces all reservations with a DHCPKit CSV file (`path` NULL: the file
/// loaded last). On any error nothing changes. `*count` gets the number.
#[no_mangle]
pub extern "C" fn dhcp6_server_reservations_load(
    path: *const c_char,
    count: *mut u32,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let path = read_str(path);
    err.guarded(|| {
        let n = publish(|c| c.load_reservations_file(path))?;
        // SAFETY: a non-null `count` is writable (ABI contract).
        if let Some(out) = unsafe { count.as_mut() } {
            *out = n as u32;
        }
        Ok(())
    })
}
