//! Keeping the store's advisories current from an OSV mirror: what `advisories update`
//! and the server's monitoring job run. Each ecosystem is brought up to date on its own:
//! the records changed since the last update (OSV's `modified_id.csv`), or the whole
//! archive when there was none or too much changed. Where each ecosystem left off is
//! kept in the store (`advisory_sources`), also after a failure.

use std::path::Path;

use chainwatch_advisory::Record;
use chainwatch_advisory::feed::{Feed, FeedError};
use serde::Serialize;

use crate::{AdvisoryImport, MatchReport, Store, StoreError};

/// Above this many changed records, the whole archive is cheaper than one request each.
const INCREMENTAL_LIMIT: usize = 10_000;
/// Records written per transaction.
const BATCH: usize = 2000;
/// Problems of an archive's files kept in a report (the rest are counted).
const WARNINGS: usize = 10;

/// What to update.
#[derive(Debug, Clone, Copy)]
pub struct UpdateOptions<'a> {
    /// The OSV mirror's base URL.
    pub mirror: &'a str,
    /// OSV ecosystems (`PyPI`, `Debian:12`); empty: those of the portfolio's packages.
    pub ecosystems: &'a [String],
    /// Where downloaded archives wait until imported.
    pub cache: &'a Path,
    /// The whole archive of every ecosystem, whatever changed.
    pub force_full: bool,
}

/// What the update of one ecosystem did.
#[derive(Debug, Clone, Serialize)]
pub struct EcosystemReport {
    pub ecosystem: String,
    /// `full` (the archive) or `incremental` (changed records).
    pub mode: &'static str,
    pub records: u64,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The newest `modified` imported so far: where the next update starts.
    pub last_modified: Option<String>,
    pub error: Option<String>,
    /// Files of the archive that are not OSV records (the first few).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Why an update could not run, or (for [`Store::monitor`]) failed everywhere.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    #[error("invalid mirror: {0}")]
    Mirror(FeedError),
    #[error(
        "the portfolio has no packages to take ecosystems from: name them with `--ecosystem` (PyPI, npm, crates.io, Go, Maven, Debian, …)"
    )]
    NoEcosystems,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Some ecosystems failed and nothing changed.
    #[error("{0}")]
    Failed(String),
}

impl UpdateError {
    /// Whether the caller's input is at fault (the mirror's URL, the ecosystems).
    pub fn is_input(&self) -> bool {
        match self {
            UpdateError::Mirror(_) | UpdateError::NoEcosystems => true,
            UpdateError::Store(e) => e.is_input(),
            UpdateError::Failed(_) => false,
        }
    }
}

/// Why one ecosystem's update failed.
#[derive(Debug, thiserror::Error)]
enum EcosystemError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{ecosystem}/{id}.json from the mirror is not OSV: {message}")]
    NotOsv {
        ecosystem: String,
        id: String,
        message: String,
    },
}

/// How far a download got: its label (`PyPI/all.zip`), bytes so far and the total when
/// known.
pub type UpdateProgress<'a> = &'a mut dyn FnMut(&str, u64, Option<u64>);

/// Imports records in batches, tracking the newest `modified`.
struct Importer<'a> {
    store: &'a Store,
    total: AdvisoryImport,
    records: u64,
    newest: Option<(chainwatch_version::Version, String)>,
}

impl Importer<'_> {
    fn add(&mut self, batch: &[Record]) -> Result<(), StoreError> {
        let r = self.store.import_advisories(batch)?;
        self.total.added += r.added;
        self.total.updated += r.updated;
        self.total.unchanged += r.unchanged;
        self.records += batch.len() as u64;
        for m in batch.iter().filter_map(|r| r.modified.as_deref()) {
            if let Ok(v) =
                chainwatch_version::Version::parse(chainwatch_version::Scheme::Datetime, m)
                && self.newest.as_ref().is_none_or(|(n, _)| v > *n)
            {
                self.newest = Some((v, m.to_owned()));
            }
        }
        Ok(())
    }

    /// The whole archive of `ecosystem`.
    fn full(
        &mut self,
        feed: &Feed,
        ecosystem: &str,
        cache: &Path,
        progress: UpdateProgress<'_>,
        warnings: &mut Vec<String>,
    ) -> Result<(), EcosystemError> {
        let dir = cache.join(ecosystem.replace(['/', '\\', ':'], "_"));
        let label = format!("{ecosystem}/all.zip");
        let archive = feed.archive(ecosystem, &dir, &mut |done, total| {
            progress(&label, done, total);
        })?;
        let mut failure = None;
        let loaded = chainwatch_advisory::load::load_paths_batched(
            std::slice::from_ref(&archive),
            BATCH,
            |batch| {
                if failure.is_none()
                    && let Err(e) = self.add(&batch)
                {
                    failure = Some(e);
                }
            },
        );
        if let Some(e) = failure {
            return Err(e.into());
        }
        warnings.extend(
            loaded
                .problems
                .iter()
                .take(WARNINGS)
                .map(|p| format!("{}: {}", p.path.display(), p.message)),
        );
        // Imported: the archive has served its purpose.
        let _ = std::fs::remove_file(&archive);
        Ok(())
    }

    /// The records listed as changed.
    fn incremental(
        &mut self,
        feed: &Feed,
        ecosystem: &str,
        changed: &[(String, String)],
    ) -> Result<(), EcosystemError> {
        let mut batch = Vec::new();
        for (_, id) in changed {
            // A record listed but gone (withdrawn and deleted) is simply skipped.
            let Some(bytes) = feed.record(ecosystem, id)? else {
                continue;
            };
            match chainwatch_advisory::load::parse(&bytes, false) {
                Ok(records) => batch.extend(records),
                Err((_, message)) => {
                    return Err(EcosystemError::NotOsv {
                        ecosystem: ecosystem.to_owned(),
                        id: id.clone(),
                        message,
                    });
                }
            }
            if batch.len() >= BATCH {
                self.add(&batch)?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            self.add(&batch)?;
        }
        Ok(())
    }
}

impl Store {
    /// Updates the advisories of the ecosystems asked for (by default those of the
    /// portfolio's packages) from an OSV mirror. One ecosystem's failure is in its
    /// report and does not stop the others. Matching is left to the caller.
    pub fn update_advisories(
        &self,
        options: &UpdateOptions<'_>,
        progress: UpdateProgress<'_>,
    ) -> Result<Vec<EcosystemReport>, UpdateError> {
        let feed = Feed::new(options.mirror).map_err(UpdateError::Mirror)?;
        let ecosystems = if options.ecosystems.is_empty() {
            // Packages ingested before any advisory existed are not matched yet:
            // matching (against nothing, so cheap) records their ecosystems.
            self.rematch()?;
            self.package_ecosystems()?
        } else {
            options.ecosystems.to_vec()
        };
        if ecosystems.is_empty() {
            return Err(UpdateError::NoEcosystems);
        }
        let mut reports = Vec::new();
        for ecosystem in &ecosystems {
            let source = format!("osv:{ecosystem}");
            let since = self.source_state(&source)?.and_then(|(m, _)| m);
            let mut importer = Importer {
                store: self,
                total: AdvisoryImport::default(),
                records: 0,
                newest: None,
            };
            let mut mode = "full";
            let mut warnings = Vec::new();
            let result = (|| {
                let plan = match (&since, options.force_full) {
                    (Some(since), false) => feed.modified_since(ecosystem, Some(since))?,
                    _ => None,
                };
                match plan {
                    Some(changed) if changed.len() <= INCREMENTAL_LIMIT => {
                        mode = "incremental";
                        importer.incremental(&feed, ecosystem, &changed)
                    }
                    _ => importer.full(&feed, ecosystem, options.cache, progress, &mut warnings),
                }
            })();
            // Where this update got to is kept even after a failure: what was imported
            // is in the store, and an incremental run from an older point is harmless.
            let newest = importer
                .newest
                .as_ref()
                .map(|(_, m)| m.clone())
                .or(since.clone());
            if result.is_ok() || importer.records > 0 {
                let keep = if result.is_ok() {
                    newest.as_deref()
                } else {
                    since.as_deref()
                };
                self.set_source_state(&source, keep)?;
            }
            reports.push(EcosystemReport {
                ecosystem: ecosystem.clone(),
                mode,
                records: importer.records,
                added: importer.total.added,
                updated: importer.total.updated,
                unchanged: importer.total.unchanged,
                last_modified: newest,
                error: result.err().map(|e| e.to_string()),
                warnings,
            });
        }
        Ok(reports)
    }

    /// The monitoring job: the advisory update, then a match of what changed. An error
    /// when the update could not run, or an ecosystem failed and nothing changed.
    /// Each run is recorded ([`Store::monitor_runs`]).
    pub fn monitor(&self, options: &UpdateOptions<'_>) -> Result<MatchReport, UpdateError> {
        let run = self.monitor_started()?;
        let result = self.monitor_once(options);
        let error = result.as_ref().err().map(ToString::to_string);
        let changed = match (&result, error.as_deref()) {
            (Ok(r), _) => Ok((r.new.len(), r.resolved.len())),
            (Err(_), e) => Err(e.unwrap_or_default()),
        };
        self.monitor_finished(run, changed)?;
        result
    }

    fn monitor_once(&self, options: &UpdateOptions<'_>) -> Result<MatchReport, UpdateError> {
        let reports = self.update_advisories(options, &mut |_, _, _| {})?;
        let errors: Vec<String> = reports
            .iter()
            .filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.ecosystem)))
            .collect();
        let report = self.rematch()?;
        if errors.is_empty() || !report.new.is_empty() || !report.resolved.is_empty() {
            Ok(report)
        } else {
            Err(UpdateError::Failed(errors.join("; ")))
        }
    }
}
