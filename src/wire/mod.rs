//! Zero-copy views over the bytes of a received frame, and writers that
//! build the reply in the same buffer.

pub mod dhcpv4;
pub mod dhcpv6;
pub mod domain;
pub mod frame;
