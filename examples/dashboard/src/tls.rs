//! HTTPS: the config's certificate, or one made at start (rcgen), served
//! by rustls; and the rule for where plain HTTP may be served.

use std::net::SocketAddr;

use axum_server::tls_rustls::RustlsConfig;
use barge_sip::config::ConsoleSettings;
use sha2::{Digest, Sha256};

/// How the console serves its page.
pub enum Serving {
    /// Plain HTTP (loopback only).
    Plain,
    /// HTTPS with this rustls config.
    Tls {
        /// The server's config.
        config: RustlsConfig,
        /// What to print about the certificate: its file, or the SHA-256
        /// fingerprint of the one made at start.
        about: String,
    },
}

/// Why the console will not serve on `listen` as `settings` say, if it
/// will not: plain HTTP only on loopback; never on an unspecified address
/// (the browser's media goes to the address the page is served from). One
/// line.
pub fn refusal(listen: SocketAddr, settings: &ConsoleSettings) -> Option<String> {
    if listen.ip().is_unspecified() {
        return Some(format!(
            "refusing to listen on {listen}: expected an address of this host \
             (the browser's audio goes to the address the page is served from)"
        ));
    }
    let tls = settings.self_signed || settings.tls_cert.is_some();
    if !tls && !listen.ip().is_loopback() {
        return Some(format!(
            "refusing to serve plain HTTP on {listen}: on any address but loopback the console \
             serves HTTPS only; set [console] self_signed = true, or tls_cert and tls_key, in the config"
        ));
    }
    None
}

/// `AA:BB:…`: the SHA-256 of `der`, as browsers show a certificate's.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// How to serve on `listen` as `settings` say (after [`refusal`]): a
/// certificate from the config's files, one made now for `listen`'s
/// address, `localhost` and the config's host names, or none on loopback.
pub async fn serving(listen: SocketAddr, settings: &ConsoleSettings) -> Result<Serving, String> {
    if let (Some(cert), Some(key)) = (&settings.tls_cert, &settings.tls_key) {
        let config = RustlsConfig::from_pem_file(cert, key).await.map_err(|e| {
            format!(
                "cannot read the certificate {} and key {}: {e}",
                cert.display(),
                key.display()
            )
        })?;
        return Ok(Serving::Tls {
            config,
            about: format!("certificate {}", cert.display()),
        });
    }
    if !settings.self_signed {
        return Ok(Serving::Plain);
    }
    let mut names = vec![listen.ip().to_string(), "localhost".to_string()];
    names.extend(settings.hostnames.iter().cloned());
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    let der = made.cert.der().to_vec();
    let about = format!(
        "a self-signed certificate, SHA-256 fingerprint {}",
        fingerprint(&der)
    );
    let config = RustlsConfig::from_der(vec![der], made.signing_key.serialize_der())
        .await
        .map_err(|e| format!("cannot serve the certificate: {e}"))?;
    Ok(Serving::Tls { config, about })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        let plain = ConsoleSettings::default();
        let tls = ConsoleSettings {
            self_signed: true,
            ..ConsoleSettings::default()
        };
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(refusal(at("127.0.0.1:8000"), &plain), None);
        assert_eq!(refusal(at("[::1]:8000"), &plain), None);
        let why = refusal(at("192.0.2.10:8443"), &plain).unwrap();
        assert!(why.contains("HTTPS only"), "{why}");
        assert!(!why.contains('\n'));
        assert_eq!(refusal(at("192.0.2.10:8443"), &tls), None);
        assert!(refusal(at("0.0.0.0:8443"), &tls).is_some());
    }

    #[test]
    fn fingerprints_read_as_browsers_show_them() {
        assert_eq!(
            fingerprint(b"abc"),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }
}
