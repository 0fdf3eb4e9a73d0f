//! Client addresses as coturn writes them (`192.0.2.10:3478`, `[2001:db8::1]:3478`), read as
//! addresses (pure): for sorting REMOTE in address order and for address-range filters
//! (`remote=192.0.2.0/24`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The address and port of `ip:port`, `[ipv6]:port` (a `%zone` is ignored), or a bare address.
/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address.
pub fn parse(text: &str) -> Option<(IpAddr, Option<u16>)> {
    parse_bytes(text.as_bytes())
}

/// [`parse`] of text as bytes (the filter's copies of addresses are ASCII bytes).
pub fn parse_bytes(text: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    // Most addresses are IPv4 with a port: read those by hand (filters read 100k a frame).
    if let Some((v4, rest)) = parse_v4(text) {
        return Some((IpAddr::V4(v4), port(rest)?));
    }
    let text = std::str::from_utf8(text).ok()?;
    let (ip, port) = if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let ip = ip.split_once('%').map_or(ip, |(ip, _zone)| ip);
        (ip.parse::<Ipv6Addr>().ok()?, port(after.as_bytes())?)
    } else {
        (text.parse::<Ipv6Addr>().ok()?, None)
    };
    Some((IpAddr::V6(ip).to_canonical(), port))
}

/// A dotted IPv4 address at the start of `b` (four decimal parts up to 255, no leading `+`),
/// and what follows it.
fn parse_v4(b: &[u8]) -> Option<(Ipv4Addr, &[u8])> {
    let mut i = 0;
    let mut octets = [0u8; 4];
    for (n, o) in octets.iter_mut().enumerate() {
        *o = octet(b, n, &mut i)?;
    }
    Some((Ipv4Addr::from(octets), &b[i..]))
}

/// The `n`th part of a dotted IPv4 address at `b[*i..]` (after its `.`), moving `*i` past it.
fn octet(b: &[u8], n: usize, i: &mut usize) -> Option<u8> {
    if n > 0 {
        if b.get(*i) != Some(&b'.') {
            return None;
        }
        *i += 1;
    }
    let start = *i;
    let mut value: u32 = 0;
    while let Some(d) = b.get(*i).filter(|d| d.is_ascii_digit()) {
        value = value * 10 + u32::from(d - b'0');
        *i += 1;
        if *i - start > 3 {
            return None;
        }
    }
    if *i == start {
        return None;
    }
    u8::try_from(value).ok()
}

/// What may follow an address: nothing (`Some(None)`) or `:port` (`Some(Some(port))`).
fn port(rest: &[u8]) -> Option<Option<u16>> {
    match rest {
        [] => Some(None),
        [b':', digits @ ..] if !digits.is_empty() && digits.len() <= 5 => {
            let mut value: u32 = 0;
            for d in digits {
                if !d.is_ascii_digit() {
                    return None;
                }
                value = value * 10 + u32::from(d - b'0');
            }
            Some(Some(u16::try_from(value).ok()?))
        }
        _ => None,
    }
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
        self.contains_bytes(text.as_bytes())
    }

    /// [`Net::contains_text`] of text as bytes. An IPv4 address is read a part at a time and
    /// dropped at the first part outside the range (filters read 100k addresses a frame, most
    /// of them outside); it is still read whole before it counts as inside.
    pub fn contains_bytes(&self, text: &[u8]) -> bool {
        if self.rules_out(text) {
            return false;
        }
        let IpAddr::V4(base) = self.base else {
            return parse_bytes(text).is_some_and(|(ip, _)| self.contains(ip));
        };
        if text.first() == Some(&b'[') {
            // IPv4-mapped IPv6.
            return parse_bytes(text).is_some_and(|(ip, _)| self.contains(ip));
        }
        let base = base.octets();
        let whole = usize::from(self.prefix / 8);
        let mut i = 0;
        let mut octets = [0u8; 4];
        for (n, o) in octets.iter_mut().enumerate() {
            match octet(text, n, &mut i) {
                Some(v) if n >= whole || v == base[n] => *o = v,
                _ => return false,
            }
        }
        port(&text[i..]).is_some() && self.contains(IpAddr::V4(Ipv4Addr::from(octets)))
    }

    /// Whether the text, by its shape alone, cannot be an address inside the range: an IPv6
    /// address in an IPv4 range (unless IPv4-mapped), an IPv4 address in an IPv6 range that
    /// holds no mapped addresses. Cheaper than reading the address (filters read 100k).
    pub fn rules_out(&self, text: &[u8]) -> bool {
        // An IPv4 address has no `:` in its first five characters; IPv6 always has (a group
        // is at most four hex digits), bracketed or not.
        let bracketed = text.first() == Some(&b'[');
        let looks_v4 = !bracketed && !text.iter().take(5).any(|b| *b == b':');
        match self.base {
            IpAddr::V4(_) => {
                !looks_v4
                    && !text[usize::from(bracketed)..]
                        .get(..7)
                        .is_some_and(|p| p.eq_ignore_ascii_case(b"::ffff:"))
            }
            IpAddr::V6(base) => looks_v4 && !self.holds_mapped(base),
        }
    }

    /// Whether an IPv6 range overlaps the IPv4-mapped addresses (`::ffff:0:0/96`).
    fn holds_mapped(&self, base: Ipv6Addr) -> bool {
        let mapped = u128::from(Ipv4Addr::UNSPECIFIED.to_ipv6_mapped());
        let shift = 128 - u32::from(self.prefix.min(96));
        let mask = u128::MAX.checked_shl(shift).unwrap_or(0);
        u128::from(base) & mask == mapped & mask
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
