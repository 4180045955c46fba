//! The DHCPv6 message and option parser: `Message::parse`, the option
//! walk, every accessor, the IA_NA/IA_TA/IA_PD bodies with their IA Address,
//! IA Prefix and Status Code sub-options, and the server's own reading of a
//! client message (`read_client_message`), cross-checked against a plain
//! walk of the same bytes. The option writer is checked to write back what
//! was read.
//!
//! Input: a DHCPv6 message (the UDP payload), as on the wire.

#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use dhcp6_fuzz::{read_request, FuzzServer};
use dhcp6_server_plugin::config::ServerConfig;
use dhcp6_server_plugin::duid::{Duid, MAX_DUID_LEN, MIN_DUID_LEN};
use dhcp6_server_plugin::options::OptionKind;
use dhcp6_server_plugin::server::request::{IaType, ServerIdCheck, MAX_IAS, MAX_IA_RESOURCES};
use dhcp6_server_plugin::server::PacketSummary;
use dhcp6_server_plugin::wire::dhcpv6::{
    option_code, Message, MessageType, MessageWriter, Options, RawOption, RelayMessage, WireError,
    MESSAGE_HEADER_LEN, OPTION_HEADER_LEN,
};
use libfuzzer_sys::fuzz_target;

fn config() -> &'static ServerConfig {
    static CONFIG: OnceLock<ServerConfig> = OnceLock::new();
    CONFIG.get_or_init(|| FuzzServer::new().config)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// An independent walk of an option area: Some(options) when every header
/// and body is complete.
fn walk(area: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = area;
    while !rest.is_empty() {
        if rest.len() < 4 {
            return None;
        }
        let code = u16::from_be_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        if rest.len() < 4 + len {
            return None;
        }
        out.push((code, &rest[4..4 + len]));
        rest = &rest[4 + len..];
    }
    Some(out)
}

/// Checks `Options::checked` against the plain walk; returns the options.
fn options_of(area: &[u8]) -> Option<Vec<RawOption<'_>>> {
    let reference = walk(area);
    match Options::checked(area) {
        Ok(opts) => {
            let got: Vec<RawOption<'_>> = opts.collect();
            let reference = reference.expect("Options::checked accepted an overrunning area");
            assert_eq!(got.len(), reference.len());
            for (g, (code, data)) in got.iter().zip(&reference) {
                assert_eq!(g.code, *code);
                assert_eq!(g.data, *data);
            }
            let total: usize = got.iter().map(|o| OPTION_HEADER_LEN + o.data.len()).sum();
            assert_eq!(total, area.len(), "options do not cover the area");
            Some(got)
        }
        Err(e) => {
            assert_eq!(e, WireError::OptionOverrun);
            assert!(
                reference.is_none(),
                "Options::checked refused a well-formed area"
            );
            None
        }
    }
}

/// An IA as the reference reading keeps it: type, IAID, resources.
type ReferenceIa = (IaType, u32, Vec<(u128, u8)>);

/// What a well-formed IA body holds, or None if the server must refuse it.
/// (IAID, resources in order, all of them.)
fn read_ia_reference(ty: IaType, data: &[u8]) -> Option<(u32, Vec<(u128, u8)>)> {
    let fixed = if ty == IaType::Ta { 4 } else { 12 };
    if data.len() < fixed {
        return None;
    }
    let mut resources = Vec::new();
    for sub in options_of(&data[fixed..])? {
        match (ty, sub.code) {
            (IaType::Na | IaType::Ta, option_code::IA_ADDR) => {
                if sub.data.len() < 24 {
                    return None;
                }
                options_of(&sub.data[24..])?;
                let addr = u128::from_be_bytes(sub.data[..16].try_into().unwrap());
                // preferred and valid lifetimes: read, not judged
                let _ = (be32(&sub.data[16..]), be32(&sub.data[20..]));
                resources.push((addr, 128));
            }
            (IaType::Pd, option_code::IA_PREFIX) => {
                if sub.data.len() < 25 || sub.data[8] > 128 {
                    return None;
                }
                options_of(&sub.data[25..])?;
                let prefix = u128::from_be_bytes(sub.data[9..25].try_into().unwrap());
                resources.push((prefix, sub.data[8]));
            }
            // Not read by the server, but walk it as a client would.
            (_, option_code::STATUS_CODE) if sub.data.len() >= 2 => {
                let _ = u16::from_be_bytes([sub.data[0], sub.data[1]]);
                let _ = std::str::from_utf8(&sub.data[2..]);
            }
            _ => {}
        }
    }
    Some((be32(data), resources))
}

fuzz_target!(|data: &[u8]| {
    // The relay view of the same bytes: total, whatever they hold.
    if let Ok(r) = RelayMessage::parse(data) {
        let _ = (r.hop_count(), r.link_address(), r.peer_address());
        assert_eq!(r.options().count(), options_of(&data[34..]).unwrap().len());
    }

    let message = match Message::parse(data) {
        Ok(m) => m,
        Err(WireError::Truncated) => {
            assert!(data.len() < MESSAGE_HEADER_LEN);
            return;
        }
        Err(WireError::OptionOverrun) => {
            assert!(options_of(&data[MESSAGE_HEADER_LEN..]).is_none());
            return;
        }
        // Only option bodies are read against a fixed part, never here.
        Err(WireError::BadLength) => panic!("Message::parse read an option body"),
    };
    assert_eq!(message.msg_type(), data[0]);
    assert_eq!(message.transaction_id(), [data[1], data[2], data[3]]);
    let opts = options_of(&data[MESSAGE_HEADER_LEN..]).expect("parsed but overruns");
    assert_eq!(message.options().count(), opts.len());
    let msg_type = MessageType::from_u8(data[0]);
    if let Some(t) = msg_type {
        assert_eq!(t as u8, data[0]);
        assert!(!t.name().is_empty() && t.name_nul().ends_with('\0'));
    }

    // The writer writes back what was read, or refuses cleanly for lack of
    // room (room taken from the message itself).
    let room = usize::from(data[1]) * 4 + usize::from(data[2] & 3);
    let mut buf = vec![0u8; room];
    if let Ok(mut w) = MessageWriter::new(
        &mut buf,
        msg_type.unwrap_or(MessageType::Solicit),
        message.transaction_id(),
    ) {
        let mut fits = true;
        for o in &opts {
            let before = w.len();
            // Split the body in two parts to use the multi-part path.
            let cut = o.data.len() / 2;
            match w.option(o.code, &[&o.data[..cut], &o.data[cut..]]) {
                Ok(()) => assert_eq!(w.len(), before + OPTION_HEADER_LEN + o.data.len()),
                Err(_) => {
                    assert_eq!(w.len(), before, "a refused option changed the message");
                    assert!(before + OPTION_HEADER_LEN + o.data.len() > room);
                    fits = false;
                    break;
                }
            }
        }
        let len = w.len();
        if fits {
            assert_eq!(len, data.len());
            assert_eq!(&buf[1..len], &data[1..], "written back differently");
        } else {
            let again = Message::parse(&buf[..len]).expect("a partial message we wrote");
            assert!(again.options().count() < opts.len());
        }
    }

    // The reference reading of what the server keeps.
    let mut client_id: Option<&[u8]> = None;
    let mut client_id_ok = true;
    let mut ias: Vec<ReferenceIa> = Vec::new();
    let mut refused = false;
    let mut oro: Option<Vec<u16>> = None;
    let mut rapid = false;
    for o in &opts {
        match o.code {
            option_code::CLIENT_ID => {
                if client_id.is_some() || !(MIN_DUID_LEN..=MAX_DUID_LEN).contains(&o.data.len()) {
                    client_id_ok = false;
                } else {
                    client_id = Some(o.data);
                    let d = Duid::from_bytes(o.data).expect("a DUID the reader takes");
                    assert_eq!(d.as_bytes(), o.data);
                }
            }
            option_code::IA_NA | option_code::IA_TA | option_code::IA_PD => {
                let ty = match o.code {
                    option_code::IA_NA => IaType::Na,
                    option_code::IA_TA => IaType::Ta,
                    _ => IaType::Pd,
                };
                match read_ia_reference(ty, o.data) {
                    Some((iaid, res)) => {
                        if !ias.iter().any(|(t, i, _)| *t == ty && *i == iaid) {
                            ias.push((ty, iaid, res));
                        }
                    }
                    None => refused = true,
                }
            }
            option_code::ORO => {
                if o.data.len() % 2 == 0 && oro.is_none() {
                    oro = Some(
                        o.data
                            .chunks_exact(2)
                            .map(|c| u16::from_be_bytes([c[0], c[1]]))
                            .collect(),
                    );
                } else {
                    refused = true;
                }
            }
            option_code::RAPID_COMMIT => rapid = true,
            _ => {}
        }
    }

    // The rest of what the reader refuses: a bad or repeated Server-ID, an
    // Elapsed Time of the wrong length, too many IAs.
    let server_ids: Vec<_> = opts
        .iter()
        .filter(|o| o.code == option_code::SERVER_ID)
        .collect();
    let bad_server_id = server_ids.len() > 1
        || server_ids
            .iter()
            .any(|o| !(MIN_DUID_LEN..=MAX_DUID_LEN).contains(&o.data.len()));
    let bad_elapsed = opts
        .iter()
        .any(|o| o.code == option_code::ELAPSED_TIME && o.data.len() != 2);
    let expect_refusal =
        !client_id_ok || refused || ias.len() > MAX_IAS || bad_server_id || bad_elapsed;

    let mut summary = PacketSummary::default();
    let t = msg_type.unwrap_or(MessageType::Solicit);
    match read_request(config(), &message, t, &mut summary) {
        Ok(m) => {
            assert!(!expect_refusal, "took a message the reference refuses: {client_id_ok} {refused} {} {bad_server_id} {bad_elapsed}", ias.len());
            assert_eq!(m.msg_type, t);
            assert_eq!(m.transaction_id, message.transaction_id());
            assert_eq!(m.client_id.as_deref(), client_id);
            if let Some(id) = client_id {
                assert_eq!(usize::from(summary.client_duid_len), id.len());
                let kept = id.len().min(summary.client_duid.len());
                assert_eq!(&summary.client_duid[..kept], &id[..kept]);
            }
            assert_eq!(m.rapid_commit, rapid);
            assert_eq!(m.requested.present, oro.is_some());
            for kind in OptionKind::ALL {
                let want = match &oro {
                    Some(codes) => codes.contains(&kind.code()),
                    None => kind.sent_without_oro(),
                };
                assert_eq!(m.requested.wants(kind), want, "{kind:?} wanted");
            }
            let ours = config().server_duid().map(|d| d.as_bytes());
            let expected_sid = match server_ids.first() {
                None => ServerIdCheck::Absent,
                Some(o) if Some(o.data) == ours => ServerIdCheck::Ours,
                Some(_) => ServerIdCheck::Other,
            };
            assert_eq!(m.server_id, expected_sid);
            assert!(m.ias.len() <= MAX_IAS);
            assert_eq!(m.ias.len(), ias.len(), "IAs kept");
            let mut seen = HashSet::new();
            for (got, (ty, iaid, res)) in m.ias.iter().zip(&ias) {
                assert!(seen.insert((got.ty as u8, got.iaid)));
                assert_eq!((got.ty, got.iaid), (*ty, *iaid));
                let kept = res.len().min(MAX_IA_RESOURCES);
                assert_eq!(&got.resources[..], &res[..kept]);
                assert!(got.resources.iter().all(|&(_, len)| len <= 128));
            }
        }
        Err(c) => {
            assert!(
                expect_refusal,
                "refused ({c:?}) a message the reference takes"
            );
        }
    }
});
