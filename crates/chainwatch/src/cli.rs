//! Command-line definitions (clap). The help texts are the manual: keep them complete.

use std::path::PathBuf;

use chainwatch_store::ProductRef;
use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit status:
  0  success, nothing at or above the failure threshold
  1  findings at or above the failure threshold
  2  unusable input or wrong usage
  3  chainwatch itself failed (I/O, database)

Environment:
  CHAINWATCH_DB                  store URL, as --db
  CHAINWATCH_SERVER              server URL, as --server
  CHAINWATCH_TOKEN               API token for --server, as --token
  CHAINWATCH_CACHE               download cache of `advisories update` (and the server's)
  CHAINWATCH_OSV_MIRROR          OSV mirror of `advisories update` and `serve --update-every`
  CHAINWATCH_POPULAR_MIRROR      mirror of the popular-package lists of `typosquat refresh`
  CHAINWATCH_CONFIG              `serve` configuration file, as --config
  CHAINWATCH_LISTEN              `serve` address, as --listen
  CHAINWATCH_MAX_UPLOAD          `serve` upload limit in MiB, as --max-upload
  CHAINWATCH_ASYNC_UPLOAD_ABOVE  `serve` uploads above this many MiB are jobs, as --async-upload-above
  CHAINWATCH_TIMEOUT             `serve` request time limit in seconds, as --timeout
  CHAINWATCH_RATE_LIMIT          `serve` requests per token and minute, as --rate-limit
  CHAINWATCH_UPDATE_EVERY        `serve` monitoring interval, as --update-every
  CHAINWATCH_WORKERS             `serve` and `worker` job threads, as --workers
  CHAINWATCH_JOB_LEASE           `serve` and `worker` claim on a job in seconds, as --job-lease
  CHAINWATCH_WEBHOOK_SECRET      `serve` webhook signing secret, as --webhook-secret
  CHAINWATCH_TLS_CERT            `serve` TLS certificate, as --tls-cert
  CHAINWATCH_TLS_KEY             `serve` TLS private key, as --tls-key
  CHAINWATCH_CORPUS              shared test corpus (tests only)
  NO_COLOR                       disable colour, as --color never";

/// Know what you run, what in it is vulnerable or malicious, where it is, and how it got
/// there.
///
/// chainwatch reads and writes SBOMs, keeps a portfolio of products and their
/// dependencies, matches them against advisories and catches supply-chain attacks.
#[derive(Debug, Parser)]
#[command(name = "chainwatch", version, propagate_version = true, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// Store to use: a SQLite file path or `sqlite://PATH` (the default is `chainwatch.db`
    /// in the user's data directory), or a `postgres://` URL
    #[arg(
        long,
        global = true,
        env = "CHAINWATCH_DB",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub(crate) db: Option<String>,

    /// Work against a chainwatch server instead of a store (`https://chainwatch.internal`):
    /// `ingest`, `products`, `query who-has|why|affected`, `findings`, `sbom export`,
    /// `vex import`, `advisories import` and `policy apply|show|violations` go through its
    /// API; commands that need no store run locally
    #[arg(
        long,
        global = true,
        env = "CHAINWATCH_SERVER",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub(crate) server: Option<String>,

    /// The API token for --server
    #[arg(
        long,
        global = true,
        env = "CHAINWATCH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub(crate) token: Option<String>,

    /// More detail on stderr (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub(crate) verbose: u8,

    /// Only results and errors: no summaries or progress
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,

    /// When to use colour (`NO_COLOR` is honoured by `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Look inside identifiers: package URLs, versions and version ranges
    #[command(subcommand)]
    Inspect(Inspect),
    /// Read, validate, convert and compare SBOMs (CycloneDX, SPDX); export stored ones
    #[command(subcommand)]
    Sbom(Sbom),
    /// Find what is vulnerable or malicious in a source tree, lockfile or SBOM
    ///
    /// TARGET is a directory or lockfile (inventoried as `sbom generate` does), an SBOM
    /// file in any supported format, or a product version in the store (`NAME@VERSION`, or
    /// `NAME` for its newest version). Every package is matched against the advisories in the
    /// store (`chainwatch advisories import`), or the OSV records given with --advisories,
    /// with each ecosystem's own version order; distribution packages are matched through their
    /// source package too. Findings are grouped by package, known-malicious packages first,
    /// with the versions that fix them and the dependency path that pulls them in.
    /// Every dependency name is also checked for typo-squatting (as `typosquat check`);
    /// suspects are listed with the path that pulls them in; those among the target's
    /// direct dependencies count as failures unless --fail-on never (--typosquat-fails). Withdrawn advisories never match. A finding's severity is its record's,
    /// else the highest of the records that share an identifier with it; one that no record
    /// rates counts as --unknown-severity (high). Exit status: 1 when a finding is at or above
    /// --fail-on (malicious packages always count), 0 otherwise, 2 on unusable input.
    #[command(
        after_help = "Examples:\n  chainwatch scan .\n  chainwatch scan . --advisories osv/\n  \
        chainwatch scan bom.cdx.json --advisories osv/PyPI --fail-on critical --format json\n  \
        chainwatch scan /mnt/rootfs --advisories osv/Debian --format sarif > scan.sarif\n  \
        chainwatch scan payments-api@2.4.1 --format cyclonedx > vulns.cdx.json"
    )]
    Scan(ScanArgs),
    /// Store SBOMs in the portfolio (files or directories, any supported format)
    ///
    /// Each document is stored under the product and version its subject names
    /// (CycloneDX `metadata.component`, SPDX `DESCRIBES`), unless `--product` /
    /// `--product-version` say otherwise. Every document is kept (history); the newest of
    /// a product version is its current inventory. Storing the same document again is a
    /// no-op that says so. Each document is stored completely or not at all. Exit status:
    /// 0 when every document was stored (or already was), 2 when any was unusable (the
    /// others are still stored).
    #[command(after_help = "Examples:\n  chainwatch ingest sboms/\n  \
        chainwatch ingest build/bom.cdx.json --product payments-api --product-version 2.4.1\n  \
        chainwatch --db postgres://chainwatch@db.internal/chainwatch ingest bom.spdx.json.gz")]
    Ingest(IngestArgs),
    /// List the products and versions in the portfolio, or one product's document history
    #[command(
        after_help = "Examples:\n  chainwatch products\n  chainwatch products payments-api --format json\n  \
        chainwatch products --as-of 2026-01-31"
    )]
    Products(ProductsArgs),
    /// Ask the portfolio: who has a package, why, who depends on it, what changed
    #[command(subcommand)]
    Query(Query),
    /// Manage the store: apply migrations, check integrity, count what it holds
    #[command(subcommand)]
    Db(Db),
    /// Import OSV advisories into the store and look them up by any identifier
    #[command(subcommand)]
    Advisories(Advisories),
    /// List the findings in the portfolio: the vulnerable and malicious packages in each
    /// product version's current inventory
    ///
    /// Findings are kept in the store with the time they were first and last seen;
    /// `chainwatch ingest` and `chainwatch advisories import` keep them current (only what
    /// changed is matched again). Known-malicious packages are listed first. Exit status:
    /// 0 (also when there are findings; `scan` is the gate for CI).
    #[command(after_help = "Examples:\n  chainwatch findings\n  \
        chainwatch findings --product payments-api@2.4.1 --min-severity high\n  \
        chainwatch findings --format sarif > findings.sarif")]
    Findings(FindingsArgs),
    /// Import VEX statements, export a product version's state as VEX
    #[command(subcommand)]
    Vex(Vex),
    /// Run the REST API server (`/api/v1`, OpenAPI at `/api/v1/openapi.json`)
    ///
    /// Every endpoint but `/healthz` and `/readyz` needs a token (`chainwatch token
    /// create`). The server keeps nothing but the store: any number of replicas can share
    /// one PostgreSQL database (`--db postgres://…`); with SQLite it is one process.
    /// Settings come from flags, then the environment (`CHAINWATCH_LISTEN`, …), then
    /// `--config FILE` (TOML with the same names: `listen`, `max_upload`, `timeout`,
    /// `rate_limit`). Stops on ctrl-c or SIGTERM after the requests in flight.
    #[command(
        after_help = "Examples:\n  chainwatch token create --name ci --role ingest\n  \
        chainwatch serve --listen 0.0.0.0:8080 --db postgres://chainwatch@db/chainwatch"
    )]
    Serve(ServeArgs),
    /// Run durable jobs only (large uploads, policy evaluations), for the replicas of
    /// `serve` that share its store
    ///
    /// A process with no API: its --workers threads claim the jobs any replica enqueued
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so workers never wait on each other), and
    /// it runs the scheduled advisory update and webhooks as `serve` does when told to.
    /// Settings as `serve`'s (flags, environment, --config). Stops on ctrl-c or SIGTERM
    /// after the jobs at hand (at most 30 s; a job left running is taken over by another
    /// worker when its claim runs out).
    #[command(
        after_help = "Examples:\n  chainwatch serve --workers 0 --db postgres://chainwatch@db/chainwatch\n  \
        chainwatch worker --workers 4 --db postgres://chainwatch@db/chainwatch"
    )]
    Worker(WorkArgs),
    /// Manage the server's API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Verify an attestation offline: a DSSE envelope, a Sigstore bundle, in-toto link or
    /// layout metadata, or each line of an `.intoto.jsonl` file
    ///
    /// Signatures are checked against --key (PEM public keys or certificates; Ed25519,
    /// ECDSA P-256/P-384/P-521, RSA PKCS#1 v1.5 and PSS), with --threshold distinct keys;
    /// Sigstore bundles against a trusted root (--trusted-root, else the public-good root
    /// built into chainwatch): certificate chain at signing time, SCTs, the transparency-log
    /// inclusion proof and checkpoint or signed entry timestamp, RFC 3161 timestamps, the
    /// signature, and --identity/--issuer. The statement must name the artifact (--artifact
    /// or --digest) among its subjects; SLSA provenance must come from an allowed --builder
    /// and from --source. Every check is reported with the reason it failed. Nothing a
    /// document names is fetched. Exit status: 0 verified, 1 verification failed, 2
    /// unusable input.
    #[command(after_help = "Examples:\n  \
        chainwatch verify app.intoto.jsonl --artifact app \\\n    \
        --builder 'https://github.com/slsa-framework/slsa-github-generator/*' --source github.com/acme/app\n  \
        chainwatch verify app.sigstore.json --artifact app --identity-regexp '^https://github.com/acme/' \\\n    \
        --issuer https://token.actions.githubusercontent.com\n  \
        chainwatch verify envelope.json --key signer.pub --digest sha256:1f2e…")]
    Verify(VerifyArgs),
    /// Look for typo-squats: names that imitate popular packages
    #[command(subcommand)]
    Typosquat(Typosquat),
    /// List the licences of a source tree, lockfile, SBOM or stored product version
    ///
    /// TARGET is read as `scan` reads it. Every component's declared licences become one
    /// SPDX expression: valid expressions as they are; deprecated ids, `+`, `/` and
    /// lower-case ids corrected; names mapped where they name one licence (`Apache
    /// License, Version 2.0`, `MIT License`, `GPLv2+`, PyPI classifiers); the rest kept as
    /// `LicenseRef-…` and reported as unknown. Each licence is sorted into a category
    /// (public-domain, permissive, weak-copyleft, copyleft, network-copyleft, non-free,
    /// unknown). --allow and --deny take licence ids and category names and are evaluated
    /// on the expression: `MIT OR GPL-3.0-only` is allowed by `MIT` and not denied by
    /// `copyleft`. Exit status: 1 when a component's licence is denied or not allowed, 0
    /// otherwise, 2 on unusable input.
    #[command(after_help = "Examples:
  chainwatch licenses .
          chainwatch licenses bom.cdx.json --deny copyleft --deny unknown
          chainwatch licenses payments-api@2.4.1 --allow permissive --allow public-domain --allow MPL-2.0
          chainwatch licenses . --format csv > licences.csv")]
    Licenses(LicensesArgs),
    /// Check a target against a policy file, or run a policy's own examples
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Read what packages contain, without running them, and flag attack code
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum Sbom {
    /// Make an SBOM from a source tree or root filesystem: lockfiles, manifests and OS
    /// package databases
    ///
    /// Walks PATH (a directory, or one lockfile), runs an extractor for every file it
    /// recognizes, in parallel, and writes one SBOM whose subject is the project (the
    /// name and version of the top-level manifest, else the directory name). Reads
    /// Cargo.lock (and the Cargo.toml of vendored or registry-unpacked crates, for their
    /// licences), package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml,
    /// bun.lock, requirements*.txt, poetry.lock, uv.lock, Pipfile.lock, pdm.lock,
    /// installed Python metadata, go.mod (+ go.sum), Gemfile.lock, installed gems'
    /// specifications, composer.lock, packages.lock.json, the nuspecs of a NuGet global
    /// packages folder, pom.xml, gradle.lockfile, pubspec.lock, mix.lock,
    /// Package.resolved, conan.lock, var/lib/dpkg/status, lib/apk/db/installed and
    /// rpmdb.sqlite (with the distribution from etc/os-release). Installed trees are read
    /// whole, with their graph: a `node_modules` without a lockfile beside it (each
    /// package's package.json, nested `node_modules`; a global prefix too) and a Python
    /// `site-packages` or `dist-packages` (Requires-Dist). Other directories of installed
    /// dependencies and caches (`.git`, `CACHEDIR.TAG`…) are skipped unless --all-dirs is
    /// given; symbolic links are not followed. Nothing is fetched from the
    /// network. Problems go to stderr and do not stop the other files. Exit status: 0 when
    /// every file was read, 2 when any could not be (the SBOM is still written).
    /// `SOURCE_DATE_EPOCH` sets the document's timestamp, for reproducible output.
    #[command(
        after_help = "Examples:\n  chainwatch sbom generate . -o bom.cdx.json\n  \
        chainwatch sbom generate services/payments --to spdx-json --exclude 'testdata' --exclude 'examples/**'\n  \
        chainwatch sbom generate /mnt/rootfs --to cyclonedx-xml > rootfs.cdx.xml"
    )]
    Generate(GenerateArgs),
    /// Check SBOMs against their specification
    ///
    /// Reads CycloneDX 1.0–1.7 (JSON, XML), SPDX 2.2/2.3 (JSON, YAML, tag-value) and SPDX
    /// 3.0 (JSON-LD), compressed or not; the format is detected from the content. Without
    /// `--strict`, only what ingestion needs is checked and problems real tools commonly
    /// produce are warnings. Exit status: 0 when every file is valid (and, with `--ntia`,
    /// has the NTIA minimum elements), 1 when any is not, 2 when a file cannot be read or
    /// is not an SBOM.
    #[command(
        after_help = "Examples:\n  chainwatch sbom validate --strict bom.cdx.json\n  \
        chainwatch sbom validate --ntia --format sarif sboms/*.json > results.sarif\n  \
        chainwatch sbom validate - < sbom.spdx"
    )]
    Validate(ValidateArgs),
    /// Convert an SBOM to CycloneDX 1.6 (JSON, XML) or SPDX 2.3 (JSON, tag-value)
    ///
    /// Every component's purl, version, hashes and licenses and every dependency edge are
    /// kept. Problems found while reading are warnings on stderr.
    #[command(
        after_help = "Examples:\n  chainwatch sbom convert sbom.spdx.json --to cyclonedx-json -o bom.cdx.json\n  \
        chainwatch sbom convert bom.xml --to spdx-tv"
    )]
    Convert(ConvertArgs),
    /// Count what an SBOM holds
    #[command(after_help = "Examples:\n  chainwatch sbom stats bom.cdx.json --format json")]
    Stats(StatsArgs),
    /// Compare two SBOMs: components added, removed and at a new version, what they say
    /// about the same component (supplier, licences, hashes, external references…), and
    /// dependency edges added and removed
    ///
    /// Components are matched by package URL (without version), else by type, group and
    /// name, so documents from different tools and formats compare. Exit status: 0 when
    /// nothing differs, 1 when something does.
    #[command(
        after_help = "Examples:\n  chainwatch sbom diff release-1.0.cdx.json release-1.1.cdx.json"
    )]
    Diff(DiffArgs),
    /// Write a stored SBOM (a product version's current one) in any writable format
    ///
    /// The stored copy of the document is read again and converted, so nothing the
    /// original said is lost beyond what the target format cannot express.
    #[command(
        after_help = "Examples:\n  chainwatch sbom export payments-api@2.4.1 --to spdx-json -o payments.spdx.json\n  \
        chainwatch sbom export payments-api --to cyclonedx-xml --as-of 2026-03-01"
    )]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// `PRODUCT` (its most recently updated version) or `PRODUCT@VERSION`
    #[arg(value_name = "PRODUCT[@VERSION]")]
    pub(crate) product: ProductRef,

    /// The format to write
    #[arg(long, value_enum)]
    pub(crate) to: TargetFormat,

    /// Where to write (standard output by default); written completely or not at all
    #[arg(short, long, value_name = "OUT")]
    pub(crate) output: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) as_of: AsOfArgs,
}

#[derive(Debug, Args)]
pub(crate) struct AsOfArgs {
    /// Look back: answer from the documents ingested up to this time (RFC 3339, or a
    /// date meaning the end of that day, UTC)
    #[arg(long, value_name = "TIME")]
    pub(crate) as_of: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// SBOM files or directories (searched recursively; hidden entries are skipped);
    /// `-` for standard input
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,

    /// Store under this product instead of the one each document names
    #[arg(long, value_name = "NAME")]
    pub(crate) product: Option<String>,

    /// Store under this product version instead of the one each document names
    #[arg(long, value_name = "VERSION")]
    pub(crate) product_version: Option<String>,

    /// A document that names no product (no subject component, no name) is stored under
    /// its file's name without the SBOM extensions (`payments-api.cdx.json` →
    /// `payments-api`) instead of failing
    #[arg(long, conflicts_with = "product")]
    pub(crate) product_from_filename: bool,

    /// Documents read in parallel (the default is the number of CPUs)
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<std::num::NonZeroUsize>,

    /// Leave out the typo-squatting checks of the stored documents' dependency names
    #[arg(long)]
    pub(crate) no_typosquat: bool,

    /// Tag the products stored (a team, an environment: policy rules can be scoped by
    /// tag); repeatable or comma-separated, added to the tags a product has
    #[arg(long, value_name = "TAG", value_delimiter = ',')]
    pub(crate) tag: Vec<String>,

    /// Attestations among the files (DSSE envelopes, Sigstore bundles, in-toto metadata,
    /// `.intoto.jsonl`) are verified against these and stored as evidence of the product
    /// version (--product and --product-version); those that do not verify are rejected
    #[command(flatten)]
    pub(crate) trust: TrustArgs,

    /// Output format: `human`, or `json` (one object per document and line)
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct ProductsArgs {
    /// Show this product's (or `PRODUCT@VERSION`'s) documents, oldest first
    #[arg(value_name = "PRODUCT[@VERSION]")]
    pub(crate) product: Option<ProductRef>,

    #[command(flatten)]
    pub(crate) as_of: AsOfArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Query {
    /// Every product version whose current inventory has a package
    ///
    /// The package is matched by name identity (type, namespace and name, normalized as
    /// its registry does: `pkg:pypi/Zope.Interface` is `zope-interface`). A version in the
    /// purl matches versions equal under the ecosystem's own ordering; `--range` takes a
    /// vers range (`vers:deb/>=5.6.0|<5.6.2`). Exit status: 0 when found, 1 when not.
    #[command(
        after_help = "Examples:\n  chainwatch query who-has pkg:generic/xz-utils --range 'vers:generic/>=5.6.0|<5.6.2'\n  \
        chainwatch query who-has pkg:pypi/urllib3@1.26.5 --format json"
    )]
    WhoHas(WhoHasArgs),
    /// Dependency paths from a product to a package, shortest first
    ///
    /// Follows dependency and containment edges from the product's subject component.
    /// A component the document lists without connecting it is shown as a direct member.
    /// Exit status: 0 when a path is found, 1 when the product does not have the package.
    #[command(
        after_help = "Examples:\n  chainwatch query why payments-api pkg:pypi/urllib3\n  \
        chainwatch query why payments-api@2.4.1 pkg:pypi/urllib3@1.26.5 --max-paths 3"
    )]
    Why(WhyArgs),
    /// Components across the portfolio that depend on (or contain) a package
    #[command(after_help = "Examples:\n  chainwatch query dependents pkg:npm/left-pad")]
    Dependents(WhoHasArgs),
    /// Every product version affected by an advisory (or any record linked to it by
    /// aliases), with the affected package and the versions that fix it
    ///
    /// ID is any identifier of a stored advisory (`chainwatch advisories import`): its id,
    /// a CVE, GHSA or distribution id. Exit status: 0 when something is affected, 1 when
    /// nothing is, 2 when no stored advisory has the identifier.
    #[command(
        after_help = "Examples:\n  chainwatch query affected CVE-2021-44228\n  \
        chainwatch query affected GHSA-jfh8-c2jp-5v3q --format json --as-of 2026-01-31"
    )]
    Affected(AffectedArgs),
    /// The verified provenance and signatures of a product version: attestations
    /// ingested for it, and those about the digest of one of its components
    ///
    /// Exit status: 0 when there is evidence, 1 when there is none.
    #[command(after_help = "Examples:\n  chainwatch query provenance payments-api@2.4.1")]
    Provenance(ProvenanceArgs),
    /// What changed between two versions of a product (their current documents)
    ///
    /// Exit status: 0 when nothing differs, 1 when something does.
    #[command(after_help = "Examples:\n  chainwatch query diff payments-api 2.4.0 2.4.1")]
    Diff(QueryDiffArgs),
}

#[derive(Debug, Args)]
pub(crate) struct WhoHasArgs {
    /// The package: a purl, with or without a version
    #[arg(value_name = "PURL")]
    pub(crate) purl: String,

    /// Only versions in this vers range
    #[arg(long, value_name = "VERS")]
    pub(crate) range: Option<String>,

    #[command(flatten)]
    pub(crate) as_of: AsOfArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct WhyArgs {
    /// `PRODUCT` (its most recently updated version) or `PRODUCT@VERSION`
    #[arg(value_name = "PRODUCT[@VERSION]")]
    pub(crate) product: ProductRef,

    /// The package: a purl, with or without a version
    #[arg(value_name = "PURL")]
    pub(crate) purl: String,

    /// At most this many paths
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) max_paths: usize,

    #[command(flatten)]
    pub(crate) as_of: AsOfArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ProvenanceArgs {
    /// `PRODUCT` (its most recently updated version) or `PRODUCT@VERSION`
    #[arg(value_name = "PRODUCT[@VERSION]")]
    pub(crate) product: ProductRef,

    #[command(flatten)]
    pub(crate) as_of: AsOfArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct QueryDiffArgs {
    #[arg(value_name = "PRODUCT")]
    pub(crate) product: String,
    /// The old version
    #[arg(value_name = "V1")]
    pub(crate) from: String,
    /// The new version
    #[arg(value_name = "V2")]
    pub(crate) to: String,

    #[command(flatten)]
    pub(crate) as_of: AsOfArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Db {
    /// Create the schema or bring it up to date (done automatically on first use)
    Migrate(OutputArgs),
    /// Check integrity: the database engine's own check, foreign keys, every document
    /// complete, every stored copy matching its digest. Exit status 1 on any problem
    Check(OutputArgs),
    /// Count what the store holds
    Stats(OutputArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// SBOM files or directories of them (`-` for standard input); in a directory, files
    /// that are not SBOMs of any format are skipped
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,

    /// Check everything the specification requires, not only what ingestion needs
    #[arg(long)]
    pub(crate) strict: bool,

    /// Also check the NTIA minimum elements (supplier, name, version, unique identifier,
    /// dependency relationships, author, timestamp)
    #[arg(long)]
    pub(crate) ntia: bool,

    /// Output format: `human`, `json` (one object per file and line) or `sarif` (SARIF
    /// 2.1.0, for code-scanning dashboards)
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub(crate) struct AffectedArgs {
    /// Any identifier of the advisory (case does not matter)
    #[arg(value_name = "ID")]
    pub(crate) id: String,

    #[command(flatten)]
    pub(crate) as_of: AsOfArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Advisories {
    /// Import OSV records (JSON or YAML files, or directory trees of them)
    ///
    /// For each record id the most recently modified version is kept; importing the same
    /// content again is a no-op, an older version is ignored. Withdrawn records are kept
    /// (so that their ids resolve) but never match. Nothing is fetched. Exit status: 0
    /// when every file was read, 2 when any could not be (the others are imported).
    #[command(
        after_help = "Examples:\n  chainwatch advisories import osv/PyPI osv/npm\n  \
        chainwatch advisories import GHSA-jfh8-c2jp-5v3q.json --format json"
    )]
    Import(AdvisoriesImportArgs),
    /// Show a stored advisory by any of its identifiers (id, CVE, GHSA, PYSEC, …) and the
    /// records linked to it through aliases
    #[command(
        after_help = "Examples:\n  chainwatch advisories show CVE-2021-44228\n  \
        chainwatch advisories show ghsa-jfh8-c2jp-5v3q --format json"
    )]
    Show(AdvisoriesShowArgs),
    /// Match the portfolio against the stored advisories and report what changed
    ///
    /// Only what changed since the last match is matched: packages never matched (new
    /// since an ingest) and packages that added, changed or withdrawn advisories concern.
    /// `ingest` and `advisories import` do this themselves; this command is for
    /// schedulers and for `--full`, which matches every package again.
    #[command(
        after_help = "Examples:\n  chainwatch advisories match\n  chainwatch advisories match --full --format json"
    )]
    Match(AdvisoriesMatchArgs),
    /// Import exploitation data: CISA's Known Exploited Vulnerabilities catalog (JSON) and
    /// FIRST's EPSS scores (CSV, optionally gzip-compressed)
    ///
    /// Findings then show whether their CVE is known to be exploited (which always fails
    /// `scan`) and its exploit probability. Nothing is fetched: download the files
    /// (`known_exploited_vulnerabilities.json`, `epss_scores-YYYY-MM-DD.csv.gz`) and give them.
    #[command(after_help = "Examples:\n  \
        chainwatch advisories enrich --kev known_exploited_vulnerabilities.json --epss epss_scores-2026-11-26.csv.gz")]
    Enrich(EnrichArgs),
    /// Download OSV's published advisories and import what changed
    ///
    /// For each ecosystem (by default those of the portfolio's packages): the first time,
    /// the ecosystem's `all.zip` (resumable: an interrupted download continues where it
    /// stopped; checked against its announced length and read through, every entry's
    /// CRC, before use); afterwards only the records the published modification index
    /// (`modified_id.csv`) lists as changed since the last update (or the whole archive
    /// again when that is more than 10,000). Then the portfolio is matched against what
    /// changed. Proxies come from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`.
    /// Only the mirror's URLs are ever requested. Exit status: 0, or 3 when a download
    /// failed (the other ecosystems are still updated).
    #[command(after_help = "Examples:\n  chainwatch advisories update\n  \
        chainwatch advisories update --ecosystem PyPI --ecosystem npm\n  \
        chainwatch advisories update --mirror https://osv-mirror.internal --full")]
    Update(AdvisoriesUpdateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AdvisoriesUpdateArgs {
    /// An OSV ecosystem to update (`PyPI`, `npm`, `crates.io`, `Go`, `Maven`, `Debian`,
    /// `Alpine`, …; repeatable); by default those of the portfolio's packages
    #[arg(long, value_name = "ECOSYSTEM")]
    pub(crate) ecosystem: Vec<String>,

    /// The OSV mirror to download from
    #[arg(
        long,
        env = "CHAINWATCH_OSV_MIRROR", hide_env_values = true,
        value_name = "URL",
        default_value = chainwatch_advisory::feed::DEFAULT_BASE
    )]
    pub(crate) mirror: String,

    /// Where downloads are kept while they run (default: the user's cache directory)
    #[arg(
        long,
        env = "CHAINWATCH_CACHE",
        hide_env_values = true,
        value_name = "DIR"
    )]
    pub(crate) cache: Option<PathBuf>,

    /// Download whole archives even where an incremental update is possible
    #[arg(long)]
    pub(crate) full: bool,

    /// Do not match the portfolio afterwards
    #[arg(long)]
    pub(crate) no_match: bool,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct EnrichArgs {
    /// CISA KEV catalog (JSON)
    #[arg(long, value_name = "FILE")]
    pub(crate) kev: Option<PathBuf>,

    /// FIRST EPSS scores (CSV or CSV.gz)
    #[arg(long, value_name = "FILE")]
    pub(crate) epss: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Vex {
    /// Import VEX documents: OpenVEX (JSON, YAML), CycloneDX VEX (JSON, XML; standalone or
    /// an SBOM with `vulnerabilities`) and CSAF 2.0
    ///
    /// Statements apply to findings by vulnerability (any alias), component (package
    /// name, and version when given) and product (name, `name@version`, a purl or CPE
    /// naming it); of those that apply, the most recent wins. `not_affected` (with its
    /// justification) and `fixed` suppress a finding; `affected` and
    /// `under_investigation` keep it, with the statement as evidence. Documents are kept
    /// whole; the same content again is a no-op. CSAF documents are checked against the
    /// specification's mandatory tests 6.1.1–6.1.6 and 6.1.27.x, and problems reported
    /// (the statements that could be read are stored). Exit status: 0, or 2 when a file
    /// is not a VEX document.
    #[command(
        after_help = "Examples:\n  chainwatch vex import vex/ payments.openvex.json\n  \
        chainwatch vex import rhsa-2024_3666.json --format json"
    )]
    Import(VexImportArgs),
    /// Export a product version's findings with their VEX status as OpenVEX or
    /// CycloneDX VEX
    ///
    /// Every finding of the product version's current inventory becomes a statement:
    /// the status of the VEX statement that applies, else `affected` with the fix as
    /// action. `SOURCE_DATE_EPOCH` sets the timestamp; the document id derives from the
    /// content.
    #[command(
        after_help = "Examples:\n  chainwatch vex export payments-api@2.4.1 --to openvex\n  \
        chainwatch vex export payments-api --to cyclonedx -o payments.vex.cdx.json"
    )]
    Export(VexExportArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Audit package archives or directories for install-time code, exfiltration,
    /// obfuscation, reverse shells and other attack code
    ///
    /// PATH is an npm `.tgz`, a PyPI sdist (`.tar.gz`, `.zip`) or wheel, a `.crate`, a
    /// `.gem`, an unpacked package directory, or a directory of installed packages
    /// (`node_modules`, `site-packages`, a Cargo registry or `vendor/` folder), whose
    /// packages are each audited. Archives are read in memory within size, entry and
    /// ratio caps; entries that escape the package are reported, never written; nothing
    /// is executed, imported or installed, and no URL a package names is fetched. Source
    /// files (JavaScript, TypeScript, Python, Ruby, Rust, shell) are tokenized and their
    /// calls resolved through imports; findings in files that run at install or build
    /// time are raised one severity. Rules and their codes: docs/audit.md. Exit status:
    /// 1 when a finding at or above --fail-on (default `high`) is reported, 0 otherwise,
    /// 2 when a PATH cannot be audited (the others still are).
    #[command(after_help = "Examples:\n  \
        chainwatch audit package left-pad-1.3.0.tgz\n  \
        chainwatch audit package node_modules --format json > audit.json\n  \
        chainwatch audit package requests-2.32.3.tar.gz --previous requests-2.32.2.tar.gz\n  \
        chainwatch audit package ~/.local/lib/python3.13/site-packages --min-severity medium\n  \
        chainwatch audit package node_modules --record            # kept in the store")]
    Package(AuditPackageArgs),
    /// Audit a release tarball against the source tree of its tag
    ///
    /// ARCHIVE is the release (`.tar.gz`, `.tar.xz`, `.tar.bz2`, `.tar.zst`, `.zip`, or
    /// an unpacked directory); --source is the tree of its tag: a directory, a git work
    /// tree (`.git` is skipped) or an archive of it (`git archive`). Without --source,
    /// everything but the comparison is still checked. Reported: files only
    /// in the release and files that differ (less what the autotools generate);
    /// Autoconf macros and build-aux scripts whose serial is newer than, or whose content
    /// differs from, every known upstream copy (an index built from Debian's autotools
    /// packages); build scripts that search the tree by content, decode bytes with `tr`
    /// tables, read test data, edit Makefiles or pipe decoded data into a shell. Content
    /// searches are replayed over the release and what they find is decoded as the
    /// scripts would decode it, never run. Rules: docs/audit.md. Exit status: 1 when a
    /// finding at or above --fail-on (default `high`) is reported, 0 otherwise, 2 when
    /// an input cannot be read.
    #[command(after_help = "Examples:\n  \
        chainwatch audit release xz-5.6.1.tar.gz --source xz-git-checkout\n  \
        chainwatch audit release xz-5.6.1.tar.gz --source xz-5.6.1-git.tar.gz --format sarif")]
    Release(AuditReleaseArgs),
    /// Audit model files for code that runs when they are loaded
    ///
    /// PATH is a model file or a directory (a Hugging Face cache, a model folder), whose
    /// files are recognized by content: pickles and joblib files (plain, gzip or xz),
    /// PyTorch checkpoints (zip and legacy), NumPy `.npy`/`.npz`, safetensors, GGUF,
    /// Keras `.keras` and HDF5 `.h5`; ONNX by name. Pickles are read opcode by opcode,
    /// never unpickled: every import (`GLOBAL`, `STACK_GLOBAL`, `INST`) and call is
    /// collected, including pickles inside PyTorch zips, joblib files and NumPy object
    /// arrays, and judged safe (tensor and array rebuilding), library (known
    /// machine-learning classes), dangerous (commands, code, files, network, attribute
    /// walks) or unlisted. Safetensors and GGUF headers are checked for what strict
    /// loaders refuse and for bytes no loader reads; GGUF chat templates for template
    /// injection; Keras configurations for Lambda layers and custom objects. Only headers
    /// and pickles are read. Rules: docs/audit.md. Exit status: 1 when a finding at or
    /// above --fail-on (default `high`) is reported, else 2 when a file cannot be read or
    /// is malformed, else 0.
    #[command(after_help = "Examples:\n  \
        chainwatch audit model pytorch_model.bin\n  \
        chainwatch audit model ~/.cache/huggingface/hub --format json > models.json\n  \
        chainwatch audit model model.gguf --format sarif\n  \
        chainwatch audit model ~/.cache/huggingface/hub --record   # kept in the store")]
    Model(AuditModelArgs),
    /// List the package audits recorded in the store (`audit package --record`)
    ///
    /// Each recorded package version with the worst severity its contents audit found,
    /// its findings, and the product versions whose current inventory holds it, most
    /// serious first.
    #[command(after_help = "Examples:\n  \
        chainwatch audit package node_modules --record\n  \
        chainwatch audit list --min-severity high\n  \
        chainwatch audit list --format json")]
    List(AuditListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AuditReleaseArgs {
    /// The release tarball (or its unpacked directory)
    #[arg(value_name = "ARCHIVE")]
    pub(crate) release: PathBuf,

    /// The source tree of the release's tag: a directory, git work tree or archive.
    /// Without it, upstream copies and build scripts are still checked, but nothing is
    /// compared
    #[arg(long, value_name = "DIR")]
    pub(crate) source: Option<PathBuf>,

    /// Show findings at or above this severity: low, medium, high or critical
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub(crate) min_severity: String,

    /// Exit with status 1 when a finding at or above this severity is reported
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub(crate) fail_on: String,

    /// Output format: `human`, `json` (one array of findings) or `sarif`
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, Args)]
pub(crate) struct AuditModelArgs {
    /// Model files or directories
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,

    /// Record the audit of each Hugging Face cache snapshot (`pkg:huggingface/ORG/NAME@REV`,
    /// its files' findings together) in the store (`--db`), for `audit list`, policies
    /// (`suspicious`) and the console; the active policy is evaluated again
    #[arg(long)]
    pub(crate) record: bool,

    /// Show findings at or above this severity: low, medium, high or critical
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub(crate) min_severity: String,

    /// Exit with status 1 when a finding at or above this severity is reported
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub(crate) fail_on: String,

    /// Output format: `human`, `json` (one array of findings) or `sarif`
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, Args)]
pub(crate) struct AuditPackageArgs {
    /// Package archives or directories
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,

    /// The previous version of the package (archive or directory): report the
    /// install-time code this one adds
    #[arg(long, value_name = "PATH")]
    pub(crate) previous: Option<PathBuf>,

    /// Show findings at or above this severity: low, medium, high or critical
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub(crate) min_severity: String,

    /// Exit with status 1 when a finding at or above this severity is reported
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub(crate) fail_on: String,

    /// More popular names for the typo-squat rule (as `typosquat check --popular`)
    #[arg(long, value_name = "FILE")]
    pub(crate) popular: Vec<PathBuf>,

    /// Reviewed names that are not squats (as `typosquat check --allowlist`)
    #[arg(long, value_name = "FILE")]
    pub(crate) allowlist: Option<PathBuf>,

    /// Output format: `human`, `json` (one array of findings) or `sarif`
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,

    /// Record each audited package version's result in the store (`--db`), for `audit
    /// list`, policies (`suspicious`) and the console; the active policy is evaluated
    /// again
    #[arg(long)]
    pub(crate) record: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AuditListArgs {
    /// Only audits whose worst finding is at least this severity: low, medium, high or
    /// critical (clean audits too when not given)
    #[arg(long, value_name = "SEVERITY")]
    pub(crate) min_severity: Option<String>,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Typosquat {
    /// Check package names against the popular packages of their ecosystem
    ///
    /// Each name is compared, after the ecosystem's own normalization (PEP 503 for PyPI,
    /// `-`/`_` for crates.io, case), with a corpus of popular names: the built-in list,
    /// the names many products of the portfolio use, and --popular files. Techniques:
    /// omitted, inserted, repeated, swapped and substituted characters (keyboard
    /// neighbours, bit flips), plurals, homoglyphs and confusables (`l`/`I`/`1`, `0`/`o`,
    /// `rn`/`m`, Cyrillic and Greek), separators, swapped words, affixes (`-js`, `node-`,
    /// `python3-`, …), npm scopes, Go module paths, two edits for long names. A popular name
    /// is never a squat. Names of known-malicious packages (OSV `MAL-` records in the store)
    /// are reported as malicious whatever they look like. Exit status: 1 when any name is
    /// suspect or malicious, 0 otherwise, 2 on unusable input.
    #[command(
        after_help = "Examples:\n  chainwatch typosquat check crossenv lodahs --ecosystem npm\n  \
        chainwatch typosquat check colourama --ecosystem pypi --format json\n  \
        chainwatch typosquat check foo --ecosystem npm --popular top-npm.json --allowlist reviewed.txt"
    )]
    Check(TyposquatCheckArgs),
    /// Download current lists of popular packages from their public sources
    ///
    /// npm, Go and RubyGems from `DataDog` guarddog's lists, PyPI from hugovk's
    /// top-pypi-packages, crates.io from its API (the 1,000 most downloaded); kept in the
    /// cache directory and used after the built-in lists by `typosquat check`, `scan` and
    /// `ingest`. No public list is known for Maven, NuGet and Packagist (use --popular).
    /// Exit status: 0, or 3 when a download failed (the other lists are still kept).
    #[command(
        after_help = "Examples:\n  chainwatch typosquat refresh\n  chainwatch typosquat refresh --ecosystem npm --ecosystem pypi"
    )]
    Refresh(TyposquatRefreshArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TyposquatRefreshArgs {
    /// Ecosystems to refresh (repeatable); all with a known source by default
    #[arg(long, short, value_name = "ECOSYSTEM")]
    pub(crate) ecosystem: Vec<String>,

    /// Fetch every source through this mirror instead: `URL/HOST/PATH`
    #[arg(
        long,
        env = "CHAINWATCH_POPULAR_MIRROR",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub(crate) mirror: Option<String>,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct TyposquatCheckArgs {
    /// Package names (read from standard input when none are given)
    #[arg(value_name = "NAME")]
    pub(crate) names: Vec<String>,

    /// The ecosystem: npm, PyPI, crates.io, Go, Maven, RubyGems, NuGet or Packagist
    #[arg(long, short, value_name = "ECOSYSTEM")]
    pub(crate) ecosystem: String,

    #[command(flatten)]
    pub(crate) corpus: TyposquatCorpusArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args, Default)]
pub(crate) struct TyposquatCorpusArgs {
    /// More popular names: one per line, or a JSON list (guarddog's `packages`, hugovk's
    /// `rows`, an array of names or of objects with a download count); repeatable
    #[arg(long, value_name = "FILE")]
    pub(crate) popular: Vec<PathBuf>,

    /// Reviewed names that are not squats: `NAME reason…` per line (`#` comments)
    #[arg(long, value_name = "FILE")]
    pub(crate) allowlist: Option<PathBuf>,

    /// Names the current inventories of at least N products of the store use count as
    /// popular too (unless they themselves look like squats); 0 leaves the portfolio out
    /// [default: 3]
    #[arg(long, value_name = "N")]
    pub(crate) portfolio_min: Option<u64>,
}

impl TyposquatCorpusArgs {
    pub(crate) fn portfolio_min(&self) -> u64 {
        self.portfolio_min
            .unwrap_or(chainwatch_typosquat::PORTFOLIO_MIN)
    }
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(
        long,
        value_name = "ADDR",
        env = "CHAINWATCH_LISTEN",
        hide_env_values = true
    )]
    pub(crate) listen: Option<String>,

    /// SBOM uploads larger than this (MiB, as received) are stored by a durable job: the
    /// answer is `202 Accepted` with the job's URL [default: 8]
    #[arg(
        long,
        value_name = "MIB",
        env = "CHAINWATCH_ASYNC_UPLOAD_ABOVE",
        hide_env_values = true
    )]
    pub(crate) async_upload_above: Option<usize>,

    /// Longest a request may take, in seconds [default: 300]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "CHAINWATCH_TIMEOUT",
        hide_env_values = true
    )]
    pub(crate) timeout: Option<u64>,

    /// Requests per token and minute [default: 600]
    #[arg(
        long,
        value_name = "N",
        env = "CHAINWATCH_RATE_LIMIT",
        hide_env_values = true
    )]
    pub(crate) rate_limit: Option<u32>,

    /// Serve HTTPS with this certificate chain (PEM; with --tls-key)
    #[arg(
        long,
        value_name = "PEM",
        env = "CHAINWATCH_TLS_CERT",
        hide_env_values = true,
        requires = "tls_key"
    )]
    pub(crate) tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1)
    #[arg(
        long,
        value_name = "PEM",
        env = "CHAINWATCH_TLS_KEY",
        hide_env_values = true,
        requires = "tls_cert"
    )]
    pub(crate) tls_key: Option<PathBuf>,

    /// Mark the console's session cookie `Secure` although chainwatch itself serves plain
    /// HTTP (TLS ends at a proxy in front of it); implied by --tls-cert
    #[arg(long)]
    pub(crate) cookie_secure: bool,

    #[command(flatten)]
    pub(crate) work: WorkArgs,
}

/// What a process that runs durable jobs needs: `serve`'s and `worker`'s settings.
#[derive(Debug, Args)]
pub(crate) struct WorkArgs {
    /// Threads that run durable jobs (large uploads, policy evaluations), any replica's;
    /// `serve --workers 0` only enqueues them, for `chainwatch worker` processes (at most 256) [default: 1]
    #[arg(
        long,
        value_name = "N",
        env = "CHAINWATCH_WORKERS",
        hide_env_values = true,
        value_parser = clap::value_parser!(u16).range(0..=256)
    )]
    pub(crate) workers: Option<u16>,

    /// How long a worker's claim on a job lasts, in seconds, renewed every third of it
    /// while the job runs: a job whose worker died is taken over after it [default: 120]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "CHAINWATCH_JOB_LEASE",
        hide_env_values = true,
        value_parser = clap::value_parser!(u64).range(3..=86_400)
    )]
    pub(crate) job_lease: Option<u64>,

    /// Largest request body after decompression, in MiB [default: 512]
    #[arg(
        long,
        value_name = "MIB",
        env = "CHAINWATCH_MAX_UPLOAD",
        hide_env_values = true
    )]
    pub(crate) max_upload: Option<usize>,

    /// Update advisories from OSV this often (`6h`, `30m`) and match what changed, in one
    /// process across the replicas sharing the store; off unless given
    #[arg(
        long,
        value_name = "INTERVAL",
        env = "CHAINWATCH_UPDATE_EVERY",
        hide_env_values = true
    )]
    pub(crate) update_every: Option<String>,

    /// The OSV mirror the scheduled update downloads from
    #[arg(
        long,
        value_name = "URL",
        env = "CHAINWATCH_OSV_MIRROR",
        hide_env_values = true
    )]
    pub(crate) mirror: Option<String>,

    /// Ecosystems the scheduled update fetches (default: those of the portfolio)
    #[arg(long, value_name = "ECOSYSTEM")]
    pub(crate) ecosystem: Vec<String>,

    /// Announce new and resolved findings to this URL (JSON, signed with
    /// --webhook-secret); repeatable
    #[arg(long, value_name = "URL")]
    pub(crate) webhook: Vec<String>,

    /// Announce them to this Slack-compatible incoming webhook (`{"text": …}`); repeatable
    #[arg(long, value_name = "URL")]
    pub(crate) slack_webhook: Vec<String>,

    /// The HMAC-SHA256 key of the `X-Chainwatch-Signature` header
    #[arg(
        long,
        value_name = "SECRET",
        env = "CHAINWATCH_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub(crate) webhook_secret: Option<String>,

    /// A TOML file with defaults for these settings
    #[arg(
        long,
        value_name = "FILE",
        env = "CHAINWATCH_CONFIG",
        hide_env_values = true
    )]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token; its secret is printed once and only its hash is stored
    #[command(
        after_help = "Examples:\n  chainwatch token create --name ci --role ingest --products 'payments-*' --expires 90d"
    )]
    Create(TokenCreateArgs),
    /// Revoke a token by name (it stops working at once)
    Revoke(TokenRevokeArgs),
    /// List the tokens (never their secrets)
    List(OutputArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TokenCreateArgs {
    /// A unique name (shown in access logs)
    #[arg(long)]
    pub(crate) name: String,

    /// `read` (query), `ingest` (also upload) or `admin` (also manage tokens)
    #[arg(long, value_name = "ROLE")]
    pub(crate) role: String,

    /// Limit the token to products whose name matches this glob (`*`, `?`)
    #[arg(long, value_name = "GLOB")]
    pub(crate) products: Option<String>,

    /// Expire after this long (`90d`, `12h`, `30m`) or at this time (RFC 3339 or a date)
    #[arg(long, value_name = "WHEN")]
    pub(crate) expires: Option<String>,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct TokenRevokeArgs {
    #[arg(value_name = "NAME")]
    pub(crate) name: String,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// What an attestation is verified against (`verify`, and `ingest` of attestations).
#[derive(Debug, Args, Default)]
pub(crate) struct TrustArgs {
    /// A signer's public key or certificate (PEM); repeatable
    #[arg(long, value_name = "PEM")]
    pub(crate) key: Vec<PathBuf>,

    /// How many distinct keys must have signed [default: 1]
    #[arg(long, value_name = "N")]
    pub(crate) threshold: Option<usize>,

    /// An in-toto layout whose declared keys may sign the links (the layout itself must
    /// verify with --key)
    #[arg(long, value_name = "FILE")]
    pub(crate) layout: Option<PathBuf>,

    /// A Sigstore `trusted_root.json` (default: the public-good instance's, built in)
    #[arg(long, value_name = "JSON")]
    pub(crate) trusted_root: Option<PathBuf>,

    /// The signing certificate's identity (SAN), exactly
    #[arg(long, value_name = "SAN", conflicts_with = "identity_regexp")]
    pub(crate) identity: Option<String>,

    /// The signing certificate's identity, as a regular expression (whole value)
    #[arg(long, value_name = "RE")]
    pub(crate) identity_regexp: Option<String>,

    /// The OIDC issuer of the signing certificate, exactly
    #[arg(long, value_name = "URL", conflicts_with = "issuer_regexp")]
    pub(crate) issuer: Option<String>,

    /// The OIDC issuer, as a regular expression (whole value)
    #[arg(long, value_name = "RE")]
    pub(crate) issuer_regexp: Option<String>,

    /// Allowed SLSA builder ids (`*` matches anything); repeatable
    #[arg(long, value_name = "GLOB")]
    pub(crate) builder: Vec<String>,

    /// The source repository the provenance must name (`github.com/org/repo`)
    #[arg(long, value_name = "REPO")]
    pub(crate) source: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The attestation file (`-` for standard input)
    #[arg(value_name = "ATTESTATION")]
    pub(crate) attestation: PathBuf,

    /// The artifact the attestation must be about (its SHA-256 is compared with the
    /// statement's subjects; message signatures are verified over it)
    #[arg(long, value_name = "FILE", conflicts_with = "digest")]
    pub(crate) artifact: Option<PathBuf>,

    /// The artifact's digest instead of the file: `sha256:HEX` (or sha384, sha512)
    #[arg(long, value_name = "ALG:HEX")]
    pub(crate) digest: Option<String>,

    #[command(flatten)]
    pub(crate) trust: TrustArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VexImportArgs {
    /// VEX files, or directories searched for .json, .yaml, .yml and .xml files
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VexExportArgs {
    /// The product, or one version of it (`NAME@VERSION`; the newest without one)
    #[arg(value_name = "PRODUCT[@VERSION]")]
    pub(crate) product: ProductRef,

    /// The VEX format to write
    #[arg(long, value_enum, default_value_t = VexTarget::Openvex)]
    pub(crate) to: VexTarget,

    /// Write to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VexTarget {
    Openvex,
    Cyclonedx,
}

#[derive(Debug, Args)]
pub(crate) struct AdvisoriesMatchArgs {
    /// Match every package again, not only what changed
    #[arg(long)]
    pub(crate) full: bool,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct FindingsArgs {
    /// Only this product, or one version of it (`NAME@VERSION`)
    #[arg(long, value_name = "PRODUCT[@VERSION]")]
    pub(crate) product: Option<ProductRef>,

    /// Only findings at or above this severity (malicious packages are always listed)
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub(crate) min_severity: Option<MinSeverity>,

    /// Also the findings a VEX statement says are not affected or fixed
    #[arg(long)]
    pub(crate) all: bool,

    #[command(flatten)]
    pub(crate) as_of: AsOfArgs,

    /// Output: `human`, `json` (one array of findings) or `sarif`
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TyposquatFails {
    /// Suspects among the target's direct dependencies
    Direct,
    /// Every suspect
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum MinSeverity {
    Low,
    Medium,
    High,
    Critical,
}

impl MinSeverity {
    pub(crate) fn level(self) -> chainwatch_advisory::Level {
        use chainwatch_advisory::Level;
        match self {
            MinSeverity::Low => Level::Low,
            MinSeverity::Medium => Level::Medium,
            MinSeverity::High => Level::High,
            MinSeverity::Critical => Level::Critical,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct AdvisoriesImportArgs {
    /// OSV records: files, directory trees or zip archives (OSV's `all.zip`)
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    /// Do not match the portfolio afterwards (for bulk loads: the next `advisories match`,
    /// `ingest` or import does it, for every change queued meanwhile)
    #[arg(long)]
    pub(crate) no_match: bool,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct AdvisoriesShowArgs {
    /// Any identifier of the advisory (case does not matter)
    #[arg(value_name = "ID")]
    pub(crate) id: String,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// A directory, a lockfile, an SBOM file, or `PRODUCT[@VERSION]` in the store (its
    /// current document)
    #[arg(value_name = "TARGET")]
    pub(crate) target: PathBuf,

    /// OSV records to match against instead of the store's: files (JSON, YAML) or
    /// directory trees of them (repeatable)
    #[arg(long, value_name = "PATH")]
    pub(crate) advisories: Vec<PathBuf>,

    /// Exit 1 when a finding is at or above this severity (malicious packages and known
    /// exploited vulnerabilities always count; findings a VEX statement says are not
    /// affected or fixed never do)
    #[arg(long, value_enum, default_value_t = FailOn::High, value_name = "SEVERITY")]
    pub(crate) fail_on: FailOn,

    /// What a finding that no record rates (after looking at its aliases' records) counts
    /// as for --fail-on
    #[arg(long, value_enum, default_value_t = MinSeverity::High, value_name = "SEVERITY")]
    pub(crate) unknown_severity: MinSeverity,

    /// VEX documents to apply (OpenVEX, CycloneDX, CSAF; repeatable), besides those in
    /// the store
    #[arg(long, value_name = "FILE")]
    pub(crate) vex: Vec<PathBuf>,

    /// Popular names and reviewed names for the typo-squatting checks (as `typosquat
    /// check`)
    #[command(flatten)]
    pub(crate) typosquat: TyposquatCorpusArgs,

    /// Leave out the typo-squatting checks
    #[arg(long)]
    pub(crate) no_typosquat: bool,

    /// Which typo-squatting suspects fail the scan: `direct` dependencies of the target
    /// (the names someone typed; deeper ones are reported without failing), or `any`
    #[arg(long, value_enum, default_value_t = TyposquatFails::Direct, value_name = "WHICH")]
    pub(crate) typosquat_fails: TyposquatFails,

    /// Fail unless the target has verified SLSA provenance from a builder matching GLOB
    /// (repeatable: any of them), as stored by `ingest` of attestations: for the product
    /// version itself, or about the digest of its subject component
    #[arg(long, value_name = "BUILDER_GLOB")]
    pub(crate) require_provenance: Vec<String>,

    /// Leave out paths matching GLOB when TARGET is a directory (as `sbom generate`)
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,

    /// Also read what the packages installed in TARGET (a directory) contain: every
    /// `node_modules`, `site-packages`, `dist-packages` and Cargo `vendor` tree, as `audit
    /// package` does, and every model file (as `audit model`; docs/audit.md); a high or
    /// critical finding fails the scan (unless --fail-on never)
    #[arg(long)]
    pub(crate) audit: bool,

    /// A policy file (TOML, docs/policies.md): its rules are evaluated on every
    /// component, its licence and its findings; a `fail` violation fails the scan
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,

    /// Tags of the target's product, for the policy's tag scopes (repeatable or
    /// comma-separated; a stored product's own tags count too)
    #[arg(long, value_name = "TAG", value_delimiter = ',')]
    pub(crate) tag: Vec<String>,

    /// Output: `human`, `json` (one array of findings), `sarif`, or `cyclonedx` (the
    /// scanned SBOM with its vulnerabilities, CycloneDX 1.6 JSON)
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub(crate) format: ScanFormat,
}

#[derive(Debug, Args)]
pub(crate) struct LicensesArgs {
    /// A directory, a lockfile, an SBOM file, or `PRODUCT[@VERSION]` in the store
    #[arg(value_name = "TARGET")]
    pub(crate) target: PathBuf,

    /// Only these licences may be used: SPDX ids or categories (repeatable, or
    /// comma-separated); a component passes when some choice of its expression's `OR`s
    /// takes only allowed licences
    #[arg(long, value_name = "LICENSE", value_delimiter = ',')]
    pub(crate) allow: Vec<String>,

    /// These licences may not be used: SPDX ids or categories (repeatable, or
    /// comma-separated); a component fails when every choice needs one
    #[arg(long, value_name = "LICENSE", value_delimiter = ',')]
    pub(crate) deny: Vec<String>,

    /// Leave out paths matching GLOB when TARGET is a directory (as `sbom generate`)
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,

    /// Output: `human`, `json` (one object), or `csv` (one row per component)
    #[arg(long, value_enum, default_value_t = LicensesFormat::Human)]
    pub(crate) format: LicensesFormat,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Evaluate a policy on a tree, lockfile, SBOM or stored product version
    ///
    /// Runs `scan` with --policy: every component, its licence and its findings are
    /// checked against the policy's rules; violations are listed with rule, level,
    /// component, path and reason. Exit status: 1 on a `fail` violation (or a finding at
    /// or above --fail-on), 0 otherwise, 2 on unusable input (a policy error names its
    /// line and column).
    #[command(
        after_help = "Examples:\n  chainwatch policy check . --policy policy.toml\n  \
        chainwatch policy check payments-api@2.4.1 --policy policy.toml --format sarif > policy.sarif"
    )]
    Check(ScanArgs),
    /// Run the examples a policy file carries (`[[example]]`: a component, its findings
    /// and the rules it must violate)
    ///
    /// Exit status: 1 when an example does not violate exactly the rules it names, 0
    /// otherwise, 2 when the file is unusable.
    #[command(after_help = "Examples:\n  chainwatch policy test policy.toml")]
    Test(PolicyTestArgs),
    /// Make a policy file the store's (or, with --server, the server's) active policy
    ///
    /// The file is checked and its examples run first: an unusable policy or a failing
    /// example changes nothing. Every current inventory is then evaluated and the
    /// violations recorded (first and last seen); they are evaluated again after every
    /// ingest, advisory import or update and VEX import. `--remove` leaves no active
    /// policy (every violation resolves).
    #[command(after_help = "Examples:\n  chainwatch policy apply policy.toml\n  \
        chainwatch policy apply policy.toml --server https://chainwatch.example --token $TOKEN\n  \
        chainwatch policy apply --remove")]
    Apply(PolicyApplyArgs),
    /// Print the active policy file
    Show(OutputArgs),
    /// List the active policy's violations in the store (or on the server)
    ///
    /// Exit status: 1 when a listed violation is at level `fail`, 0 otherwise.
    #[command(after_help = "Examples:\n  chainwatch policy violations\n  \
        chainwatch policy violations payments-api --level fail --format sarif")]
    Violations(ViolationsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PolicyApplyArgs {
    /// The policy file (TOML, docs/policies.md)
    #[arg(value_name = "FILE", required_unless_present = "remove")]
    pub(crate) file: Option<PathBuf>,

    /// Leave no active policy
    #[arg(long, conflicts_with = "file")]
    pub(crate) remove: bool,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ViolationsArgs {
    /// Only this product (and version)
    #[arg(value_name = "PRODUCT[@VERSION]")]
    pub(crate) product: Option<ProductRef>,

    /// Only violations at or above this level
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub(crate) level: Option<PolicyLevel>,

    /// Only this rule's
    #[arg(long, value_name = "NAME")]
    pub(crate) rule: Option<String>,

    /// Which: those that hold (`open`), those that no longer do (`resolved`), or `all`
    #[arg(long, value_enum, default_value_t = ViolationStateArg::Open, value_name = "STATE")]
    pub(crate) state: ViolationStateArg,

    /// Output: `human`, `json` (one array), or `sarif` (one rule per policy rule)
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub(crate) format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PolicyLevel {
    Info,
    Warn,
    Fail,
}

impl PolicyLevel {
    pub(crate) fn level(self) -> chainwatch_policy::RuleLevel {
        match self {
            PolicyLevel::Info => chainwatch_policy::RuleLevel::Info,
            PolicyLevel::Warn => chainwatch_policy::RuleLevel::Warn,
            PolicyLevel::Fail => chainwatch_policy::RuleLevel::Fail,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ViolationStateArg {
    Open,
    Resolved,
    All,
}

#[derive(Debug, Args)]
pub(crate) struct PolicyTestArgs {
    /// The policy file
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LicensesFormat {
    Human,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScanFormat {
    Human,
    Json,
    Sarif,
    Cyclonedx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    Low,
    Medium,
    High,
    Critical,
    /// Only malicious packages fail
    Never,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// The directory to inventory, or one lockfile or package database
    #[arg(value_name = "PATH")]
    pub(crate) path: PathBuf,

    /// The format to write
    #[arg(long, value_enum, default_value_t = TargetFormat::CyclonedxJson)]
    pub(crate) to: TargetFormat,

    /// Where to write (standard output by default); written completely or not at all
    #[arg(short, long, value_name = "OUT")]
    pub(crate) output: Option<PathBuf>,

    /// Leave out paths matching GLOB (repeatable): a pattern without `/` matches a file or
    /// directory name at any depth, one with `/` the path from PATH; `*`, `?`, `**`, `[…]`
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,

    /// Also descend into directories of installed dependencies and caches (`node_modules`,
    /// `.git`, directories holding a `CACHEDIR.TAG`…)
    #[arg(long)]
    pub(crate) all_dirs: bool,

    /// How to report problems found in the files, on stderr
    #[arg(long, value_enum, default_value_t = ReportFormat::Human, value_name = "FORMAT")]
    pub(crate) diagnostics: ReportFormat,
}

#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The SBOM to convert (`-` for standard input)
    #[arg(value_name = "IN")]
    pub(crate) input: PathBuf,

    /// The format to write
    #[arg(long, value_enum)]
    pub(crate) to: TargetFormat,

    /// Where to write (standard output by default); written completely or not at all
    #[arg(short, long, value_name = "OUT")]
    pub(crate) output: Option<PathBuf>,

    /// Fail (exit status 1, nothing written) when the target format cannot carry
    /// something the document says; without it, each kind of loss is a warning
    #[arg(long)]
    pub(crate) strict_conversion: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TargetFormat {
    CyclonedxJson,
    CyclonedxXml,
    SpdxJson,
    SpdxTv,
    /// SPDX 3.0.1 JSON-LD (Core, Software, SimpleLicensing, AI and Dataset profiles)
    Spdx3Jsonld,
}

impl TargetFormat {
    /// The format this names.
    pub(crate) fn format(self) -> chainwatch_sbom::Format {
        match self {
            TargetFormat::CyclonedxJson => chainwatch_sbom::Format::CycloneDxJson,
            TargetFormat::CyclonedxXml => chainwatch_sbom::Format::CycloneDxXml,
            TargetFormat::SpdxJson => chainwatch_sbom::Format::SpdxJson,
            TargetFormat::SpdxTv => chainwatch_sbom::Format::SpdxTagValue,
            TargetFormat::Spdx3Jsonld => chainwatch_sbom::Format::Spdx3JsonLd,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// The SBOM (`-` for standard input)
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The old SBOM
    #[arg(value_name = "A")]
    pub(crate) a: PathBuf,
    /// The new SBOM
    #[arg(value_name = "B")]
    pub(crate) b: PathBuf,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Inspect {
    /// Parse package URLs and print their canonical form and components
    ///
    /// Each argument is a purl; with no arguments, each non-empty line of standard input
    /// is one. Exits with 2 if any of them is not a valid purl.
    #[command(
        after_help = "Examples:\n  chainwatch inspect purl 'pkg:PyPI/Django_Rest@1.0'\n  \
        printf 'pkg:npm/%40angular/core@17.0.0\\n' | chainwatch inspect purl --format json"
    )]
    Purl(PurlArgs),
    /// Compare two versions the way the ecosystem's package manager does
    ///
    /// Prints `<`, `=` or `>`. With no versions, reads `ECOSYSTEM<TAB>A<TAB>B` lines from
    /// standard input and prints one answer per line (`error: …` for a version the scheme
    /// cannot parse; the exit status is then 2). ECOSYSTEM is an OSV ecosystem (`PyPI`,
    /// `npm`, `crates.io`, `Go`, `Maven`, `RubyGems`, `NuGet`, `Packagist`, `Debian`,
    /// `Alpine`, `Red Hat`, `Hex`, `Pub`, `CRAN`, …) or a vers scheme (`pypi`, `deb`, `rpm`,
    /// `apk`, `gem`, `alpm`, `gentoo`, `conan`, `openssl`, `generic`, …).
    #[command(
        after_help = "Examples:\n  chainwatch inspect version-cmp PyPI 1.0.dev0 1.0a0\n  \
        chainwatch inspect version-cmp Debian 5.6.1+really5.4.5-1 5.6.1-1\n  \
        printf 'Maven\\t1.0\\t1-ga\\n' | chainwatch inspect version-cmp"
    )]
    VersionCmp(VersionCmpArgs),
    /// Test whether a version is inside a vers range
    ///
    /// Prints `true` or `false`. With no arguments, reads `VERS<TAB>VERSION` lines from
    /// standard input.
    #[command(
        after_help = "Examples:\n  chainwatch inspect vers-contains 'vers:deb/>=5.6.0|<5.6.1+really5.4.5-1' 5.6.1-1\n  \
        chainwatch inspect vers-contains 'vers:pypi/>=1.0|<2.0' 2.0rc1"
    )]
    VersContains(VersContainsArgs),
    /// Convert a native version range (npm, PEP 440, Cargo, RubyGems, Maven, NuGet,
    /// Composer, Conan, …) to its vers form
    #[command(
        after_help = "Examples:\n  chainwatch inspect vers-from-native npm '^1.2.3 || >=2.0.1'\n  \
        chainwatch inspect vers-from-native pypi '~=1.4.5,!=1.4.7'\n  \
        chainwatch inspect vers-from-native maven '[1.0,2.0)'"
    )]
    VersFromNative(VersFromNativeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct VersionCmpArgs {
    /// Ecosystem or vers scheme, then the two versions (all or none)
    #[arg(value_names = ["ECOSYSTEM", "A", "B"], num_args = 0..=3)]
    pub(crate) args: Vec<String>,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VersContainsArgs {
    /// A vers range and a version (both or neither)
    #[arg(value_names = ["VERS", "VERSION"], num_args = 0..=2)]
    pub(crate) args: Vec<String>,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VersFromNativeArgs {
    /// Ecosystem or vers scheme of the range
    pub(crate) scheme: String,
    /// The range in the ecosystem's own syntax
    pub(crate) range: String,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PurlArgs {
    /// Package URLs (read from standard input when none are given)
    #[arg(value_name = "PURL")]
    pub(crate) purls: Vec<String>,

    /// Reject what ECMA-427 forbids instead of normalizing it (e.g. upper-case qualifier
    /// keys)
    #[arg(long)]
    pub(crate) strict: bool,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Output format: `human` for people, `json` for programs (one JSON object per line)
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub(crate) fn apply(self) {
        let choice = match self {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}

/// The store URL: `--db`/`CHAINWATCH_DB`, else `chainwatch.db` in the user's data directory.
pub(crate) fn database_url(db: Option<&str>) -> String {
    if let Some(db) = db {
        return db.to_owned();
    }
    let dir = default_database_dir().unwrap_or_else(|| PathBuf::from("."));
    format!("sqlite://{}", dir.join("chainwatch.db").display())
}

/// The directory of the default store: `chainwatch` in the user's data directory.
pub(crate) fn default_database_dir() -> Option<PathBuf> {
    data_dir().map(|d| d.join("chainwatch"))
}

/// Where downloads wait: `$XDG_CACHE_HOME` or `~/.cache` on Linux and BSDs,
/// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows; then `chainwatch`.
pub(crate) fn cache_dir() -> PathBuf {
    let env_dir = |name| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = if cfg!(windows) {
        env_dir("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env_dir("HOME").map(|h| h.join("Library/Caches"))
    } else {
        env_dir("XDG_CACHE_HOME").or_else(|| env_dir("HOME").map(|h| h.join(".cache")))
    };
    base.unwrap_or_else(std::env::temp_dir).join("chainwatch")
}

/// The user's data directory: `$XDG_DATA_HOME` or `~/.local/share` on Linux and BSDs,
/// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
fn data_dir() -> Option<PathBuf> {
    let env_dir = |name| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if cfg!(windows) {
        return env_dir("APPDATA");
    }
    let home = env_dir("HOME")?;
    if cfg!(target_os = "macos") {
        return Some(home.join("Library/Application Support"));
    }
    env_dir("XDG_DATA_HOME").or_else(|| Some(home.join(".local/share")))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every `CHAINWATCH_*` variable the program's crates read is in `--help`.
    #[test]
    fn help_names_every_environment_variable() {
        fn walk(dir: &std::path::Path, out: &mut std::collections::BTreeSet<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let mut rest = text.as_str();
                    while let Some(i) = rest.find("CHAINWATCH_") {
                        rest = &rest[i..];
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                            .collect();
                        rest = &rest[name.len()..];
                        out.insert(name.trim_end_matches('_').to_owned());
                    }
                }
            }
        }
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut read = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(&crates).expect("crates/").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // The test and benchmark tools have variables of their own.
            if name != "chainwatch-testkit" && name != "chainwatch-bench" {
                walk(&entry.path().join("src"), &mut read);
            }
        }
        read.remove("CHAINWATCH");
        assert!(read.contains("CHAINWATCH_DB"), "{read:?}");
        let missing: Vec<&String> = read
            .iter()
            .filter(|v| !AFTER_HELP.contains(&format!("  {v} ")))
            .collect();
        assert!(missing.is_empty(), "--help does not name {missing:?}");
    }

    #[test]
    fn default_database_is_a_sqlite_file_in_the_data_directory() {
        let url = database_url(None);
        assert!(url.starts_with("sqlite://"), "{url}");
        assert!(url.ends_with("chainwatch/chainwatch.db"), "{url}");
        assert_eq!(database_url(Some("postgres://x/y")), "postgres://x/y");
    }
}
