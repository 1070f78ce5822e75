//! Who a request comes from: the socket's peer, or — only when that peer is a trusted reverse
//! proxy — the client the proxy says it forwards for.
//!
//! `X-Forwarded-For` is a list anyone can start: a client sends `X-Forwarded-For: 1.2.3.4`
//! and every proxy appends the address it got the request from. So it is read from the
//! right, and the first address that is not one of our own proxies is the client. A peer
//! that is not a trusted proxy is the client itself, whatever its headers say.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::error::AppError;

/// Reverse proxies whose forwarding headers are believed (`TRUSTED_PROXIES`): none by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Comma-separated addresses or CIDR ranges (`10.0.0.0/8, 192.168.1.7`); blank: none.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{part}` is neither an IP address nor a CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The client's address as this server decides it (see the module docs). Every rate limit
/// and per-address cap is keyed by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The client behind `peer`, given the request's headers.
    pub fn of(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> Self {
        let peer = peer.to_canonical();
        if !trusted.trusts(peer) {
            return Self(peer);
        }
        let hops: Vec<Option<IpAddr>> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|hop| {
                hop.trim()
                    .parse::<IpAddr>()
                    .ok()
                    .map(|ip| ip.to_canonical())
            })
            .collect();
        // From the nearest hop outwards: our own proxies are passed over, the first other
        // address is the client. Where the chain holds only our proxies (or something that is
        // not an address), the farthest proxy of ours is as far as anything can be believed.
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if trusted.trusts(*ip) => client = *ip,
                Some(ip) => return Self(*ip),
                None => break,
            }
        }
        Self(client)
    }

    /// The key rate limits count under: the address itself for IPv4; for IPv6 its /64, the
    /// block one subscriber gets (a client could otherwise change address per request).
    pub fn network(self) -> IpAddr {
        match self.0 {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !(u128::from(u64::MAX));
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        }
    }
}

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Set by the edge middleware ([`super::guard`]) on every request; a request that did not come
/// through a listener (none in production) is refused rather than given an address.
impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<ClientIp>().copied().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("a request without a client address"))
        })
    }
}

/// The peer address the listener recorded for this request's connection.
pub(super) fn peer(parts: &axum::http::Extensions) -> Option<IpAddr> {
    parts
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The scheme the browser used to reach this server: what a trusted proxy says in
/// `X-Forwarded-Proto`, else `https` in production (TLS is terminated in front of the server
/// there), else `http`.
pub fn public_scheme(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
    production: bool,
) -> &'static str {
    let forwarded = peer
        .filter(|ip| trusted.trusts(*ip))
        .and_then(|_| headers.get("x-forwarded-proto"))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim);
    match forwarded {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(p) if p.eq_ignore_ascii_case("http") => "http",
        _ if production => "https",
        _ => "http",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().expect("header"));
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_it_claims() {
        let none = TrustedProxies::default();
        let client = ClientIp::of(ip("203.0.113.9"), &headers("1.2.3.4"), &none);
        assert_eq!(client.0, ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7").expect("parses");
        // The client forged the first entry; our proxies appended the real one.
        let h = headers("6.6.6.6, 198.51.100.20, 10.1.2.3");
        assert_eq!(
            ClientIp::of(ip("192.168.1.7"), &h, &trusted).0,
            ip("198.51.100.20")
        );
        // No header: the proxy itself.
        let bare = ClientIp::of(ip("10.9.9.9"), &HeaderMap::new(), &trusted);
        assert_eq!(bare.0, ip("10.9.9.9"));
        // An untrusted peer's header is ignored.
        let direct = ClientIp::of(ip("198.51.100.1"), &h, &trusted);
        assert_eq!(direct.0, ip("198.51.100.1"));
    }

    #[test]
    fn ipv4_mapped_peers_are_ipv4_and_ipv6_clients_count_by_their_64() {
        let none = TrustedProxies::default();
        let mapped = ClientIp::of(ip("::ffff:203.0.113.9"), &HeaderMap::new(), &none);
        assert_eq!(mapped.0, ip("203.0.113.9"));
        let a = ClientIp(ip("2001:db8:1:2:aaaa::1")).network();
        let b = ClientIp(ip("2001:db8:1:2:bbbb::2")).network();
        assert_eq!(a, b);
        assert_ne!(a, ClientIp(ip("2001:db8:1:3::1")).network());
    }

    #[test]
    fn proxies_parse_addresses_and_ranges_and_refuse_anything_else() {
        assert!(TrustedProxies::parse("").expect("blank").is_empty());
        assert!(TrustedProxies::parse("127.0.0.1,::1,172.16.0.0/12").is_ok());
        assert!(TrustedProxies::parse("proxy.local").is_err());
    }

    #[test]
    fn the_public_scheme_comes_from_a_trusted_proxy_or_the_mode() {
        let trusted = TrustedProxies::parse("10.0.0.1").expect("parses");
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", "https".parse().expect("header"));
        assert_eq!(
            public_scheme(Some(ip("10.0.0.1")), &h, &trusted, false),
            "https"
        );
        assert_eq!(
            public_scheme(Some(ip("10.0.0.2")), &h, &trusted, false),
            "http"
        );
        assert_eq!(
            public_scheme(Some(ip("10.0.0.2")), &h, &trusted, true),
            "https"
        );
    }
}
