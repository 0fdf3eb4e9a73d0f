//! Endpoints: the URL, the password sources (URL, file, environment), TLS, and the redacted
//! URL for messages.

use std::fmt;
use std::path::Path;

use redis::{Client, ConnectionAddr, IntoConnectionInfo, TlsCertificates};

/// Where turntop looks when no `--redis` is given.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
/// The environment variable a password can come from (so it is not in shell history).
pub const PASSWORD_ENV: &str = "TURNTOP_REDIS_PASSWORD";

/// TLS settings shared by every `rediss://` endpoint.
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// PEM certificate(s) to trust instead of the system store (`--redis-ca`).
    pub ca_pem: Option<Vec<u8>>,
    /// Accept any certificate (`--redis-insecure`, for self-signed test setups).
    pub insecure: bool,
}

/// A Redis endpoint ready to connect to. Its `Debug` shows the label only: never the password.
#[derive(Clone)]
pub struct RedisEndpoint {
    pub label: String,
    pub tls: bool,
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) client: Client,
    /// The URL as given, its password masked by [`redact_url`] (for the log).
    redacted_url: String,
}

impl fmt::Debug for RedisEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisEndpoint")
            .field("label", &self.label)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// A configuration problem, as one line that never contains a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// `redis://user:secret@host` → `redis://user:***@host`, for error messages.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!(
                "{}{masked}{}{}",
                &url[..scheme_end],
                &authority[at..],
                &rest[authority_end..]
            )
        }
        None => url.to_owned(),
    }
}

impl RedisEndpoint {
    /// Parse `redis://[user:pass@]host:port[/db]` or `rediss://...`. `password` is used when the
    /// URL carries none; `name` replaces the `host:port` label.
    pub fn parse(
        url: &str,
        name: Option<&str>,
        password: Option<&str>,
        tls: &TlsOptions,
    ) -> Result<Self, ConfigError> {
        let shown = redact_url(url);
        let is_tls = if url.starts_with("rediss://") {
            true
        } else if url.starts_with("redis://") {
            false
        } else {
            return Err(ConfigError(format!(
                "invalid Redis URL '{shown}': it must start with redis:// or rediss://"
            )));
        };
        let info = url.into_connection_info().map_err(|e| {
            let mut msg = e.to_string();
            if let Some(p) = url_password(url).filter(|p| !p.is_empty()) {
                msg = msg.replace(p, "***");
            }
            ConfigError(format!("invalid Redis URL '{shown}': {msg}"))
        })?;
        let (host, port) = match info.addr() {
            ConnectionAddr::Tcp(h, p) => (h.clone(), *p),
            ConnectionAddr::TcpTls { host, port, .. } => (host.clone(), *port),
            _ => {
                return Err(ConfigError(format!(
                    "invalid Redis URL '{shown}': only TCP endpoints are supported"
                )));
            }
        };
        if host.is_empty() {
            return Err(ConfigError(format!("invalid Redis URL '{shown}': no host")));
        }
        let label = match name {
            Some(n) if !n.trim().is_empty() => n.trim().to_owned(),
            _ if host.contains(':') => format!("[{host}]:{port}"),
            _ => format!("{host}:{port}"),
        };
        let mut info = info;
        let addr = (host.clone(), port);
        if info.redis_settings().password().is_none()
            && let Some(p) = password
        {
            let settings = info.redis_settings().clone().set_password(p);
            info = info.set_redis_settings(settings);
        }
        let client = if is_tls {
            // redis-rs enables no rustls crypto provider; ours is ring. Installing twice is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
            if tls.insecure {
                info = info.set_addr(ConnectionAddr::TcpTls {
                    host,
                    port,
                    insecure: true,
                    tls_params: None,
                });
            }
            match &tls.ca_pem {
                Some(pem) => Client::build_with_tls(
                    info,
                    TlsCertificates {
                        client_tls: None,
                        root_cert: Some(pem.clone()),
                    },
                )
                .map_err(|e| ConfigError(format!("TLS setup for {label}: {e}")))?,
                None => Client::open(info)
                    .map_err(|e| ConfigError(format!("invalid Redis URL '{shown}': {e}")))?,
            }
        } else {
            Client::open(info)
                .map_err(|e| ConfigError(format!("invalid Redis URL '{shown}': {e}")))?
        };
        Ok(RedisEndpoint {
            label,
            tls: is_tls,
            host: addr.0,
            port: addr.1,
            client,
            redacted_url: shown,
        })
    }

    /// The URL this endpoint was made from, its password masked as in every message.
    pub fn redacted_url(&self) -> &str {
        &self.redacted_url
    }
}

fn url_password(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    userinfo.split_once(':').map(|(_, p)| p)
}

/// What the command line (or a config file) says about the endpoints.
#[derive(Clone, Debug, Default)]
pub struct EndpointsConfig<'a> {
    /// `--redis` URLs, each with an optional name; empty means [`DEFAULT_URL`].
    pub urls: Vec<(String, Option<String>)>,
    pub password_file: Option<&'a Path>,
    /// The value of [`PASSWORD_ENV`], if set.
    pub password_env: Option<String>,
    pub ca_file: Option<&'a Path>,
    pub insecure: bool,
}

/// Build every endpoint, reading the password file and the CA file. A password in a URL wins
/// over the file, which wins over the environment variable.
pub fn endpoints(config: &EndpointsConfig<'_>) -> Result<Vec<RedisEndpoint>, ConfigError> {
    let password = match config.password_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("password file {}: {e}", path.display())))?;
            let p = text.trim_end_matches(['\n', '\r']).to_owned();
            if p.is_empty() {
                return Err(ConfigError(format!(
                    "password file {} is empty",
                    path.display()
                )));
            }
            Some(p)
        }
        None => config.password_env.clone().filter(|p| !p.is_empty()),
    };
    let ca_pem = match config.ca_file {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| ConfigError(format!("CA file {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let tls = TlsOptions {
        ca_pem,
        insecure: config.insecure,
    };
    let default = [(DEFAULT_URL.to_owned(), None)];
    let urls = if config.urls.is_empty() {
        &default[..]
    } else {
        &config.urls[..]
    };
    urls.iter()
        .map(|(url, name)| RedisEndpoint::parse(url, name.as_deref(), password.as_deref(), &tls))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("redis://u:secret@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(redact_url("rediss://:pw@h"), "rediss://:***@h");
        assert_eq!(redact_url("redis://h:1"), "redis://h:1");
        assert_eq!(redact_url("redis://u@h"), "redis://u@h");
        assert_eq!(url_password("redis://u:p%40ss@h"), Some("p%40ss"));
    }

    #[test]
    fn labels_and_errors() {
        let tls = TlsOptions::default();
        let ep = RedisEndpoint::parse("redis://u:secret@127.0.0.1:7000/2", None, None, &tls);
        let ep = ep.expect("valid");
        assert_eq!(ep.label, "127.0.0.1:7000");
        assert!(!format!("{ep:?}").contains("secret"));
        let named = RedisEndpoint::parse("redis://h", Some("edge-1"), None, &tls).expect("valid");
        assert_eq!(named.label, "edge-1");
        let v6 = RedisEndpoint::parse("redis://[::1]:6380", None, None, &tls).expect("valid");
        assert_eq!(v6.label, "[::1]:6380");
        let e = RedisEndpoint::parse("http://u:secret@h", None, None, &tls).unwrap_err();
        assert!(e.0.contains("redis://") && !e.0.contains("secret"), "{e}");
        let e = RedisEndpoint::parse("redis://u:secret@h:notaport", None, None, &tls).unwrap_err();
        assert!(!e.0.contains("secret"), "{e}");
        assert!(e.0.starts_with("invalid Redis URL"), "{e}");
    }

    #[test]
    fn password_sources() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\n").expect("write");
        let cfg = EndpointsConfig {
            urls: vec![],
            password_file: Some(&file),
            password_env: Some("from-env".into()),
            ..EndpointsConfig::default()
        };
        let eps = endpoints(&cfg).expect("ok");
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].label, "127.0.0.1:6379");
        let pw = eps[0]
            .client
            .get_connection_info()
            .redis_settings()
            .password();
        assert_eq!(pw, Some("from-file"));
        let cfg = EndpointsConfig {
            urls: vec![("redis://:inurl@h".into(), None)],
            password_env: Some("from-env".into()),
            ..EndpointsConfig::default()
        };
        let eps = endpoints(&cfg).expect("ok");
        let pw = eps[0]
            .client
            .get_connection_info()
            .redis_settings()
            .password();
        assert_eq!(pw, Some("inurl"));
        let missing = dir.path().join("nope");
        let cfg = EndpointsConfig {
            password_file: Some(&missing),
            ..EndpointsConfig::default()
        };
        assert!(endpoints(&cfg).unwrap_err().0.starts_with("password file"));
    }
}
