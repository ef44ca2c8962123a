//! Helpers for tests that queue and send an issue: an app with a copy of
//! `emails/`, generated subscribers, and `issue status` as JSON.

use super::{TestApp, repo_file};

pub const ISSUE: &str = "2026-10-voorbij-de-pilot";

/// An app with an `emails/` copy holding one sample issue, sending to `smtp`.
pub fn app_sending_to(smtp_url: &str, sending: &str) -> TestApp {
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren\"\nfrom = \"Redactie Één <redactie@example.org>\"\nbase_url = \"https://nieuws.example.org\"\n\n[smtp]\nurl = \"{smtp_url}\"\ncommand_timeout_secs = 5\n\n[server]\nbind = \"127.0.0.1:0\"\n\n[sending]\n{sending}\n"
    ));
    copy_emails(&app);
    app
}

pub fn copy_emails(app: &TestApp) {
    let from = repo_file("emails");
    for entry in walk(&from) {
        let rel = entry.strip_prefix(&from).expect("inside emails");
        let to = app.path("emails").join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&entry, &to).expect("copy");
    }
}

pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `n` active subscribers `lezer{i}@example.nl`, plus one pending and one
/// unsubscribed who must get nothing.
pub fn subscribers(app: &TestApp, n: usize) {
    let mut csv = String::from("email,name,status\n");
    for i in 0..n {
        csv.push_str(&format!("lezer{i}@example.nl,Lezer {i},active\n"));
    }
    csv.push_str("wacht@example.nl,Wacht Nog,pending\nweg@example.nl,Al Weg,unsubscribed\n");
    app.write("leden.csv", csv);
    app.run(&["subscribers", "import", "leden.csv"]).ok();
}

pub fn queue(app: &TestApp) {
    let run = app
        .run(&["issue", "queue", &format!("emails/issues/{ISSUE}")])
        .ok();
    assert_eq!(run.stdout.trim(), ISSUE);
}

pub fn status_json(app: &TestApp) -> serde_json::Value {
    let run = app
        .run(&["issue", "status", ISSUE, "--format", "json"])
        .ok();
    serde_json::from_str(&run.stdout).expect("status is JSON")
}

/// postfix's smtp-sink on a loopback port it binds itself, stopped on
/// drop. `None` (after [`super::outside::missing`]) when smtp-sink is not
/// installed.
pub struct SmtpSink {
    child: std::process::Child,
    port: u16,
}

impl SmtpSink {
    /// `options` are smtp-sink's own, e.g. `["-f", "RCPT"]` to reject
    /// every recipient with a 5xx.
    pub fn start(options: &[&str]) -> Option<SmtpSink> {
        let program = super::outside::program("smtp-sink", "Debian package postfix")?;
        // smtp-sink refuses to run as root: -u drops to another user.
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        // Port 0: the kernel picks a free port as smtp-sink binds, so no
        // other process can take it between a choice and the bind.
        let mut child = std::process::Command::new(program)
            .args(if root { &["-u", "nobody"][..] } else { &[][..] })
            .args(options)
            .arg("127.0.0.1:0")
            .arg("64")
            .spawn()
            .expect("start smtp-sink");
        let started = std::time::Instant::now();
        let port = loop {
            if let Some(port) = listening_port(child.id()) {
                break port;
            }
            if let Some(status) = child.try_wait().expect("smtp-sink status") {
                panic!("smtp-sink exited before it listened: {status}");
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "smtp-sink did not listen within 10 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        Some(SmtpSink { child, port })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port of a TCP socket of process `pid` that is listening (Linux:
/// its socket inodes in /proc/PID/fd, looked up in /proc/net/tcp).
fn listening_port(pid: u32) -> Option<u16> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy();
            let inode = target.strip_prefix("socket:[")?.strip_suffix(']')?;
            Some(inode.to_owned())
        })
        .collect();
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|line| {
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (local, state, inode) = (fields.get(1)?, fields.get(3)?, fields.get(9)?);
        let (_, port) = local.split_once(':')?;
        (*state == "0A" && inodes.iter().any(|i| i == inode))
            .then(|| u16::from_str_radix(port, 16).ok())
            .flatten()
    })
}
