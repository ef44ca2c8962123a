//! How many connections `serve` keeps open at once: fewer than the
//! process may open files (RLIMIT_NOFILE, read once at start), so that
//! idle sockets can never leave the database, the files and SMTP without
//! a descriptor. Past the cap, new connections wait in the kernel's
//! listen queue until one closes (an idle one does within
//! [`super::connections::HEADER_READ_TIMEOUT`]).

use crate::config::Settings;

/// Descriptors kept back whatever the settings: standard streams, the
/// listener, the runtime's own (epoll, eventfd), DNS, log and issue files.
const BASE_RESERVE: u64 = 64;
/// The cap when the file limit is unlimited.
const UNLIMITED_CAP: u64 = 65_536;

/// The cap and where it came from, for the start-up log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionCap {
    pub max: usize,
    /// The soft RLIMIT_NOFILE; `None`: unlimited.
    pub file_limit: Option<u64>,
    pub reserve: u64,
}

impl ConnectionCap {
    /// From this process's file limit and `settings`.
    pub fn of_process(settings: &Settings) -> ConnectionCap {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        ConnectionCap::new(
            limit.current,
            reserve(settings),
            settings.server.max_connections,
        )
    }

    /// `configured` is `server.max_connections` (0: none).
    pub fn new(file_limit: Option<u64>, reserve: u64, configured: u32) -> ConnectionCap {
        let from_files = match file_limit {
            None => UNLIMITED_CAP,
            // A limit below the reserve leaves too little either way:
            // half for connections, half for the rest.
            Some(n) if n <= reserve.saturating_mul(2) => n / 2,
            Some(n) => n - reserve,
        };
        let max = match u64::from(configured) {
            0 => from_files,
            n => n.min(from_files),
        };
        ConnectionCap {
            max: usize::try_from(max.max(1)).unwrap_or(usize::MAX),
            file_limit,
            reserve,
        }
    }
}

/// Descriptors for everything but connections: a SQLite connection holds
/// up to three (the database, its WAL and shared memory), an SMTP
/// connection one, the dispatcher's (`serve --dispatch`) as many as it
/// sends at once.
fn reserve(settings: &Settings) -> u64 {
    BASE_RESERVE
        + 3 * u64::from(settings.database.max_connections)
        + u64::from(settings.smtp.pool_size)
        + u64::from(settings.sending.concurrency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_under_the_file_limit_and_under_the_setting() {
        assert_eq!(ConnectionCap::new(Some(1024), 100, 0).max, 924);
        assert_eq!(ConnectionCap::new(Some(1024), 100, 50).max, 50);
        assert_eq!(ConnectionCap::new(Some(1024), 100, 5000).max, 924);
        assert_eq!(ConnectionCap::new(Some(150), 100, 0).max, 75);
        assert_eq!(ConnectionCap::new(Some(1), 100, 0).max, 1);
        assert_eq!(ConnectionCap::new(None, 100, 0).max, 65_536);
    }

    #[test]
    fn the_default_settings_keep_about_a_hundred_descriptors_back() {
        let settings = Settings::default();
        let cap = ConnectionCap::new(Some(1024), reserve(&settings), 0);
        assert!(cap.reserve >= 64 && cap.reserve < 200, "{cap:?}");
        assert_eq!(cap.max as u64, 1024 - cap.reserve);
    }
}
