//! The shared backend: a PostgreSQL server, for many chainwatch processes and server
//! replicas at once. Connections come from a bounded pool (`pool_size` in the URL, 16 by
//! default): they are reused and keep their prepared statements, a caller that finds them
//! all busy waits for one, and a process never holds more than the bound however many
//! requests arrive at once; occurrences are loaded with binary `COPY`; write transactions that fail
//! with a serialization failure or a deadlock run again (writers insert keys in sorted
//! order, so that concurrent ones queue rather than deadlock).
//!
//! Behind a pooler that hands out server connections per transaction (`PgBouncer`
//! `pool_mode = transaction`, `pooler=transaction` in the URL) a connection keeps nothing
//! between transactions: every read and write is a transaction that sets what it needs
//! (`SET LOCAL`), and statements are unnamed (parsed with each execution, their
//! parameter types learned once per process), so no prepared statement or setting of one
//! client ever reaches another's.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, CopyInWriter, GenericClient, NoTls, Statement};

use super::{Backend, Cell, Column, ComponentRow, Db, Dialect, Row, Value};
use crate::{Result, StoreError};

/// Connections a process opens at most, unless the URL's `pool_size` says otherwise.
const POOL_SIZE: usize = 16;
/// The largest `pool_size` accepted (PostgreSQL's own default limit is 100 connections).
const POOL_SIZE_MAX: usize = 1024;
/// How long a caller waits for a connection when all of them are busy.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// Attempts for a transaction that fails with a serialization failure or deadlock.
const ATTEMPTS: usize = 8;
/// Prepared statements a connection keeps (past it, it forgets them all).
const STATEMENTS: usize = 256;

pub(crate) struct Pg {
    config: Config,
    schema: Option<String>,
    location: String,
    /// Behind a transaction-pooling pooler: what each transaction sets first
    /// (`SET LOCAL …`), and the parameter types of the statements run so far.
    pooled: Option<Pooler>,
    /// Connections open at most.
    size: usize,
    pool: Mutex<Pool>,
    /// Signalled when a connection returns to the pool or a slot frees.
    freed: Condvar,
}

/// What a store behind a transaction-pooling pooler keeps instead of session state.
struct Pooler {
    /// Run at the start of every transaction.
    setup: String,
    /// Per statement text, its parameters' types as the server inferred them.
    types: Mutex<HashMap<String, Arc<[Type]>>>,
}

/// The idle connections, and how many are open in all (idle and in use).
struct Pool {
    idle: Vec<Pooled>,
    open: usize,
}

/// A connection and the statements prepared on it.
struct Pooled {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// A pooled connection, returned to the pool when dropped (unless broken).
struct Conn<'a> {
    pool: &'a Pg,
    conn: Option<Pooled>,
}

impl Conn<'_> {
    fn get(&mut self) -> Result<&mut Pooled> {
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Corrupt("a pooled connection was taken".into()))
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let mut pool = self.pool.lock();
        if conn.client.is_closed() {
            // A broken connection frees its slot for a new one.
            pool.open -= 1;
        } else {
            pool.idle.push(conn);
        }
        drop(pool);
        self.pool.freed.notify_one();
    }
}

/// What the store needs of a connection or a transaction on it.
trait Client_ {
    fn prepare(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error>;
    fn query(
        &mut self,
        stmt: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Vec<postgres::Row>, postgres::Error>;
    fn execute(
        &mut self,
        stmt: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<u64, postgres::Error>;
    fn batch_execute(&mut self, sql: &str) -> std::result::Result<(), postgres::Error>;
    fn copy_in(&mut self, sql: &str) -> std::result::Result<CopyInWriter<'_>, postgres::Error>;
    /// An unnamed statement, parsed, bound and run in one round trip: its rows and the
    /// rows it changed.
    fn query_unnamed(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> std::result::Result<(Vec<postgres::Row>, u64), postgres::Error>;
}

impl<C: GenericClient> Client_ for C {
    fn prepare(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error> {
        GenericClient::prepare(self, sql)
    }

    fn query(
        &mut self,
        stmt: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Vec<postgres::Row>, postgres::Error> {
        GenericClient::query(self, stmt, params)
    }

    fn execute(
        &mut self,
        stmt: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<u64, postgres::Error> {
        GenericClient::execute(self, stmt, params)
    }

    fn batch_execute(&mut self, sql: &str) -> std::result::Result<(), postgres::Error> {
        GenericClient::batch_execute(self, sql)
    }

    fn copy_in(&mut self, sql: &str) -> std::result::Result<CopyInWriter<'_>, postgres::Error> {
        GenericClient::copy_in(self, sql)
    }

    fn query_unnamed(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> std::result::Result<(Vec<postgres::Row>, u64), postgres::Error> {
        let mut it =
            GenericClient::query_typed_raw(self, sql, params.iter().map(|(p, t)| (*p, t.clone())))?;
        let mut rows = Vec::new();
        while let Some(row) = it.next()? {
            rows.push(row);
        }
        Ok((rows, it.rows_affected().unwrap_or(0)))
    }
}

/// A connection (or a transaction on it) as a [`Db`] sees it.
pub(crate) struct Session<'c> {
    client: &'c mut dyn Client_,
    statements: Statements<'c>,
}

/// How a session runs statements.
enum Statements<'c> {
    /// Prepared once per connection and kept (a direct connection, or a pooler that
    /// gives each client its own server connection).
    Prepared(&'c mut HashMap<String, Statement>),
    /// Unnamed, with the parameter types learned per process (behind a
    /// transaction-pooling pooler, inside a transaction).
    Unnamed(&'c Mutex<HashMap<String, Arc<[Type]>>>),
}

impl Session<'_> {
    fn statement(
        client: &mut dyn Client_,
        statements: &mut HashMap<String, Statement>,
        sql: &str,
    ) -> Result<Statement> {
        if let Some(s) = statements.get(sql) {
            return Ok(s.clone());
        }
        let s = client.prepare(sql)?;
        if statements.len() >= STATEMENTS {
            statements.clear();
        }
        statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    /// The parameter types of `sql`, learned by preparing it once in this transaction
    /// (and closing it in the same transaction: no statement outlives it on the server
    /// connection the pooler lent).
    fn types(
        client: &mut dyn Client_,
        known: &Mutex<HashMap<String, Arc<[Type]>>>,
        sql: &str,
    ) -> Result<Arc<[Type]>> {
        let lock = || known.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(t) = lock().get(sql) {
            return Ok(t.clone());
        }
        // The driver names its statements `s0`, `s1`, …: a client that used names on
        // this server connection before (one not told about the pooler) may have left
        // one behind. Nobody can rely on them across transactions, so they go.
        client.batch_execute("DEALLOCATE ALL")?;
        let stmt = client.prepare(sql)?;
        let types: Arc<[Type]> = stmt.params().into();
        drop(stmt);
        let mut known = lock();
        if known.len() >= STATEMENTS * 4 {
            known.clear();
        }
        known.insert(sql.to_owned(), types.clone());
        Ok(types)
    }

    /// Runs `sql`: its rows and the number of rows it changed.
    fn run(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        rows: bool,
    ) -> Result<(Vec<postgres::Row>, u64)> {
        match &mut self.statements {
            Statements::Prepared(statements) => {
                let stmt = Self::statement(self.client, statements, sql)?;
                let bound = bind(stmt.params(), params)?;
                let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| &**b as _).collect();
                // All rows at once: the synchronous client's row iterator enters its
                // runtime for every row (who-has p95 of a package in thousands of
                // inventories: 6.9 → 5.8 ms).
                if rows {
                    Ok((self.client.query(&stmt, &refs)?, 0))
                } else {
                    Ok((Vec::new(), self.client.execute(&stmt, &refs)?))
                }
            }
            Statements::Unnamed(known) => {
                let types = Self::types(self.client, known, sql)?;
                let bound = bind(&types, params)?;
                let with_types: Vec<(&(dyn ToSql + Sync), Type)> = bound
                    .iter()
                    .zip(types.iter())
                    .map(|(b, t)| (&**b as &(dyn ToSql + Sync), t.clone()))
                    .collect();
                Ok(self.client.query_unnamed(sql, &with_types)?)
            }
        }
    }

    pub(super) fn for_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        f: &mut dyn FnMut(Row<'_>) -> Result<()>,
    ) -> Result<()> {
        for row in self.run(sql, params, true)?.0 {
            f(Row::Postgres(&row))?;
        }
        Ok(())
    }

    pub(super) fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64> {
        Ok(self.run(sql, params, false)?.1)
    }

    pub(super) fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }

    pub(super) fn insert_occurrences(
        &mut self,
        document: i64,
        rows: &[ComponentRow],
        ids: &[Option<i64>],
    ) -> Result<()> {
        let sink = self.client.copy_in(
            "COPY occurrences (document_id, ordinal, package_id, bom_ref, name, version, kind,
                 scope, license, hashes, source_file) FROM STDIN (FORMAT binary)",
        )?;
        let mut writer = BinaryCopyInWriter::new(
            sink,
            &[
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
            ],
        );
        for (ordinal, r) in rows.iter().enumerate() {
            let ordinal = crate::int(ordinal);
            let package = ids.get(r_index(ordinal)).copied().flatten();
            let values: [&(dyn ToSql + Sync); 11] = [
                &document,
                &ordinal,
                &package,
                &r.bom_ref,
                &r.name,
                &r.version,
                &r.kind,
                &r.scope,
                &r.license,
                &r.hashes,
                &r.source_file,
            ];
            writer.write(&values)?;
        }
        writer.finish()?;
        Ok(())
    }
}

fn r_index(ordinal: i64) -> usize {
    usize::try_from(ordinal).unwrap_or(usize::MAX)
}

type Bound<'a> = Box<dyn ToSql + Sync + 'a>;

/// `params` as the types the server inferred for the statement's parameters: integers
/// narrowed to `integer` columns, `NULL` typed as its parameter, a table one array per
/// column.
fn bind<'a>(types: &[Type], params: &'a [Value<'a>]) -> Result<Vec<Bound<'a>>> {
    let mut out: Vec<Bound<'a>> = Vec::with_capacity(types.len());
    for value in params {
        if let Value::Table(table) = value {
            for (_, column) in table.columns() {
                out.push(match column {
                    Column::Int(v) => Box::new(v),
                    Column::Real(v) => Box::new(v),
                    Column::Text(v) if v.iter().flatten().any(|t| t.contains('\0')) => {
                        Box::new(v.iter().map(|t| t.map(super::clean)).collect::<Vec<_>>())
                    }
                    Column::Text(v) => Box::new(v),
                });
            }
            continue;
        }
        let ty = types.get(out.len()).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "a statement has {} parameters, more given",
                types.len()
            ))
        })?;
        out.push(scalar(value, ty)?);
    }
    if out.len() != types.len() {
        return Err(StoreError::Corrupt(format!(
            "a statement has {} parameters, {} given",
            types.len(),
            out.len()
        )));
    }
    Ok(out)
}

fn scalar<'a>(value: &'a Value<'a>, ty: &Type) -> Result<Bound<'a>> {
    let narrow =
        |v: i64| StoreError::Corrupt(format!("{v} does not fit a parameter of type `{ty}`"));
    Ok(match value {
        Value::Null => match *ty {
            Type::INT2 => Box::new(None::<i16>),
            Type::INT4 => Box::new(None::<i32>),
            Type::INT8 => Box::new(None::<i64>),
            Type::FLOAT4 => Box::new(None::<f32>),
            Type::FLOAT8 => Box::new(None::<f64>),
            Type::BOOL => Box::new(None::<bool>),
            Type::BYTEA => Box::new(None::<&[u8]>),
            _ => Box::new(None::<&str>),
        },
        Value::Int(v) => match *ty {
            Type::INT2 => Box::new(i16::try_from(*v).map_err(|_| narrow(*v))?),
            Type::INT4 => Box::new(i32::try_from(*v).map_err(|_| narrow(*v))?),
            Type::BOOL => Box::new(*v != 0),
            #[allow(clippy::cast_precision_loss)]
            Type::FLOAT8 => Box::new(*v as f64),
            _ => Box::new(*v),
        },
        Value::Real(v) => match *ty {
            #[allow(clippy::cast_possible_truncation)]
            Type::FLOAT4 => Box::new(*v as f32),
            _ => Box::new(*v),
        },
        Value::Text(v) => Box::new(super::clean(v)),
        Value::Blob(v) => Box::new(*v),
        Value::Table(_) => {
            return Err(StoreError::Corrupt(
                "a table is bound as the last parameter only".into(),
            ));
        }
    })
}

pub(super) fn cell(row: &postgres::Row, i: usize) -> Result<Cell<'_>> {
    let ty = row
        .columns()
        .get(i)
        .ok_or_else(|| StoreError::Corrupt(format!("no column {i}")))?
        .type_();
    let int = |v: Option<i64>| v.map_or(Cell::Null, Cell::Int);
    Ok(match *ty {
        Type::INT2 => int(row.try_get::<_, Option<i16>>(i)?.map(i64::from)),
        Type::INT4 => int(row.try_get::<_, Option<i32>>(i)?.map(i64::from)),
        Type::INT8 => int(row.try_get::<_, Option<i64>>(i)?),
        Type::BOOL => int(row.try_get::<_, Option<bool>>(i)?.map(i64::from)),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)?
            .map_or(Cell::Null, |v| Cell::Real(f64::from(v))),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)?
            .map_or(Cell::Null, Cell::Real),
        Type::BYTEA => row
            .try_get::<_, Option<&[u8]>>(i)?
            .map_or(Cell::Null, Cell::Blob),
        _ => match row.try_get::<_, Option<&str>>(i) {
            Ok(v) => v.map_or(Cell::Null, Cell::Text),
            Err(_) => {
                return Err(StoreError::Corrupt(format!(
                    "column {i} has type `{ty}`, which the store does not read"
                )));
            }
        },
    })
}

/// `"name"` with embedded quotes doubled.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What the URL says beyond what the driver knows: `schema=NAME` (tables in that schema,
/// created if missing), `pool_size=N` (connections open at most) and
/// `pooler=transaction` (the server is reached through a transaction-pooling pooler).
#[derive(Debug, PartialEq, Eq)]
struct Params {
    schema: Option<String>,
    pool_size: usize,
    transaction_pooler: bool,
}

/// The URL without chainwatch's own parameters (which the driver does not know), and
/// those parameters.
fn split_params(url: &str) -> std::result::Result<(String, Params), String> {
    let mut params = Params {
        schema: None,
        pool_size: POOL_SIZE,
        transaction_pooler: false,
    };
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), params));
    };
    let mut rest = Vec::new();
    for kv in query.split('&') {
        if let Some(s) = kv.strip_prefix("schema=") {
            params.schema = Some(s.to_owned());
        } else if let Some(n) = kv.strip_prefix("pool_size=") {
            params.pool_size = n
                .parse()
                .ok()
                .filter(|n| (1..=POOL_SIZE_MAX).contains(n))
                .ok_or_else(|| {
                    format!("`pool_size={n}`: expected a number of connections from 1 to {POOL_SIZE_MAX}")
                })?;
        } else if let Some(mode) = kv.strip_prefix("pooler=") {
            params.transaction_pooler = match mode {
                "transaction" => true,
                "session" | "none" => false,
                _ => {
                    return Err(format!(
                        "`pooler={mode}`: expected `transaction` (PgBouncer's `pool_mode = transaction`), `session` or `none`"
                    ));
                }
            };
        } else {
            rest.push(kv);
        }
    }
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((url, params))
}

/// The URL with any password replaced, for messages.
fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

/// What the server said, not only "db error": its message, detail and hint.
pub(crate) fn describe(e: &postgres::Error) -> String {
    use std::fmt::Write as _;
    if let Some(db) = e.as_db_error() {
        let mut out = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            let _ = write!(out, " ({detail})");
        }
        if let Some(hint) = db.hint() {
            let _ = write!(out, "; {hint}");
        }
        return out;
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            let _ = write!(out, ": {text}");
        }
        source = s.source();
    }
    out
}

/// Whether the server could not be reached or is refusing work: the connection is
/// closed or failed, or the server says it is shutting down or out of connections.
pub(crate) fn unavailable(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        None => e.as_db_error().is_none(),
        Some(c) => {
            *c == SqlState::TOO_MANY_CONNECTIONS
                || *c == SqlState::CANNOT_CONNECT_NOW
                || *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || c.code().starts_with("08")
        }
    }
}

fn is_transient(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// Whether a migration failed because another process ran it at the same moment (it
/// created the table, or applied the migration, first): worth running again.
pub(crate) fn concurrent_migration(e: &StoreError) -> bool {
    match e {
        StoreError::Postgres(e) => {
            is_transient(e)
                || matches!(e.code(), Some(c) if *c == SqlState::UNIQUE_VIOLATION
                    || *c == SqlState::DUPLICATE_TABLE
                    || *c == SqlState::DUPLICATE_OBJECT)
        }
        _ => false,
    }
}

impl Pg {
    pub(crate) fn open(url: &str) -> Result<Pg> {
        let location = redact(url);
        let open_error = |message: String| StoreError::Open {
            location: location.clone(),
            message,
        };
        let (driver_url, params) = split_params(url).map_err(open_error)?;
        let config = Config::from_str(&driver_url).map_err(|e| open_error(e.to_string()))?;
        let pooled = params.transaction_pooler.then(|| {
            let mut setup = String::from("SET LOCAL jit = off");
            if let Some(schema) = &params.schema {
                setup.push_str("; SET LOCAL search_path TO ");
                setup.push_str(&quote_ident(schema));
            }
            Pooler {
                setup,
                types: Mutex::new(HashMap::new()),
            }
        });
        let pg = Pg {
            config,
            schema: params.schema,
            location,
            pooled,
            size: params.pool_size,
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        };
        // Connect once now, so a wrong URL fails here with a clear message.
        drop(pg.conn()?);
        Ok(pg)
    }

    fn connect(&self) -> Result<Client> {
        let mut client = self.config.connect(NoTls).map_err(|e| StoreError::Open {
            location: self.location.clone(),
            message: describe(&e),
        })?;
        // Queries here are short: compiling them (JIT) costs more than it saves. Prepared
        // statements are kept for their parsing and analysis, but planned for the values
        // at hand each time: a generic plan prices every package as the average one, and
        // for a package that thousands of inventories hold it is the wrong plan (who-has
        // p95 6.1 → 7.6 ms). Servers without these settings (PostgreSQL-compatible ones)
        // are fine without them.
        // Behind a transaction pooler, settings are made per transaction instead (and
        // unnamed statements are always planned for their values).
        if self.pooled.is_none() {
            let _ = client.batch_execute("SET jit = off");
            let _ = client.batch_execute("SET plan_cache_mode = force_custom_plan");
        }
        if let Some(schema) = &self.schema {
            let q = quote_ident(schema);
            if let Err(e) = client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {q}")) {
                // Another process creating it at the same moment is fine.
                if e.code() != Some(&SqlState::UNIQUE_VIOLATION) {
                    return Err(e.into());
                }
            }
            if self.pooled.is_none() {
                client.batch_execute(&format!("SET search_path TO {q}"))?;
            }
        }
        Ok(client)
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection, else a new one if fewer than `size` are open, else the
    /// first one returned within [`POOL_WAIT`].
    fn conn(&self) -> Result<Conn<'_>> {
        let deadline = Instant::now() + POOL_WAIT;
        let mut pool = self.lock();
        loop {
            while let Some(conn) = pool.idle.pop() {
                if !conn.client.is_closed() {
                    return Ok(Conn {
                        pool: self,
                        conn: Some(conn),
                    });
                }
                pool.open -= 1;
            }
            if pool.open < self.size {
                // Take the slot, and connect without holding the lock.
                pool.open += 1;
                drop(pool);
                return match self.connect() {
                    Ok(client) => Ok(Conn {
                        pool: self,
                        conn: Some(Pooled {
                            client,
                            statements: HashMap::new(),
                        }),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Busy {
                    location: self.location.clone(),
                    connections: self.size,
                    waited: POOL_WAIT,
                });
            }
            pool = self
                .freed
                .wait_timeout(pool, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Backend for Pg {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn location(&self) -> String {
        match &self.schema {
            Some(s) if !self.location.contains("schema=") => {
                format!("{} (schema {s})", self.location)
            }
            _ => self.location.clone(),
        }
    }

    fn read(&self, f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>) -> Result<()> {
        let mut conn = self.conn()?;
        let Pooled { client, statements } = conn.get()?;
        let Some(pooler) = &self.pooled else {
            return f(&mut Db::postgres(Session {
                client,
                statements: Statements::Prepared(statements),
            }));
        };
        // A transaction, so that its settings and statements stay on one server
        // connection of the pooler's.
        let mut tx = client.transaction()?;
        tx.batch_execute(&pooler.setup)?;
        f(&mut Db::postgres(Session {
            client: &mut tx,
            statements: Statements::Unnamed(&pooler.types),
        }))?;
        Ok(tx.commit()?)
    }

    fn write(&self, f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>) -> Result<()> {
        let mut conn = self.conn()?;
        let Pooled { client, statements } = conn.get()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut tx = client.transaction()?;
            let statements = match &self.pooled {
                Some(pooler) => {
                    tx.batch_execute(&pooler.setup)?;
                    Statements::Unnamed(&pooler.types)
                }
                None => Statements::Prepared(&mut *statements),
            };
            let result = f(&mut Db::postgres(Session {
                client: &mut tx,
                statements,
            }))
            .and_then(|()| Ok(tx.commit()?));
            match result {
                Err(StoreError::Postgres(e)) if is_transient(&e) && attempt < ATTEMPTS => {
                    std::thread::sleep(std::time::Duration::from_millis(5 << attempt));
                }
                other => return other,
            }
        }
    }

    fn write_if_idle(&self, f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>) -> Result<()> {
        self.write(f)
    }

    fn optimize(&self) -> Result<()> {
        // VACUUM too: it marks the new pages all-visible, which lets who-has read
        // occurrences from their index alone (a server with autovacuum would do it
        // later; until then every row costs a random heap read).
        // Names qualified by the schema: a VACUUM runs outside any transaction, where a
        // store behind a transaction pooler has no search path of its own.
        let tables = [
            "products",
            "product_versions",
            "documents",
            "packages",
            "occurrences",
        ]
        .map(|t| match &self.schema {
            Some(schema) => format!("{}.{t}", quote_ident(schema)),
            None => t.to_owned(),
        })
        .join(", ");
        self.conn()?
            .get()?
            .client
            .batch_execute(&format!("VACUUM (ANALYZE) {tables}"))?;
        Ok(())
    }

    fn checkpoint(&self) -> Result<()> {
        // The server's checkpointer writes its log back on its own schedule.
        Ok(())
    }

    fn engine_problems(&self) -> Result<Vec<String>> {
        // PostgreSQL enforces the declared foreign keys and its pages itself.
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            split_params("postgres://u@h/db?schema=t1&sslmode=disable&pool_size=4"),
            Ok((
                "postgres://u@h/db?sslmode=disable".into(),
                Params {
                    schema: Some("t1".into()),
                    pool_size: 4,
                    transaction_pooler: false,
                }
            ))
        );
        assert_eq!(
            split_params("postgres://u@h/db"),
            Ok((
                "postgres://u@h/db".into(),
                Params {
                    schema: None,
                    pool_size: POOL_SIZE,
                    transaction_pooler: false,
                }
            ))
        );
        assert!(
            split_params("postgres://u@h/db?pooler=transaction")
                .is_ok_and(|(url, p)| url == "postgres://u@h/db" && p.transaction_pooler)
        );
        assert!(split_params("postgres://u@h/db?pooler=statement").is_err());
        for bad in ["0", "-1", "x", "1025", ""] {
            assert!(split_params(&format!("postgres://u@h/db?pool_size={bad}")).is_err());
        }
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
