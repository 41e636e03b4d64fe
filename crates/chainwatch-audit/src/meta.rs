//! The metadata rules: a name that imitates a popular one, install-time code that a
//! version adds, a manifest that says nothing.

use crate::manifest::Manifest;
use crate::{Finding, Options};

/// A look-alike made by a technique that names rarely share by accident (a character
/// swapped for a look-alike, a bit flipped, a keyboard slip), with a high score;
/// plurals, affixes and word swaps are how many real projects are named.
pub fn strong_squat(verdict: &chainwatch_typosquat::Verdict) -> bool {
    use chainwatch_typosquat::Technique;
    verdict.score >= 0.75
        && !matches!(
            verdict.technique,
            Some(
                Technique::Plural
                    | Technique::Affix
                    | Technique::SwappedWords
                    | Technique::Distance2
            ) | None
        )
}

/// Runs the metadata rules over a manifest.
pub fn check(m: &Manifest, options: &Options<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let (Some(name), Some(check)) = (m.name.as_deref(), options.typosquat)
        && let Some(verdict) = check(m.ecosystem, name)
        && verdict.suspect
    {
        let imitates = verdict.imitates.as_deref().unwrap_or("?");
        let technique = verdict.technique.map_or("", |t| t.as_str());
        let strong = strong_squat(&verdict);
        let finding = Finding::new(
            "typosquat",
            &m.path,
            None,
            format!(
                "`{name}` looks like the popular `{imitates}` ({technique}, score {:.2})",
                verdict.score
            ),
            &format!("{name} ~ {imitates}"),
        );
        out.push(if strong {
            finding
        } else {
            finding.at(crate::Severity::Low)
        });
    }
    if m.description.is_none() && m.homepage.is_none() && m.repository.is_none() {
        out.push(Finding::new(
            "empty-metadata",
            &m.path,
            None,
            "the manifest has no description, homepage or repository".into(),
            m.name.as_deref().unwrap_or(""),
        ));
    }
    if let Some(previous) = options.previous {
        let hooks: Vec<&str> = m
            .install_scripts
            .iter()
            .map(|(h, _)| h.as_str())
            .filter(|h| !previous.install_scripts.iter().any(|(p, _)| p == h))
            .collect();
        let files: Vec<&str> = m
            .install_files
            .iter()
            .map(String::as_str)
            .filter(|f| !f.ends_with(".gemspec") && !previous.install_files.iter().any(|p| p == f))
            .filter(|_| m.ecosystem != crate::Ecosystem::Npm)
            .collect();
        let added: Vec<String> = hooks
            .iter()
            .map(|h| format!("the `{h}` script"))
            .chain(files.iter().map(|f| format!("`{f}`")))
            .collect();
        if !added.is_empty() {
            out.push(Finding::new(
                "new-install-script",
                &m.path,
                None,
                format!(
                    "{} adds {} that {} did not have",
                    m.id().unwrap_or_else(|| "this version".into()),
                    added.join(", "),
                    previous
                        .id()
                        .unwrap_or_else(|| "the previous version".into())
                ),
                &added.join(", "),
            ));
        }
    }
    out
}
