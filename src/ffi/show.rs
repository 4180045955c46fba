//! The `show dhcp6-server ...` views: lines made by `crate::views`,
//! handed to the CLI.

use super::*;

/// Prints the flood limits in force, one line.
#[no_mangle]
pub extern "C" fn dhcp6_server_show_limits(line: Dhcp6ServerLineFn, ctx: *mut c_void) {
    boundary((), || {
        if let Some(config) = CONFIG.load() {
            emit(line, ctx, &crate::views::limits(config.limits()));
        }
    })
}

pub(super) fn emit(line: Dhcp6ServerLineFn, ctx: *mut c_void, text: &str) {
    if let (Some(f), Ok(c)) = (line, std::ffi::CString::new(text)) {
        f(ctx, c.as_ptr());
    }
}

/// Prints the links, their parameters and pools, one line at a time.
#[no_mangle]
pub extern "C" fn dhcp6_server_show_links(line: Dhcp6ServerLineFn, ctx: *mut c_void) {
    boundary((), || {
        if let Some(config) = CONFIG.load() {
            emit_all(line, ctx, crate::views::links(config));
        }
    })
}

pub(super) fn emit_all(line: Dhcp6ServerLineFn, ctx: *mut c_void, lines: Vec<String>) {
    for text in &lines {
        emit(line, ctx, text);
    }
}

/// Prints the leases held (offered, bound, declined) or, with `all`, free
/// ones too (a free lease is kept for its last client until reused): all,
/// or those of one DUID given as hex text and/or one interface
/// (`DHCP6_SERVER_NO_INTERFACE` for all).
#[no_mangle]
pub extern "C" fn dhcp6_server_show_leases(
    now: u32,
    duid: *const c_char,
    sw_if_index: u32,
    all: bool,
    line: Dhcp6ServerLineFn,
    ctx: *mut c_void,
) {
    boundary((), || {
        let filter = match read_str(duid).map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(hex) => match Duid::parse_hex(hex) {
                Ok(d) => Some(d),
                Err(e) => return emit(line, ctx, &format!("duid: {e}")),
            },
        };
        // SAFETY: views run on the main thread with the barrier held.
        let shard = unsafe { SHARD.owner() };
        let filter = crate::views::LeaseFilter {
            duid: filter,
            sw_if_index: (sw_if_index != DHCP6_SERVER_NO_INTERFACE).then_some(sw_if_index),
            all,
        };
        emit_all(
            line,
            ctx,
            crate::views::leases(shard.leases().map(|(_, l)| l), &filter, now),
        );
    })
}

/// Prints the reservations, one line each.
#[no_mangle]
pub extern "C" fn dhcp6_server_show_reservations(line: Dhcp6ServerLineFn, ctx: *mut c_void) {
    boundary((), || {
        let Some(config) = CONFIG.load() else {
            return emit(line, ctx, "0 reservations");
        };
        emit_all(line, ctx, crate::views::reservations(config));
    })
}
