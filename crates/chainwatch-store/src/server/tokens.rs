//! API tokens (migration 8): a name, a role, an optional product glob, an expiry; the
//! secret itself is never stored, only its SHA-256.

use serde::Serialize;

use crate::db::{Row, args};
use crate::{Result, Store, StoreError};

/// What a token may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Query.
    Read,
    /// Query and upload.
    Ingest,
    /// Everything, tokens and settings too.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Ingest => "ingest",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "read" => Some(Role::Read),
            "ingest" => Some(Role::Ingest),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A token as stored (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// A glob over product names the token is limited to; `None`: every product.
    pub products: Option<String>,
    /// Microseconds since the epoch.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Token {
    /// Whether the token may be used at `now` (not revoked, not expired).
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// The columns of a [`Token`] ([`token_row`]); the caller adds the rest.
const TOKEN_SELECT: &str =
    "SELECT id, name, role, products, created_at, expires_at, revoked_at FROM tokens";

fn token_row(r: Row<'_>) -> Result<Token> {
    let name: String = r.get(1)?;
    let role: String = r.get(2)?;
    Ok(Token {
        id: r.get(0)?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("token `{name}` has role `{role}`")))?,
        name,
        products: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

impl Store {
    /// Stores a new token by the SHA-256 (hex) of its secret. Names are unique, also
    /// after revocation (so that logs stay unambiguous).
    pub fn create_token(
        &self,
        name: &str,
        role: Role,
        products: Option<&str>,
        hash: &str,
        expires_at: Option<i64>,
    ) -> Result<Token> {
        if name.trim().is_empty() {
            return Err(StoreError::InvalidQuery("a token needs a name".into()));
        }
        // Names appear in logs and listings, one per line.
        if name.chars().any(char::is_control) || name.chars().count() > 128 {
            return Err(StoreError::InvalidQuery(format!(
                "a token name is at most 128 characters, none of them control characters: {name:?}"
            )));
        }
        let now = crate::now_micros();
        let id = self.write(|db| {
            if db
                .query_opt(
                    &format!("{TOKEN_SELECT} WHERE name = $1"),
                    &args![name],
                    token_row,
                )?
                .is_some()
            {
                return Err(StoreError::InvalidQuery(format!(
                    "a token named `{name}` exists: revoke it and choose another name"
                )));
            }
            db.value(
                "INSERT INTO tokens (name, role, products, hash, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &args![name, role.as_str(), products, hash, now, expires_at],
            )
        })?;
        Ok(Token {
            id,
            name: name.to_owned(),
            role,
            products: products.map(str::to_owned),
            created_at: now,
            expires_at,
            revoked_at: None,
        })
    }

    /// Revokes a token by name; false when there is none or it was revoked already.
    pub fn revoke_token(&self, name: &str) -> Result<bool> {
        let now = crate::now_micros();
        self.write(|db| {
            Ok(db.execute(
                "UPDATE tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                &args![name, now],
            )? > 0)
        })
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Result<Vec<Token>> {
        self.read(|db| db.query(&format!("{TOKEN_SELECT} ORDER BY id"), &[], token_row))
    }

    /// The token whose secret has this SHA-256 (hex), active or not.
    pub fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        self.read(|db| {
            db.query_opt(
                &format!("{TOKEN_SELECT} WHERE hash = $1"),
                &args![hash],
                token_row,
            )
        })
    }
}
