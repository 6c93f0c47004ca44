//! Durations as runbooks write them: `250ms`, `30s`, `5m`, `1h30m`, `2d`.
//!
//! Stricter than humantime on purpose: one spelling per unit, so a runbook reads the same
//! to every DBA and a typo like `30 mins` is caught instead of guessed.

use std::time::Duration;

/// Parses `<number><unit>` groups (units: ms, s, m, h, d), optionally separated by spaces.
pub fn parse(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty duration".into());
    }
    if trimmed.starts_with('-') {
        return Err("a duration is how long something may take: it cannot be negative".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("expected a number at `{rest}`"));
        }
        let (number, tail) = rest.split_at(digits);
        let unit_len = tail.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, tail) = tail.split_at(unit_len);
        let n: u64 = number
            .parse()
            .map_err(|_| format!("`{number}` is too large"))?;
        let step = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            "" => return Err(format!("`{number}` has no unit")),
            other => return Err(format!("unknown unit `{other}`")),
        };
        total = total.saturating_add(step);
        rest = tail.strip_prefix(' ').unwrap_or(tail);
    }
    Ok(total)
}

/// The suggestion shown when a duration does not parse: the same amount, written right.
pub fn suggest(text: &str) -> String {
    // `-5m` → `5m`: the amount without its sign.
    if let Some(positive) = text.trim().strip_prefix('-')
        && parse(positive.trim()).is_ok()
    {
        return format!("write `{}`", positive.trim());
    }
    // `1.5h` → `1h30m`; `1h30` → `1h30m` (a trailing bare number continues the next unit down).
    let t = text.trim();
    if let Some((number, unit)) = t
        .split_once(|c: char| c.is_ascii_alphabetic())
        .map(|(n, _)| (n, &t[n.len()..]))
        && let (Ok(x), Some(size)) = (number.trim().parse::<f64>(), unit_seconds(unit.trim()))
        && number.contains('.')
        && x.is_finite()
        && x >= 0.0
    {
        let d = Duration::from_millis((x * size * 1000.0).round() as u64);
        return format!(
            "write `{}` (units: ms, s, m, h, d; combine them as `1h30m`)",
            format(d)
        );
    }
    if let Some(last_digit_run) = t.strip_suffix(|c: char| c.is_ascii_digit()).map(|_| t) {
        let trailing: String = last_digit_run
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let head = &t[..t.len() - trailing.len()];
        let next_unit = match head.chars().last() {
            Some('d') => Some("h"),
            Some('h') => Some("m"),
            Some('m') if !head.ends_with("ms") => Some("s"),
            _ => None,
        };
        if let Some(unit) = next_unit {
            let candidate = format!("{head}{trailing}{unit}");
            if parse(&candidate).is_ok() {
                return format!("write `{candidate}` (units: ms, s, m, h, d)");
            }
        }
    }
    let digits: String = text
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let unit_word: String = text
        .trim()
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase();
    let unit = match unit_word.as_str() {
        u if u.starts_with("ms") || u.starts_with("milli") => "ms",
        u if u.starts_with("mi") || u == "m" => "m",
        u if u.starts_with('s') => "s",
        u if u.starts_with('h') => "h",
        u if u.starts_with('d') => "d",
        _ => "m",
    };
    let n = if digits.is_empty() {
        "30".to_owned()
    } else {
        digits
    };
    format!("write `{n}{unit}` (units: ms, s, m, h, d; combine them as `1h30m`)")
}

fn unit_seconds(unit: &str) -> Option<f64> {
    match unit.to_ascii_lowercase().as_str() {
        "ms" | "msec" | "millis" | "milliseconds" => Some(0.001),
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1.0),
        "m" | "min" | "mins" | "minute" | "minutes" => Some(60.0),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(3600.0),
        "d" | "day" | "days" => Some(86_400.0),
        _ => None,
    }
}

/// A compact rendering that round-trips through `parse` (`1h30m`, `250ms`).
pub fn format(d: Duration) -> String {
    let mut ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("d", 86_400_000u128),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("2d"), Ok(Duration::from_secs(172_800)));
    }

    #[test]
    fn rejects_ambiguous_spellings_with_a_suggestion() {
        assert!(parse("30 mins").is_err());
        assert!(parse("30").is_err());
        assert!(parse("m30").is_err());
        assert!(parse("").is_err());
        assert!(suggest("30 mins").contains("`30m`"));
        assert!(suggest("2 hours").contains("`2h`"));
        assert!(suggest("500 millis").contains("`500ms`"));
        assert!(suggest("1.5h").contains("`1h30m`"), "{}", suggest("1.5h"));
        assert!(suggest("1h30").contains("`1h30m`"), "{}", suggest("1h30"));
    }

    #[test]
    fn format_round_trips() {
        for text in ["250ms", "30m", "1h30m", "2d3h", "1m5s"] {
            assert_eq!(format(parse(text).unwrap()), text);
        }
    }
}
