//! The messages a form shows beside its fields when it comes back with 422: the one
//! type behind the comment form, the editor, the moderation edit form, the account
//! forms and the settings page.

/// A message per invalid field, in the order the fields were checked (the form's
/// order, for the error summary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// Records what is wrong with `field`. A field shows one message: the first
    /// found, which later checks of the same field do not replace.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.message(field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    /// The message for `field`, if it has one.
    pub fn message(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    /// The message for `field`, or an empty string.
    pub fn get(&self, field: &str) -> &str {
        self.message(field).unwrap_or_default()
    }

    /// Each invalid field and its message, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(f, m)| (*f, m.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_keeps_its_first_message_and_the_order_is_kept() {
        let mut errors = FieldErrors::default();
        assert!(errors.is_empty());
        errors.add("email", "Please enter your email address.");
        errors.add("comment", "Please type your comment.");
        errors.add("email", "a later check of the same field");
        assert_eq!(errors.get("email"), "Please enter your email address.");
        assert_eq!(errors.message("url"), None);
        assert_eq!(errors.get("url"), "");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["email", "comment"]);
    }
}
