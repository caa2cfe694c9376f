//! A tenant's SMTP server must be on the internet, not inside the platform's network: its
//! host may not resolve to a loopback, private, link-local or otherwise internal address
//! (server-side request forgery). Checked before each delivery; the platform may allow
//! internal servers (a local mail catcher in development).

use std::net::IpAddr;

use crate::delivery::DeliveryError;

/// Whether `ip` is an address of the internet at large.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Fails, for good, unless every address `host` resolves to is public.
pub async fn check_public_host(host: &str, port: u16) -> Result<(), DeliveryError> {
    let addresses = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| DeliveryError::transient(format!("cannot resolve {host}: {e}"), false))?;
    for address in addresses {
        if !is_public(address.ip()) {
            return Err(DeliveryError::rejected(format!(
                "the SMTP host {host} resolves to an internal address ({}), which tenants may not use",
                address.ip()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "2a00:1450:4003:80e::200e", "185.12.3.4"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[tokio::test]
    async fn a_host_resolving_to_loopback_is_refused_for_good() {
        let e = check_public_host("localhost", 25)
            .await
            .expect_err("refused");
        assert!(!e.is_retryable(), "{e}");
    }
}
