//! Where the platform may connect on a tenant's behalf. A tenant admin chooses connector URLs,
//! so without a policy they could point the worker at the cloud's metadata endpoint, the
//! Temporal frontend or anything else on the cluster network. By default only `https` to public
//! addresses is allowed; the operator may allow `http` and name internal networks to reach.
//! Every address a name resolves to is checked, and so is every redirect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EgressPolicy {
    /// Plain `http` is allowed (otherwise `https` only).
    pub allow_http: bool,
    /// Internal networks the operator allows despite their range (e.g. `127.0.0.1/32` in tests,
    /// a VPC's CRM proxy in production).
    pub allowed_nets: Vec<IpNet>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("egress policy: {0}")]
pub struct EgressRefusal(pub String);

impl EgressPolicy {
    /// Builds the policy from the operator's settings: a comma-separated list of networks.
    pub fn parse(allow_http: bool, allowed_nets: &str) -> Result<Self, EgressRefusal> {
        let allowed_nets = allowed_nets
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|e| EgressRefusal(format!("allowed network {s:?}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            allow_http,
            allowed_nets,
        })
    }

    pub fn check_scheme(&self, scheme: &str) -> Result<(), EgressRefusal> {
        match scheme {
            "https" => Ok(()),
            "http" if self.allow_http => Ok(()),
            "http" => Err(EgressRefusal(
                "only https URLs are allowed (the operator has not allowed http)".into(),
            )),
            other => Err(EgressRefusal(format!(
                "scheme {other:?} is not allowed; use https"
            ))),
        }
    }

    /// An address may be connected to when it is public, or inside a network the operator allowed.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), EgressRefusal> {
        let ip = canonical(ip);
        if self.allowed_nets.iter().any(|n| n.contains(&ip)) {
            return Ok(());
        }
        match internal_range(ip) {
            None => Ok(()),
            Some(range) => Err(EgressRefusal(format!(
                "{ip} is a {range} address, which the operator has not allowed"
            ))),
        }
    }

    /// Checks a URL's scheme and host before any request. A host that is a name rather than an
    /// address is checked again on every resolution; `localhost` is refused here by name.
    pub fn check_target(&self, scheme: &str, host: Option<&str>) -> Result<(), EgressRefusal> {
        self.check_scheme(scheme)?;
        let host = host.ok_or_else(|| EgressRefusal("the URL has no host".into()))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.check_ip(ip);
        }
        let name = bare.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || name.ends_with(".localhost") {
            return self.check_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        Ok(())
    }
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The non-public range an address falls in, if any.
fn internal_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified() || a == 0 {
                Some("unspecified")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared (carrier-grade NAT)")
            } else if v4.is_multicast() || v4.is_broadcast() || a >= 240 {
                Some("multicast or reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if first & 0xfe00 == 0xfc00 {
                Some("unique local (private)")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("multicast or reserved")
            } else if v6 == Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0) {
                Some("translation")
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn by_default_only_public_https_passes() {
        let policy = EgressPolicy::default();
        assert!(
            policy
                .check_target("https", Some("crm.example.com"))
                .is_ok()
        );
        assert!(policy.check_target("https", Some("93.184.216.34")).is_ok());
        let http = policy
            .check_target("http", Some("crm.example.com"))
            .unwrap_err();
        assert!(http.0.contains("only https"));
        assert!(policy.check_target("file", Some("x")).is_err());
        assert!(policy.check_target("https", None).is_err());
    }

    #[test]
    fn internal_addresses_are_refused_by_default() {
        let policy = EgressPolicy::default();
        for (addr, range) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("100.64.0.1", "carrier-grade"),
            ("::1", "loopback"),
            ("fd00::1", "unique local"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
        ] {
            let err = policy.check_ip(ip(addr)).unwrap_err();
            assert!(err.0.contains(range), "{addr}: {err}");
        }
        assert!(policy.check_target("https", Some("[::1]")).is_err());
        assert!(policy.check_target("https", Some("localhost")).is_err());
        assert!(
            policy
                .check_target("https", Some("api.LOCALHOST."))
                .is_err()
        );
    }

    #[test]
    fn the_operator_can_allow_http_and_named_networks() {
        let policy = EgressPolicy::parse(true, "127.0.0.1/32, 10.20.0.0/16").unwrap();
        assert!(policy.check_target("http", Some("127.0.0.1")).is_ok());
        assert!(policy.check_target("http", Some("localhost")).is_ok());
        assert!(policy.check_ip(ip("10.20.3.4")).is_ok());
        assert!(policy.check_ip(ip("127.0.0.2")).is_err());
        assert!(policy.check_ip(ip("10.21.0.1")).is_err());
        assert!(policy.check_ip(ip("169.254.169.254")).is_err());
        let single = EgressPolicy::parse(false, "127.0.0.1").unwrap();
        assert!(single.check_ip(ip("127.0.0.1")).is_ok());
    }

    #[test]
    fn a_bad_network_names_itself() {
        let err = EgressPolicy::parse(false, "10.0.0.0/8,not-a-net").unwrap_err();
        assert!(err.0.contains("\"not-a-net\""));
    }
}
