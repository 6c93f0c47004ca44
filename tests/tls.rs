//! TLS for real: the scratch server has a certificate from a throwaway CA
//! (CUTOVER_TEST_SSL_ROOT_CERT), valid for localhost and 127.0.0.1 but not 127.0.0.2.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use cutover::connect::{open, resolve};

fn url_with(host: &str, params: &str) -> String {
    let url = common::admin_url();
    let (scheme_user, rest) = url.split_once('@').expect("url has user info");
    let port_db = rest
        .split_once(':')
        .map(|(_, p)| p)
        .expect("url has a port");
    format!("{scheme_user}@{host}:{port_db}?{params}")
}

fn root_cert() -> String {
    std::env::var("CUTOVER_TEST_SSL_ROOT_CERT")
        .expect("scripts/with-scratch-pg sets CUTOVER_TEST_SSL_ROOT_CERT")
}

async fn uses_tls(url: &str) -> Result<bool, String> {
    let target = resolve(Some(url), "cutover:tls-test", &|_| None).map_err(|e| e.to_string())?;
    let (client, _notices) = open(&target).await?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test]
async fn require_encrypts_without_verifying() {
    assert_eq!(
        uses_tls(&url_with("127.0.0.1", "sslmode=require")).await,
        Ok(true)
    );
    assert_eq!(
        uses_tls(&url_with("127.0.0.1", "sslmode=disable")).await,
        Ok(false)
    );
}

#[tokio::test]
async fn verify_full_checks_the_chain_and_the_host_name() {
    let ca = root_cert();
    assert_eq!(
        uses_tls(&url_with(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}")
        ))
        .await,
        Ok(true)
    );
    assert_eq!(
        uses_tls(&url_with(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}")
        ))
        .await,
        Ok(true)
    );
    // 127.0.0.2 reaches the same server, but the certificate does not name it.
    let wrong_name = uses_tls(&url_with(
        "127.0.0.2",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await;
    assert!(wrong_name.is_err(), "{wrong_name:?}");
    // verify-ca accepts the chain whatever the name.
    assert_eq!(
        uses_tls(&url_with(
            "127.0.0.2",
            &format!("sslmode=verify-ca&sslrootcert={ca}")
        ))
        .await,
        Ok(true)
    );
}

#[tokio::test]
async fn verify_full_refuses_an_unknown_ca_without_leaking_the_password() {
    let result = uses_tls(&url_with("127.0.0.1", "sslmode=verify-full")).await;
    let error = result.expect_err("the scratch CA is not a system root");
    if let Some(password) = common::password() {
        assert!(!error.contains(&password), "{error}");
    }
}
