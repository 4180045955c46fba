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

pub mod config;
pub mod counters;
pub mod duid;
pub mod ffi;
pub mod leases;
pub mod limits;
pub mod options;
pub mod reservations;
pub mod server;
pub mod wire;
