//! SPDX 2.2/2.3 JSON and YAML (the same keys), read leniently.

use serde::Deserialize;

use crate::lenient::{Count, Obj, Seq, Text, TextField, YText};
use crate::model::{Format, Sbom};
use crate::spdx::{Doc, Element};

#[derive(Deserialize, Default)]
#[serde(default, bound = "S: Deserialize<'de> + Default")]
#[allow(clippy::struct_field_names)] // the names mirror the JSON keys
struct Document<S> {
    #[serde(rename = "spdxVersion")]
    spdx_version: S,
    #[serde(rename = "dataLicense")]
    data_license: S,
    #[serde(rename = "SPDXID")]
    spdx_id: S,
    name: S,
    #[serde(rename = "documentNamespace")]
    document_namespace: S,
    #[serde(rename = "creationInfo")]
    creation_info: Obj<CreationInfo<S>>,
    #[serde(rename = "documentDescribes")]
    document_describes: Seq<S>,
    packages: Seq<Item<S>>,
    files: Seq<Item<S>>,
    snippets: Seq<Item<S>>,
    relationships: Seq<Rel<S>>,
    #[serde(rename = "externalDocumentRefs")]
    external_document_refs: Seq<ExternalDocumentRef<S>>,
    #[serde(rename = "hasExtractedLicensingInfos")]
    extracted: Seq<Extracted<S>>,
    annotations: Count,
    comment: Count,
}

#[derive(Deserialize, Default)]
#[serde(default, bound = "S: Deserialize<'de> + Default")]
struct ExternalDocumentRef<S> {
    #[serde(rename = "externalDocumentId")]
    id: S,
}

#[derive(Deserialize, Default)]
#[serde(default, bound = "S: Deserialize<'de> + Default")]
struct Extracted<S> {
    #[serde(rename = "licenseId")]
    id: S,
    #[serde(rename = "extractedText")]
    text: Count,
}

#[derive(Deserialize, Default)]
#[serde(default, bound = "S: Deserialize<'de> + Default")]
struct CreationInfo<S> {
    created: S,
    creators: Seq<S>,
    comment: Count,
}

#[derive(Deserialize, Default)]
#[serde(default, bound = "S: Deserialize<'de> + Default")]
struct Checksum<S> {
    algorithm: S,
    #[serde(rename = "checksumValue")]
    value: S,
}

#[derive(Deserialize, Default)]
#[serde(default, bound = "S: Deserialize<'de> + Default")]
struct ExternalRef<S> {
    #[serde(rename = "referenceCategory")]
    category: S,
    #[serde(rename = "referenceType")]
    kind: S,
    #[serde(rename = "referenceLocator")]
    locator: S,
}

/// A package, file or snippet: the union of their keys.
#[derive(Deserialize, Default)]
#[serde(default, bound = "S: Deserialize<'de> + Default")]
struct Item<S> {
    #[serde(rename = "SPDXID")]
    spdx_id: S,
    name: S,
    #[serde(rename = "fileName")]
    file_name: S,
    #[serde(rename = "versionInfo")]
    version_info: S,
    supplier: S,
    originator: S,
    #[serde(rename = "downloadLocation")]
    download_location: S,
    homepage: S,
    checksums: Seq<Checksum<S>>,
    #[serde(rename = "licenseConcluded")]
    license_concluded: S,
    #[serde(rename = "licenseDeclared")]
    license_declared: S,
    #[serde(rename = "copyrightText")]
    copyright_text: S,
    description: S,
    summary: S,
    #[serde(rename = "primaryPackagePurpose")]
    primary_package_purpose: S,
    #[serde(rename = "externalRefs")]
    external_refs: Seq<ExternalRef<S>>,
    #[serde(rename = "filesAnalyzed")]
    files_analyzed: S,
    /// SPDX 2.2/2.3 JSON's form of `CONTAINS` relationships from a package to files.
    #[serde(rename = "hasFiles")]
    has_files: Seq<S>,
    comment: S,
    // Read only to count what the model does not keep.
    annotations: Count,
    #[serde(rename = "attributionTexts")]
    attribution_texts: Count,
    #[serde(rename = "licenseInfoInFiles")]
    license_info_in_files: Count,
    #[serde(rename = "licenseInfoFromFiles")]
    license_info_from_files: Count,
    #[serde(rename = "licenseInfoInSnippets")]
    license_info_in_snippets: Count,
    #[serde(rename = "licenseComments")]
    license_comments: Count,
    #[serde(rename = "packageVerificationCode")]
    verification_code: Count,
    #[serde(rename = "fileTypes")]
    file_types: Count,
    #[serde(rename = "fileContributors")]
    file_contributors: Count,
    #[serde(rename = "noticeText")]
    notice_text: Count,
    #[serde(rename = "sourceInfo")]
    source_info: Count,
    #[serde(rename = "packageFileName")]
    package_file_name: Count,
    #[serde(rename = "releaseDate")]
    release_date: Count,
    #[serde(rename = "builtDate")]
    built_date: Count,
    #[serde(rename = "validUntilDate")]
    valid_until_date: Count,
    ranges: Count,
}

impl<S> Item<S> {
    /// Adds the fields of a package, file or snippet the model has no place for to the
    /// counts of what it does not keep, so that a conversion can say what it leaves out.
    fn unkept(&self, into: &mut std::collections::BTreeMap<&'static str, usize>) {
        for (name, n) in [
            ("annotations", self.annotations),
            ("attributionTexts", self.attribution_texts),
            ("licenseInfoInFiles", self.license_info_in_files),
            ("licenseInfoFromFiles", self.license_info_from_files),
            ("licenseInfoInSnippets", self.license_info_in_snippets),
            ("licenseComments", self.license_comments),
            ("packageVerificationCode", self.verification_code),
            ("fileTypes", self.file_types),
            ("fileContributors", self.file_contributors),
            ("noticeText", self.notice_text),
            ("sourceInfo", self.source_info),
            ("packageFileName", self.package_file_name),
            ("releaseDate", self.release_date),
            ("builtDate", self.built_date),
            ("validUntilDate", self.valid_until_date),
            ("snippet ranges", self.ranges),
        ] {
            n.add_to(into, name);
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default, bound = "S: Deserialize<'de> + Default")]
struct Rel<S> {
    #[serde(rename = "spdxElementId")]
    from: S,
    #[serde(rename = "relationshipType")]
    kind: S,
    #[serde(rename = "relatedSpdxElement")]
    to: S,
}

fn element<S: TextField>(i: &Item<S>) -> Element {
    Element {
        spdx_id: i.spdx_id.owned(),
        name: i.name.owned().or_else(|| i.file_name.owned()),
        version: i.version_info.owned(),
        supplier: i.supplier.owned(),
        originator: i.originator.owned(),
        download_location: i.download_location.owned(),
        homepage: i.homepage.owned(),
        checksums: i
            .checksums
            .iter()
            .filter_map(|c| Some((c.algorithm.owned()?, c.value.owned()?)))
            .collect(),
        license_concluded: i.license_concluded.owned(),
        license_declared: i.license_declared.owned(),
        copyright: i.copyright_text.owned(),
        description: i.description.owned().or_else(|| i.summary.owned()),
        purpose: i.primary_package_purpose.owned(),
        external_refs: i
            .external_refs
            .iter()
            .map(|r| {
                (
                    r.category.owned().unwrap_or_default(),
                    r.kind.owned().unwrap_or_default(),
                    r.locator.owned().unwrap_or_default(),
                )
            })
            .collect(),
        files_analyzed: i.files_analyzed.owned(),
        comment: i.comment.owned(),
        is_file: i.file_name.get().is_some(),
        line: 0,
    }
}

/// `hasFiles` as `CONTAINS` relationships (deduplicated; stated relationships win).
fn has_files<S: TextField>(d: &Document<S>) -> Vec<(String, String, String)> {
    let mut seen = std::collections::HashSet::new();
    for r in d.relationships.iter() {
        if let (Some(from), Some(kind), Some(to)) = (r.from.get(), r.kind.get(), r.to.get())
            && kind == "CONTAINS"
        {
            seen.insert((from.to_owned(), to.to_owned()));
        }
    }
    let mut out = Vec::new();
    for p in d.packages.iter() {
        let Some(from) = p.spdx_id.owned() else {
            continue;
        };
        for f in p.has_files.iter().filter_map(TextField::owned) {
            if seen.insert((from.clone(), f.clone())) {
                out.push((from.clone(), "CONTAINS".to_owned(), f));
            }
        }
    }
    out
}

fn convert<S: TextField>(d: &Document<S>) -> Doc {
    let info = d.creation_info.0.as_ref();
    Doc {
        spdx_version: d.spdx_version.owned(),
        data_license: d.data_license.owned(),
        spdx_id: d.spdx_id.owned(),
        name: d.name.owned(),
        namespace: d.document_namespace.owned(),
        created: info.and_then(|i| i.created.owned()),
        creators: info
            .map(|i| i.creators.iter().filter_map(TextField::owned).collect())
            .unwrap_or_default(),
        describes: d
            .document_describes
            .iter()
            .filter_map(TextField::owned)
            .collect(),
        packages: d.packages.iter().map(element).collect(),
        files: d.files.iter().map(element).collect(),
        snippets: d.snippets.iter().map(element).collect(),
        relationships: d
            .relationships
            .iter()
            .map(|r| {
                (
                    r.from.owned().unwrap_or_default(),
                    r.kind.owned().unwrap_or_default(),
                    r.to.owned().unwrap_or_default(),
                )
            })
            .chain(has_files(d))
            .collect(),
        relationship_lines: Vec::new(),
        lines: Vec::new(),
        external_documents: d
            .external_document_refs
            .iter()
            .filter_map(|r| r.id.owned())
            .collect(),
        license_refs: d.extracted.iter().filter_map(|r| r.id.owned()).collect(),
        not_kept: not_kept(d),
    }
}

/// What the model does not keep of a document, by SPDX field, with counts.
fn not_kept<S: TextField>(d: &Document<S>) -> std::collections::BTreeMap<&'static str, usize> {
    let mut out = std::collections::BTreeMap::new();
    let mut add = |name: &'static str, n: usize| Count(n).add_to(&mut out, name);
    add("document annotations", d.annotations.0);
    add("document comment", d.comment.0);
    add(
        "creation comment",
        d.creation_info.0.as_ref().map_or(0, |i| i.comment.0),
    );
    add(
        "extracted licence texts",
        d.extracted.iter().map(|e| e.text.0).sum(),
    );
    // chainwatch's own notes (`CycloneDX type: …`) are kept; any other comment is not.
    let notes = super::write::NOTES;
    let mut comments = 0;
    let mut summaries = 0;
    let mut elements = std::collections::BTreeMap::new();
    for i in d
        .packages
        .iter()
        .chain(d.files.iter())
        .chain(d.snippets.iter())
    {
        i.unkept(&mut elements);
        if i.comment
            .get()
            .is_some_and(|c| c.lines().any(|l| !notes.iter().any(|n| l.starts_with(n))))
        {
            comments += 1;
        }
        if i.description.get().is_some() && i.summary.get().is_some() {
            summaries += 1;
        }
    }
    add("comments", comments);
    add("summaries beside a description", summaries);
    for (k, v) in elements {
        add(k, v);
    }
    out
}

pub(crate) fn read_json(text: &str) -> Result<Sbom, serde_json::Error> {
    Ok(read_json_doc(text)?.into_sbom(Format::SpdxJson))
}

pub(crate) fn read_json_doc(text: &str) -> Result<Doc, serde_json::Error> {
    if is_legacy_layout(text) {
        let d: Document<Text> = serde_json::from_str(&from_legacy_layout(text)?)?;
        return Ok(convert(&d));
    }
    let d: Document<Text> = serde_json::from_str(text)?;
    Ok(convert(&d))
}

/// Whether the document has the spdx-tools 0.7 layout: everything under a `Document`
/// member, packages inside `documentDescribes`, files inside their package.
pub(crate) fn is_legacy_layout(text: &str) -> bool {
    text.trim_start()
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with("\"Document\""))
}

/// The spdx-tools 0.7 layout rewritten as SPDX 2 JSON: the `Document` member is the
/// document; each `{"Package": …}` of `documentDescribes` becomes a package (and the
/// list its SPDXIDs); each package's `files` (`{"File": …}`, `name` for `fileName`)
/// become the document's files and the package's `hasFiles`; checksum algorithms lose
/// their `checksumAlgorithm_` prefix.
fn from_legacy_layout(text: &str) -> Result<String, serde_json::Error> {
    use serde_json::{Map, Value};
    fn checksums(v: &mut Value) {
        let mut fix = |c: &mut Value| {
            if let Some(Value::String(alg)) = c.get_mut("algorithm") {
                let plain = alg
                    .strip_prefix("checksumAlgorithm_")
                    .unwrap_or(alg)
                    .to_ascii_uppercase();
                *alg = plain;
            }
        };
        if let Some(Value::Array(list)) = v.get_mut("checksums") {
            list.iter_mut().for_each(&mut fix);
        }
        if let Some(c) = v.get_mut("checksum") {
            fix(c);
        }
    }
    let mut root: Value = serde_json::from_str(text)?;
    let Some(Value::Object(mut doc)) = root.get_mut("Document").map(Value::take) else {
        return Ok(text.to_owned());
    };
    let mut packages = Vec::new();
    let mut files = Vec::new();
    let mut describes = Vec::new();
    if let Some(Value::Array(items)) = doc.remove("documentDescribes") {
        for item in items {
            match item {
                Value::Object(mut o) if o.contains_key("Package") => {
                    let Some(Value::Object(mut p)) = o.remove("Package") else {
                        continue;
                    };
                    let mut has_files = Vec::new();
                    if let Some(Value::Array(fs)) = p.remove("files") {
                        for f in fs {
                            let Value::Object(mut f) = f else { continue };
                            let Some(Value::Object(mut f)) = f.remove("File") else {
                                continue;
                            };
                            if let Some(name) = f.remove("name") {
                                f.entry("fileName").or_insert(name);
                            }
                            let mut f = Value::Object(f);
                            checksums(&mut f);
                            if let Some(id) = f.get("SPDXID").cloned() {
                                has_files.push(id);
                            }
                            files.push(f);
                        }
                    }
                    if !has_files.is_empty() {
                        p.insert("hasFiles".to_owned(), Value::Array(has_files));
                    }
                    let mut p = Value::Object(p);
                    checksums(&mut p);
                    if let Some(id) = p.get("SPDXID").cloned() {
                        describes.push(id);
                    }
                    packages.push(p);
                }
                Value::String(id) => describes.push(Value::String(id)),
                _ => {}
            }
        }
    }
    if let Some(Value::Array(refs)) = doc.get_mut("externalDocumentRefs") {
        refs.iter_mut().for_each(checksums);
    }
    let add =
        |key: &str, mut items: Vec<Value>, doc: &mut Map<String, Value>| match doc.get_mut(key) {
            Some(Value::Array(existing)) => existing.append(&mut items),
            _ if !items.is_empty() => {
                doc.insert(key.to_owned(), Value::Array(items));
            }
            _ => {}
        };
    add("packages", packages, &mut doc);
    add("files", files, &mut doc);
    add("documentDescribes", describes, &mut doc);
    Ok(Value::Object(doc).to_string())
}

pub(crate) fn read_yaml(text: &str) -> Result<Sbom, serde_saphyr::Error> {
    Ok(read_yaml_doc(text)?.into_sbom(Format::SpdxYaml))
}

pub(crate) fn read_yaml_doc(text: &str) -> Result<Doc, serde_saphyr::Error> {
    if text.lines().any(|l| l == "Document:") {
        // The spdx-tools 0.7 layout: through JSON, where it is rewritten.
        let v: serde_json::Value = serde_saphyr::from_str(text)?;
        if v.get("Document").is_some() {
            return read_json_doc(&v.to_string())
                .map_err(|e| <serde_saphyr::Error as serde::de::Error>::custom(e.to_string()));
        }
    }
    let d: Document<YText> = serde_saphyr::from_str(text)?;
    Ok(convert(&d))
}
