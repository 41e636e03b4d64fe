//! How the store talks to its databases. Every domain module writes its statements once,
//! in one placeholder convention (`$1`, `$2`, … as PostgreSQL writes them; SQLite binds
//! them by name), and runs them through a [`Db`]: a connection of either backend, inside a
//! read or a write that the [`Backend`] provides.
//!
//! What really differs between the engines lives in `sqlite.rs` and `postgres.rs` and
//! nowhere else: connections and pooling, binding values to each engine's types, reading
//! its cells, bulk loading (`COPY` against multi-row `INSERT`), transactions and their
//! retries, leadership locks, maintenance and the engine's own integrity checks. The SQL
//! fragments that differ (a table bound as one parameter, the insert verb) are methods of
//! [`Dialect`] below.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::fmt::Write as _;

use crate::{Result, StoreError};

/// The SQL dialects of the backends; the fragments that differ are methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One component of a document as stored: its occurrence, and the package it names.
/// Its text is [`clean`] (made so when prepared).
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentRow {
    /// The component's id in the document (`bom-ref`, `SPDXID`).
    pub bom_ref: String,
    pub name: String,
    pub version: Option<String>,
    /// The version of the package: the purl's, else the component's.
    pub package_version: Option<String>,
    /// The canonical purl, when the component has a valid one.
    pub purl: Option<String>,
    /// The canonical name identity of the purl.
    pub name_identity: Option<String>,
    pub kind: String,
    pub scope: Option<&'static str>,
    pub license: Option<String>,
    /// `ALG:hex` pairs separated by spaces.
    pub hashes: Option<String>,
    /// The file the component was found in, when the document says.
    pub source_file: Option<String>,
}

/// A value bound to a statement parameter.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
    /// Rows bound as a table ([`Dialect::table`]): only as the last parameter, as
    /// PostgreSQL binds one array per column from there on.
    Table(Table<'a>),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(v)
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(v)
    }
}

impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(v: &'a [u8]) -> Self {
        Value::Blob(v)
    }
}

impl<'a> From<&'a Vec<u8>> for Value<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl<'a> From<Table<'a>> for Value<'a> {
    fn from(v: Table<'a>) -> Self {
        Value::Table(v)
    }
}

impl<'a> From<&'a Option<String>> for Value<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().into()
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a statement: `args![a, b]` is `[Value::from(a), Value::from(b)]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        [$($crate::db::Value::from($v)),*]
    };
}
pub(crate) use args;

/// Rows bound as one parameter, column by column.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table<'a> {
    columns: Vec<(&'static str, Column<'a>)>,
}

#[derive(Debug, Clone)]
pub(crate) enum Column<'a> {
    Int(Vec<i64>),
    Real(Vec<Option<f64>>),
    Text(Vec<Option<&'a str>>),
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::Int(v) => v.len(),
            Column::Real(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }
}

impl<'a> Table<'a> {
    pub(crate) fn new() -> Self {
        Table::default()
    }

    pub(crate) fn int(mut self, name: &'static str, values: Vec<i64>) -> Self {
        self.columns.push((name, Column::Int(values)));
        self
    }

    pub(crate) fn real(mut self, name: &'static str, values: Vec<Option<f64>>) -> Self {
        self.columns.push((name, Column::Real(values)));
        self
    }

    pub(crate) fn text(self, name: &'static str, values: Vec<&'a str>) -> Self {
        self.opt_text(name, values.into_iter().map(Some).collect())
    }

    pub(crate) fn opt_text(mut self, name: &'static str, values: Vec<Option<&'a str>>) -> Self {
        self.columns.push((name, Column::Text(values)));
        self
    }

    pub(crate) fn columns(&self) -> &[(&'static str, Column<'a>)] {
        &self.columns
    }

    fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }

    /// The rows as JSON (SQLite reads a table parameter with `json_each`): one array
    /// per row, or the values themselves for a single column.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::from("[");
        let single = self.columns.len() == 1;
        for row in 0..self.rows() {
            if row > 0 {
                out.push(',');
            }
            if !single {
                out.push('[');
            }
            for (k, (_, column)) in self.columns.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                match column {
                    Column::Int(v) => {
                        let _ = write!(out, "{}", v.get(row).copied().unwrap_or_default());
                    }
                    // JSON has no NaN or infinities: they are stored as NULL.
                    Column::Real(v) => match v.get(row).copied().flatten() {
                        Some(x) if x.is_finite() => {
                            let _ = write!(out, "{x:?}");
                        }
                        _ => out.push_str("null"),
                    },
                    Column::Text(v) => match v.get(row).copied().flatten() {
                        Some(s) => json_string(&mut out, s),
                        None => out.push_str("null"),
                    },
                }
            }
            if !single {
                out.push(']');
            }
        }
        out.push(']');
        out
    }
}

/// Text as both engines store it: PostgreSQL's text cannot hold NUL, so every text
/// value has NUL replaced by U+FFFD on both backends (the same input, the same answer;
/// the stored document keeps its original bytes).
pub(crate) fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{fffd}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn json_string(out: &mut String, s: &str) {
    let s = clean(s);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Dialect {
    /// The rows of the table bound at `$param` as `alias(column, …)`, to join or select
    /// from. PostgreSQL binds one array per column (`$param`, `$param+1`, …) and
    /// `unnest`s them; SQLite binds the rows as one JSON array and reads it with
    /// `json_each`.
    pub(crate) fn table(self, param: usize, alias: &str, table: &Table<'_>) -> String {
        let columns = table.columns();
        match self {
            Dialect::Postgres => {
                let arrays: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(|(k, (_, c))| {
                        let ty = match c {
                            Column::Int(_) => "bigint",
                            Column::Real(_) => "float8",
                            Column::Text(_) => "text",
                        };
                        format!("${}::{ty}[]", param + k)
                    })
                    .collect();
                let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
                format!(
                    "unnest({}) AS {alias}({})",
                    arrays.join(", "),
                    names.join(", ")
                )
            }
            Dialect::Sqlite => {
                let selected: Vec<String> = if columns.len() == 1 {
                    vec![format!("value AS {}", columns[0].0)]
                } else {
                    columns
                        .iter()
                        .enumerate()
                        .map(|(k, (n, _))| format!("value ->> {k} AS {n}"))
                        .collect()
                };
                format!(
                    "(SELECT {} FROM json_each(${param})) AS {alias}",
                    selected.join(", ")
                )
            }
        }
    }

    /// The database's clock in microseconds since the epoch (leases compare times of
    /// one clock, whichever replica writes them): when the statement started, one value
    /// for all its rows, so that a condition on it can use an index (PostgreSQL plans a
    /// volatile `clock_timestamp()` as a filter on every row: the job queue's claims
    /// became scans of the whole table).
    pub(crate) fn now_micros(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CAST(unixepoch('subsec') * 1000000 AS INTEGER)",
            Dialect::Postgres => {
                "CAST(extract(epoch FROM statement_timestamp()) * 1000000 AS BIGINT)"
            }
        }
    }

    /// What a subquery that picks a row to claim ends with, so that concurrent claims
    /// pass over each other's rows (SQLite has one writer at a time).
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The collation that compares text bytewise (SQLite's default; PostgreSQL's `"C"`),
    /// for an order both backends give alike whatever the database's locale.
    pub(crate) fn bytewise(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " COLLATE \"C\"",
        }
    }
}

/// One cell of a result row, borrowed from the engine's row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'r> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'r str),
    Blob(&'r [u8]),
}

impl Cell<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Cell::Null => "NULL",
            Cell::Int(_) => "an integer",
            Cell::Real(_) => "a number",
            Cell::Text(_) => "text",
            Cell::Blob(_) => "bytes",
        }
    }
}

/// A Rust value read from a cell.
pub(crate) trait FromCell<'r>: Sized {
    const EXPECTED: &'static str;
    /// `None` when the cell holds another type.
    fn from_cell(cell: Cell<'r>) -> Option<Self>;
}

impl FromCell<'_> for i64 {
    const EXPECTED: &'static str = "an integer";
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Int(v) => Some(v),
            _ => None,
        }
    }
}

impl FromCell<'_> for u32 {
    const EXPECTED: &'static str = "an integer from 0 to 4,294,967,295";
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Int(v) => u32::try_from(v).ok(),
            _ => None,
        }
    }
}

/// Counts (never negative in the schema).
impl FromCell<'_> for u64 {
    const EXPECTED: &'static str = "a count";
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Int(v) => Some(u64::try_from(v).unwrap_or(0)),
            _ => None,
        }
    }
}

/// Flags are integers (0 or 1) in the schema; comparisons are booleans on PostgreSQL.
impl FromCell<'_> for bool {
    const EXPECTED: &'static str = "a flag";
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Int(v) => Some(v != 0),
            _ => None,
        }
    }
}

impl FromCell<'_> for f64 {
    const EXPECTED: &'static str = "a number";
    #[allow(clippy::cast_precision_loss)] // SQLite may store a whole number as an integer
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Real(v) => Some(v),
            Cell::Int(v) => Some(v as f64),
            _ => None,
        }
    }
}

impl FromCell<'_> for String {
    const EXPECTED: &'static str = "text";
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Text(v) => Some(v.to_owned()),
            _ => None,
        }
    }
}

impl<'r> FromCell<'r> for &'r str {
    const EXPECTED: &'static str = "text";
    fn from_cell(cell: Cell<'r>) -> Option<Self> {
        match cell {
            Cell::Text(v) => Some(v),
            _ => None,
        }
    }
}

impl FromCell<'_> for Vec<u8> {
    const EXPECTED: &'static str = "bytes";
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Blob(v) => Some(v.to_vec()),
            _ => None,
        }
    }
}

impl<'r> FromCell<'r> for &'r [u8] {
    const EXPECTED: &'static str = "bytes";
    fn from_cell(cell: Cell<'r>) -> Option<Self> {
        match cell {
            Cell::Blob(v) => Some(v),
            _ => None,
        }
    }
}

impl<'r, T: FromCell<'r>> FromCell<'r> for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn from_cell(cell: Cell<'r>) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// A result row of either engine.
#[derive(Clone, Copy)]
pub(crate) enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r ::postgres::Row),
}

impl<'r> Row<'r> {
    /// Column `i` (from 0) as a `T`.
    pub(crate) fn get<T: FromCell<'r>>(&self, i: usize) -> Result<T> {
        let cell = match self {
            Row::Sqlite(r) => sqlite::cell(r, i)?,
            Row::Postgres(r) => postgres::cell(r, i)?,
        };
        T::from_cell(cell).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "column {i} holds {}, not {}",
                cell.kind(),
                T::EXPECTED
            ))
        })
    }
}

/// Called with each statement the store runs and how long it took (`chainwatch -vv`).
pub type Trace = std::sync::Arc<dyn Fn(&str, std::time::Duration) + Send + Sync>;

/// A connection of either backend, inside a read or a write transaction.
pub(crate) struct Db<'c> {
    conn: Conn<'c>,
    pub(crate) trace: Option<Trace>,
}

enum Conn<'c> {
    Sqlite(&'c rusqlite::Connection),
    Postgres(postgres::Session<'c>),
}

impl std::fmt::Debug for Db<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.conn {
            Conn::Sqlite(_) => "Db::Sqlite",
            Conn::Postgres(_) => "Db::Postgres",
        })
    }
}

impl<'c> Db<'c> {
    pub(crate) fn sqlite(conn: &'c rusqlite::Connection) -> Db<'c> {
        Db {
            conn: Conn::Sqlite(conn),
            trace: None,
        }
    }

    pub(crate) fn postgres(session: postgres::Session<'c>) -> Db<'c> {
        Db {
            conn: Conn::Postgres(session),
            trace: None,
        }
    }
}

impl Db<'_> {
    pub(crate) fn dialect(&self) -> Dialect {
        match self.conn {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `run`, telling the trace (if any) how long `sql` took.
    fn traced<T>(&mut self, sql: &str, run: impl FnOnce(&mut Conn<'_>) -> Result<T>) -> Result<T> {
        let Some(trace) = self.trace.clone() else {
            return run(&mut self.conn);
        };
        let started = std::time::Instant::now();
        let result = run(&mut self.conn);
        trace(sql, started.elapsed());
        result
    }

    /// Runs `sql` and hands each row to `f` as it arrives.
    pub(crate) fn for_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        f: &mut dyn FnMut(Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.traced(sql, |conn| match conn {
            Conn::Sqlite(conn) => sqlite::for_each(conn, sql, params, f),
            Conn::Postgres(session) => session.for_each(sql, params, f),
        })
    }

    /// Every row of `sql`, each made by `f`.
    pub(crate) fn query<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        mut f: impl FnMut(Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.for_each(sql, params, &mut |row| {
            out.push(f(row)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of `sql`, if any.
    pub(crate) fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        mut f: impl FnMut(Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut out = None;
        self.for_each(sql, params, &mut |row| {
            if out.is_none() {
                out = Some(f(row)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of `sql`, which must have one.
    pub(crate) fn query_one<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        f: impl FnMut(Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, params, f)?
            .ok_or_else(|| StoreError::Corrupt(format!("no row for `{}`", first_line(sql))))
    }

    /// The first column of the one row of `sql`.
    pub(crate) fn value<T: for<'r> FromCell<'r>>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
    ) -> Result<T> {
        self.query_one(sql, params, |r| r.get(0))
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64> {
        self.traced(sql, |conn| match conn {
            Conn::Sqlite(conn) => sqlite::execute(conn, sql, params),
            Conn::Postgres(session) => session.execute(sql, params),
        })
    }

    /// Runs statements separated by `;`, without parameters (schema changes).
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        self.traced(sql, |conn| match conn {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(session) => session.batch(sql),
        })
    }

    /// Inserts packages (purl, name identity, version; sorted by purl) unless their purl
    /// is stored, handing `f` the position in `rows` and the id of each one inserted.
    /// The engines' fastest ways differ: PostgreSQL binds one array per column; SQLite
    /// runs multi-row `INSERT`s, twice as fast as binding a JSON table, whose every row
    /// is parsed again for each column.
    pub(crate) fn insert_packages(
        &mut self,
        rows: &[(&str, &str, Option<&str>)],
        f: &mut dyn FnMut(usize, i64) -> Result<()>,
    ) -> Result<()> {
        self.traced("INSERT INTO packages", |conn| match conn {
            Conn::Sqlite(conn) => sqlite::insert_packages(conn, rows, f),
            Conn::Postgres(session) => {
                let table = Table::new()
                    .text("purl", rows.iter().map(|m| m.0).collect())
                    .text("name", rows.iter().map(|m| m.1).collect())
                    .opt_text("version", rows.iter().map(|m| m.2).collect());
                let sql = format!(
                    "INSERT INTO packages (purl, name, version)
                     SELECT t.purl, t.name, t.version FROM {}
                     ORDER BY t.purl ON CONFLICT (purl) DO NOTHING RETURNING id, purl",
                    Dialect::Postgres.table(1, "t", &table)
                );
                // What was inserted comes back by purl (a conflict skips a row).
                session.for_each(&sql, &[table.into()], &mut |r| {
                    let purl: String = r.get(1)?;
                    match rows.binary_search_by(|m| m.0.cmp(purl.as_str())) {
                        Ok(k) => f(k, r.get(0)?),
                        Err(_) => Err(StoreError::Corrupt(format!(
                            "an inserted package `{purl}` was not asked for"
                        ))),
                    }
                })
            }
        })
    }

    /// Inserts policy violations (sorted by product version, rule and component,
    /// bytewise; none of them stored), first and last seen `now`, handing `f` the
    /// position in `rows` and the id of each one inserted. As for packages, SQLite runs
    /// multi-row `INSERT`s with the ids it would give; PostgreSQL binds one array per
    /// column.
    pub(crate) fn insert_violations(
        &mut self,
        rows: &[ViolationRow<'_>],
        now: i64,
        f: &mut dyn FnMut(usize, i64) -> Result<()>,
    ) -> Result<()> {
        self.traced("INSERT INTO policy_violations", |conn| match conn {
            Conn::Sqlite(conn) => sqlite::insert_violations(conn, rows, now, f),
            Conn::Postgres(session) => {
                let table = Table::new()
                    .int("pv", rows.iter().map(|r| r.version).collect())
                    .int("rank", rows.iter().map(|r| r.rank).collect())
                    .text("rule", rows.iter().map(|r| r.rule).collect())
                    .text("component", rows.iter().map(|r| r.component).collect())
                    .text("level", rows.iter().map(|r| r.level).collect())
                    .opt_text("advisory", rows.iter().map(|r| r.advisory).collect())
                    .text("reason", rows.iter().map(|r| r.reason).collect());
                let sql = format!(
                    "INSERT INTO policy_violations
                         (product_version_id, rank, rule, component, level, advisory, reason,
                          first_seen, last_seen)
                     SELECT t.pv, t.rank, t.rule, t.component, t.level, t.advisory, t.reason,
                         $1, $1
                     FROM {} ON CONFLICT DO NOTHING
                     RETURNING id, product_version_id, rule, component",
                    Dialect::Postgres.table(2, "t", &table)
                );
                // What was inserted comes back by key (a conflict skips a row).
                session.for_each(&sql, &[now.into(), table.into()], &mut |r| {
                    let key: (i64, &str, &str) = (r.get(1)?, r.get(2)?, r.get(3)?);
                    match rows.binary_search_by(|m| (m.version, m.rule, m.component).cmp(&key)) {
                        Ok(k) => f(k, r.get(0)?),
                        Err(_) => Err(StoreError::Corrupt(format!(
                            "an inserted violation of `{}` on `{}` was not asked for",
                            key.1, key.2
                        ))),
                    }
                })
            }
        })
    }

    /// Writes a document's components (`ids`: each one's package id) in bulk: the
    /// engines' fastest ways differ (binary `COPY` on PostgreSQL, multi-row `INSERT`s
    /// on SQLite).
    pub(crate) fn insert_occurrences(
        &mut self,
        document: i64,
        rows: &[ComponentRow],
        ids: &[Option<i64>],
    ) -> Result<()> {
        self.traced("COPY occurrences", |conn| match conn {
            Conn::Sqlite(conn) => sqlite::insert_occurrences(conn, document, rows, ids),
            Conn::Postgres(session) => session.insert_occurrences(document, rows, ids),
        })
    }
}

/// A policy violation to insert (see [`Db::insert_violations`]).
pub(crate) struct ViolationRow<'a> {
    pub version: i64,
    pub rank: i64,
    pub rule: &'a str,
    pub component: &'a str,
    pub level: &'a str,
    pub advisory: Option<&'a str>,
    pub reason: &'a str,
}

fn first_line(sql: &str) -> &str {
    sql.trim().lines().next().unwrap_or_default()
}

/// What each backend provides. Everything else (every query of every domain) is written
/// once on top of [`Db`]; each method here exists because the engines really differ.
pub(crate) trait Backend: Send + Sync {
    fn dialect(&self) -> Dialect;

    /// Where the store is (a path, or the URL without its password).
    fn location(&self) -> String;

    /// Runs `f` on a connection that sees what is committed, outside a write
    /// transaction (SQLite: a reading connection that never waits for the writer;
    /// PostgreSQL: a pooled connection).
    fn read(&self, f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>) -> Result<()>;

    /// Runs `f` in one write transaction and commits it; an error rolls it back.
    /// PostgreSQL runs `f` again after a serialization failure or a deadlock, so `f`
    /// must start from scratch each time.
    fn write(&self, f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>) -> Result<()>;

    /// [`Backend::write`] when it need not wait: SQLite skips it while this process
    /// writes (for caches, which the next computation stores anyway).
    fn write_if_idle(&self, f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>) -> Result<()>;

    /// Refreshes the planner's statistics after bulk loads.
    fn optimize(&self) -> Result<()>;

    /// Copies what the write-ahead log holds into the database now instead of when the
    /// store closes (SQLite; PostgreSQL's own checkpointer does it).
    fn checkpoint(&self) -> Result<()>;

    /// The engine's own integrity problems (SQLite: `integrity_check`, declared
    /// foreign keys; PostgreSQL enforces both itself).
    fn engine_problems(&self) -> Result<Vec<String>>;
}

/// [`Backend::read`] returning a value.
pub(crate) fn read<T>(
    backend: &dyn Backend,
    f: impl FnOnce(&mut Db<'_>) -> Result<T>,
) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    backend.read(&mut |db| {
        if let Some(f) = f.take() {
            out = Some(f(db)?);
        }
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Corrupt("a read did not run".into()))
}

/// [`Backend::write`] returning a value.
pub(crate) fn write<T>(
    backend: &dyn Backend,
    mut f: impl FnMut(&mut Db<'_>) -> Result<T>,
) -> Result<T> {
    let mut out = None;
    backend.write(&mut |db| {
        out = Some(f(db)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Corrupt("a write did not run".into()))
}
