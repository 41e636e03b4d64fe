//! The embedded backend: one SQLite file (WAL, foreign keys, busy timeout). Writers
//! take the write lock up front (`BEGIN IMMEDIATE`), so concurrent processes queue
//! instead of failing, and a killed process leaves only a rolled-back transaction. A
//! second connection reads beside the writer (WAL lets it see what is committed while a
//! write transaction is open).

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use rusqlite::types::{Null, ValueRef};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::{Backend, Cell, ComponentRow, Db, Dialect, Row, Value};
use crate::{Result, StoreError};

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_mins(2);

/// WAL pages after which a commit checkpoints (1 GiB of a new store's 16 KiB pages,
/// 256 MiB of an older store's 4 KiB ones): bulk ingests modify the same
/// index pages commit after commit, and a larger WAL lets one checkpoint write each of
/// them once instead of once per commit.
const WAL_AUTOCHECKPOINT: i64 = 65_536;
/// What the WAL is truncated to after a checkpoint, so a quiet store does not keep a
/// large file.
const WAL_SIZE_LIMIT: i64 = 64 << 20;

pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
    /// The reading connections (none for an in-memory store, which has one connection):
    /// WAL lets them read at once, so one long read (a whole-portfolio summary) does not
    /// hold up the others.
    readers: Vec<Mutex<Connection>>,
    /// The next reader to wait for when all are busy.
    next_reader: std::sync::atomic::AtomicUsize,
    location: String,
}

/// Reading connections of a file store.
const READERS: usize = 4;

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Sqlite {
    pub(crate) fn open(path: &Path) -> Result<Sqlite> {
        let location = path.display().to_string();
        let open_error = |e: &dyn std::fmt::Display| StoreError::Open {
            location: location.clone(),
            message: e.to_string(),
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(open_error(&format!(
                "the directory `{}` does not exist",
                parent.display()
            )));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(&e))?;
        let mut store = Self::configure(conn, location.clone())?;
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            reader.busy_timeout(BUSY_TIMEOUT)?;
            reader.pragma_update(None, "foreign_keys", "ON")?;
            reader.pragma_update(None, "cache_size", -32_768)?;
            reader.set_prepared_statement_cache_capacity(64);
            store.readers.push(Mutex::new(reader));
        }
        Ok(store)
    }

    pub(crate) fn open_in_memory() -> Result<Sqlite> {
        Self::configure(Connection::open_in_memory()?, ":memory:".into())
    }

    fn configure(conn: Connection, location: String) -> Result<Sqlite> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: readers never block the writer; NORMAL sync is durable across process
        // crashes (only an OS crash can lose the last commits, never corrupt).
        // 16 KiB pages for new stores (an existing store keeps its own): a bulk load
        // writes a quarter as many pages to the WAL (one 500,000-component SBOM: the
        // write 4.1 → 3.4 s).
        conn.pragma_update(None, "page_size", 16_384)?;
        set_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT)?;
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Sqlite {
            conn: Mutex::new(conn),
            readers: Vec::new(),
            next_reader: std::sync::atomic::AtomicUsize::new(0),
            location,
        })
    }

    /// A free reading connection, else (all busy) one of them in turn.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return lock(&self.conn);
        }
        for r in &self.readers {
            match r.try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let i = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.readers.len();
        lock(&self.readers[i])
    }
}

/// Puts the database in WAL mode and reads its schema once. A connection's first touch
/// of the file is where SQLite answers `database is locked` at once, without a busy
/// wait: the WAL change reads the header before it takes the write lock (refused while
/// another process creates or converts the same file), and a first read can meet the
/// last connection of another process cleaning up its WAL. So it is retried here, for
/// as long as a writer would wait; afterwards the connection holds its shared lock and
/// the busy timeout covers the rest.
fn set_wal(conn: &Connection) -> Result<()> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        let mode = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .and_then(|mode| {
                conn.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|_| mode)
            });
        match mode {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => {
                other?;
                return Ok(());
            }
        }
    }
}

fn in_transaction(
    conn: &mut Connection,
    f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>,
) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    f(&mut Db::sqlite(&tx))?;
    tx.commit()?;
    Ok(())
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn location(&self) -> String {
        self.location.clone()
    }

    fn read(&self, f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>) -> Result<()> {
        f(&mut Db::sqlite(&self.reader()))
    }

    fn write(&self, f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>) -> Result<()> {
        in_transaction(&mut lock(&self.conn), f)
    }

    fn write_if_idle(&self, f: &mut dyn FnMut(&mut Db<'_>) -> Result<()>) -> Result<()> {
        let mut conn = match self.conn.try_lock() {
            Ok(conn) => conn,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Ok(()),
        };
        in_transaction(&mut conn, f)
    }

    fn optimize(&self) -> Result<()> {
        // In a transaction that holds the write lock from its start: run alone, the
        // pragma reads before its ANALYZE writes, and SQLite refuses that upgrade at
        // once (no busy wait) while another process writes.
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002")?;
        tx.commit()?;
        Ok(())
    }

    fn checkpoint(&self) -> Result<()> {
        // Passive: a reader's snapshot keeps what it needs in the log, nobody waits.
        let conn = lock(&self.conn);
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn engine_problems(&self) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut problems = Vec::new();
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                problems.push(format!("sqlite integrity: {row}"));
            }
        }
        let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
        for row in stmt.query_map([], |r| {
            Ok(format!(
                "foreign key: a row of `{}` refers to a missing `{}`",
                r.get::<_, String>(0)?,
                r.get::<_, String>(2)?
            ))
        })? {
            problems.push(row?);
        }
        Ok(problems)
    }
}

/// Parameter names as the SQL writes them (`$1` is parameter 1).
const NAMES: [&str; 16] = [
    "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
    "$16",
];

/// Binds `params` to `$1`, `$2`, … by name: SQLite reads `$1` as a named parameter and
/// numbers names in order of appearance, which need not be theirs.
fn bind(stmt: &mut rusqlite::Statement<'_>, params: &[Value<'_>]) -> Result<()> {
    if stmt.parameter_count() != params.len() {
        return Err(StoreError::Corrupt(format!(
            "a statement has {} parameters, {} given",
            stmt.parameter_count(),
            params.len()
        )));
    }
    for (k, value) in params.iter().enumerate() {
        let owned;
        let name = if let Some(n) = NAMES.get(k) {
            *n
        } else {
            owned = format!("${}", k + 1);
            owned.as_str()
        };
        let index = stmt.parameter_index(name)?.ok_or_else(|| {
            StoreError::Corrupt(format!("a statement does not use parameter `{name}`"))
        })?;
        match value {
            Value::Null => stmt.raw_bind_parameter(index, Null)?,
            Value::Int(v) => stmt.raw_bind_parameter(index, v)?,
            Value::Real(v) => stmt.raw_bind_parameter(index, v)?,
            Value::Text(v) => stmt.raw_bind_parameter(index, super::clean(v))?,
            Value::Blob(v) => stmt.raw_bind_parameter(index, v)?,
            Value::Table(t) => stmt.raw_bind_parameter(index, t.to_json())?,
        }
    }
    Ok(())
}

pub(super) fn cell<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Cell<'r>> {
    Ok(match row.get_ref(i)? {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(v) => Cell::Int(v),
        ValueRef::Real(v) => Cell::Real(v),
        ValueRef::Text(v) => Cell::Text(
            std::str::from_utf8(v).map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))?,
        ),
        ValueRef::Blob(v) => Cell::Blob(v),
    })
}

pub(super) fn for_each(
    conn: &Connection,
    sql: &str,
    params: &[Value<'_>],
    f: &mut dyn FnMut(Row<'_>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        f(Row::Sqlite(row))?;
    }
    Ok(())
}

pub(super) fn execute(conn: &Connection, sql: &str, params: &[Value<'_>]) -> Result<u64> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    Ok(crate::to_u64(crate::int(stmt.raw_execute()?)))
}

/// Package rows per `INSERT` (4 parameters each).
const PACKAGES_PER_STATEMENT: usize = 128;

/// `INSERT OR FAIL INTO TABLE (COLUMNS) VALUES (?,…), (?,…)…` for `n` rows: a failing
/// multi-row insert fails the transaction anyway, and without `ABORT` SQLite keeps no
/// statement journal (a copy of every index page the statement touches).
fn multi_row_insert(table: &str, columns: &[&str], n: usize) -> String {
    let row = format!("({})", vec!["?"; columns.len()].join(","));
    format!(
        "INSERT OR FAIL INTO {table} ({}) VALUES {}",
        columns.join(", "),
        vec![row; n].join(",")
    )
}

const PACKAGE_COLUMNS: &[&str] = &["id", "purl", "name", "version"];

/// The write transaction excludes every other writer, and the caller has just looked
/// the packages up in it: none is stored, so each gets the id SQLite would give it and
/// is inserted without the conflict check and `RETURNING` (which cost more than the
/// insert). Should one be stored after all, `OR FAIL` fails the transaction.
pub(super) fn insert_packages(
    conn: &Connection,
    rows: &[(&str, &str, Option<&str>)],
    f: &mut dyn FnMut(usize, i64) -> Result<()>,
) -> Result<()> {
    let bind =
        |stmt: &mut rusqlite::CachedStatement<'_>, i: usize, row: &(&str, &str, Option<&str>)| {
            let (purl, name, version) = row;
            stmt.raw_bind_parameter(i, purl)?;
            stmt.raw_bind_parameter(i + 1, name)?;
            stmt.raw_bind_parameter(i + 2, version)?;
            Ok(())
        };
    insert_numbered(
        conn,
        "packages",
        PACKAGE_COLUMNS,
        PACKAGES_PER_STATEMENT,
        rows,
        bind,
        f,
    )
}

/// Inserts `rows` in multi-row statements of `per_statement`, each with the id SQLite
/// would give it (the first column), `bind` binding the others from the parameter
/// given; hands `f` each row's position and id.
fn insert_numbered<T>(
    conn: &Connection,
    table: &str,
    columns: &[&str],
    per_statement: usize,
    rows: &[T],
    bind: impl Fn(&mut rusqlite::CachedStatement<'_>, usize, &T) -> rusqlite::Result<()>,
    f: &mut dyn FnMut(usize, i64) -> Result<()>,
) -> Result<()> {
    let mut next: i64 = conn.query_row(
        &format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"),
        [],
        |r| r.get(0),
    )?;
    for (c, chunk) in rows.chunks(per_statement).enumerate() {
        let mut stmt = conn.prepare_cached(&multi_row_insert(table, columns, chunk.len()))?;
        for (k, row) in chunk.iter().enumerate() {
            let i = columns.len() * k + 1;
            stmt.raw_bind_parameter(i, next + crate::int(k))?;
            bind(&mut stmt, i + 1, row)?;
        }
        stmt.raw_execute()?;
        for k in 0..chunk.len() {
            f(c * per_statement + k, next)?;
            next += 1;
        }
    }
    Ok(())
}

/// Violation rows per `INSERT` (10 parameters each).
const VIOLATIONS_PER_STATEMENT: usize = 64;

const VIOLATION_COLUMNS: &[&str] = &[
    "id",
    "product_version_id",
    "rank",
    "rule",
    "component",
    "level",
    "advisory",
    "reason",
    "first_seen",
    "last_seen",
];

/// As [`insert_packages`]: the caller compared with what is stored in this write
/// transaction, so each row gets the id SQLite would give it, and `OR FAIL` fails the
/// transaction should one be stored after all.
pub(super) fn insert_violations(
    conn: &Connection,
    rows: &[super::ViolationRow<'_>],
    now: i64,
    f: &mut dyn FnMut(usize, i64) -> Result<()>,
) -> Result<()> {
    let bind =
        |stmt: &mut rusqlite::CachedStatement<'_>, i: usize, row: &super::ViolationRow<'_>| {
            stmt.raw_bind_parameter(i, row.version)?;
            stmt.raw_bind_parameter(i + 1, row.rank)?;
            stmt.raw_bind_parameter(i + 2, row.rule)?;
            stmt.raw_bind_parameter(i + 3, row.component)?;
            stmt.raw_bind_parameter(i + 4, row.level)?;
            stmt.raw_bind_parameter(i + 5, row.advisory)?;
            stmt.raw_bind_parameter(i + 6, row.reason)?;
            stmt.raw_bind_parameter(i + 7, now)?;
            stmt.raw_bind_parameter(i + 8, now)?;
            Ok(())
        };
    insert_numbered(
        conn,
        "policy_violations",
        VIOLATION_COLUMNS,
        VIOLATIONS_PER_STATEMENT,
        rows,
        bind,
        f,
    )
}

/// Occurrence rows per `INSERT` (11 parameters each, well below SQLite's limit).
const OCCURRENCES_PER_STATEMENT: usize = 64;

const OCCURRENCE_COLUMNS: &[&str] = &[
    "document_id",
    "ordinal",
    "package_id",
    "bom_ref",
    "name",
    "version",
    "kind",
    "scope",
    "license",
    "hashes",
    "source_file",
];

/// Many rows per statement: the per-statement work (binding aside) is shared.
pub(super) fn insert_occurrences(
    conn: &Connection,
    document: i64,
    rows: &[ComponentRow],
    ids: &[Option<i64>],
) -> Result<()> {
    let mut start = 0;
    while start < rows.len() {
        let n = (rows.len() - start).min(OCCURRENCES_PER_STATEMENT);
        let mut stmt =
            conn.prepare_cached(&multi_row_insert("occurrences", OCCURRENCE_COLUMNS, n))?;
        let mut i = 1;
        for (ordinal, row) in rows.iter().enumerate().skip(start).take(n) {
            stmt.raw_bind_parameter(i, document)?;
            stmt.raw_bind_parameter(i + 1, crate::int(ordinal))?;
            stmt.raw_bind_parameter(i + 2, ids.get(ordinal).copied().flatten())?;
            stmt.raw_bind_parameter(i + 3, &row.bom_ref)?;
            stmt.raw_bind_parameter(i + 4, &row.name)?;
            stmt.raw_bind_parameter(i + 5, &row.version)?;
            stmt.raw_bind_parameter(i + 6, &row.kind)?;
            stmt.raw_bind_parameter(i + 7, row.scope)?;
            stmt.raw_bind_parameter(i + 8, &row.license)?;
            stmt.raw_bind_parameter(i + 9, &row.hashes)?;
            stmt.raw_bind_parameter(i + 10, &row.source_file)?;
            i += 11;
        }
        stmt.raw_execute()?;
        start += n;
    }
    Ok(())
}
