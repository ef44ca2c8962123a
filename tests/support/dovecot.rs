//! Debian's dovecot as a real IMAP server on loopback, for `bounces
//! fetch`: its own config, TLS certificate (a CA made here, and a
//! certificate for 127.0.0.1 it signed), passwd-file user and maildirs in
//! a temp dir; IMAPS and IMAP with STARTTLS, no login without TLS. Stopped
//! (SIGTERM to the master, which ends its children) on drop.
//!
//! Messages are put into and read from the maildirs directly (Maildir++:
//! INBOX is `Maildir/`, a folder `F` is `Maildir/.F/`); dovecot sees new
//! files the next time a folder is selected.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};

pub const USER: &str = "bounces@example.org";
/// With the characters a URL must escape (`:` would end the passwd-file
/// field).
pub const PASSWORD: &str = "s3cret/p@ss%";

pub struct Dovecot {
    child: Child,
    dir: tempfile::TempDir,
    /// IMAP over TLS.
    pub imaps_port: u16,
    /// IMAP with STARTTLS.
    pub imap_port: u16,
}

impl Dovecot {
    /// Starts dovecot; `None` (after [`super::outside::missing`]) when it
    /// is not installed.
    pub fn start() -> Option<Dovecot> {
        let program = super::outside::program("dovecot", "Debian package dovecot-imapd")?;
        let dir = tempfile::tempdir().expect("temp dir");
        // dovecot's auth process runs as its own user and reads the
        // passwd file in here.
        set_mode(dir.path(), 0o755);
        write_certificates(dir.path());
        std::fs::write(
            dir.path().join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}\n"),
        )
        .expect("passwd");
        set_mode(&dir.path().join("passwd"), 0o644);
        let (uid, gid) = mail_ids();
        for sub in ["", "cur", "new", "tmp"] {
            let path = dir.path().join("mail/Maildir").join(sub);
            std::fs::create_dir_all(&path).expect("maildir");
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown maildir");
        }
        std::os::unix::fs::chown(dir.path().join("mail"), Some(uid), Some(gid)).expect("chown");
        // dovecot cannot be told to pick free ports and say which: ports
        // found free may be taken by another test before it binds them,
        // and then it stops at once (and tries others next time).
        for _ in 0..5 {
            let (imaps_port, imap_port) = (free_port(), free_port());
            let config = dir.path().join("dovecot.conf");
            std::fs::write(&config, config_text(dir.path(), imaps_port, imap_port))
                .expect("config");
            if let Some(child) = launch(&program, dir.path(), &[imaps_port, imap_port]) {
                return Some(Dovecot {
                    child,
                    dir,
                    imaps_port,
                    imap_port,
                });
            }
        }
        panic!("dovecot found no free ports in 5 tries");
    }

    /// `imaps://USER:PASSWORD@127.0.0.1:PORT/INBOX`, percent-encoded.
    pub fn imaps_url(&self, password: &str) -> String {
        format!(
            "imaps://{}:{}@127.0.0.1:{}/INBOX",
            encode(USER),
            encode(password),
            self.imaps_port
        )
    }

    /// The same with STARTTLS.
    pub fn starttls_url(&self, password: &str) -> String {
        format!(
            "imap://{}:{}@127.0.0.1:{}/INBOX",
            encode(USER),
            encode(password),
            self.imap_port
        )
    }

    /// The CA certificate the server's certificate chains to (PEM).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Puts a message into `folder` (`INBOX` or another) as new mail.
    pub fn deliver(&self, folder: &str, name: &str, message: impl AsRef<[u8]>) {
        let new = self.folder(folder).join("new");
        std::fs::write(new.join(name), message).expect("deliver");
    }

    /// The messages in `folder` (new and seen), in no particular order.
    pub fn messages(&self, folder: &str) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.folder(folder).join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let bytes = std::fs::read(entry.path()).expect("read message");
                out.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        out
    }

    fn folder(&self, folder: &str) -> PathBuf {
        let maildir = self.dir.path().join("mail/Maildir");
        if folder == "INBOX" {
            maildir
        } else {
            maildir.join(format!(".{folder}"))
        }
    }

    /// What dovecot logged, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its children; SIGKILL would leave
        // them running.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// Starts dovecot and waits until it listens on `ports`: `None` when a
/// port was taken. It writes `master.pid` only once its listeners are
/// bound, so a port that answers is then its own, not another test's.
fn launch(program: &Path, dir: &Path, ports: &[u16]) -> Option<Child> {
    let mut child = Command::new(program)
        .arg("-F")
        .arg("-c")
        .arg(dir.join("dovecot.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dovecot");
    let log = || std::fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default();
    let started = Instant::now();
    loop {
        let up = dir.join("run/master.pid").exists()
            && ports
                .iter()
                .all(|port| std::net::TcpStream::connect(("127.0.0.1", *port)).is_ok());
        if up {
            return Some(child);
        }
        if let Some(status) = child.try_wait().expect("dovecot status") {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            if stderr.contains("Address already in use") {
                return None;
            }
            panic!("dovecot exited ({status}): {stderr}\n{}", log());
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "dovecot did not listen within 15 s: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn config_text(dir: &Path, imaps_port: u16, imap_port: u16) -> String {
    let d = dir.display();
    let (uid, gid) = mail_ids();
    // As root: dovecot's usual users (made by the package) run its
    // processes. Otherwise everything runs as the one user we are.
    let users = if id("-u", None) == "0" {
        String::new()
    } else {
        let name = std::env::var("USER").unwrap_or_default();
        format!("default_internal_user = {name}\ndefault_login_user = {name}\n")
    };
    format!(
        "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
         protocols = imap\nlisten = 127.0.0.1\n\
         ssl = required\nssl_cert = <{d}/server.pem\nssl_key = <{d}/server.key\n\
         disable_plaintext_auth = yes\nauth_mechanisms = plain login\nauth_failure_delay = 0\n\
         {users}\
         mail_location = maildir:{d}/mail/Maildir\n\
         passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {d}/passwd\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={d}/mail\n}}\n\
         service imap-login {{\n\
           inet_listener imap {{\n    port = {imap_port}\n  }}\n\
           inet_listener imaps {{\n    port = {imaps_port}\n    ssl = yes\n  }}\n\
         }}\n"
    )
}

/// Who the mail belongs to: we, unless we are root, whom dovecot never
/// lets read mail; then `nobody`.
fn mail_ids() -> (u32, u32) {
    let user = (id("-u", None) == "0").then_some("nobody");
    let number = |flag| id(flag, user).parse::<u32>().expect("numeric id");
    (number("-u"), number("-g"))
}

fn id(flag: &str, user: Option<&str>) -> String {
    let out = Command::new("id")
        .arg(flag)
        .args(user)
        .output()
        .expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn free_port() -> u16 {
    // Bound and released: dovecot cannot be told to pick a port and say
    // which. Another process taking it in between would show as a start
    // failure, not as a wrong pass.
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// `ca.pem` (a CA), and `server.pem`/`server.key` for 127.0.0.1 signed
/// by it.
fn write_certificates(dir: &Path) {
    let ca_key = ec_key();
    let ca = certificate("postbode test CA", &ca_key, None, true);
    let key = ec_key();
    let server = certificate("127.0.0.1", &key, Some((&ca, &ca_key)), false);
    std::fs::write(dir.join("ca.pem"), ca.to_pem().expect("pem")).expect("ca.pem");
    std::fs::write(dir.join("server.pem"), server.to_pem().expect("pem")).expect("server.pem");
    std::fs::write(
        dir.join("server.key"),
        key.private_key_to_pem_pkcs8().expect("pem"),
    )
    .expect("server.key");
}

fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("curve");
    PKey::from_ec_key(EcKey::generate(&group).expect("ec key")).expect("pkey")
}

fn certificate(
    cn: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    ca: bool,
) -> X509 {
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", cn).expect("cn");
    let name = name.build();
    let mut cert = X509::builder().expect("builder");
    cert.set_version(2).expect("version");
    let serial = BigNum::from_u32(if ca { 1 } else { 2 })
        .and_then(|n| n.to_asn1_integer())
        .expect("serial");
    cert.set_serial_number(&serial).expect("serial");
    cert.set_subject_name(&name).expect("subject");
    cert.set_issuer_name(issuer.map_or(&*name, |(ca, _)| ca.subject_name()))
        .expect("issuer");
    cert.set_pubkey(key).expect("pubkey");
    cert.set_not_before(&Asn1Time::days_from_now(0).expect("time"))
        .expect("not before");
    cert.set_not_after(&Asn1Time::days_from_now(2).expect("time"))
        .expect("not after");
    if ca {
        let constraints = BasicConstraints::new().critical().ca().build().expect("bc");
        cert.append_extension(constraints).expect("bc");
        let usage = KeyUsage::new()
            .key_cert_sign()
            .crl_sign()
            .build()
            .expect("ku");
        cert.append_extension(usage).expect("ku");
    } else {
        let san = SubjectAlternativeName::new()
            .ip("127.0.0.1")
            .build(&cert.x509v3_context(issuer.map(|(ca, _)| &**ca), None))
            .expect("san");
        cert.append_extension(san).expect("san");
    }
    let signer = issuer.map_or(key, |(_, ca_key)| ca_key);
    cert.sign(signer, MessageDigest::sha256()).expect("sign");
    cert.build()
}

/// Percent-encodes everything but letters, digits and `-._~`.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
