//! Per-type rules of the registered purl types (`purl-spec/types/*-definition.json`).
//!
//! Each registered type says whether it has a namespace, which components are case
//! insensitive (and therefore lower-cased in the canonical form), which qualifiers it
//! requires, and a few type-specific checks. Unregistered types get no normalization:
//! a purl of a type we do not know is still a valid purl.
//!
//! Sharp edges, each covered by a purl-spec test:
//! - `pypi`: lower-case and `_` → `-` (the purl rule; name *identity* goes further and
//!   applies PEP 503, see [`crate::PackageName`]).
//! - `git`: the namespace is the host alone and the name is the whole repository path, so
//!   `pkg:git/codeberg.org/forgejo/forgejo` has the name `forgejo/forgejo`. Paths are case
//!   sensitive on most hosts, but not on the big forges (GitHub, GitLab, Bitbucket), whose
//!   paths are lower-cased.
//! - `mlflow`: Databricks model names are case insensitive (lower-cased), Azure ML names
//!   are not; the `repository_url` tells which.
//! - `golang`: the namespace is required, except for module paths of a single element
//!   (`go.starlark.net`, which real SBOMs contain) and the pseudo-modules `stdlib` and
//!   `toolchain` that SBOM generators and the Go vulnerability database use.
//! - `cpan`: the name is a distribution name and may not contain the module separator `::`.
//! - `chrome-extension`: the name is 32 letters `a`–`p`; the version at most four numbers.

/// Whether a type has a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    Required,
    Optional,
    Prohibited,
}

/// Type-specific behaviour beyond case folding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    None,
    Pypi,
    Git,
    Mlflow,
    Golang,
    Cpan,
    ChromeExtension,
}

#[derive(Debug)]
pub(crate) struct TypeRules {
    pub(crate) ty: &'static str,
    pub(crate) namespace: Presence,
    pub(crate) lowercase_namespace: bool,
    pub(crate) lowercase_name: bool,
    pub(crate) lowercase_version: bool,
    pub(crate) required_qualifiers: &'static [&'static str],
    pub(crate) special: Special,
}

const fn rules(ty: &'static str, namespace: Presence) -> TypeRules {
    TypeRules {
        ty,
        namespace,
        lowercase_namespace: false,
        lowercase_name: false,
        lowercase_version: false,
        required_qualifiers: &[],
        special: Special::None,
    }
}

impl TypeRules {
    const fn lower_ns(mut self) -> Self {
        self.lowercase_namespace = true;
        self
    }
    const fn lower_name(mut self) -> Self {
        self.lowercase_name = true;
        self
    }
    const fn lower_version(mut self) -> Self {
        self.lowercase_version = true;
        self
    }
    const fn require(mut self, keys: &'static [&'static str]) -> Self {
        self.required_qualifiers = keys;
        self
    }
    const fn special(mut self, special: Special) -> Self {
        self.special = special;
        self
    }
}

use Presence::{Optional, Prohibited, Required};

/// The registered types, sorted by name (looked up by binary search).
static REGISTERED: &[TypeRules] = &[
    rules("alpm", Required).lower_ns().lower_name(),
    rules("apk", Required).lower_ns().lower_name(),
    rules("bazel", Prohibited),
    rules("bitbucket", Required).lower_ns().lower_name(),
    rules("bitnami", Prohibited).lower_name(),
    rules("brew", Optional).lower_ns().lower_name(),
    rules("cargo", Prohibited),
    rules("chrome-extension", Prohibited)
        .lower_name()
        .special(Special::ChromeExtension),
    rules("cocoapods", Prohibited),
    rules("composer", Required).lower_ns().lower_name(),
    rules("conan", Optional),
    rules("conda", Prohibited),
    rules("cpan", Optional).special(Special::Cpan),
    rules("cran", Prohibited),
    rules("deb", Required).lower_ns().lower_name(),
    rules("docker", Optional),
    rules("gem", Prohibited),
    rules("generic", Optional),
    rules("git", Required).special(Special::Git),
    rules("github", Required).lower_ns().lower_name(),
    rules("golang", Required).special(Special::Golang),
    rules("hackage", Prohibited),
    rules("hex", Optional).lower_ns().lower_name(),
    rules("huggingface", Required).lower_version(),
    rules("julia", Prohibited).require(&["uuid"]),
    rules("luarocks", Optional).lower_ns().lower_name(),
    rules("maven", Required),
    rules("mlflow", Prohibited).special(Special::Mlflow),
    rules("npm", Optional),
    rules("nuget", Prohibited),
    rules("oci", Prohibited).lower_name().lower_version(),
    rules("opam", Prohibited),
    rules("otp", Prohibited).lower_name(),
    rules("pub", Prohibited).lower_name(),
    rules("pypi", Prohibited)
        .lower_name()
        .lower_version()
        .special(Special::Pypi),
    rules("qpkg", Required).lower_ns(),
    rules("rpm", Required).lower_ns(),
    rules("swid", Optional).require(&["tag_id"]),
    rules("swift", Required),
    rules("vcpkg", Prohibited),
    rules("vscode-extension", Required)
        .lower_ns()
        .lower_name()
        .lower_version(),
    rules("yocto", Optional).lower_ns(),
];

static UNREGISTERED: TypeRules = rules("", Optional);

/// The rules for a (lower-case) type; unregistered types get permissive rules.
pub(crate) fn rules_for(ty: &str) -> &'static TypeRules {
    REGISTERED
        .binary_search_by(|r| r.ty.cmp(ty))
        .map_or(&UNREGISTERED, |i| &REGISTERED[i])
}

/// Whether `ty` is one of the types registered in the purl specification.
pub fn is_registered_type(ty: &str) -> bool {
    REGISTERED.binary_search_by(|r| r.ty.cmp(ty)).is_ok()
}

/// The registered purl types, sorted.
pub fn registered_types() -> impl Iterator<Item = &'static str> {
    REGISTERED.iter().map(|r| r.ty)
}

/// Git hosts whose repository paths are case insensitive.
pub(crate) fn is_case_insensitive_git_host(host: &str) -> bool {
    matches!(
        host,
        "github" | "github.com" | "gitlab" | "gitlab.com" | "bitbucket" | "bitbucket.org"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_types_are_sorted_and_unique() {
        for pair in REGISTERED.windows(2) {
            assert!(
                pair[0].ty < pair[1].ty,
                "{} before {}",
                pair[0].ty,
                pair[1].ty
            );
        }
    }

    #[test]
    fn unknown_types_get_permissive_rules() {
        let r = rules_for("made-up");
        assert_eq!(r.namespace, Presence::Optional);
        assert!(!r.lowercase_name);
    }
}
