//! Where scenarios run: the embedded emulator (default), real AWS, or any endpoint URL.

use std::str::FromStr;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;

use crate::dispatch::Clients;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// The linked emulator, started in-process on 127.0.0.1:0 for the run.
    Emulator,
    /// Real AWS through the default credential chain.
    Aws,
    /// Any AWS-compatible endpoint: LocalStack, moto, a standalone `paritytest emulator`.
    Endpoint(String),
}

impl FromStr for TargetSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "emulator" => Ok(TargetSpec::Emulator),
            "aws" => Ok(TargetSpec::Aws),
            _ => match s.strip_prefix("endpoint=") {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    Ok(TargetSpec::Endpoint(url.trim_end_matches('/').to_string()))
                }
                Some(url) => Err(format!(
                    "endpoint URL {url:?} must start with http:// or https://"
                )),
                None => Err(format!(
                    "unknown target {s:?}: expected emulator, aws or endpoint=URL"
                )),
            },
        }
    }
}

impl TargetSpec {
    pub fn is_aws(&self) -> bool {
        matches!(self, TargetSpec::Aws)
    }
    pub fn describe(&self) -> String {
        match self {
            TargetSpec::Emulator => "emulator (embedded)".into(),
            TargetSpec::Aws => "aws".into(),
            TargetSpec::Endpoint(u) => format!("endpoint {u}"),
        }
    }
}

/// Target could not be used (unreachable, credentials, region): exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("target {target}: {message}")]
pub struct TargetError {
    pub target: String,
    pub message: String,
}

/// A connected target for one run.
pub struct Target {
    pub spec: TargetSpec,
    pub clients: Clients,
    pub account_id: String,
    pub region: String,
    emulator: Option<paritytest_emulator::RunningEmulator>,
}

/// Account and region the emulator and other local endpoints use by default.
pub const LOCAL_ACCOUNT_ID: &str = "000000000000";

fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Fails early, as an infrastructure error, when nothing listens at the endpoint.
async fn reachable(url: &str) -> Result<(), String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or(rest);
    let default_port = if url.starts_with("https://") { 443 } else { 80 };
    let addr = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:{default_port}")
    };
    match tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::TcpStream::connect(&addr),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("cannot connect to {addr}: {e}")),
        Err(_) => Err(format!("cannot connect to {addr}: timed out")),
    }
}

fn local_region() -> String {
    std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".into())
}

async fn local_config(url: &str, region: &str) -> aws_types::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("test", "test", None, None, "paritytest"))
        .endpoint_url(url)
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

impl Target {
    pub async fn connect(
        spec: TargetSpec,
        account_override: Option<String>,
    ) -> Result<Target, TargetError> {
        let fail = |m: String| TargetError {
            target: spec.describe(),
            message: m,
        };
        match &spec {
            TargetSpec::Endpoint(url) => {
                reachable(url).await.map_err(fail)?;
                let region = local_region();
                let sdk = local_config(url, &region).await;
                Ok(Target {
                    clients: Clients::new(&sdk),
                    account_id: account_override.unwrap_or_else(|| LOCAL_ACCOUNT_ID.into()),
                    region,
                    spec,
                    emulator: None,
                })
            }
            TargetSpec::Emulator => {
                let region = local_region();
                let config = paritytest_emulator::Config {
                    default_region: region.clone(),
                    ..Default::default()
                };
                let account_id = config.default_account_id.clone();
                let running = paritytest_emulator::Emulator::start(config)
                    .await
                    .map_err(|e| fail(format!("the embedded emulator did not start: {e}")))?;
                let sdk = local_config(&running.url(), &region).await;
                Ok(Target {
                    clients: Clients::new(&sdk),
                    account_id: account_override.unwrap_or(account_id),
                    region,
                    spec,
                    emulator: Some(running),
                })
            }
            TargetSpec::Aws => {
                // The default chain: AWS_PROFILE, env keys, SSO, AWS_REGION, AWS_ENDPOINT_URL.
                let sdk = aws_config::defaults(BehaviorVersion::latest())
                    .http_client(http_client())
                    .load()
                    .await;
                let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
                    fail("no region configured (set AWS_REGION or a profile region)".into())
                })?;
                let clients = Clients::new(&sdk);
                let account_id = match account_override {
                    Some(a) => a,
                    None => {
                        let who = crate::dispatch::call(
                            &clients,
                            "sts",
                            "GetCallerIdentity",
                            &serde_json::json!({}),
                        )
                        .await
                        .map_err(|e| fail(format!("cannot identify the caller: {e}")))?;
                        if let Some(code) = &who.error_code {
                            return Err(fail(format!(
                                "sts.GetCallerIdentity failed: {code} (check the credentials)"
                            )));
                        }
                        who.body
                            .get("Account")
                            .and_then(|a| a.as_str())
                            .map(str::to_string)
                            .ok_or_else(|| fail("sts.GetCallerIdentity gave no Account".into()))?
                    }
                };
                Ok(Target {
                    clients,
                    account_id,
                    region,
                    spec,
                    emulator: None,
                })
            }
        }
    }

    /// Stops the embedded emulator, if any.
    pub async fn shutdown(mut self) {
        if let Some(e) = self.emulator.take() {
            e.shutdown().await;
        }
    }
}
