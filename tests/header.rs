//! The C header in include/ must be what cbindgen makes of src/ffi today.
//! Regenerate with: UPDATE_HEADER=1 cargo test --test header

use std::path::Path;

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
    let generated = String::from_utf8(generated).unwrap();
    let path = root.join("include/dhcp6_server.h");
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/dhcp6_server.h has drifted from src/ffi: regenerate it with \
         `UPDATE_HEADER=1 cargo test --test header` and commit it"
    );
}
