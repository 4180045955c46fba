//! The command table's doors: the shim registers a vppctl command per table
//! entry and an API handler per message, and hands startup.conf's section
//! over; each ends up in [`crate::commands`] with the plugin as its
//! [`Controller`].

use std::ffi::CString;
use std::sync::{Mutex, OnceLock};

use super::*;
use crate::commands::{self, startup, Controller, COMMANDS};

/// What only the shim reaches: VPP's interface table and the VPP side of
/// enabling service. Registered once, at init.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Dhcp6ServerHost {
    /// sw_if_index of the interface with this name, or
    /// `DHCP6_SERVER_NO_INTERFACE`.
    pub interface_by_name: Option<extern "C" fn(name: *const c_char) -> u32>,
    /// Writes the interface's name (NUL-terminated) into `out`.
    pub interface_name: Option<extern "C" fn(sw_if_index: u32, out: *mut c_char, len: usize)>,
    pub interface_facts:
        Option<extern "C" fn(sw_if_index: u32, facts: *mut Dhcp6ServerInterfaceFacts)>,
    /// Enables (or updates) or disables service, VPP side and Rust side
    /// together; returns a status, with the reason in `error`.
    pub interface_set: Option<
        extern "C" fn(
            sw_if_index: u32,
            enable: bool,
            settings: *const Dhcp6ServerInterfaceSettings,
            error: *mut c_char,
            error_len: usize,
        ) -> i32,
    >,
    /// Enables or disables DHCPv4 service, VPP side (the detection of
    /// broadcasts on the interface) and Rust side together.
    pub interface4_set: Option<
        extern "C" fn(sw_if_index: u32, enable: bool, error: *mut c_char, error_len: usize) -> i32,
    >,
    /// VPP's RA flags of the interface; false when it sends no RAs.
    pub ra_flags_get: Option<extern "C" fn(sw_if_index: u32, out: *mut Dhcp6ServerRaFlags) -> bool>,
    pub ra_flags_set:
        Option<extern "C" fn(sw_if_index: u32, flags: *const Dhcp6ServerRaFlags) -> bool>,
    /// The prefix's option in the interface's RAs; false when there is none.
    pub ra_prefix_get: Option<
        extern "C" fn(
            sw_if_index: u32,
            prefix: *const [u8; 16],
            len: u8,
            out: *mut Dhcp6ServerRaPrefix,
        ) -> bool,
    >,
    /// Adds or changes the prefix's option, or with `info` NULL removes it.
    pub ra_prefix_set: Option<
        extern "C" fn(
            sw_if_index: u32,
            prefix: *const [u8; 16],
            len: u8,
            info: *const Dhcp6ServerRaPrefix,
        ) -> bool,
    >,
}

/// Registers the shim's side (init, before any command runs).
#[no_mangle]
pub extern "C" fn dhcp6_server_host_set(host: *const Dhcp6ServerHost) {
    // SAFETY: a non-null `host` points at a filled-in struct (ABI contract).
    if let Some(h) = unsafe { host.as_ref() } {
        let _ = PLUGIN.host.set(*h);
    }
}

/// What VPP knows of an interface, through the shim.
pub(super) fn host_interface_facts(sw_if_index: u32) -> InterfaceFacts {
    let mut facts = Dhcp6ServerInterfaceFacts {
        mac: [0; 6],
        has_mac: false,
        link_local: [0; 16],
        first_global: [0; 16],
        fib_index: 0,
        ip4_address: [0; 4],
        ip4_prefix_len: 0,
    };
    if let Some(f) = PLUGIN.host.get().and_then(|h| h.interface_facts) {
        f(sw_if_index, &mut facts);
    }
    (&facts).into()
}

/// The plugin's state as the command handlers see it.
struct PluginController {
    now: u32,
}

/// A NUL-terminated C string in a caller's buffer, as text.
pub(super) fn read_c_buffer(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

impl Controller for PluginController {
    fn now(&self) -> u32 {
        self.now
    }

    fn interface_by_name(&self, name: &str) -> Option<u32> {
        let f = PLUGIN.host.get()?.interface_by_name?;
        let name = CString::new(name).ok()?;
        Some(f(name.as_ptr())).filter(|i| *i != DHCP6_SERVER_NO_INTERFACE)
    }

    fn interface_name(&self, sw_if_index: u32) -> String {
        let mut buf: [c_char; 128] = [0; 128];
        if let Some(f) = PLUGIN.host.get().and_then(|h| h.interface_name) {
            f(sw_if_index, buf.as_mut_ptr(), buf.len());
        }
        match read_c_buffer(&buf) {
            name if name.is_empty() => format!("sw_if_index {sw_if_index}"),
            name => name,
        }
    }

    fn interface_facts(&self, sw_if_index: u32) -> InterfaceFacts {
        host_interface_facts(sw_if_index)
    }

    fn set_interface(
        &mut self,
        sw_if_index: u32,
        settings: Option<&InterfaceSettings>,
    ) -> Result<(), String> {
        let f = PLUGIN
            .host
            .get()
            .and_then(|h| h.interface_set)
            .ok_or("no VPP to enable service in")?;
        let c = Dhcp6ServerInterfaceSettings::from(settings.unwrap_or(&Default::default()));
        let mut error: [c_char; 256] = [0; 256];
        match f(
            sw_if_index,
            settings.is_some(),
            &c,
            error.as_mut_ptr(),
            error.len(),
        ) {
            0 => Ok(()),
            _ => Err(read_c_buffer(&error)),
        }
    }

    fn set_interface4(&mut self, sw_if_index: u32, enable: bool) -> Result<(), String> {
        let f = PLUGIN
            .host
            .get()
            .and_then(|h| h.interface4_set)
            .ok_or("no VPP to enable service in")?;
        let mut error: [c_char; 256] = [0; 256];
        match f(sw_if_index, enable, error.as_mut_ptr(), error.len()) {
            0 => Ok(()),
            _ => Err(read_c_buffer(&error)),
        }
    }

    fn config(&self) -> Option<&ServerConfig> {
        PLUGIN.config.load()
    }

    fn configure(
        &mut self,
        change: &mut dyn FnMut(&mut ServerConfig) -> Result<usize, ConfigError>,
    ) -> Result<usize, ConfigError> {
        publish(change)
    }

    fn shard(&mut self) -> &mut Shard {
        // SAFETY: commands run on the main thread with the worker barrier
        // held (or before the workers start): no owner thread is inside.
        unsafe { PLUGIN.shard.owner() }
    }

    fn shard_changed(&mut self) {
        note_shard_state(self.shard());
    }

    fn set_lease_store(
        &mut self,
        path: Option<&str>,
        capacity: Option<u32>,
        flush_interval: Option<u32>,
    ) -> Result<(), ConfigError> {
        lease_store::set(path, capacity, flush_interval)
    }

    fn lease_store_lines(&mut self) -> Vec<String> {
        lease_store::lines()
    }

    fn looking_glass_status(&self) -> crate::looking_glass::Status {
        looking_glass::status()
    }

    fn event_subscribers(&self) -> (u32, u64) {
        (
            PLUGIN.subscribers.load(Ordering::Relaxed),
            event_ring().dropped(),
        )
    }
}

/// The table's strings as C sees them, made once.
struct CStrings {
    paths: Vec<CString>,
    usages: Vec<CString>,
    helps: Vec<CString>,
}

fn c_strings() -> &'static CStrings {
    static STRINGS: OnceLock<CStrings> = OnceLock::new();
    STRINGS.get_or_init(|| {
        let c = |s: String| CString::new(s).unwrap_or_default();
        CStrings {
            paths: COMMANDS.iter().map(|k| c(k.path.into())).collect(),
            usages: COMMANDS.iter().map(|k| c(k.usage())).collect(),
            helps: COMMANDS.iter().map(|k| c(k.help.into())).collect(),
        }
    })
}

fn table_string(strings: &'static [CString], index: u32) -> *const c_char {
    strings
        .get(index as usize)
        .map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Number of commands in the table.
#[no_mangle]
pub extern "C" fn dhcp6_server_command_count() -> u32 {
    COMMANDS.len() as u32
}

/// CLI words of command `index` ("dhcp6-server enable"), NULL past the end.
#[no_mangle]
pub extern "C" fn dhcp6_server_command_path(index: u32) -> *const c_char {
    boundary(std::ptr::null(), || table_string(&c_strings().paths, index))
}

/// Its usage line (the CLI's short help).
#[no_mangle]
pub extern "C" fn dhcp6_server_command_usage(index: u32) -> *const c_char {
    boundary(std::ptr::null(), || {
        table_string(&c_strings().usages, index)
    })
}

/// What it does (the CLI's long help).
#[no_mangle]
pub extern "C" fn dhcp6_server_command_help(index: u32) -> *const c_char {
    boundary(std::ptr::null(), || table_string(&c_strings().helps, index))
}

fn bytes<'a>(data: *const u8, len: usize) -> &'a [u8] {
    if data.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: a non-null `data` points at `len` readable bytes that
    // outlive the call (ABI contract).
    unsafe { std::slice::from_raw_parts(data, len) }
}

/// Runs command `index` with the words typed after its path; `line` gets
/// each line of output; on refusal `error` says why and nothing changed.
/// Main thread, barrier held.
#[no_mangle]
pub extern "C" fn dhcp6_server_command_run(
    index: u32,
    words: *const u8,
    words_len: usize,
    now: u32,
    line: Dhcp6ServerLineFn,
    ctx: *mut c_void,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let Some(command) = COMMANDS.get(index as usize) else {
        err.write("no such command");
        return Dhcp6ServerStatus::InvalidValue;
    };
    let text = String::from_utf8_lossy(bytes(words, words_len)).into_owned();
    let earlier = lock(&PLUGIN.last_refusal).take();
    let result = boundary(None, || {
        let mut out = Vec::new();
        let r = commands::run_line(command, &text, &mut PluginController { now }, &mut out);
        // VPP offers a refused sub-command's words to its parent command:
        // the reason that counts is the sub-command's.
        let r = match (r, earlier) {
            (Err(_), Some((sub, why))) if sub.starts_with(&format!("{} ", command.path)) => {
                Err(why)
            }
            (r, _) => r,
        };
        if let Err(e) = &r {
            *lock(&PLUGIN.last_refusal) = Some((command.path, e.clone()));
        }
        Some((r, out))
    });
    finish(&err, result, |out| show::emit_all(line, ctx, out))
}

fn finish(
    err: &ErrorBuffer,
    result: Option<(Result<(), String>, Vec<String>)>,
    output: impl FnOnce(Vec<String>),
) -> Dhcp6ServerStatus {
    match result {
        None => {
            err.write("internal error (see the VPP log); nothing was changed");
            Dhcp6ServerStatus::InternalError
        }
        Some((Ok(()), out)) => {
            output(out);
            Dhcp6ServerStatus::Ok
        }
        Some((Err(e), _)) => {
            err.write(&e);
            Dhcp6ServerStatus::InvalidValue
        }
    }
}

/// Receives an API reply: its retval (0 or a VNET_API_ERROR_*) and its
/// text (not NUL-terminated).
pub type Dhcp6ServerReplyFn =
    Option<extern "C" fn(ctx: *mut c_void, retval: i32, text: *const u8, len: usize)>;

/// VPP's retval for a status (vnet/api_errno.h: VNET_API_ERROR_INVALID_VALUE
/// is -7, VNET_API_ERROR_UNSPECIFIED -1).
fn api_retval(status: Dhcp6ServerStatus) -> i32 {
    match status {
        Dhcp6ServerStatus::Ok => 0,
        Dhcp6ServerStatus::InvalidValue | Dhcp6ServerStatus::NotEnabled => -7,
        Dhcp6ServerStatus::InternalError => -1,
    }
}

/// Runs the API message of command `index` (`msg`: the whole message as
/// received) and calls `reply` once. Main thread, barrier held.
#[no_mangle]
pub extern "C" fn dhcp6_server_api_command(
    index: u32,
    msg: *const u8,
    msg_len: usize,
    now: u32,
    reply: Dhcp6ServerReplyFn,
    ctx: *mut c_void,
) {
    let message = bytes(msg, msg_len);
    let (status, text) = boundary(
        (
            Dhcp6ServerStatus::InternalError,
            "internal error (see the VPP log); nothing was changed".to_string(),
        ),
        || {
            let Some(command) = COMMANDS.get(index as usize) else {
                return (Dhcp6ServerStatus::InvalidValue, "no such command".into());
            };
            let mut out = Vec::new();
            let r = commands::api::decode(command, message)
                .and_then(|args| (command.run)(&mut PluginController { now }, &args, &mut out));
            match r {
                Ok(()) => (Dhcp6ServerStatus::Ok, commands::api::reply_text(&out)),
                Err(e) => (Dhcp6ServerStatus::InvalidValue, e),
            }
        },
    );
    if let Some(f) = reply {
        f(ctx, api_retval(status), text.as_ptr(), text.len());
    }
}

/// Applies startup.conf's `dhcp6-server { }` section, or with `ip_version`
/// 4 its `dhcp4-server { }` one (the text, without the braces). Items naming interfaces that do not exist yet wait for
/// them. Main thread, before the workers run.
#[no_mangle]
pub extern "C" fn dhcp6_server_startup_config(
    ip_version: u8,
    text: *const u8,
    len: usize,
    now: u32,
    error: *mut c_char,
    error_len: usize,
) -> Dhcp6ServerStatus {
    let err = ErrorBuffer::new(error, error_len);
    let text = String::from_utf8_lossy(bytes(text, len)).into_owned();
    let result = boundary(None, || {
        let section = if ip_version == 4 {
            "dhcp4-server"
        } else {
            "dhcp6-server"
        };
        Some(
            startup::apply(section, &text, &mut PluginController { now }).map(|waiting| {
                lock(&PLUGIN.waiting).extend(waiting);
            }),
        )
    });
    finish(&err, result.map(|r| (r, Vec::new())), |_| ())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether a waiting startup.conf item's interface exists now. Main thread.
#[no_mangle]
pub extern "C" fn dhcp6_server_startup_ready(now: u32) -> bool {
    boundary(false, || {
        let plugin = PluginController { now };
        lock(&PLUGIN.waiting)
            .iter()
            .any(|item| !startup::waits(item, &plugin))
    })
}

/// Runs the waiting items whose interface exists now; failures go to the
/// log. Main thread, barrier held.
#[no_mangle]
pub extern "C" fn dhcp6_server_startup_run_ready(now: u32) {
    boundary((), || {
        let mut plugin = PluginController { now };
        let items = std::mem::take(&mut *lock(&PLUGIN.waiting));
        let mut still = Vec::new();
        for item in items {
            if startup::waits(&item, &plugin) {
                still.push(item);
            } else if let Err(e) = startup::run(&item, &mut plugin) {
                lease_file::log(e);
            }
        }
        lock(&PLUGIN.waiting).extend(still);
    })
}
