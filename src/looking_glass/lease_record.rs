//! The lease stream: one record per lease change, keyed by the resource
//! as `show dhcp6-server leases` writes it (`2001:db8:1::1:0/128`,
//! `2001:db8:100::/56`, `192.0.2.100/32`), its value one line of JSON:
//!
//! `{"state":"bound","type":"IA_NA","resource":"2001:db8:1::1:0/128",
//! "client":"000300010a0b0c0d0e0f","iaid":1,"valid_until":1764000000,
//! "sw_if_index":1,"server":"vpp1.example","time":1764000000.25}`
//!
//! `state` is bound, renewed, released, expired (also the end of a
//! decline's hold), declined or deleted (by the operator); `client` the
//! DUID in hex (DHCPv4: the client key, hardware type and address or the
//! Client Identifier); `valid_until` Unix seconds. The last record of a key
//! is the resource's state: a compacted topic read from the start gives the
//! lease table (bound, renewed and declined resources are held).

use core::fmt::Write;

use crate::leases::{pool, LeaseEvent, LeaseEventKind, ResourceKind};

/// The resource as the lease table names it.
pub fn key(e: &LeaseEvent) -> String {
    let addr = match e.ia {
        ResourceKind::Ipv4 => pool::ipv4_of(e.resource).to_string(),
        _ => core::net::Ipv6Addr::from(e.resource.to_be_bytes()).to_string(),
    };
    format!("{addr}/{}", e.len)
}

pub fn state(kind: LeaseEventKind) -> &'static str {
    match kind {
        LeaseEventKind::Bound => "bound",
        LeaseEventKind::Renewed => "renewed",
        LeaseEventKind::Released => "released",
        LeaseEventKind::Expired => "expired",
        LeaseEventKind::Declined => "declined",
        LeaseEventKind::Deleted => "deleted",
    }
}

/// The record's value.
pub fn value(e: &LeaseEvent, server_name: &str, time: f64) -> String {
    let kind = match e.ia {
        ResourceKind::Na => "IA_NA",
        ResourceKind::Pd => "IA_PD",
        ResourceKind::Ipv4 => "IPv4",
    };
    let mut client = String::with_capacity(2 * usize::from(e.duid_len));
    for b in &e.duid[..usize::from(e.duid_len).min(e.duid.len())] {
        let _ = write!(client, "{b:02x}");
    }
    format!(
        "{{\"state\":\"{}\",\"type\":\"{kind}\",\"resource\":\"{}\",\"client\":\"{client}\",\
         \"iaid\":{},\"valid_until\":{},\"sw_if_index\":{},\"server\":{},\"time\":{time:.3}}}",
        state(e.kind),
        key(e),
        e.iaid,
        e.valid_until,
        e.sw_if_index,
        json_string(server_name),
    )
}

/// `s` as a JSON string.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: LeaseEventKind, ia: ResourceKind, resource: u128, len: u8) -> LeaseEvent {
        let mut duid = [0; crate::duid::MAX_DUID_LEN];
        duid[..4].copy_from_slice(&[0, 3, 0, 1]);
        LeaseEvent {
            kind,
            ia,
            resource,
            len,
            iaid: 7,
            duid_len: 4,
            duid,
            valid_until: 1_764_000_000,
            sw_if_index: 2,
        }
    }

    #[test]
    fn a_lease_change_is_keyed_by_its_resource_with_a_json_value() {
        let e = event(
            LeaseEventKind::Bound,
            ResourceKind::Pd,
            0x2001_0db8_0100_0000_0000_0000_0000_0000,
            56,
        );
        assert_eq!(key(&e), "2001:db8:100::/56");
        assert_eq!(
            value(&e, "vpp\"1", 1.5),
            "{\"state\":\"bound\",\"type\":\"IA_PD\",\"resource\":\"2001:db8:100::/56\",\
             \"client\":\"00030001\",\"iaid\":7,\"valid_until\":1764000000,\"sw_if_index\":2,\
             \"server\":\"vpp\\\"1\",\"time\":1.500}"
        );
        let v4 = event(
            LeaseEventKind::Expired,
            ResourceKind::Ipv4,
            pool::ipv4_resource("192.0.2.9".parse().unwrap()),
            32,
        );
        assert_eq!(key(&v4), "192.0.2.9/32");
        assert!(value(&v4, "s", 0.0).starts_with("{\"state\":\"expired\",\"type\":\"IPv4\""));
    }
}
