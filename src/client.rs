//! Who a client is, when the server counts what it does (its places in the queue, its
//! rate-limit bucket): its address, or for IPv6 its network, since one subscriber is
//! usually given a whole /64 and can pick any address in it.

use std::net::{IpAddr, Ipv6Addr};

/// The /64 an IPv6 client is counted by unless told otherwise.
pub const IPV6_PREFIX: u8 = 64;

/// `ip`'s network: an IPv4 address (IPv4-mapped IPv6 ones included) as it is, an IPv6
/// address cut to its first `ipv6_prefix` bits (1 to 128).
pub fn network(ip: IpAddr, ipv6_prefix: u8) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(ipv6_prefix))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(v6.to_bits() & mask))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_are_their_network_and_ipv4_stays_whole() {
        assert_eq!(
            network(ip("2001:db8:1:2:ffff::9"), 64),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            network(ip("2001:db8:1:2:ffff::9"), 128),
            ip("2001:db8:1:2:ffff::9")
        );
        assert_eq!(network(ip("2001:db8:1:2:ffff::9"), 48), ip("2001:db8:1::"));
        assert_eq!(network(ip("::ffff:10.0.0.1"), 64), ip("10.0.0.1"));
        assert_eq!(network(ip("10.0.0.1"), 64), ip("10.0.0.1"));
    }
}
