//! The hub's API calls get the same patience as downloads: a network error or a 5xx answer is
//! tried again after a pause that doubles, so a hub having a bad moment does not fail a pull
//! before a single byte moved.

use std::time::Duration;

use super::error::HubError;

/// Tries in a row that make no progress before giving up.
pub const TRIES: u32 = 5;
/// The first pause; each further failure doubles it (0.5, 1, 2, 4 s).
pub const BACKOFF: Duration = Duration::from_millis(500);

/// Worth another try: a connection that broke or timed out, or the hub's side (5xx). A hub
/// that nothing answers for (refused, unknown host) is offline: retrying would only delay the
/// cached copy that a pull falls back to.
pub fn transient(e: &HubError) -> bool {
    matches!(
        e,
        HubError::Network {
            unreachable: false,
            ..
        } | HubError::Http {
            status: 500..=599,
            ..
        }
    )
}

/// The pause before try `failures + 1`.
pub fn pause(failures: u32) -> Duration {
    BACKOFF * 2u32.pow(failures.saturating_sub(1).min(8))
}

/// Runs `call` until it succeeds, fails for good, or failed `TRIES` times in a row.
pub fn with_retry<T>(
    what: &str,
    mut call: impl FnMut() -> Result<T, HubError>,
) -> Result<T, HubError> {
    let mut failures = 0;
    loop {
        match call() {
            Err(e) if transient(&e) && failures + 1 < TRIES => {
                failures += 1;
                tracing::warn!(call = %what, "hub API call failed ({e}); retrying");
                std::thread::sleep(pause(failures));
            }
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_are_retried_and_others_are_not() {
        let mut n = 0;
        let r = with_retry("t", || {
            n += 1;
            if n < 2 {
                Err(HubError::Http {
                    status: 503,
                    url: "u".into(),
                    detail: String::new(),
                })
            } else {
                Ok(n)
            }
        });
        assert_eq!(r.unwrap(), 2);
        let mut n = 0;
        let r: Result<(), _> = with_retry("t", || {
            n += 1;
            Err(HubError::Http {
                status: 404,
                url: "u".into(),
                detail: String::new(),
            })
        });
        assert!(r.is_err());
        assert_eq!(n, 1);
        assert_eq!(pause(1), BACKOFF);
        assert_eq!(pause(3), BACKOFF * 4);
    }
}
