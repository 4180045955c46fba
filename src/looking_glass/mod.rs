//! The transaction looking glass and lease stream on Kafka (DHCPKit's
//! Kafka extension, and more): what is published, in which records
//! (`record`, `lease_record`), under which settings. The producer itself,
//! librdkafka on a thread of the plugin's own fed by a bounded ring the
//! packet path never waits on, is in `ffi::looking_glass`.

pub mod lease_record;
pub mod record;

use core::fmt;

/// DHCPKit's topic.
pub const DEFAULT_TOPIC: &str = "dhcpkit.messages";
pub const DEFAULT_LEASE_TOPIC: &str = "dhcp6-server.leases";
/// Transactions buffered between the packet path and the broker.
pub const DEFAULT_QUEUE: u32 = 4096;
pub const QUEUE_RANGE: (u32, u32) = (16, 1 << 20);
/// Kafka's longest topic name.
const MAX_TOPIC: usize = 249;

/// Which transactions are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transactions {
    #[default]
    All,
    /// Only those the server answered.
    Answered,
    /// None (the lease stream only).
    None,
}

impl Transactions {
    pub const WORDS: [&'static str; 3] = ["all", "answered", "none"];

    pub fn from_word(w: &str) -> Option<Self> {
        match w {
            "all" => Some(Transactions::All),
            "answered" => Some(Transactions::Answered),
            "none" => Some(Transactions::None),
            _ => None,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Transactions::All => "all",
            Transactions::Answered => "answered",
            Transactions::None => "none",
        }
    }
}

/// What `dhcp6-server looking-glass` sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// librdkafka's bootstrap.servers: `host:port[,host:port...]`.
    pub brokers: String,
    pub topic: String,
    /// None: no lease stream.
    pub lease_topic: Option<String>,
    /// None: the host's fully qualified name.
    pub server_name: Option<String>,
    pub transactions: Transactions,
    pub queue: u32,
}

impl Settings {
    pub fn new(brokers: &str) -> Self {
        Settings {
            brokers: brokers.to_string(),
            topic: DEFAULT_TOPIC.to_string(),
            lease_topic: Some(DEFAULT_LEASE_TOPIC.to_string()),
            server_name: None,
            transactions: Transactions::All,
            queue: DEFAULT_QUEUE,
        }
    }

    /// Refuses what librdkafka or a broker would (with why).
    pub fn validate(&self) -> Result<(), String> {
        let brokers: Vec<&str> = self.brokers.split(',').collect();
        for b in &brokers {
            let ok = b.rsplit_once(':').is_some_and(|(host, port)| {
                !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
            });
            if !ok {
                return Err(format!(
                    "brokers {:?}: host:port[,host:port...]",
                    self.brokers
                ));
            }
        }
        for t in std::iter::once(&self.topic).chain(self.lease_topic.as_ref()) {
            let legal = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
            if t.is_empty() || t.len() > MAX_TOPIC || !t.chars().all(legal) || t == "." || t == ".."
            {
                return Err(format!(
                    "topic {t:?}: 1 to {MAX_TOPIC} of a-z A-Z 0-9 . _ - (Kafka's rule)"
                ));
            }
        }
        if self.lease_topic.as_deref() == Some(self.topic.as_str()) {
            return Err("the lease stream needs a topic of its own".into());
        }
        if let Some(n) = &self.server_name {
            if n.is_empty() || n.len() > record::MAX_SERVER_NAME {
                return Err(format!(
                    "server-name: 1 to {} bytes of UTF-8",
                    record::MAX_SERVER_NAME
                ));
            }
        }
        if !(QUEUE_RANGE.0..=QUEUE_RANGE.1).contains(&self.queue) {
            return Err(format!(
                "queue {}: {} to {} records",
                self.queue, QUEUE_RANGE.0, QUEUE_RANGE.1
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "brokers {} topic {} lease-topic {} server-name {} transactions {} queue {}",
            self.brokers,
            self.topic,
            self.lease_topic.as_deref().unwrap_or("none"),
            self.server_name.as_deref().unwrap_or("(host name)"),
            self.transactions.word(),
            self.queue
        )
    }
}

/// What the producer has done since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub running: bool,
    /// The broker answered the last delivery (false: not yet, or an error
    /// since).
    pub connected: bool,
    pub server_name: String,
    /// Records the broker acknowledged.
    pub sent: u64,
    /// Waiting: in the ring, in librdkafka's queue.
    pub queued: u64,
    /// Not published: the ring was full (packet path), librdkafka's queue
    /// was full, or delivery failed for good.
    pub dropped: u64,
    pub lease_records: u64,
    /// Lease records lost (a ring or librdkafka's queue full, delivery
    /// failed).
    pub lease_dropped: u64,
    pub last_error: Option<String>,
}

impl Status {
    pub fn lines(&self, settings: Option<&Settings>) -> Vec<String> {
        let Some(s) = settings else {
            return vec!["looking glass: off".to_string()];
        };
        let mut out = vec![format!("looking glass: {s}")];
        out.push(format!(
            "  producer {}, broker {}, server name {:?}",
            if self.running { "running" } else { "stopped" },
            if self.connected {
                "connected"
            } else {
                "not connected"
            },
            self.server_name
        ));
        out.push(format!(
            "  records sent {}, queued {}, dropped {}, lease records {} (dropped {})",
            self.sent, self.queued, self.dropped, self.lease_records, self.lease_dropped
        ));
        if let Some(e) = &self.last_error {
            out.push(format!("  last error: {e}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_as_kafka_would() {
        let good = Settings::new("127.0.0.1:9092,[::1]:9092");
        assert_eq!(good.validate(), Ok(()));
        for bad in [
            Settings::new("localhost"),
            Settings::new("h:0"),
            Settings {
                topic: "a b".into(),
                ..good.clone()
            },
            Settings {
                lease_topic: Some(DEFAULT_TOPIC.into()),
                ..good.clone()
            },
            Settings {
                queue: 1,
                ..good.clone()
            },
            Settings {
                server_name: Some(String::new()),
                ..good.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert_eq!(
            Transactions::from_word("answered"),
            Some(Transactions::Answered)
        );
        assert!(good
            .to_string()
            .contains("topic dhcpkit.messages lease-topic dhcp6-server.leases"));
    }
}
