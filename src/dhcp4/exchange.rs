//! The DHCPv4 exchanges of RFC 2131 section 4.3 (and Rapid Commit, RFC
//! 4039) against the lease engine: what the server answers, or why it
//! stays silent.

use core::net::Ipv4Addr;

use arrayvec::ArrayVec;

use crate::config::{LinkSettings, ServerConfig, MAX_POOLS_PER_LINK};
use crate::counters::Counter;
use crate::dhcp4::request::Request;
use crate::leases::pool::{ipv4_of, ipv4_resource};
use crate::leases::{LeaseState, Lifetimes, ResourceKind, Shard, Time};
use crate::options::Family;
use crate::reservations::Reservation;
use crate::wire::dhcpv4::{
    option_code, MessageType, MessageWriter, NoRoom, ReplyHeader, FLAG_BROADCAST,
};

impl From<NoRoom> for Counter {
    fn from(_: NoRoom) -> Self {
        Counter::NoRoom
    }
}

/// Everything one exchange works with.
pub struct Exchange<'a> {
    pub config: &'a ServerConfig,
    pub shard: &'a mut Shard,
    /// The client's link (None: none is configured for it).
    pub link: Option<&'a LinkSettings>,
    pub now: Time,
    /// The Server Identifier: the receiving interface's address.
    pub server_id: Ipv4Addr,
    pub reservation: Option<&'a Reservation>,
    pub sw_if_index: u32,
}

/// A reply written: its length, type and the address it gives (the
/// addressing of RFC 2131 section 4.1 needs both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub len: usize,
    pub msg_type: MessageType,
    pub yiaddr: Ipv4Addr,
}

/// Why a REQUEST is refused with a DHCPNAK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nak {
    WrongNetwork,
    NotYours,
    NoBinding,
}

impl Nak {
    fn message(self) -> &'static [u8] {
        match self {
            Nak::WrongNetwork => b"address not on this network",
            Nak::NotYours => b"address not available",
            Nak::NoBinding => b"no binding for this address",
        }
    }
}

impl Exchange<'_> {
    /// Writes the reply to `req` into `out`, or says why there is none.
    pub fn respond(&mut self, req: &Request, out: &mut [u8]) -> Result<Answer, Counter> {
        // RFC 2131 section 4.3.1: a message for another server (it named
        // one) is not ours to answer; a client that chose another server
        // frees the address offered here.
        if req.server_id.is_some_and(|s| s != self.server_id) {
            if req.msg_type == MessageType::Request {
                self.drop_offer(req);
            }
            return Err(Counter::ServerIdMismatch);
        }
        match req.msg_type {
            MessageType::Discover => self.discover(req, out),
            MessageType::Request => match self.request(req) {
                Ok(index) => self.write(req, MessageType::Ack, Some(index), out),
                Err(Ok(nak)) => self.write_nak(req, nak, out),
                Err(Err(counter)) => Err(counter),
            },
            MessageType::Decline => {
                if let Some(index) = req.requested_address.and_then(|a| self.held(req, a)) {
                    self.shard
                        .decline(index, self.now, self.config.decline_hold());
                }
                Err(Counter::NoReplyNeeded)
            }
            MessageType::Release => {
                if let Some(index) = self.held(req, req.ciaddr) {
                    self.shard.release(index);
                }
                Err(Counter::NoReplyNeeded)
            }
            MessageType::Inform => self.write(req, MessageType::Ack, None, out),
            MessageType::Offer | MessageType::Ack | MessageType::Nak => {
                Err(Counter::ServerOnlyMessage)
            }
        }
    }

    /// DHCPDISCOVER: an address offered (held for the REQUEST), or with
    /// Rapid Commit on both sides bound at once and acknowledged.
    fn discover(&mut self, req: &Request, out: &mut [u8]) -> Result<Answer, Counter> {
        let link = self.link.ok_or(Counter::NoSubnet)?;
        let rapid = req.rapid_commit && link.rapid_commit;
        let state = if rapid {
            LeaseState::Bound
        } else {
            LeaseState::Offered
        };
        let index = self
            .assign(req, state, req.requested_address, false)
            .ok_or(Counter::NoAddressToOffer)?;
        let reply = if rapid {
            MessageType::Ack
        } else {
            MessageType::Offer
        };
        self.write(req, reply, Some(index), out)
    }

    /// DHCPREQUEST in its four states (RFC 2131 section 4.3.2): the bound
    /// lease, a NAK, or silence.
    fn request(&mut self, req: &Request) -> Result<u32, Result<Nak, Counter>> {
        let link = self.link.ok_or(Err(Counter::NoSubnet))?;
        let selecting = req.server_id.is_some();
        let want = if req.ciaddr.is_unspecified() {
            // SELECTING and INIT-REBOOT name the address in option 50.
            req.requested_address.ok_or(Err(Counter::BadOptionLength))?
        } else {
            req.ciaddr
        };
        if !link.contains4(want) {
            return Err(Ok(Nak::WrongNetwork));
        }
        let binding = self
            .shard
            .find(req.client_key(), ResourceKind::Ipv4, 0)
            .filter(|i| {
                let l = self.shard.lease(*i);
                matches!(l.state, LeaseState::Bound | LeaseState::Offered)
            });
        match binding {
            Some(index) if self.shard.lease(index).resource == ipv4_resource(want) => {
                if !self.appropriate(index) {
                    self.shard.release(index);
                    return Err(Ok(Nak::NotYours));
                }
                self.assign(req, LeaseState::Bound, Some(want), true)
                    .ok_or(Ok(Nak::NotYours))
            }
            // The client asks for another address than the one it holds
            // or was offered here.
            Some(_) => Err(Ok(Nak::NotYours)),
            None if selecting => Err(Ok(Nak::NoBinding)),
            None => {
                // INIT-REBOOT, RENEWING, REBINDING without a record (lost,
                // expired): the client keeps its address when it is ours
                // to give and free (Kea does the same); held by another
                // client, NAK; outside our pools, not ours to judge.
                if let Some(index) = self.assign(req, LeaseState::Bound, Some(want), true) {
                    return Ok(index);
                }
                let resource = ipv4_resource(want);
                if self.shard.holder(ResourceKind::Ipv4, resource).is_some()
                    || self.in_pools(resource)
                {
                    Err(Ok(Nak::NotYours))
                } else {
                    Err(Err(Counter::UnknownClient))
                }
            }
        }
    }

    /// The link's IPv4 pools (shard ids).
    fn pools(&self) -> ArrayVec<u32, MAX_POOLS_PER_LINK> {
        let mut found = ArrayVec::new();
        if let Some(link) = self.link {
            for (pos, spec) in link.pool_positions().zip(&link.pools) {
                if spec.kind() == ResourceKind::Ipv4 {
                    if let Some(id) = self.shard.config_pool_id(pos) {
                        let _ = found.try_push(id);
                    }
                }
            }
        }
        found
    }

    fn in_pools(&self, resource: u128) -> bool {
        self.pools()
            .contains(&self.shard.pool_of(ResourceKind::Ipv4, resource, 32))
    }

    /// Whether a lease may stay the client's here: from one of the link's
    /// pools, or its reservation.
    fn appropriate(&self, index: u32) -> bool {
        let l = self.shard.lease(index);
        self.pools().contains(&l.pool()) || self.reserved() == Some(l.resource)
    }

    fn reserved(&self) -> Option<u128> {
        self.reservation
            .and_then(|r| r.resource(ResourceKind::Ipv4))
            .map(|(r, _)| r)
    }

    fn lifetimes(&self) -> Lifetimes {
        let lease = self.link.map_or(0, |l| l.valid_lifetime);
        Lifetimes {
            preferred: lease,
            valid: lease,
        }
    }

    /// An address for the client, as `state`: its reservation, else its
    /// own lease, `want` if free, the MAC-hash place of a hashed pool, a
    /// free one. `exact`: only `want` will do (a new lease of another
    /// address is given back).
    fn assign(
        &mut self,
        req: &Request,
        state: LeaseState,
        want: Option<Ipv4Addr>,
        exact: bool,
    ) -> Option<u32> {
        let key = req.client_key();
        let (lifetimes, hold) = (self.lifetimes(), self.config.offer_hold());
        let had = self.shard.find(key, ResourceKind::Ipv4, 0);
        let fixed = self.reserved().and_then(|r| {
            self.shard
                .assign_fixed(
                    key,
                    ResourceKind::Ipv4,
                    0,
                    (r, 32),
                    state,
                    self.now,
                    lifetimes,
                    hold,
                )
                .ok()
        });
        let index = match fixed {
            Some(index) => index,
            None => {
                let hint = want
                    .map(|a| (ipv4_resource(a), 32))
                    .or_else(|| ServerConfig::hashed_hint(self.link?, req.mac()));
                let pools = self.pools();
                self.shard
                    .assign(
                        key,
                        ResourceKind::Ipv4,
                        0,
                        &pools,
                        hint,
                        state,
                        self.now,
                        lifetimes,
                        hold,
                    )
                    .ok()?
            }
        };
        if exact && want.is_some_and(|w| self.shard.lease(index).resource != ipv4_resource(w)) {
            if had != Some(index) {
                self.shard.release(index);
            }
            return None;
        }
        self.shard.set_interface(index, self.sw_if_index);
        Some(index)
    }

    /// The client's lease of `address`, if it holds one (bound or offered).
    fn held(&self, req: &Request, address: Ipv4Addr) -> Option<u32> {
        let index = self.shard.find(req.client_key(), ResourceKind::Ipv4, 0)?;
        let l = self.shard.lease(index);
        (l.resource == ipv4_resource(address)
            && matches!(l.state, LeaseState::Bound | LeaseState::Offered))
        .then_some(index)
    }

    /// Frees the address offered to a client that chose another server.
    fn drop_offer(&mut self, req: &Request) {
        if let Some(index) = self.shard.find(req.client_key(), ResourceKind::Ipv4, 0) {
            if self.shard.lease(index).state == LeaseState::Offered {
                self.shard.release(index);
            }
        }
    }

    fn header(&self, req: &Request, yiaddr: Ipv4Addr, ciaddr: Ipv4Addr, flags: u16) -> ReplyHeader {
        ReplyHeader {
            htype: req.htype,
            hlen: req.hlen,
            xid: req.xid,
            flags,
            ciaddr,
            yiaddr,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: req.giaddr,
            chaddr: req.chaddr,
        }
    }

    /// The room a reply may take: the client's maximum message size less
    /// the IPv4 and UDP headers, within the buffer.
    fn room<'b>(req: &Request, out: &'b mut [u8]) -> &'b mut [u8] {
        let max = usize::from(req.max_message_size).saturating_sub(28);
        let n = out.len().min(max);
        &mut out[..n]
    }

    /// OFFER or ACK (`lease` Some), or the ACK to an INFORM (no lease).
    fn write(
        &self,
        req: &Request,
        msg_type: MessageType,
        lease: Option<u32>,
        out: &mut [u8],
    ) -> Result<Answer, Counter> {
        let yiaddr = lease.map_or(Ipv4Addr::UNSPECIFIED, |i| {
            ipv4_of(self.shard.lease(i).resource)
        });
        let ciaddr = if msg_type == MessageType::Ack {
            req.ciaddr
        } else {
            Ipv4Addr::UNSPECIFIED
        };
        let mut w = MessageWriter::new(
            Self::room(req, out),
            &self.header(req, yiaddr, ciaddr, req.flags),
        )?;
        w.option(option_code::MESSAGE_TYPE, &[&[msg_type as u8]])?;
        w.option(option_code::SERVER_ID, &[&self.server_id.octets()])?;
        if let Some(index) = lease {
            let l = self.shard.lease(index);
            let lease_time = if l.state == LeaseState::Offered {
                self.lifetimes().valid
            } else {
                l.remaining(self.now).1
            };
            let (t1, t2) = self.link.map_or((0, 0), |l| l.timers4());
            w.option(option_code::LEASE_TIME, &[&lease_time.to_be_bytes()])?;
            w.option(
                option_code::RENEWAL_TIME,
                &[&t1.min(lease_time).to_be_bytes()],
            )?;
            w.option(
                option_code::REBINDING_TIME,
                &[&t2.min(lease_time).to_be_bytes()],
            )?;
            if req.rapid_commit
                && msg_type == MessageType::Ack
                && req.msg_type == MessageType::Discover
            {
                w.option(option_code::RAPID_COMMIT, &[])?;
            }
        }
        if let Some(id) = &req.client_id {
            // RFC 6842: the Client Identifier comes back.
            w.option(option_code::CLIENT_ID, &[id])?;
        }
        self.write_configuration(req, &mut w)?;
        if let Some(info) = &req.relay_info {
            // RFC 3046 section 2.2: echoed, last.
            w.option(option_code::RELAY_AGENT_INFO, &[info])?;
        }
        Ok(Answer {
            len: w.finish()?,
            msg_type,
            yiaddr,
        })
    }

    /// The subnet mask (always, RFC 2131 section 3.3), the broadcast
    /// address when asked, then the configured options the Parameter
    /// Request List asks for (the reservation's over the link's over the
    /// server's).
    fn write_configuration(&self, req: &Request, w: &mut MessageWriter<'_>) -> Result<(), Counter> {
        let reservation = self.reservation.map(|r| &r.options);
        let configured = |code: u8| {
            self.config
                .options_for(Family::V4, self.link, reservation)
                .any(|v| v.code == u16::from(code))
        };
        if let Some((mask, broadcast)) = self.link.and_then(|l| l.mask_and_broadcast()) {
            w.option(option_code::SUBNET_MASK, &[&mask.octets()])?;
            if req.requested.asked(option_code::BROADCAST_ADDRESS.into())
                && !configured(option_code::BROADCAST_ADDRESS)
            {
                w.option(option_code::BROADCAST_ADDRESS, &[&broadcast.octets()])?;
            }
        }
        for value in self.config.options_for(Family::V4, self.link, reservation) {
            if req.requested.wants(value.code, value.send) {
                w.option(value.code as u8, &[&value.wire])?;
            }
        }
        Ok(())
    }

    fn write_nak(&self, req: &Request, nak: Nak, out: &mut [u8]) -> Result<Answer, Counter> {
        // RFC 2131 section 4.3.2: a relayed NAK asks the relay to broadcast.
        let flags = if req.relayed() {
            req.flags | FLAG_BROADCAST
        } else {
            req.flags
        };
        let unset = Ipv4Addr::UNSPECIFIED;
        let mut w =
            MessageWriter::new(Self::room(req, out), &self.header(req, unset, unset, flags))?;
        w.option(option_code::MESSAGE_TYPE, &[&[MessageType::Nak as u8]])?;
        w.option(option_code::SERVER_ID, &[&self.server_id.octets()])?;
        w.option(option_code::MESSAGE, &[nak.message()])?;
        if let Some(id) = &req.client_id {
            w.option(option_code::CLIENT_ID, &[id])?;
        }
        if let Some(info) = &req.relay_info {
            w.option(option_code::RELAY_AGENT_INFO, &[info])?;
        }
        Ok(Answer {
            len: w.finish()?,
            msg_type: MessageType::Nak,
            yiaddr: unset,
        })
    }
}
