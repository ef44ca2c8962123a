//! A private postfix instance for one test, started from a temp folder
//! with its own `main.cf`, `master.cf`, queue, data folder and log
//! (`postfix -c DIR start`), and stopped on drop. It stands in for an
//! organisation's own mail server:
//!
//! - smtpd on 127.0.0.1 at a free port takes mail from the loopback
//!   network and relays it all to one server, `relayhost =
//!   [127.0.0.1]:PORT` (the test's onward server);
//! - mail to the bounce domain goes to one maildir through virtual(8)
//!   (`recipient_delimiter = +`, so `bounces+TAG@` lands in `bounces@`'s
//!   maildir), which is where postfix's own DSNs to the VERP envelope
//!   senders end up.
//!
//! Nothing can leave the machine: smtpd listens on loopback only, every
//! outgoing connection goes to the bracketed loopback relay host and is
//! bound to 127.0.0.1, and postfix makes no DNS lookups
//! (`smtp_dns_support_level = disabled`, no client name lookups).
//!
//! postfix runs its master as root, so the test must run as root (CI does);
//! otherwise, or without postfix, [`Postfix::start`] goes through
//! [`super::outside::missing`]. When the test fails, the instance's log
//! tail goes to the test's output as it is dropped.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Lines of the log printed when the test fails.
const LOG_TAIL: usize = 60;

/// A running private postfix; see the module docs.
pub struct Postfix {
    dir: tempfile::TempDir,
    program: PathBuf,
    port: u16,
    mailbox: String,
}

impl Postfix {
    /// Starts postfix relaying to `relay` and delivering mail to
    /// `bounce_address`'s domain into [`Postfix::maildir`]. `None` (after
    /// [`super::outside::missing`]) when not root or postfix is missing.
    pub fn start(relay: SocketAddr, bounce_address: &str) -> Option<Postfix> {
        let program = super::outside::program("postfix", "Debian package postfix")?;
        if !running_as_root() {
            return super::outside::missing(
                "root (postfix starts its own instance only as root)",
                "run the tests as root, as .ci/run does",
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        // virtual(8) writes the maildir as the mailbox user, who must be
        // able to pass through the (root-only) temp folder.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("open the temp folder");
        let (uid, gid) = user_ids("nobody");
        let mail = dir.path().join("mail");
        for sub in ["etc", "queue"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        std::fs::create_dir(&mail).expect("mkdir mail");
        std::os::unix::fs::chown(&mail, Some(uid), Some(gid)).expect("chown the mail folder");
        let (local, domain) = bounce_address
            .split_once('@')
            .expect("a bounce address with @");
        let mut postfix = Postfix {
            dir,
            program,
            port: 0,
            mailbox: local.to_owned(),
        };
        std::fs::write(
            postfix.config_dir().join("main.cf"),
            main_cf(postfix.dir.path(), relay, bounce_address, domain, uid, gid),
        )
        .expect("write main.cf");
        // A port picked by binding port 0 could be taken again before
        // postfix binds it: try a few.
        for _ in 0..5 {
            postfix.port = free_port();
            std::fs::write(
                postfix.config_dir().join("master.cf"),
                master_cf(postfix.port),
            )
            .expect("write master.cf");
            if postfix.postfix("start") {
                postfix.wait_listening();
                return Some(postfix);
            }
        }
        panic!("postfix did not start:\n{}", postfix.log_tail());
    }

    /// `smtp://127.0.0.1:PORT`, postfix's smtpd, for `smtp.url`.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The maildir the bounce address's mail is delivered to.
    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail").join(&self.mailbox)
    }

    /// Waits until the maildir holds at least `n` delivered messages (in
    /// `new/`) or `timeout` has passed; returns their paths, sorted.
    pub fn wait_for_mail(&self, n: usize, timeout: Duration) -> Vec<PathBuf> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut found: Vec<PathBuf> = std::fs::read_dir(self.maildir().join("new"))
                .map(|dir| dir.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            found.sort();
            if found.len() >= n || Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines of postfix's log (`maillog_file`).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL)..].join("\n")
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("etc")
    }

    /// `postfix -c DIR COMMAND`; whether it succeeded.
    fn postfix(&self, command: &str) -> bool {
        Command::new(&self.program)
            .arg("-c")
            .arg(self.config_dir())
            .arg(command)
            .status()
            .is_ok_and(|s| s.success())
    }

    /// `postfix start` returns once the master has read its config; the
    /// smtpd socket is the master's too, but checking costs nothing.
    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "postfix's smtpd did not listen on {} within 10 s:\n{}",
                self.port,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "postfix log ({}), last lines:\n{}",
                self.dir.path().join("maillog").display(),
                self.log_tail()
            );
        }
        if !self.postfix("stop") {
            // The master's pid, should `postfix stop` fail.
            let pid = std::fs::read_to_string(self.dir.path().join("queue/pid/master.pid"))
                .unwrap_or_default();
            if let Ok(pid) = pid.trim().parse::<u32>() {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        }
    }
}

fn main_cf(
    dir: &Path,
    relay: SocketAddr,
    bounce_address: &str,
    domain: &str,
    uid: u32,
    gid: u32,
) -> String {
    let dir = dir.display();
    format!(
        "compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
myhostname = mta.postbode.test
mydomain = postbode.test
myorigin = $myhostname
# Nothing is local: mail is relayed, or goes to the bounce maildir.
mydestination =
alias_maps =
alias_database =
local_transport = error:no local delivery here
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
# Everything else to the test's onward server, without DNS.
relayhost = [{ip}]:{port}
smtp_bind_address = 127.0.0.1
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
# A 5xx at RCPT bounces at once; a 4xx is tried again soon.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
# The bounce address's domain, to one maildir (the trailing / makes it
# one); bounces+TAG@ is bounces@ through the delimiter.
recipient_delimiter = +
virtual_mailbox_domains = {domain}
virtual_mailbox_base = {dir}/mail
virtual_mailbox_maps = inline:{{ {bounce_address}={local}/ }}
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
",
        ip = relay.ip(),
        port = relay.port(),
        local = bounce_address.split('@').next().unwrap_or_default(),
    )
}

/// The services this instance needs (no pickup: nothing is submitted
/// locally), smtpd on `port`.
fn master_cf(port: u16) -> String {
    format!(
        "127.0.0.1:{port} inet n - n - - smtpd
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
rewrite   unix  -  -  n  -    -  trivial-rewrite
bounce    unix  -  -  n  -    0  bounce
defer     unix  -  -  n  -    0  bounce
trace     unix  -  -  n  -    0  bounce
verify    unix  -  -  n  -    1  verify
flush     unix  n  -  n  1000? 0 flush
proxymap  unix  -  -  n  -    -  proxymap
smtp      unix  -  -  n  -    -  smtp
relay     unix  -  -  n  -    -  smtp
error     unix  -  -  n  -    -  error
retry     unix  -  -  n  -    -  error
discard   unix  -  -  n  -    -  discard
virtual   unix  -  n  n  -    -  virtual
anvil     unix  -  -  n  -    1  anvil
scache    unix  -  -  n  -    1  scache
postlog   unix-dgram n - n - 1 postlogd
"
    )
}

/// Whether this process runs as root (`/proc/self` belongs to the
/// process's effective user).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The uid and gid of `user`, from /etc/passwd.
fn user_ids(user: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&user))
                .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))?
        })
        .unwrap_or_else(|| panic!("no user {user} in /etc/passwd"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}
