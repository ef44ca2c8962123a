//! Where a subscribe-form request came from, kept with the proof of
//! consent: the client's network, never its address.
//!
//! An IPv4 address keeps its first three bytes (a /24) and an IPv6 address
//! its first six (a /48), the truncation web analytics use to anonymise
//! addresses. That still says roughly where a sign-up came from (which
//! provider, which organisation), which is what a dispute about a forged
//! sign-up needs, while the stored value no longer points at one
//! connection. The full address is never stored, and a value read back is
//! checked to be such a network, so nothing else can pass for one.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ParseError;

/// Bits of an IPv4 address that are kept.
const V4_PREFIX: u8 = 24;
/// Bits of an IPv6 address that are kept.
const V6_PREFIX: u8 = 48;

/// A truncated client address, written `192.0.2.0/24` or `2001:db8:1::/48`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientNetwork(String);

impl ClientNetwork {
    /// The network `ip` is in; its host part is dropped here, before
    /// anything is stored. An IPv4 address written as IPv6 (`::ffff:a.b.c.d`,
    /// as a dual-stack listener reports it) counts as IPv4.
    pub fn of(ip: IpAddr) -> ClientNetwork {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        ClientNetwork(match ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                format!("{}/{V4_PREFIX}", Ipv4Addr::new(a, b, c, 0))
            }
            IpAddr::V6(v6) => {
                let mut bytes = v6.octets();
                bytes[usize::from(V6_PREFIX / 8)..].fill(0);
                format!("{}/{V6_PREFIX}", Ipv6Addr::from(bytes))
            }
        })
    }

    /// A network as stored: only what [`ClientNetwork::of`] writes is
    /// accepted (the right prefix length, the host part zero).
    pub fn parse(s: &str) -> Result<ClientNetwork, ParseError> {
        let bad = || ParseError::new("not a client network like 192.0.2.0/24 or 2001:db8::/48");
        let (address, prefix) = s.trim().split_once('/').ok_or_else(bad)?;
        let ip: IpAddr = address.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let expected = match ip {
            IpAddr::V4(_) => V4_PREFIX,
            IpAddr::V6(_) => V6_PREFIX,
        };
        let network = ClientNetwork::of(ip);
        if prefix != expected || network.0 != format!("{ip}/{prefix}") {
            return Err(bad());
        }
        Ok(network)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
    fn the_host_part_is_dropped() {
        assert_eq!(ClientNetwork::of(ip("192.0.2.77")).as_str(), "192.0.2.0/24");
        assert_eq!(
            ClientNetwork::of(ip("2001:db8:1234:5678::9")).as_str(),
            "2001:db8:1234::/48"
        );
        assert_eq!(
            ClientNetwork::of(ip("::ffff:198.51.100.9")).as_str(),
            "198.51.100.0/24"
        );
    }

    #[test]
    fn only_truncated_networks_are_read_back() {
        for good in ["192.0.2.0/24", "2001:db8:1234::/48", "::/48"] {
            assert_eq!(ClientNetwork::parse(good).map(|n| n.0), Ok(good.into()));
        }
        for bad in [
            "192.0.2.77",
            "192.0.2.77/24",
            "192.0.2.0/32",
            "2001:db8::1/48",
            "2001:db8::/64",
            "::ffff:192.0.2.0/48",
            "",
            "x/24",
        ] {
            assert!(ClientNetwork::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn two_addresses_in_one_network_are_told_apart_by_nothing_stored(
            v4 in any::<[u8; 4]>(), last in any::<u8>(),
            v6 in any::<[u8; 16]>(), tail in any::<[u8; 10]>(),
        ) {
            let mut other = v4;
            other[3] = last;
            let a = ClientNetwork::of(IpAddr::from(v4));
            prop_assert_eq!(&a, &ClientNetwork::of(IpAddr::from(other)));
            prop_assert_eq!(ClientNetwork::parse(a.as_str()), Ok(a));

            let mut other = v6;
            other[6..].copy_from_slice(&tail);
            prop_assume!(Ipv6Addr::from(v6).to_ipv4_mapped().is_none());
            prop_assume!(Ipv6Addr::from(other).to_ipv4_mapped().is_none());
            let b = ClientNetwork::of(IpAddr::from(v6));
            prop_assert_eq!(&b, &ClientNetwork::of(IpAddr::from(other)));
            prop_assert_eq!(ClientNetwork::parse(b.as_str()), Ok(b));
        }
    }
}
