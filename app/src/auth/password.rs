//! argon2id password hashing. Hashing is slow on purpose, so it runs on the
//! blocking pool, never on the async workers.

use std::sync::OnceLock;

use argon2::password_hash::{SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use crate::error::AppError;

/// argon2id with the crate's defaults (OWASP's recommended 19 MiB, t=2, p=1).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::internal("password hashing failed", e))
}

pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

pub async fn hash_password_async(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::internal("password hashing task failed", e))?
}

/// Verify against the stored hash, or against a dummy hash when the account
/// does not exist, so the response time does not reveal which usernames exist.
pub async fn verify_password_async(
    password: String,
    stored_hash: Option<String>,
) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || match stored_hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            let _ = verify_password(&password, dummy_hash());
            false
        }
    })
    .await
    .map_err(|e| AppError::internal("password verification task failed", e))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_password("demo-password").unwrap();
        let b = hash_password("demo-password").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password("demo-password", &a));
        assert!(!verify_password("Demo-password", &a));
        assert!(!verify_password("demo-password", "not a hash"));
    }
}
