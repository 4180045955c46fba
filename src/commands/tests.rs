use std::collections::BTreeMap;
use std::net::Ipv6Addr;

use super::*;

/// A controller without VPP: a config, a shard and named interfaces.
struct Plain {
    config: ServerConfig,
    shard: Shard,
    interfaces: BTreeMap<String, u32>,
}

impl Plain {
    fn new() -> Self {
        Plain {
            config: ServerConfig::new(),
            shard: Shard::new(),
            interfaces: [("host-eth0".to_string(), 1), ("host-eth1".to_string(), 2)].into(),
        }
    }

    fn run(&mut self, line: &str) -> Result<Vec<String>, String> {
        let command = COMMANDS
            .iter()
            .filter(|c| line == c.path || line.starts_with(&format!("{} ", c.path)))
            .max_by_key(|c| c.path.len())
            .ok_or_else(|| format!("no command for {line:?}"))?;
        let mut out = Vec::new();
        run_line(command, &line[command.path.len()..], self, &mut out)?;
        Ok(out)
    }
}

impl Controller for Plain {
    fn now(&self) -> u32 {
        1_000_000
    }
    fn interface_by_name(&self, name: &str) -> Option<u32> {
        self.interfaces.get(name).copied()
    }
    fn interface_name(&self, sw_if_index: u32) -> String {
        self.interfaces
            .iter()
            .find(|(_, i)| **i == sw_if_index)
            .map_or(format!("sw_if_index {sw_if_index}"), |(n, _)| n.clone())
    }
    fn interface_facts(&self, _: u32) -> InterfaceFacts {
        InterfaceFacts {
            mac: Some([2, 0, 0, 0, 0, 1]),
            link_local: Some("fe80::1".parse().unwrap()),
            first_global: Some("2001:db8:1::1".parse().unwrap()),
            ipv4_address: None,
            fib_index: 0,
        }
    }
    fn set_interface(&mut self, i: u32, s: Option<&InterfaceSettings>) -> Result<(), String> {
        match s {
            Some(s) => self
                .config
                .enable_interface(i, *s, Some([2, 0, 0, 0, 0, 1]))
                .map_err(|e| e.to_string()),
            None => self
                .config
                .disable_interface(i)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
    fn set_interface4(&mut self, i: u32, enable: bool) -> Result<(), String> {
        let r = if enable {
            self.config.enable_interface4(i)
        } else {
            self.config.disable_interface4(i)
        };
        r.map_err(|e| e.to_string())
    }
    fn config(&self) -> Option<&ServerConfig> {
        Some(&self.config)
    }
    fn configure(
        &mut self,
        change: &mut dyn FnMut(&mut ServerConfig) -> Result<usize, ConfigError>,
    ) -> Result<usize, ConfigError> {
        let mut next = self.config.clone();
        let n = change(&mut next)?;
        self.config = next;
        Ok(n)
    }
    fn shard(&mut self) -> &mut Shard {
        &mut self.shard
    }
    fn shard_changed(&mut self) {}
    fn set_lease_store(
        &mut self,
        path: Option<&str>,
        capacity: Option<u32>,
        flush: Option<u32>,
    ) -> Result<(), ConfigError> {
        self.config.set_lease_store(path, capacity, flush)
    }
    fn lease_store_lines(&mut self) -> Vec<String> {
        vec!["  lease file: none".into()]
    }
    fn looking_glass_status(&self) -> crate::looking_glass::Status {
        crate::looking_glass::Status::default()
    }
    fn event_subscribers(&self) -> (u32, u64) {
        (1, 0)
    }
}

/// One valid line per command (the words after its path).
fn sample(command: &Command) -> &'static str {
    match command.path {
        "dhcp6-server enable" => "host-eth0 reply-from fe80::1 accept-unicast no",
        "dhcp6-server disable" => "host-eth0",
        "dhcp6-server duid" => "00:02:00:00:ab:11:01:02",
        "dhcp6-server link" => "2001:db8:1::/64 preferred-lifetime 1800 rapid-commit yes",
        "dhcp6-server pool" => "2001:db8:1::/64 addresses 2001:db8:1::100 - 2001:db8:1::1ff",
        "dhcp6-server hold" => "offer 30",
        "dhcp6-server limits" => "client-rate off client-burst 9",
        "dhcp6-server option" => "dns-servers link 2001:db8:1::/64 2001:db8::53 2001:db8::54",
        "dhcp6-server option code" => {
            "27 ipv6-address reservation duid:00:03:01 always 2001:db8::27"
        }
        "dhcp6-server reservation add" => "duid:000300010200000000aa address 2001:db8:1::10",
        "dhcp6-server reservation del" => "duid:000300010200000000aa",
        "dhcp6-server reservations load" => "/etc/dhcp6/reservations.csv",
        "dhcp6-server lease delete" => "2001:db8:1::100",
        "dhcp6-server lease-file" => "path /var/lib/x capacity 1000",
        "dhcp6-server leases export"
        | "dhcp6-server leases import"
        | "dhcp4-server leases export"
        | "dhcp4-server leases import" => "/tmp/leases.csv",
        "show dhcp6-server interfaces" => "host-eth1",
        "show dhcp6-server leases" => "all interface host-eth0 duid 00:01",
        "dhcp4-server enable" | "dhcp4-server disable" => "host-eth0",
        "dhcp4-server link" => "192.0.2.0/24 lease-time 600 rapid-commit yes",
        "dhcp4-server pool" => "192.0.2.0/24 addresses 192.0.2.10 - 192.0.2.20",
        "dhcp4-server option" => "routers link 192.0.2.0/24 192.0.2.1",
        "dhcp4-server option code" => "150 ipv4-address always 192.0.2.9",
        "dhcp4-server reservation add" => "hw-address:02:00:00:00:00:01 address 192.0.2.7",
        "dhcp4-server reservation del" => "hw-address:02:00:00:00:00:01",
        "dhcp4-server reservations load" => "/etc/dhcp4/reservations.csv",
        "show dhcp4-server leases" => "all interface host-eth0 client 01:02",
        "dhcp6-server looking-glass" => {
            "brokers 127.0.0.1:9092,[::1]:9092 lease-topic none transactions answered queue 64"
        }
        _ => "",
    }
}

fn parse_sample(c: &'static Command) -> Args {
    let plain = Plain::new();
    let words: Vec<&str> = sample(c).split_whitespace().collect();
    parse::line(c, &words, &|n| plain.interface_by_name(n))
        .unwrap_or_else(|e| panic!("{}: {e}", c.path))
}

#[test]
fn every_command_reads_the_same_from_the_cli_and_from_its_api_message() {
    for c in COMMANDS {
        let from_cli = parse_sample(c);
        let message = api::encode(c, &from_cli.values);
        let from_api = api::decode(c, &message).unwrap_or_else(|e| panic!("{}: {e}", c.path));
        assert_eq!(from_cli, from_api, "{}", c.path);
    }
}

#[test]
fn a_short_api_message_is_refused_not_read_past_its_end() {
    let c = find("dhcp6-server enable").unwrap();
    let message = api::encode(c, &parse_sample(c).values);
    for len in 0..message.len() {
        assert!(api::decode(c, &message[..len]).is_err(), "{len}");
    }
}

#[test]
fn defaults_come_from_the_table_through_every_door() {
    let c = find("dhcp6-server enable").unwrap();
    let plain = Plain::new();
    let args = parse::line(c, &["host-eth0"], &|n| plain.interface_by_name(n)).unwrap();
    assert_eq!(args.boolean("accept-multicast"), Some(true));
    assert_eq!(args.boolean("accept-unicast"), Some(true));
    assert_eq!(args.ip6("reply-from"), None);
    // An API caller that leaves the fields at vpp_papi's defaults.
    let mut values = args.values.clone();
    values[3] = Some(Value::Bool(true));
    values[4] = Some(Value::Bool(true));
    let decoded = api::decode(c, &api::encode(c, &values)).unwrap();
    assert_eq!(decoded, args);
    assert!(api::definitions().contains("bool accept_multicast [default=true];"));
}

#[test]
fn keywords_come_in_any_order_and_positionals_in_theirs() {
    let c = find("dhcp6-server option").unwrap();
    let a = parse::line(
        c,
        &["ntp-servers", "link", "2001:db8::/64", "a", "b"],
        &|_| None,
    )
    .unwrap();
    assert_eq!(a.text("name"), Some("ntp-servers"));
    assert_eq!(a.prefix6("link"), Some(("2001:db8::".parse().unwrap(), 64)));
    assert_eq!(a.text("value"), Some("a b"));
    let c = find("dhcp6-server link").unwrap();
    let a = parse::line(
        c,
        &["t2", "90", "2001:db8::/64", "t1", "60", "del"],
        &|_| None,
    )
    .unwrap();
    assert_eq!(
        (a.number("t1"), a.number("t2"), a.flag("del")),
        (Some(60), Some(90), true)
    );
}

#[test]
fn refusals_say_what_was_wrong() {
    let mut p = Plain::new();
    let cases = [
        ("dhcp6-server enable", "interface name expected"),
        ("dhcp6-server enable no-such0", "unknown input `no-such0'"),
        (
            "dhcp6-server enable host-eth0 reply-from 2001:db8::zz",
            "unknown input",
        ),
        (
            "dhcp6-server enable host-eth0 bogus",
            "unknown input `bogus'",
        ),
        (
            "dhcp6-server enable host-eth0 accept-unicast maybe",
            "yes|no",
        ),
        ("dhcp6-server duid", "usage"),
        ("dhcp6-server link 2001:db8:1::/129", "link prefix expected"),
        ("dhcp6-server hold", "usage"),
        ("dhcp6-server hold offer -5", "unknown input"),
        ("dhcp6-server hold decline 99999999999", "too large"),
        (
            "dhcp6-server pool 2001:db8:1::/64 prefixes 2001:db8:100::/40 delegated-length 129",
            "usage",
        ),
        ("dhcp6-server pool 2001:db8:1::/64", "usage"),
        ("dhcp6-server lease delete bogus", "usage"),
        ("dhcp6-server lease delete 2001:db8:1::77", "no lease for"),
        ("dhcp6-server lease-file path /x none", "usage"),
        ("dhcp6-server leases export relative.csv", "absolute path"),
        ("dhcp6-server option bogus 1", "unknown option"),
        ("show dhcp6-server bogus", "unknown input"),
        ("show dhcp6-server leases duid zz", "hex octets"),
    ];
    for (line, want) in cases {
        let before = p.config.clone();
        match p.run(line) {
            Ok(out) => panic!("{line:?} was accepted: {out:?}"),
            Err(e) => assert!(e.contains(want), "{line:?}: {e:?} lacks {want:?}"),
        }
        assert_eq!(
            format!("{:?}", p.config),
            format!("{before:?}"),
            "{line:?} changed the configuration"
        );
    }
}

#[test]
fn limits_off_means_zero_and_leaves_the_others() {
    let mut p = Plain::new();
    let before = *p.config.limits();
    p.run("dhcp6-server limits client-leases off").unwrap();
    let after = *p.config.limits();
    assert_eq!(after.client_leases, 0);
    assert_eq!(after.client, before.client);
    assert_eq!(after.interface_leases, before.interface_leases);
}

#[test]
fn a_pool_is_either_addresses_or_prefixes() {
    let mut p = Plain::new();
    p.run("dhcp6-server link 2001:db8:1::/64").unwrap();
    let both = "dhcp6-server pool 2001:db8:1::/64 addresses 2001:db8:1::1 - 2001:db8:1::9 \
                prefixes 2001:db8:100::/40 delegated-length 56";
    assert!(p.run(both).unwrap_err().contains("usage"));
    p.run("dhcp6-server pool 2001:db8:1::/64 addresses 2001:db8:1::1-2001:db8:1::9")
        .unwrap();
    p.run("dhcp6-server pool 2001:db8:1::/64 prefixes 2001:db8:100::/40 delegated-length 56")
        .unwrap();
    assert_eq!(p.config.all_pools().count(), 2);
    p.run("dhcp6-server pool 2001:db8:1::/64 addresses 2001:db8:1::1 - 2001:db8:1::9 del")
        .unwrap();
    assert_eq!(p.config.all_pools().count(), 1);
}

#[test]
fn an_option_set_to_none_is_removed() {
    let mut p = Plain::new();
    p.run("dhcp6-server option dns-servers 2001:db8::53")
        .unwrap();
    assert_eq!(
        p.config.dns_servers(),
        vec!["2001:db8::53".parse::<Ipv6Addr>().unwrap()]
    );
    p.run("dhcp6-server option dns-servers none").unwrap();
    assert!(p.config.dns_servers().is_empty());
}

#[test]
fn options_by_code_are_set_shown_and_removed_at_each_scope() {
    let mut p = Plain::new();
    p.run("dhcp6-server link 2001:db8:1::/64").unwrap();
    p.run("dhcp6-server reservation add duid:00:03:01 address 2001:db8:1::10")
        .unwrap();
    p.run("dhcp6-server option code 27 ipv6-address 2001:db8::27, 2001:db8::28")
        .unwrap();
    p.run("dhcp6-server option code 29 domain link 2001:db8:1::/64 always nis.example")
        .unwrap();
    p.run("dhcp6-server option code 200 hex reservation duid:00:03:01 00:01:ff")
        .unwrap();
    p.run("dhcp6-server option sntp-servers reservation duid:00:03:01 2001:db8::123")
        .unwrap();
    let links = p.run("show dhcp6-server links").unwrap();
    assert!(links.contains(&"  option code 29 domain always nis.example".to_string()));
    assert!(links.contains(
        &"server-wide option code 27 ipv6-address 2001:db8::27 2001:db8::28".to_string()
    ));
    let rows = p.run("show dhcp6-server reservations").unwrap();
    assert_eq!(
        rows[0],
        "duid:000301 address 2001:db8:1::10 (option sntp-servers 2001:db8::123) \
         (option code 200 hex 00:01:ff)"
    );
    p.run("dhcp6-server option code 27 none").unwrap();
    p.run("dhcp6-server option code 200 hex reservation duid:00:03:01 none")
        .unwrap();
    assert!(!p
        .run("show dhcp6-server links")
        .unwrap()
        .iter()
        .any(|l| l.contains("code 27")));
    assert!(!p.run("show dhcp6-server reservations").unwrap()[0].contains("code 200"));

    // Refused, changing nothing.
    for (line, why) in [
        ("dhcp6-server option code 2 hex 00", "written by the server"),
        (
            "dhcp6-server option code 12 ipv6-address 2001:db8::1",
            "server-unicast",
        ),
        ("dhcp6-server option code 70000 u8 1", "too large"),
        ("dhcp6-server option code 30 float 1.5", "is not one of hex"),
        ("dhcp6-server option code 30 u8 300", "0 to 255"),
        ("dhcp6-server option code 30 u8", "a value expected"),
        (
            "dhcp6-server option code 30 u8 link 2001:db8:1::/64 reservation duid:00:03:01 1",
            "not both",
        ),
        (
            "dhcp6-server option code 30 u8 reservation duid:00:03:02 1",
            "add it first",
        ),
        (
            "dhcp6-server option code 30 u8 link 2001:db8:9::/64 1",
            "2001:db8:9::/64",
        ),
        (
            "dhcp6-server option nis-servers 2001:db8::1",
            "code <n> <type>",
        ),
    ] {
        let e = p.run(line).unwrap_err();
        assert!(e.contains(why), "{line}: {e}");
    }
    assert!(!p
        .run("show dhcp6-server links")
        .unwrap()
        .iter()
        .any(|l| l.contains("code 30")));
}

#[test]
fn show_names_the_interface_the_duid_came_from() {
    let mut p = Plain::new();
    p.run("dhcp6-server enable host-eth1").unwrap();
    let out = p.run("show dhcp6-server").unwrap();
    assert_eq!(out[0], "DHCPv6 server: 1 interface enabled");
    assert_eq!(
        out[1],
        "  server DUID: 00030001020000000001 (DUID-LL of host-eth1)"
    );
    assert_eq!(
        out.last().unwrap(),
        "  lease events: 1 subscriber, 0 dropped (subscribers too slow)"
    );
    let out = p.run("show dhcp6-server interfaces").unwrap();
    assert_eq!(out[0], "host-eth1 (sw_if_index 2)");
    assert_eq!(
        out[1],
        "  reply-from fe80::1 (default: interface link-local)"
    );
    assert_eq!(
        out[2],
        "  link-address 2001:db8:1::1 (default: first global address)"
    );
    assert!(p
        .run("show dhcp6-server interfaces host-eth0")
        .unwrap()
        .is_empty());
}

#[test]
fn startup_items_are_table_commands_without_their_path() {
    let text = "duid 00:02:00:00:ab:11:01:02\n link 2001:db8:1::/64 { preferred-lifetime 1800 }\n\
                pool 2001:db8:1::/64 { addresses 2001:db8:1::100 - 2001:db8:1::1ff }\n\
                option dns-servers link 2001:db8:1::/64 { 2001:db8::53 }\n\
                option code 27 ipv6-address { 2001:db8::27 } option code 28 none\n\
                hold { offer 20 } interface host-eth9 { accept-unicast no } interface host-eth0\n\
                reservations /etc/r.csv lease-file { none }";
    let items = startup::items("dhcp6-server", text).unwrap();
    let seen: Vec<(&str, String)> = items
        .iter()
        .map(|i| (i.command.path, i.words.join(" ")))
        .collect();
    assert_eq!(
        seen,
        [
            ("dhcp6-server duid", "00:02:00:00:ab:11:01:02".to_string()),
            (
                "dhcp6-server link",
                "2001:db8:1::/64 preferred-lifetime 1800".into()
            ),
            (
                "dhcp6-server pool",
                "2001:db8:1::/64 addresses 2001:db8:1::100 - 2001:db8:1::1ff".into()
            ),
            (
                "dhcp6-server option",
                "dns-servers link 2001:db8:1::/64 2001:db8::53".into()
            ),
            (
                "dhcp6-server option code",
                "27 ipv6-address 2001:db8::27".into()
            ),
            ("dhcp6-server option code", "28 none".into()),
            ("dhcp6-server hold", "offer 20".into()),
            ("dhcp6-server enable", "host-eth9 accept-unicast no".into()),
            ("dhcp6-server enable", "host-eth0".into()),
            ("dhcp6-server reservations load", "/etc/r.csv".into()),
            ("dhcp6-server lease-file", "none".into()),
        ]
    );
    assert!(startup::items("dhcp6-server", "bogus 1")
        .unwrap_err()
        .contains("unknown input `bogus'"));
    assert!(startup::items("dhcp6-server", "hold { offer 1")
        .unwrap_err()
        .contains("unbalanced"));
}

#[test]
fn a_startup_interface_that_does_not_exist_yet_waits_for_it() {
    let mut p = Plain::new();
    let waiting = startup::apply(
        "dhcp6-server",
        "link 2001:db8:1::/64 interface host-eth9 { accept-unicast no } interface host-eth0",
        &mut p,
    )
    .unwrap();
    assert_eq!(waiting.len(), 1);
    assert!(p.config.interface(1).is_some());
    p.interfaces.insert("host-eth9".into(), 9);
    assert!(!startup::waits(&waiting[0], &p));
    startup::run(&waiting[0], &mut p).unwrap();
    assert!(!p.config.interface(9).unwrap().accept_unicast);
    // A bad item is an error naming it.
    let e = startup::apply("dhcp6-server", "hold { offer 0 }", &mut p).unwrap_err();
    assert!(e.starts_with("dhcp6-server { hold offer 0 }: "), "{e}");
}

#[test]
fn the_generated_api_has_a_request_and_a_reply_per_command_in_table_order() {
    let defs = api::definitions();
    let dispatch = api::dispatch_header();
    let mut last = 0;
    for (i, c) in COMMANDS.iter().enumerate() {
        let name = c.api_name();
        assert!(
            defs.contains(&format!(
                "define {name}\n{{\n  option cli = \"{}\";",
                c.path
            )),
            "{name}"
        );
        assert!(defs.contains(&format!("define {name}_reply\n")), "{name}");
        let at = dispatch
            .find(&format!("_ ({i}, {name}, {})", name.to_uppercase()))
            .unwrap_or_else(|| panic!("{name} not dispatched as {i}"));
        assert!(at >= last);
        last = at;
    }
    let names: std::collections::BTreeSet<String> = COMMANDS.iter().map(|c| c.api_name()).collect();
    assert_eq!(
        names.len(),
        COMMANDS.len(),
        "two commands share an API name"
    );
}

#[test]
fn api_text_longer_than_a_message_holds_is_cut_on_a_char_boundary() {
    let lines = vec!["é".repeat(api::MAX_REPLY_TEXT)];
    let text = api::reply_text(&lines);
    assert!(text.len() < api::MAX_REPLY_TEXT + 100);
    assert!(text.ends_with("the dump messages give everything)"));
}
