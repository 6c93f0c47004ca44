//! The connection password, masked in the values where it can enter cutover's output.
//!
//! A password can only reach the screen, the journal or a report through text that comes from
//! outside cutover: the connection target as displayed (a user named like the password), what
//! the server says (errors, notices, other sessions' queries, a check's result), what a command
//! prints, and error text from the network. Those values, and only those, are masked, before
//! they become events. Names, ids, keys, numbers and timestamps are never touched, so a short
//! or common password (`event`, `2026`, `id`) never costs a run, a name or a journal line.

use crate::events::Event;

/// What a masked password is shown as.
pub const MASK: &str = "********";

/// `text` with every occurrence of `secret` (as written, and as percent-encoded in a URL)
/// replaced by [`MASK`].
pub fn mask(text: &str, secret: Option<&str>) -> String {
    let mut out = text.to_owned();
    if let Some(secret) = secret {
        mask_in_place(&mut out, secret);
    }
    out
}

/// Masks `secret` in `text` in place (a no-op for an empty secret).
pub fn mask_in_place(text: &mut String, secret: &str) {
    if secret.is_empty() {
        return;
    }
    if text.contains(secret) {
        *text = text.replace(secret, MASK);
    }
    let encoded = percent_encoded(secret);
    if encoded != secret && text.contains(&encoded) {
        *text = text.replace(&encoded, MASK);
    }
}

/// The password as it appears in a `postgres://` URL's userinfo.
fn percent_encoded(secret: &str) -> String {
    let mut out = String::with_capacity(secret.len());
    for byte in secret.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Masks `secret` in the values of `event` that carry text from outside cutover (see the
/// module's documentation), and nowhere else: [`Event::outside_text_mut`] says which.
pub fn mask_event(event: &mut Event, secret: &str) {
    if secret.is_empty() {
        return;
    }
    event.outside_text_mut(&mut |text| mask_in_place(text, secret));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_password_as_written_and_as_url_encoded() {
        assert_eq!(
            mask("auth failed for s3cret", Some("s3cret")),
            "auth failed for ********"
        );
        assert_eq!(
            mask("postgres://u:p%40ss%2Fw@h/db", Some("p@ss/w")),
            "postgres://u:********@h/db"
        );
        assert_eq!(mask("nothing here", Some("")), "nothing here");
        assert_eq!(mask("nothing here", None), "nothing here");
    }

    #[test]
    fn names_ids_and_numbers_are_never_masked() {
        let mut started = Event::RunStarted {
            run_id: "event-2026".into(),
            runbook: "event-gen-window".into(),
            title: "event".into(),
            checksum: "2026".into(),
            operator: "event".into(),
            target: "event@127.0.0.1:5432/event".into(),
            server_version: "15.2".into(),
            cutover_version: "0.1.0".into(),
            resumed: false,
            hard_end: "2026-01-01T00:00:00Z".into(),
            plan: None,
        };
        mask_event(&mut started, "event");
        let Event::RunStarted {
            run_id,
            runbook,
            operator,
            target,
            ..
        } = &started
        else {
            unreachable!()
        };
        assert_eq!(run_id, "event-2026");
        assert_eq!(runbook, "event-gen-window");
        assert_eq!(operator, "event");
        assert_eq!(target, "********@127.0.0.1:5432/********");

        let mut finished = Event::StepFinished {
            step: "event".into(),
            duration_ms: 2026,
            rows: 1,
        };
        let before = finished.clone();
        mask_event(&mut finished, "event");
        assert_eq!(finished, before);
    }

    #[test]
    fn outside_text_is_masked() {
        let mut output = Event::CommandOutput {
            step: "show".into(),
            exit_code: Some(0),
            stdout_tail: "PGPASSWORD=hunter2".into(),
            stderr_tail: "hunter2".into(),
        };
        mask_event(&mut output, "hunter2");
        assert_eq!(
            output,
            Event::CommandOutput {
                step: "show".into(),
                exit_code: Some(0),
                stdout_tail: "PGPASSWORD=********".into(),
                stderr_tail: "********".into(),
            }
        );
    }
}
