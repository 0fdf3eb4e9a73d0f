//! coturn's admin CLI (telnet) beside its Redis: peers, relay addresses, coturn's own session
//! count, and cancelling a session. `telnet` and `parse` are pure; `client` is one connection
//! (I/O); `poller` runs one task per endpoint; `view` is what the loop and the drawing read.

pub mod client;
pub mod link;
pub mod once;
pub mod parse;
pub mod poller;
pub mod telnet;
pub mod view;

pub use parse::{CliSession, ParseError, PsAnswer, PuAnswer, parse_ps, parse_pu};
pub use view::{CliState, CliView};

/// Where an endpoint's CLI is and how to log in. The password is never printed: `Debug` hides
/// it.
#[derive(Clone)]
pub struct CliEndpoint {
    /// `host:port`, as configured.
    pub addr: String,
    pub password: String,
}

impl std::fmt::Debug for CliEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CliEndpoint")
            .field("addr", &self.addr)
            .field("password", &"***")
            .finish()
    }
}

/// The environment variable the CLI password may come from.
pub const PASSWORD_ENV: &str = "TURNTOP_COTURN_CLI_PASSWORD";

/// Checks a `host:port` (`[v6]:port` too): a clear one-line error otherwise.
pub fn check_addr(addr: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "invalid coturn CLI address '{}': {why}",
            crate::sanitize::sanitize(addr)
        ))
    };
    let Some((host, port)) = addr.rsplit_once(':') else {
        return bad("write host:port, e.g. 127.0.0.1:5766");
    };
    if host.is_empty() || host == "[]" {
        return bad("there is no host: write host:port, e.g. 127.0.0.1:5766");
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => bad("the port must be a number from 1 to 65535 (coturn's default is 5766)"),
    }
}

/// The password: from `file` (first line) if given, else from `env`. `None`: no password
/// anywhere (coturn's CLI always needs one).
pub fn password(
    file: Option<&std::path::Path>,
    env: Option<String>,
) -> Result<Option<String>, String> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .map_err(|e| format!("--coturn-cli-password-file {}: {e}", f.display()))?;
        let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
        if line.is_empty() {
            return Err(format!(
                "--coturn-cli-password-file {}: the first line is empty",
                f.display()
            ));
        }
        return Ok(Some(line.to_owned()));
    }
    Ok(env.filter(|p| !p.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(check_addr("127.0.0.1:5766").is_ok());
        assert!(check_addr("[::1]:5766").is_ok());
        assert!(check_addr("host").unwrap_err().contains("write host:port"));
        assert!(check_addr(":5766").unwrap_err().contains("no host"));
        assert!(check_addr("h:0").unwrap_err().contains("1 to 65535"));
        assert!(check_addr("h:x").unwrap_err().contains("1 to 65535"));
    }

    #[test]
    fn the_password_never_shows_in_debug() {
        let e = CliEndpoint {
            addr: "h:1".into(),
            password: "s3cret".into(),
        };
        assert!(!format!("{e:?}").contains("s3cret"));
    }

    #[test]
    fn password_sources() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "abc\nrest\n").unwrap();
        assert_eq!(
            password(Some(&f), Some("env".into())).unwrap().as_deref(),
            Some("abc")
        );
        assert_eq!(
            password(None, Some("env".into())).unwrap().as_deref(),
            Some("env")
        );
        assert_eq!(password(None, None).unwrap(), None);
        std::fs::write(&f, "\n").unwrap();
        assert!(password(Some(&f), None).unwrap_err().contains("empty"));
    }
}
