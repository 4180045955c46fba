//! Flood protection: token buckets per receiving interface and per client,
//! and caps on the leases a client or an interface may hold.
//!
//! The interface bucket is for messages from clients the server holds no
//! lease for: a storm of made-up clients drains it, while clients with
//! leases keep renewing through the storm. Client buckets live in a fixed
//! table indexed by a keyed hash of the DUID: memory does not grow with a
//! storm of made-up DUIDs (two clients may share a bucket; a storm of
//! random DUIDs is bounded by the interface bucket instead).

use crate::leases::index::KeyedHash;

/// Buckets in the client table (a power of two: a mask, not a division,
/// picks the bucket on the packet path).
const CLIENT_BUCKETS: usize = 4096;
const _: () = assert!(CLIENT_BUCKETS.is_power_of_two());
/// Most messages per second a bucket can be set to.
pub const MAX_RATE: u32 = 10_000_000;
/// Most leases a cap can be set to.
pub const MAX_LEASE_CAP: u32 = 16_000_000;

/// Messages per second and how many may come at once; rate 0: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    pub rate: u32,
    pub burst: u32,
}

impl RateLimit {
    pub fn is_set(&self) -> bool {
        self.rate > 0
    }
}

/// The server's limits (0 everywhere: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Messages per receiving interface from clients without leases.
    pub interface: RateLimit,
    /// Messages per client (DUID).
    pub client: RateLimit,
    /// Leases (offered, bound or declined) one client may hold; 0: no cap.
    pub client_leases: u32,
    /// Leases held by clients served on one interface; 0: no cap.
    pub interface_leases: u32,
}

/// Defaults: a client may send 20 messages a second (bursts of 40: a
/// client with 8 IAs retransmitting is far below), and hold 32 leases;
/// interfaces are not limited until the operator says how much they carry.
pub const DEFAULT_LIMITS: Limits = Limits {
    interface: RateLimit { rate: 0, burst: 0 },
    client: RateLimit {
        rate: 20,
        burst: 40,
    },
    client_leases: 32,
    interface_leases: 0,
};

impl Default for Limits {
    fn default() -> Self {
        DEFAULT_LIMITS
    }
}

impl Limits {
    /// Checks the values; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        for (what, l) in [("interface", self.interface), ("client", self.client)] {
            if l.rate > MAX_RATE {
                return Err(format!(
                    "{what}-rate {} is above {MAX_RATE} messages per second",
                    l.rate
                ));
            }
            if l.rate > 0 && l.burst == 0 {
                return Err(format!(
                    "{what}-burst must be at least 1 with a {what}-rate"
                ));
            }
            if l.burst > MAX_RATE {
                return Err(format!("{what}-burst {} is above {MAX_RATE}", l.burst));
            }
        }
        for (what, cap) in [
            ("client-leases", self.client_leases),
            ("interface-leases", self.interface_leases),
        ] {
            if cap > MAX_LEASE_CAP {
                return Err(format!("{what} {cap} is above {MAX_LEASE_CAP}"));
            }
        }
        Ok(())
    }
}

/// A token bucket in thousandths of a message.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    milli_tokens: u64,
    last_ms: u64,
    used: bool,
}

impl Bucket {
    fn take(&mut self, limit: RateLimit, now_ms: u64) -> bool {
        if !limit.is_set() {
            return true;
        }
        let full = u64::from(limit.burst) * 1000;
        if !self.used {
            *self = Bucket {
                milli_tokens: full,
                last_ms: now_ms,
                used: true,
            };
        }
        let elapsed = now_ms.saturating_sub(self.last_ms);
        self.last_ms = self.last_ms.max(now_ms);
        self.milli_tokens = self
            .milli_tokens
            .saturating_add(elapsed.saturating_mul(u64::from(limit.rate)))
            .min(full);
        if self.milli_tokens >= 1000 {
            self.milli_tokens -= 1000;
            true
        } else {
            false
        }
    }
}

/// The buckets, owned by the lease engine's thread.
#[derive(Debug)]
pub struct Limiter {
    interfaces: Vec<Bucket>,
    clients: Box<[Bucket]>,
    hash: KeyedHash,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter {
            interfaces: Vec::new(),
            clients: vec![Bucket::default(); CLIENT_BUCKETS].into_boxed_slice(),
            hash: KeyedHash::random(),
        }
    }
}

impl Limiter {
    /// Makes room for interfaces up to `max_sw_if_index` (configuration
    /// time, so packets never grow the table).
    pub fn cover_interfaces(&mut self, max_sw_if_index: u32) {
        let want = max_sw_if_index as usize + 1;
        if want > self.interfaces.len() {
            self.interfaces.resize(want, Bucket::default());
        }
    }

    /// Whether a message received on `sw_if_index` may be served.
    pub fn admit_interface(&mut self, limit: RateLimit, sw_if_index: u32, now_ms: u64) -> bool {
        match self.interfaces.get_mut(sw_if_index as usize) {
            Some(b) => b.take(limit, now_ms),
            None => !limit.is_set(),
        }
    }

    /// Whether a message from the client `duid` may be served.
    pub fn admit_client(&mut self, limit: RateLimit, duid: &[u8], now_ms: u64) -> bool {
        if !limit.is_set() {
            return true;
        }
        let at = self.hash.bytes(duid) as usize & (CLIENT_BUCKETS - 1);
        self.clients[at].take(limit, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let limit = RateLimit { rate: 10, burst: 5 };
        let mut b = Bucket::default();
        let admitted = (0..20).filter(|_| b.take(limit, 1_000)).count();
        assert_eq!(admitted, 5, "the burst, all at once");
        // 10 per second: one every 100 ms.
        assert!(!b.take(limit, 1_050));
        assert!(b.take(limit, 1_100));
        assert!(!b.take(limit, 1_150));
        // A long pause refills to the burst, no more.
        let admitted = (0..20).filter(|_| b.take(limit, 60_000)).count();
        assert_eq!(admitted, 5);
        // The clock going back changes nothing.
        assert!(!b.take(limit, 10));
    }

    #[test]
    fn no_rate_means_no_limit_and_unknown_interfaces_pass_only_then() {
        let mut l = Limiter::default();
        let none = RateLimit::default();
        assert!((0..10_000).all(|_| l.admit_client(none, b"\x00\x01\x02", 5)));
        assert!(l.admit_interface(none, 7, 5));
        let some = RateLimit { rate: 1, burst: 1 };
        assert!(!l.admit_interface(some, 7, 5), "no bucket: not served");
        l.cover_interfaces(7);
        assert!(l.admit_interface(some, 7, 5));
        assert!(!l.admit_interface(some, 7, 5));
    }

    #[test]
    fn clients_have_their_own_buckets() {
        let mut l = Limiter::default();
        let limit = RateLimit { rate: 1, burst: 2 };
        let a = b"\x00\x03\x00\x01\x02\x00\x00\x00\x00\x01";
        let b = b"\x00\x03\x00\x01\x02\x00\x00\x00\x00\x02";
        assert!(l.admit_client(limit, a, 0));
        assert!(l.admit_client(limit, a, 0));
        assert!(!l.admit_client(limit, a, 0));
        // Another client (unless the two hash to one bucket, 1 in 4096).
        assert!(l.admit_client(limit, b, 0));
    }

    #[test]
    fn bad_limits_are_refused_with_a_reason() {
        let mut l = DEFAULT_LIMITS;
        assert!(l.validate().is_ok());
        l.interface = RateLimit {
            rate: 100,
            burst: 0,
        };
        assert!(l.validate().unwrap_err().contains("interface-burst"));
        l.interface = RateLimit {
            rate: MAX_RATE + 1,
            burst: 1,
        };
        assert!(l.validate().unwrap_err().contains("interface-rate"));
        l.interface = RateLimit::default();
        l.client_leases = MAX_LEASE_CAP + 1;
        assert!(l.validate().unwrap_err().contains("client-leases"));
    }
}
