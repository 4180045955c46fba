//! Building reply options: IAs with their addresses or prefixes and status
//! codes, and the Relay-reply envelopes around a relayed reply.

use arrayvec::ArrayVec;

use crate::counters::Counter;
use crate::server::request::{IaType, RelayLevel};
use crate::wire::dhcpv6::{
    option_code, MessageType, MessageWriter, NoRoom, StatusCode, OPTION_HEADER_LEN,
    RELAY_HEADER_LEN,
};

impl From<NoRoom> for Counter {
    fn from(_: NoRoom) -> Self {
        Counter::NoRoom
    }
}

/// One address or prefix in an IA of the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IaResource {
    pub resource: u128,
    pub len: u8,
    pub preferred: u32,
    pub valid: u32,
}

/// Status Code option body: code and its message.
fn status_body(code: StatusCode) -> ArrayVec<u8, 64> {
    let mut body = ArrayVec::new();
    body.extend((code as u16).to_be_bytes());
    let text = code.message().as_bytes();
    let _ = body.try_extend_from_slice(&text[..text.len().min(62)]);
    body
}

pub fn write_status(w: &mut MessageWriter<'_>, code: StatusCode) -> Result<(), NoRoom> {
    w.option(option_code::STATUS_CODE, &[&status_body(code)])
}

/// Writes an IA_NA, IA_TA or IA_PD with its resources and optional status.
pub fn write_ia(
    w: &mut MessageWriter<'_>,
    ty: IaType,
    iaid: u32,
    timers: (u32, u32),
    resources: &[IaResource],
    status: Option<StatusCode>,
) -> Result<(), NoRoom> {
    // Sub-options first, on the stack (an IA of ours stays small).
    let mut sub: ArrayVec<u8, 512> = ArrayVec::new();
    let mut put = |code: u16, parts: &[&[u8]]| -> Result<(), NoRoom> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        sub.try_extend_from_slice(&code.to_be_bytes())
            .map_err(|_| NoRoom)?;
        sub.try_extend_from_slice(&(len as u16).to_be_bytes())
            .map_err(|_| NoRoom)?;
        for p in parts {
            sub.try_extend_from_slice(p).map_err(|_| NoRoom)?;
        }
        Ok(())
    };
    for r in resources {
        let addr = r.resource.to_be_bytes();
        match ty {
            IaType::Na | IaType::Ta => put(
                option_code::IA_ADDR,
                &[&addr, &r.preferred.to_be_bytes(), &r.valid.to_be_bytes()],
            )?,
            IaType::Pd => put(
                option_code::IA_PREFIX,
                &[
                    &r.preferred.to_be_bytes(),
                    &r.valid.to_be_bytes(),
                    &[r.len],
                    &addr,
                ],
            )?,
        }
    }
    if let Some(code) = status {
        put(option_code::STATUS_CODE, &[&status_body(code)])?;
    }
    let code = match ty {
        IaType::Na => option_code::IA_NA,
        IaType::Ta => option_code::IA_TA,
        IaType::Pd => option_code::IA_PD,
    };
    if ty == IaType::Ta {
        w.option(code, &[&iaid.to_be_bytes(), &sub])
    } else {
        w.option(
            code,
            &[
                &iaid.to_be_bytes(),
                &timers.0.to_be_bytes(),
                &timers.1.to_be_bytes(),
                &sub,
            ],
        )
    }
}

/// Bytes each Relay-reply level adds in front of the message it carries.
fn level_overhead(level: &RelayLevel) -> usize {
    RELAY_HEADER_LEN
        + level
            .interface_id
            .as_ref()
            .map_or(0, |id| OPTION_HEADER_LEN + id.len())
        + OPTION_HEADER_LEN
}

/// Room to leave in front of the inner reply for the relay envelopes.
pub fn relay_overhead(chain: &[RelayLevel]) -> usize {
    chain.iter().map(level_overhead).sum()
}

/// Writes the Relay-reply envelopes (outermost first) in front of an inner
/// message of `inner_len` bytes that starts `relay_overhead(chain)` bytes
/// into `out`. Returns the total length.
pub fn wrap_in_relay_replies(out: &mut [u8], chain: &[RelayLevel], inner_len: usize) -> usize {
    let total = relay_overhead(chain) + inner_len;
    let mut at = 0;
    let mut remaining = total;
    for level in chain {
        let overhead = level_overhead(level);
        let h = &mut out[at..at + RELAY_HEADER_LEN];
        h[0] = MessageType::RelayReply as u8;
        h[1] = level.hop_count;
        h[2..18].copy_from_slice(&level.link_address);
        h[18..34].copy_from_slice(&level.peer_address);
        let mut o = at + RELAY_HEADER_LEN;
        if let Some(id) = &level.interface_id {
            out[o..o + 2].copy_from_slice(&option_code::INTERFACE_ID.to_be_bytes());
            out[o + 2..o + 4].copy_from_slice(&(id.len() as u16).to_be_bytes());
            out[o + 4..o + 4 + id.len()].copy_from_slice(id);
            o += OPTION_HEADER_LEN + id.len();
        }
        let carried = remaining - overhead;
        out[o..o + 2].copy_from_slice(&option_code::RELAY_MSG.to_be_bytes());
        out[o + 2..o + 4].copy_from_slice(&(carried as u16).to_be_bytes());
        at += overhead;
        remaining = carried;
    }
    total
}
