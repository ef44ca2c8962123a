//! A stand-in for Amazon SNS on loopback: an RSA key of the test's own with
//! a self-signed certificate, served over plain HTTP (the app is told to
//! trust this host with `webhooks.ses_cert_hosts`), and SNS messages
//! signed with that key the way SNS signs them (SignatureVersion 2, RSA
//! with SHA-256, over the documented `NAME\nVALUE\n` lines). It records
//! the paths fetched, so a test sees the certificate fetched once and a
//! subscription confirmed.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};
use serde_json::{Value, json};

pub const CERT_PATH: &str = "/SimpleNotificationService-test.pem";

pub struct Sns {
    key: PKey<Private>,
    pub port: u16,
    fetched: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Sns {
    /// A new key and certificate, served on a loopback port.
    pub fn start() -> Sns {
        let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa key")).expect("pkey");
        let pem = certificate(&key);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let fetched = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopped) = (fetched.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    answer(stream, &pem, &log);
                }
            }
        });
        Sns {
            key,
            port,
            fetched,
            stop,
        }
    }

    /// `127.0.0.1:PORT`, for `webhooks.ses_cert_hosts`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn cert_url(&self) -> String {
        format!("http://{}{CERT_PATH}", self.host())
    }

    /// The paths requested so far.
    pub fn fetched(&self) -> Vec<String> {
        self.fetched.lock().expect("log").clone()
    }

    /// A signed `Notification` on `topic` carrying `message`.
    pub fn notification(&self, topic: &str, message_id: &str, message: &str) -> Value {
        let mut envelope = json!({
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": topic,
            "Message": message,
            "Timestamp": "2026-10-01T10:00:06.000Z",
            "SignatureVersion": "2",
            "SigningCertURL": self.cert_url(),
            "UnsubscribeURL": format!("http://{}/?Action=Unsubscribe", self.host()),
        });
        self.sign(&mut envelope);
        envelope
    }

    /// A signed `SubscriptionConfirmation` whose SubscribeURL is on this
    /// server at `path`.
    pub fn confirmation(&self, topic: &str, path: &str) -> Value {
        let mut envelope = json!({
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
            "TopicArn": topic,
            "Message": format!("You have chosen to subscribe to the topic {topic}."),
            "SubscribeURL": format!("http://{}{path}", self.host()),
            "Timestamp": "2026-10-01T10:00:00.000Z",
            "SignatureVersion": "2",
            "SigningCertURL": self.cert_url(),
        });
        self.sign(&mut envelope);
        envelope
    }

    /// (Re)signs `envelope` as it now is, with this server's key.
    pub fn sign(&self, envelope: &mut Value) {
        let text = canonical(envelope);
        let mut signer =
            openssl::sign::Signer::new(MessageDigest::sha256(), &self.key).expect("signer");
        signer.update(text.as_bytes()).expect("update");
        let signature = signer.sign_to_vec().expect("sign");
        envelope["Signature"] = json!(base64::engine::general_purpose::STANDARD.encode(signature));
    }
}

impl Drop for Sns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The string SNS signs, written here from the SNS documentation (apart
/// from the app's code, so the test does not check the code with itself).
fn canonical(envelope: &Value) -> String {
    let fields: &[&str] = if envelope["Type"] == "Notification" {
        &[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ]
    } else {
        &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ]
    };
    let mut out = String::new();
    for name in fields {
        if let Some(value) = envelope[*name].as_str() {
            out.push_str(&format!("{name}\n{value}\n"));
        }
    }
    out
}

fn certificate(key: &PKey<Private>) -> Vec<u8> {
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", "sns.test.invalid")
        .expect("cn");
    let name = name.build();
    let mut cert = X509::builder().expect("builder");
    cert.set_version(2).expect("version");
    cert.set_subject_name(&name).expect("subject");
    cert.set_issuer_name(&name).expect("issuer");
    cert.set_pubkey(key).expect("pubkey");
    cert.set_not_before(&Asn1Time::days_from_now(0).expect("now"))
        .expect("not before");
    cert.set_not_after(&Asn1Time::days_from_now(30).expect("later"))
        .expect("not after");
    cert.sign(key, MessageDigest::sha256()).expect("sign");
    cert.build().to_pem().expect("pem")
}

/// One HTTP/1.1 request: the certificate for its path, a confirmation
/// answer for anything else.
fn answer(mut stream: TcpStream, pem: &[u8], log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    log.lock().expect("log").push(path.clone());
    let body: &[u8] = if path == CERT_PATH {
        pem
    } else {
        b"<ConfirmSubscriptionResponse/>"
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}
