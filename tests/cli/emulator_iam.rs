//! IAM and STS end to end: the real Rust SDK against the in-process emulator over HTTP, so the
//! handlers' outputs go through the protocol layer (awsQuery XML, errors, request ids) and back
//! through the SDK's parsers.

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_types::region::Region;
use paritytest_emulator::{Config, Emulator, RunningEmulator};
use serde_json::{json, Value};

const ACCOUNT: &str = "111111111111";

async fn start() -> RunningEmulator {
    Emulator::start(Config {
        default_account_id: ACCOUNT.into(),
        ..Config::default()
    })
    .await
    .expect("the emulator starts on a free port")
}

async fn sdk(url: &str, key: &str, secret: &str, token: Option<String>) -> aws_types::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(key, secret, token, None, "test"))
        .endpoint_url(url)
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

async fn clients(url: &str) -> (aws_sdk_iam::Client, aws_sdk_sts::Client) {
    let config = sdk(url, "test", "test", None).await;
    (
        aws_sdk_iam::Client::new(&config),
        aws_sdk_sts::Client::new(&config),
    )
}

/// Code, message and HTTP status of a failed call.
fn failure<E: ProvideErrorMetadata + std::fmt::Debug>(
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> (String, String, u16) {
    match err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let e = se.into_err();
            (
                e.code().unwrap_or_default().to_string(),
                e.message().unwrap_or_default().to_string(),
                status,
            )
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}

fn decode_document(encoded: &str) -> Value {
    let text = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .expect("UTF-8 document");
    serde_json::from_str(&text).expect("a JSON policy document")
}

const TRUST: &str = r#"{"Version": "2012-10-17", "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": "111111111111"}}]}"#;

#[tokio::test]
async fn role_lifecycle_and_errors_through_the_sdk() {
    let emulator = start().await;
    let (iam, _) = clients(&emulator.url()).await;

    let created = iam
        .create_role()
        .role_name("app-role")
        .path("/team/")
        .assume_role_policy_document(TRUST)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("env")
                .value("dev")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateRole");
    let role = created.role().expect("a role");
    assert_eq!(
        role.arn(),
        format!("arn:aws:iam::{ACCOUNT}:role/team/app-role")
    );
    assert!(role.role_id().starts_with("AROA") && role.role_id().len() == 21);
    assert_eq!(
        role.max_session_duration(),
        None,
        "CreateRole does not return it"
    );

    let got = iam
        .get_role()
        .role_name("app-role")
        .send()
        .await
        .expect("GetRole");
    let role = got.role().expect("a role");
    assert_eq!(role.max_session_duration(), Some(3600));
    assert!(role.role_last_used().is_some());
    assert_eq!(role.tags().len(), 1);
    let trust = decode_document(role.assume_role_policy_document().expect("a trust policy"));
    assert_eq!(trust, serde_json::from_str::<Value>(TRUST).unwrap());

    let err = iam
        .create_role()
        .role_name("APP-ROLE")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        (
            "EntityAlreadyExists".into(),
            "Role with name APP-ROLE already exists.".into(),
            409
        )
    );

    let err = iam.get_user().user_name("nobody").send().await.unwrap_err();
    assert_eq!(
        failure(err),
        (
            "NoSuchEntity".into(),
            "The user with name nobody cannot be found.".into(),
            404
        )
    );

    let err = iam
        .attach_role_policy()
        .role_name("app-role")
        .policy_arn("not-an-arn-at-all-really")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        (
            "ValidationError".into(),
            "Invalid ARN:  Could not be parsed!".into(),
            400
        )
    );

    iam.attach_role_policy()
        .role_name("app-role")
        .policy_arn("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
        .send()
        .await
        .expect("AttachRolePolicy");
    let err = iam
        .delete_role()
        .role_name("app-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).0, "DeleteConflict");
    let attached = iam
        .list_attached_role_policies()
        .role_name("app-role")
        .send()
        .await
        .expect("ListAttachedRolePolicies");
    assert_eq!(
        attached.attached_policies()[0].policy_name(),
        Some("AWSLambdaBasicExecutionRole")
    );

    emulator.shutdown().await;
}

#[tokio::test]
async fn managed_policy_versions_and_inline_documents_through_the_sdk() {
    let emulator = start().await;
    let (iam, _) = clients(&emulator.url()).await;
    let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/a%20b"}]});
    let policy = iam
        .create_policy()
        .policy_name("reader")
        .policy_document(document.to_string())
        .send()
        .await
        .expect("CreatePolicy");
    let arn = policy
        .policy()
        .and_then(|p| p.arn())
        .expect("an ARN")
        .to_string();
    for _ in 0..4 {
        iam.create_policy_version()
            .policy_arn(&arn)
            .policy_document(document.to_string())
            .send()
            .await
            .expect("CreatePolicyVersion");
    }
    let err = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(document.to_string())
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).0, "LimitExceeded");
    let version = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .expect("GetPolicyVersion");
    let got = version
        .policy_version()
        .and_then(|v| v.document())
        .expect("a document");
    assert_eq!(decode_document(got), document);

    let err = iam
        .create_policy()
        .policy_name("bad")
        .policy_document("not json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        (
            "MalformedPolicyDocument".into(),
            "Syntax errors in policy.".into(),
            400
        )
    );

    iam.create_user()
        .user_name("writer")
        .send()
        .await
        .expect("CreateUser");
    iam.put_user_policy()
        .user_name("writer")
        .policy_name("inline")
        .policy_document(document.to_string())
        .send()
        .await
        .expect("PutUserPolicy");
    let inline = iam
        .get_user_policy()
        .user_name("writer")
        .policy_name("inline")
        .send()
        .await
        .expect("GetUserPolicy");
    assert_eq!(decode_document(inline.policy_document()), document);
    emulator.shutdown().await;
}

#[tokio::test]
async fn calls_are_attributed_to_access_keys_and_assumed_roles() {
    let emulator = start().await;
    let url = emulator.url();
    let (iam, sts) = clients(&url).await;

    let me = sts
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:root").as_str())
    );

    let user = iam
        .create_user()
        .user_name("dev")
        .send()
        .await
        .expect("CreateUser");
    let user_id = user
        .user()
        .map(|u| u.user_id().to_string())
        .expect("a user");
    let key = iam
        .create_access_key()
        .user_name("dev")
        .send()
        .await
        .expect("CreateAccessKey");
    let key = key.access_key().expect("a key");
    assert!(key.access_key_id().starts_with("AKIA") && key.access_key_id().len() == 20);
    let as_dev = sdk(&url, key.access_key_id(), key.secret_access_key(), None).await;
    let who = aws_sdk_sts::Client::new(&as_dev)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity as the user");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/dev").as_str())
    );
    assert_eq!(who.user_id(), Some(user_id.as_str()));
    let self_user = aws_sdk_iam::Client::new(&as_dev)
        .get_user()
        .send()
        .await
        .expect("GetUser as the user");
    assert_eq!(self_user.user().map(|u| u.user_name()), Some("dev"));

    let role = iam
        .create_role()
        .role_name("deployer")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .expect("CreateRole");
    let role_id = role
        .role()
        .map(|r| r.role_id().to_string())
        .expect("a role");
    let assumed = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/deployer"))
        .role_session_name("ci-run")
        .send()
        .await
        .expect("AssumeRole");
    let user = assumed.assumed_role_user().expect("an assumed role user");
    assert_eq!(user.assumed_role_id(), format!("{role_id}:ci-run"));
    let creds = assumed.credentials().expect("credentials");
    assert!(creds.access_key_id().starts_with("ASIA"));
    let as_role = sdk(
        &url,
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_string()),
    )
    .await;
    let who = aws_sdk_sts::Client::new(&as_role)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity as the role session");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci-run").as_str())
    );

    let err = sts
        .assume_role()
        .role_arn("arn:a:::something/test-role")
        .role_session_name("ok-name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        (
            "ValidationError".into(),
            "arn:a:::something/test-role is invalid".into(),
            400
        )
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn pagination_and_concurrent_creates_through_the_sdk() {
    let emulator = start().await;
    let (iam, _) = clients(&emulator.url()).await;
    let creates: Vec<_> = (0..12)
        .map(|_| {
            let iam = iam.clone();
            tokio::spawn(async move { iam.create_group().group_name("racers").send().await })
        })
        .collect();
    let mut wins = 0;
    for create in creates {
        match create.await.expect("task ends") {
            Ok(_) => wins += 1,
            Err(err) => assert_eq!(failure(err).0, "EntityAlreadyExists"),
        }
    }
    assert_eq!(wins, 1);

    for i in 0..7 {
        iam.create_user()
            .user_name(format!("u{i}"))
            .send()
            .await
            .expect("CreateUser");
    }
    let pages: Vec<_> = iam
        .list_users()
        .max_items(3)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("every page");
    assert_eq!(pages.len(), 3);
    let names: Vec<String> = pages
        .iter()
        .flat_map(|p| p.users().iter().map(|u| u.user_name().to_string()))
        .collect();
    assert_eq!(names, (0..7).map(|i| format!("u{i}")).collect::<Vec<_>>());
    emulator.shutdown().await;
}

#[tokio::test]
async fn nested_outputs_survive_the_xml_round_trip() {
    let emulator = start().await;
    let url = emulator.url();
    let (iam, sts) = clients(&url).await;
    let document = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}"#;
    iam.create_group()
        .group_name("sim")
        .send()
        .await
        .expect("CreateGroup");
    iam.put_group_policy()
        .group_name("sim")
        .policy_name("put")
        .policy_document(document)
        .send()
        .await
        .expect("PutGroupPolicy");
    let simulated = iam
        .simulate_principal_policy()
        .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:group/sim"))
        .action_names("s3:PutObject")
        .action_names("s3:GetObjectVersion")
        .resource_arns("arn:aws:s3:::bucket")
        .send()
        .await
        .expect("SimulatePrincipalPolicy");
    let results = simulated.evaluation_results();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].eval_decision().as_str(), "allowed");
    let matched = &results[0].matched_statements()[0];
    assert_eq!(matched.source_policy_id(), Some("put"));
    // The column just past the statement's `{` (at column 41), as the AWS recordings of
    // SimulatePrincipalPolicy report statement positions.
    assert_eq!(
        matched.start_position().map(|p| (p.line(), p.column())),
        Some((1, 42))
    );
    assert_eq!(results[1].eval_decision().as_str(), "implicitDeny");
    assert_eq!(results[1].resource_specific_results().len(), 1);

    iam.create_user()
        .user_name("member")
        .send()
        .await
        .expect("CreateUser");
    iam.add_user_to_group()
        .group_name("sim")
        .user_name("member")
        .send()
        .await
        .expect("AddUserToGroup");
    let details = iam
        .get_account_authorization_details()
        .send()
        .await
        .expect("GetAccountAuthorizationDetails");
    let user = &details.user_detail_list()[0];
    assert_eq!(user.group_list(), ["sim".to_string()]);
    let group = &details.group_detail_list()[0];
    assert_eq!(group.group_policy_list()[0].policy_name(), Some("put"));

    let slr = iam
        .create_service_linked_role()
        .aws_service_name("batch.amazonaws.com")
        .send()
        .await
        .expect("CreateServiceLinkedRole");
    assert_eq!(
        slr.role().map(|r| r.role_name()),
        Some("AWSServiceRoleForBatch")
    );
    let task = iam
        .delete_service_linked_role()
        .role_name("AWSServiceRoleForBatch")
        .send()
        .await
        .expect("DeleteServiceLinkedRole");
    let status = iam
        .get_service_linked_role_deletion_status()
        .deletion_task_id(task.deletion_task_id())
        .send()
        .await
        .expect("GetServiceLinkedRoleDeletionStatus");
    assert_eq!(status.status().as_str(), "SUCCEEDED");

    let federated = sts
        .get_federation_token()
        .name("fed-user")
        .send()
        .await
        .expect("GetFederationToken");
    // PackedPolicySize (recorded as 0) is deprecated in the SDK; the handler cases check it.
    assert_eq!(
        federated.federated_user().map(|u| u.arn()),
        Some(format!("arn:aws:sts::{ACCOUNT}:federated-user/fed-user").as_str())
    );
    emulator.shutdown().await;
}
