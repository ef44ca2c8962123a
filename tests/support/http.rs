//! A tiny HTTP/1.1 client over `std::net::TcpStream` (one request per
//! connection, `Connection: close`), and `postbode serve` started in a
//! test folder with its port read from the log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use super::TestApp;

/// A response: status, headers (names lowercased) and body as text.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body's bytes, for a compressed one.
    pub raw_body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request to `127.0.0.1:port` and reads the whole response.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse(&raw)
}

pub fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Response {
    request(port, "GET", path, headers, b"")
}

/// A `server.metrics_token` for tests; a server started with
/// [`METRICS_TOKEN_ENV`] has it.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789abcdef";
pub const METRICS_TOKEN_ENV: (&str, &str) = ("POSTBODE_SERVER__METRICS_TOKEN", METRICS_TOKEN);

/// `GET /metrics` with [`METRICS_TOKEN`] as its bearer token.
pub fn get_metrics(port: u16) -> Response {
    let bearer = format!("Bearer {METRICS_TOKEN}");
    get(port, "/metrics", &[("Authorization", &bearer)])
}

/// A form POST (`application/x-www-form-urlencoded`).
pub fn post_form(port: u16, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    request(port, "POST", path, &all, body.as_bytes())
}

fn parse(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of the response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        raw_body: body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&raw[..eol])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&raw[start..start + size]);
        raw = &raw[start + size + 2..];
    }
}

/// `postbode ARGS` running in the background, stopped on drop. Its
/// standard error is drained (so it never blocks) and kept.
pub struct Server {
    child: Child,
    pub port: u16,
    log: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `postbode serve` (or `args`) and waits for "listening on".
    pub fn start(app: &TestApp, args: &[&str]) -> Server {
        Self::start_with_env(app, args, &[])
    }

    /// Like [`Server::start`], with `env` (e.g. `POSTBODE_SERVER__…`) set.
    pub fn start_with_env(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Server {
        Self::from_child(app.spawn_with_env(args, env))
    }

    /// Like [`Server::start`], with the process's file limit (soft and
    /// hard, `ulimit -n`) set to `limit` by the shell that starts it.
    pub fn start_with_file_limit(app: &TestApp, limit: u32, args: &[&str]) -> Server {
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c")
            .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_postbode"))
            .args(args)
            .current_dir(app.dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("POSTBODE_") || key == "RUST_LOG" {
                cmd.env_remove(key);
            }
        }
        Self::from_child(cmd.spawn().expect("start sh with postbode"))
    }

    /// Waits for "listening on" in the log of `child`.
    fn from_child(mut child: Child) -> Server {
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let port = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no \"listening on\" in the log:\n{}", seen.join("\n")));
            if let Some(addr) = line.split("listening on ").nth(1) {
                let port = addr
                    .trim()
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| panic!("no port in {line}"));
                break port;
            }
            seen.push(line);
        };
        Server {
            child,
            port,
            log: rx,
        }
    }

    /// The next line the process writes to standard output (such as the
    /// URL `issue preview --serve` prints).
    pub fn stdout_line(&mut self) -> String {
        let stdout = self.child.stdout.as_mut().expect("stdout is piped");
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        // Byte by byte: a buffered reader would keep what follows the line.
        while stdout.read(&mut byte).expect("read stdout") == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        String::from_utf8(line).expect("UTF-8 on stdout")
    }

    /// The log lines written since the last call.
    pub fn log(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }

    /// SIGTERM, then the exit code.
    pub fn stop(mut self) -> Option<i32> {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        self.child.wait().expect("wait").code()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
