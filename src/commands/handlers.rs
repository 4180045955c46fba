//! What each command does, given its parsed [`Args`].

use super::{Args, Controller, Outcome};
use crate::config::OptionScope;
use crate::config::{ConfigError, DuidSource, InterfaceSettings, LinkParameters};
use crate::duid::Duid;
use crate::leases::{PoolSpec, ResourceKind};
use crate::options::{Family, OptionValue};
use crate::router_adverts::RaMode;
use crate::views::hex;

fn text(e: ConfigError) -> String {
    e.to_string()
}

/// Runs a configuration change that returns nothing.
fn configure(
    ctl: &mut dyn Controller,
    mut change: impl FnMut(&mut crate::config::ServerConfig) -> Result<(), ConfigError>,
) -> Outcome {
    ctl.configure(&mut |c| change(c).map(|()| 0))
        .map(|_| ())
        .map_err(text)
}

pub fn enable(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let settings = InterfaceSettings {
        reply_from: a.ip6("reply-from").filter(|x| !x.is_unspecified()),
        link_address: a.ip6("link-address").filter(|x| !x.is_unspecified()),
        accept_multicast: a.boolean("accept-multicast").unwrap_or(true),
        accept_unicast: a.boolean("accept-unicast").unwrap_or(true),
        server_unicast: a.ip6("server-unicast").filter(|x| !x.is_unspecified()),
        ra: a
            .text("ra")
            .map(RaMode::parse)
            .transpose()?
            .unwrap_or_default(),
    };
    let sw_if_index = a.interface("interface").ok_or("interface name expected")?;
    ctl.set_interface(sw_if_index, Some(&settings))
}

pub fn disable(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let sw_if_index = a.interface("interface").ok_or("interface name expected")?;
    ctl.set_interface(sw_if_index, None)
}

pub fn duid(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let duid = match a.text("duid").map(str::trim) {
        None | Some("auto") => None,
        Some(hex) => Some(Duid::parse_hex(hex).map_err(|e| text(ConfigError::BadDuid(e)))?),
    };
    configure(ctl, |c| {
        c.set_duid(duid.clone());
        Ok(())
    })
}

pub fn link(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let (prefix, len) = a.prefix6("link").ok_or("link prefix expected")?;
    if a.flag("del") {
        return configure(ctl, |c| c.remove_link(prefix, len));
    }
    let preference = match a.number("preference") {
        None => None,
        Some(v) => Some(u8::try_from(v).map_err(|_| format!("preference {v}: 0 to 255"))?),
    };
    let params = LinkParameters {
        preferred_lifetime: a.number("preferred-lifetime"),
        valid_lifetime: a.number("valid-lifetime"),
        t1: a.number("t1"),
        t2: a.number("t2"),
        rapid_commit: a.boolean("rapid-commit"),
        preference,
        interface_id: a.text("interface-id").map(|t| {
            if t == "none" {
                Vec::new()
            } else {
                t.as_bytes().to_vec()
            }
        }),
        relay_address: a.ip6("relay-address"),
        server_unicast: a.ip6("server-unicast"),
    };
    configure(ctl, |c| c.set_link(prefix, len, &params))
}

pub fn pool(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let (prefix, len) = a.prefix6("link").ok_or("link prefix expected")?;
    let usage = || format!("usage: {}", a.command.usage());
    if let Some(group) = a.text("prefix-group") {
        use crate::config::GroupShape;
        let shape = match (
            a.range("addresses"),
            a.prefix6("prefixes"),
            a.number("delegated-length"),
        ) {
            (None, within, Some(dlen)) => Some(GroupShape::Prefixes {
                delegated_len: dlen as u8,
                within,
            }),
            (Some((first, last)), None, None) => Some(GroupShape::Addresses { first, last }),
            (None, None, None) if a.flag("del") => None,
            _ => return Err(usage()),
        };
        return match (shape, a.flag("del")) {
            (Some(shape), false) => configure(ctl, |c| c.add_group_pool(prefix, len, group, shape)),
            (shape, _) => {
                let addresses = shape.map(|s| matches!(s, GroupShape::Addresses { .. }));
                configure(ctl, |c| c.remove_group_pools(prefix, len, group, addresses))
            }
        };
    }
    let spec = match (
        a.range("addresses"),
        a.prefix6("prefixes"),
        a.number("delegated-length"),
    ) {
        (Some((first, last)), None, None) => PoolSpec::Addresses { first, last },
        (None, Some((p, plen)), Some(dlen)) => PoolSpec::Prefixes {
            prefix: p,
            len: plen,
            delegated_len: dlen as u8,
        },
        _ => return Err(usage()),
    };
    let exclude = a.prefix6("exclude-prefix");
    if a.flag("del") {
        configure(ctl, |c| c.remove_pool(prefix, len, &spec))
    } else {
        configure(ctl, |c| {
            c.add_pool(prefix, len, spec)?;
            if exclude.is_some() {
                c.set_pool_exclude(prefix, len, &spec, exclude)?;
            }
            Ok(())
        })
    }
}

pub fn hold(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let (offer, decline) = (a.number("offer"), a.number("decline"));
    configure(ctl, |c| c.set_holds(offer, decline))
}

pub fn limits(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    configure(ctl, |c| {
        let mut l = *c.limits();
        let fields = [
            ("interface-rate", &mut l.interface.rate),
            ("interface-burst", &mut l.interface.burst),
            ("client-rate", &mut l.client.rate),
            ("client-burst", &mut l.client.burst),
            ("client-leases", &mut l.client_leases),
            ("interface-leases", &mut l.interface_leases),
        ];
        for (name, into) in fields {
            if let Some(v) = a.number(name) {
                *into = v;
            }
        }
        c.set_limits(l)
    })
}

/// Where `option` and `option code` set an option: server-wide, one link
/// or one reservation's client.
fn option_scope<'a>(a: &'a Args) -> Result<OptionScope<'a>, String> {
    match (a.prefix6("link"), a.text("reservation")) {
        (Some(_), Some(_)) => Err("an option is set for a link or a reservation, not both".into()),
        (Some((prefix, len)), None) => Ok(OptionScope::Link(prefix, len)),
        (None, Some(id)) => Ok(OptionScope::Reservation(id)),
        (None, None) => Ok(OptionScope::Server),
    }
}

/// The option's value text, or None for `none` (removal).
fn option_text(a: &Args) -> Option<&str> {
    a.text("value")
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "none")
}

pub fn option(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let name = a.text("name").unwrap_or("");
    let scope = option_scope(a)?;
    let value = match option_text(a) {
        Some(text) => {
            Some(OptionValue::named(Family::V6, name, text, a.flag("always")).map_err(|e| e.0)?)
        }
        None => None,
    };
    let code = match crate::options::named(Family::V6, name) {
        Some(n) => n.code,
        None => {
            return Err(OptionValue::named(Family::V6, name, "", false)
                .unwrap_err()
                .0)
        }
    };
    configure(ctl, |c| c.set_option(scope, code, value.clone()))
}

pub fn option_code(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let code = a.number("code").unwrap_or(0) as u16;
    crate::options::check_code(Family::V6, code).map_err(|e| e.0)?;
    let scope = option_scope(a)?;
    // `option code 27 none` removes, as `option code 27 hex none` does.
    let format = a.text("type").unwrap_or("");
    let given = a.text("value").map(str::trim).filter(|v| !v.is_empty());
    let value = match (format, given) {
        ("none", None) | (_, Some("none")) => None,
        (_, Some(text)) => Some(
            OptionValue::by_code(Family::V6, code, format, text, a.flag("always"))
                .map_err(|e| e.0)?,
        ),
        (_, None) => {
            return Err(format!(
                "option code {code} {format}: a value expected (or none to remove it)"
            ))
        }
    };
    configure(ctl, |c| c.set_option(scope, code, value.clone()))
}

pub fn reservation_add(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let id = a.text("id").unwrap_or("");
    let (address, prefix) = (
        a.text("address").unwrap_or(""),
        a.text("prefix").unwrap_or(""),
    );
    configure(ctl, |c| c.add_reservation(id, address, prefix))
}

pub fn reservation_del(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let id = a.text("id").unwrap_or("");
    configure(ctl, |c| c.remove_reservation(id))
}

fn load_reservations(
    ctl: &mut dyn Controller,
    path: Option<&str>,
    out: &mut Vec<String>,
) -> Outcome {
    let n = ctl
        .configure(&mut |c| c.load_reservations_file(Family::V6, path))
        .map_err(text)?;
    out.push(format!("{n} reservations loaded"));
    Ok(())
}

pub fn reservations_load(ctl: &mut dyn Controller, a: &Args, out: &mut Vec<String>) -> Outcome {
    load_reservations(ctl, a.text("path"), out)
}

pub fn reservations_reload(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    load_reservations(ctl, None, out)
}

pub fn lease_delete(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let addr = a.ip6("address").ok_or("address expected")?;
    let bits = u128::from_be_bytes(addr.octets());
    let shard = ctl.shard();
    let index = [ResourceKind::Na, ResourceKind::Pd]
        .into_iter()
        .find_map(|k| shard.holder(k, bits))
        .ok_or_else(|| text(ConfigError::NoSuchLease(addr)))?;
    shard.delete(index);
    ctl.shard_changed();
    Ok(())
}

pub fn clear_leases(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    clear_kinds(ctl, out, &[ResourceKind::Na, ResourceKind::Pd])
}

pub fn clear_leases4(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    clear_kinds(ctl, out, &[ResourceKind::Ipv4])
}

fn clear_kinds(ctl: &mut dyn Controller, out: &mut Vec<String>, kinds: &[ResourceKind]) -> Outcome {
    let n = ctl.shard().clear_kinds(kinds);
    ctl.shard_changed();
    out.push(format!("{n} leases deleted"));
    Ok(())
}

pub fn lease_file(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let path = match (a.text("path"), a.flag("none")) {
        (Some(_), true) => return Err(format!("usage: {}", a.command.usage())),
        (Some(p), false) => Some(p),
        (None, true) => Some("none"),
        (None, false) => None,
    };
    ctl.set_lease_store(path, a.number("capacity"), a.number("flush-interval"))
        .map_err(text)
}

fn absolute(what: &str, path: &str) -> Outcome {
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(format!("{what} {path:?}: give an absolute path"))
    }
}

pub fn leases_export(ctl: &mut dyn Controller, a: &Args, out: &mut Vec<String>) -> Outcome {
    export_leases(ctl, a, out, Family::V6)
}

pub fn leases_import(ctl: &mut dyn Controller, a: &Args, out: &mut Vec<String>) -> Outcome {
    import_leases(ctl, a, out, Family::V6)
}

pub fn leases_export4(ctl: &mut dyn Controller, a: &Args, out: &mut Vec<String>) -> Outcome {
    export_leases(ctl, a, out, Family::V4)
}

pub fn leases_import4(ctl: &mut dyn Controller, a: &Args, out: &mut Vec<String>) -> Outcome {
    import_leases(ctl, a, out, Family::V4)
}

/// Writes a family's leases to a Kea memfile CSV (lease6 or lease4).
fn export_leases(
    ctl: &mut dyn Controller,
    a: &Args,
    out: &mut Vec<String>,
    family: Family,
) -> Outcome {
    use crate::leases::kea_csv;
    let path = a.text("path").unwrap_or("");
    absolute("export", path)?;
    let config = ctl.config().cloned().unwrap_or_default();
    let now = ctl.now();
    let leases = ctl.shard().leases().map(|(_, l)| l);
    let subnet_of = |l: &crate::leases::LeaseView| config.subnet_id_of(l.resource, l.len);
    let (csv, n) = match family {
        Family::V6 => kea_csv::export(leases, subnet_of, now),
        Family::V4 => kea_csv::export4(leases, subnet_of, now),
    };
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, csv)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("{path}: {e}"))?;
    out.push(format!("{n} leases exported"));
    Ok(())
}

/// Adds the valid leases of a Kea memfile CSV (lease6 or lease4).
fn import_leases(
    ctl: &mut dyn Controller,
    a: &Args,
    out: &mut Vec<String>,
    family: Family,
) -> Outcome {
    use crate::leases::kea_csv;
    let path = a.text("path").unwrap_or("");
    absolute("import", path)?;
    let csv = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let read = match family {
        Family::V6 => kea_csv::import(&csv, ctl.now()),
        Family::V4 => kea_csv::import4(&csv, ctl.now()),
    };
    let (leases, _left_out) = read.map_err(|e| format!("{path}: {e}"))?;
    let shard = ctl.shard();
    let ok = leases.iter().filter(|l| shard.import_lease(l)).count();
    ctl.shard_changed();
    out.push(format!(
        "{ok} leases imported, {} refused (address held by another client)",
        leases.len() - ok
    ));
    Ok(())
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

pub fn show(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    let config = ctl.config().cloned().unwrap_or_default();
    let n = config.enabled_interfaces().count();
    out.push(format!("DHCPv6 server: {} enabled", plural(n, "interface")));
    out.push(match (config.server_duid(), config.server_duid_source()) {
        (Some(d), Some(DuidSource::Configured)) => {
            format!("  server DUID: {} (configured)", hex(d.as_bytes()))
        }
        (Some(d), Some(DuidSource::DerivedFrom(i))) => format!(
            "  server DUID: {} (DUID-LL of {})",
            hex(d.as_bytes()),
            ctl.interface_name(i)
        ),
        (Some(d), Some(DuidSource::LeaseFile)) => format!(
            "  server DUID: {} (derived in an earlier run, kept in the lease file)",
            hex(d.as_bytes())
        ),
        _ => "  server DUID: none yet (derived when an interface is enabled)".into(),
    });
    let dns = config.dns_servers();
    out.push(format!(
        "  dns-servers:{}",
        if dns.is_empty() { " none" } else { "" }
    ));
    out.extend(dns.iter().map(|a| format!("    {a}")));
    let domains = config.domain_search().join(" ");
    out.push(format!(
        "  domain-search: {}",
        if domains.is_empty() { "none" } else { &domains }
    ));
    out.extend(ctl.lease_store_lines());
    out.push(crate::views::limits(config.limits()));
    let (subscribers, dropped) = ctl.event_subscribers();
    out.push(format!(
        "  lease events: {}, {dropped} dropped (subscribers too slow)",
        plural(subscribers as usize, "subscriber")
    ));
    Ok(())
}

pub fn show_interfaces(ctl: &mut dyn Controller, a: &Args, out: &mut Vec<String>) -> Outcome {
    let config = ctl.config().cloned().unwrap_or_default();
    let only = a.interface("interface");
    for (i, s) in config.enabled_interfaces() {
        if only.is_some_and(|o| o != i) {
            continue;
        }
        let facts = ctl.interface_facts(i);
        let reply_from = facts
            .reply_from(s)
            .unwrap_or(std::net::Ipv6Addr::UNSPECIFIED);
        let how = |given: bool, default: &str| {
            if given {
                "configured".to_string()
            } else {
                format!("default: {default}")
            }
        };
        out.push(format!("{} (sw_if_index {i})", ctl.interface_name(i)));
        out.push(format!(
            "  reply-from {reply_from} ({})",
            how(s.reply_from.is_some(), "interface link-local")
        ));
        out.push(format!(
            "  link-address {} ({})",
            facts.link_address(s),
            how(s.link_address.is_some(), "first global address")
        ));
        let yes = |b: bool| if b { "yes" } else { "no" };
        out.push(format!(
            "  accept-multicast {}, accept-unicast {}",
            yes(s.accept_multicast),
            yes(s.accept_unicast)
        ));
        if let Some(a) = s.server_unicast {
            out.push(format!("  server-unicast {a}"));
        }
        if s.ra != RaMode::Unchanged {
            out.push(format!("  ra {}", s.ra.name()));
        }
    }
    Ok(())
}

pub fn show_links(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    if let Some(config) = ctl.config() {
        out.extend(crate::views::links(config));
    }
    Ok(())
}

pub fn show_leases(ctl: &mut dyn Controller, a: &Args, out: &mut Vec<String>) -> Outcome {
    show_family_leases(ctl, a, out, false)
}

fn show_family_leases(
    ctl: &mut dyn Controller,
    a: &Args,
    out: &mut Vec<String>,
    v4: bool,
) -> Outcome {
    let client = if v4 { "client" } else { "duid" };
    let duid = match a.text(client).map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(hex) => Some(Duid::parse_hex(hex).map_err(|e| format!("{client}: {e}"))?),
    };
    let filter = crate::views::LeaseFilter {
        duid,
        sw_if_index: a.interface("interface"),
        all: a.flag("all"),
        v4,
    };
    let now = ctl.now();
    out.extend(crate::views::leases(
        ctl.shard().leases().map(|(_, l)| l),
        &filter,
        now,
    ));
    Ok(())
}

pub fn show_reservations(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    match ctl.config() {
        Some(config) => out.extend(crate::views::reservations(config, Family::V6)),
        None => out.push("0 reservations".into()),
    }
    Ok(())
}

// ------------------------------------------------------------------ DHCPv4

pub fn enable4(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let sw_if_index = a.interface("interface").ok_or("interface name expected")?;
    ctl.set_interface4(sw_if_index, true)
}

pub fn disable4(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let sw_if_index = a.interface("interface").ok_or("interface name expected")?;
    ctl.set_interface4(sw_if_index, false)
}

fn subnet(a: &Args) -> Result<(std::net::Ipv4Addr, u8), String> {
    a.prefix4("subnet")
        .ok_or_else(|| "subnet expected, e.g. 192.0.2.0/24".into())
}

pub fn link4(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let (net, len) = subnet(a)?;
    if a.flag("del") {
        return configure(ctl, |c| c.remove_link4(net, len));
    }
    let params = crate::config::Link4Parameters {
        lease_time: a.number("lease-time"),
        t1: a.number("t1"),
        t2: a.number("t2"),
        rapid_commit: a.boolean("rapid-commit"),
        dhcp4o6_link: a.prefix6("dhcp4o6-link"),
        no_dhcp4o6_link: a.flag("no-dhcp4o6-link"),
        server_id: a.ip4("server-id"),
    };
    if params.no_dhcp4o6_link && params.dhcp4o6_link.is_some() {
        return Err("dhcp4o6-link and no-dhcp4o6-link: one or the other".into());
    }
    configure(ctl, |c| c.set_link4(net, len, &params))
}

pub fn pool4(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let (net, len) = subnet(a)?;
    match (a.range4("addresses"), a.flag("auto"), a.flag("del")) {
        (Some((first, last)), false, false) => {
            configure(ctl, |c| c.add_pool4(net, len, first, last, false))
        }
        (Some((first, last)), false, true) => {
            configure(ctl, |c| c.remove_pool4(net, len, first, last))
        }
        (None, true, false) => configure(ctl, |c| c.add_auto_pool4(net, len)),
        _ => Err(format!("usage: {}", a.command.usage())),
    }
}

/// Where `dhcp4-server option` sets an option.
fn option_scope4<'a>(a: &'a Args) -> Result<OptionScope<'a>, String> {
    match (a.prefix4("link"), a.text("reservation")) {
        (Some(_), Some(_)) => Err("an option is set for a link or a reservation, not both".into()),
        (Some((net, len)), None) => {
            let (prefix, plen) = crate::config::mapped_prefix(net, len);
            Ok(OptionScope::Link(prefix, plen))
        }
        (None, Some(id)) => Ok(OptionScope::Reservation(id)),
        (None, None) => Ok(OptionScope::Server4),
    }
}

pub fn option4(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let name = a.text("name").unwrap_or("");
    let scope = option_scope4(a)?;
    let code = match crate::options::named(Family::V4, name) {
        Some(n) => n.code,
        None => {
            return Err(OptionValue::named(Family::V4, name, "", false)
                .unwrap_err()
                .0)
        }
    };
    let value = match option_text(a) {
        Some(text) => {
            Some(OptionValue::named(Family::V4, name, text, a.flag("always")).map_err(|e| e.0)?)
        }
        None => None,
    };
    configure(ctl, |c| c.set_option(scope, code, value.clone()))
}

pub fn option_code4(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let code = a.number("code").unwrap_or(0) as u16;
    crate::options::check_code(Family::V4, code).map_err(|e| e.0)?;
    let scope = option_scope4(a)?;
    let format = a.text("type").unwrap_or("");
    let given = a.text("value").map(str::trim).filter(|v| !v.is_empty());
    let value = match (format, given) {
        ("none", None) | (_, Some("none")) => None,
        (_, Some(text)) => Some(
            OptionValue::by_code(Family::V4, code, format, text, a.flag("always"))
                .map_err(|e| e.0)?,
        ),
        (_, None) => {
            return Err(format!(
                "option code {code} {format}: a value expected (or none to remove it)"
            ))
        }
    };
    configure(ctl, |c| c.set_option(scope, code, value.clone()))
}

pub fn reservation_add4(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    let id = a.text("id").unwrap_or("");
    let address = a.ip4("address").map(|x| x.to_string()).unwrap_or_default();
    if crate::reservations::ReservationId::parse(id).is_ok_and(|i| i.family() != Family::V4) {
        return Err(format!(
            "{id}: not a DHCPv4 client id (hw-address:, client-id:, circuit-id:, agent-remote-id:)"
        ));
    }
    configure(ctl, |c| c.add_reservation(id, &address, ""))
}

fn load_reservations4(
    ctl: &mut dyn Controller,
    path: Option<&str>,
    out: &mut Vec<String>,
) -> Outcome {
    let n = ctl
        .configure(&mut |c| c.load_reservations_file(Family::V4, path))
        .map_err(text)?;
    out.push(format!("{n} reservations loaded"));
    Ok(())
}

pub fn reservations_load4(ctl: &mut dyn Controller, a: &Args, out: &mut Vec<String>) -> Outcome {
    load_reservations4(ctl, a.text("path"), out)
}

pub fn reservations_reload4(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    load_reservations4(ctl, None, out)
}

pub fn show4(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    let config = ctl.config().cloned().unwrap_or_default();
    let enabled: Vec<String> = config
        .enabled_interfaces4()
        .map(|i| ctl.interface_name(i))
        .collect();
    out.push(format!(
        "DHCPv4 server: {}{}",
        plural(enabled.len(), "interface"),
        if enabled.is_empty() {
            " enabled".to_string()
        } else {
            format!(" enabled ({})", enabled.join(", "))
        }
    ));
    out.extend(crate::views::links4(&config));
    Ok(())
}

pub fn show_leases4(ctl: &mut dyn Controller, a: &Args, out: &mut Vec<String>) -> Outcome {
    show_family_leases(ctl, a, out, true)
}

pub fn show_reservations4(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    match ctl.config() {
        Some(config) => out.extend(crate::views::reservations(config, Family::V4)),
        None => out.push("0 reservations".into()),
    }
    Ok(())
}

pub fn looking_glass(ctl: &mut dyn Controller, a: &Args, _: &mut Vec<String>) -> Outcome {
    use crate::looking_glass::{Settings, Transactions};
    if a.flag("off") {
        return configure(ctl, |c| c.set_looking_glass(None));
    }
    let current = ctl.config().and_then(|c| c.looking_glass()).cloned();
    let mut s = match (current, a.text("brokers")) {
        (Some(s), Some(b)) => Settings {
            brokers: b.to_string(),
            ..s
        },
        (None, Some(b)) => Settings::new(b),
        (Some(s), None) => s,
        (None, None) => return Err("looking-glass: brokers <host:port,...> first".into()),
    };
    if let Some(t) = a.text("topic") {
        s.topic = t.to_string();
    }
    if let Some(t) = a.text("lease-topic") {
        s.lease_topic = (t != "none").then(|| t.to_string());
    }
    if let Some(n) = a.text("server-name") {
        s.server_name = Some(n.to_string());
    }
    if let Some(w) = a.text("transactions") {
        s.transactions = Transactions::from_word(w).ok_or_else(|| {
            format!(
                "transactions {w:?}: one of {}",
                Transactions::WORDS.join(", ")
            )
        })?;
    }
    if let Some(q) = a.number("queue") {
        s.queue = q;
    }
    configure(ctl, |c| c.set_looking_glass(Some(s.clone())))
}

pub fn show_looking_glass(ctl: &mut dyn Controller, _: &Args, out: &mut Vec<String>) -> Outcome {
    let settings = ctl.config().and_then(|c| c.looking_glass()).cloned();
    out.extend(ctl.looking_glass_status().lines(settings.as_ref()));
    Ok(())
}
