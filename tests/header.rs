//! The generated files must be what their sources make of them today:
//! include/dhcp6_server.h (cbindgen, from src/ffi), and from the command
//! table include/dhcp6_server_commands.h and the generated part of
//! vpp-shim/dhcp6_server.api.
//! Regenerate all three with: UPDATE_HEADER=1 cargo test --test header

use std::path::Path;

use dhcp6_server_plugin::commands::{api, reference};

const API_MARK: &str = "/* ---- command table: generated";

fn check(path: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::write(&path, generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} has drifted from its source: regenerate it with \
         `UPDATE_HEADER=1 cargo test --test header` and commit it",
        path.display()
    );
}

#[test]
fn c_header_matches_the_rust_abi() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen could not read the crate")
        .write(&mut generated);
    check(
        "include/dhcp6_server.h",
        &String::from_utf8(generated).unwrap(),
    );
}

#[test]
fn api_handler_list_matches_the_command_table() {
    check("include/dhcp6_server_commands.h", &api::dispatch_header());
}

#[test]
fn api_definitions_match_the_command_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("vpp-shim/dhcp6_server.api");
    let text = std::fs::read_to_string(&path).unwrap();
    let mark = text
        .find(API_MARK)
        .expect("the .api file lost its command-table mark");
    let end_of_mark = mark + text[mark..].find('\n').unwrap() + 1;
    let generated = format!("{}\n{}", &text[..end_of_mark], api::definitions());
    check("vpp-shim/dhcp6_server.api", generated.trim_end());
}

#[test]
fn readme_command_reference_matches_the_command_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = (
        text.find(reference::BEGIN)
            .expect("README.md lost its command table mark"),
        text.find(reference::END)
            .expect("README.md lost its command table end mark"),
    );
    let generated = format!(
        "{}{}{}",
        &text[..begin],
        reference::table(),
        &text[end + reference::END.len()..]
    );
    check("README.md", &generated);
}

/// Each startup.conf item is shown in the README's startup.conf examples
/// (`dhcp6-server { }` and `dhcp4-server { }`), and each example is what
/// the parser reads.
#[test]
fn readme_startup_example_has_every_item_and_parses() {
    use dhcp6_server_plugin::commands::{startup, COMMANDS};
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut items = Vec::new();
    for section in ["dhcp6-server", "dhcp4-server"] {
        let opening = format!("```\n{section} {{\n");
        let start = text
            .find(&opening)
            .unwrap_or_else(|| panic!("README.md has no {section} startup.conf example"));
        let body = &text[start + opening.len()..];
        let body = &body[..body.find("\n}\n```").expect("unterminated example")];
        items.extend(
            startup::items(section, body)
                .unwrap_or_else(|e| panic!("the README's {section} example does not parse: {e}")),
        );
    }
    for c in COMMANDS {
        if let Some(keyword) = c.startup.keyword() {
            assert!(
                items.iter().any(|i| i.command == c),
                "the README's {} startup.conf example lacks a `{keyword}` item",
                c.section()
            );
        }
    }
}
