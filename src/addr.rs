//! Client addresses as coturn writes them (`192.0.2.10:3478`, `[2001:db8::1]:3478`), read as
//! addresses (pure): for sorting REMOTE in address order and for address-range filters
//! (`remote=192.0.2.0/24`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The address and port of `ip:port`, `[ipv6]:port` (a `%zone` is ignored), or a bare address.
/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address.
pub fn parse(text: &str) -> Option<(IpAddr, Option<u16>)> {
    let (ip, port) = if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse().ok()?),
        };
        let ip = ip.split_once('%').map_or(ip, |(ip, _zone)| ip);
        (IpAddr::V6(ip.parse::<Ipv6Addr>().ok()?), port)
    } else if let Ok(ip) = text.parse::<IpAddr>() {
        (ip, None)
    } else {
        let (ip, port) = text.rsplit_once(':')?;
        (
            IpAddr::V4(ip.parse::<Ipv4Addr>().ok()?),
            Some(port.parse().ok()?),
        )
    };
    Some((ip.to_canonical(), port))
}

/// A key that orders addresses as addresses: IPv4 before IPv6, each by address, then by port
/// (none first). `None` for text that is not an address.
pub fn order_key(text: &str) -> Option<(u8, u128, u16)> {
    let (ip, port) = parse(text)?;
    let (family, bits) = match ip {
        IpAddr::V4(v4) => (4, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (6, u128::from(v6)),
    };
    Some((family, bits, port.unwrap_or(0)))
}

/// An address range: `192.0.2.0/24`, `2001:db8::/32`, or one address (`192.0.2.7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Net {
    base: IpAddr,
    prefix: u8,
}

impl Net {
    pub fn parse(text: &str) -> Option<Net> {
        let (ip, prefix) = match text.split_once('/') {
            Some((ip, prefix)) => (ip, Some(prefix.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let ip = ip
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .unwrap_or(ip);
        let base: IpAddr = ip.parse().ok()?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Net { base, prefix })
    }

    /// Whether an address is inside the range (IPv4 ranges hold IPv4-mapped IPv6 addresses).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, ip) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(base) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(base), ip) => {
                let ip = match ip {
                    IpAddr::V6(v6) => v6,
                    IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                };
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(base) & mask == u128::from(ip) & mask
            }
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
        }
    }

    /// Whether an address as coturn writes it is inside the range.
    pub fn contains_text(&self, text: &str) -> bool {
        parse(text).is_some_and(|(ip, _)| self.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_coturn_addresses() {
        let v4 = |s: &str| IpAddr::V4(s.parse().unwrap());
        assert_eq!(
            parse("192.0.2.10:3478"),
            Some((v4("192.0.2.10"), Some(3478)))
        );
        assert_eq!(parse("192.0.2.10"), Some((v4("192.0.2.10"), None)));
        assert_eq!(
            parse("[2001:db8::1%eth0]:5"),
            Some((IpAddr::V6("2001:db8::1".parse().unwrap()), Some(5)))
        );
        assert_eq!(
            parse("[::ffff:192.0.2.1]:7"),
            Some((v4("192.0.2.1"), Some(7)))
        );
        for bad in [
            "?",
            "",
            "host:80",
            "1.2.3.4:99999",
            "[::1",
            "[::1]x",
            "1.2.3:4",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn orders_v4_before_v6_then_by_port() {
        let mut texts = vec![
            "[2001:db8::1]:1",
            "192.0.2.102:1",
            "192.0.2.10:2220",
            "192.0.2.10:80",
            "10.0.0.1:9",
        ];
        texts.sort_by_key(|t| order_key(t));
        assert_eq!(
            texts,
            [
                "10.0.0.1:9",
                "192.0.2.10:80",
                "192.0.2.10:2220",
                "192.0.2.102:1",
                "[2001:db8::1]:1"
            ]
        );
    }

    #[test]
    fn ranges() {
        let net = Net::parse("192.0.2.0/24").unwrap();
        assert!(net.contains_text("192.0.2.255:1") && !net.contains_text("192.0.3.0:1"));
        assert!(net.contains_text("[::ffff:192.0.2.9]:1"));
        assert!(!net.contains_text("[2001:db8::1]:1"));
        let v6 = Net::parse("2001:db8::/32").unwrap();
        assert!(v6.contains_text("[2001:db8:ffff::1]:3478") && !v6.contains_text("[2001:db9::]:1"));
        assert!(!v6.contains_text("192.0.2.1:1"));
        assert!(Net::parse("0.0.0.0/0").unwrap().contains_text("8.8.8.8:53"));
        assert!(
            Net::parse("192.0.2.7")
                .unwrap()
                .contains_text("192.0.2.7:1")
        );
        for bad in ["192.0.2.0/33", "192.0.2/24", "x/8", "::/129"] {
            assert_eq!(Net::parse(bad), None, "{bad}");
        }
    }
}
