//! Relay-forward messages nested to any depth: `unwrap_relays` (the chain
//! it keeps, at most MAX_RELAY_DEPTH = 32 levels, the relay ids it takes,
//! the client message inside), the Relay-reply envelopes written back
//! (`relay_overhead`, `wrap_in_relay_replies`), and a relayed message
//! through the whole per-packet path, whose Relay-reply must mirror the
//! chain level by level.
//!
//! Input: either a raw UDP payload, or, when it starts with 0xff, a recipe
//! that builds a well-formed chain of any depth (0-40) around a fuzzed
//! inner message, so every depth is reached at once:
//!   0xff, depth, then per level: flags, hop count, [interface-id length,
//!   bytes], [remote-id, subscriber-id, link-layer bytes]; then the
//!   inner message (or, with flag 0x80 on the first level, a Solicit
//!   built around the remaining bytes as client DUID).

#![no_main]

use std::cell::RefCell;

use dhcp6_fuzz::{
    check_relay_replies, ia_na, ia_pd, ip, message, opt, relay_depth, serve_and_check, unwrap,
    Bytes, FuzzServer, Wrapping, CLIENT_MAC, IF_MAIN, IF_NO_UNICAST, MAX_RELAY_DEPTH,
};
use dhcp6_server_plugin::counters::Counter;
use dhcp6_server_plugin::server::reply::{relay_overhead, wrap_in_relay_replies};
use dhcp6_server_plugin::server::Verdict;
use dhcp6_server_plugin::wire::dhcpv6::{option_code, MessageType, RelayMessage};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static SERVER: RefCell<FuzzServer> = RefCell::new(FuzzServer::new());
}

const LINKS: [&str; 5] = [
    "::",
    "2001:db8:2::1",
    "2001:db8:1::1",
    "2001:db8:3:5::1",
    "2001:db8:9999::1",
];

/// Builds the chain described by the recipe.
fn build(data: &[u8]) -> Vec<u8> {
    let mut b = Bytes::new(data);
    let depth = usize::from(b.u8()) % 41;
    let mut levels = Vec::new();
    let mut solicit = false;
    for level in 0..depth {
        let flags = b.u8();
        if level == 0 {
            solicit = flags & 0x80 != 0;
        }
        let hop = b.u8();
        let mut opts = Vec::new();
        if flags & 0x01 != 0 {
            let n = usize::from(b.u8());
            opts.push(opt(option_code::INTERFACE_ID, b.take(n)));
        }
        if flags & 0x02 != 0 {
            let n = usize::from(b.u8() & 0x1f);
            let mut body = 9u32.to_be_bytes().to_vec();
            body.extend_from_slice(b.take(n));
            opts.push(opt(option_code::REMOTE_ID, &body));
        }
        if flags & 0x04 != 0 {
            let n = usize::from(b.u8() & 0x1f);
            opts.push(opt(option_code::SUBSCRIBER_ID, b.take(n)));
        }
        if flags & 0x08 != 0 {
            let mut body = vec![0, 1];
            body.extend_from_slice(&CLIENT_MAC);
            opts.push(opt(option_code::CLIENT_LINKLAYER_ADDR, &body));
        }
        // Relay-msg before the other options, or after them.
        let msg_first = flags & 0x10 != 0;
        let link = LINKS[usize::from(flags >> 5) % LINKS.len()];
        levels.push((hop, link, opts, msg_first));
    }
    let mut inner = if solicit {
        let d = b.rest();
        let mut duid = vec![0, 4];
        duid.extend_from_slice(&d[..d.len().min(100)]);
        message(
            MessageType::Solicit as u8,
            &[
                opt(option_code::CLIENT_ID, &duid),
                ia_na(1, &[]),
                ia_pd(2, &[]),
            ],
        )
    } else {
        b.rest().to_vec()
    };
    // Innermost relay first.
    for (i, (hop, link, opts, msg_first)) in levels.into_iter().enumerate().rev() {
        let mut m = vec![MessageType::RelayForward as u8, hop];
        m.extend_from_slice(&ip(link).octets());
        m.extend_from_slice(&ip(&format!("fe80::{:x}", i + 1)).octets());
        let relay_msg = opt(option_code::RELAY_MSG, &inner);
        if msg_first {
            m.extend(relay_msg);
        }
        for o in opts {
            m.extend(o);
        }
        if !msg_first {
            m.extend(opt(option_code::RELAY_MSG, &inner));
        }
        inner = m;
    }
    inner
}

fuzz_target!(|data: &[u8]| {
    let owned;
    let payload = if data.first() == Some(&0xff) {
        owned = build(&data[1..]);
        &owned[..]
    } else {
        data
    };
    let depth = relay_depth(payload);

    match unwrap(payload) {
        Ok((chain, ids, inner)) => {
            assert_eq!(chain.len(), depth, "levels unwrapped");
            assert!(chain.len() <= MAX_RELAY_DEPTH);
            assert_ne!(inner.first(), Some(&(MessageType::RelayForward as u8)));
            // The inner message is a part of the payload, at its end or
            // inside the last Relay-msg.
            let (p, i) = (payload.as_ptr() as usize, inner.as_ptr() as usize);
            assert!(i >= p && i + inner.len() <= p + payload.len() || inner.is_empty());
            if chain.is_empty() {
                assert_eq!(inner, payload);
            }
            // Each level as the crate's relay parser sees it.
            let mut at = payload;
            for (n, level) in chain.iter().enumerate() {
                let r = RelayMessage::parse(at).unwrap();
                assert_eq!(r.hop_count(), level.hop_count, "level {n}");
                assert_eq!(r.link_address(), level.link_address);
                assert_eq!(r.peer_address(), level.peer_address);
                let last_id = r
                    .options()
                    .filter(|o| o.code == option_code::INTERFACE_ID)
                    .last();
                assert_eq!(level.interface_id.as_deref(), last_id.map(|o| o.data));
                at = r
                    .options()
                    .filter(|o| o.code == option_code::RELAY_MSG)
                    .last()
                    .unwrap()
                    .data;
            }
            assert_eq!(at, inner);
            // Relay ids come from the level closest to the client that has them.
            for (code, got) in [
                (option_code::REMOTE_ID, ids.remote_id.as_deref()),
                (option_code::SUBSCRIBER_ID, ids.subscriber_id.as_deref()),
            ] {
                let mut want = None;
                let mut at = payload;
                for _ in 0..chain.len() {
                    let r = RelayMessage::parse(at).unwrap();
                    if let Some(o) = r.options().filter(|o| o.code == code).last() {
                        want = (o.data.len() <= 128).then_some(o.data);
                    }
                    at = r
                        .options()
                        .filter(|o| o.code == option_code::RELAY_MSG)
                        .last()
                        .unwrap()
                        .data;
                }
                assert_eq!(got, want, "relay id {code}");
            }

            // Relay-reply envelopes around a reply of any length, read back.
            let reply_len = inner.len();
            let overhead = relay_overhead(&chain);
            let mut out = vec![0u8; overhead + reply_len];
            out[overhead..].copy_from_slice(inner);
            if overhead + reply_len <= usize::from(u16::MAX) {
                let total = wrap_in_relay_replies(&mut out, &chain, reply_len);
                assert_eq!(total, overhead + reply_len);
                let back = check_relay_replies(&out[..total], &chain);
                assert_eq!(back, inner, "the reply inside the envelopes");
            }
        }
        Err(Counter::RelayTooDeep) => {
            assert!(depth > MAX_RELAY_DEPTH, "too deep at {depth} levels");
        }
        Err(Counter::RelayWithoutMessage | Counter::Truncated | Counter::OptionOverrun) => {
            assert!(depth <= MAX_RELAY_DEPTH, "{depth} levels");
        }
        // An Interface-ID longer than the server echoes back.
        Err(Counter::BadOptionLength) => {}
        Err(c) => panic!("unwrap_relays: unexpected {c:?}"),
    }

    // Through the whole path: from a relay, unicast and to the multicast
    // group, on an interface that takes unicast and on one that does not.
    SERVER.with(|s| {
        let mut server = s.borrow_mut();
        let c = data.len() as u8;
        server.advance(u64::from(c & 7) * 250);
        let w = Wrapping {
            src: ip("2001:db8:ffff::1"),
            dst: if c & 8 != 0 {
                ip("ff05::1:3")
            } else {
                ip("2001:db8:1::1")
            },
            src_mac: [2, 0, 0, 0, 0xee, 1],
            src_port: 547,
            sw_if_index: if c & 0x30 == 0x30 {
                IF_NO_UNICAST
            } else {
                IF_MAIN
            },
            vlan: c & 0x40 != 0,
            bad_checksum: false,
            slack: None,
        };
        let v = serve_and_check(&mut server, payload, &w);
        if depth > MAX_RELAY_DEPTH && matches!(v, Verdict::Reply { .. } | Verdict::Routed { .. }) {
            panic!("answered a message relayed {depth} times");
        }
    });
});
