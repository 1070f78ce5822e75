//! The SSRF guard: webhooks go only to public internet addresses unless a setting allows
//! private ones (`WEBHOOK_ALLOW_PRIVATE_DESTINATIONS`, for tests and closed networks).
//!
//! The check sits in the HTTP client's DNS resolver, so the address checked is the address
//! connected to: a name that resolves to a public address when the endpoint is saved and to
//! `169.254.169.254` at delivery time (DNS rebinding) is refused at delivery. Addresses
//! written literally in a URL never reach a resolver, so [`check_url`] refuses those first.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address may not receive webhooks; `None` when it may.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let within = |net: &str| net.parse::<Ipv4Net>().is_ok_and(|n| n.contains(&ip));
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_link_local() {
        Some("a link-local address (where cloud metadata services answer)")
    } else if ip.is_private() || within("100.64.0.0/10") || within("192.0.0.0/24") {
        Some("a private address")
    } else if ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || within("0.0.0.0/8")
        || within("240.0.0.0/4")
        || within("198.18.0.0/15")
    {
        Some("not a unicast internet address")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let within = |net: &str| net.parse::<Ipv6Net>().is_ok_and(|n| n.contains(&ip));
    if ip.is_loopback() {
        Some("a loopback address")
    } else if within("fe80::/10") {
        Some("a link-local address")
    } else if within("fc00::/7") {
        Some("a private address")
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some("not a unicast internet address")
    } else if within("64:ff9b::/96") {
        // NAT64: the IPv4 address it carries decides.
        let [.., a, b, c, d] = ip.octets();
        forbidden_v4(Ipv4Addr::new(a, b, c, d))
    } else {
        None
    }
}

/// The refusal an attempt or a request reports.
#[derive(Debug, thiserror::Error)]
#[error("destination refused: {host} is {why}; webhooks go to public addresses only")]
pub struct Refused {
    pub host: String,
    pub why: &'static str,
}

/// A URL's host when it is an address written literally and a forbidden one.
pub fn check_url(url: &url::Url, allow_private: bool) -> Result<(), Refused> {
    if allow_private {
        return Ok(());
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match forbidden(ip) {
        Some(why) => Err(Refused {
            host: ip.to_string(),
            why,
        }),
        None => Ok(()),
    }
}

/// Resolves `host` and refuses it when any of its addresses is forbidden (all are checked:
/// a name answering one public and one private address must not get a say in which is used).
pub async fn resolve(host: &str, allow_private: bool) -> Result<Vec<SocketAddr>, BoxError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    if !allow_private && let Some(why) = addrs.iter().find_map(|a| forbidden(a.ip())) {
        return Err(Box::new(Refused {
            host: host.to_owned(),
            why,
        }));
    }
    Ok(addrs)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The webhook client's resolver (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = resolve(name.as_str(), allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The webhook HTTP client: the guarded resolver, no proxy from the environment (it would
/// resolve for us, unguarded), no redirects (a 3xx is a failure, per Standard Webhooks, and
/// a redirect could point anywhere), `timeout` for the whole exchange.
pub fn client(
    allow_private: bool,
    timeout: std::time::Duration,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
        .timeout(timeout)
        .user_agent(concat!("ChimpAssist-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The [`Refused`] somewhere in a request error's causes.
pub fn refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        cause = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> bool {
        forbidden(ip.parse().unwrap()).is_some()
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(refused(ip), "{ip} must be refused");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:2800:220:1:248:1893:25c8:1946",
            "64:ff9b::808:808",
        ] {
            assert!(!refused(ip), "{ip} is public");
        }
    }

    #[test]
    fn literal_addresses_in_urls_are_checked_unless_allowed() {
        let url = url::Url::parse("http://169.254.169.254/latest/meta-data").unwrap();
        let err = check_url(&url, false).unwrap_err();
        assert!(err.to_string().contains("link-local"), "{err}");
        assert!(check_url(&url, true).is_ok());
        let named = url::Url::parse("https://hooks.example.com/x").unwrap();
        assert!(
            check_url(&named, false).is_ok(),
            "names are checked when resolved"
        );
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused() {
        let err = resolve("localhost", false).await.unwrap_err();
        assert!(refusal(err.as_ref()).is_some(), "{err}");
        assert!(resolve("localhost", true).await.is_ok());
    }
}
