//! Values to and from PostgreSQL's binary format.

use std::error::Error as StdError;

use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};

use crate::store::sql::{Cell, Param};

type BoxError = Box<dyn StdError + Sync + Send>;

/// A [`Param`] that owns its text, so that a statement can wait in a
/// pipeline after the caller's borrow ends.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum PgParam {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

impl From<&Param<'_>> for PgParam {
    fn from(param: &Param<'_>) -> Self {
        match *param {
            Param::Null => PgParam::Null,
            Param::Int(v) => PgParam::Int(v),
            Param::Real(v) => PgParam::Real(v),
            Param::Text(s) => PgParam::Text(s.to_owned()),
            Param::Bool(b) => PgParam::Bool(b),
        }
    }
}

/// `params` as owned values.
pub(super) fn owned(params: &[Param<'_>]) -> Vec<PgParam> {
    params.iter().map(PgParam::from).collect()
}

impl ToSql for PgParam {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            PgParam::Null => Ok(IsNull::Yes),
            PgParam::Int(v) if *ty == Type::INT8 => v.to_sql(ty, out),
            PgParam::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            PgParam::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            PgParam::Real(v) if *ty == Type::FLOAT8 => v.to_sql(ty, out),
            PgParam::Bool(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            // The binary form of `json` is the text itself.
            PgParam::Text(s) if *ty == Type::JSON => s.as_str().to_sql(&Type::TEXT, out),
            PgParam::Text(s) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
            other => {
                // Name the kind only: the value may be a password hash.
                let kind = match other {
                    PgParam::Null => "NULL",
                    PgParam::Int(_) => "an integer",
                    PgParam::Real(_) => "a float",
                    PgParam::Text(_) => "text",
                    PgParam::Bool(_) => "a boolean",
                };
                Err(format!("cannot send {kind} as a {ty} parameter").into())
            }
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value in `to_sql`.
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(if *ty == Type::BOOL {
            Cell::Bool(bool::from_sql(ty, raw)?)
        } else if *ty == Type::INT2 {
            Cell::Int(i16::from_sql(ty, raw)?.into())
        } else if *ty == Type::INT4 {
            Cell::Int(i32::from_sql(ty, raw)?.into())
        } else if *ty == Type::INT8 {
            Cell::Int(i64::from_sql(ty, raw)?)
        } else if *ty == Type::FLOAT4 {
            Cell::Real(f32::from_sql(ty, raw)?.into())
        } else if *ty == Type::FLOAT8 {
            Cell::Real(f64::from_sql(ty, raw)?)
        } else if *ty == Type::JSON {
            Cell::Text(std::str::from_utf8(raw)?.to_owned())
        } else if <&str as FromSql>::accepts(ty) {
            Cell::Text(<&str as FromSql>::from_sql(ty, raw)?.to_owned())
        } else {
            return Err(format!("unexpected column type {ty}").into());
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Cell::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}
