//! What the server keeps of a request: the relay chain around it and the
//! client message's fields, copied to the stack (bounded) so the reply can
//! then be written over the request's bytes.

use arrayvec::ArrayVec;

use crate::config::ServerConfig;
use crate::counters::Counter;
use crate::duid::{MAX_DUID_LEN, MIN_DUID_LEN};
use crate::leases::ResourceKind;
use crate::options::Send;
use crate::server::PacketSummary;
use crate::wire::dhcpv6::{
    option_code, Ia, IaAddress, IaOption, IaPrefix, Message, MessageType, RelayMessage,
};

/// IA options handled per message; more is refused (too_many_ias).
pub const MAX_IAS: usize = 8;
/// Addresses or prefixes read per IA (further ones are ignored).
pub const MAX_IA_RESOURCES: usize = 4;
/// Longest Interface-ID echoed back to a relay.
pub const MAX_INTERFACE_ID: usize = 128;

/// The kind of IA option (the wire's own name for it).
pub type IaType = IaOption;

impl IaOption {
    /// The lease kind the IA asks for (IA_TA: none, temporary addresses are
    /// not given).
    pub fn kind(self) -> Option<ResourceKind> {
        match self {
            IaType::Na => Some(ResourceKind::Na),
            IaType::Pd => Some(ResourceKind::Pd),
            IaType::Ta => None,
        }
    }
}

/// One IA of the request and the addresses or prefixes it names.
#[derive(Debug, Clone)]
pub struct IaRequest {
    pub ty: IaType,
    pub iaid: u32,
    /// (address or prefix, prefix length)
    pub resources: ArrayVec<(u128, u8), MAX_IA_RESOURCES>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerIdCheck {
    Absent,
    Ours,
    Other,
}

/// How many ORO codes of 256 and above are kept (none is assigned yet:
/// they are for options configured by code).
const MAX_HIGH_CODES: usize = 8;

/// The option codes the client asked for in its ORO: a bit set of codes
/// below 256, and the first few above.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requested {
    pub present: bool,
    bits: [u64; 4],
    high: ArrayVec<u16, MAX_HIGH_CODES>,
}

impl Requested {
    pub fn add(&mut self, code: u16) {
        match self.bits.get_mut(usize::from(code) / 64) {
            Some(word) => *word |= 1 << (code % 64),
            None => {
                let _ = self.high.try_push(code);
            }
        }
    }

    /// Whether the ORO names `code`.
    pub fn asked(&self, code: u16) -> bool {
        self.present && self.has(code)
    }

    fn has(&self, code: u16) -> bool {
        match self.bits.get(usize::from(code) / 64) {
            Some(word) => word & (1 << (code % 64)) != 0,
            None => self.high.contains(&code),
        }
    }

    /// Whether to send an option: asked for, or sent unasked.
    pub fn wants(&self, code: u16, send: Send) -> bool {
        match send {
            Send::Always => true,
            Send::AskedOrNoOro if !self.present => true,
            _ => self.asked(code),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClientMessage {
    pub msg_type: MessageType,
    pub transaction_id: [u8; 3],
    pub client_id: Option<ArrayVec<u8, MAX_DUID_LEN>>,
    pub server_id: ServerIdCheck,
    pub requested: Requested,
    pub rapid_commit: bool,
    pub ias: ArrayVec<IaRequest, MAX_IAS>,
}

/// Reads an IA_NA, IA_TA or IA_PD option body into `ia` (its type set).
fn read_ia(data: &[u8], ia: &mut IaRequest) -> Result<(), Counter> {
    let body = Ia::parse(ia.ty, data)?;
    ia.iaid = body.iaid();
    for sub in body.options() {
        let resource = match (ia.ty, sub.code) {
            (IaType::Na | IaType::Ta, option_code::IA_ADDR) => {
                (IaAddress::parse(sub.data)?.address(), 128)
            }
            (IaType::Pd, option_code::IA_PREFIX) => {
                let p = IaPrefix::parse(sub.data)?;
                (p.prefix(), p.prefix_len())
            }
            _ => continue,
        };
        let _ = ia.resources.try_push(resource);
    }
    Ok(())
}

impl ClientMessage {
    pub fn new(msg_type: MessageType, transaction_id: [u8; 3]) -> Self {
        ClientMessage {
            msg_type,
            transaction_id,
            client_id: None,
            server_id: ServerIdCheck::Absent,
            requested: Requested::default(),
            rapid_commit: false,
            ias: ArrayVec::new(),
        }
    }
}

/// Reads a client message (any type but the relay ones) after `parse` into
/// `m`, made by `ClientMessage::new` (filled in place: the struct is over a
/// kilobyte, and moving it cost more than reading it).
pub fn read_client_message(
    config: &ServerConfig,
    message: &Message<'_>,
    summary: &mut PacketSummary,
    m: &mut ClientMessage,
) -> Result<(), Counter> {
    for option in message.options() {
        match option.code {
            option_code::CLIENT_ID => {
                if m.client_id.is_some()
                    || !(MIN_DUID_LEN..=MAX_DUID_LEN).contains(&option.data.len())
                {
                    return Err(Counter::BadClientId);
                }
                let id = m.client_id.insert(ArrayVec::new());
                id.try_extend_from_slice(option.data)
                    .map_err(|_| Counter::BadClientId)?;
                summary.record_client_duid(option.data);
            }
            option_code::SERVER_ID => {
                if !(MIN_DUID_LEN..=MAX_DUID_LEN).contains(&option.data.len())
                    || m.server_id != ServerIdCheck::Absent
                {
                    return Err(Counter::BadOptionLength);
                }
                let ours = config.server_duid().map(|d| d.as_bytes()) == Some(option.data);
                m.server_id = if ours {
                    ServerIdCheck::Ours
                } else {
                    ServerIdCheck::Other
                };
            }
            option_code::IA_NA | option_code::IA_TA | option_code::IA_PD => {
                let ty = match option.code {
                    option_code::IA_NA => IaType::Na,
                    option_code::IA_TA => IaType::Ta,
                    _ => IaType::Pd,
                };
                if m.ias.is_full() {
                    // Rare: only a repeat of an IA already read may follow.
                    let mut ia = IaRequest {
                        ty,
                        iaid: 0,
                        resources: ArrayVec::new(),
                    };
                    read_ia(option.data, &mut ia)?;
                    if m.ias.iter().any(|i| i.ty == ia.ty && i.iaid == ia.iaid) {
                        continue;
                    }
                    return Err(Counter::TooManyIas);
                }
                m.ias.push(IaRequest {
                    ty,
                    iaid: 0,
                    resources: ArrayVec::new(),
                });
                let last = m.ias.len() - 1;
                read_ia(option.data, &mut m.ias[last])?;
                // A repeated IA (same type and IAID) is answered once.
                let (ia, earlier) = (&m.ias[last], &m.ias[..last]);
                if earlier.iter().any(|i| i.ty == ia.ty && i.iaid == ia.iaid) {
                    m.ias.pop();
                }
            }
            option_code::ORO => {
                if option.data.len() % 2 != 0 || m.requested.present {
                    return Err(Counter::BadOptionLength);
                }
                m.requested.present = true;
                for code in option
                    .data
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                {
                    m.requested.add(code);
                }
            }
            option_code::RAPID_COMMIT => m.rapid_commit = true,
            option_code::ELAPSED_TIME if option.data.len() != 2 => {
                return Err(Counter::BadOptionLength)
            }
            _ => {}
        }
    }
    Ok(())
}

/// One relay agent the message passed through, outermost first.
#[derive(Debug, Clone)]
pub struct RelayLevel {
    pub hop_count: u8,
    pub link_address: [u8; 16],
    pub peer_address: [u8; 16],
    pub interface_id: Option<ArrayVec<u8, MAX_INTERFACE_ID>>,
}

/// Client identifiers relays add (for reservations): option bodies of
/// Remote-ID (enterprise number, id), Subscriber-ID and Client Link-Layer
/// Address (type, address), from the relay closest to the client.
#[derive(Debug, Clone, Default)]
pub struct RelayIds {
    pub remote_id: Option<ArrayVec<u8, MAX_INTERFACE_ID>>,
    pub subscriber_id: Option<ArrayVec<u8, MAX_INTERFACE_ID>>,
    pub link_layer: Option<ArrayVec<u8, 32>>,
}

/// Most Relay-forward levels read. RFC 8415's HOP_COUNT_LIMIT (8, section
/// 19.1.1) binds relay agents, not servers, so deeper chains are answered
/// too, up to what a buffer holds: a level is at least 38 bytes (relay
/// header and Relay Message option header), so 32 levels (1,216 bytes)
/// around a client message still fit VPP's 2,048-byte buffers, and so does
/// the Relay-reply chain mirroring them (the reply is written only if it
/// fits). Kea has no such limit of its own; 32 keeps the chain (kept on the
/// stack, 32 x 170 bytes) small.
pub const MAX_RELAY_DEPTH: usize = 32;

pub type RelayChain = ArrayVec<RelayLevel, MAX_RELAY_DEPTH>;

/// Unwraps nested Relay-forward messages into `chain` (outermost first)
/// and `ids`, both empty; returns the client message inside. (Filled in
/// place: a full chain is kilobytes.)
pub fn unwrap_relays<'a>(
    payload: &'a [u8],
    chain: &mut RelayChain,
    ids: &mut RelayIds,
) -> Result<&'a [u8], Counter> {
    let mut inner = payload;
    while inner.first() == Some(&(MessageType::RelayForward as u8)) {
        let relay = RelayMessage::parse(inner)?;
        if chain.is_full() {
            return Err(Counter::RelayTooDeep);
        }
        chain.push(RelayLevel {
            hop_count: relay.hop_count(),
            link_address: relay.link_address(),
            peer_address: relay.peer_address(),
            interface_id: None,
        });
        let level = chain.last_mut().ok_or(Counter::RelayTooDeep)?;
        let mut message = None;
        for option in relay.options() {
            match option.code {
                option_code::RELAY_MSG => message = Some(option.data),
                option_code::INTERFACE_ID => {
                    level
                        .interface_id
                        .insert(ArrayVec::new())
                        .try_extend_from_slice(option.data)
                        .map_err(|_| Counter::BadOptionLength)?;
                }
                // Inner relays come later and are closer to the client: the
                // last one seen wins. Oversized ids are not keys we hold.
                option_code::REMOTE_ID => ids.remote_id = ArrayVec::try_from(option.data).ok(),
                option_code::SUBSCRIBER_ID => {
                    ids.subscriber_id = ArrayVec::try_from(option.data).ok()
                }
                option_code::CLIENT_LINKLAYER_ADDR => {
                    ids.link_layer = ArrayVec::try_from(option.data).ok()
                }
                _ => {}
            }
        }
        inner = message.ok_or(Counter::RelayWithoutMessage)?;
    }
    Ok(inner)
}
