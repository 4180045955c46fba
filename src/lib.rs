//! A DHCPv6 server that runs inside the VPP dataplane.
//!
//! The crate is both the VPP plugin (a `cdylib` together with the C shim in
//! `vpp-shim/`) and a plain library whose core is tested without VPP:
//!
//! - [`wire`]: DHCPv6, IPv6 and UDP read and written in place;
//! - [`config`]: server and per-interface settings, validated;
//! - [`server`]: the per-packet path, frame in, reply or drop reason out;
//! - [`counters`]: every outcome a packet can have, as VPP error counters;
//! - `ffi`: the C ABI the shim calls (the only place with `unsafe`).

#![deny(unsafe_op_in_unsafe_fn)]
// `unsafe` only in the FFI layer (the C ABI and the OS-level pieces under
// it: the mapped lease file, the shard cell, the event ring), and every
// block there says why it is sound.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod commands;
pub mod config;
pub mod counters;
pub mod dhcp4;
pub mod duid;
#[allow(unsafe_code)]
pub mod ffi;
pub mod leases;
pub mod limits;
pub mod looking_glass;
pub mod options;
pub mod prefix_groups;
pub mod reservations;
pub mod router_adverts;
pub mod server;
pub mod stats;
pub mod views;
pub mod wire;
