//! The temporary credentials a function finds in its environment. AWS gives every execution
//! environment a session of the function's execution role; here the session is registered with
//! the emulator's credential registry, so calls the function makes with it are attributed to
//! `assumed-role/<role>/<function>`, and forgotten when the environment ends.

use std::sync::Arc;

use crate::service::Caller;
use crate::services::iam::{access_key_id, random_token, secret_access_key, state_for};
use crate::Shared;

/// One registered session; dropping it unregisters the key.
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    shared: Arc<Shared>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.shared.credentials.write().remove(&self.access_key_id);
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Issues sessions of functions' execution roles.
#[derive(Clone)]
pub struct Issuer {
    shared: Arc<Shared>,
}

impl Issuer {
    pub fn new(shared: Arc<Shared>) -> Self {
        Issuer { shared }
    }

    /// A session of `role_arn` named after the function, in `account`.
    pub fn issue(&self, account: &str, role_arn: &str, function: &str) -> Session {
        let key = access_key_id("ASIA");
        let role_name = role_arn.rsplit('/').next().unwrap_or(role_arn);
        // The role's unique id when IAM knows the role; the emulator does not require the
        // execution role to exist, and then the session gets an id of the same shape.
        let role_id = state_for(&self.shared)
            .and_then(|iam| iam.role_by_arn(role_arn))
            .map(|r| r.id)
            .unwrap_or_else(|| access_key_id("AROA"));
        let caller = Caller {
            access_key_id: key.clone(),
            account_id: account.to_string(),
            arn: format!("arn:aws:sts::{account}:assumed-role/{role_name}/{function}"),
            user_id: format!("{role_id}:{function}"),
        };
        self.shared.credentials.write().insert(key.clone(), caller);
        Session {
            access_key_id: key,
            secret_access_key: secret_access_key(),
            session_token: format!("IQoJb3JpZ2luX2Vj{}", random_token(300)),
            shared: self.shared.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::resolve_caller;
    use crate::Config;

    #[test]
    fn a_session_is_the_role_assumed_by_the_function_until_dropped() {
        let shared = Arc::new(Shared::new(Config::default()));
        let issuer = Issuer::new(shared.clone());
        let s = issuer.issue(
            "111111111111",
            "arn:aws:iam::111111111111:role/service/exec-role",
            "my-fn",
        );
        let caller = resolve_caller(&shared, &s.access_key_id);
        assert_eq!(caller.account_id, "111111111111");
        assert_eq!(
            caller.arn,
            "arn:aws:sts::111111111111:assumed-role/exec-role/my-fn"
        );
        assert!(caller.user_id.starts_with("AROA") && caller.user_id.ends_with(":my-fn"));
        let key = s.access_key_id.clone();
        drop(s);
        assert!(!shared.credentials.read().contains_key(&key));
    }
}
