//! The message exchanges of RFC 8415 section 18.3: what a server answers to
//! each client message, with the lease engine behind it.

use arrayvec::ArrayVec;

use crate::config::{LinkSettings, ServerConfig, MAX_POOLS_PER_LINK};
use crate::counters::Counter;
use crate::leases::{LeaseState, Lifetimes, ResourceKind, RouteVia, Shard, Time};
use crate::reservations::Reservation;
use crate::server::reply::{write_ia, write_status, IaResource};
use crate::server::request::{ClientMessage, IaRequest, IaType, ServerIdCheck};
use crate::wire::dhcpv6::{option_code, MessageType, MessageWriter, StatusCode};

/// Everything one exchange works with.
pub struct Exchange<'a> {
    pub config: &'a ServerConfig,
    pub shard: &'a mut Shard,
    /// The link the client is on (from the interface or the innermost relay).
    pub link: Option<&'a LinkSettings>,
    pub now: Time,
    /// How the client's message reached the server.
    pub delivery: Delivery,
    /// The Server Unicast address (option 12) offered to the client.
    pub server_unicast: Option<core::net::Ipv6Addr>,
    /// Where delegated prefixes bound in this exchange are routed.
    pub route_via: RouteVia,
    /// The client's reservation, if it has one.
    pub reservation: Option<&'a Reservation>,
    /// The receiving interface.
    pub sw_if_index: u32,
    /// The client asked for OPTION_PD_EXCLUDE (RFC 6603).
    pub pd_exclude_wanted: bool,
}

/// How a client message reached the server (RFC 8415 sections 16, 18.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// To the multicast group, or through a relay.
    Multicast,
    /// By unicast to the Server Unicast address offered to the client.
    ToServerUnicast,
    /// By unicast to another address.
    OtherUnicast,
    /// By unicast, on an interface that takes no unicast.
    RefusedUnicast,
}

/// RFC 8415 section 16: which messages must carry which identifiers.
fn check_identifiers(msg: &ClientMessage) -> Result<(), Counter> {
    use MessageType::*;
    if msg.msg_type == InformationRequest {
        if msg.server_id == ServerIdCheck::Other {
            return Err(Counter::ServerIdMismatch);
        }
        if !msg.ias.is_empty() {
            return Err(Counter::InformationRequestWithIa);
        }
        return Ok(());
    }
    if msg.client_id.is_none() {
        return Err(Counter::BadClientId);
    }
    match (msg.msg_type, msg.server_id) {
        (Request | Renew | Release | Decline, ServerIdCheck::Absent) => {
            Err(Counter::MissingServerId)
        }
        (Request | Renew | Release | Decline, ServerIdCheck::Other) => {
            Err(Counter::ServerIdMismatch)
        }
        (Solicit | Confirm | Rebind, ServerIdCheck::Ours | ServerIdCheck::Other) => {
            Err(Counter::UnexpectedServerId)
        }
        _ => Ok(()),
    }
}

impl Exchange<'_> {
    /// Writes the reply to `msg` into `out`; returns its length and type, or
    /// why there is none.
    pub fn respond(
        &mut self,
        msg: &ClientMessage,
        out: &mut [u8],
    ) -> Result<(usize, MessageType), Counter> {
        check_identifiers(msg)?;
        use MessageType::*;
        // RFC 8415 section 16: Solicit, Confirm, Rebind and
        // Information-request by unicast are discarded; section 18.4:
        // Request, Renew, Release and Decline by unicast get UseMulticast
        // unless sent to the Server Unicast address the client was offered.
        let use_multicast = match self.delivery {
            Delivery::Multicast => false,
            Delivery::RefusedUnicast | Delivery::ToServerUnicast | Delivery::OtherUnicast
                if !matches!(msg.msg_type, Request | Renew | Release | Decline) =>
            {
                return Err(if self.delivery == Delivery::RefusedUnicast {
                    Counter::UnicastNotAccepted
                } else {
                    Counter::UnicastForbidden
                });
            }
            Delivery::ToServerUnicast => false,
            Delivery::OtherUnicast | Delivery::RefusedUnicast => true,
        };
        if msg.msg_type == Confirm {
            self.check_confirm(msg)?;
        }
        let server_duid = self.config.server_duid().ok_or(Counter::NoServerDuid)?;
        let rapid = msg.msg_type == Solicit
            && msg.rapid_commit
            && self.link.is_some_and(|l| l.rapid_commit);
        let reply_type = if msg.msg_type == Solicit && !rapid {
            Advertise
        } else {
            Reply
        };

        let mut w = MessageWriter::new(out, reply_type, msg.transaction_id)?;
        w.option(option_code::SERVER_ID, &[server_duid.as_bytes()])?;
        if let Some(client_id) = &msg.client_id {
            w.option(option_code::CLIENT_ID, &[client_id])?;
        }
        if use_multicast {
            write_status(&mut w, StatusCode::UseMulticast)?;
            return Ok((w.len(), reply_type));
        }
        match msg.msg_type {
            Solicit if rapid => {
                w.option(option_code::RAPID_COMMIT, &[])?;
                self.assign_all(msg, LeaseState::Bound, &mut w)?;
            }
            Solicit => {
                if let Some(p) = self.link.and_then(|l| l.preference) {
                    w.option(option_code::PREFERENCE, &[&[p]])?;
                }
                if !self.assign_all(msg, LeaseState::Offered, &mut w)? {
                    // Nothing to offer: each IA comes back with its own
                    // NoAddrsAvail / NoPrefixAvail (as Kea does, RFC 3633
                    // erratum 2470), and the top-level NoAddrsAvail that
                    // RFC 8415 section 18.3.9 asks for.

                    write_status(&mut w, StatusCode::NoAddrsAvail)?;
                    return Ok((w.len(), reply_type));
                }
            }
            Request => {
                self.assign_all(msg, LeaseState::Bound, &mut w)?;
            }
            Renew | Rebind => self.extend_all(msg, &mut w)?,
            Release | Decline => {
                self.give_back_all(msg, &mut w)?;
                write_status(&mut w, StatusCode::Success)?;
            }
            Confirm => {
                let on_link = self.confirm_on_link(msg);
                write_status(
                    &mut w,
                    if on_link {
                        StatusCode::Success
                    } else {
                        StatusCode::NotOnLink
                    },
                )?;
            }
            _ => {}
        }
        if !matches!(msg.msg_type, Release | Decline | Confirm) {
            self.write_configuration(msg, &mut w)?;
        }
        Ok((w.len(), reply_type))
    }

    /// The configuration options the client asked for, the link's over the
    /// server's; Information Refresh Time only with stateless replies.
    fn write_configuration(
        &self,
        msg: &ClientMessage,
        w: &mut MessageWriter<'_>,
    ) -> Result<(), Counter> {
        if let Some(a) = self.server_unicast {
            w.option(option_code::SERVER_UNICAST, &[&a.octets()])?;
        }
        let reservation = self.reservation.map(|r| &r.options);
        for value in self
            .config
            .options_for(crate::options::Family::V6, self.link, reservation)
        {
            if value.code == option_code::INFORMATION_REFRESH_TIME
                && msg.msg_type != MessageType::InformationRequest
            {
                continue;
            }
            if msg.requested.wants(value.code, value.send) {
                w.option(value.code, &[&value.wire])?;
            }
        }
        Ok(())
    }

    fn duid(msg: &ClientMessage) -> &[u8] {
        msg.client_id.as_deref().unwrap_or(&[])
    }

    /// The link's pools (shard ids) of one kind.
    fn pools(&self, kind: ResourceKind) -> ArrayVec<u32, MAX_POOLS_PER_LINK> {
        self.pools_by_length(kind, None)
    }

    /// The link's pools of one kind; with a length hint, those delegating
    /// that length first, then the closest (ties in configuration order).
    fn pools_by_length(
        &self,
        kind: ResourceKind,
        hint_len: Option<u8>,
    ) -> ArrayVec<u32, MAX_POOLS_PER_LINK> {
        let mut found: ArrayVec<(u32, u8), MAX_POOLS_PER_LINK> = ArrayVec::new();
        if let Some(link) = self.link {
            for (pos, spec) in link.pool_positions().zip(&link.pools) {
                if spec.kind() == kind {
                    if let Some(id) = self.shard.config_pool_id(pos) {
                        let _ = found.try_push((id, spec.resource_len()));
                    }
                }
            }
        }
        if let Some(want) = hint_len.filter(|l| *l > 0) {
            found.sort_by_key(|&(_, len)| len.abs_diff(want));
        }
        found.iter().map(|&(id, _)| id).collect()
    }

    /// Whether a bound lease may be extended here: from one of the link's
    /// pools, or the client's reservation.
    fn appropriate(&self, index: u32, pools: &[u32]) -> bool {
        let l = self.shard.lease(index);
        pools.contains(&l.pool())
            || self.reservation.and_then(|r| r.resource(l.kind)) == Some((l.resource, l.len))
    }

    fn lifetimes(&self) -> Lifetimes {
        self.link.map_or(
            Lifetimes {
                preferred: 0,
                valid: 0,
            },
            |l| Lifetimes {
                preferred: l.preferred_lifetime,
                valid: l.valid_lifetime,
            },
        )
    }

    fn timers(&self) -> (u32, u32) {
        self.link.map_or((0, 0), |l| l.timers())
    }

    fn shown(&self, index: u32) -> IaResource {
        let lease = self.shard.lease(index);
        let (preferred, valid) = lease.remaining(self.now);
        let (preferred, valid) = if lease.state == LeaseState::Offered {
            let l = self.lifetimes();
            (l.preferred, l.valid)
        } else {
            (preferred, valid)
        };
        let exclude = (lease.kind == ResourceKind::Pd && self.pd_exclude_wanted)
            .then(|| {
                self.link
                    .and_then(|l| l.exclude_for(lease.resource, lease.len))
            })
            .flatten();
        IaResource {
            resource: lease.resource,
            len: lease.len,
            preferred,
            valid,
            exclude,
        }
    }

    /// Solicit, Request: gives each IA an address or prefix. Returns whether
    /// any IA got one.
    fn assign_all(
        &mut self,
        msg: &ClientMessage,
        state: LeaseState,
        w: &mut MessageWriter<'_>,
    ) -> Result<bool, Counter> {
        let mut any = false;
        for (position, ia) in msg.ias.iter().enumerate() {
            let none = if ia.ty == IaType::Pd {
                StatusCode::NoPrefixAvail
            } else {
                StatusCode::NoAddrsAvail
            };
            let Some(kind) = ia.ty.kind() else {
                // Temporary addresses are not offered.
                write_ia(w, ia.ty, ia.iaid, (0, 0), &[], Some(none))?;
                continue;
            };
            let hint = ia.resources.first().copied();
            // A delegated-prefix length hint picks the pool (RFC 8415
            // 18.3.1 leaves it to the server; Kea matches the length).
            let hint_len = hint
                .filter(|_| kind == ResourceKind::Pd)
                .map(|(_, len)| len);
            let pools = self.pools_by_length(kind, hint_len);
            let (lifetimes, hold) = (self.lifetimes(), self.config.offer_hold());
            // The first IA of a kind gets the reservation, if it is free.
            let fixed = self
                .reservation
                .and_then(|r| r.resource(kind))
                .filter(|_| !msg.ias[..position].iter().any(|i| i.ty == ia.ty));
            let reserved = fixed.and_then(|res| {
                self.shard
                    .assign_fixed(
                        Self::duid(msg),
                        kind,
                        ia.iaid,
                        res,
                        state,
                        self.now,
                        lifetimes,
                        hold,
                    )
                    .ok()
            });
            let assigned = match reserved {
                Some(index) => Ok(index),
                None => self.shard.assign(
                    Self::duid(msg),
                    kind,
                    ia.iaid,
                    &pools,
                    hint,
                    state,
                    self.now,
                    lifetimes,
                    hold,
                ),
            };
            match assigned {
                Ok(index) => {
                    any = true;
                    self.shard.set_route(index, self.route_via);
                    self.shard.set_interface(index, self.sw_if_index);
                    let shown = self.shown(index);
                    write_ia(w, ia.ty, ia.iaid, self.timers(), &[shown], None)?;
                }
                Err(_) => write_ia(w, ia.ty, ia.iaid, (0, 0), &[], Some(none))?,
            }
        }
        Ok(any)
    }

    /// Whether a resource is in one of the link's pools.
    fn on_this_link(&self, kind: ResourceKind, resource: u128, len: u8, pools: &[u32]) -> bool {
        pools.contains(&self.shard.pool_of(kind, resource, len))
    }

    /// Binds the client's IA to `held` (exactly that, if it is free and on
    /// this link), or with `None` to whatever the link's pools give.
    fn bind_new(
        &mut self,
        msg: &ClientMessage,
        kind: ResourceKind,
        iaid: u32,
        pools: &[u32],
        held: Option<(u128, u8)>,
    ) -> Option<IaResource> {
        if let Some((r, len)) = held {
            if !self.on_this_link(kind, r, len, pools) {
                return None;
            }
        }
        let (lifetimes, hold) = (self.lifetimes(), self.config.offer_hold());
        let index = self
            .shard
            .assign(
                Self::duid(msg),
                kind,
                iaid,
                pools,
                held,
                LeaseState::Bound,
                self.now,
                lifetimes,
                hold,
            )
            .ok()?;
        let l = self.shard.lease(index);
        if held.is_some_and(|h| h != (l.resource, l.len)) {
            // Not what the client holds: take it back.
            self.shard.release(index);
            return None;
        }
        self.shard.set_route(index, self.route_via);
        self.shard.set_interface(index, self.sw_if_index);
        Some(self.shown(index))
    }

    /// Renew, Rebind (RFC 8415 sections 18.3.4, 18.3.5).
    fn extend_all(
        &mut self,
        msg: &ClientMessage,
        w: &mut MessageWriter<'_>,
    ) -> Result<(), Counter> {
        for ia in &msg.ias {
            let Some(kind) = ia.ty.kind() else {
                write_ia(
                    w,
                    ia.ty,
                    ia.iaid,
                    (0, 0),
                    &[],
                    Some(StatusCode::NoAddrsAvail),
                )?;
                continue;
            };
            let pools = self.pools(kind);
            let binding = self
                .shard
                .find(Self::duid(msg), kind, ia.iaid)
                // Released or expired leases are remembered, not bound.
                .filter(|i| self.shard.lease(*i).state == LeaseState::Bound);
            let mut shown: ArrayVec<IaResource, 5> = ArrayVec::new();
            match binding {
                Some(index) if self.appropriate(index, &pools) => {
                    self.shard.extend(index, self.now, self.lifetimes());
                    self.shard.set_route(index, self.route_via);
                    self.shard.set_interface(index, self.sw_if_index);
                    shown.push(self.shown(index));
                }
                Some(index) => {
                    // Bound on a pool this link does not have (any more: a
                    // prefix group's prefix changed, the client moved): say
                    // it is over (RFC 8415 section 18.3.4) and give one of
                    // the link's instead, as Kea does.
                    let l = self.shard.lease(index);
                    shown.push(IaResource {
                        resource: l.resource,
                        len: l.len,
                        preferred: 0,
                        valid: 0,
                        exclude: None,
                    });
                    self.shard.release(index);
                    if let Some(fresh) = self.bind_new(msg, kind, ia.iaid, &pools, None) {
                        shown.push(fresh);
                    }
                }
                None => {
                    // No binding (expired, lost, never seen): the client
                    // keeps what it holds if that is ours to give and free
                    // (sections 18.3.4, 18.3.5; Kea does the same).
                    let held = ia.resources.first().copied();
                    if let Some(recreated) =
                        held.and_then(|h| self.bind_new(msg, kind, ia.iaid, &pools, Some(h)))
                    {
                        shown.push(recreated);
                    } else if msg.msg_type == MessageType::Rebind
                        && held.is_some_and(|(r, len)| !self.on_this_link(kind, r, len, &pools))
                    {
                        // Not appropriate for this link: lifetimes 0 for it
                        // (below) and an address from the right link.
                        if let Some(fresh) = self.bind_new(msg, kind, ia.iaid, &pools, None) {
                            shown.push(fresh);
                        }
                    }
                    if shown.is_empty() && !(msg.msg_type == MessageType::Rebind && held.is_some())
                    {
                        write_ia(w, ia.ty, ia.iaid, (0, 0), &[], Some(StatusCode::NoBinding))?;
                        continue;
                    }
                }
            }
            // What the client listed that is not its binding: lifetimes 0.
            for &(resource, len) in &ia.resources {
                if !shown.iter().any(|s| s.resource == resource && s.len == len) {
                    let _ = shown.try_push(IaResource {
                        resource,
                        len,
                        preferred: 0,
                        valid: 0,
                        exclude: None,
                    });
                }
            }
            write_ia(w, ia.ty, ia.iaid, self.timers(), &shown, None)?;
        }
        Ok(())
    }

    /// Release, Decline (RFC 8415 sections 18.3.7, 18.3.8): each IA comes
    /// back with its own status, Success or (no binding) NoBinding, as Kea
    /// does.
    fn give_back_all(
        &mut self,
        msg: &ClientMessage,
        w: &mut MessageWriter<'_>,
    ) -> Result<(), Counter> {
        for ia in &msg.ias {
            let found = ia.ty.kind().and_then(|kind| {
                let index = self.shard.find(Self::duid(msg), kind, ia.iaid)?;
                let l = self.shard.lease(index);
                let named = ia
                    .resources
                    .iter()
                    .any(|&(r, len)| r == l.resource && len == l.len);
                (named && matches!(l.state, LeaseState::Bound | LeaseState::Offered))
                    .then_some(index)
            });
            let decline = msg.msg_type == MessageType::Decline && ia.ty != IaType::Pd;
            match found {
                Some(index) if decline => {
                    self.shard
                        .decline(index, self.now, self.config.decline_hold());
                    write_ia(w, ia.ty, ia.iaid, (0, 0), &[], Some(StatusCode::Success))?;
                }
                Some(index) if msg.msg_type == MessageType::Release => {
                    self.shard.release(index);
                    write_ia(w, ia.ty, ia.iaid, (0, 0), &[], Some(StatusCode::Success))?;
                }
                _ => write_ia(w, ia.ty, ia.iaid, (0, 0), &[], Some(StatusCode::NoBinding))?,
            }
        }
        Ok(())
    }

    fn confirm_addresses(msg: &ClientMessage) -> impl Iterator<Item = u128> + '_ {
        msg.ias
            .iter()
            .filter(|ia: &&IaRequest| ia.ty != IaType::Pd)
            .flat_map(|ia| ia.resources.iter().map(|&(r, _)| r))
    }

    /// A Confirm is answered only when it names addresses and the link is
    /// known (RFC 8415 section 18.3.3).
    fn check_confirm(&self, msg: &ClientMessage) -> Result<(), Counter> {
        if self.link.is_none() || Self::confirm_addresses(msg).next().is_none() {
            return Err(Counter::ConfirmUndecidable);
        }
        Ok(())
    }

    fn confirm_on_link(&self, msg: &ClientMessage) -> bool {
        let Some(link) = self.link else { return false };
        Self::confirm_addresses(msg)
            .all(|a| link.contains(&core::net::Ipv6Addr::from(a.to_be_bytes())))
    }
}
