//! Where to connect, resolved the way libpq users expect, and shown without secrets.
//!
//! Precedence, highest first: `--database-url`, the runbook's `database.url`, the `PG*`
//! environment variables, then libpq's defaults (local socket, OS user). Parameters the
//! URL leaves out are filled from `PG*`; a missing password is looked up in `PGPASSFILE`
//! or `~/.pgpass`.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::Config;
use tokio_postgres::config::Host;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("invalid connection string: {0}")]
    Invalid(String),
    #[error("unknown sslmode `{0}`: use disable, prefer, require, verify-ca or verify-full")]
    BadSslMode(String),
}

/// A resolved connection target. `Debug` never shows the password.
#[derive(Clone)]
pub struct Target {
    pub config: Config,
    pub ssl: SslMode,
    /// `sslrootcert`: CA certificates to trust instead of the system's.
    pub root_cert: Option<PathBuf>,
}

/// libpq's sslmode values (allow is treated as disable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS if the server offers it, certificate not verified.
    Prefer,
    /// TLS required, certificate not verified (libpq semantics).
    Require,
    /// TLS with the certificate chain verified, host name not checked.
    VerifyCa,
    /// TLS with chain and host name verified.
    VerifyFull,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn env_lookup(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    env(name).filter(|v| !v.is_empty())
}

/// Removes `name=` from a URL's query or a conninfo (tokio-postgres knows only some TLS
/// settings) and returns the rest with the value written.
fn take_param(conn: &str, name: &str) -> (String, Option<String>) {
    let prefix = format!("{name}=");
    let mut value = None;
    let mut keep = |p: &&str| match p.strip_prefix(prefix.as_str()) {
        Some(v) => {
            value = Some(v.to_owned());
            false
        }
        None => true,
    };
    if conn.contains("://") {
        let Some((base, query)) = conn.split_once('?') else {
            return (conn.to_owned(), None);
        };
        let kept: Vec<&str> = query.split('&').filter(&mut keep).collect();
        let rebuilt = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rebuilt, value)
    } else {
        let kept: Vec<&str> = conn.split_whitespace().filter(&mut keep).collect();
        (kept.join(" "), value)
    }
}

/// Resolves the target from an optional URL/conninfo and the environment.
pub fn resolve(
    conn: Option<&str>,
    application_name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Target, ConnectError> {
    let (conn, url_sslmode) = take_param(conn.unwrap_or(""), "sslmode");
    let (mut conn, url_rootcert) = take_param(&conn, "sslrootcert");
    // libpq fills a port the string leaves out from PGPORT; tokio-postgres would pick 5432.
    if let Some(port) =
        env_lookup("PGPORT", env).filter(|_| !conn.trim().is_empty() && !explicit_port(&conn))
    {
        if let Some((scheme, rest)) = conn.split_once("://") {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(end);
            let (userinfo, hosts) = match authority.rsplit_once('@') {
                Some((u, h)) => (format!("{u}@"), h),
                None => (String::new(), authority),
            };
            let hosts: Vec<String> = hosts
                .split(',')
                .map(|h| {
                    if h.is_empty() {
                        String::new()
                    } else {
                        format!("{h}:{port}")
                    }
                })
                .collect();
            conn = format!("{scheme}://{userinfo}{}{tail}", hosts.join(","));
        } else {
            conn = format!("{conn} port={port}");
        }
    }
    let mut config = if conn.trim().is_empty() {
        Config::new()
    } else {
        // tokio-postgres' messages may quote the input; never echo it back.
        Config::from_str(&conn).map_err(|_| {
            ConnectError::Invalid("expected postgres://user@host:port/db or key=value pairs".into())
        })?
    };
    if config.get_hosts().is_empty() {
        match env_lookup("PGHOST", env) {
            Some(hosts) => {
                for h in hosts.split(',') {
                    if h.starts_with('/') {
                        config.host_path(h);
                    } else {
                        config.host(h);
                    }
                }
            }
            None => {
                let socket_dir = Path::new("/var/run/postgresql");
                if socket_dir.exists() {
                    config.host_path(socket_dir);
                } else {
                    config.host("localhost");
                }
            }
        }
    }
    if config.get_ports().is_empty() {
        let port = env_lookup("PGPORT", env)
            .and_then(|p| p.parse().ok())
            .unwrap_or(5432);
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = env_lookup("PGUSER", env)
            .or_else(|| env_lookup("USER", env))
            .unwrap_or_else(|| "postgres".into());
        config.user(user);
    }
    if config.get_dbname().is_none()
        && let Some(db) = env_lookup("PGDATABASE", env)
    {
        config.dbname(db);
    }
    // A peer that vanished (a cut network, a powered-off host) is noticed in about a minute,
    // not after the system's two hours of TCP silence; conninfo settings still win.
    if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
        config.keepalives_idle(Duration::from_secs(30));
        config.keepalives_interval(Duration::from_secs(10));
        config.keepalives_retries(3);
    }
    if config.get_application_name().is_none() {
        let name = env_lookup("PGAPPNAME", env).unwrap_or_else(|| application_name.to_owned());
        config.application_name(name);
    }
    let sslmode = url_sslmode
        .or_else(|| env_lookup("PGSSLMODE", env))
        .unwrap_or_else(|| "prefer".into());
    let ssl = match sslmode.as_str() {
        "disable" | "allow" => SslMode::Disable,
        "prefer" => SslMode::Prefer,
        "require" => SslMode::Require,
        "verify-ca" => SslMode::VerifyCa,
        "verify-full" => SslMode::VerifyFull,
        other => return Err(ConnectError::BadSslMode(other.to_owned())),
    };
    config.ssl_mode(match ssl {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            tokio_postgres::config::SslMode::Require
        }
    });
    let root_cert = url_rootcert
        .or_else(|| env_lookup("PGSSLROOTCERT", env))
        .map(PathBuf::from);
    if config.get_password().is_none() {
        if let Some(pw) = env_lookup("PGPASSWORD", env) {
            config.password(pw);
        } else if let Some(pw) = pgpass_password(&config, env) {
            config.password(pw);
        }
    }
    Ok(Target {
        config,
        ssl,
        root_cert,
    })
}

/// Whether a URL or conninfo names a port itself (tokio-postgres fills in 5432 otherwise).
fn explicit_port(conn: &str) -> bool {
    match conn.split_once("://") {
        Some((_, rest)) => {
            let authority = rest.split(['/', '?']).next().unwrap_or("");
            let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            hosts
                .rsplit_once(':')
                .is_some_and(|(_, p)| !p.is_empty() && !p.contains(']'))
                || rest.contains("port=")
        }
        None => conn.split_whitespace().any(|p| p.starts_with("port=")),
    }
}

fn pgpass_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env_lookup("PGPASSFILE", env)
        .map(PathBuf::from)
        .or_else(|| env_lookup("HOME", env).map(|h| Path::new(&h).join(".pgpass")))
}

/// Looks up `host:port:database:user:password` lines; `*` matches anything.
fn pgpass_password(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let text = std::fs::read_to_string(pgpass_path(env)?).ok()?;
    let host = match config.get_hosts().first()? {
        Host::Tcp(h) => h.clone(),
        Host::Unix(p) => {
            let _ = p;
            "localhost".to_owned()
        }
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default().to_owned();
    let db = config.get_dbname().unwrap_or(&user).to_owned();
    pgpass_match(&text, &host, &port, &db, &user)
}

pub(crate) fn pgpass_match(
    text: &str,
    host: &str,
    port: &str,
    db: &str,
    user: &str,
) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        // Fields are separated by unescaped ':'; `\:` and `\\` are escapes.
        let mut fields = Vec::new();
        let mut current = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => current.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut current)),
                _ => current.push(c),
            }
        }
        fields.push(current);
        if fields.len() != 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        if matches(&fields[0], host)
            && matches(&fields[1], port)
            && matches(&fields[2], db)
            && matches(&fields[3], user)
        {
            return fields.pop();
        }
    }
    None
}

impl Target {
    /// `user@host:port/db` — what may be shown on screen, in the journal and in reports.
    pub fn redacted(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "?".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let user = self.config.get_user().unwrap_or("?");
        let db = self.config.get_dbname().unwrap_or(user);
        // A user, host or database named like the password would show it.
        crate::secret::mask(
            &format!("{user}@{host}:{port}/{db}"),
            self.secret().as_deref(),
        )
    }

    /// The password, for scrubbing any text that might echo it.
    pub fn secret(&self) -> Option<String> {
        self.config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .filter(|p| !p.is_empty())
    }

    pub fn dbname(&self) -> String {
        self.config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres")
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn url_is_shown_without_its_password() {
        let t = resolve(
            Some("postgres://app:s3cret@db.example:6543/shop"),
            "cutover:x",
            &no_env,
        )
        .unwrap();
        assert_eq!(t.redacted(), "app@db.example:6543/shop");
        assert!(!format!("{t:?}").contains("s3cret"));
        assert_eq!(t.secret().as_deref(), Some("s3cret"));
        assert_eq!(t.config.get_application_name(), Some("cutover:x"));
    }

    #[test]
    fn environment_fills_what_the_url_leaves_out() {
        let env = |n: &str| match n {
            "PGHOST" => Some("db2".to_owned()),
            "PGPORT" => Some("7000".to_owned()),
            "PGUSER" => Some("ops".to_owned()),
            "PGPASSWORD" => Some("pw".to_owned()),
            "PGDATABASE" => Some("app".to_owned()),
            "PGAPPNAME" => Some("mine".to_owned()),
            _ => None,
        };
        let t = resolve(None, "cutover:x", &env).unwrap();
        assert_eq!(t.redacted(), "ops@db2:7000/app");
        assert_eq!(t.config.get_application_name(), Some("mine"));
        let t = resolve(Some("postgres://other@h/db"), "cutover:x", &env).unwrap();
        assert_eq!(t.redacted(), "other@h:7000/db");
    }

    #[test]
    fn keyword_conninfo_and_unix_sockets() {
        let t = resolve(
            Some("host=/tmp/sock port=5433 user=u dbname=d sslmode=disable"),
            "a",
            &no_env,
        )
        .unwrap();
        assert_eq!(t.redacted(), "u@/tmp/sock:5433/d");
        let t = resolve(
            Some("host=h sslmode=verify-full sslrootcert=/ca.pem"),
            "a",
            &no_env,
        )
        .unwrap();
        assert_eq!(t.ssl, SslMode::VerifyFull);
        assert_eq!(t.root_cert.as_deref(), Some(Path::new("/ca.pem")));
        let t = resolve(Some("postgres://u@h/d?sslmode=require"), "a", &no_env).unwrap();
        assert_eq!(t.ssl, SslMode::Require);
        assert!(matches!(
            resolve(Some("host=h sslmode=sometimes"), "a", &no_env),
            Err(ConnectError::BadSslMode(_))
        ));
        let err = resolve(Some("postgres://u:pw@h:notaport/d"), "a", &no_env).unwrap_err();
        assert!(!err.to_string().contains("pw"));
    }

    #[test]
    fn pgpass_lines_match_with_wildcards_and_escapes() {
        let text = "# comment\nother:5432:*:u:nope\ndb:*:*:u:pa\\:ss\n";
        assert_eq!(
            pgpass_match(text, "db", "5432", "app", "u").as_deref(),
            Some("pa:ss")
        );
        assert_eq!(pgpass_match(text, "zz", "5432", "app", "u"), None);
    }

    #[test]
    fn a_user_named_like_the_password_is_masked_in_the_target() {
        let t = resolve(
            Some("postgres://bars:bars@db:5432/shop"),
            "cutover",
            &no_env,
        )
        .unwrap();
        assert_eq!(t.redacted(), "********@db:5432/shop");
    }
}

pub use tls::{Notifications, cancel, open, open_listening};

mod tls {
    //! Opening connections, with rustls when the sslmode asks for TLS.

    use super::{SslMode, Target};
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
    use std::sync::Arc;
    use tokio::io::{AsyncRead, AsyncWrite};
    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
    use tokio_postgres::{AsyncMessage, Client, Connection, NoTls};

    /// Server notices as (severity, message).
    pub type Notices = UnboundedReceiver<(String, String)>;

    fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// Accepts any certificate: libpq's `prefer` and `require` encrypt without verifying.
    #[derive(Debug)]
    struct Unverified(Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for Unverified {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    /// Verifies the chain but not the host name (`verify-ca`).
    #[derive(Debug)]
    struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

    impl ServerCertVerifier for ChainOnly {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            match self
                .0
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            {
                Err(Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls12_signature(message, cert, dss)
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls13_signature(message, cert, dss)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }

    fn roots(target: &Target) -> Result<RootCertStore, String> {
        let mut store = RootCertStore::empty();
        match &target.root_cert {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
                for cert in certs {
                    let cert =
                        cert.map_err(|e| format!("bad certificate in {}: {e}", path.display()))?;
                    store
                        .add(cert)
                        .map_err(|e| format!("bad certificate in {}: {e}", path.display()))?;
                }
            }
            None => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = store.add(cert);
                }
            }
        }
        if store.is_empty() {
            return Err("no CA certificates to verify the server with: set sslrootcert".into());
        }
        Ok(store)
    }

    fn client_config(target: &Target) -> Result<rustls::ClientConfig, String> {
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let config = match target.ssl {
            SslMode::VerifyFull => builder
                .with_root_certificates(roots(target)?)
                .with_no_client_auth(),
            SslMode::VerifyCa => {
                let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots(target)?),
                    provider(),
                )
                .build()
                .map_err(|e| e.to_string())?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(verifier)))
                    .with_no_client_auth()
            }
            SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unverified(provider())))
                .with_no_client_auth(),
        };
        Ok(config)
    }

    /// `NOTIFY`s received after `LISTEN`, as (channel, payload).
    pub type Notifications = UnboundedReceiver<(String, String)>;

    fn forward_notices<S, T>(connection: Connection<S, T>) -> Notices
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        forward_messages(connection).0
    }

    /// Drives the connection, forwarding notices and notifications (either receiver may be
    /// dropped). Both channels close when the connection ends.
    fn forward_messages<S, T>(mut connection: Connection<S, T>) -> (Notices, Notifications)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (tx, rx) = unbounded_channel();
        let (ntx, nrx) = unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(AsyncMessage::Notice(n)) => {
                        let _ = tx.send((n.severity().to_owned(), n.message().to_owned()));
                    }
                    Ok(AsyncMessage::Notification(n)) => {
                        let _ = ntx.send((n.channel().to_owned(), n.payload().to_owned()));
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        (rx, nrx)
    }

    /// Sends the server's cancel request over the same kind of transport as the connection.
    pub async fn cancel(
        target: &Target,
        token: &tokio_postgres::CancelToken,
    ) -> Result<(), String> {
        if target.ssl == SslMode::Disable {
            return token.cancel_query(NoTls).await.map_err(|e| e.to_string());
        }
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_config(target)?);
        token.cancel_query(tls).await.map_err(|e| e.to_string())
    }

    /// What went wrong connecting, in the server's words when it said something (the bare
    /// `Display` of tokio-postgres says only "db error"), else with the underlying cause.
    fn describe(e: &tokio_postgres::Error) -> String {
        if let Some(db) = e.as_db_error() {
            let mut text = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; {detail}"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            return text;
        }
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(&format!(": {cause_text}"));
            }
            source = cause.source();
        }
        text
    }

    /// Like [`open`], also delivering `NOTIFY`s (for `LISTEN`).
    pub async fn open_listening(
        target: &Target,
    ) -> Result<(Client, Notices, Notifications), String> {
        let secret = target.secret();
        let scrub =
            |e: tokio_postgres::Error| crate::secret::mask(&describe(&e), secret.as_deref());
        if target.ssl == SslMode::Disable {
            let (client, connection) = target.config.connect(NoTls).await.map_err(scrub)?;
            let (notices, notifications) = forward_messages(connection);
            return Ok((client, notices, notifications));
        }
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_config(target)?);
        let (client, connection) = target.config.connect(tls).await.map_err(scrub)?;
        let (notices, notifications) = forward_messages(connection);
        Ok((client, notices, notifications))
    }

    /// Connects as the target says; the error text never contains the password.
    pub async fn open(target: &Target) -> Result<(Client, Notices), String> {
        let secret = target.secret();
        let scrub =
            |e: tokio_postgres::Error| crate::secret::mask(&describe(&e), secret.as_deref());
        if target.ssl == SslMode::Disable {
            let (client, connection) = target.config.connect(NoTls).await.map_err(scrub)?;
            return Ok((client, forward_notices(connection)));
        }
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_config(target)?);
        let (client, connection) = target.config.connect(tls).await.map_err(scrub)?;
        Ok((client, forward_notices(connection)))
    }
}
