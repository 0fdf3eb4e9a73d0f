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

/// Parse a quantity with an optional SI suffix: `1.5M`, `200k`, `1MB`, `8Mb` (bits: lower-case b
/// after a prefix means bits and is divided by 8), `10KB/s`. Returns bytes.
pub fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let s = s.strip_suffix("/s").unwrap_or(s);
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let (mult, rest) = match unit.chars().next() {
        Some('k' | 'K') => (1e3, &unit[1..]),
        Some('m' | 'M') if !unit.starts_with("ms") => (1e6, &unit[1..]),
        Some('g' | 'G') => (1e9, &unit[1..]),
        Some('t' | 'T') => (1e12, &unit[1..]),
        _ => (1.0, unit),
    };
    let per = match rest {
        "" | "B" | "bytes" => 1.0,
        "b" | "bit" | "bits" => 1.0 / 8.0,
        _ => return None,
    };
    Some(n * mult * per)
}

/// Parse a duration: `90`, `90s`, `5m`, `2h`, `1m30s`.
pub fn parse_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>() {
        return (v.is_finite() && v >= 0.0).then_some(v);
    }
    let mut total = 0.0;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match c {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86_400.0,
            _ => return None,
        };
        any = true;
    }
    if !num.is_empty() {
        return None;
    }
    any.then_some(total)
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
    fn quantities() {
        assert_eq!(parse_quantity("1MB"), Some(1e6));
        assert_eq!(parse_quantity("1.5k"), Some(1500.0));
        assert_eq!(parse_quantity("8Mb"), Some(1e6));
        assert_eq!(parse_quantity("10KB/s"), Some(1e4));
        assert_eq!(parse_quantity("300"), Some(300.0));
        assert_eq!(parse_quantity("1XB"), None);
    }

    #[test]
    fn truncation_keeps_both_ends() {
        assert_eq!(middle_truncate("1795641736:carol", 10), "17956…arol");
        assert_eq!(middle_truncate("bob", 10), "bob");
        assert_eq!(middle_truncate("名前名前名前", 5), "名…前");
    }
}
