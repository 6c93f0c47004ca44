//! The feed: the database side. Follows the latest run of the runbook in `cutover.events`, on NOTIFY and every poll, reconnecting with backoff.

use super::*;

/// Delay before reconnect attempt `n` (1-based): 500 ms doubling to 8 s.
pub(super) fn backoff(n: u32) -> Duration {
    Duration::from_millis(500u64 << n.saturating_sub(1).min(4))
}

/// Turns rows of `cutover.events` into entries; rows this version cannot read are counted.
pub fn entries_of(
    rows: Vec<(i64, chrono::DateTime<chrono::Utc>, serde_json::Value)>,
) -> (Vec<Entry>, u64) {
    let mut entries = Vec::with_capacity(rows.len());
    let mut unreadable = 0;
    for (seq, ts, event) in rows {
        match (u64::try_from(seq), serde_json::from_value::<Event>(event)) {
            (Ok(seq), Ok(event)) => entries.push(Entry { ts, seq, event }),
            _ => unreadable += 1,
        }
    }
    (entries, unreadable)
}

/// Follows the latest run of `runbook` until the screen goes away; reconnects forever.
pub async fn feed(target: Target, runbook: String, tx: UnboundedSender<FeedMsg>) {
    let secret = target.secret();
    let mut follow = Follow {
        run: None,
        last: 0,
        no_run: None,
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        if tx
            .send(FeedMsg::Link(Link::Connecting { attempt }))
            .is_err()
        {
            return;
        }
        let error = match session(&target, &runbook, &mut follow, &tx, &mut attempt).await {
            Ok(()) => return,
            Err(e) => crate::secret::mask(&e, secret.as_deref()),
        };
        let retry_in = backoff(attempt);
        if tx
            .send(FeedMsg::Link(Link::Lost { error, retry_in }))
            .is_err()
        {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(retry_in) => {}
            _ = tx.closed() => return,
        }
    }
}

/// One connection's worth of following. `Ok` when the screen has gone, `Err` when the
/// connection failed or was lost.
pub(super) async fn session(
    target: &Target,
    runbook: &str,
    follow: &mut Follow,
    tx: &UnboundedSender<FeedMsg>,
    attempt: &mut u32,
) -> Result<(), String> {
    let (client, _notices, mut notifications) = crate::connect::open_listening(target).await?;
    client
        .batch_execute("SET default_transaction_read_only = on")
        .await
        .map_err(|e| e.to_string())?;
    // A standby refuses LISTEN ("cannot execute LISTEN during recovery"): poll only there.
    let notified = client
        .batch_execute(&format!("LISTEN {}", crate::tracking::EVENTS_CHANNEL))
        .await
        .is_ok();
    *attempt = 0;
    if tx.send(FeedMsg::Link(Link::Live { notified })).is_err() {
        return Ok(());
    }
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        catch_up(&client, runbook, follow, tx)
            .await
            .map_err(|e| e.to_string())?;
        tokio::select! {
            n = notifications.recv() => {
                if n.is_none() {
                    return Err("the connection was closed".into());
                }
                // Take every notification already here: one catch-up reads them all.
                while notifications.try_recv().is_ok() {}
            }
            _ = poll.tick() => {}
            _ = tx.closed() => return Ok(()),
        }
        if client.is_closed() {
            return Err("the connection was closed".into());
        }
    }
}

/// Switches to a newer run if there is one, then reads every event after the last seen.
pub(super) async fn catch_up(
    client: &Client,
    runbook: &str,
    follow: &mut Follow,
    tx: &UnboundedSender<FeedMsg>,
) -> Result<(), tokio_postgres::Error> {
    let latest = match crate::tracking::followed_run(client, runbook).await? {
        Ok(latest) => latest,
        Err(why) => {
            if follow.no_run.as_ref() != Some(&why) {
                follow.no_run = Some(why.clone());
                let _ = tx.send(FeedMsg::NoRun(why));
            }
            return Ok(());
        }
    };
    follow.no_run = None;
    if follow.run.as_ref() != Some(&latest) {
        follow.run = Some(latest.clone());
        follow.last = 0;
        let _ = tx.send(FeedMsg::Run(latest.clone()));
    }
    loop {
        let after = i64::try_from(follow.last).unwrap_or(i64::MAX);
        let rows = crate::tracking::events_after(client, &latest, after, PAGE).await?;
        let n = rows.len();
        let Some(last) = rows.last().map(|r| r.0) else {
            return Ok(());
        };
        let (entries, unreadable) = entries_of(rows);
        follow.last = u64::try_from(last).unwrap_or(follow.last);
        if unreadable > 0 {
            let _ = tx.send(FeedMsg::Unreadable(unreadable));
        }
        if !entries.is_empty() {
            let _ = tx.send(FeedMsg::Entries(entries));
        }
        if (n as i64) < PAGE {
            return Ok(());
        }
    }
}
