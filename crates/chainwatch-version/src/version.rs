use std::cmp::Ordering;
use std::fmt;

use chainwatch_purl::Ecosystem;

use crate::num::Num;
use crate::scheme::{
    apk, composer::ComposerVersion, conan::ConanVersion, datetime, deb::DebVersion, dotted,
    gem::GemVersion, gentoo::GentooVersion, maven::MavenVersion, nuget::NugetVersion,
    openssl::OpensslVersion, pep440::PyVersion, rpm, rpm::Evr, semver::SemVer,
};

macro_rules! schemes {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// A version scheme: how one ecosystem's package manager orders versions.
        ///
        /// The names are those of the vers specification (`vers:<name>/…`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Scheme {
            $(#[doc = $doc] $variant,)*
        }

        impl Scheme {
            pub const ALL: &'static [Scheme] = &[$(Scheme::$variant,)*];

            /// The vers scheme name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Scheme::$variant => $name,)*
                }
            }
        }
    };
}

schemes! {
    Semver => "semver", "SemVer 2.0 (also GitHub Actions, Bitnami, Julia)";
    Npm => "npm", "npm (SemVer 2.0)";
    Cargo => "cargo", "crates.io (SemVer 2.0)";
    Golang => "golang", "Go modules (SemVer 2.0 with `v`, pseudo-versions, `+incompatible`)";
    Hex => "hex", "Hex (SemVer 2.0)";
    Swift => "swift", "Swift Package Manager (SemVer 2.0)";
    Pub => "pub", "Dart's pub (SemVer 2.0, build metadata counts)";
    Pypi => "pypi", "PyPI (PEP 440)";
    Maven => "maven", "Maven (`ComparableVersion`)";
    Gem => "gem", "RubyGems (`Gem::Version`)";
    Nuget => "nuget", "NuGet (`NuGetVersion`)";
    Composer => "composer", "Packagist (PHP `version_compare`)";
    Deb => "deb", "Debian and Ubuntu (dpkg)";
    Rpm => "rpm", "RPM (rpmvercmp)";
    Apk => "apk", "Alpine (apk-tools)";
    Alpm => "alpm", "Arch Linux (pacman's vercmp)";
    Gentoo => "gentoo", "Gentoo (PMS)";
    Cran => "cran", "CRAN (R's `package_version`)";
    Hackage => "hackage", "Hackage (`Data.Version`)";
    Conan => "conan", "Conan 2";
    Openssl => "openssl", "OpenSSL release numbers";
    Nginx => "nginx", "nginx release numbers";
    Datetime => "datetime", "RFC 3339 timestamps";
    Lexicographic => "lexicographic", "Unicode code point order of the whole string";
    Generic => "generic", "fallback: rpmvercmp's digit and letter runs";
}

impl Scheme {
    /// A scheme by vers name (`pypi`, `deb`, `apk`, …) or OSV ecosystem name (`PyPI`,
    /// `crates.io`, `Debian:12`, `Red Hat`, …), case-insensitively.
    pub fn from_name(name: &str) -> Option<Scheme> {
        let lower = name.trim().to_ascii_lowercase();
        if let Some(s) = Scheme::ALL.iter().find(|s| s.name() == lower) {
            return Some(*s);
        }
        let alias = match lower.as_str() {
            "debian" | "ubuntu" | "dpkg" | "opam" => Some(Scheme::Deb),
            "alpine" | "wolfi" | "chainguard" => Some(Scheme::Apk),
            "rubygems" => Some(Scheme::Gem),
            "packagist" | "php" => Some(Scheme::Composer),
            "go" => Some(Scheme::Golang),
            "crates.io" | "rust" => Some(Scheme::Cargo),
            "redhat" | "red hat" | "rhel" | "fedora" | "centos" | "suse" | "opensuse" => {
                Some(Scheme::Rpm)
            }
            "arch" | "pacman" => Some(Scheme::Alpm),
            "python" | "pip" | "pep440" => Some(Scheme::Pypi),
            _ => None,
        };
        alias.or_else(|| {
            let eco = name.split(':').next().unwrap_or(name);
            Ecosystem::from_name(eco.trim()).map(Scheme::for_ecosystem)
        })
    }

    /// The scheme of an OSV ecosystem.
    pub fn for_ecosystem(ecosystem: Ecosystem) -> Scheme {
        match ecosystem {
            Ecosystem::PyPi => Scheme::Pypi,
            Ecosystem::Npm => Scheme::Npm,
            Ecosystem::CratesIo => Scheme::Cargo,
            Ecosystem::Go | Ecosystem::Kubernetes => Scheme::Golang,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::RubyGems => Scheme::Gem,
            Ecosystem::NuGet => Scheme::Nuget,
            Ecosystem::Packagist => Scheme::Composer,
            Ecosystem::Hex => Scheme::Hex,
            Ecosystem::Pub => Scheme::Pub,
            Ecosystem::SwiftUrl => Scheme::Swift,
            Ecosystem::Cran | Ecosystem::Bioconductor => Scheme::Cran,
            Ecosystem::Hackage | Ecosystem::Ghc => Scheme::Hackage,
            Ecosystem::ConanCenter => Scheme::Conan,
            Ecosystem::Debian | Ecosystem::Ubuntu | Ecosystem::Opam => Scheme::Deb,
            Ecosystem::Alpine
            | Ecosystem::Alpaquita
            | Ecosystem::Wolfi
            | Ecosystem::Chainguard
            | Ecosystem::MinimOs => Scheme::Apk,
            Ecosystem::RedHat
            | Ecosystem::AlmaLinux
            | Ecosystem::RockyLinux
            | Ecosystem::Suse
            | Ecosystem::OpenSuse
            | Ecosystem::PhotonOs
            | Ecosystem::AzureLinux
            | Ecosystem::OpenEuler
            | Ecosystem::Mageia => Scheme::Rpm,
            Ecosystem::GitHubActions | Ecosystem::Bitnami | Ecosystem::Julia => Scheme::Semver,
            _ => Scheme::Generic,
        }
    }

    /// The scheme of a purl type (`pkg:deb/…` is `deb`, `pkg:pypi/…` is `pypi`).
    pub fn for_purl_type(ty: &str) -> Scheme {
        match ty {
            "githubactions" | "github" | "bitnami" | "julia" => Scheme::Semver,
            "apk" => Scheme::Apk,
            "alpm" => Scheme::Alpm,
            "ebuild" => Scheme::Gentoo,
            "opam" => Scheme::Deb,
            other => Scheme::ALL
                .iter()
                .copied()
                .find(|s| s.name() == other)
                .unwrap_or(Scheme::Generic),
        }
    }

    /// Parses both and compares them as the ecosystem's tool does ([`Version::tool_cmp`]).
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(Version::parse(self, a)?.tool_cmp(&Version::parse(self, b)?))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a version could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    #[error("`{version}` is not a valid {scheme} version: {reason}")]
    Invalid {
        scheme: Scheme,
        version: String,
        reason: &'static str,
    },
    #[error("unknown version scheme `{name}`")]
    UnknownScheme { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    Semver(SemVer),
    Pypi(PyVersion),
    Maven(MavenVersion),
    Gem(GemVersion),
    Nuget(NugetVersion),
    Composer(ComposerVersion),
    Deb(DebVersion),
    Evr(Evr),
    Apk,
    Gentoo(GentooVersion),
    Numbers(Vec<Num>),
    Conan(ConanVersion),
    Openssl(OpensslVersion),
    Datetime(i128),
    /// Compared by the raw string (lexicographic, generic).
    Raw,
}

/// A parsed version of a scheme. Versions of one scheme are totally ordered the way the
/// ecosystem's own tool orders them; equality is that order's (`1.0 = 1.0.0` in Maven).
/// Versions of different schemes order by scheme, which has no meaning beyond making
/// the order total.
#[derive(Clone)]
pub struct Version {
    scheme: Scheme,
    raw: Box<str>,
    repr: Repr,
}

impl Version {
    pub fn parse(scheme: Scheme, input: &str) -> Result<Version, VersionError> {
        let invalid = |reason| VersionError::Invalid {
            scheme,
            version: input.to_owned(),
            reason,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(invalid("empty version"));
        }
        let repr = match scheme {
            Scheme::Semver
            | Scheme::Npm
            | Scheme::Cargo
            | Scheme::Golang
            | Scheme::Hex
            | Scheme::Swift
            | Scheme::Pub => Repr::Semver(SemVer::parse(s).map_err(invalid)?),
            Scheme::Pypi => Repr::Pypi(PyVersion::parse(s).map_err(invalid)?),
            Scheme::Maven => Repr::Maven(MavenVersion::parse(s).map_err(invalid)?),
            Scheme::Gem => Repr::Gem(GemVersion::parse(s).map_err(invalid)?),
            Scheme::Nuget => Repr::Nuget(NugetVersion::parse(s).map_err(invalid)?),
            Scheme::Composer => Repr::Composer(ComposerVersion::parse(s).map_err(invalid)?),
            Scheme::Deb => Repr::Deb(DebVersion::parse(s).map_err(invalid)?),
            Scheme::Rpm => Repr::Evr(Evr::parse(s, rpm::Flavor::Rpm).map_err(invalid)?),
            Scheme::Alpm => Repr::Evr(Evr::parse(s, rpm::Flavor::Alpm).map_err(invalid)?),
            Scheme::Apk => {
                if !s.bytes().any(|b| b.is_ascii_alphanumeric()) {
                    return Err(invalid("an apk version has letters or digits"));
                }
                Repr::Apk
            }
            Scheme::Gentoo => Repr::Gentoo(GentooVersion::parse(s).map_err(invalid)?),
            Scheme::Cran => Repr::Numbers(dotted::parse(s, &['.', '-']).map_err(invalid)?),
            Scheme::Hackage | Scheme::Nginx => {
                Repr::Numbers(dotted::parse(s, &['.']).map_err(invalid)?)
            }
            Scheme::Conan => Repr::Conan(ConanVersion::parse(s).map_err(invalid)?),
            Scheme::Openssl => Repr::Openssl(OpensslVersion::parse(s).map_err(invalid)?),
            Scheme::Datetime => Repr::Datetime(datetime::parse(s).map_err(invalid)?),
            Scheme::Lexicographic => Repr::Raw,
            Scheme::Generic => {
                if !s.bytes().any(|b| b.is_ascii_alphanumeric()) {
                    return Err(invalid("a version has letters or digits"));
                }
                Repr::Raw
            }
        };
        let raw = if scheme == Scheme::Lexicographic {
            input
        } else {
            s
        };
        Ok(Version {
            scheme,
            raw: raw.into(),
            repr,
        })
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The version as it was written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether this is a pre-release by the ecosystem's definition (npm, PyPI, RubyGems,
    /// NuGet, Composer, Conan); always false for schemes without one.
    pub fn is_prerelease(&self) -> bool {
        match &self.repr {
            Repr::Semver(v) => v.is_prerelease(),
            Repr::Pypi(v) => v
                .valid()
                .is_some_and(crate::scheme::pep440::Pep440::is_prerelease),
            Repr::Gem(v) => v.is_prerelease(),
            Repr::Nuget(v) => v.is_prerelease(),
            Repr::Composer(v) => v.is_prerelease(),
            Repr::Conan(v) => v.is_prerelease(),
            _ => false,
        }
    }
}

impl Version {
    /// The ecosystem tool's own comparison. It equals [`Ord::cmp`] except where the tool's
    /// answers are not a total order (pacman ignores a missing release: `1.5 = 1.5-1`;
    /// Maven has `1-rc < 1 < 1.foo < 1-rc`); ranges and matching use this, sorting uses
    /// `cmp`, a total order that agrees with it everywhere else.
    pub fn tool_cmp(&self, other: &Version) -> Ordering {
        match (&self.repr, &other.repr) {
            (Repr::Evr(a), Repr::Evr(b)) if self.scheme == other.scheme => a.tool_cmp(b),
            (Repr::Maven(a), Repr::Maven(b)) => a.tool_cmp(b),
            _ => self.cmp(other),
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.scheme != other.scheme {
            return self.scheme.cmp(&other.scheme);
        }
        match (&self.repr, &other.repr) {
            (Repr::Semver(a), Repr::Semver(b)) => {
                if self.scheme == Scheme::Pub {
                    a.cmp_pub(b)
                } else {
                    a.cmp_precedence(b)
                }
            }
            (Repr::Pypi(a), Repr::Pypi(b)) => a.cmp(b),
            (Repr::Maven(a), Repr::Maven(b)) => a.cmp(b),
            (Repr::Gem(a), Repr::Gem(b)) => a.cmp(b),
            (Repr::Nuget(a), Repr::Nuget(b)) => a.cmp(b),
            (Repr::Composer(a), Repr::Composer(b)) => a.cmp(b),
            (Repr::Deb(a), Repr::Deb(b)) => a.cmp(b),
            (Repr::Evr(a), Repr::Evr(b)) => a.cmp(b),
            (Repr::Apk, Repr::Apk) => apk::compare(&self.raw, &other.raw),
            (Repr::Gentoo(a), Repr::Gentoo(b)) => a.cmp(b),
            (Repr::Numbers(a), Repr::Numbers(b)) => a.cmp(b),
            (Repr::Conan(a), Repr::Conan(b)) => a.cmp(b),
            (Repr::Openssl(a), Repr::Openssl(b)) => a.cmp(b),
            (Repr::Datetime(a), Repr::Datetime(b)) => a.cmp(b),
            (Repr::Raw, Repr::Raw) if self.scheme == Scheme::Generic => {
                rpm::rpmvercmp(&self.raw, &other.raw)
            }
            _ => self.raw.as_bytes().cmp(other.raw.as_bytes()),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.raw)
    }
}
