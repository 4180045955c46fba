//! What happened to each packet the node saw. Every value is one of the
//! node's VPP error counters (`show errors`, `/err/dhcp6-server/<name>` in the
//! stats segment); this table is the only place they are defined.

/// One outcome per packet. The discriminant is the node's error index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Counter {
    ReplySent = 0,
    InterfaceNotEnabled,
    MulticastNotAccepted,
    UnicastNotAccepted,
    UnicastForbidden,
    ChainedBuffer,
    NotIpv6Udp,
    Truncated,
    OptionOverrun,
    BadClientId,
    BadOptionLength,
    ServerIdMismatch,
    InformationRequestWithIa,
    MissingServerId,
    UnexpectedServerId,
    TooManyIas,
    RelayTooDeep,
    RelayWithoutMessage,
    ConfirmUndecidable,
    ServerOnlyMessage,
    UnknownMessageType,
    NoServerDuid,
    NoReplyAddress,
    NoRoom,
    HandoffCongestion,
    InterfaceRateLimited,
    ClientRateLimited,
    SourceNotLinkLocal,
    NotIpv4Udp,
    BadMagicCookie,
    NotBootRequest,
    NoMessageType,
    BadHardwareAddress,
    NoSubnet,
    NoAddressToOffer,
    UnknownClient,
    NoReplyNeeded,
    NoServerAddress,
    NoDhcpv4Message,
    InternalError,
}

/// How VPP should rank the counter (`vl_counter_severity_e`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Severity {
    Error = 0,
    Warn = 1,
    Info = 2,
}

pub const COUNTER_COUNT: usize = Counter::InternalError as usize + 1;

impl Counter {
    pub const ALL: [Counter; COUNTER_COUNT] = {
        use Counter::*;
        [
            ReplySent,
            InterfaceNotEnabled,
            MulticastNotAccepted,
            UnicastNotAccepted,
            UnicastForbidden,
            ChainedBuffer,
            NotIpv6Udp,
            Truncated,
            OptionOverrun,
            BadClientId,
            BadOptionLength,
            ServerIdMismatch,
            InformationRequestWithIa,
            MissingServerId,
            UnexpectedServerId,
            TooManyIas,
            RelayTooDeep,
            RelayWithoutMessage,
            ConfirmUndecidable,
            ServerOnlyMessage,
            UnknownMessageType,
            NoServerDuid,
            NoReplyAddress,
            NoRoom,
            HandoffCongestion,
            InterfaceRateLimited,
            ClientRateLimited,
            SourceNotLinkLocal,
            NotIpv4Udp,
            BadMagicCookie,
            NotBootRequest,
            NoMessageType,
            BadHardwareAddress,
            NoSubnet,
            NoAddressToOffer,
            UnknownClient,
            NoReplyNeeded,
            NoServerAddress,
            NoDhcpv4Message,
            InternalError,
        ]
    };

    /// Name (stats segment path element) and description (`show errors`,
    /// whose column shows 35 characters), NUL-terminated for C, and severity.
    pub const fn describe(self) -> (&'static str, &'static str, Severity) {
        use Counter::*;
        use Severity::*;
        match self {
            ReplySent => ("reply_sent\0", "replies sent\0", Info),
            InterfaceNotEnabled => ("not_enabled\0", "service not enabled on interface\0", Warn),
            MulticastNotAccepted => ("multicast_not_accepted\0", "multicast not accepted\0", Warn),
            UnicastNotAccepted => ("unicast_not_accepted\0", "unicast not accepted\0", Warn),
            // RFC 8415 section 16: these must be sent to the multicast group.
            UnicastForbidden => (
                "unicast_forbidden\0",
                "unicast Solicit/Confirm/Rebind/IR\0",
                Warn,
            ),
            ChainedBuffer => (
                "chained_buffer\0",
                "chained buffer (message too large)\0",
                Error,
            ),
            NotIpv6Udp => (
                "not_ipv6_udp\0",
                "not plain IPv6/UDP (ext. headers)\0",
                Error,
            ),
            Truncated => ("truncated\0", "malformed: truncated message\0", Error),
            OptionOverrun => (
                "option_overrun\0",
                "malformed: option overruns message\0",
                Error,
            ),
            BadClientId => (
                "bad_client_id\0",
                "malformed: bad Client Identifier\0",
                Error,
            ),
            BadOptionLength => (
                "bad_option_length\0",
                "malformed: bad option length\0",
                Error,
            ),
            ServerIdMismatch => ("other_server\0", "for another server (Server ID)\0", Info),
            InformationRequestWithIa => (
                "info_request_with_ia\0",
                "Information-request with IA option\0",
                Error,
            ),
            MissingServerId => (
                "missing_server_id\0",
                "Server ID missing (RFC 8415 16)\0",
                Error,
            ),
            UnexpectedServerId => (
                "unexpected_server_id\0",
                "Server ID not allowed (RFC 8415 16)\0",
                Error,
            ),
            TooManyIas => ("too_many_ias\0", "too many IA options\0", Error),
            RelayTooDeep => ("relay_too_deep\0", "relay nesting deeper than 32\0", Error),
            RelayWithoutMessage => (
                "relay_without_message\0",
                "Relay-forward without message\0",
                Error,
            ),
            ConfirmUndecidable => (
                "confirm_undecidable\0",
                "Confirm: no address or no link\0",
                Info,
            ),
            ServerOnlyMessage => ("server_message\0", "server-to-client message type\0", Error),
            UnknownMessageType => ("unknown_message_type\0", "unknown message type\0", Error),
            NoServerDuid => ("no_server_duid\0", "no server DUID\0", Error),
            NoReplyAddress => ("no_reply_from\0", "no reply-from address or MAC\0", Error),
            NoRoom => ("no_room\0", "no room for the reply in buffer\0", Error),
            HandoffCongestion => (
                "handoff_congestion\0",
                "handoff to lease owner thread full\0",
                Error,
            ),
            InterfaceRateLimited => (
                "interface_rate_limited\0",
                "over the interface's rate limit\0",
                Warn,
            ),
            ClientRateLimited => (
                "client_rate_limited\0",
                "over the client's rate limit\0",
                Warn,
            ),
            SourceNotLinkLocal => (
                "source_not_link_local\0",
                "multicast from a global source\0",
                Error,
            ),
            NotIpv4Udp => ("not_ipv4_udp\0", "not plain IPv4/UDP (fragment)\0", Error),
            BadMagicCookie => (
                "bad_magic_cookie\0",
                "malformed: no DHCP magic cookie\0",
                Error,
            ),
            NotBootRequest => ("not_bootrequest\0", "BOOTREPLY or unknown op\0", Error),
            NoMessageType => ("no_message_type\0", "no DHCP message type (BOOTP)\0", Error),
            BadHardwareAddress => (
                "bad_hardware_address\0",
                "malformed: bad htype/hlen\0",
                Error,
            ),
            NoSubnet => ("no_subnet\0", "no DHCPv4 link for the client\0", Warn),
            NoAddressToOffer => (
                "no_address_to_offer\0",
                "no address to offer (pools full)\0",
                Warn,
            ),
            UnknownClient => (
                "unknown_client\0",
                "init-reboot of an unknown client\0",
                Info,
            ),
            NoReplyNeeded => (
                "no_reply_needed\0",
                "Release/Decline done (no reply)\0",
                Info,
            ),
            NoServerAddress => (
                "no_server_address\0",
                "no IPv4 address for Server ID\0",
                Error,
            ),
            // RFC 7341: a DHCPv4-query carries one DHCPv4 Message option.
            NoDhcpv4Message => (
                "no_dhcpv4_message\0",
                "DHCPv4-query without one DHCPv4 msg\0",
                Error,
            ),
            InternalError => ("internal_error\0", "internal error (panic caught)\0", Error),
        }
    }

    pub fn name(self) -> &'static str {
        self.describe().0.trim_end_matches('\0')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_dense_and_names_are_unique() {
        for (i, c) in Counter::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
            let (name, desc, _) = c.describe();
            assert!(name.ends_with('\0') && desc.ends_with('\0'));
            assert_eq!(name.matches('\0').count(), 1);
            assert!(
                desc.len() - 1 <= 35,
                "{desc:?} is cut short by `show errors`"
            );
            assert!(c
                .name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        }
        let mut names: Vec<_> = Counter::ALL.iter().map(|c| c.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COUNTER_COUNT);
    }
}
