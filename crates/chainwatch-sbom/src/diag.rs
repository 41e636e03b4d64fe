//! Diagnostics: problems found in a document, each with a stable code, a severity and a
//! location. Findings are not errors: a document with error diagnostics still has a model.

use std::fmt;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($($variant:ident => $code:literal, $summary:literal;)*) => {
        /// A stable diagnostic code. `docs/diagnostics.md` lists them all.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $(#[doc = $summary] $variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }
        }
    };
}

codes! {
    Unreadable => "unreadable", "the document cannot be read: not an SBOM, a syntax error, an unsupported serialization or over the size limit";
    UnsupportedSpecVersion => "unsupported-spec-version", "the specification version is not one chainwatch knows";
    MissingField => "missing-field", "a field the specification requires is absent or empty";
    InvalidType => "invalid-type", "a field has the wrong JSON/XML type";
    UnknownField => "unknown-field", "a field the specification does not define (strict mode)";
    InvalidValue => "invalid-value", "a value is outside the enumeration or pattern the specification allows";
    DuplicateId => "duplicate-id", "two elements share a `bom-ref` or SPDX identifier";
    DanglingRef => "dangling-ref", "a reference names an element the document does not contain";
    SelfRef => "self-ref", "an element depends on or contains itself";
    InvalidPurl => "invalid-purl", "a package URL is not valid";
    InvalidLicense => "invalid-license", "a license is not a valid SPDX expression or identifier";
    InvalidHash => "invalid-hash", "a hash value does not have the length or digits its algorithm requires";
    InvalidSerial => "invalid-serial", "the serial number is not a `urn:uuid:` URN";
    InvalidDate => "invalid-date", "a timestamp is not an RFC 3339 date-time";
    InvalidCpe => "invalid-cpe", "a CPE is not a valid CPE 2.2 URI or 2.3 formatted string";
    LicenseChoice => "license-choice", "a license entry mixes an expression with a license, or several expressions";
    InvalidNamespace => "invalid-namespace", "the XML namespace is not a CycloneDX schema namespace";
    ConversionLoss => "conversion-loss", "a conversion cannot carry something the document says into the target format";
    NtiaMissingSupplier => "ntia-missing-supplier", "NTIA minimum elements: a component has no supplier";
    NtiaMissingName => "ntia-missing-name", "NTIA minimum elements: a component has no name";
    NtiaMissingVersion => "ntia-missing-version", "NTIA minimum elements: a component has no version";
    NtiaMissingIdentifier => "ntia-missing-identifier", "NTIA minimum elements: a component has no unique identifier (purl, CPE or SWID)";
    NtiaMissingRelationships => "ntia-missing-relationships", "NTIA minimum elements: the document has no dependency relationships";
    NtiaMissingAuthor => "ntia-missing-author", "NTIA minimum elements: the document has no author";
    NtiaMissingTimestamp => "ntia-missing-timestamp", "NTIA minimum elements: the document has no timestamp";
    InventorySyntax => "inventory-syntax", "a lockfile, manifest or package database cannot be parsed: none of its packages are in the inventory";
    InventoryEntry => "inventory-entry", "an entry of a lockfile or package database lacks a name or version or has one that cannot be used: the entry is skipped";
    InventoryUnsupported => "inventory-unsupported", "a lockfile format version chainwatch does not read";
    InventoryUnpinned => "inventory-unpinned", "a requirement names no exact version (a range, a URL or a path): the package is listed without a version";
    InventoryIo => "inventory-io", "a file or directory of the tree cannot be read";
}

/// Where a problem is: a JSON pointer (JSON documents), a line and column (all text
/// formats), or nothing (problems of the whole document).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Location {
    pub pointer: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl Location {
    pub fn pointer(pointer: impl Into<String>) -> Location {
        Location {
            pointer: Some(pointer.into()),
            line: None,
            column: None,
        }
    }

    pub fn line(line: u32, column: u32) -> Location {
        Location {
            pointer: None,
            line: Some(line),
            column: Some(column),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pointer.is_none() && self.line.is_none()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{l}:{c}")?,
            (Some(l), None) => write!(f, "{l}")?,
            _ => {}
        }
        if let Some(p) = &self.pointer {
            if self.line.is_some() {
                f.write_str(" ")?;
            }
            write!(f, "{}", if p.is_empty() { "/" } else { p })?;
        }
        Ok(())
    }
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
}

impl Diagnostic {
    pub fn new(
        code: Code,
        severity: Severity,
        message: impl Into<String>,
        location: Location,
    ) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            location,
        }
    }

    pub fn error(code: Code, message: impl Into<String>, location: Location) -> Diagnostic {
        Self::new(code, Severity::Error, message, location)
    }

    pub fn warning(code: Code, message: impl Into<String>, location: Location) -> Diagnostic {
        Self::new(code, Severity::Warning, message, location)
    }
}

/// JSON pointer escaping of one reference token (`~` → `~0`, `/` → `~1`).
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            assert!(!code.summary().ends_with('.'), "{}", code.as_str());
        }
    }

    #[test]
    fn every_code_is_documented() {
        let path = chainwatch_testkit::workspace_root().join("docs/diagnostics.md");
        let doc = std::fs::read_to_string(&path).expect("docs/diagnostics.md");
        for code in Code::ALL {
            assert!(
                doc.contains(&format!("### `{}`", code.as_str())),
                "docs/diagnostics.md lacks `{}`",
                code.as_str()
            );
        }
    }
}
