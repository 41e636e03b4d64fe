//! One module per version scheme; each states its rules and sharp edges.

pub(crate) mod apk;
pub(crate) mod composer;
pub(crate) mod conan;
pub(crate) mod datetime;
pub(crate) mod deb;
pub(crate) mod dotted;
pub(crate) mod gem;
pub(crate) mod gentoo;
pub(crate) mod maven;
pub(crate) mod nuget;
pub(crate) mod openssl;
pub(crate) mod pep440;
pub(crate) mod rpm;
pub(crate) mod semver;
