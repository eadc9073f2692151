//! The login, first-admin setup and profile pages.

use askama::Template;

use super::AdminLayout;
use crate::domain::FieldErrors;

/// `templates/admin/login.html`.
#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    pub layout: AdminLayout,
    pub username: String,
    /// The page to go to after login.
    pub next: String,
    /// The login form's token (also in a cookie).
    pub form_token: String,
    /// Why the last attempt failed.
    pub error: String,
}

/// `templates/admin/setup.html`: creates the first admin.
#[derive(Template)]
#[template(path = "admin/setup.html")]
pub struct SetupPage {
    pub layout: AdminLayout,
    pub token: String,
    pub form: AccountForm,
    pub errors: FieldErrors,
}

/// The fields of a new account.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AccountForm {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password: String,
    pub password_again: String,
}

/// `templates/admin/profile.html`: the admin's own name, email and password.
#[derive(Template)]
#[template(path = "admin/profile.html")]
pub struct ProfilePage {
    pub layout: AdminLayout,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub errors: FieldErrors,
    pub sessions: i64,
}
