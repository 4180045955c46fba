//! The whole per-packet path: a frame in, `server::handle_frame`, a
//! verdict out, over one live lease engine kept across runs (leases get
//! offered, bound, renewed, released, declined and expire as the fuzzer's
//! packets and clock say).
//!
//! The server has flood limits (per-interface and per-client token
//! buckets on the millisecond clock, a cap on leases per client and per
//! interface), reached by bursts without a clock step and by many IAs.
//!
//! Input: 3 control bytes, then the UDP payload.
//!   byte 0: bits 0-1 source address (link-local, link-local EUI-64,
//!           on-link global, off-link global), bits 2-3 destination
//!           (ff02::1:2, our global, our link-local, ff05::1:3), bits 4-5
//!           receiving interface (plain, no unicast, no multicast, no
//!           addresses/disabled), bit 6 a VLAN tag, bit 7 a bad UDP checksum;
//!   byte 1: clock: below 0xc0 +byte*16 ms, else +(byte-0xc0)*128 s;
//!   byte 2: bit 7 tight buffer (bits 0-4: room after the frame, 4-byte
//!           steps), bit 6 the other client MAC, bit 5 a disabled interface.
//!
//! Checked after each packet: a reply fits the buffer; its Ethernet, IPv6
//! and UDP headers (checksum included) are right; the message parses again
//! with the crate's parser; Relay-replies mirror the relay chain; IAs
//! answer IAs asked; what is handed out with a valid lifetime is ours (a
//! pool or a reservation) and is the client's lease in the engine;
//! Release and Decline take effect. Every 512 packets the whole lease
//! engine is checked (no resource held twice, nothing due left in force).

#![no_main]

use std::cell::RefCell;

use dhcp6_fuzz::{serve_and_check, FuzzServer, Wrapping};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static SERVER: RefCell<FuzzServer> = RefCell::new(FuzzServer::new());
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (control, payload) = data.split_at(3);
    let ms = match control[1] {
        b @ 0..0xc0 => u64::from(b) * 16,
        b => u64::from(b - 0xc0) * 128_000,
    };
    let w = Wrapping::from_control(control[0], control[2], payload);
    SERVER.with(|s| {
        let mut server = s.borrow_mut();
        server.advance(ms);
        serve_and_check(&mut server, payload, &w);
    });
});
