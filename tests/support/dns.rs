//! A DNS server on loopback with the TXT records a test gives it: Debian's
//! dnsmasq, answering only from its own records (`no-resolv`), so no query
//! leaves the machine. Names under the test's domains that it has no
//! record for get NXDOMAIN (`local=`); any other name is refused.
//!
//! dnsmasq splits a text longer than 255 bytes into several DNS strings
//! itself, as a zone file must (an RSA-2048 DKIM record is about 400).

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::outside;

pub struct DnsServer {
    child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl DnsServer {
    /// Serves `records` (name, text; a name may come several times for
    /// several records) and NXDOMAIN for everything else under `domains`.
    /// `None` when dnsmasq is missing (see `outside::missing`).
    pub fn start(domains: &[&str], records: &[(&str, &str)]) -> Option<DnsServer> {
        let dnsmasq = outside::program("dnsmasq", "Debian package dnsmasq-base")?;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut conf = String::new();
        for domain in domains {
            conf.push_str(&format!("local=/{domain}/\n"));
        }
        for (name, text) in records {
            assert!(!text.contains('"'), "a TXT text with a quote: {text}");
            conf.push_str(&format!("txt-record={name},\"{text}\"\n"));
        }
        let conf_path = dir.path().join("dnsmasq.conf");
        std::fs::File::create(&conf_path)
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .expect("write dnsmasq.conf");
        // A free port can be taken between asking and binding: try again.
        for _ in 0..5 {
            let port = UdpSocket::bind("127.0.0.1:0")
                .and_then(|s| s.local_addr())
                .expect("a free port")
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let mut child = Command::new(&dnsmasq)
                .arg("--keep-in-foreground")
                .arg(format!("--port={port}"))
                .args(["--listen-address=127.0.0.1", "--bind-interfaces"])
                .args(["--no-resolv", "--no-hosts", "--pid-file"])
                .arg(format!("--conf-file={}", conf_path.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start dnsmasq");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if child.try_wait().expect("dnsmasq status").is_some() {
                    break;
                }
                if TcpStream::connect(addr).is_ok() {
                    return Some(DnsServer {
                        child,
                        addr,
                        _dir: dir,
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let output = child.wait_with_output().expect("dnsmasq output");
            eprintln!(
                "dnsmasq on port {port} did not start: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        panic!("dnsmasq did not start on any of 5 ports");
    }

    /// `--nameserver` for `postbode dns check`.
    pub fn nameserver(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
