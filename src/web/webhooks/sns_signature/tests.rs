use base64::Engine as _;
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};

use super::*;

/// The example notification of the SNS developer guide ("HTTP/HTTPS
/// notification JSON format"), its signature left out.
fn documented_example() -> Envelope {
    Envelope {
        kind: "Notification".into(),
        message_id: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324".into(),
        topic_arn: "arn:aws:sns:us-west-2:123456789012:MyTopic".into(),
        subject: Some("My First Message".into()),
        message: "Hello world!".into(),
        timestamp: "2012-05-02T00:54:06.655Z".into(),
        signature_version: "1".into(),
        signature: String::new(),
        signing_cert_url: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem".into(),
        subscribe_url: None,
        token: None,
    }
}

#[test]
fn a_notification_signs_its_fields_as_name_and_value_lines_in_the_documented_order() {
    let text = canonical(&documented_example()).expect("canonical");
    assert_eq!(
        text,
        "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n\
         Subject\nMy First Message\nTimestamp\n2012-05-02T00:54:06.655Z\n\
         TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n"
    );
    let mut no_subject = documented_example();
    no_subject.subject = None;
    let text = canonical(&no_subject).expect("canonical");
    assert!(!text.contains("Subject"), "{text}");
    assert!(
        text.starts_with("Message\nHello world!\nMessageId\n"),
        "{text}"
    );
}

#[test]
fn a_subscription_confirmation_signs_its_url_and_token_and_needs_both() {
    let mut confirmation = documented_example();
    confirmation.kind = "SubscriptionConfirmation".into();
    confirmation.subject = Some("ignored".into());
    confirmation.subscribe_url = Some("https://sns.us-west-2.amazonaws.com/?Action=x".into());
    confirmation.token = Some("2336412f37".into());
    let text = canonical(&confirmation).expect("canonical");
    assert_eq!(
        text,
        "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n\
         SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=x\n\
         Timestamp\n2012-05-02T00:54:06.655Z\nToken\n2336412f37\n\
         TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nSubscriptionConfirmation\n"
    );
    confirmation.token = None;
    assert_eq!(
        canonical(&confirmation),
        Err(Refusal::MissingField("SubscriptionConfirmation", "Token"))
    );
    let mut odd = documented_example();
    odd.kind = "Surprise".into();
    assert!(matches!(canonical(&odd), Err(Refusal::UnknownType(_))));
}

#[test]
fn certificates_come_over_https_from_sns_hosts_or_from_listed_hosts_only() {
    let default = TrustedHosts::new(&[]);
    for good in [
        "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-f3.pem",
        "https://SNS.eu-west-1.amazonaws.com/x.pem",
    ] {
        assert!(default.check(good).is_ok(), "{good}");
    }
    for bad in [
        "http://sns.us-west-2.amazonaws.com/x.pem",
        "https://sns.us-west-2.amazonaws.com.evil.example/x.pem",
        "https://evil.example/sns.us-west-2.amazonaws.com/x.pem",
        "https://user@sns.us-west-2.amazonaws.com/x.pem",
        "https://sns.us-west-2.amazonaws.com:8443/x.pem",
        "https://sns..amazonaws.com/x.pem",
        "https://s3.amazonaws.com/x.pem",
        "ftp://sns.us-west-2.amazonaws.com/x.pem",
        "not a url",
        "",
    ] {
        assert!(default.check(bad).is_err(), "{bad}");
    }
    let listed = TrustedHosts::new(&["127.0.0.1:8125".into(), "sns.internal.example".into()]);
    assert!(listed.check("http://127.0.0.1:8125/cert.pem").is_ok());
    assert!(listed.check("http://127.0.0.1:8126/cert.pem").is_err());
    assert!(
        listed
            .check("https://sns.internal.example/cert.pem")
            .is_ok()
    );
    assert!(
        listed
            .check("http://sns.internal.example/cert.pem")
            .is_err(),
        "http only on loopback"
    );
}

fn key_and_cert(days_from: i64, days_until: i64) -> (PKey<Private>, Vec<u8>) {
    let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("pkey");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", "sns.test").expect("cn");
    let name = name.build();
    let mut cert = X509::builder().expect("builder");
    cert.set_version(2).expect("version");
    cert.set_subject_name(&name).expect("subject");
    cert.set_issuer_name(&name).expect("issuer");
    cert.set_pubkey(&key).expect("pubkey");
    let now = jiff::Timestamp::now().as_second();
    let at = |days: i64| Asn1Time::from_unix(now + days * 86_400).expect("time");
    cert.set_not_before(&at(days_from)).expect("not before");
    cert.set_not_after(&at(days_until)).expect("not after");
    cert.sign(&key, MessageDigest::sha256()).expect("sign");
    (key, cert.build().to_pem().expect("pem"))
}

fn sign(envelope: &mut Envelope, key: &PKey<Private>) {
    let digest = match envelope.signature_version.as_str() {
        "1" => MessageDigest::sha1(),
        _ => MessageDigest::sha256(),
    };
    let mut signer = openssl::sign::Signer::new(digest, key).expect("signer");
    signer
        .update(canonical(envelope).expect("canonical").as_bytes())
        .expect("update");
    let signature = signer.sign_to_vec().expect("sign");
    envelope.signature = base64::engine::general_purpose::STANDARD.encode(signature);
}

#[test]
fn a_signature_of_either_version_verifies_and_a_changed_field_does_not() {
    let (key, pem) = key_and_cert(-1, 30);
    let now = jiff::Timestamp::now().as_second().unsigned_abs();
    let public = public_key_of(&pem, now).expect("public key");
    for version in ["1", "2"] {
        let mut envelope = documented_example();
        envelope.signature_version = version.into();
        sign(&mut envelope, &key);
        assert_eq!(verify(&envelope, &public), Ok(()), "version {version}");

        let mut tampered = envelope.clone();
        tampered.message.push(' ');
        assert_eq!(verify(&tampered, &public), Err(Refusal::Forged));
        let mut other_topic = envelope.clone();
        other_topic.topic_arn.push('2');
        assert_eq!(verify(&other_topic, &public), Err(Refusal::Forged));
    }
    let mut unknown = documented_example();
    unknown.signature_version = "3".into();
    assert!(matches!(
        verify(&unknown, &public),
        Err(Refusal::UnknownVersion(_))
    ));
    let mut garbled = documented_example();
    garbled.signature = "***".into();
    assert_eq!(verify(&garbled, &public), Err(Refusal::BadEncoding));

    let (other_key, _) = key_and_cert(-1, 30);
    let mut by_another = documented_example();
    sign(&mut by_another, &other_key);
    assert_eq!(verify(&by_another, &public), Err(Refusal::Forged));
}

#[test]
fn a_certificate_outside_its_validity_or_not_pem_gives_no_key() {
    let now = jiff::Timestamp::now().as_second().unsigned_abs();
    let (_, expired) = key_and_cert(-30, -1);
    assert!(matches!(
        public_key_of(&expired, now),
        Err(Refusal::BadCertificate(_))
    ));
    let (_, future) = key_and_cert(1, 30);
    assert!(public_key_of(&future, now).is_err());
    assert!(
        public_key_of(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            now
        )
        .is_err()
    );
    assert!(public_key_of(b"", now).is_err());
}
