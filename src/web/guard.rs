//! Who may do what. Anyone who reaches the dashboard may look; changing anything takes the
//! town's token in an `X-GT-Token` header. A custom header is what makes it CSRF-safe: a
//! page on another site can make a browser send a form or a simple request to us, but not
//! one with a header of its own (that needs a CORS preflight, which is never granted here);
//! the Origin, when a browser sends one, must be this dashboard's own too. On loopback the
//! Host must be a loopback name, so a site that rebinds its DNS name to 127.0.0.1 reads
//! nothing either. Every answer carries a policy that runs only the dashboard's own script.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};

pub struct Access {
    pub token: String,
    /// Listening on a loopback address: only loopback names are answered.
    pub loopback: bool,
}

/// Why a request is refused.
pub struct Refusal {
    pub status: StatusCode,
    pub why: &'static str,
}

pub const TOKEN_HEADER: &str = "x-gt-token";

impl Access {
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let named = host.map(host_name);
        // Listening beyond loopback, an address typed as an IP is fine too; a DNS name never
        // is (a site can point its own name at any address).
        let fine = named.is_some_and(|n| {
            is_loopback_name(n) || (!self.loopback && n.parse::<std::net::IpAddr>().is_ok())
        });
        if !fine {
            return Err(Refusal {
                status: StatusCode::MISDIRECTED_REQUEST,
                why: "this dashboard answers only to a loopback address (127.0.0.1, localhost, [::1]) or, when listening beyond it, an IP address",
            });
        }
        if matches!(*method, Method::GET | Method::HEAD) {
            return Ok(());
        }
        if !same_origin(headers) {
            return Err(Refusal {
                status: StatusCode::FORBIDDEN,
                why: "refused: the request comes from another site",
            });
        }
        match headers.get(TOKEN_HEADER).and_then(|t| t.to_str().ok()) {
            None => Err(Refusal {
                status: StatusCode::FORBIDDEN,
                why: "read-only: acting needs the town's dashboard token (gt dashboard --token)",
            }),
            Some(t) if !super::token::matches(&self.token, t.trim()) => Err(Refusal {
                status: StatusCode::FORBIDDEN,
                why: "refused: that is not this town's dashboard token",
            }),
            Some(_) => Ok(()),
        }
    }

    /// Whether the request carries the right token (for the page to say what it may do).
    pub fn has_token(&self, headers: &HeaderMap) -> bool {
        headers
            .get(TOKEN_HEADER)
            .and_then(|t| t.to_str().ok())
            .is_some_and(|t| super::token::matches(&self.token, t.trim()))
    }
}

/// No Origin (not a browser's cross-site request), or the dashboard's own.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    host.is_some_and(|h| {
        origin.to_str().is_ok_and(|o| {
            o.strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                == Some(h)
        })
    })
}

/// The name part of a Host header (`[::1]:7370` → `::1`, `127.0.0.1:7370` → `127.0.0.1`).
fn host_name(host: &str) -> &str {
    match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    }
}

fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A request another site's page made for our data (`Sec-Fetch-Site`, sent by browsers):
/// refused for the API, so no other site can make the dashboard work for it. (A person
/// following a link to the page itself is cross-site too, and welcome.)
pub fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
}

/// Headers on every answer: only our own script and styles, never framed, never cached,
/// never sniffed into something else, no referrer.
pub fn harden(headers: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn reads_are_open_acts_need_the_token_from_our_own_origin() {
        let token = "t".repeat(64);
        let access = |loopback| Access {
            token: token.clone(),
            loopback,
        };
        let (lo, wide) = (access(true), access(false));
        let local = ("host", "127.0.0.1:7370");
        let with_token = ("x-gt-token", token.as_str());
        // (who listens, method, headers, answered)
        type Case<'a> = (&'a Access, Method, Vec<(&'static str, &'a str)>, bool);
        let cases: &[Case] = &[
            (&lo, Method::GET, vec![local], true),
            (&lo, Method::GET, vec![("host", "[::1]:7370")], true),
            (&lo, Method::GET, vec![("host", "localhost")], true),
            (&lo, Method::GET, vec![("host", "127.0.0.2:7370")], true),
            // DNS rebinding: a foreign name pointed at 127.0.0.1.
            (&lo, Method::GET, vec![("host", "evil.example:7370")], false),
            (&lo, Method::GET, vec![], false),
            // Listening beyond loopback: IP addresses, never names.
            (&wide, Method::GET, vec![("host", "192.168.1.5:7370")], true),
            (
                &wide,
                Method::GET,
                vec![("host", "evil.example:7370")],
                false,
            ),
            // Acting: the token, from our own origin (or none).
            (&lo, Method::POST, vec![local], false),
            (
                &lo,
                Method::POST,
                vec![local, ("x-gt-token", "nope")],
                false,
            ),
            (&lo, Method::POST, vec![local, with_token], true),
            (
                &lo,
                Method::POST,
                vec![local, with_token, ("origin", "http://127.0.0.1:7370")],
                true,
            ),
            (
                &lo,
                Method::POST,
                vec![local, with_token, ("origin", "http://evil.example")],
                false,
            ),
        ];
        for (a, method, h, answered) in cases {
            assert_eq!(
                a.check(method, &headers(h)).is_ok(),
                *answered,
                "{method} {h:?} (loopback: {})",
                a.loopback
            );
        }
    }
}
