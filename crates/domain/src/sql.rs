//! Enums stored as text columns (feature `diesel`): written with their
//! `as_str` spelling, read back with `parse`, and a spelling the enum does
//! not know is a deserialisation error, never a silent default.

#[doc(hidden)]
pub use diesel as __diesel;

/// Implements `ToSql<Text, Pg>` and `FromSql<Text, Pg>` for an enum with
/// `fn as_str(self) -> &'static str` and `fn parse(&str) -> Option<Self>`.
/// The enum also derives `diesel::AsExpression` and `diesel::FromSqlRow`
/// with `#[diesel(sql_type = diesel::sql_types::Text)]`.
#[macro_export]
macro_rules! text_column {
    ($ty:ty) => {
        impl
            $crate::sql::__diesel::serialize::ToSql<
                $crate::sql::__diesel::sql_types::Text,
                $crate::sql::__diesel::pg::Pg,
            > for $ty
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut $crate::sql::__diesel::serialize::Output<
                    'b,
                    '_,
                    $crate::sql::__diesel::pg::Pg,
                >,
            ) -> $crate::sql::__diesel::serialize::Result {
                ::std::io::Write::write_all(out, self.as_str().as_bytes())?;
                Ok($crate::sql::__diesel::serialize::IsNull::No)
            }
        }

        impl
            $crate::sql::__diesel::deserialize::FromSql<
                $crate::sql::__diesel::sql_types::Text,
                $crate::sql::__diesel::pg::Pg,
            > for $ty
        {
            fn from_sql(
                value: $crate::sql::__diesel::pg::PgValue<'_>,
            ) -> $crate::sql::__diesel::deserialize::Result<Self> {
                let text = ::std::str::from_utf8(value.as_bytes())?;
                Self::parse(text)
                    .ok_or_else(|| format!("unknown {} {text:?}", stringify!($ty)).into())
            }
        }
    };
}

crate::text_column!(crate::StreamStatus);
crate::text_column!(crate::ReplayStatus);

/// Declares an enum stored as a text column: each variant with its
/// spelling, `as_str`, `parse`, `ALL`, and the diesel mapping of
/// [`text_column!`]. The calling crate depends on `diesel`.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            $crate::sql::__diesel::expression::AsExpression,
            $crate::sql::__diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = $crate::sql::__diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &[Self] = &[$(Self::$variant),+];

            /// The database spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// Parses the database spelling.
            pub fn parse(value: &str) -> Option<Self> {
                match value {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        $crate::text_column!($name);
    };
}
