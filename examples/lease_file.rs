//! Writes a lease file holding `count` bound leases (addresses from
//! 2001:db8:1::1:0 on, one client each, valid for a day), in exactly the
//! format the plugin keeps, to measure restart time.
//!
//! cargo run --release --example lease_file -- /tmp/leases 1000000

use dhcp6_server_plugin::leases::{store, LeaseState, Lifetimes, PoolSpec, ResourceKind, Shard};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (path, count): (&str, u32) = match args.as_slice() {
        [_, path, count] => (path, count.parse().expect("count")),
        _ => {
            eprintln!("usage: lease_file <path> <count>");
            std::process::exit(2);
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;
    let pool = PoolSpec::Addresses {
        first: "2001:db8:1::1:0".parse().unwrap(),
        last: "2001:db8:1::ffff:ffff".parse().unwrap(),
    };
    let mut shard = Shard::new();
    let ids = shard.set_pools(&[pool], 0, 1);
    let capacity = count as usize + 1024;
    shard
        .attach_store(Box::new(vec![0u8; store::file_len(capacity)]), now)
        .expect("new lease file");
    let life = Lifetimes {
        preferred: 43_200,
        valid: 86_400,
    };
    for c in 0..count {
        let mut duid = vec![0, 4];
        duid.extend_from_slice(b"restart-bench");
        duid.extend_from_slice(&c.to_be_bytes());
        shard
            .assign(
                &duid,
                ResourceKind::Na,
                1,
                &ids,
                None,
                LeaseState::Bound,
                now,
                life,
                60,
            )
            .expect("pool large enough");
    }
    std::fs::write(path, shard.store_bytes().unwrap()).expect("write lease file");
    println!("{count} leases written to {path} (capacity {capacity})");
}
