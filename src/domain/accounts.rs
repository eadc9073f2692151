//! Account fields: user names, display names and email addresses, validated.

/// Longest user name (WordPress allows 60).
pub const MAX_USERNAME_CHARS: usize = 60;
/// Longest display name.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;
/// Longest email address (WordPress's comment limit, also used for accounts).
pub const MAX_EMAIL_CHARS: usize = 100;

/// Normalises a user name: trimmed and lowercased, so logins ignore case. Letters,
/// digits and `. _ - @` only.
pub fn username(raw: &str) -> Result<String, String> {
    let name = raw.trim().to_lowercase();
    if name.is_empty() {
        return Err("Enter a user name.".to_owned());
    }
    if name.chars().count() > MAX_USERNAME_CHARS {
        return Err(format!("A user name has at most {MAX_USERNAME_CHARS} characters."));
    }
    if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')) {
        return Err("A user name may use letters, digits and . _ - @ only.".to_owned());
    }
    Ok(name)
}

/// A display name: trimmed, defaulting to `fallback` when empty.
pub fn display_name(raw: &str, fallback: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(format!("A display name has at most {MAX_DISPLAY_NAME_CHARS} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("A display name cannot contain control characters.".to_owned());
    }
    Ok(if name.is_empty() { fallback.to_owned() } else { name.to_owned() })
}

/// An email address, or empty: one `@` with text on both sides and a dot in the domain.
pub fn email(raw: &str) -> Result<String, String> {
    let email = raw.trim();
    if email.is_empty() {
        return Ok(String::new());
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(format!("An email address has at most {MAX_EMAIL_CHARS} characters."));
    }
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','))
        }
        None => false,
    };
    if valid { Ok(email.to_owned()) } else { Err("Enter an email address such as name@example.com.".to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_lowercased_and_restricted() {
        assert_eq!(username("  Alice ").as_deref(), Ok("alice"));
        assert_eq!(username("jo.smith@home").as_deref(), Ok("jo.smith@home"));
        assert!(username("").is_err());
        assert!(username("two words").is_err());
        assert!(username("<script>").is_err());
        assert!(username(&"a".repeat(61)).is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        assert_eq!(email(" a@b.example ").as_deref(), Ok("a@b.example"));
        assert_eq!(email("").as_deref(), Ok(""));
        for bad in ["nobody", "@b.example", "a@b", "a@.example", "a b@c.example", "a@b.example."] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_names_fall_back_to_the_user_name() {
        assert_eq!(display_name("  ", "alice").as_deref(), Ok("alice"));
        assert_eq!(display_name("Alice A.", "alice").as_deref(), Ok("Alice A."));
    }
}
