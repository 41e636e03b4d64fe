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
    pub(crate) namespace: Presence,
    pub(crate) lowercase_namespace: bool,
    pub(crate) lowercase_name: bool,
    pub(crate) lowercase_version: bool,
    pub(crate) required_qualifiers: &'static [&'static str],
    pub(crate) special: Special,
}

const fn rules(namespace: Presence) -> TypeRules {
    TypeRules {
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

macro_rules! registered {
    ($($ty:literal => $rules:expr,)*) => {
        /// The names of the registered types, sorted.
        static REGISTERED: &[&str] = &[$($ty,)*];

        /// Whether `ty` is a registered type spelled in lower case (one string match).
        pub(crate) fn is_registered_type_fast(ty: &str) -> bool {
            matches!(ty, $($ty)|*)
        }

        /// The rules for a (lower-case) type; unregistered types get permissive rules.
        pub(crate) fn rules_for(ty: &str) -> &'static TypeRules {
            match ty {
                $($ty => {
                    static RULES: TypeRules = $rules;
                    &RULES
                })*
                _ => &UNREGISTERED,
            }
        }
    };
}

registered! {
    "alpm" => rules(Required).lower_ns().lower_name(),
    "apk" => rules(Required).lower_ns().lower_name(),
    "bazel" => rules(Prohibited),
    "bitbucket" => rules(Required).lower_ns().lower_name(),
    "bitnami" => rules(Prohibited).lower_name(),
    "brew" => rules(Optional).lower_ns().lower_name(),
    "cargo" => rules(Prohibited),
    "chrome-extension" => rules(Prohibited).lower_name().special(Special::ChromeExtension),
    "cocoapods" => rules(Prohibited),
    "composer" => rules(Required).lower_ns().lower_name(),
    "conan" => rules(Optional),
    "conda" => rules(Prohibited),
    "cpan" => rules(Optional).special(Special::Cpan),
    "cran" => rules(Prohibited),
    "deb" => rules(Required).lower_ns().lower_name(),
    "docker" => rules(Optional),
    "gem" => rules(Prohibited),
    "generic" => rules(Optional),
    "git" => rules(Required).special(Special::Git),
    "github" => rules(Required).lower_ns().lower_name(),
    "golang" => rules(Required).special(Special::Golang),
    "hackage" => rules(Prohibited),
    "hex" => rules(Optional).lower_ns().lower_name(),
    "huggingface" => rules(Required).lower_version(),
    "julia" => rules(Prohibited).require(&["uuid"]),
    "luarocks" => rules(Optional).lower_ns().lower_name(),
    "maven" => rules(Required),
    "mlflow" => rules(Prohibited).special(Special::Mlflow),
    "npm" => rules(Optional),
    "nuget" => rules(Prohibited),
    "oci" => rules(Prohibited).lower_name().lower_version(),
    "opam" => rules(Prohibited),
    "otp" => rules(Prohibited).lower_name(),
    "pub" => rules(Prohibited).lower_name(),
    "pypi" => rules(Prohibited).lower_name().lower_version().special(Special::Pypi),
    "qpkg" => rules(Required).lower_ns(),
    "rpm" => rules(Required).lower_ns(),
    "swid" => rules(Optional).require(&["tag_id"]),
    "swift" => rules(Required),
    "vcpkg" => rules(Prohibited),
    "vscode-extension" => rules(Required).lower_ns().lower_name().lower_version(),
    "yocto" => rules(Optional).lower_ns(),
}

static UNREGISTERED: TypeRules = rules(Optional);

/// Whether `ty` is one of the types registered in the purl specification.
pub fn is_registered_type(ty: &str) -> bool {
    REGISTERED.binary_search(&ty).is_ok()
}

/// The registered purl types, sorted.
pub fn registered_types() -> impl Iterator<Item = &'static str> {
    REGISTERED.iter().copied()
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
            assert!(pair[0] < pair[1], "{} before {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn all_42_registered_types_are_known() {
        // purl-spec `purl-types-index.json` at the corpus commit lists 42 types.
        assert_eq!(REGISTERED.len(), 42);
        assert_eq!(rules_for("pypi").special, Special::Pypi);
        assert!(rules_for("vscode-extension").lowercase_version);
        assert_eq!(
            rules_for("chrome-extension").special,
            Special::ChromeExtension
        );
    }

    #[test]
    fn unknown_types_get_permissive_rules() {
        let r = rules_for("made-up");
        assert_eq!(r.namespace, Presence::Optional);
        assert!(!r.lowercase_name);
    }
}
