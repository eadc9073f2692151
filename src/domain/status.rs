//! The statuses and kinds of posts and comments, stored as text.
//!
//! Each enum is stored as the same word it has always been (`posts.status`,
//! `posts.kind`, `comments.status`, `comments.kind`): [`as_str`](PostStatus::as_str)
//! gives the word, `FromStr` reads it back at the edges (forms, imports, query
//! strings), and the sqlx impls encode and decode it on either backend. A word the
//! enum does not know, read from the database, is an error naming the word and the
//! expected set (sqlx adds the column); it never becomes a default.

use std::fmt;
use std::str::FromStr;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// A word that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// What was being read, e.g. "post status".
    pub what: &'static str,
    /// The word, as given.
    pub value: String,
    /// The words that are accepted.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}, expected one of: {}", self.what, self.value, self.expected.join(", "))
    }
}

impl std::error::Error for UnknownValue {}

/// Defines a text-stored enum: `as_str`, `ALL`, `Display`, `FromStr` and the sqlx
/// `Type`/`Encode`/`Decode` impls for any backend whose `str` does the same.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            const WORDS: &'static [&'static str] = &[$($text),+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(UnknownValue { what: $what, value: s.to_owned(), expected: Self::WORDS }),
                }
            }
        }

        impl<DB: Database> Type<DB> for $name
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $name
        where
            &'q str: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
                <&'q str as Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $name
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&'r str as Decode<'r, DB>>::decode(value)?;
                Ok(text.parse::<Self>()?)
            }
        }
    };
}

text_enum! {
    /// `posts.status`.
    PostStatus, "post status" {
        /// The default: shown to no reader.
        #[default]
        Draft => "draft",
        Published => "published",
        /// Published with a date in the future: shown once the date has passed.
        Scheduled => "scheduled",
        Private => "private",
        Trash => "trash",
        /// Written by an import that has not finished; shown nowhere (see
        /// `store::import::IMPORTING`).
        Importing => "importing",
    }
}

text_enum! {
    /// `posts.kind`.
    PostKind, "post kind" {
        /// The default, as in the table.
        #[default]
        Post => "post",
        Page => "page",
    }
}

text_enum! {
    /// `comments.status` (and `comments.status_before_trash`).
    CommentStatus, "comment status" {
        /// The default: shown to no reader.
        #[default]
        Pending => "pending",
        Approved => "approved",
        Spam => "spam",
        Trash => "trash",
        /// The placeholder an import reserves its comment ids with; shown nowhere.
        Importing => "importing",
    }
}

text_enum! {
    /// `comments.kind`.
    CommentKind, "comment kind" {
        /// The default, as in the table.
        #[default]
        Comment => "comment",
        Pingback => "pingback",
        Trackback => "trackback",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::fresh_store;

    fn text_round_trip<T>(all: &[T])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr<Err = UnknownValue>,
    {
        for v in all {
            assert_eq!(v.to_string().parse::<T>(), Ok(*v));
        }
    }

    #[test]
    fn every_value_round_trips_through_text() {
        text_round_trip(PostStatus::ALL);
        text_round_trip(PostKind::ALL);
        text_round_trip(CommentStatus::ALL);
        text_round_trip(CommentKind::ALL);
        assert_eq!(PostStatus::ALL.len(), 6);
        assert_eq!(CommentStatus::ALL.len(), 5);
    }

    #[test]
    fn unknown_words_are_refused_with_the_expected_set() {
        let Err(err) = "Published".parse::<PostStatus>() else { panic!("a capitalised word parsed") };
        assert_eq!(err.value, "Published");
        let msg = err.to_string();
        assert!(msg.contains("post status \"Published\""), "{msg}");
        assert!(msg.contains("draft, published, scheduled, private, trash, importing"), "{msg}");
        assert!("".parse::<CommentKind>().is_err());
        assert!("attachment".parse::<PostKind>().is_err());
    }

    async fn db_round_trip<T>(pool: &sqlx::SqlitePool, all: &[T]) -> anyhow::Result<()>
    where
        T: Copy + PartialEq + fmt::Debug + Send + Unpin + 'static,
        T: for<'q> Encode<'q, sqlx::Sqlite> + for<'r> Decode<'r, sqlx::Sqlite> + Type<sqlx::Sqlite>,
    {
        for v in all {
            let back: T = sqlx::query_scalar("select $1").bind(*v).fetch_one(pool).await?;
            assert_eq!(back, *v);
        }
        Ok(())
    }

    #[tokio::test]
    async fn every_value_round_trips_through_sqlite() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let crate::store::db::Db::Sqlite(pool) = store.reader() else { panic!("sqlite store") };
        db_round_trip(pool, PostStatus::ALL).await?;
        db_round_trip(pool, PostKind::ALL).await?;
        db_round_trip(pool, CommentStatus::ALL).await?;
        db_round_trip(pool, CommentKind::ALL).await?;
        // Stored as the plain word.
        let word: String = sqlx::query_scalar("select $1").bind(CommentStatus::Approved).fetch_one(pool).await?;
        assert_eq!(word, "approved");
        Ok(())
    }

    fn stored_on_postgres<T>()
    where
        T: Type<sqlx::Postgres> + for<'q> Encode<'q, sqlx::Postgres> + for<'r> Decode<'r, sqlx::Postgres>,
    {
    }

    #[test]
    fn every_enum_is_stored_on_postgres_too() {
        stored_on_postgres::<PostStatus>();
        stored_on_postgres::<PostKind>();
        stored_on_postgres::<CommentStatus>();
        stored_on_postgres::<CommentKind>();
    }

    #[tokio::test]
    async fn an_unknown_stored_word_is_an_error_naming_it() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let crate::store::db::Db::Sqlite(pool) = store.reader() else { panic!("sqlite store") };
        let Err(err) = sqlx::query_scalar::<_, PostStatus>("select 'publishd' as status").fetch_one(pool).await else {
            panic!("an unknown status decoded");
        };
        let err = err.to_string();
        assert!(err.contains("\"publishd\""), "{err}");
        assert!(err.contains("status"), "{err}");
        assert!(err.contains("expected one of: draft"), "{err}");
        let Err(err) = sqlx::query_scalar::<_, Option<CommentKind>>("select 'ping'").fetch_one(pool).await else {
            panic!("an unknown kind decoded");
        };
        assert!(err.to_string().contains("unknown comment kind \"ping\""), "{err}");
        Ok(())
    }
}
