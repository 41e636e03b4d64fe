//! Reading a policy file (`scan --policy`, `policy check`, `policy test`).

use chainwatch_policy::Policy;

use crate::output::InputError;

/// Reads and compiles a policy file; its problems are unusable input, located by line.
pub(crate) fn load(path: &std::path::Path) -> anyhow::Result<Policy> {
    let shown = crate::shared::files::display(path);
    if std::fs::metadata(path).is_ok_and(|m| m.len() > chainwatch_policy::MAX_POLICY_BYTES as u64) {
        return Err(InputError(format!(
            "{shown}: the policy is larger than {} bytes",
            chainwatch_policy::MAX_POLICY_BYTES
        ))
        .into());
    }
    let bytes = crate::shared::files::read_input(path)?;
    let text =
        String::from_utf8(bytes).map_err(|e| InputError(format!("{shown}: not UTF-8 ({e})")))?;
    Policy::parse(&text).map_err(|e| InputError(format!("{shown}: {e}")).into())
}

/// The tags a target's product has for policy scopes: those given, and a stored product's
/// own.
pub(crate) fn tags_of(
    ctx: &crate::output::Context,
    target: &std::path::Path,
    given: &[String],
) -> anyhow::Result<Vec<String>> {
    let mut tags = chainwatch_store::clean_tags(given).map_err(|e| InputError(e.to_string()))?;
    if !target.exists() {
        let product = crate::shared::target::product_ref(target)?;
        let store = crate::shared::store::open(ctx)?;
        tags.extend(
            store
                .product_tags()?
                .remove(&product.name)
                .unwrap_or_default(),
        );
        tags.sort();
        tags.dedup();
    }
    Ok(tags)
}

/// Evaluates the store's active policy (none: nothing to do) over these product versions
/// (`None`: every one) and records the violations; says what changed on standard error
/// (humans) unless quiet. Typo-squat conditions use the built-in and refreshed lists and
/// the store's portfolio, as `scan` does by default.
pub(crate) fn evaluate(
    ctx: &crate::output::Context,
    store: &chainwatch_store::Store,
    only: Option<&[(String, String)]>,
    human: bool,
) -> anyhow::Result<chainwatch_store::PolicyOutcome> {
    // No policy and no violation or decision left holding: nothing to evaluate.
    let active = store.policy()?;
    if active.is_none() && !store.policy_results_held()? {
        return Ok(chainwatch_store::PolicyOutcome::default());
    }
    let args = crate::cli::TyposquatCorpusArgs::default();
    let sources = crate::shared::typosquat::sources(&args)?;
    // The whole portfolio, with a policy that asks about typo-squats: the detectors are
    // built on another thread while the store reads what the evaluation needs (one core
    // is idle then) and the names are checked on every core. A few product versions (an
    // ingest, triage): each ecosystem's detector built when first asked, as `scan` does.
    let prebuild = only.is_none()
        && active
            .and_then(|set| Policy::parse(&set.text).ok())
            .is_some_and(|p| p.needs().typosquat);
    std::thread::scope(|scope| {
        let building = std::sync::Mutex::new(prebuild.then(|| {
            scope.spawn(|| crate::shared::typosquat::detectors(&sources, &args, Some(store)))
        }));
        let typosquats = |purls: &[&str]| -> std::collections::HashSet<String> {
            let built = building
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            match built {
                Some(h) => {
                    let detectors = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                    crate::shared::typosquat::suspects_among(&detectors, &sources, purls)
                }
                None => crate::shared::typosquat::checker(&sources, &args, Some(store))
                    .suspects(purls.iter().copied())
                    .into_iter()
                    .map(|s| s.package)
                    .collect(),
            }
        };
        evaluate_runs(ctx, store, only, human, &typosquats)
    })
}

/// [`evaluate`] with the typo-squat question settled.
fn evaluate_runs(
    ctx: &crate::output::Context,
    store: &chainwatch_store::Store,
    only: Option<&[(String, String)]>,
    human: bool,
    typosquats: &(dyn Fn(&[&str]) -> std::collections::HashSet<String> + Sync),
) -> anyhow::Result<chainwatch_store::PolicyOutcome> {
    use std::io::Write as _;
    let mut total = chainwatch_store::PolicyOutcome::default();
    let runs: Vec<Option<(&str, &str)>> = match only {
        None => vec![None],
        Some(list) => list
            .iter()
            .map(|(p, v)| Some((p.as_str(), v.as_str())))
            .collect(),
    };
    for only in runs {
        let outcome = store.evaluate_policy(&chainwatch_store::PolicyRun { only, typosquats })?;
        total.versions += outcome.versions;
        total.components += outcome.components;
        total.evaluations += outcome.evaluations;
        total.opened_count += outcome.opened_count;
        total.opened_fail += outcome.opened_fail;
        total.opened.extend(outcome.opened);
        total.resolved += outcome.resolved;
        total.open += outcome.open;
        total.analyses.made += outcome.analyses.made;
        total.analyses.withdrawn += outcome.analyses.withdrawn;
        total.analyses.holding += outcome.analyses.holding;
    }
    if human && ctx.printer.summaries() && (total.analyses.made > 0 || total.analyses.withdrawn > 0)
    {
        writeln!(
            anstream::stderr().lock(),
            "{dim}policy: {} findings decided by vulnerability policies, {} decisions withdrawn (`chainwatch findings --all` shows them){dim:#}",
            total.analyses.made,
            total.analyses.withdrawn,
            dim = crate::output::DIM,
        )?;
    }
    if human && ctx.printer.summaries() && (total.opened_count > 0 || total.resolved > 0) {
        let mut err = anstream::stderr().lock();
        let fail = total.opened_fail;
        let dim = crate::output::DIM;
        writeln!(
            err,
            "{dim}policy: {} new violations ({fail} fail), {} resolved (`chainwatch policy violations` lists them){dim:#}",
            total.opened_count, total.resolved,
        )?;
    }
    Ok(total)
}
