//! Building reply options: IAs with their addresses or prefixes and status
//! codes, and the Relay-reply envelopes around a relayed reply.

use arrayvec::ArrayVec;

use crate::counters::Counter;
use crate::server::request::{IaType, RelayLevel};
use crate::wire::dhcpv6::{
    option_code, status_body, write_option_header, write_relay_header, Ia, IaAddress, IaPrefix,
    MessageWriter, NoRoom, StatusCode, OPTION_HEADER_LEN, RELAY_HEADER_LEN,
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
    /// A delegated prefix's excluded prefix (RFC 6603), when to be sent.
    pub exclude: Option<(u128, u8)>,
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
    let mut put = |code: u16, body: &[u8]| -> Result<(), NoRoom> {
        let mut header = [0u8; OPTION_HEADER_LEN];
        write_option_header(&mut header, code, body.len() as u16);
        sub.try_extend_from_slice(&header).map_err(|_| NoRoom)?;
        sub.try_extend_from_slice(body).map_err(|_| NoRoom)
    };
    for r in resources {
        match ty {
            IaType::Na | IaType::Ta => put(
                option_code::IA_ADDR,
                &IaAddress::body(r.resource, r.preferred, r.valid),
            )?,
            IaType::Pd => {
                let mut body: ArrayVec<u8, 64> = ArrayVec::new();
                body.try_extend_from_slice(&IaPrefix::body(
                    r.resource,
                    r.len,
                    r.preferred,
                    r.valid,
                ))
                .map_err(|_| NoRoom)?;
                if let Some((excluded, excluded_len)) = r.exclude {
                    let ex = crate::wire::dhcpv6::pd_exclude_body(r.len, excluded, excluded_len);
                    let mut header = [0u8; OPTION_HEADER_LEN];
                    write_option_header(&mut header, option_code::PD_EXCLUDE, ex.len() as u16);
                    body.try_extend_from_slice(&header).map_err(|_| NoRoom)?;
                    body.try_extend_from_slice(&ex).map_err(|_| NoRoom)?;
                }
                put(option_code::IA_PREFIX, &body)?
            }
        }
    }
    if let Some(code) = status {
        put(option_code::STATUS_CODE, &status_body(code))?;
    }
    let header = Ia::header(iaid, timers.0, timers.1);
    // An IA_TA's fixed part is its IAID alone.
    let fixed = if ty == IaType::Ta {
        &header[..4]
    } else {
        &header[..]
    };
    w.option(ty.code(), &[fixed, &sub])
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
        write_relay_header(
            &mut out[at..],
            level.hop_count,
            &level.link_address,
            &level.peer_address,
        );
        let mut o = at + RELAY_HEADER_LEN;
        if let Some(id) = &level.interface_id {
            write_option_header(&mut out[o..], option_code::INTERFACE_ID, id.len() as u16);
            out[o + OPTION_HEADER_LEN..o + OPTION_HEADER_LEN + id.len()].copy_from_slice(id);
            o += OPTION_HEADER_LEN + id.len();
        }
        let carried = remaining - overhead;
        write_option_header(&mut out[o..], option_code::RELAY_MSG, carried as u16);
        at += overhead;
        remaining = carried;
    }
    total
}
