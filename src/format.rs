//! Human formatting of rates, byte counts and durations (pure).

/// How rates are shown.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
    serde::Deserialize,
    serde::Serialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum RateUnits {
    /// B/s, KB/s, MB/s (powers of 1000)
    #[default]
    Bytes,
    /// bit/s, kbit/s, Mbit/s
    Bits,
}

fn scaled(v: f64, units: &[&str]) -> String {
    let mut v = v;
    let mut i = 0;
    while v >= 999.5 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 || v >= 99.95 {
        format!("{v:.0}{}", units[i])
    } else if v >= 9.995 {
        format!("{v:.1}{}", units[i])
    } else {
        format!("{v:.2}{}", units[i])
    }
}

/// `12.3KB/s`, or `98.4kb/s` in bits.
pub fn rate(bytes_per_sec: f64, units: RateUnits) -> String {
    if !bytes_per_sec.is_finite() || bytes_per_sec < 0.0 {
        return "?".into();
    }
    match units {
        RateUnits::Bytes => scaled(bytes_per_sec, &["B/s", "KB/s", "MB/s", "GB/s", "TB/s"]),
        RateUnits::Bits => scaled(
            bytes_per_sec * 8.0,
            &["b/s", "kb/s", "Mb/s", "Gb/s", "Tb/s"],
        ),
    }
}

pub fn opt_rate(r: Option<f64>, units: RateUnits) -> String {
    r.map_or_else(|| "-".into(), |r| rate(r, units))
}

/// `1.23MB`
pub fn bytes(b: u64) -> String {
    scaled(b as f64, &["B", "KB", "MB", "GB", "TB", "PB"])
}

/// Compact duration: `42s`, `3m07s`, `2h05m`, `3d04h`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "?".into();
    }
    let s = secs.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 if s.is_multiple_of(60) => format!("{}m", s / 60),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// A lifetime countdown as `mm:ss` (or `h:mm:ss`).
pub fn countdown(secs: f64) -> String {
    let s = secs.max(0.0).ceil() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A number as typed with its unit, and the step of its last digit in the same unit (`1.5MB` is
/// 1.5e6 bytes with a step of 1e5): a filter's `=` matches what rounds to the number typed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Amount {
    pub value: f64,
    pub step: f64,
}

/// The leading number of `s` (`12`, `1.5`, `.5`) with the step of its last digit, and the rest.
fn leading_number(s: &str) -> Option<(f64, f64, &str)> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(end);
    if !num.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: f64 = num.parse().ok()?;
    let decimals = num.split_once('.').map_or(0, |(_, f)| f.len());
    Some((value, 10f64.powi(-(decimals as i32)), rest))
}

/// A data unit: an optional SI (`k M G T`, powers of 1000) or IEC (`Ki Mi Gi Ti`, powers of
/// 1024) prefix, then bytes (`B`, `byte(s)`, or nothing) or bits (`b`, `bit(s)`), then an
/// optional per second (`/s`, or `ps` after `b`/`B`: `Mbps`). Returns bytes per unit and
/// whether it was per second.
fn data_unit(unit: &str) -> Option<(f64, bool)> {
    let (unit, per_second) = if let Some(u) = unit.strip_suffix("/s") {
        (u, true)
    } else if let Some(u) = unit.strip_suffix("ps").filter(|u| u.ends_with(['b', 'B'])) {
        (u, true)
    } else {
        (unit, false)
    };
    let mut chars = unit.chars();
    let power = match chars.next() {
        Some('k' | 'K') => 1,
        // `m` is mega here: a thousandth of a byte means nothing.
        Some('m' | 'M') => 2,
        Some('g' | 'G') => 3,
        Some('t' | 'T') => 4,
        _ => 0,
    };
    let mut rest = if power > 0 { chars.as_str() } else { unit };
    let base: f64 = match rest.strip_prefix('i') {
        Some(r) if power > 0 => {
            rest = r;
            1024.0
        }
        _ => 1000.0,
    };
    let per = match rest {
        "" | "B" => 1.0,
        "b" => 0.125,
        r if ["byte", "bytes"].contains(&r.to_ascii_lowercase().as_str()) => 1.0,
        r if ["bit", "bits"].contains(&r.to_ascii_lowercase().as_str()) => 0.125,
        _ => return None,
    };
    Some((base.powi(power) * per, per_second))
}

/// A rate in bytes per second: `500`, `1.5MB`, `10KB/s`, `8Mbps`, `500kbit`, `2MiB/s`.
pub fn parse_rate(s: &str) -> Option<Amount> {
    let (value, step, unit) = leading_number(s.trim())?;
    let (mult, _per_second) = data_unit(unit)?;
    Some(Amount {
        value: value * mult,
        step: step * mult,
    })
}

/// A byte count: `300`, `10M`, `1GiB`, `64kbit`. A rate (`/s`, `ps`) is not a byte count.
pub fn parse_bytes(s: &str) -> Option<Amount> {
    let (value, step, unit) = leading_number(s.trim())?;
    match data_unit(unit)? {
        (mult, false) => Some(Amount {
            value: value * mult,
            step: step * mult,
        }),
        (_, true) => None,
    }
}

/// A count: `3`.
pub fn parse_count(s: &str) -> Option<Amount> {
    match leading_number(s.trim())? {
        (value, step, "") => Some(Amount { value, step }),
        _ => None,
    }
}

/// A duration in seconds: `90`, `1.5`, `90s`, `5m`, `2h`, `1d`, `1m30s`. The step is that of
/// the last part (`5m`: a minute).
pub fn parse_duration_amount(s: &str) -> Option<Amount> {
    let mut rest = s.trim();
    let (mut total, mut step) = (0.0, 1.0);
    let mut parts = 0;
    while !rest.is_empty() {
        let (n, n_step, after) = leading_number(rest)?;
        let mut chars = after.chars();
        let unit = match chars.next() {
            None if parts == 0 => 1.0,
            Some('s') => 1.0,
            Some('m') => 60.0,
            Some('h') => 3600.0,
            Some('d') => 86_400.0,
            _ => return None,
        };
        total += n * unit;
        step = n_step * unit;
        rest = chars.as_str();
        parts += 1;
    }
    (parts > 0 && total.is_finite()).then_some(Amount { value: total, step })
}

/// Parse a duration: `90`, `90s`, `5m`, `2h`, `1m30s`.
pub fn parse_duration(s: &str) -> Option<f64> {
    parse_duration_amount(s).map(|a| a.value)
}

/// Cut a string to `width` columns, keeping both ends: `1795641736:ca…ol`. Usernames differ at
/// either end (REST timestamps at the front, names at the back), so the middle goes.
pub fn middle_truncate(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if s.width() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    if width == 1 {
        return "…".into();
    }
    let keep = width - 1;
    let (head_w, tail_w) = (keep.div_ceil(2), keep / 2);
    let mut head = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > head_w {
            break;
        }
        head.push(c);
        w += cw;
    }
    let mut tail: Vec<char> = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > tail_w {
            break;
        }
        tail.push(c);
        w += cw;
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    head
}

/// `2026-11-25 07:03:04 UTC` without a date crate (days-from-civil, inverted).
pub fn utc(t: f64) -> String {
    let secs = t.floor() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(rate(0.0, RateUnits::Bytes), "0B/s");
        assert_eq!(rate(999.0, RateUnits::Bytes), "999B/s");
        assert_eq!(rate(24800.0, RateUnits::Bytes), "24.8KB/s");
        assert_eq!(rate(1_234_567.0, RateUnits::Bytes), "1.23MB/s");
        assert_eq!(rate(125_000.0, RateUnits::Bits), "1.00Mb/s");
        assert_eq!(rate(f64::NAN, RateUnits::Bytes), "?");
        assert_eq!(bytes(993_508), "994KB");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(5.4), "5s");
        assert_eq!(duration(187.0), "3m07s");
        assert_eq!(duration(600.0), "10m");
        assert_eq!(duration(7500.0), "2h05m");
        assert_eq!(countdown(599.2), "10:00");
        assert_eq!(countdown(61.0), "1:01");
        assert_eq!(countdown(-3.0), "0:00");
        assert_eq!(parse_duration("1m30s"), Some(90.0));
        assert_eq!(parse_duration("10m"), Some(600.0));
        assert_eq!(parse_duration("45"), Some(45.0));
        assert_eq!(parse_duration("5x"), None);
    }

    #[test]
    fn quantities_in_si_and_iec_bits_and_bytes() {
        let rate = |s| parse_rate(s).map(|a| a.value);
        assert_eq!(rate("1MB"), Some(1e6));
        assert_eq!(rate("1.5k"), Some(1500.0));
        assert_eq!(rate("8Mb"), Some(1e6));
        assert_eq!(rate("8Mbps"), Some(1e6));
        assert_eq!(rate("8Mbit/s"), Some(1e6));
        assert_eq!(rate("500kbit"), Some(62_500.0));
        assert_eq!(rate("10KB/s"), Some(1e4));
        assert_eq!(rate("2MBps"), Some(2e6));
        assert_eq!(rate("1KiB/s"), Some(1024.0));
        assert_eq!(rate("1Mib"), Some(131_072.0));
        assert_eq!(rate("300"), Some(300.0));
        assert_eq!(rate("3bytes"), Some(3.0));
        for bad in ["1XB", "fast", "", "MB", "1.2.3", "1 MB", "1Bs"] {
            assert_eq!(rate(bad), None, "{bad}");
        }
        let bytes = |s| parse_bytes(s).map(|a| a.value);
        assert_eq!(bytes("1GiB"), Some(1_073_741_824.0));
        assert_eq!(bytes("10M"), Some(1e7));
        assert_eq!(bytes("1MB/s"), None, "a rate is not a byte count");
        assert_eq!(parse_rate("1.5MB").map(|a| a.step), Some(1e5));
        assert_eq!(parse_rate("0").map(|a| a.step), Some(1.0));
        assert_eq!(
            parse_count("3"),
            Some(Amount {
                value: 3.0,
                step: 1.0
            })
        );
        assert_eq!(parse_count("3k"), None);
        let d = parse_duration_amount("1m30s").unwrap();
        assert_eq!((d.value, d.step), (90.0, 1.0));
        assert_eq!(parse_duration_amount("5m").map(|a| a.step), Some(60.0));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("m"), None);
    }

    #[test]
    fn truncation_keeps_both_ends() {
        assert_eq!(middle_truncate("1795641736:carol", 10), "17956…arol");
        assert_eq!(middle_truncate("bob", 10), "bob");
        assert_eq!(middle_truncate("名前名前名前", 5), "名…前");
    }
}
