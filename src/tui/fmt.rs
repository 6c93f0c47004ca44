//! Short, stable renderings of durations and times for narrow cells.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// `850ms`, `4.2s`, `59s`, `1m05s`, `1h02m`.
pub fn ms(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms}ms")
    } else if ms < 10_000 {
        format!("{}.{}s", ms / 1_000, (ms % 1_000) / 100)
    } else if ms < 60_000 {
        format!("{}s", ms / 1_000)
    } else if ms < 3_600_000 {
        let s = ms / 1_000;
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        let m = ms / 60_000;
        format!("{}h{:02}m", m / 60, m % 60)
    }
}

pub fn dur(d: Duration) -> String {
    ms(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A signed chrono duration: `4m12s`, or `-1m03s` when negative.
pub fn signed(d: chrono::Duration) -> String {
    let millis = d.num_milliseconds();
    if millis < 0 {
        format!("-{}", ms(millis.unsigned_abs()))
    } else {
        ms(millis.unsigned_abs())
    }
}

/// Wall-clock time of day, UTC.
pub fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

/// Elapsed between two instants, never negative.
pub fn between(from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    (to - from).to_std().unwrap_or_default()
}

/// Cuts `s` to at most `width` characters, marking the cut with `…`.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Pads or cuts to exactly `width` characters.
pub fn pad(s: &str, width: usize) -> String {
    let cut = fit(s, width);
    let n = cut.chars().count();
    format!("{cut}{}", " ".repeat(width.saturating_sub(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(ms(850), "850ms");
        assert_eq!(ms(4_210), "4.2s");
        assert_eq!(ms(59_000), "59s");
        assert_eq!(ms(65_000), "1m05s");
        assert_eq!(ms(3_720_000), "1h02m");
        assert_eq!(signed(chrono::Duration::seconds(-63)), "-1m03s");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(pad("ab", 4), "ab  ");
    }
}
