//! The plugin registration VPP reads from the `.vlib_plugin_registration`
//! ELF section and then looks up with `dlsym`. It must be defined here, on
//! the Rust side: a C definition in the shim is made local by the cdylib's
//! export list and VPP would crash on the NULL `dlsym` result.

use std::ffi::c_char;

/// Layout of VPP 26.06's `vlib_plugin_registration_t` (vlib/unix/plugin.h).
#[repr(C, align(64))]
pub struct VlibPluginRegistration {
    /// Bit 0: default_disabled, bit 1: deep_bind.
    flags: u8,
    version: [u8; 64],
    version_required: [u8; 64],
    overrides: [u8; 256],
    early_init: *const c_char,
    description: *const c_char,
    load_after: *const c_char,
}

// SAFETY: the pointers refer to immutable 'static C strings (or are null);
// nothing ever writes through them.
unsafe impl Sync for VlibPluginRegistration {}

// VPP refuses a registration whose size differs from its own struct.
const _: () = assert!(core::mem::size_of::<VlibPluginRegistration>() == 448);

/// Copies `s` into a NUL-padded fixed array at compile time.
const fn fixed<const N: usize>(s: &str) -> [u8; N] {
    let bytes = s.as_bytes();
    assert!(
        bytes.len() < N,
        "string does not fit the registration field"
    );
    let mut out = [0u8; N];
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// The VPP version the shim was compiled against (set by build.rs when VPP
/// was found); VPP refuses to load the plugin into any other version.
const VPP_VERSION_REQUIRED: &str = match option_env!("DHCP6_SERVER_VPP_VERSION") {
    Some(v) => v,
    None => "",
};

#[no_mangle]
#[used]
#[link_section = ".vlib_plugin_registration"]
pub static vlib_plugin_registration: VlibPluginRegistration = VlibPluginRegistration {
    flags: 0,
    version: fixed(env!("CARGO_PKG_VERSION")),
    version_required: fixed(VPP_VERSION_REQUIRED),
    overrides: [0; 256],
    early_init: core::ptr::null(),
    description: c"DHCPv6 server in the dataplane".as_ptr(),
    load_after: core::ptr::null(),
};

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn layout_matches_vpp() {
        assert_eq!(core::mem::align_of::<VlibPluginRegistration>(), 64);
        assert_eq!(offset_of!(VlibPluginRegistration, version), 1);
        assert_eq!(offset_of!(VlibPluginRegistration, version_required), 65);
        assert_eq!(offset_of!(VlibPluginRegistration, overrides), 129);
        assert_eq!(offset_of!(VlibPluginRegistration, early_init), 392);
        assert_eq!(offset_of!(VlibPluginRegistration, description), 400);
        assert_eq!(offset_of!(VlibPluginRegistration, load_after), 408);
        assert!(vlib_plugin_registration
            .version
            .starts_with(env!("CARGO_PKG_VERSION").as_bytes()));
    }
}
