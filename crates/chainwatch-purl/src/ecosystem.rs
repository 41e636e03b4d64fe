//! OSV ecosystems and the mapping between purls and `(ecosystem, package name)` pairs.
//!
//! OSV names a package by an ecosystem string and a name in that ecosystem's own syntax
//! (`Maven` + `org.apache.logging.log4j:log4j-core`, `npm` + `@angular/core`,
//! `Debian:12` + `xz-utils`). Distribution ecosystems carry the release after a colon;
//! for purls the release comes from the `distro` qualifier (`debian-12`, `bookworm`,
//! `ubuntu-22.04`, `alpine-3.19`, `almalinux-9.3`, …).

use std::fmt;
use std::str::FromStr;

use crate::error::PurlError;
use crate::name::{PackageName, pep503_normalize};
use crate::purl::Purl;

macro_rules! ecosystems {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// An ecosystem of the OSV schema (`ecosystems.json`), without release suffix; and
        /// `Hugging Face`, which OSV does not list yet, for MAL-style records about models
        /// (`pkg:huggingface/ORG/NAME`, the OSV name `ORG/NAME`, revisions compared as they
        /// are written).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Ecosystem {
            $($variant,)*
        }

        impl Ecosystem {
            /// Every ecosystem, in the order of the OSV list.
            pub const ALL: &'static [Ecosystem] = &[$(Ecosystem::$variant,)*];

            /// The exact OSV spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Ecosystem::$variant => $name,)*
                }
            }
        }
    };
}

ecosystems! {
    AlmaLinux => "AlmaLinux",
    Alpaquita => "Alpaquita",
    Alpine => "Alpine",
    Android => "Android",
    AzureLinux => "Azure Linux",
    BellSoftHardenedContainers => "BellSoft Hardened Containers",
    Bioconductor => "Bioconductor",
    Bitnami => "Bitnami",
    Chainguard => "Chainguard",
    CleanStart => "CleanStart",
    ConanCenter => "ConanCenter",
    Cran => "CRAN",
    CratesIo => "crates.io",
    Debian => "Debian",
    DockerHardenedImages => "Docker Hardened Images",
    Echo => "Echo",
    FreeBsd => "FreeBSD",
    Ghc => "GHC",
    GitHubActions => "GitHub Actions",
    Go => "Go",
    Hackage => "Hackage",
    Hex => "Hex",
    HuggingFace => "Hugging Face",
    Julia => "Julia",
    Kubernetes => "Kubernetes",
    Linux => "Linux",
    Mageia => "Mageia",
    Maven => "Maven",
    MinimOs => "MinimOS",
    Npm => "npm",
    NuGet => "NuGet",
    Opam => "opam",
    OpenEuler => "openEuler",
    OpenSuse => "openSUSE",
    OssFuzz => "OSS-Fuzz",
    Packagist => "Packagist",
    PhotonOs => "Photon OS",
    Pub => "Pub",
    PyPi => "PyPI",
    RedHat => "Red Hat",
    RockyLinux => "Rocky Linux",
    Root => "Root",
    RubyGems => "RubyGems",
    Suse => "SUSE",
    SwiftUrl => "SwiftURL",
    TuxCare => "TuxCare",
    Ubuntu => "Ubuntu",
    VsCode => "VSCode",
    Wolfi => "Wolfi",
}

impl Ecosystem {
    /// Looks an ecosystem up by its OSV name, case-insensitively, also accepting the
    /// names GitHub's advisory API uses (`PIP`, `COMPOSER`, `RUST`, `ERLANG`, `ACTIONS`, …).
    pub fn from_name(name: &str) -> Option<Ecosystem> {
        if let Some(e) = Ecosystem::ALL
            .iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(name))
        {
            return Some(*e);
        }
        let alias = match name.to_ascii_lowercase().as_str() {
            "pip" | "python" => Ecosystem::PyPi,
            "composer" | "php" => Ecosystem::Packagist,
            "rust" | "cargo" | "crates" => Ecosystem::CratesIo,
            "golang" => Ecosystem::Go,
            "erlang" => Ecosystem::Hex,
            "swift" => Ecosystem::SwiftUrl,
            "actions" => Ecosystem::GitHubActions,
            "gem" | "rubygem" => Ecosystem::RubyGems,
            "redhat" => Ecosystem::RedHat,
            "conan" => Ecosystem::ConanCenter,
            "huggingface" | "hf" => Ecosystem::HuggingFace,
            _ => return None,
        };
        Some(alias)
    }

    /// The purl type of packages in this ecosystem, where there is one.
    pub const fn purl_type(self) -> Option<&'static str> {
        Some(match self {
            Ecosystem::PyPi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "cargo",
            Ecosystem::Go | Ecosystem::Kubernetes => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::RubyGems => "gem",
            Ecosystem::NuGet => "nuget",
            Ecosystem::Packagist => "composer",
            Ecosystem::Hex => "hex",
            Ecosystem::HuggingFace => "huggingface",
            Ecosystem::Pub => "pub",
            Ecosystem::SwiftUrl => "swift",
            Ecosystem::Cran | Ecosystem::Bioconductor => "cran",
            Ecosystem::ConanCenter => "conan",
            Ecosystem::Hackage => "hackage",
            Ecosystem::Julia => "julia",
            Ecosystem::Opam => "opam",
            Ecosystem::Bitnami => "bitnami",
            Ecosystem::GitHubActions => "githubactions",
            Ecosystem::VsCode => "vscode-extension",
            Ecosystem::Debian | Ecosystem::Ubuntu => "deb",
            Ecosystem::Alpine
            | Ecosystem::Wolfi
            | Ecosystem::Chainguard
            | Ecosystem::MinimOs
            | Ecosystem::Alpaquita => "apk",
            Ecosystem::RedHat
            | Ecosystem::AlmaLinux
            | Ecosystem::RockyLinux
            | Ecosystem::Suse
            | Ecosystem::OpenSuse
            | Ecosystem::PhotonOs
            | Ecosystem::AzureLinux
            | Ecosystem::OpenEuler
            | Ecosystem::Mageia => "rpm",
            _ => return None,
        })
    }

    /// The purl namespace that distribution packages of this ecosystem carry.
    const fn distro_namespace(self) -> Option<&'static str> {
        Some(match self {
            Ecosystem::Debian => "debian",
            Ecosystem::Ubuntu => "ubuntu",
            Ecosystem::Alpine => "alpine",
            Ecosystem::Wolfi => "wolfi",
            Ecosystem::Chainguard => "chainguard",
            Ecosystem::MinimOs => "minimos",
            Ecosystem::Alpaquita => "alpaquita",
            Ecosystem::RedHat => "redhat",
            Ecosystem::AlmaLinux => "almalinux",
            Ecosystem::RockyLinux => "rocky",
            Ecosystem::Suse => "suse",
            Ecosystem::OpenSuse => "opensuse",
            Ecosystem::PhotonOs => "photon",
            Ecosystem::AzureLinux => "azurelinux",
            Ecosystem::OpenEuler => "openeuler",
            Ecosystem::Mageia => "mageia",
            _ => return None,
        })
    }

    fn from_distro_namespace(ty: &str, namespace: &str) -> Option<Ecosystem> {
        Some(match (ty, namespace) {
            ("deb", "debian") => Ecosystem::Debian,
            ("deb", "ubuntu") => Ecosystem::Ubuntu,
            ("apk", "alpine") => Ecosystem::Alpine,
            ("apk", "wolfi") => Ecosystem::Wolfi,
            ("apk", "chainguard") => Ecosystem::Chainguard,
            ("apk", "minimos") => Ecosystem::MinimOs,
            ("apk", "alpaquita") => Ecosystem::Alpaquita,
            ("rpm", "redhat" | "rhel") => Ecosystem::RedHat,
            ("rpm", "almalinux" | "alma") => Ecosystem::AlmaLinux,
            ("rpm", "rocky" | "rockylinux") => Ecosystem::RockyLinux,
            ("rpm", "suse" | "sles" | "sle") => Ecosystem::Suse,
            ("rpm", "opensuse" | "opensuse-leap" | "opensuse-tumbleweed") => Ecosystem::OpenSuse,
            ("rpm", "photon") => Ecosystem::PhotonOs,
            ("rpm", "azurelinux") => Ecosystem::AzureLinux,
            ("rpm", "openeuler") => Ecosystem::OpenEuler,
            ("rpm", "mageia") => Ecosystem::Mageia,
            _ => return None,
        })
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OSV ecosystem string: the ecosystem and its optional suffix, such as the release
/// (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`) or a repository (`Maven:https://…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OsvEcosystem {
    pub ecosystem: Ecosystem,
    pub suffix: Option<String>,
}

impl OsvEcosystem {
    pub fn new(ecosystem: Ecosystem, suffix: Option<String>) -> OsvEcosystem {
        OsvEcosystem {
            ecosystem,
            suffix: suffix.filter(|s| !s.is_empty()),
        }
    }
}

impl fmt::Display for OsvEcosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ecosystem.as_str())?;
        if let Some(suffix) = &self.suffix {
            write!(f, ":{suffix}")?;
        }
        Ok(())
    }
}

impl FromStr for OsvEcosystem {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (base, suffix) = match s.split_once(':') {
            Some((b, rest)) => (b, Some(rest.to_owned())),
            None => (s, None),
        };
        let ecosystem =
            Ecosystem::from_name(base.trim()).ok_or_else(|| PurlError::UnknownEcosystem {
                ecosystem: s.to_owned(),
            })?;
        Ok(OsvEcosystem::new(ecosystem, suffix))
    }
}

impl Purl {
    /// The OSV ecosystem this package belongs to, with the distribution release when the
    /// `distro` qualifier names one (`pkg:deb/debian/curl?distro=debian-12` → `Debian:12`).
    pub fn osv_ecosystem(&self) -> Option<OsvEcosystem> {
        let ecosystem = match self.ty() {
            "pypi" => Ecosystem::PyPi,
            "npm" => Ecosystem::Npm,
            "cargo" => Ecosystem::CratesIo,
            "golang" => Ecosystem::Go,
            "maven" => Ecosystem::Maven,
            "gem" => Ecosystem::RubyGems,
            "nuget" => Ecosystem::NuGet,
            "composer" => Ecosystem::Packagist,
            "hex" => Ecosystem::Hex,
            "pub" => Ecosystem::Pub,
            "swift" => Ecosystem::SwiftUrl,
            "cran" => Ecosystem::Cran,
            "conan" => Ecosystem::ConanCenter,
            "hackage" => Ecosystem::Hackage,
            "julia" => Ecosystem::Julia,
            "opam" => Ecosystem::Opam,
            "bitnami" => Ecosystem::Bitnami,
            "githubactions" => Ecosystem::GitHubActions,
            "vscode-extension" => Ecosystem::VsCode,
            "huggingface" => Ecosystem::HuggingFace,
            ty @ ("deb" | "apk" | "rpm") => {
                let ecosystem = Ecosystem::from_distro_namespace(ty, self.namespace()?)?;
                let release = self
                    .qualifier("distro")
                    .and_then(|d| distro_release(ecosystem, d));
                return Some(OsvEcosystem::new(ecosystem, release));
            }
            _ => return None,
        };
        Some(OsvEcosystem::new(ecosystem, None))
    }

    /// The package's name as OSV writes it in its ecosystem (`group:artifact` for Maven,
    /// `@scope/name` for npm, the module path for Go, the PEP 503 name for PyPI).
    pub fn osv_package_name(&self) -> Option<String> {
        self.osv_ecosystem()?;
        let ns = self.namespace();
        Some(match (self.ty(), ns) {
            ("maven", Some(group)) => format!("{group}:{}", self.name()),
            ("pypi", _) => pep503_normalize(self.name()),
            ("vscode-extension", Some(publisher)) => format!("{publisher}.{}", self.name()),
            ("deb" | "apk" | "rpm", _) | (_, None) => self.name().to_owned(),
            (_, Some(ns)) => format!("{ns}/{}", self.name()),
        })
    }

    /// The purl of a package named the OSV way, without a version. Distribution releases
    /// become the `distro` qualifier (`Debian:12` + `xz-utils` →
    /// `pkg:deb/debian/xz-utils?distro=debian-12`).
    pub fn from_osv(ecosystem: &OsvEcosystem, name: &str) -> Result<Purl, PurlError> {
        let (ty, namespace, name) = osv_name_parts(ecosystem.ecosystem, name)?;
        let mut builder = Purl::builder(ty, name);
        if let Some(ns) = namespace {
            builder = builder.namespace(ns);
        }
        if let Some(distro) = ecosystem
            .suffix
            .as_deref()
            .and_then(|s| distro_qualifier(ecosystem.ecosystem, s))
        {
            builder = builder.qualifier("distro", distro);
        }
        builder.build()
    }
}

impl PackageName {
    /// The name identity of a package named the OSV way.
    pub fn from_osv(ecosystem: Ecosystem, name: &str) -> Result<PackageName, PurlError> {
        let (ty, namespace, name) = osv_name_parts(ecosystem, name)?;
        PackageName::new(ty, namespace.as_deref(), &name)
    }
}

/// Splits an OSV package name into purl type, namespace and name.
fn osv_name_parts(
    ecosystem: Ecosystem,
    name: &str,
) -> Result<(&'static str, Option<String>, String), PurlError> {
    let ty = ecosystem
        .purl_type()
        .ok_or_else(|| PurlError::UnknownEcosystem {
            ecosystem: ecosystem.to_string(),
        })?;
    let split_last = |s: &str| match s.rsplit_once('/') {
        Some((ns, n)) => (Some(ns.to_owned()), n.to_owned()),
        None => (None, s.to_owned()),
    };
    let (namespace, name) = match ty {
        "maven" => match name.split_once(':') {
            Some((group, artifact)) => (Some(group.to_owned()), artifact.to_owned()),
            None => (None, name.to_owned()),
        },
        "npm" if name.starts_with('@') => split_last(name),
        "golang" | "composer" | "githubactions" | "huggingface" => split_last(name),
        "swift" => {
            let path = name.split_once("://").map_or(name, |(_, p)| p);
            split_last(path.trim_end_matches('/').trim_end_matches(".git"))
        }
        "vscode-extension" => match name.split_once('.') {
            Some((publisher, n)) => (Some(publisher.to_owned()), n.to_owned()),
            None => (None, name.to_owned()),
        },
        "deb" | "apk" | "rpm" => (
            ecosystem.distro_namespace().map(str::to_owned),
            name.to_owned(),
        ),
        _ => (None, name.to_owned()),
    };
    Ok((ty, namespace, name))
}

/// Debian releases by code name (distro-info-data).
const DEBIAN_CODENAMES: &[(&str, &str)] = &[
    ("buzz", "1.1"),
    ("rex", "1.2"),
    ("bo", "1.3"),
    ("hamm", "2.0"),
    ("slink", "2.1"),
    ("potato", "2.2"),
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4"),
    ("lenny", "5"),
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
];

/// Ubuntu releases by code name.
const UBUNTU_CODENAMES: &[(&str, &str)] = &[
    ("trusty", "14.04"),
    ("xenial", "16.04"),
    ("yakkety", "16.10"),
    ("zesty", "17.04"),
    ("artful", "17.10"),
    ("bionic", "18.04"),
    ("cosmic", "18.10"),
    ("disco", "19.04"),
    ("eoan", "19.10"),
    ("focal", "20.04"),
    ("groovy", "20.10"),
    ("hirsute", "21.04"),
    ("impish", "21.10"),
    ("jammy", "22.04"),
    ("kinetic", "22.10"),
    ("lunar", "23.04"),
    ("mantic", "23.10"),
    ("noble", "24.04"),
    ("oracular", "24.10"),
    ("plucky", "25.04"),
    ("questing", "25.10"),
    ("resolute", "26.04"),
];

fn lookup(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// The OSV release suffix for a `distro` qualifier value.
fn distro_release(ecosystem: Ecosystem, distro: &str) -> Option<String> {
    let distro = distro.to_ascii_lowercase();
    // `debian-12`, `ubuntu-22.04`, `alpine-3.19.1`, `almalinux-9.3`, or a bare release.
    let value = distro
        .rsplit_once('-')
        .filter(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit()))
        .map_or(distro.as_str(), |(_, v)| v);
    let value = value.trim_start_matches('v');
    let major = |v: &str| v.split('.').next().unwrap_or(v).to_owned();
    let major_minor = |v: &str| v.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    let numeric = value.starts_with(|c: char| c.is_ascii_digit());
    match ecosystem {
        Ecosystem::Debian => {
            let codename = distro.trim_start_matches("debian-");
            if let Some(v) = lookup(DEBIAN_CODENAMES, codename) {
                Some(v.to_owned())
            } else if matches!(codename, "sid" | "unstable") {
                Some("sid".to_owned())
            } else if numeric {
                Some(major(value))
            } else {
                None
            }
        }
        Ecosystem::Ubuntu => {
            let codename = distro.trim_start_matches("ubuntu-");
            let release = lookup(UBUNTU_CODENAMES, codename)
                .map(str::to_owned)
                .or_else(|| numeric.then(|| major_minor(value)))?;
            let lts = release.ends_with(".04")
                && release
                    .split('.')
                    .next()
                    .and_then(|y| y.parse::<u32>().ok())
                    .is_some_and(|y| y % 2 == 0);
            Some(if lts {
                format!("{release}:LTS")
            } else {
                release
            })
        }
        Ecosystem::Alpine | Ecosystem::Alpaquita if numeric => {
            Some(format!("v{}", major_minor(value)))
        }
        Ecosystem::AlmaLinux
        | Ecosystem::RockyLinux
        | Ecosystem::AzureLinux
        | Ecosystem::Mageia
            if numeric =>
        {
            Some(major(value))
        }
        Ecosystem::PhotonOs if numeric => {
            let mm = major_minor(value);
            Some(if mm.contains('.') {
                mm
            } else {
                format!("{mm}.0")
            })
        }
        _ => None,
    }
}

/// The `distro` qualifier for an OSV release suffix (the inverse of [`distro_release`]).
fn distro_qualifier(ecosystem: Ecosystem, suffix: &str) -> Option<String> {
    let release = suffix
        .split(':')
        .find(|p| p.starts_with(|c: char| c.is_ascii_digit() || c == 'v'))?;
    Some(match ecosystem {
        Ecosystem::Debian => format!("debian-{release}"),
        Ecosystem::Ubuntu => format!("ubuntu-{release}"),
        Ecosystem::Alpine => format!("alpine-{}", release.trim_start_matches('v')),
        Ecosystem::Alpaquita => format!("alpaquita-{}", release.trim_start_matches('v')),
        Ecosystem::AlmaLinux => format!("almalinux-{release}"),
        Ecosystem::RockyLinux => format!("rocky-{release}"),
        Ecosystem::AzureLinux => format!("azurelinux-{release}"),
        Ecosystem::Mageia => format!("mageia-{release}"),
        Ecosystem::PhotonOs => format!("photon-{release}"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn eco(purl: &str) -> Option<String> {
        Purl::parse(purl)
            .unwrap()
            .osv_ecosystem()
            .map(|e| e.to_string())
    }

    #[test]
    fn purl_to_osv_ecosystem() {
        let cases = [
            ("pkg:pypi/django@1.0", Some("PyPI")),
            ("pkg:cargo/rand", Some("crates.io")),
            ("pkg:deb/debian/curl?distro=debian-12", Some("Debian:12")),
            ("pkg:deb/debian/curl?distro=bookworm", Some("Debian:12")),
            ("pkg:deb/debian/curl?distro=debian-12.5", Some("Debian:12")),
            ("pkg:deb/debian/curl", Some("Debian")),
            (
                "pkg:deb/ubuntu/curl?distro=ubuntu-22.04",
                Some("Ubuntu:22.04:LTS"),
            ),
            ("pkg:deb/ubuntu/curl?distro=jammy", Some("Ubuntu:22.04:LTS")),
            (
                "pkg:deb/ubuntu/curl?distro=ubuntu-23.10",
                Some("Ubuntu:23.10"),
            ),
            (
                "pkg:apk/alpine/curl?distro=alpine-3.19",
                Some("Alpine:v3.19"),
            ),
            ("pkg:apk/alpine/curl?distro=3.19.1", Some("Alpine:v3.19")),
            (
                "pkg:rpm/almalinux/curl?distro=almalinux-9.3",
                Some("AlmaLinux:9"),
            ),
            ("pkg:rpm/redhat/curl?distro=rhel-9.3", Some("Red Hat")),
            ("pkg:rpm/fedora/curl?distro=fedora-25", None),
            ("pkg:golang/github.com/gorilla/context", Some("Go")),
            ("pkg:maven/org.apache/io", Some("Maven")),
            ("pkg:gem/rails", Some("RubyGems")),
            ("pkg:nuget/Newtonsoft.Json", Some("NuGet")),
            ("pkg:composer/laravel/framework", Some("Packagist")),
            ("pkg:hex/phoenix", Some("Hex")),
            ("pkg:pub/http", Some("Pub")),
            ("pkg:swift/github.com/apple/swift-nio", Some("SwiftURL")),
            ("pkg:cran/A3", Some("CRAN")),
            ("pkg:conan/openssl", Some("ConanCenter")),
            ("pkg:generic/openssl", None),
        ];
        for (purl, expected) in cases {
            assert_eq!(eco(purl).as_deref(), expected, "{purl}");
        }
    }

    #[test]
    fn osv_names() {
        let name = |p: &str| Purl::parse(p).unwrap().osv_package_name().unwrap();
        assert_eq!(
            name("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            "org.apache.logging.log4j:log4j-core"
        );
        assert_eq!(name("pkg:npm/%40angular/core"), "@angular/core");
        assert_eq!(name("pkg:pypi/Zope.Interface"), "zope-interface");
        assert_eq!(
            name("pkg:golang/github.com/gorilla/context"),
            "github.com/gorilla/context"
        );
        assert_eq!(name("pkg:deb/debian/xz-utils"), "xz-utils");
    }

    #[test]
    fn osv_to_purl_and_back() {
        let cases = [
            ("PyPI", "Django", "pkg:pypi/django"),
            ("npm", "@angular/core", "pkg:npm/%40angular/core"),
            ("npm", "lodash", "pkg:npm/lodash"),
            ("crates.io", "rand", "pkg:cargo/rand"),
            (
                "Go",
                "github.com/gorilla/context",
                "pkg:golang/github.com/gorilla/context",
            ),
            ("Go", "stdlib", "pkg:golang/stdlib"),
            (
                "Maven",
                "org.apache.logging.log4j:log4j-core",
                "pkg:maven/org.apache.logging.log4j/log4j-core",
            ),
            (
                "Packagist",
                "laravel/framework",
                "pkg:composer/laravel/framework",
            ),
            (
                "SwiftURL",
                "https://github.com/vapor/vapor.git",
                "pkg:swift/github.com/vapor/vapor",
            ),
            (
                "Debian:12",
                "xz-utils",
                "pkg:deb/debian/xz-utils?distro=debian-12",
            ),
            (
                "Ubuntu:22.04:LTS",
                "xz-utils",
                "pkg:deb/ubuntu/xz-utils?distro=ubuntu-22.04",
            ),
            (
                "Ubuntu:Pro:14.04:LTS",
                "xz-utils",
                "pkg:deb/ubuntu/xz-utils?distro=ubuntu-14.04",
            ),
            ("Alpine:v3.19", "xz", "pkg:apk/alpine/xz?distro=alpine-3.19"),
            ("RubyGems", "rails", "pkg:gem/rails"),
            ("NuGet", "Newtonsoft.Json", "pkg:nuget/Newtonsoft.Json"),
        ];
        for (ecosystem, name, expected) in cases {
            let eco: OsvEcosystem = ecosystem.parse().unwrap();
            let purl = Purl::from_osv(&eco, name).unwrap();
            assert_eq!(purl.to_string(), expected, "{ecosystem} {name}");
            // And back: the ecosystem (base) and the name survive.
            let back = purl.osv_ecosystem().unwrap();
            assert_eq!(back.ecosystem, eco.ecosystem, "{ecosystem}");
            if eco.ecosystem != Ecosystem::SwiftUrl && eco.ecosystem != Ecosystem::PyPi {
                assert_eq!(purl.osv_package_name().unwrap(), name, "{ecosystem}");
            }
        }
    }

    #[test]
    fn ecosystem_names_are_case_insensitive_and_accept_github_spellings() {
        assert_eq!(Ecosystem::from_name("PIP"), Some(Ecosystem::PyPi));
        assert_eq!(Ecosystem::from_name("RUBYGEMS"), Some(Ecosystem::RubyGems));
        assert_eq!(Ecosystem::from_name("MAVEN"), Some(Ecosystem::Maven));
        assert_eq!(Ecosystem::from_name("Red Hat"), Some(Ecosystem::RedHat));
        assert_eq!(Ecosystem::from_name("nope"), None);
        let e: OsvEcosystem = "Red Hat:rhel_aus:8.6::appstream".parse().unwrap();
        assert_eq!(e.ecosystem, Ecosystem::RedHat);
        assert_eq!(e.to_string(), "Red Hat:rhel_aus:8.6::appstream");
    }
}
