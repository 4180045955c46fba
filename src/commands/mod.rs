//! The command table: every setting and action of the plugin, defined once.
//!
//! A [`Command`] names its words, what it does and its [`Field`]s (types,
//! ranges, defaults); from it come the vppctl command (the shim registers
//! one trampoline per entry), the `dhcp6-server { }` item of startup.conf
//! ([`startup`]), the binary API message ([`api`]: decoded here, and the
//! `.api` definitions generated from the table) and, through those
//! definitions, the management script. A handler runs the same way
//! whichever door the command came in by, against a [`Controller`]: the
//! plugin's state (the FFI layer) or, in tests, a plain one.

pub mod api;
mod handlers;
pub mod parse;
pub mod reference;
pub mod startup;
mod table;
#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::config::{ConfigError, InterfaceSettings, ServerConfig};
use crate::leases::Shard;
use crate::server::InterfaceFacts;

pub use table::COMMANDS;

/// What a field holds, and so how each door spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An interface: its name on the CLI, its sw_if_index in the API.
    Interface,
    Ip6,
    /// `<address>/<length>`.
    Prefix6,
    /// `<first> - <last>`.
    Ip6Range,
    Ip4,
    /// `<address>/<length>`.
    Prefix4,
    /// `<first> - <last>`.
    Ip4Range,
    /// A number up to `max`; `off` also accepts the word "off" for 0.
    Number {
        max: u32,
        off: bool,
    },
    /// yes|no (on|off).
    Bool,
    /// One word of at most `max` bytes.
    Word {
        max: usize,
    },
    /// The rest of the line (at most `max` bytes).
    Rest {
        max: usize,
    },
    /// A keyword on its own.
    Flag,
}

/// One input of a command.
#[derive(Debug)]
pub struct Field {
    /// The CLI keyword (and the API field, with `_` for `-`); a positional
    /// field is written without it.
    pub name: &'static str,
    pub kind: Kind,
    /// Given by position, not after its keyword.
    pub positional: bool,
    pub required: bool,
    /// The value when not given, written as on the CLI.
    pub default: Option<&'static str>,
    /// What the value is, for help texts and errors.
    pub help: &'static str,
}

/// What a handler returns: the lines to show, or why nothing was done.
pub type Outcome = Result<(), String>;
pub type Handler = fn(&mut dyn Controller, &Args, &mut Vec<String>) -> Outcome;

/// Whether a command has a `dhcp6-server { }` item in startup.conf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Startup {
    /// Its item's keyword.
    Item(&'static str),
    /// Why not.
    Not(&'static str),
}

impl Startup {
    pub fn keyword(self) -> Option<&'static str> {
        match self {
            Startup::Item(k) => Some(k),
            Startup::Not(_) => None,
        }
    }
}

/// One command.
pub struct Command {
    /// The CLI words, e.g. "dhcp6-server enable".
    pub path: &'static str,
    pub help: &'static str,
    pub fields: &'static [Field],
    pub startup: Startup,
    /// At least one field must be given.
    pub needs_some: bool,
    pub run: Handler,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Command({:?})", self.path)
    }
}

/// Commands are told apart by their words.
impl PartialEq for Command {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}
impl Eq for Command {}

impl Command {
    /// The binary API message: `dhcp6_server_` and the words other than
    /// "dhcp6-server", e.g. `dhcp6_server_show_leases`.
    pub fn api_name(&self) -> String {
        format!("dhcp6_server_{}", self.ctl_name().replace('-', "_"))
    }

    /// Its dhcp6-server-ctl command: the words other than "dhcp6-server"
    /// ("dhcp4-server" shortened to "dhcp4"), joined by dashes
    /// ("show-leases", "dhcp4-enable").
    pub fn ctl_name(&self) -> String {
        let words: Vec<&str> = self
            .path
            .split(' ')
            .filter(|w| *w != "dhcp6-server")
            .map(|w| if w == "dhcp4-server" { "dhcp4" } else { w })
            .collect();
        words.join("-")
    }

    /// `dhcp6-server enable <interface> [reply-from <ip6>] ...`
    pub fn usage(&self) -> String {
        let mut s = self.path.to_string();
        for f in self.fields {
            let value = match f.kind {
                Kind::Flag => String::new(),
                Kind::Number { off: true, .. } => format!("<{}>|off", f.help),
                Kind::Ip6Range | Kind::Ip4Range => format!("<{0}> - <{0}>", f.help),
                _ => format!("<{}>", f.help),
            };
            let word = match (f.positional, f.kind) {
                (true, _) => value,
                (false, Kind::Flag) => f.name.to_string(),
                (false, _) => format!("{} {value}", f.name),
            };
            s.push(' ');
            s.push_str(&if f.required {
                word
            } else {
                format!("[{word}]")
            });
        }
        s
    }

    /// Its startup.conf section and CLI family: `dhcp6-server` or
    /// `dhcp4-server`.
    pub fn section(&self) -> &'static str {
        self.path
            .split(' ')
            .find(|w| w.ends_with("-server"))
            .unwrap_or("dhcp6-server")
    }

    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// A parsed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Interface(u32),
    Ip6(Ipv6Addr),
    Prefix6(Ipv6Addr, u8),
    Range(Ipv6Addr, Ipv6Addr),
    Ip4(Ipv4Addr),
    Prefix4(Ipv4Addr, u8),
    Range4(Ipv4Addr, Ipv4Addr),
    Number(u32),
    Bool(bool),
    Text(String),
    Flag,
}

/// The values of one invocation, field by field (defaults filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub command: &'static Command,
    pub values: Vec<Option<Value>>,
}

impl Args {
    fn get(&self, name: &str) -> Option<&Value> {
        self.command
            .field(name)
            .and_then(|i| self.values.get(i))
            .and_then(Option::as_ref)
    }
    pub fn given(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    pub fn interface(&self, name: &str) -> Option<u32> {
        match self.get(name) {
            Some(Value::Interface(i)) => Some(*i),
            _ => None,
        }
    }
    pub fn ip6(&self, name: &str) -> Option<Ipv6Addr> {
        match self.get(name) {
            Some(Value::Ip6(a)) => Some(*a),
            _ => None,
        }
    }
    pub fn prefix6(&self, name: &str) -> Option<(Ipv6Addr, u8)> {
        match self.get(name) {
            Some(Value::Prefix6(a, l)) => Some((*a, *l)),
            _ => None,
        }
    }
    pub fn range(&self, name: &str) -> Option<(Ipv6Addr, Ipv6Addr)> {
        match self.get(name) {
            Some(Value::Range(a, b)) => Some((*a, *b)),
            _ => None,
        }
    }
    pub fn ip4(&self, name: &str) -> Option<Ipv4Addr> {
        match self.get(name) {
            Some(Value::Ip4(a)) => Some(*a),
            _ => None,
        }
    }
    pub fn prefix4(&self, name: &str) -> Option<(Ipv4Addr, u8)> {
        match self.get(name) {
            Some(Value::Prefix4(a, l)) => Some((*a, *l)),
            _ => None,
        }
    }
    pub fn range4(&self, name: &str) -> Option<(Ipv4Addr, Ipv4Addr)> {
        match self.get(name) {
            Some(Value::Range4(a, b)) => Some((*a, *b)),
            _ => None,
        }
    }
    pub fn number(&self, name: &str) -> Option<u32> {
        match self.get(name) {
            Some(Value::Number(n)) => Some(*n),
            _ => None,
        }
    }
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Value::Flag))
    }
}

/// What the handlers act on: the plugin's configuration and lease engine,
/// and what VPP knows of interfaces. Main thread, worker barrier held.
pub trait Controller {
    /// Wall-clock seconds.
    fn now(&self) -> u32;
    fn interface_by_name(&self, name: &str) -> Option<u32>;
    fn interface_name(&self, sw_if_index: u32) -> String;
    fn interface_facts(&self, sw_if_index: u32) -> InterfaceFacts;
    /// Enables or updates (`Some`) or disables (`None`) service on an
    /// interface, on VPP's side as well; on error nothing changed.
    fn set_interface(
        &mut self,
        sw_if_index: u32,
        settings: Option<&InterfaceSettings>,
    ) -> Result<(), String>;
    /// Enables or disables DHCPv4 service on an interface, on VPP's side
    /// as well; on error nothing changed.
    fn set_interface4(&mut self, sw_if_index: u32, enable: bool) -> Result<(), String>;
    fn config(&self) -> Option<&ServerConfig>;
    /// Applies a configuration change (all or nothing) and brings the lease
    /// engine in line with it.
    fn configure(
        &mut self,
        change: &mut dyn FnMut(&mut ServerConfig) -> Result<usize, ConfigError>,
    ) -> Result<usize, ConfigError>;
    fn shard(&mut self) -> &mut Shard;
    /// The lease engine changed outside a packet (deleted, imported).
    fn shard_changed(&mut self);
    fn set_lease_store(
        &mut self,
        path: Option<&str>,
        capacity: Option<u32>,
        flush_interval: Option<u32>,
    ) -> Result<(), ConfigError>;
    /// What `show dhcp6-server` says of the lease file.
    fn lease_store_lines(&mut self) -> Vec<String>;
    /// API clients subscribed to lease events, and events dropped.
    fn event_subscribers(&self) -> (u32, u64);
    /// What the looking glass's producer has done.
    fn looking_glass_status(&self) -> crate::looking_glass::Status;
}

/// Runs one command line (the words after the command's path).
pub fn run_line(
    command: &'static Command,
    line: &str,
    ctl: &mut dyn Controller,
    out: &mut Vec<String>,
) -> Outcome {
    let words: Vec<&str> = line.split_whitespace().collect();
    let args = parse::line(command, &words, &|n| ctl.interface_by_name(n))?;
    (command.run)(ctl, &args, out)
}

/// The command whose path is `path`.
pub fn find(path: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.path == path)
}
