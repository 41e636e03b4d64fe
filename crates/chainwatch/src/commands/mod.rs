//! One module per command, mirroring the command tree (`sbom/`, `advisories/` hold their
//! subcommands); what several commands need is in `crate::shared`, so that commands
//! never import each other.

pub(crate) mod advisories;
pub(crate) mod audit;
pub(crate) mod completions;
pub(crate) mod db;
pub(crate) mod findings;
pub(crate) mod ingest;
pub(crate) mod inspect;
pub(crate) mod licenses;
pub(crate) mod policy;
pub(crate) mod products;
pub(crate) mod query;
pub(crate) mod remote;
pub(crate) mod sbom;
pub(crate) mod scan;
pub(crate) mod serve;
pub(crate) mod token;
pub(crate) mod typosquat;
pub(crate) mod verify;
pub(crate) mod vex;

use crate::cli::Command;
use crate::output::{Context, Status};

/// Runs a command against the store (or with none).
pub(crate) fn run(ctx: &Context, command: Command) -> anyhow::Result<Status> {
    match command {
        Command::Inspect(args) => inspect::run(ctx, args),
        Command::Sbom(args) => sbom::run(ctx, args),
        Command::Scan(args) => scan::scan(ctx, &args),
        Command::Ingest(args) => ingest::ingest(ctx, &args),
        Command::Products(args) => products::products(ctx, &args),
        Command::Query(args) => query::query(ctx, args),
        Command::Db(args) => db::db(ctx, &args),
        Command::Advisories(args) => advisories::run(ctx, args),
        Command::Findings(args) => findings::findings(ctx, &args),
        Command::Vex(args) => vex::run(ctx, args),
        Command::Verify(args) => verify::run(&args),
        Command::Serve(args) => serve::serve(ctx, &args),
        Command::Worker(args) => serve::worker(ctx, &args),
        Command::Token(command) => token::token(ctx, &command),
        Command::Typosquat(args) => typosquat::run(ctx, args),
        Command::Licenses(args) => licenses::licenses(ctx, &args),
        Command::Policy(args) => policy::run(ctx, args),
        Command::Audit(args) => audit::run(ctx, args),
        Command::Completions(args) => completions::run(&args),
    }
}
