//! SPDX 2.2/2.3 tag-value: `Tag: value` lines, multi-line values in `<text>…</text>`.

use crate::diag::{Code, Diagnostic, Location};
use crate::model::{Format, Sbom};
use crate::spdx::{Doc, Element};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Document,
    Package,
    File,
    Snippet,
    Other,
}

/// A tag-value syntax error: the document cannot be read past it.
#[derive(Debug, Clone)]
pub(crate) struct TvError {
    pub(crate) line: u32,
    pub(crate) message: String,
}

/// Splits the document into `(line, tag, value)` entries, joining `<text>` values.
fn entries(text: &str, diags: &mut Vec<Diagnostic>) -> Result<Vec<(u32, String, String)>, TvError> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((tag, value)) = line.split_once(':') else {
            diags.push(Diagnostic::warning(
                Code::InvalidValue,
                format!("expected `Tag: value`, found `{}`", truncate(trimmed)),
                Location::line(n, 1),
            ));
            continue;
        };
        let tag = tag.trim().to_owned();
        let value = value.trim();
        if let Some(rest) = value.strip_prefix("<text>") {
            if let Some(end) = rest.find("</text>") {
                out.push((n, tag, rest[..end].to_owned()));
                continue;
            }
            let mut buf = rest.to_owned();
            let mut closed = false;
            for (_, more) in lines.by_ref() {
                if let Some(end) = more.find("</text>") {
                    buf.push('\n');
                    buf.push_str(&more[..end]);
                    closed = true;
                    break;
                }
                buf.push('\n');
                buf.push_str(more);
            }
            if !closed {
                return Err(TvError {
                    line: n,
                    message: format!("`<text>` of `{tag}` is never closed by `</text>`"),
                });
            }
            out.push((n, tag, buf.trim().to_owned()));
        } else {
            out.push((n, tag, value.to_owned()));
        }
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Reads a tag-value document; syntax problems that do not stop reading become
/// diagnostics.
pub(crate) fn read(text: &str) -> Result<(Sbom, Vec<Diagnostic>), TvError> {
    let (doc, diags) = read_doc(text)?;
    Ok((doc.into_sbom(Format::SpdxTagValue), diags))
}

/// Reads a tag-value document into the SPDX 2 intermediate form.
pub(crate) fn read_doc(text: &str) -> Result<(Doc, Vec<Diagnostic>), TvError> {
    let mut diags = Vec::new();
    let mut doc = Doc::default();
    let mut section = Section::Document;
    let mut current = Element::default();
    // A file that follows a package belongs to it (the tag-value counterpart of JSON's
    // `hasFiles`): (package, file, the file's line).
    let mut last_package: Option<String> = None;
    let mut contained: Vec<(String, String, u32)> = Vec::new();
    let mut flush = |doc: &mut Doc, section: Section, current: &mut Element| {
        let e = std::mem::take(current);
        match section {
            Section::Package => {
                last_package.clone_from(&e.spdx_id);
                doc.packages.push(e);
            }
            Section::File => {
                if let (Some(package), Some(file)) = (&last_package, &e.spdx_id) {
                    contained.push((package.clone(), file.clone(), e.line));
                }
                doc.files.push(e);
            }
            Section::Snippet => doc.snippets.push(e),
            Section::Document | Section::Other => {}
        }
    };
    for (line, tag, value) in entries(text, &mut diags)? {
        // An empty value is an absent one (`Created:` with nothing after it).
        let v = (!value.is_empty()).then(|| value.clone());
        match tag.as_str() {
            "PackageName" => {
                flush(&mut doc, section, &mut current);
                section = Section::Package;
                current.name = v;
                current.line = line;
            }
            "FileName" => {
                flush(&mut doc, section, &mut current);
                section = Section::File;
                current.name = v;
                current.is_file = true;
                current.line = line;
            }
            "SnippetSPDXID" => {
                flush(&mut doc, section, &mut current);
                section = Section::Snippet;
                current.spdx_id = v;
                current.line = line;
            }
            "LicenseID" => {
                flush(&mut doc, section, &mut current);
                section = Section::Other;
                doc.license_refs.push(value);
            }
            "SPDXVersion" => {
                doc.lines.push(("SPDXVersion", line));
                doc.spdx_version = v;
            }
            "DataLicense" => {
                doc.lines.push(("DataLicense", line));
                doc.data_license = v;
            }
            "DocumentName" => doc.name = v,
            "DocumentNamespace" => {
                doc.lines.push(("DocumentNamespace", line));
                doc.namespace = v;
            }
            "Created" => {
                doc.lines.push(("Created", line));
                doc.created = v;
            }
            "Creator" => {
                doc.lines.push(("Creator", line));
                if !value.is_empty() {
                    doc.creators.push(value);
                }
            }
            "ExternalDocumentRef" => {
                if let Some(id) = value.split_whitespace().next() {
                    doc.external_documents.push(id.to_owned());
                }
            }
            "FilesAnalyzed" => current.files_analyzed = v,
            "SPDXID" => match section {
                Section::Document => {
                    doc.lines.push(("SPDXID", line));
                    doc.spdx_id = v;
                }
                Section::Other => {}
                _ => current.spdx_id = v,
            },
            "Relationship" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                if let [from, kind, to] = parts[..] {
                    doc.relationships
                        .push((from.to_owned(), kind.to_owned(), to.to_owned()));
                    doc.relationship_lines.push(line);
                } else {
                    diags.push(Diagnostic::warning(
                        Code::InvalidValue,
                        format!(
                            "a relationship is `SPDXRef-A TYPE SPDXRef-B`, found `{}`",
                            truncate(&value)
                        ),
                        Location::line(line, 1),
                    ));
                }
            }
            "PackageVersion" => current.version = v,
            "PackageSupplier" => current.supplier = v,
            "PackageOriginator" => current.originator = v,
            "PackageDownloadLocation" => current.download_location = v,
            "PackageHomePage" => current.homepage = v,
            "PackageLicenseConcluded" | "LicenseConcluded" | "SnippetLicenseConcluded" => {
                current.license_concluded = v;
            }
            "PackageLicenseDeclared" => current.license_declared = v,
            "PackageCopyrightText" | "FileCopyrightText" | "SnippetCopyrightText" => {
                current.copyright = v;
            }
            "PackageDescription" => {
                // A summary read before it was the description; now it is not kept.
                if current.description.is_some() {
                    *doc.not_kept
                        .entry("summaries beside a description")
                        .or_default() += 1;
                }
                current.description = v;
            }
            // An annotation names what it is about: the document or an element.
            "SPDXREF" => {
                let about = if doc.spdx_id.as_deref() == Some(value.trim()) {
                    "document annotations"
                } else {
                    "annotations"
                };
                *doc.not_kept.entry(about).or_default() += 1;
            }
            "PackageComment" => current.comment = v,
            "PackageSummary" if current.description.is_none() => current.description = v,
            "PrimaryPackagePurpose" => current.purpose = v,
            "SnippetName" => current.name = v,
            "PackageChecksum" | "FileChecksum" => match value.split_once(':') {
                Some((alg, digest)) => current
                    .checksums
                    .push((alg.trim().to_owned(), digest.trim().to_owned())),
                None => diags.push(Diagnostic::warning(
                    Code::InvalidValue,
                    format!(
                        "a checksum is `ALGORITHM: value`, found `{}`",
                        truncate(&value)
                    ),
                    Location::line(line, 1),
                )),
            },
            "ExternalRef" => {
                let mut parts = value
                    .splitn(3, char::is_whitespace)
                    .filter(|p| !p.is_empty());
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(cat), Some(ty), Some(loc)) => {
                        current.external_refs.push((
                            cat.to_owned(),
                            ty.to_owned(),
                            loc.trim().to_owned(),
                        ));
                    }
                    _ => diags.push(Diagnostic::warning(
                        Code::InvalidValue,
                        format!(
                            "an external reference is `CATEGORY TYPE LOCATOR`, found `{}`",
                            truncate(&value)
                        ),
                        Location::line(line, 1),
                    )),
                }
            }
            other => {
                if let Some(field) = not_kept(other)
                    && !value.trim().is_empty()
                    && !value.trim().eq_ignore_ascii_case("NOASSERTION")
                {
                    *doc.not_kept.entry(field).or_default() += 1;
                }
            }
        }
    }
    flush(&mut doc, section, &mut current);
    // Stated relationships win: a package that states what it contains, or a file that
    // says where it belongs, is not given an implicit edge twice.
    let stated: std::collections::HashSet<(&str, &str)> = doc
        .relationships
        .iter()
        .filter_map(|(from, kind, to)| match kind.as_str() {
            "CONTAINS" => Some((from.as_str(), to.as_str())),
            "CONTAINED_BY" => Some((to.as_str(), from.as_str())),
            _ => None,
        })
        .collect();
    let implicit: Vec<(String, String, u32)> = contained
        .into_iter()
        .filter(|(p, f, _)| !stated.contains(&(p.as_str(), f.as_str())))
        .collect();
    for (package, file, line) in implicit {
        doc.relationships
            .push((package, "CONTAINS".to_owned(), file));
        doc.relationship_lines.push(line);
    }
    Ok((doc, diags))
}

/// The field a tag the model does not keep stands for (named as the JSON readers count
/// them), so that a conversion can say what it leaves out.
fn not_kept(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "PackageAttributionText" | "FileAttributionText" | "SnippetAttributionText" => {
            "attributionTexts"
        }
        "LicenseInfoInFile" => "licenseInfoInFiles",
        "PackageLicenseInfoFromFiles" => "licenseInfoFromFiles",
        "LicenseInfoInSnippet" => "licenseInfoInSnippets",
        "PackageLicenseComments" | "LicenseComments" | "SnippetLicenseComments" => {
            "licenseComments"
        }
        "PackageVerificationCode" => "packageVerificationCode",
        "FileType" => "fileTypes",
        "FileContributor" => "fileContributors",
        "FileNotice" => "noticeText",
        "PackageSourceInfo" => "sourceInfo",
        "PackageFileName" => "packageFileName",
        "ReleaseDate" => "releaseDate",
        "BuiltDate" => "builtDate",
        "ValidUntilDate" => "validUntilDate",
        "SnippetByteRange" | "SnippetLineRange" => "snippet ranges",
        "DocumentComment" => "document comment",
        "CreatorComment" => "creation comment",
        "ExtractedText" => "extracted licence texts",
        "FileComment" | "SnippetComment" => "comments",
        "PackageSummary" => "summaries beside a description",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::read_doc;

    #[test]
    fn files_after_a_package_are_contained_by_it() {
        let text = "SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\n\
            FileName: ./loose.c\nSPDXID: SPDXRef-loose\n\
            PackageName: a\nSPDXID: SPDXRef-a\n\
            FileName: ./a.c\nSPDXID: SPDXRef-a-c\n\
            FileName: ./b.c\nSPDXID: SPDXRef-b-c\n\
            Relationship: SPDXRef-a CONTAINS SPDXRef-b-c\n\
            PackageName: b\nSPDXID: SPDXRef-b\n\
            FileName: ./c.c\nSPDXID: SPDXRef-c-c\n\
            Relationship: SPDXRef-c-c CONTAINED_BY SPDXRef-b\n";
        let (doc, _) = read_doc(text).expect("read");
        let contains: Vec<(&str, &str)> = doc
            .relationships
            .iter()
            .filter(|(_, kind, _)| kind == "CONTAINS")
            .map(|(from, _, to)| (from.as_str(), to.as_str()))
            .collect();
        // The file before any package belongs to none; stated edges are not repeated.
        assert_eq!(
            contains,
            [("SPDXRef-a", "SPDXRef-b-c"), ("SPDXRef-a", "SPDXRef-a-c")]
        );
        assert_eq!(doc.relationships.len(), doc.relationship_lines.len());
    }
}
