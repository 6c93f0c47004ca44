//! Short, stable renderings of durations and times for narrow cells.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// `850ms`, `4.2s`, `59s`, `1m05s`, `1h02m`.
pub fn ms(ms: u64) -> String {
    crate::narration::ms(ms)
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

/// Wall-clock time of day in the window's zone.
pub fn clock(t: DateTime<Utc>, zone: chrono::FixedOffset) -> String {
    t.with_timezone(&zone).format("%H:%M:%S").to_string()
}

/// The zone's name as the screen says it: `UTC`, or its offset (`+02:00`).
pub fn zone_name(zone: chrono::FixedOffset) -> String {
    if zone.local_minus_utc() == 0 {
        "UTC".to_owned()
    } else {
        zone.to_string()
    }
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

/// Cuts the middle of `s` to at most `width` characters: `db.in…al`.
pub fn elide_middle(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_owned();
    }
    if width < 2 {
        return fit(s, width);
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// Pushes `v` unless it repeats the last one.
fn push_new(out: &mut Vec<String>, v: String) {
    if out.last() != Some(&v) {
        out.push(v);
    }
}

/// A connection target (`user@host:port/db`, possibly with a `postgres://` scheme) from
/// the longest to the shortest rendering: the scheme goes first, then the host loses its
/// middle, then the port, then the user its middle. The database name is never cut.
pub fn target_variants(target: &str) -> Vec<String> {
    let mut out = vec![target.to_owned()];
    let bare = target
        .strip_prefix("postgresql://")
        .or_else(|| target.strip_prefix("postgres://"))
        .unwrap_or(target);
    push_new(&mut out, bare.to_owned());
    let Some((front, db)) = bare.rsplit_once('/') else {
        return out;
    };
    let (user, hostport) = match front.split_once('@') {
        Some((u, hp)) => (Some(u), hp),
        None => (None, front),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => (h, Some(p)),
        _ => (hostport, None),
    };
    let render = |user: &str, host: &str, port: Option<&str>| {
        let mut s = String::new();
        if !user.is_empty() {
            s.push_str(user);
            s.push('@');
        }
        s.push_str(host);
        if let Some(p) = port {
            s.push(':');
            s.push_str(p);
        }
        s.push('/');
        s.push_str(db);
        s
    };
    let user = user.unwrap_or("");
    let host_len = host.chars().count();
    const MIN_HOST: usize = 5;
    for w in (MIN_HOST..host_len).rev() {
        push_new(&mut out, render(user, &elide_middle(host, w), port));
    }
    let host = elide_middle(host, MIN_HOST);
    push_new(&mut out, render(user, &host, None));
    const MIN_USER: usize = 4;
    for w in (MIN_USER..user.chars().count()).rev() {
        push_new(&mut out, render(&elide_middle(user, w), &host, None));
    }
    out
}

/// A runbook title from the longest to the shortest: whole, without a trailing
/// parenthesis, the part before a dash or colon, then that cut down to `min` characters.
pub fn title_variants(title: &str, min: usize) -> Vec<String> {
    let mut out = vec![title.to_owned()];
    let mut t = title.trim();
    if t.ends_with(')')
        && let Some(open) = t.rfind(" (")
        && open > 0
    {
        t = t[..open].trim_end();
        push_new(&mut out, t.to_owned());
    }
    for sep in [" — ", " – ", " - ", ": "] {
        if let Some((head, _)) = t.split_once(sep)
            && !head.trim().is_empty()
        {
            t = head.trim();
            push_new(&mut out, t.to_owned());
            break;
        }
    }
    for w in (min..t.chars().count()).rev() {
        push_new(&mut out, fit(t, w));
    }
    out
}

/// `16.4` from `16.4 (Debian 16.4-1.pgdg120+1)`.
pub fn short_version(v: &str) -> &str {
    v.split_whitespace().next().unwrap_or(v)
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
        assert_eq!(elide_middle("db.internal", 8), "db.i…nal");
        assert_eq!(short_version("15.18 (Debian 15.18-1.pgdg120+1)"), "15.18");
    }

    #[test]
    fn targets_keep_the_database_name() {
        let v = target_variants("postgres://app@db.internal:5432/shop");
        assert_eq!(v[0], "postgres://app@db.internal:5432/shop");
        assert_eq!(v[1], "app@db.internal:5432/shop");
        assert!(v.contains(&"app@db.i…nal:5432/shop".to_owned()), "{v:?}");
        assert!(v.iter().all(|t| t.ends_with("/shop")), "{v:?}");
        let last = v.last().unwrap();
        assert!(last.chars().count() < 16, "{last}");
        // No user, a socket directory for a host.
        let v = target_variants("/var/run/postgresql:5432/db");
        assert!(v.iter().all(|t| t.ends_with("/db")), "{v:?}");
    }

    #[test]
    fn titles_lose_their_tail_first() {
        let v = title_variants("Task 12.1 — schema consolidation (20250902000002)", 8);
        assert_eq!(v[1], "Task 12.1 — schema consolidation");
        assert_eq!(v[2], "Task 12.1");
        assert_eq!(v.last().unwrap(), "Task 12…");
        let v = title_variants("Shop", 8);
        assert_eq!(v, vec!["Shop".to_owned()]);
    }
}
