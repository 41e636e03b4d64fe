//! What the server keeps: API tokens (migration 8: a name, a role, an optional product
//! glob, an expiry; the secret itself is never stored, only its SHA-256), webhook
//! deliveries (migration 9), and the leadership of the monitoring worker.

use serde::Serialize;

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

/// A token row as the backends read it.
pub(crate) type TokenRow = (
    i64,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
);

pub(crate) fn from_row(r: TokenRow) -> Result<Token> {
    let (id, name, role, products, created_at, expires_at, revoked_at) = r;
    Ok(Token {
        id,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("token `{name}` has role `{role}`")))?,
        name,
        products,
        created_at,
        expires_at,
        revoked_at,
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
        if self.backend.token_by_name(name)?.is_some() {
            return Err(StoreError::InvalidQuery(format!(
                "a token named `{name}` exists: revoke it and choose another name"
            )));
        }
        let now = crate::now_micros();
        let id = self
            .backend
            .insert_token(name, role.as_str(), products, hash, now, expires_at)?;
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
        self.backend.revoke_token(name, crate::now_micros())
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Result<Vec<Token>> {
        self.backend.tokens()?.into_iter().map(from_row).collect()
    }

    /// The token whose secret has this SHA-256 (hex), active or not.
    pub fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        self.backend.token_by_hash(hash)?.map(from_row).transpose()
    }
}

/// One webhook delivery: sent (`delivered`) or given up after `attempts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub url: String,
    /// The event's kind (`findings`).
    pub event: String,
    pub delivered: bool,
    pub attempts: u32,
    pub response_code: Option<u16>,
    pub error: Option<String>,
    /// Microseconds since the epoch.
    pub created_at: i64,
    pub finished_at: i64,
}

/// Held while this process leads (see [`Store::try_lead`]); leadership ends when it is
/// dropped.
pub struct Leadership {
    _held: Box<dyn Send>,
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Leadership")
    }
}

impl Store {
    /// Becomes the one process doing `task` across every process sharing the store, or
    /// `None` when another one is. PostgreSQL: a session advisory lock on a connection
    /// of its own, released when the [`Leadership`] is dropped (or the process dies).
    /// SQLite: always granted (one server process per file). Drop the leadership outside
    /// any tokio runtime.
    pub fn try_lead(&self, task: &str) -> Result<Option<Leadership>> {
        Ok(self
            .backend
            .try_lead(task)?
            .map(|held| Leadership { _held: held }))
    }

    pub fn record_delivery(&self, d: &Delivery) -> Result<()> {
        self.backend.record_delivery(d)
    }

    /// The latest deliveries, newest first.
    pub fn deliveries(&self, limit: u32) -> Result<Vec<Delivery>> {
        self.backend.deliveries(limit)
    }
}
