//! The binary API side of the command table: one request message per
//! command, its fields in the table's order, and one reply shape for all
//! (`retval`, and `message`: the refusal's text, or what the CLI would
//! print). The `.api` definitions and the shim's handler list are generated
//! from the table (`UPDATE_HEADER=1 cargo test --test header` rewrites
//! them; the same test fails when they drift).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{parse, Args, Command, Field, Kind, Value, COMMANDS};

/// Bytes before the first field: `_vl_msg_id` (u16), `client_index`, `context`.
pub const REQUEST_HEADER_LEN: usize = 10;
/// Most bytes of text a reply carries.
pub const MAX_REPLY_TEXT: usize = 60_000;
/// An unset number, interface or tri-state yes/no.
const UNSET_U32: u32 = u32::MAX;
const UNSET_BOOL: u8 = 255;

/// The field's name in the message.
pub fn field_name(f: &Field) -> String {
    match (f.kind, f.name) {
        (Kind::Interface, _) => "sw_if_index".into(),
        // A Python keyword (vpp_papi takes fields as keyword arguments),
        // a C keyword (the generated C structs).
        (_, "del") => "is_del".into(),
        (_, "auto") => "is_auto".into(),
        (_, name) => name.replace('-', "_"),
    }
}

/// Octets the field takes on the wire.
fn wire_len(f: &Field) -> usize {
    match f.kind {
        Kind::Interface | Kind::Number { .. } => 4,
        Kind::Ip6 => 16,
        Kind::Prefix6 => 17,
        Kind::Ip6Range => 32,
        Kind::Ip4 => 4,
        Kind::Prefix4 => 5,
        Kind::Ip4Range => 8,
        Kind::Bool | Kind::Flag => 1,
        Kind::Word { max } | Kind::Rest { max } => max,
    }
}

fn api_type(f: &Field) -> String {
    let name = field_name(f);
    let default = |d: &str| format!(" [default={d}]");
    match f.kind {
        Kind::Interface => format!(
            "vl_api_interface_index_t {name}{}",
            if f.required {
                ""
            } else {
                " [default=0xffffffff]"
            }
        ),
        Kind::Ip6 => format!("vl_api_ip6_address_t {name}"),
        Kind::Prefix6 => format!("vl_api_ip6_prefix_t {name}"),
        Kind::Ip6Range => {
            format!("vl_api_ip6_address_t {name}_first;\n  vl_api_ip6_address_t {name}_last")
        }
        Kind::Ip4 => format!("vl_api_ip4_address_t {name}"),
        Kind::Prefix4 => format!("vl_api_ip4_prefix_t {name}"),
        Kind::Ip4Range => {
            format!("vl_api_ip4_address_t {name}_first;\n  vl_api_ip4_address_t {name}_last")
        }
        Kind::Number { .. } => format!("u32 {name}{}", default(f.default.unwrap_or("0xffffffff"))),
        Kind::Bool => match f.default {
            Some(d) => format!(
                "bool {name}{}",
                default(if d == "yes" { "true" } else { "false" })
            ),
            None => format!("u8 {name}{}", default("255")),
        },
        Kind::Flag => format!("bool {name}"),
        Kind::Word { max } | Kind::Rest { max } => format!("string {name}[{max}]"),
    }
}

fn field_doc(f: &Field) -> String {
    let unset = match f.kind {
        Kind::Interface => "~0",
        Kind::Ip6 | Kind::Ip6Range => "::",
        Kind::Prefix6 => "::/0",
        Kind::Ip4 | Kind::Ip4Range => "0.0.0.0",
        Kind::Prefix4 => "0.0.0.0/0",
        Kind::Number { .. } => "0xffffffff",
        Kind::Bool if f.default.is_none() => "255",
        Kind::Word { .. } | Kind::Rest { .. } => "empty",
        _ => "",
    };
    let mut doc = format!("    @param {} - {}", field_name(f), f.help);
    if !f.required && !unset.is_empty() && f.default.is_none() {
        doc.push_str(&format!(" ({unset} = not given)"));
    }
    if let Some(d) = f.default {
        doc.push_str(&format!(" (default {d})"));
    }
    doc
}

/// The generated part of `dhcp6_server.api`.
pub fn definitions() -> String {
    let mut s = String::new();
    for c in COMMANDS {
        let name = c.api_name();
        s.push_str(&format!("/** \\brief {}\n    CLI: {}\n", c.help, c.usage()));
        for f in c.fields {
            s.push_str(&field_doc(f));
            s.push('\n');
        }
        s.push_str(&format!("*/\ndefine {name}\n{{\n"));
        // For dhcp6-server-ctl: the CLI words, and the fields given by
        // position ("?": optional, "...": the rest of the line).
        s.push_str(&format!("  option cli = \"{}\";\n", c.path));
        let positional: Vec<String> = c
            .fields
            .iter()
            .filter(|f| f.positional)
            .map(|f| match (f.kind, f.required) {
                (Kind::Rest { .. }, _) => format!("{}...", field_name(f)),
                (_, false) => format!("{}?", field_name(f)),
                _ => field_name(f),
            })
            .collect();
        if !positional.is_empty() {
            s.push_str(&format!(
                "  option positional = \"{}\";\n",
                positional.join(" ")
            ));
        }
        s.push_str("  u32 client_index;\n  u32 context;\n");
        for f in c.fields {
            s.push_str(&format!("  {};\n", api_type(f)));
        }
        s.push_str("};\n\n");
        s.push_str(&format!(
            "/** \\brief Reply to {name}\n    @param retval - 0, or the VNET_API_ERROR_* of a refusal\n    \
             @param message - why it was refused, or what the CLI prints\n*/\n\
             define {name}_reply\n{{\n  u32 context;\n  i32 retval;\n  string message[];\n}};\n\n"
        ));
    }
    s
}

/// The shim's handler list: one X-macro entry per command.
pub fn dispatch_header() -> String {
    let mut s = String::from(
        "/* Generated from the command table (src/commands/table.rs) by\n \
         * `UPDATE_HEADER=1 cargo test --test header`: do not edit. */\n\
         #ifndef DHCP6_SERVER_COMMANDS_H\n#define DHCP6_SERVER_COMMANDS_H\n\n\
         /* _(index in the table, API message, its enum name) */\n\
         #define DHCP6_SERVER_API_COMMANDS(_)",
    );
    for (i, c) in COMMANDS.iter().enumerate() {
        let name = c.api_name();
        s.push_str(&format!(" \\\n  _ ({i}, {name}, {})", name.to_uppercase()));
    }
    s.push_str("\n\n#endif /* DHCP6_SERVER_COMMANDS_H */\n");
    s
}

/// Reads a request (the whole message, header included) into `Args`.
pub fn decode(command: &'static Command, msg: &[u8]) -> Result<Args, String> {
    let mut at = REQUEST_HEADER_LEN;
    let mut values = Vec::with_capacity(command.fields.len());
    for f in command.fields {
        let n = wire_len(f);
        let bytes = msg
            .get(at..at + n)
            .ok_or_else(|| format!("message too short for {}", field_name(f)))?;
        values.push(value(f, bytes)?);
        at += n;
    }
    parse::finish(Args { command, values })
}

fn u32_at(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn addr_at(b: &[u8]) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(&b[..16]);
    Ipv6Addr::from(o)
}

fn addr4_at(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn value(f: &Field, b: &[u8]) -> Result<Option<Value>, String> {
    Ok(match f.kind {
        Kind::Interface => Some(u32_at(b))
            .filter(|i| *i != UNSET_U32)
            .map(Value::Interface),
        Kind::Ip6 => Some(addr_at(b))
            .filter(|a| !a.is_unspecified())
            .map(Value::Ip6),
        Kind::Prefix6 => {
            let (a, len) = (addr_at(b), b[16]);
            if len > 128 {
                return Err(format!("{}: prefix length {len} is above 128", f.name));
            }
            (!a.is_unspecified() || len != 0).then_some(Value::Prefix6(a, len))
        }
        Kind::Ip6Range => {
            let (a, z) = (addr_at(b), addr_at(&b[16..]));
            (!a.is_unspecified() || !z.is_unspecified()).then_some(Value::Range(a, z))
        }
        Kind::Ip4 => Some(addr4_at(b))
            .filter(|a| !a.is_unspecified())
            .map(Value::Ip4),
        Kind::Prefix4 => {
            let (a, len) = (addr4_at(b), b[4]);
            if len > 32 {
                return Err(format!("{}: prefix length {len} is above 32", f.name));
            }
            (!a.is_unspecified() || len != 0).then_some(Value::Prefix4(a, len))
        }
        Kind::Ip4Range => {
            let (a, z) = (addr4_at(b), addr4_at(&b[4..]));
            (!a.is_unspecified() || !z.is_unspecified()).then_some(Value::Range4(a, z))
        }
        Kind::Number { max, .. } => match u32_at(b) {
            UNSET_U32 => None,
            n if n > max => {
                return Err(format!("{} {n} is too large (at most {max})", f.name));
            }
            n => Some(Value::Number(n)),
        },
        Kind::Bool => match (b[0], f.default) {
            (0, _) => Some(Value::Bool(false)),
            (1, _) => Some(Value::Bool(true)),
            (UNSET_BOOL, None) => None,
            (v, _) => return Err(format!("{}: {v} is neither 0 (no) nor 1 (yes)", f.name)),
        },
        Kind::Flag => (b[0] != 0).then_some(Value::Flag),
        Kind::Word { .. } | Kind::Rest { .. } => {
            let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
            let text = std::str::from_utf8(&b[..end])
                .map_err(|_| format!("{}: not UTF-8", f.name))?
                .trim();
            if text.contains(char::is_whitespace) && matches!(f.kind, Kind::Word { .. }) {
                return Err(format!("{}: one word expected, not {text:?}", f.name));
            }
            (!text.is_empty()).then(|| Value::Text(text.to_string()))
        }
    })
}

/// A request as vpp_papi would send it (tests and tools).
pub fn encode(command: &Command, values: &[Option<Value>]) -> Vec<u8> {
    let mut out = vec![0u8; REQUEST_HEADER_LEN];
    for (f, v) in command.fields.iter().zip(values) {
        let start = out.len();
        out.resize(start + wire_len(f), 0);
        let b = &mut out[start..];
        match (f.kind, v) {
            (Kind::Interface | Kind::Number { .. }, None) => b.copy_from_slice(&[0xff; 4]),
            (Kind::Bool, None) => b[0] = UNSET_BOOL,
            (_, None) => {}
            (_, Some(Value::Interface(n) | Value::Number(n))) => {
                b.copy_from_slice(&n.to_be_bytes())
            }
            (_, Some(Value::Ip6(a))) => b.copy_from_slice(&a.octets()),
            (_, Some(Value::Prefix6(a, l))) => {
                b[..16].copy_from_slice(&a.octets());
                b[16] = *l;
            }
            (_, Some(Value::Range(a, z))) => {
                b[..16].copy_from_slice(&a.octets());
                b[16..].copy_from_slice(&z.octets());
            }
            (_, Some(Value::Ip4(a))) => b.copy_from_slice(&a.octets()),
            (_, Some(Value::Prefix4(a, l))) => {
                b[..4].copy_from_slice(&a.octets());
                b[4] = *l;
            }
            (_, Some(Value::Range4(a, z))) => {
                b[..4].copy_from_slice(&a.octets());
                b[4..].copy_from_slice(&z.octets());
            }
            (_, Some(Value::Bool(x))) => b[0] = u8::from(*x),
            (_, Some(Value::Flag)) => b[0] = 1,
            (_, Some(Value::Text(t))) => {
                let n = t.len().min(b.len());
                b[..n].copy_from_slice(&t.as_bytes()[..n]);
            }
        }
    }
    out
}

/// The reply's text: the lines, cut at [`MAX_REPLY_TEXT`].
pub fn reply_text(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    if s.len() > MAX_REPLY_TEXT {
        let mut cut = MAX_REPLY_TEXT;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("\n... (cut; the dump messages give everything)");
    }
    s
}
