//! Secrets at rest: session ids and one-time tokens are stored as SHA-256 digests,
//! and compared in constant time.

/// The hex SHA-256 of a token, the only form in which tokens are stored.
pub fn hash_token(token: &str) -> String {
    super::sha256_hex(token.as_bytes())
}

/// Compares two strings without an early exit, so timing does not reveal how much
/// of a guessed token was right.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_hash_to_sha256_hex() {
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn equal_strings_compare_equal_and_others_do_not() {
        assert!(constant_time_eq("token", "token"));
        assert!(!constant_time_eq("token", "tokem"));
        assert!(!constant_time_eq("token", "token2"));
        assert!(!constant_time_eq("", "x"));
    }
}
