//! `${VAR}` interpolation from the environment.

/// Replaces `${VAR}` and `${VAR:-default}`; `$$` is a literal `$`.
/// Returns the name of the first variable that is unset (and has no default).
pub fn interpolate(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                out.push_str(&rest[at..]);
                return Ok(out);
            };
            let expr = &body[..end];
            let (name, default) = match expr.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (expr, None),
            };
            match lookup(name)
                .filter(|v| !v.is_empty())
                .or(default.map(str::to_owned))
            {
                Some(value) => out.push_str(&value),
                None => return Err(name.to_owned()),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The variables a text refers to, in order.
pub fn variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let body = &rest[at + 2..];
        let Some(end) = body.find('}') else { break };
        let expr = &body[..end];
        names.push(expr.split_once(":-").map_or(expr, |(n, _)| n).to_owned());
        rest = &body[end + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "HOST").then(|| "db1".to_owned())
    }

    #[test]
    fn replaces_variables_and_defaults() {
        assert_eq!(
            interpolate("postgres://${HOST}/app", &env),
            Ok("postgres://db1/app".into())
        );
        assert_eq!(interpolate("${PORT:-5432}", &env), Ok("5432".into()));
        assert_eq!(interpolate("cost $$5", &env), Ok("cost $5".into()));
        assert_eq!(interpolate("${MISSING}", &env), Err("MISSING".into()));
        assert_eq!(variables("${A}x${B:-1}"), vec!["A", "B"]);
    }
}
