//! Output lines made by the core, handed to the CLI.

use super::*;

/// Receives one line of output.
pub type Dhcp6ServerLineFn = Option<extern "C" fn(ctx: *mut c_void, line: *const c_char)>;

pub(super) fn emit(line: Dhcp6ServerLineFn, ctx: *mut c_void, text: &str) {
    if let (Some(f), Ok(c)) = (line, std::ffi::CString::new(text)) {
        f(ctx, c.as_ptr());
    }
}

pub(super) fn emit_all(line: Dhcp6ServerLineFn, ctx: *mut c_void, lines: Vec<String>) {
    for text in &lines {
        emit(line, ctx, text);
    }
}
