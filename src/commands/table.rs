//! Every command, once. The order is the API's dispatch order (the shim's
//! handlers are generated from it): append, do not reorder.

use super::handlers::*;
use super::{Command, Field, Kind, Startup};
use crate::router_adverts::RaMode;

const fn positional(name: &'static str, kind: Kind, help: &'static str) -> Field {
    Field {
        name,
        kind,
        positional: true,
        required: true,
        default: None,
        help,
    }
}

const fn keyword(name: &'static str, kind: Kind, help: &'static str) -> Field {
    Field {
        name,
        kind,
        positional: false,
        required: false,
        default: None,
        help,
    }
}

const fn flag(name: &'static str) -> Field {
    keyword(name, Kind::Flag, "")
}

const fn optional(field: Field) -> Field {
    Field {
        required: false,
        ..field
    }
}

const fn defaults_to(field: Field, default: &'static str) -> Field {
    Field {
        default: Some(default),
        ..field
    }
}

const SECONDS: Kind = Kind::Number {
    max: u32::MAX,
    off: false,
};
const COUNT: Kind = Kind::Number {
    max: u32::MAX,
    off: false,
};
const COUNT_OR_OFF: Kind = Kind::Number {
    max: u32::MAX,
    off: true,
};
const PATH: Kind = Kind::Word { max: 1024 };
const INTERFACE: Field = positional("interface", Kind::Interface, "interface name");
const LINK: Field = positional("link", Kind::Prefix6, "link prefix");
const SUBNET: Field = positional("subnet", Kind::Prefix4, "subnet/len");
const LINK_SCOPE: Field = keyword("link", Kind::Prefix6, "prefix/len");
const RESERVATION_SCOPE: Field = keyword("reservation", Kind::Word { max: 512 }, "client id");
const ALWAYS: Field = keyword("always", Kind::Flag, "sent even when the ORO does not ask");
const OPTION_VALUE: Field = optional(positional(
    "value",
    Kind::Rest { max: 2100 },
    "value ...|none",
));

pub static COMMANDS: &[Command] = &[
    Command {
        path: "dhcp6-server enable",
        help: "Serves DHCPv6 on an interface, or changes its settings.",
        fields: &[
            INTERFACE,
            keyword("reply-from", Kind::Ip6, "ip6"),
            keyword("link-address", Kind::Ip6, "ip6"),
            defaults_to(keyword("accept-multicast", Kind::Bool, "yes|no"), "yes"),
            defaults_to(keyword("accept-unicast", Kind::Bool, "yes|no"), "yes"),
            keyword("server-unicast", Kind::Ip6, "ip6"),
            defaults_to(
                keyword("ra", Kind::Word { max: 9 }, RaMode::WORDS),
                "unchanged",
            ),
        ],
        startup: Startup::Item("interface"),
        needs_some: false,
        run: enable,
    },
    Command {
        path: "dhcp6-server disable",
        help: "Stops DHCPv6 service on an interface.",
        fields: &[INTERFACE],
        startup: Startup::Not("startup.conf only enables"),
        needs_some: false,
        run: disable,
    },
    Command {
        path: "dhcp6-server duid",
        help: "Sets the server DUID, or derives it again from the first enabled interface (auto).",
        fields: &[positional(
            "duid",
            Kind::Word { max: 400 },
            "hex octets|auto",
        )],
        startup: Startup::Item("duid"),
        needs_some: false,
        run: duid,
    },
    Command {
        path: "dhcp6-server link",
        help: "Creates a link (a prefix that link-addresses fall in) or changes or removes it.",
        fields: &[
            LINK,
            keyword("preferred-lifetime", SECONDS, "seconds"),
            keyword("valid-lifetime", SECONDS, "seconds"),
            keyword("t1", SECONDS, "seconds"),
            keyword("t2", SECONDS, "seconds"),
            keyword("rapid-commit", Kind::Bool, "yes|no"),
            keyword("preference", COUNT, "0-255"),
            keyword(
                "interface-id",
                Kind::Word { max: 128 },
                "relay interface-id|none",
            ),
            keyword("relay-address", Kind::Ip6, "ip6|::"),
            keyword("server-unicast", Kind::Ip6, "ip6|::"),
            flag("del"),
        ],
        startup: Startup::Item("link"),
        needs_some: false,
        run: link,
    },
    Command {
        path: "dhcp6-server pool",
        help: "Adds (or with del removes) a pool of addresses or of delegated prefixes to a link; \
               prefix-group: made of what VPP's DHCPv6 PD client holds in that prefix group, \
               following it as it changes: prefixes at the delegated-length (out of the part of \
               it prefixes names), or addresses; their leading bits are the group's prefix, as \
               VPP writes an address of a group.",
        fields: &[
            LINK,
            keyword("addresses", Kind::Ip6Range, "ip6"),
            keyword("prefixes", Kind::Prefix6, "prefix/len"),
            keyword("prefix-group", Kind::Word { max: 64 }, "name"),
            keyword(
                "delegated-length",
                Kind::Number {
                    max: 128,
                    off: false,
                },
                "length",
            ),
            keyword("exclude-prefix", Kind::Prefix6, "prefix/len"),
            flag("del"),
        ],
        startup: Startup::Item("pool"),
        needs_some: false,
        run: pool,
    },
    Command {
        path: "dhcp6-server hold",
        help: "How long an offered (Advertised) or a declined address is held.",
        fields: &[
            keyword("offer", SECONDS, "seconds"),
            keyword("decline", SECONDS, "seconds"),
        ],
        startup: Startup::Item("hold"),
        needs_some: true,
        run: hold,
    },
    Command {
        path: "dhcp6-server limits",
        help:
            "Flood limits: message rates per interface and per client, lease caps; 0 or off: none.",
        fields: &[
            keyword("interface-rate", COUNT_OR_OFF, "msgs/s"),
            keyword("interface-burst", COUNT, "n"),
            keyword("client-rate", COUNT_OR_OFF, "msgs/s"),
            keyword("client-burst", COUNT, "n"),
            keyword("client-leases", COUNT_OR_OFF, "n"),
            keyword("interface-leases", COUNT_OR_OFF, "n"),
        ],
        startup: Startup::Item("limits"),
        needs_some: false,
        run: limits,
    },
    Command {
        path: "dhcp6-server option",
        help: "Sets a named option server-wide, for one link or for one reservation's \
               client (dns-servers, domain-search, sntp-servers, ntp-servers, \
               information-refresh-time, sol-max-rt, inf-max-rt); always sends it even \
               when the client's ORO does not ask; none removes it.",
        fields: &[
            positional("name", Kind::Word { max: 64 }, "option name"),
            LINK_SCOPE,
            RESERVATION_SCOPE,
            ALWAYS,
            OPTION_VALUE,
        ],
        startup: Startup::Item("option"),
        needs_some: false,
        run: option,
    },
    Command {
        path: "dhcp6-server reservation add",
        help: "Reserves an address and/or a prefix for a client (id: duid:<hex>, \
               interface-id[-str]:, remote-id[-str]:<enterprise>:, subscriber-id[-str]:, \
               linklayer-id[-str]:<type>:).",
        fields: &[
            positional("id", Kind::Word { max: 512 }, "client id"),
            keyword("address", Kind::Word { max: 64 }, "ip6"),
            keyword("prefix", Kind::Word { max: 64 }, "ip6/len"),
        ],
        startup: Startup::Item("reservation"),
        needs_some: false,
        run: reservation_add,
    },
    Command {
        path: "dhcp6-server reservation del",
        help: "Removes a client's reservation.",
        fields: &[positional("id", Kind::Word { max: 512 }, "client id")],
        startup: Startup::Not("startup.conf only adds"),
        needs_some: false,
        run: reservation_del,
    },
    Command {
        path: "dhcp6-server reservations load",
        help: "Replaces the reservations with those of a CSV file (id,address,prefix).",
        fields: &[positional("path", PATH, "csv file")],
        startup: Startup::Item("reservations"),
        needs_some: false,
        run: reservations_load,
    },
    Command {
        path: "dhcp6-server reservations reload",
        help: "Reads the reservations file again.",
        fields: &[],
        startup: Startup::Not("an action: startup.conf loads the file"),
        needs_some: false,
        run: reservations_reload,
    },
    Command {
        path: "dhcp6-server lease delete",
        help: "Deletes the lease of an address or delegated prefix: it is free at once.",
        fields: &[positional(
            "address",
            Kind::Ip6,
            "address or delegated prefix",
        )],
        startup: Startup::Not("an action on leases, which startup.conf does not hold"),
        needs_some: false,
        run: lease_delete,
    },
    Command {
        path: "clear dhcp6-server leases",
        help: "Deletes every DHCPv6 lease.",
        fields: &[],
        startup: Startup::Not("an action on leases, which startup.conf does not hold"),
        needs_some: false,
        run: clear_leases,
    },
    Command {
        path: "dhcp6-server lease-file",
        help: "Where leases are kept (an absolute path, or none), for how many, how often flushed.",
        fields: &[
            keyword("path", PATH, "absolute path"),
            flag("none"),
            keyword("capacity", COUNT, "leases"),
            keyword("flush-interval", SECONDS, "seconds"),
        ],
        startup: Startup::Item("lease-file"),
        needs_some: false,
        run: lease_file,
    },
    Command {
        path: "dhcp6-server leases export",
        help: "Writes the leases to a Kea memfile lease6 CSV file.",
        fields: &[positional("path", PATH, "csv file")],
        startup: Startup::Not("an action on leases, which startup.conf does not hold"),
        needs_some: false,
        run: leases_export,
    },
    Command {
        path: "dhcp6-server leases import",
        help: "Adds the valid leases of a Kea memfile lease6 CSV file.",
        fields: &[positional("path", PATH, "csv file")],
        startup: Startup::Not("an action on leases, which startup.conf does not hold"),
        needs_some: false,
        run: leases_import,
    },
    Command {
        path: "show dhcp6-server",
        help: "The server's DUID, options, lease file, limits and event subscribers.",
        fields: &[],
        startup: Startup::Not("a view"),
        needs_some: false,
        run: show,
    },
    Command {
        path: "show dhcp6-server interfaces",
        help: "The interfaces with service and their settings.",
        fields: &[optional(INTERFACE)],
        startup: Startup::Not("a view"),
        needs_some: false,
        run: show_interfaces,
    },
    Command {
        path: "show dhcp6-server links",
        help: "Links, their parameters, options and pools.",
        fields: &[],
        startup: Startup::Not("a view"),
        needs_some: false,
        run: show_links,
    },
    Command {
        path: "show dhcp6-server leases",
        help: "Leases (all: offered and expired ones too).",
        fields: &[
            flag("all"),
            keyword("interface", Kind::Interface, "interface name"),
            keyword("duid", Kind::Word { max: 400 }, "hex"),
        ],
        startup: Startup::Not("a view"),
        needs_some: false,
        run: show_leases,
    },
    Command {
        path: "show dhcp6-server reservations",
        help: "Reservations.",
        fields: &[],
        startup: Startup::Not("a view"),
        needs_some: false,
        run: show_reservations,
    },
    Command {
        path: "dhcp6-server option code",
        help: "Sets any option by its code (types: hex, ipv6-address, string, domain, u8, \
               u16, u32; lists separated by spaces or commas), server-wide, for one link or \
               for one reservation's client; a code that has a name and its type is that \
               named option; always sends it even when the client's ORO does not ask; \
               none removes it.",
        fields: &[
            positional(
                "code",
                Kind::Number {
                    max: 65535,
                    off: false,
                },
                "option code",
            ),
            positional("type", Kind::Word { max: 16 }, "type|none"),
            LINK_SCOPE,
            RESERVATION_SCOPE,
            ALWAYS,
            OPTION_VALUE,
        ],
        startup: Startup::Item("option code"),
        needs_some: false,
        run: option_code,
    },
    Command {
        path: "dhcp4-server enable",
        help: "Serves DHCPv4 on an interface (broadcasts to 255.255.255.255 and unicast to its addresses).",
        fields: &[INTERFACE],
        startup: Startup::Item("interface"),
        needs_some: false,
        run: enable4,
    },
    Command {
        path: "dhcp4-server disable",
        help: "Stops DHCPv4 service on an interface.",
        fields: &[INTERFACE],
        startup: Startup::Not("an action: leave the interface out instead"),
        needs_some: false,
        run: disable4,
    },
    Command {
        path: "dhcp4-server link",
        help: "Creates a DHCPv4 link (an IPv4 subnet: the receiving interface's, a relay's giaddr or \
               link selection falls in it) or changes or removes it; dhcp4o6-link: it also serves the \
               DHCPv4-over-DHCPv6 clients whose IPv6 link-address is in that prefix; server-id: its \
               Server Identifier (0.0.0.0: the receiving interface's address).",
        fields: &[
            SUBNET,
            keyword("lease-time", SECONDS, "seconds"),
            keyword("t1", SECONDS, "seconds"),
            keyword("t2", SECONDS, "seconds"),
            keyword("rapid-commit", Kind::Bool, "yes|no"),
            keyword("dhcp4o6-link", Kind::Prefix6, "ip6 prefix/len"),
            flag("no-dhcp4o6-link"),
            keyword("server-id", Kind::Ip4, "ip4"),
            flag("del"),
        ],
        startup: Startup::Item("link"),
        needs_some: false,
        run: link4,
    },
    Command {
        path: "dhcp4-server pool",
        help: "Adds (or with del removes) a range of addresses to a DHCPv4 link; auto: the subnet \
               past its first 10%, clients placed by a hash of their MAC (the link is created).",
        fields: &[
            SUBNET,
            keyword("addresses", Kind::Ip4Range, "ip4"),
            flag("auto"),
            flag("del"),
        ],
        startup: Startup::Item("pool"),
        needs_some: false,
        run: pool4,
    },
    Command {
        path: "dhcp4-server option",
        help: "Sets a named DHCPv4 option server-wide, for one link or for one reservation's client \
               (routers, dns-servers, domain-name, domain-search, ntp-servers, interface-mtu, \
               broadcast-address, classless-static-routes); always sends it even when the \
               Parameter Request List does not ask; none removes it.",
        fields: &[
            positional("name", Kind::Word { max: 64 }, "option name"),
            keyword("link", Kind::Prefix4, "subnet/len"),
            RESERVATION_SCOPE,
            ALWAYS,
            OPTION_VALUE,
        ],
        startup: Startup::Item("option"),
        needs_some: false,
        run: option4,
    },
    Command {
        path: "dhcp4-server option code",
        help: "Sets any DHCPv4 option by its code (types: hex, ipv4-address, string, domain, u8, \
               u16, u32), server-wide, for one link or for one reservation's client; none removes it.",
        fields: &[
            positional("code", Kind::Number { max: 254, off: false }, "option code"),
            positional("type", Kind::Word { max: 16 }, "type|none"),
            keyword("link", Kind::Prefix4, "subnet/len"),
            RESERVATION_SCOPE,
            ALWAYS,
            OPTION_VALUE,
        ],
        startup: Startup::Item("option code"),
        needs_some: false,
        run: option_code4,
    },
    Command {
        path: "dhcp4-server reservation add",
        help: "Reserves an address for a DHCPv4 client (id: hw-address:<mac>, client-id:<hex>, \
               circuit-id[-str]:, agent-remote-id[-str]:).",
        fields: &[
            positional("id", Kind::Word { max: 512 }, "client id"),
            keyword("address", Kind::Ip4, "ip4"),
        ],
        startup: Startup::Item("reservation"),
        needs_some: false,
        run: reservation_add4,
    },
    Command {
        path: "dhcp4-server reservation del",
        help: "Removes a DHCPv4 client's reservation.",
        fields: &[positional("id", Kind::Word { max: 512 }, "client id")],
        startup: Startup::Not("startup.conf only adds"),
        needs_some: false,
        run: reservation_del,
    },
    Command {
        path: "dhcp4-server reservations load",
        help: "Replaces the DHCPv4 reservations with those of a CSV file (id,address).",
        fields: &[positional("path", PATH, "csv file")],
        startup: Startup::Item("reservations"),
        needs_some: false,
        run: reservations_load4,
    },
    Command {
        path: "dhcp4-server reservations reload",
        help: "Reads the DHCPv4 reservations file again.",
        fields: &[],
        startup: Startup::Not("an action: startup.conf loads the file"),
        needs_some: false,
        run: reservations_reload4,
    },
    Command {
        path: "show dhcp4-server",
        help: "DHCPv4: the interfaces served, the links with their pools and options.",
        fields: &[],
        startup: Startup::Not("a view"),
        needs_some: false,
        run: show4,
    },
    Command {
        path: "show dhcp4-server leases",
        help: "DHCPv4 leases (all: expired ones too).",
        fields: &[
            flag("all"),
            keyword("interface", Kind::Interface, "interface name"),
            keyword("client", Kind::Word { max: 400 }, "hex"),
        ],
        startup: Startup::Not("a view"),
        needs_some: false,
        run: show_leases4,
    },
    Command {
        path: "show dhcp4-server reservations",
        help: "DHCPv4 reservations.",
        fields: &[],
        startup: Startup::Not("a view"),
        needs_some: false,
        run: show_reservations4,
    },
    Command {
        path: "dhcp4-server leases export",
        help: "Writes the DHCPv4 leases to a Kea memfile lease4 CSV file.",
        fields: &[positional("path", PATH, "csv file")],
        startup: Startup::Not("an action on leases, which startup.conf does not hold"),
        needs_some: false,
        run: leases_export4,
    },
    Command {
        path: "dhcp4-server leases import",
        help: "Adds the valid leases of a Kea memfile lease4 CSV file.",
        fields: &[positional("path", PATH, "csv file")],
        startup: Startup::Not("an action on leases, which startup.conf does not hold"),
        needs_some: false,
        run: leases_import4,
    },
    Command {
        path: "clear dhcp4-server leases",
        help: "Deletes every DHCPv4 lease.",
        fields: &[],
        startup: Startup::Not("an action on leases, which startup.conf does not hold"),
        needs_some: false,
        run: clear_leases4,
    },
    Command {
        path: "dhcp6-server looking-glass",
        help: "Publishes each transaction (DHCPKit's Kafka record) and each lease change to Kafka \
               brokers (topic and lease-topic; lease-topic none: no lease stream), or stops (off).",
        fields: &[
            keyword("brokers", Kind::Word { max: 512 }, "host:port[,host:port...]"),
            keyword("topic", Kind::Word { max: 249 }, "name"),
            keyword("lease-topic", Kind::Word { max: 249 }, "name|none"),
            keyword("server-name", Kind::Word { max: 255 }, "name"),
            keyword("transactions", Kind::Word { max: 8 }, "all|answered|none"),
            keyword(
                "queue",
                Kind::Number {
                    max: 1 << 20,
                    off: false,
                },
                "records",
            ),
            flag("off"),
        ],
        startup: Startup::Item("looking-glass"),
        needs_some: true,
        run: looking_glass,
    },
    Command {
        path: "show dhcp6-server looking-glass",
        help: "The looking glass: its settings, the broker connection, records sent, queued and dropped.",
        fields: &[],
        startup: Startup::Not("a view"),
        needs_some: false,
        run: show_looking_glass,
    },
];
