//! The reverse proxies whose word about the client address is taken
//! (`server.trusted_proxies`): a list of networks in CIDR notation.
//!
//! Behind a proxy every request comes from the proxy's address, so limits
//! per client would count everybody together. Only a peer in one of these
//! networks may say, in `X-Forwarded-For` or `Forwarded`, who the client
//! was; from anyone else such a header is ignored, or it could be used to
//! dodge every limit. A network with bits set after its prefix (`10.0.0.1/8`)
//! is refused rather than silently widened: it is most likely a typo.

use std::fmt;
use std::net::IpAddr;

use super::ParseError;

/// One network: an address and how many leading bits of it count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNetwork {
    address: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// `192.0.2.0/24`, `2001:db8::/32`, or one address (`192.0.2.7`, a /32
    /// or /128).
    pub fn parse(s: &str) -> Result<IpNetwork, ParseError> {
        let s = s.trim();
        let (address, prefix) = match s.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (s, None),
        };
        let address: IpAddr = address.parse().map_err(|_| {
            ParseError::new("not a network like 10.0.0.0/8, 2001:db8::/32 or an address")
        })?;
        // A network written as IPv4-in-IPv6 (::ffff:10.0.0.0/104) would
        // never match: peers are compared in their canonical form.
        let address = address.to_canonical();
        let max = max_prefix(address);
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
                ParseError::new(format!(
                    "the prefix length must be a number from 0 to {max}"
                ))
            })?,
        };
        let network = IpNetwork { address, prefix };
        if masked(address, prefix) != address {
            return Err(ParseError::new(format!(
                "bits are set after the prefix; the network is {}",
                IpNetwork {
                    address: masked(address, prefix),
                    prefix
                }
            )));
        }
        Ok(network)
    }

    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address counts
    /// as the IPv4 address it holds).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.address.is_ipv4() && masked(ip, self.prefix) == self.address
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

fn max_prefix(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

/// `ip` with every bit after the first `prefix` cleared.
fn masked(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::from((u32::from(v4) & mask).to_be_bytes())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::from((u128::from(v6) & mask).to_be_bytes())
        }
    }
}

/// `server.trusted_proxies`: empty (the default) trusts no one, and the
/// client is always the TCP peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNetwork>);

impl TrustedProxies {
    /// Each entry a network for [`IpNetwork::parse`]; the error names the
    /// entry at fault (the value is an address, not personal data).
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, ParseError> {
        entries
            .into_iter()
            .map(|entry| {
                IpNetwork::parse(entry)
                    .map_err(|e| ParseError::new(format!("entry {entry:?}: {}", e.reason)))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn networks(&self) -> &[IpNetwork] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn a_network_holds_exactly_the_addresses_under_its_prefix() {
        let net = IpNetwork::parse("10.1.0.0/16").expect("network");
        assert!(net.contains(ip("10.1.255.7")));
        assert!(net.contains(ip("::ffff:10.1.0.1")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(!net.contains(ip("::a01:1")));
        let v6 = IpNetwork::parse("2001:db8::/32").expect("network");
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        let one = IpNetwork::parse(" 192.0.2.7 ").expect("address");
        assert_eq!(one.to_string(), "192.0.2.7/32");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let all = IpNetwork::parse("0.0.0.0/0").expect("everything");
        assert!(all.contains(ip("203.0.113.9")) && !all.contains(ip("::1")));
    }

    #[test]
    fn bad_networks_are_refused_with_a_reason() {
        for (bad, reason) in [
            ("10.0.0.0/33", "from 0 to 32"),
            ("::/129", "from 0 to 128"),
            ("10.0.0.0/", "from 0 to 32"),
            ("10.0.0.0/x", "from 0 to 32"),
            ("10.0.0.1/8", "the network is 10.0.0.0/8"),
            ("proxy.example.org", "not a network"),
            ("", "not a network"),
        ] {
            let err = IpNetwork::parse(bad).expect_err(bad);
            assert!(err.reason.contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn the_list_names_the_entry_at_fault() {
        let err = TrustedProxies::parse(["127.0.0.0/8", "10.0.0.0/33"]).expect_err("bad");
        assert!(err.reason.contains("\"10.0.0.0/33\""), "{err}");
        let list = TrustedProxies::parse(["127.0.0.0/8", "::1"]).expect("good");
        assert!(list.trusts(ip("127.0.0.1")) && list.trusts(ip("::1")));
        assert!(!list.trusts(ip("192.0.2.1")));
        assert!(!TrustedProxies::default().trusts(ip("127.0.0.1")));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in any::<String>()) {
            let _ = IpNetwork::parse(&s);
        }

        #[test]
        fn every_address_is_in_the_network_its_masked_form_makes(
            bytes in any::<[u8; 16]>(), prefix in 0u8..=128,
        ) {
            let address = IpAddr::from(bytes).to_canonical();
            let prefix = prefix.min(max_prefix(address));
            let written = format!("{}/{prefix}", masked(address, prefix));
            let net = IpNetwork::parse(&written).expect("a masked network parses");
            prop_assert!(net.contains(address));
        }
    }
}
