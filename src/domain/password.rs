//! Password hashing: argon2id with OWASP's parameters, run on the blocking thread
//! pool (a hash takes tens of milliseconds of CPU and 19 MiB of memory) and limited
//! in how many run at once, so a burst of logins cannot exhaust memory.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

/// OWASP's argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Shortest and longest password accepted for a new account.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 1000;

/// How many hashes may run at the same time (each holds [`MEMORY_KIB`]).
const CONCURRENT_HASHES: usize = 4;
static PERMITS: Semaphore = Semaphore::const_new(CONCURRENT_HASHES);

fn hasher() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = hasher()?.hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(hash.to_string())
}

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but hashed with weaker or other parameters than today's: store a new hash.
    YesRehash,
}

/// Checks a password against a stored PHC string. An unreadable hash never matches.
pub fn verify(password: &str, stored: &str) -> Verified {
    let Ok(parsed) = PasswordHash::new(stored) else { return Verified::No };
    let Ok(argon) = hasher() else { return Verified::No };
    if argon.verify_password(password.as_bytes(), &parsed).is_err() {
        return Verified::No;
    }
    let current = Params::try_from(&parsed).ok();
    let up_to_date = parsed.algorithm.as_str() == "argon2id"
        && current.is_some_and(|p| p.m_cost() >= MEMORY_KIB && p.t_cost() >= PASSES && p.p_cost() >= LANES);
    if up_to_date { Verified::Yes } else { Verified::YesRehash }
}

/// A hash of a password nobody knows: verifying against it when a name does not
/// exist makes a wrong name take as long as a wrong password.
static DUMMY: LazyLock<String> = LazyLock::new(|| hash(&crate::domain::random_token(16)).unwrap_or_default());

/// [`hash`] on the blocking pool.
pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    let _permit = PERMITS.acquire().await.context("password hashing is shut down")?;
    tokio::task::spawn_blocking(move || hash(&password)).await.context("password hashing task")?
}

/// True when `password` is longer than any password hewn accepts, so that it cannot
/// match and is not worth hashing.
pub fn is_longer_than_any(password: &str) -> bool {
    password.len() > MAX_PASSWORD_CHARS && password.chars().count() > MAX_PASSWORD_CHARS
}

/// [`verify`] on the blocking pool; `None` as the stored hash verifies against a
/// dummy so that the time taken does not reveal whether the account exists. A
/// password longer than any hewn accepts is refused without hashing.
pub async fn verify_blocking(password: String, stored: Option<String>) -> anyhow::Result<Verified> {
    if is_longer_than_any(&password) {
        return Ok(Verified::No);
    }
    let _permit = PERMITS.acquire().await.context("password hashing is shut down")?;
    tokio::task::spawn_blocking(move || match stored {
        Some(s) => verify(&password, &s),
        None => {
            let _ = verify(&password, &DUMMY);
            Verified::No
        }
    })
    .await
    .context("password verification task")
}

/// Checks a new password against the length rules, with a message for the person.
pub fn check_new(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!("Use at most {MAX_PASSWORD_CHARS} characters."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() -> anyhow::Result<()> {
        let h = hash("correct horse battery staple")?;
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_eq!(verify("correct horse battery staple", &h), Verified::Yes);
        assert_eq!(verify("wrong", &h), Verified::No);
        assert_eq!(verify("anything", "not a hash"), Verified::No);
        assert_ne!(hash("same")?, hash("same")?, "each hash has its own salt");
        Ok(())
    }

    #[test]
    fn weaker_hashes_verify_and_ask_for_a_rehash() -> anyhow::Result<()> {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).map_err(anyhow::Error::msg)?,
        )
        .hash_password(b"pw")
        .map_err(anyhow::Error::msg)?
        .to_string();
        assert_eq!(verify("pw", &weak), Verified::YesRehash);
        Ok(())
    }

    #[test]
    fn new_passwords_need_eight_characters() {
        assert!(check_new("short").is_err());
        assert!(check_new("long enough").is_ok());
    }

    #[test]
    fn passwords_longer_than_any_accepted_are_counted_in_characters() {
        assert!(!is_longer_than_any(&"é".repeat(MAX_PASSWORD_CHARS)));
        assert!(is_longer_than_any(&"a".repeat(MAX_PASSWORD_CHARS + 1)));
        assert!(check_new(&"a".repeat(MAX_PASSWORD_CHARS + 1)).is_err(), "what is refused is never stored");
    }
}
