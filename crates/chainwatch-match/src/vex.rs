//! Which VEX statement applies to a finding: by vulnerability (any identifier of the
//! advisory), by component (the package: same name identity, and the same version when
//! the statement names one) and by product (name, `name@version`, a purl or CPE naming
//! the product). Of the statements that apply, the most recent wins.

use chainwatch_advisory::vex::Statement;
use chainwatch_purl::Purl;

/// What a finding is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub product: &'a str,
    pub version: &'a str,
    /// The package's canonical purl.
    pub package: &'a str,
    /// Every identifier of the advisory (id, aliases), any case.
    pub identifiers: &'a [String],
}

/// Whether `reference` (a purl or a name from a statement) names the package.
fn names_package(reference: &str, package: &str) -> bool {
    let Ok(pkg) = Purl::parse(package) else {
        return reference.eq_ignore_ascii_case(package);
    };
    match Purl::parse(reference) {
        Ok(r) => {
            r.package_name().canonical() == pkg.package_name().canonical()
                && r.version().is_none_or(|v| Some(v) == pkg.version())
        }
        Err(_) => reference.eq_ignore_ascii_case(pkg.name()),
    }
}

/// Whether `reference` names the product version.
fn names_product(reference: &str, product: &str, version: &str) -> bool {
    if reference.eq_ignore_ascii_case(product)
        || reference.eq_ignore_ascii_case(&format!("{product}@{version}"))
    {
        return true;
    }
    if let Ok(p) = Purl::parse(reference) {
        // An image digest is not a product version: the name decides.
        return p.name().eq_ignore_ascii_case(product)
            && p.version()
                .is_none_or(|v| v == version || v.starts_with("sha256:"));
    }
    if let Some(rest) = reference
        .strip_prefix("cpe:2.3:")
        .or_else(|| reference.strip_prefix("cpe:/"))
    {
        let parts: Vec<&str> = rest.split(':').collect();
        let (name, v) = (parts.get(2).copied(), parts.get(3).copied());
        return name.is_some_and(|n| n.eq_ignore_ascii_case(product))
            && v.is_none_or(|v| matches!(v, "*" | "-" | "") || v == version);
    }
    false
}

/// Whether the statement is about this finding.
pub fn applies(statement: &Statement, subject: &Subject<'_>) -> bool {
    let same_vulnerability = statement.identifiers().any(|id| {
        subject
            .identifiers
            .iter()
            .any(|s| s.eq_ignore_ascii_case(id))
    });
    if !same_vulnerability {
        return false;
    }
    if statement.components.is_empty() {
        // About products, which may be the package itself.
        statement.products.iter().any(|p| {
            names_package(p, subject.package) || names_product(p, subject.product, subject.version)
        })
    } else {
        statement
            .components
            .iter()
            .any(|c| names_package(c, subject.package))
            && (statement.products.is_empty()
                || statement
                    .products
                    .iter()
                    .any(|p| names_product(p, subject.product, subject.version)))
    }
}

/// The statement that decides the finding's VEX status: the most recent of those that
/// apply. Each statement comes with its time (microseconds since the epoch: its own
/// timestamp, else its document's); among equal times, the last given wins.
pub fn decide<'a>(
    statements: impl IntoIterator<Item = (&'a Statement, i64)>,
    subject: &Subject<'_>,
) -> Option<&'a Statement> {
    let mut best: Option<(i64, &Statement)> = None;
    for (s, at) in statements {
        if applies(s, subject) && best.is_none_or(|(t, _)| at >= t) {
            best = Some((at, s));
        }
    }
    // The newest statement decides; a reset (`not_set`) leaves no decision.
    best.map(|(_, s)| s).filter(|s| !s.is_reset())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use chainwatch_advisory::vex::VexStatus;

    fn statement(products: &[&str], components: &[&str], status: VexStatus, at: &str) -> Statement {
        Statement {
            vulnerability: "CVE-2024-1".into(),
            aliases: vec![],
            products: products.iter().map(|s| (*s).to_owned()).collect(),
            components: components.iter().map(|s| (*s).to_owned()).collect(),
            status,
            justification: None,
            impact: None,
            action: None,
            timestamp: Some(at.into()),
            analysis: None,
        }
    }

    #[test]
    fn a_reset_withdraws_the_decision() {
        let subject = Subject {
            product: "app",
            version: "1.0",
            package: "pkg:npm/x@1",
            identifiers: &["CVE-2024-1".to_owned()],
        };
        let decided = statement(
            &["app@1.0"],
            &["pkg:npm/x@1"],
            VexStatus::NotAffected,
            "2024-01-01T00:00:00Z",
        );
        let mut reset = statement(
            &["app@1.0"],
            &["pkg:npm/x@1"],
            VexStatus::UnderInvestigation,
            "2024-02-01T00:00:00Z",
        );
        reset.analysis = Some("not_set".into());
        let t = |s: &Statement| month(s);
        assert!(decide([(&decided, t(&decided))], &subject).is_some());
        assert!(decide([(&decided, t(&decided)), (&reset, t(&reset))], &subject).is_none());
        // A decision after the reset counts again.
        let again = statement(
            &["app@1.0"],
            &["pkg:npm/x@1"],
            VexStatus::Fixed,
            "2024-03-01T00:00:00Z",
        );
        let v = decide(
            [
                (&decided, t(&decided)),
                (&reset, t(&reset)),
                (&again, t(&again)),
            ],
            &subject,
        );
        assert_eq!(v.map(|s| s.status), Some(VexStatus::Fixed));
    }

    fn month(s: &Statement) -> i64 {
        // Months of 2024 are enough to order these statements.
        s.timestamp
            .as_deref()
            .and_then(|t| t.get(5..7))
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }

    #[test]
    fn products_components_and_time() {
        let ids = vec!["GHSA-x".to_owned(), "cve-2024-1".to_owned()];
        let subject = Subject {
            product: "shop",
            version: "1.0",
            package: "pkg:pypi/urllib3@1.26.5",
            identifiers: &ids,
        };
        let by_package = statement(
            &["pkg:pypi/urllib3@1.26.5"],
            &[],
            VexStatus::NotAffected,
            "2024-01-01T00:00:00Z",
        );
        assert!(applies(&by_package, &subject));
        let other_version = statement(
            &["pkg:pypi/urllib3@2.0"],
            &[],
            VexStatus::NotAffected,
            "2024-01-01T00:00:00Z",
        );
        assert!(!applies(&other_version, &subject));
        let in_product = statement(
            &["pkg:oci/shop@sha256:abc"],
            &["pkg:pypi/urllib3"],
            VexStatus::Fixed,
            "2024-02-01T00:00:00Z",
        );
        assert!(applies(&in_product, &subject));
        let other_product = statement(
            &["cpe:2.3:a:acme:billing:1.0:*:*:*:*:*:*:*"],
            &["pkg:pypi/urllib3"],
            VexStatus::Fixed,
            "2024-02-01T00:00:00Z",
        );
        assert!(!applies(&other_product, &subject));
        let whole_product = statement(
            &["shop@1.0"],
            &[],
            VexStatus::Affected,
            "2024-03-01T00:00:00Z",
        );
        assert!(applies(&whole_product, &subject));
        let all = [
            (&by_package, 1),
            (&in_product, 2),
            (&whole_product, 3),
            (&other_version, 4),
        ];
        assert_eq!(decide(all, &subject).unwrap().status, VexStatus::Affected);
        assert_eq!(
            decide(all[..2].to_vec(), &subject).unwrap().status,
            VexStatus::Fixed
        );
    }
}
