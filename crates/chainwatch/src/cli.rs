//! Command-line definitions (clap). The help texts are the manual: keep them complete.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit status:
  0  success, nothing at or above the failure threshold
  1  findings at or above the failure threshold
  2  unusable input or wrong usage
  3  chainwatch itself failed (I/O, database)

Environment:
  CHAINWATCH_DB      store URL, as --db
  CHAINWATCH_CORPUS  shared test corpus (tests only)
  NO_COLOR           disable colour, as --color never";

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
    /// Read, validate, convert and compare SBOMs (CycloneDX, SPDX)
    #[command(subcommand)]
    Sbom(Sbom),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum Sbom {
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
    /// Compare two SBOMs: components added, removed and at a new version, and dependency
    /// edges added and removed
    ///
    /// Components are matched by package URL (without version), else by type, group and
    /// name, so documents from different tools and formats compare. Exit status: 0 when
    /// nothing differs, 1 when something does.
    #[command(
        after_help = "Examples:\n  chainwatch sbom diff release-1.0.cdx.json release-1.1.cdx.json"
    )]
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// SBOM files (`-` for standard input)
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TargetFormat {
    CyclonedxJson,
    CyclonedxXml,
    SpdxJson,
    SpdxTv,
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
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "the store arrives with the portfolio issue")
)]
pub(crate) fn database_url(db: Option<&str>) -> String {
    if let Some(db) = db {
        return db.to_owned();
    }
    let dir = data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("chainwatch");
    format!("sqlite://{}", dir.join("chainwatch.db").display())
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

    #[test]
    fn default_database_is_a_sqlite_file_in_the_data_directory() {
        let url = database_url(None);
        assert!(url.starts_with("sqlite://"), "{url}");
        assert!(url.ends_with("chainwatch/chainwatch.db"), "{url}");
        assert_eq!(database_url(Some("postgres://x/y")), "postgres://x/y");
    }
}
