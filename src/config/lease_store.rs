//! The lease file's settings.

use super::*;

/// The lease file's settings (they take effect when VPP starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseStoreSettings {
    /// None: leases are not persisted.
    pub path: Option<String>,
    pub capacity: u32,
    pub flush_interval: u32,
}

impl Default for LeaseStoreSettings {
    fn default() -> Self {
        LeaseStoreSettings {
            path: Some(DEFAULT_LEASE_FILE.to_string()),
            capacity: DEFAULT_LEASE_CAPACITY,
            flush_interval: DEFAULT_FLUSH_INTERVAL,
        }
    }
}

impl ServerConfig {
    pub fn lease_store(&self) -> &LeaseStoreSettings {
        &self.lease_store
    }

    /// Sets the lease file (`Some("none")`: no persistence), its capacity
    /// and flush interval; unset values stay.
    pub fn set_lease_store(
        &mut self,
        path: Option<&str>,
        capacity: Option<u32>,
        flush_interval: Option<u32>,
    ) -> Result<(), ConfigError> {
        let mut next = self.lease_store.clone();
        match path {
            Some("none") => next.path = None,
            Some(p) if p.starts_with('/') => next.path = Some(p.to_string()),
            Some(p) => {
                return Err(ConfigError::BadOption(format!(
                    "lease-file {p:?}: give an absolute path"
                )))
            }
            None => {}
        }
        if let Some(c) = capacity {
            if !(1..=MAX_LEASE_CAPACITY).contains(&c) {
                return Err(ConfigError::BadOption(format!(
                    "lease capacity {c}: 1 to {MAX_LEASE_CAPACITY}"
                )));
            }
            next.capacity = c;
        }
        if let Some(f) = flush_interval {
            if !(1..=3600).contains(&f) {
                return Err(ConfigError::BadOption(format!(
                    "flush-interval {f}: 1 to 3600 seconds"
                )));
            }
            next.flush_interval = f;
        }
        self.lease_store = next;
        Ok(())
    }
}
