//! The test script really provisions PostgreSQL.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

#[tokio::test]
async fn the_scratch_server_answers() {
    let client = common::connect(&common::admin_url()).await;
    let row = client
        .query_one("SELECT version()", &[])
        .await
        .expect("SELECT version()");
    let version: String = row.get(0);
    assert!(version.starts_with("PostgreSQL"), "{version}");
}
