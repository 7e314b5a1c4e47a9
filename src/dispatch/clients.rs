//! SDK configuration helpers: the lite HTTP client and a config for a fixed endpoint.

use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The one HTTP/TLS stack the workspace builds (rustls with ring; the SDK's default features
/// would add a second stack with aws-lc), see docs in /work/shared/docs/sdk-dispatch.md.
pub fn lite_http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// A config for an emulator or any fixed endpoint: static test credentials, no retries (a
/// retry would hide what the target answered first).
pub async fn endpoint_config(endpoint_url: &str, region: &str) -> aws_types::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(lite_http_client())
        .region(aws_types::region::Region::new(region.to_string()))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test",
            "test",
            None,
            None,
            "paritytest",
        ))
        .endpoint_url(endpoint_url)
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
        .load()
        .await
}
