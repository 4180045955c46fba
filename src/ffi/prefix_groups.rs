//! Pools that follow a prefix group of VPP's DHCPv6 PD client: the shim
//! hands over what `show ip6 prefixes` lists, about once a second while a
//! pool follows a group; a group whose prefix changed gets its pools remade
//! and the routes of the prefixes bound from the old one withdrawn.

use super::*;
use std::sync::atomic::AtomicU64;

/// Delegated prefixes whose routes were withdrawn because their prefix
/// group's prefix went away, since VPP started.
static WITHDRAWN: AtomicU64 = AtomicU64::new(0);

pub(super) fn withdrawn() -> u64 {
    WITHDRAWN.load(Ordering::Relaxed)
}

/// Whether some pool follows a prefix group (the shim then reads VPP's
/// prefix groups). Main thread.
#[no_mangle]
pub extern "C" fn dhcp6_server_prefix_groups_wanted() -> bool {
    boundary(false, || {
        PLUGIN.config.load().is_some_and(|c| !c.groups().is_empty())
    })
}

/// `listing` (`len` bytes, not NUL-terminated): the output of VPP's `show
/// ip6 prefixes`. Remakes the pools of each group whose prefix changed and
/// withdraws what was routed from the old ones; writes the lines for VPP's
/// log into `log` (`log_len` bytes, NUL-terminated, lines separated by
/// '\n') and returns whether there are any. Main thread, barrier held.
#[no_mangle]
pub extern "C" fn dhcp6_server_prefix_groups_update(
    listing: *const c_char,
    len: usize,
    log: *mut c_char,
    log_len: usize,
) -> bool {
    boundary(false, || {
        if listing.is_null() {
            return false;
        }
        // SAFETY: the shim passes `len` readable bytes (ABI contract).
        let bytes = unsafe { std::slice::from_raw_parts(listing.cast::<u8>(), len) };
        let listed = crate::prefix_groups::parse(&String::from_utf8_lossy(bytes));
        let Some(config) = PLUGIN.config.load() else {
            return false;
        };
        let moves: Vec<(String, Option<(Ipv6Addr, u8)>)> = config
            .groups()
            .into_iter()
            .filter_map(|g| {
                let now = config.group_prefix(g);
                let next = crate::prefix_groups::choose(g, now, &listed);
                (next != now).then(|| (g.to_string(), next))
            })
            .collect();
        if moves.is_empty() {
            return false;
        }
        let mut change = crate::config::GroupChange::default();
        let published = publish(|c| {
            for (group, prefix) in &moves {
                let one = c.set_group_prefix(group, *prefix);
                change.removed.extend(one.removed);
                change.lines.extend(one.lines);
            }
            Ok(())
        });
        if let Err(e) = published {
            change.lines.push(format!("prefix groups: {e}"));
        }
        // SAFETY: main thread with the barrier held (function contract).
        let shard = unsafe { PLUGIN.shard.owner() };
        for spec in &change.removed {
            let n = shard.withdraw_routes_of(spec);
            WITHDRAWN.fetch_add(n as u64, Ordering::Relaxed);
            change.lines.push(format!(
                "pool {spec} is gone with its prefix group's prefix: {n} delegated prefixes \
                 no longer routed, told lifetimes 0 at their next Renew or Rebind"
            ));
        }
        note_shard_state(shard);
        ErrorBuffer::new(log, log_len).write(&change.lines.join("\n"));
        !change.lines.is_empty()
    })
}
