//! What the API and the console both show, read once: each function checks the caller's
//! rights, reads the store on the blocking pool and returns typed rows. `api.rs` renders
//! them as JSON, `console/` as HTML; neither has a second implementation.

use std::sync::Arc;

use axum::http::HeaderMap;
use chainwatch_store::{
    DocumentInfo, FindingQuery, ProductFinding, ProductRef, ProductSummary, Role, WhoHas, WhyPath,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::{Code, Problem, State};

/// Runs a blocking store call on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &Arc<State>,
    f: impl FnOnce(&chainwatch_store::Store) -> Result<T, chainwatch_store::StoreError> + Send + 'static,
) -> Result<T, Problem> {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Problem::from_store(&e)),
        Err(_) => Err(Problem::internal("a store call failed")),
    }
}

/// A page of a list: its size and the cursor it starts after.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Page {
    /// At most this many items (1–500, default 100)
    pub(crate) limit: Option<usize>,
    /// The `next` cursor of the previous page
    pub(crate) cursor: Option<String>,
}

/// The page size (1–500, default 100) and the key after which the page starts.
pub(crate) fn page_params(page: &Page) -> Result<(usize, Option<String>), Problem> {
    use base64::Engine as _;
    let limit = page.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Problem::new(Code::InvalidLimit, "`limit` must be 1 to 500"));
    }
    let after = page
        .cursor
        .as_deref()
        .map(|c| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(bad_cursor)
        })
        .transpose()?;
    Ok((limit, after))
}

fn bad_cursor() -> Problem {
    Problem::new(Code::InvalidCursor, "`cursor` is not one this API gave")
}

/// The opaque cursor of a sort key.
pub(crate) fn cursor(key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

/// One page of `rows`, each with its sort key (unique, stable): the rows after the
/// cursor's key, at most `limit`, and the cursor of the next page. Cursors are keys, not
/// offsets, so they stay valid as rows are added.
pub(crate) fn paginate<T>(
    mut rows: Vec<(String, T)>,
    page: &Page,
) -> Result<(Vec<T>, Option<String>), Problem> {
    let (limit, after) = page_params(page)?;
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let start = after.map_or(0, |k| rows.partition_point(|(key, _)| *key <= k));
    let more = rows.len() > start + limit;
    let items: Vec<(String, T)> = rows.into_iter().skip(start).take(limit).collect();
    let next = if more {
        items.last().map(|(k, _)| cursor(k))
    } else {
        None
    };
    Ok((items.into_iter().map(|(_, v)| v).collect(), next))
}

/// One page of `limit` rows that the caller may see, and whether more follow: pages of
/// the store (`fetch` after a key, with whether it has more) read on until the filtered
/// page is full, for a token limited to some products.
pub(crate) fn filtered_page<T, K>(
    limit: usize,
    mut from: Option<K>,
    mut fetch: impl FnMut(Option<&K>) -> Result<(Vec<T>, bool), chainwatch_store::StoreError>,
    key: impl Fn(&T) -> K,
    allowed: impl Fn(&T) -> bool,
) -> Result<(Vec<T>, bool), chainwatch_store::StoreError> {
    let mut rows = Vec::new();
    loop {
        let (batch, more) = fetch(from.as_ref())?;
        from = batch.last().map(&key);
        rows.extend(batch.into_iter().filter(|r| allowed(r)));
        if rows.len() > limit || !more {
            break;
        }
    }
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// The product versions the caller may see, by name then version, a page at a time.
pub(crate) async fn products_page(
    state: &Arc<State>,
    caller: &Caller,
    page: &Page,
) -> Result<(Vec<ProductSummary>, Option<String>), Problem> {
    caller.require(Role::Read)?;
    let (limit, after) = page_params(page)?;
    // The cursor is the last item's `name NUL version`.
    let after = after
        .map(|k| {
            k.split_once('\0')
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .ok_or_else(bad_cursor)
        })
        .transpose()?;
    let who = caller.clone();
    // A page at a time from the store; a token limited to some products reads on
    // until its page is full.
    let (rows, more) = blocking(state, move |store| {
        filtered_page(
            limit,
            after,
            |from: Option<&(String, String)>| {
                let batch =
                    store.products_after(from.map(|(n, v)| (n.as_str(), v.as_str())), limit + 1)?;
                let more = batch.len() > limit;
                Ok((batch, more))
            },
            |p| (p.name.clone(), p.version.clone()),
            |p| who.may(&p.name),
        )
    })
    .await?;
    let next = more
        .then(|| {
            rows.last()
                .map(|p| cursor(&format!("{}\0{}", p.name, p.version)))
        })
        .flatten();
    Ok((rows, next))
}

/// Every product version the caller may see (for counts and name search).
pub(crate) async fn portfolio(
    state: &Arc<State>,
    caller: &Caller,
) -> Result<Vec<ProductSummary>, Problem> {
    caller.require(Role::Read)?;
    let who = caller.clone();
    blocking(state, move |store| {
        let mut all = Vec::new();
        let mut after: Option<(String, String)> = None;
        loop {
            let batch = store
                .products_after(after.as_ref().map(|(n, v)| (n.as_str(), v.as_str())), 1000)?;
            let full = batch.len() == 1000;
            after = batch.last().map(|p| (p.name.clone(), p.version.clone()));
            all.extend(batch.into_iter().filter(|p| who.may(&p.name)));
            if !full {
                break;
            }
        }
        Ok(all)
    })
    .await
}

/// A component of a stored inventory, as lists show it.
#[derive(Debug, Clone)]
pub(crate) struct ComponentRow {
    pub(crate) name: String,
    pub(crate) version: Option<String>,
    /// Canonical purl.
    pub(crate) purl: Option<String>,
    pub(crate) kind: String,
    /// Declared licences as one SPDX expression.
    pub(crate) license: Option<String>,
}

/// One product version: its document history (oldest first), its current findings
/// (suppressed ones too, with their VEX verdict) and its components.
#[derive(Debug)]
pub(crate) struct VersionDetail {
    pub(crate) history: Vec<DocumentInfo>,
    pub(crate) findings: Vec<ProductFinding>,
    pub(crate) components: Vec<ComponentRow>,
}

/// A product version's history, findings and components.
pub(crate) async fn product_version(
    state: &Arc<State>,
    caller: &Caller,
    name: &str,
    version: &str,
    include_suppressed: bool,
) -> Result<VersionDetail, Problem> {
    caller.require(Role::Read)?;
    caller.require_product(name)?;
    let (n, v) = (name.to_owned(), version.to_owned());
    blocking(state, move |store| {
        let history = store.documents(&n, Some(&v), None)?;
        if history.is_empty() {
            return Err(chainwatch_store::StoreError::NotFound(format!(
                "no product version `{n}@{v}`"
            )));
        }
        let findings = store.findings(&FindingQuery {
            product: Some(n.clone()),
            version: Some(v.clone()),
            include_suppressed,
            ..FindingQuery::default()
        })?;
        let (_, sbom) = store.export(&n, Some(&v), None)?;
        let components = sbom
            .components
            .iter()
            .filter(|c| sbom.subject.as_deref() != Some(c.id.as_str()))
            .map(|c| ComponentRow {
                name: c.name.clone(),
                version: c.version.clone(),
                purl: c.purl().map(|p| p.canonical().to_owned()),
                kind: c.kind.as_str().to_owned(),
                license: (!c.licenses.is_empty()).then(|| {
                    let terms: Vec<String> = c
                        .licenses
                        .iter()
                        .map(chainwatch_sbom::License::to_expression)
                        .collect();
                    if terms.len() == 1 {
                        terms.into_iter().next().unwrap_or_default()
                    } else {
                        terms
                            .iter()
                            .map(|t| format!("({t})"))
                            .collect::<Vec<_>>()
                            .join(" AND ")
                    }
                }),
            })
            .collect::<Vec<_>>();
        Ok(VersionDetail {
            history,
            findings,
            components,
        })
    })
    .await
}

/// Every product version (of those the caller may see) whose current inventory has the
/// package, a page at a time.
pub(crate) async fn who_has_page(
    state: &Arc<State>,
    caller: &Caller,
    purl: String,
    range: Option<String>,
    page: &Page,
) -> Result<(Vec<WhoHas>, Option<String>), Problem> {
    caller.require(Role::Read)?;
    let (limit, after) = page_params(page)?;
    // The cursor is the last item's `product NUL version NUL package`.
    let after = after
        .map(|k| {
            let mut parts = k.splitn(3, '\0');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(product), Some(version), Some(package)) => Ok(WhoHas {
                    product: product.to_owned(),
                    version: version.to_owned(),
                    package: package.to_owned(),
                }),
                _ => Err(bad_cursor()),
            }
        })
        .transpose()?;
    let who = caller.clone();
    let (rows, more) = blocking(state, move |store| {
        filtered_page(
            limit,
            after,
            |from| store.who_has_page(&purl, range.as_deref(), from, limit + 1),
            Clone::clone,
            |r| who.may(&r.product),
        )
    })
    .await?;
    let next = more
        .then(|| {
            rows.last()
                .map(|r| cursor(&format!("{}\0{}\0{}", r.product, r.version, r.package)))
        })
        .flatten();
    Ok((rows, next))
}

/// Every product version (of those the caller may see) affected by an advisory, by any
/// of its identifiers.
pub(crate) async fn affected(
    state: &Arc<State>,
    caller: &Caller,
    id: String,
) -> Result<Vec<chainwatch_store::Affected>, Problem> {
    caller.require(Role::Read)?;
    let mut rows = blocking(state, move |store| store.affected(&id, None)).await?;
    rows.retain(|r| caller.may(&r.product));
    Ok(rows)
}

/// The findings of the current inventories of the products the caller may see.
pub(crate) async fn findings(
    state: &Arc<State>,
    caller: &Caller,
    query: FindingQuery,
) -> Result<Vec<ProductFinding>, Problem> {
    caller.require(Role::Read)?;
    if let Some(p) = &query.product {
        caller.require_product(p)?;
    }
    let mut rows = blocking(state, move |store| {
        let mut rows = store.findings(&query)?;
        // What recorded content audits found, beside what advisories say.
        rows.extend(store.content_findings(&query)?);
        Ok(rows)
    })
    .await?;
    rows.retain(|f| caller.may(&f.product));
    Ok(rows)
}

/// The recorded package audits at or above `min` (of packages `held_by` holds, when
/// given). A token limited to some products sees only the audits of packages those
/// products hold, and only those holders.
pub(crate) async fn audits(
    state: &Arc<State>,
    caller: &Caller,
    min: Option<String>,
    held_by: Option<(String, String)>,
) -> Result<Vec<chainwatch_store::StoredAudit>, Problem> {
    caller.require(Role::Read)?;
    if let Some((product, _)) = &held_by {
        caller.require_product(product)?;
    }
    let mut rows = blocking(state, move |store| {
        store.audits(
            min.as_deref(),
            held_by.as_ref().map(|(p, v)| (p.as_str(), v.as_str())),
        )
    })
    .await?;
    if caller.token.products.is_some() {
        for row in &mut rows {
            row.products.retain(|h| caller.may(&h.product));
        }
        rows.retain(|r| !r.products.is_empty());
    }
    Ok(rows)
}

/// Dependency paths from a product to a package, shortest first.
pub(crate) async fn why(
    state: &Arc<State>,
    caller: &Caller,
    product: ProductRef,
    purl: String,
    max_paths: usize,
) -> Result<Vec<WhyPath>, Problem> {
    caller.require(Role::Read)?;
    caller.require_product(&product.name)?;
    blocking(state, move |store| {
        store.why(&product.name, product.version(), &purl, max_paths, None)
    })
    .await
}

/// The formats a stored document can be had in besides `original`.
pub(crate) const EXPORT_FORMATS: [(&str, chainwatch_sbom::Format); 5] = [
    ("cyclonedx-json", chainwatch_sbom::Format::CycloneDxJson),
    ("cyclonedx-xml", chainwatch_sbom::Format::CycloneDxXml),
    ("spdx-json", chainwatch_sbom::Format::SpdxJson),
    ("spdx-tv", chainwatch_sbom::Format::SpdxTagValue),
    ("spdx3-jsonld", chainwatch_sbom::Format::Spdx3JsonLd),
];

/// The format asked for by name (`original` or one of [`EXPORT_FORMATS`]), else by the
/// `Accept` header; `None` is the document as uploaded.
pub(crate) fn export_format(
    name: Option<&str>,
    headers: &HeaderMap,
) -> Result<Option<chainwatch_sbom::Format>, Problem> {
    let wanted = name.map(str::to_owned).or_else(|| {
        let accept = headers.get(axum::http::header::ACCEPT)?.to_str().ok()?;
        EXPORT_FORMATS
            .iter()
            .find(|(_, f)| accept.contains(media_type(*f)))
            .map(|(n, _)| (*n).to_owned())
    });
    match wanted.as_deref() {
        None | Some("original") => Ok(None),
        Some(other) => EXPORT_FORMATS
            .iter()
            .find(|(n, _)| *n == other)
            .map(|(_, f)| Some(*f))
            .ok_or_else(|| {
                Problem::new(
                    Code::UnknownFormat,
                    format!(
                        "format `{other}`: expected original, cyclonedx-json, cyclonedx-xml, spdx-json, spdx-tv or spdx3-jsonld"
                    ),
                )
            }),
    }
}

/// The media type of a format.
pub(crate) fn media_type(format: chainwatch_sbom::Format) -> &'static str {
    use chainwatch_sbom::Format;
    match format {
        Format::CycloneDxJson => "application/vnd.cyclonedx+json",
        Format::CycloneDxXml => "application/vnd.cyclonedx+xml",
        Format::SpdxJson => "application/spdx+json",
        Format::SpdxTagValue => "text/spdx",
        Format::SpdxYaml => "application/yaml",
        Format::SpdxXml => "application/spdx+xml",
        Format::SpdxRdfXml => "application/rdf+xml",
        Format::Spdx3JsonLd => "application/ld+json",
    }
}

/// A stored document by id, as uploaded (`target` `None`) or converted: its bytes, media
/// type and what the store knows of it.
pub(crate) async fn sbom(
    state: &Arc<State>,
    caller: &Caller,
    id: i64,
    target: Option<chainwatch_sbom::Format>,
) -> Result<(Vec<u8>, &'static str, DocumentInfo), Problem> {
    use chainwatch_sbom::Format;
    caller.require(Role::Read)?;
    let (info, raw) = blocking(state, move |store| store.document(id)).await?;
    caller.require_product(&info.product)?;
    let (body, media) = match target {
        None => {
            let media = [
                Format::CycloneDxJson,
                Format::CycloneDxXml,
                Format::SpdxJson,
                Format::SpdxYaml,
                Format::SpdxXml,
                Format::SpdxRdfXml,
                Format::SpdxTagValue,
                Format::Spdx3JsonLd,
            ]
            .into_iter()
            .find(|f| f.as_str() == info.format)
            .map_or("application/octet-stream", media_type);
            (raw, media)
        }
        Some(format) => {
            let sbom = chainwatch_sbom::parse(&raw, &chainwatch_sbom::ReadOptions::default())
                .map_err(|e| Problem::internal(format!("stored document {id}: {e}")))?;
            let text = chainwatch_sbom::write(&sbom, format)
                .ok_or_else(|| Problem::internal("the format cannot be written"))?;
            (text.into_bytes(), media_type(format))
        }
    };
    Ok((body, media, info))
}

pub(crate) use chainwatch_advisory::vex::{ANALYSIS_STATES, JUSTIFICATIONS, RESPONSES};

/// A triage decision: a CycloneDX analysis.
#[derive(Debug, Clone, Default)]
pub(crate) struct Decision {
    pub(crate) state: String,
    pub(crate) justification: Option<String>,
    pub(crate) responses: Vec<String>,
    pub(crate) detail: Option<String>,
}

/// A finding a decision is about.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    utoipa::ToSchema,
)]
pub(crate) struct Target {
    pub(crate) product: String,
    pub(crate) version: String,
    /// The package's canonical purl, as findings give it.
    pub(crate) package: String,
    /// The advisory id, as findings give it.
    pub(crate) advisory: String,
}

impl From<&ProductFinding> for Target {
    fn from(f: &ProductFinding) -> Target {
        Target {
            product: f.product.clone(),
            version: f.version.clone(),
            package: f.package.clone(),
            advisory: f.advisory.clone(),
        }
    }
}

impl From<&chainwatch_store::Affected> for Target {
    fn from(a: &chainwatch_store::Affected) -> Target {
        Target {
            product: a.product.clone(),
            version: a.version.clone(),
            package: a.package.clone(),
            advisory: a.advisory.clone(),
        }
    }
}

fn uuid_v4() -> Result<String, Problem> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| Problem::internal("the system random number generator failed"))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = b.iter().fold(String::with_capacity(32), |mut h, x| {
        use std::fmt::Write as _;
        let _ = write!(h, "{x:02x}");
        h
    });
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// Records a decision on findings as VEX: one CycloneDX VEX document per product version
/// (its author the caller's token name, its time now), read back by the VEX reader and
/// stored as any imported VEX is, so `findings`, `vex export` and `scan` see it. Nothing
/// is deleted: a later decision (or `not_set`) supersedes. Each target must be a current
/// finding of a product the caller may touch; the caller needs role `ingest`. Returns
/// the decisions recorded.
pub(crate) async fn triage(
    state: &Arc<State>,
    caller: &Caller,
    decision: &Decision,
    targets: Vec<Target>,
) -> Result<usize, Problem> {
    caller.require(Role::Ingest)?;
    let invalid = |detail: String| Problem::new(Code::InvalidRequest, detail);
    if !ANALYSIS_STATES.contains(&decision.state.as_str()) {
        return Err(invalid(format!(
            "analysis state `{}`: expected one of {}",
            decision.state,
            ANALYSIS_STATES.join(", ")
        )));
    }
    if let Some(j) = &decision.justification
        && !JUSTIFICATIONS.contains(&j.as_str())
    {
        return Err(invalid(format!(
            "justification `{j}`: expected one of {}",
            JUSTIFICATIONS.join(", ")
        )));
    }
    if let Some(r) = decision
        .responses
        .iter()
        .find(|r| !RESPONSES.contains(&r.as_str()))
    {
        return Err(invalid(format!(
            "response `{r}`: expected one of {}",
            RESPONSES.join(", ")
        )));
    }
    if decision.detail.as_ref().is_some_and(|d| d.len() > 8192) {
        return Err(invalid("the detail is longer than 8 KiB".into()));
    }
    if targets.is_empty() {
        return Err(invalid("no finding was chosen".into()));
    }
    if targets.len() > 10_000 {
        return Err(invalid("more than 10,000 findings at once".into()));
    }
    let mut groups: std::collections::BTreeMap<(String, String), Vec<Target>> =
        std::collections::BTreeMap::new();
    for t in targets {
        caller.require_product(&t.product)?;
        groups
            .entry((t.product.clone(), t.version.clone()))
            .or_default()
            .push(t);
    }
    let author = caller.token.name.clone();
    let decision = decision.clone();
    let mut serials = Vec::with_capacity(groups.len());
    for _ in 0..groups.len() {
        serials.push(uuid_v4()?);
    }
    let st = state.clone();
    blocking(state, move |store| {
        let mut recorded = 0;
        let now = chainwatch_store::format_micros(chainwatch_store::now_micros());
        let decided: Vec<(String, String)> = groups.keys().cloned().collect();
        for (((product, version), mut wanted), serial) in groups.into_iter().zip(serials) {
            wanted.sort();
            wanted.dedup();
            let findings = store.findings(&FindingQuery {
                product: Some(product.clone()),
                version: Some(version.clone()),
                include_suppressed: true,
                ..FindingQuery::default()
            })?;
            let mut vulnerabilities = Vec::with_capacity(wanted.len());
            for t in &wanted {
                let Some(f) = findings
                    .iter()
                    .find(|f| f.advisory == t.advisory && f.package == t.package)
                else {
                    return Err(chainwatch_store::StoreError::NotFound(format!(
                        "`{product}@{version}` has no finding of `{}` in `{}`",
                        t.advisory, t.package
                    )));
                };
                let mut analysis = serde_json::json!({ "state": decision.state });
                if let Some(j) = &decision.justification {
                    analysis["justification"] = j.clone().into();
                }
                if !decision.responses.is_empty() {
                    analysis["response"] = decision.responses.clone().into();
                }
                if let Some(d) = &decision.detail {
                    analysis["detail"] = d.clone().into();
                }
                vulnerabilities.push(serde_json::json!({
                    "id": f.advisory,
                    "references": f.aliases.iter().map(|a| serde_json::json!({"id": a, "source": {"name": "chainwatch"}})).collect::<Vec<_>>(),
                    "updated": now,
                    "analysis": analysis,
                    "affects": [{"ref": f.package}],
                }));
            }
            let doc = serde_json::json!({
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "serialNumber": format!("urn:uuid:{serial}"),
                "version": 1,
                "metadata": {
                    "timestamp": now,
                    "authors": [{"name": author}],
                    "tools": {"components": [{"type": "application", "name": "chainwatch", "version": env!("CARGO_PKG_VERSION")}]},
                    "component": {"type": "application", "bom-ref": "product", "name": product, "version": version},
                },
                "vulnerabilities": vulnerabilities,
            });
            let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| {
                chainwatch_store::StoreError::Corrupt(format!("a triage document: {e}"))
            })?;
            let read = chainwatch_advisory::vex::parse(&bytes).map_err(|e| {
                chainwatch_store::StoreError::Corrupt(format!("a triage document does not read back: {e}"))
            })?;
            if read.statements.len() != wanted.len() || !read.problems.is_empty() {
                return Err(chainwatch_store::StoreError::Corrupt(format!(
                    "a triage document reads back as {} statements ({} problems), not {}",
                    read.statements.len(),
                    read.problems.len(),
                    wanted.len()
                )));
            }
            store.import_vex(&bytes, &read)?;
            recorded += wanted.len();
        }
        // Decisions change which findings count: the policy's violations with them.
        for (product, version) in &decided {
            crate::notify::evaluate_policy(&st, store, Some((product, version)), "triage", false)?;
        }
        Ok(recorded)
    })
    .await
}

/// A finding's audit trail (see `Store::vex_history`).
pub(crate) async fn finding_history(
    state: &Arc<State>,
    caller: &Caller,
    target: Target,
) -> Result<(ProductFinding, Vec<chainwatch_store::VexEntry>), Problem> {
    caller.require(Role::Read)?;
    caller.require_product(&target.product)?;
    blocking(state, move |store| {
        let findings = store.findings(&FindingQuery {
            product: Some(target.product.clone()),
            version: Some(target.version.clone()),
            include_suppressed: true,
            ..FindingQuery::default()
        })?;
        let Some(f) = findings
            .into_iter()
            .find(|f| f.advisory == target.advisory && f.package == target.package)
        else {
            return Err(chainwatch_store::StoreError::NotFound(format!(
                "`{}@{}` has no finding of `{}` in `{}`",
                target.product, target.version, target.advisory, target.package
            )));
        };
        let history = store.vex_history(&f.product, &f.version, &f.package, &f.identifiers())?;
        Ok((f, history))
    })
    .await
}

/// The dependency trees the console unfolded last (a few, each a document's): unfolding
/// one level is then a lookup, not a graph read. Keyed by document, so a new upload is
/// a new entry.
#[derive(Debug, Default)]
pub(crate) struct WhyCache(std::sync::Mutex<Vec<(i64, String, Arc<chainwatch_store::WhyIndex>)>>);

/// Trees kept.
const WHY_CACHED: usize = 8;

/// Why a package is in a product version: the tree of its dependency paths.
pub(crate) async fn why_index(
    state: &Arc<State>,
    caller: &Caller,
    product: String,
    version: String,
    purl: String,
) -> Result<Arc<chainwatch_store::WhyIndex>, Problem> {
    caller.require(Role::Read)?;
    caller.require_product(&product)?;
    let st = state.clone();
    blocking(state, move |store| {
        let history = store.documents(&product, Some(&version), None)?;
        let Some(current) = history.last() else {
            return Err(chainwatch_store::StoreError::NotFound(format!(
                "no product version `{product}@{version}`"
            )));
        };
        if let Ok(mut cache) = st.why.0.lock()
            && let Some(at) = cache
                .iter()
                .position(|(doc, p, _)| *doc == current.id && *p == purl)
        {
            let hit = cache.remove(at);
            let index = hit.2.clone();
            cache.push(hit);
            return Ok(index);
        }
        let index = Arc::new(store.why_index(&product, &version, &purl)?);
        if let Ok(mut cache) = st.why.0.lock() {
            if cache.len() >= WHY_CACHED {
                cache.remove(0);
            }
            cache.push((index.document, purl, index.clone()));
        }
        Ok(index)
    })
    .await
}

/// Typo-squat suspects the dashboard lists at most.
const SUSPECTS_SHOWN: usize = 20;

/// Days of the dashboard's chart.
pub(crate) const TREND_DAYS: usize = 90;

/// What the dashboard shows of the portfolio a token may see.
#[derive(Debug)]
pub(crate) struct Overview {
    pub(crate) products: usize,
    pub(crate) versions: usize,
    pub(crate) components: u64,
    /// Open findings of every product the caller may see, and per product.
    pub(crate) counts: chainwatch_store::FindingCounts,
    pub(crate) by_product: std::collections::HashMap<String, chainwatch_store::FindingCounts>,
    /// Findings first seen and resolved per day, oldest first, today last.
    pub(crate) opened: Vec<usize>,
    pub(crate) resolved: Vec<usize>,
    /// Malicious and known-exploited findings, most urgent first (at most 20).
    pub(crate) urgent: Vec<ProductFinding>,
    /// The newest findings (at most 20).
    pub(crate) newest: Vec<ProductFinding>,
    /// Typo-squat suspects in current inventories, best scored first (at most
    /// `SUSPECTS_SHOWN`), with the product versions that have them, and how many there are.
    pub(crate) suspects: Vec<(crate::squats::Suspect, Vec<chainwatch_store::WhoHas>)>,
    pub(crate) suspect_count: usize,
    /// When it was computed (microseconds since the epoch) and how long it took.
    pub(crate) computed_at: i64,
    pub(crate) took: std::time::Duration,
    /// Of which the findings' summary, and the typo-squat check of how many names.
    pub(crate) took_findings: std::time::Duration,
    pub(crate) names_checked: usize,
    pub(crate) last_import: Option<i64>,
}

/// The severity of a finding as the console counts it.
pub(crate) fn level_of(f: &ProductFinding) -> &'static str {
    LEVELS[usize::from(chainwatch_store::level_index(f.severity.as_deref()))]
}

/// Severity order, most severe first.
pub(crate) use chainwatch_store::LEVELS;

async fn compute_overview(state: &Arc<State>, caller: &Caller) -> Result<Overview, Problem> {
    let started = std::time::Instant::now();
    let portfolio = portfolio(state, caller).await?;
    let who = caller.clone();
    let now = chainwatch_store::now_micros();
    let (summary, last_import) = blocking(state, move |store| {
        let include = |product: &str| who.may(product);
        let summary = store.findings_summary(&chainwatch_store::SummaryQuery {
            include: &include,
            days: TREND_DAYS,
            top: 20,
            now,
        })?;
        Ok((summary, store.advisories_last_import()?))
    })
    .await?;
    // Typo-squat suspects: every stored package name checked (once per name), then
    // kept where a current inventory the caller may see has it.
    let took_findings = started.elapsed();
    let names = blocking(state, chainwatch_store::Store::package_names).await?;
    let names_checked = names.len();
    let mut found = suspects(state, names).await?;
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let who = caller.clone();
    let (suspects, suspect_count) = blocking(state, move |store| {
        let mut kept = Vec::new();
        let mut count = 0;
        for s in found {
            let mut holders = store.who_has(&s.package, None, None)?;
            holders.retain(|h| who.may(&h.product));
            if !holders.is_empty() {
                count += 1;
                if kept.len() < SUSPECTS_SHOWN {
                    kept.push((s, holders));
                }
            }
        }
        Ok((kept, count))
    })
    .await?;
    let products: std::collections::BTreeSet<&str> =
        portfolio.iter().map(|p| p.name.as_str()).collect();
    Ok(Overview {
        products: products.len(),
        versions: portfolio.len(),
        components: portfolio.iter().map(|p| p.components).sum(),
        counts: summary.total,
        by_product: summary.by_product,
        opened: summary.opened,
        resolved: summary.resolved,
        urgent: summary.urgent,
        newest: summary.newest,
        suspects,
        suspect_count,
        computed_at: now,
        took: started.elapsed(),
        took_findings,
        names_checked,
        last_import,
    })
}

/// The dashboards computed, per product scope (a token's glob, or none), with the
/// store's findings marker they were computed at.
#[derive(Debug, Default)]
pub(crate) struct OverviewCache(
    std::sync::Mutex<std::collections::HashMap<Option<String>, OverviewEntry>>,
);

#[derive(Debug, Default)]
struct OverviewEntry {
    marker: String,
    overview: Option<Arc<Overview>>,
    /// Set while a computation runs (one per scope at a time).
    computing: Option<tokio::sync::watch::Receiver<bool>>,
    /// Why the last computation failed, if it did.
    error: Option<String>,
}

/// The dashboard as [`overview`] has it.
#[derive(Debug)]
pub(crate) struct OverviewState {
    /// The last summary computed, if any.
    pub(crate) overview: Option<Arc<Overview>>,
    /// Whether it is current.
    pub(crate) current: bool,
    /// Why the last computation failed, if it did.
    pub(crate) error: Option<String>,
}

/// How long a dashboard request waits for a computation before it answers that one is
/// under way.
const OVERVIEW_WAIT: std::time::Duration = std::time::Duration::from_millis(400);

/// The dashboard of what the caller may see: from the cache when nothing changed since,
/// else computed anew; a summary that takes longer than a moment is computed in the
/// background while the last one (marked as such) or a notice is shown.
pub(crate) async fn overview(
    state: &Arc<State>,
    caller: &Caller,
    wait_for_it: bool,
) -> Result<OverviewState, Problem> {
    caller.require(Role::Read)?;
    let marker = blocking(state, chainwatch_store::Store::findings_marker).await?;
    let scope = caller.token.products.clone();
    let mut wait = {
        let mut cache = state
            .overviews
            .0
            .lock()
            .map_err(|_| Problem::internal("the dashboard cache is poisoned"))?;
        let entry = cache.entry(scope.clone()).or_default();
        if entry.marker == marker
            && let Some(o) = &entry.overview
        {
            return Ok(OverviewState {
                overview: Some(o.clone()),
                current: true,
                error: None,
            });
        }
        if let Some(rx) = &entry.computing {
            rx.clone()
        } else {
            let (tx, rx) = tokio::sync::watch::channel(false);
            entry.computing = Some(rx.clone());
            let (st, who, m) = (state.clone(), caller.clone(), marker.clone());
            tokio::spawn(async move {
                let result = compute_overview(&st, &who).await;
                if let Ok(mut cache) = st.overviews.0.lock() {
                    let entry = cache.entry(who.token.products.clone()).or_default();
                    entry.computing = None;
                    match result {
                        Ok(o) => {
                            entry.overview = Some(Arc::new(o));
                            entry.marker = m;
                            entry.error = None;
                        }
                        Err(p) => entry.error = Some(p.detail),
                    }
                }
                let _ = tx.send(true);
            });
            rx
        }
    };
    if wait_for_it {
        let _ = tokio::time::timeout(OVERVIEW_WAIT, wait.wait_for(|done| *done)).await;
    }
    let cache = state
        .overviews
        .0
        .lock()
        .map_err(|_| Problem::internal("the dashboard cache is poisoned"))?;
    Ok(cache.get(&scope).map_or(
        OverviewState {
            overview: None,
            current: false,
            error: None,
        },
        |e| OverviewState {
            overview: e.overview.clone(),
            current: e.marker == marker && e.overview.is_some(),
            error: e.error.clone(),
        },
    ))
}

/// The verified attestations about a product version.
pub(crate) async fn provenance(
    state: &Arc<State>,
    caller: &Caller,
    product: String,
    version: String,
) -> Result<Vec<chainwatch_store::Evidence>, Problem> {
    caller.require(Role::Read)?;
    caller.require_product(&product)?;
    blocking(state, move |store| {
        store.provenance(&product, Some(&version), None)
    })
    .await
}

/// The versions of a product (distinct, as stored).
pub(crate) async fn product_versions(
    state: &Arc<State>,
    caller: &Caller,
    product: String,
) -> Result<Vec<String>, Problem> {
    caller.require(Role::Read)?;
    caller.require_product(&product)?;
    blocking(state, move |store| {
        let mut versions: Vec<String> = store
            .documents(&product, None, None)?
            .into_iter()
            .map(|d| d.version)
            .collect();
        versions.sort();
        versions.dedup();
        Ok(versions)
    })
    .await
}

/// What changed from one version of a product to another: components added, removed
/// and upgraded, and the findings that appeared and went away (an advisory on a package,
/// whatever its version).
#[derive(Debug)]
pub(crate) struct VersionDiff {
    pub(crate) components: chainwatch_sbom::SbomDiff,
    pub(crate) new_findings: Vec<ProductFinding>,
    pub(crate) resolved_findings: Vec<ProductFinding>,
}

pub(crate) async fn version_diff(
    state: &Arc<State>,
    caller: &Caller,
    product: String,
    from: String,
    to: String,
) -> Result<VersionDiff, Problem> {
    caller.require(Role::Read)?;
    caller.require_product(&product)?;
    blocking(state, move |store| {
        let components = store.diff(&product, &from, &to, None)?;
        let read = |version: &str| {
            store.findings(&FindingQuery {
                product: Some(product.clone()),
                version: Some(version.to_owned()),
                ..FindingQuery::default()
            })
        };
        let (old, new) = (read(&from)?, read(&to)?);
        let key = |f: &ProductFinding| {
            let package = f
                .package
                .rsplit_once('@')
                .map_or(f.package.as_str(), |(p, _)| p)
                .to_owned();
            (f.advisory.clone(), package)
        };
        let old_keys: std::collections::HashSet<_> = old.iter().map(key).collect();
        let new_keys: std::collections::HashSet<_> = new.iter().map(key).collect();
        Ok(VersionDiff {
            new_findings: new
                .iter()
                .filter(|f| !old_keys.contains(&key(f)))
                .cloned()
                .collect(),
            resolved_findings: old
                .iter()
                .filter(|f| !new_keys.contains(&key(f)))
                .cloned()
                .collect(),
            components,
        })
    })
    .await
}

/// The API tokens (admin only; never their secrets).
pub(crate) async fn tokens(
    state: &Arc<State>,
    caller: &Caller,
) -> Result<Vec<chainwatch_store::Token>, Problem> {
    caller.require(Role::Admin)?;
    blocking(state, chainwatch_store::Store::tokens).await
}

/// Creates a token (admin only): its row and its secret, which is shown this once.
pub(crate) async fn create_token(
    state: &Arc<State>,
    caller: &Caller,
    name: String,
    role: &str,
    products: Option<String>,
    expires_in_secs: Option<u64>,
) -> Result<(chainwatch_store::Token, String), Problem> {
    caller.require(Role::Admin)?;
    let role = Role::parse(role).ok_or_else(|| {
        Problem::new(
            Code::InvalidRole,
            format!("role `{role}`: expected read, ingest or admin"),
        )
    })?;
    let expires_at = expires_in_secs
        .map(|s| {
            i64::try_from(s)
                .ok()
                .and_then(|s| s.checked_mul(1_000_000))
                .and_then(|us| chainwatch_store::now_micros().checked_add(us))
                .ok_or_else(|| Problem::new(Code::InvalidExpiry, "`expires_in` is too large"))
        })
        .transpose()?;
    let (secret, hash) = crate::auth::new_token()?;
    let token = blocking(state, move |store| {
        store.create_token(&name, role, products.as_deref(), &hash, expires_at)
    })
    .await?;
    Ok((token, secret))
}

/// Revokes an active token (admin only); it stops working at once.
pub(crate) async fn revoke_token(
    state: &Arc<State>,
    caller: &Caller,
    name: String,
) -> Result<(), Problem> {
    caller.require(Role::Admin)?;
    let n = name.clone();
    if blocking(state, move |store| store.revoke_token(&n)).await? {
        Ok(())
    } else {
        Err(Problem::not_found(format!(
            "no active token named `{name}`"
        )))
    }
}

/// What the operations page shows.
#[derive(Debug)]
pub(crate) struct Operations {
    pub(crate) advisories: chainwatch_store::AdvisoryStats,
    /// Advisory sources: name, the newest `modified` imported, when synced.
    pub(crate) sources: Vec<(String, Option<String>, i64)>,
    pub(crate) runs: Vec<chainwatch_store::MonitorRun>,
    pub(crate) deliveries: Vec<chainwatch_store::Delivery>,
    pub(crate) outbox: Vec<(String, u64)>,
}

/// What the operations page shows: advisory data and sources, the monitoring job's
/// runs, webhook deliveries and the outbox.
pub(crate) async fn operations(state: &Arc<State>, caller: &Caller) -> Result<Operations, Problem> {
    caller.require(Role::Admin)?;
    blocking(state, |store| {
        Ok(Operations {
            advisories: store.advisory_stats()?,
            sources: store.source_states()?,
            runs: store.monitor_runs(20)?,
            deliveries: store.deliveries(50)?,
            outbox: store.outbox()?,
        })
    })
    .await
}

/// The typo-squat suspects of a stored document, whose packages `purls` lists.
pub(crate) async fn document_suspects(
    state: &Arc<State>,
    document: i64,
    purls: Vec<String>,
) -> Result<Arc<Vec<crate::squats::Suspect>>, Problem> {
    let st = state.clone();
    blocking(state, move |store| {
        Ok(st
            .squats
            .of_document(store, &st.config.corpus, document, &purls))
    })
    .await
}

/// The typo-squat suspects among packages (purls), with the same detectors as uploads.
pub(crate) async fn suspects(
    state: &Arc<State>,
    purls: Vec<String>,
) -> Result<Vec<crate::squats::Suspect>, Problem> {
    let st = state.clone();
    blocking(state, move |store| {
        Ok(st
            .squats
            .among(store, &st.config.corpus, purls.iter().map(String::as_str)))
    })
    .await
}

/// The active policy's violations that `query` asks for and the caller may see.
pub(crate) async fn violations(
    state: &Arc<State>,
    caller: &Caller,
    query: chainwatch_store::ViolationQuery,
) -> Result<Vec<chainwatch_store::StoredViolation>, Problem> {
    caller.require(Role::Read)?;
    if let Some(p) = &query.product {
        caller.require_product(p)?;
    }
    let mut rows = blocking(state, move |store| store.violations(&query)).await?;
    rows.retain(|v| caller.may(&v.product));
    Ok(rows)
}

/// The active policy, with its rules compiled (none: no policy is applied).
pub(crate) async fn active_policy(
    state: &Arc<State>,
    caller: &Caller,
) -> Result<Option<(chainwatch_store::PolicySet, chainwatch_policy::Policy)>, Problem> {
    caller.require(Role::Read)?;
    let set = blocking(state, chainwatch_store::Store::policy).await?;
    Ok(set.and_then(|s| {
        chainwatch_policy::Policy::parse(&s.text)
            .ok()
            .map(|p| (s, p))
    }))
}

/// A product's tags.
pub(crate) async fn product_tags(
    state: &Arc<State>,
    caller: &Caller,
    product: String,
) -> Result<Vec<String>, Problem> {
    caller.require(Role::Read)?;
    caller.require_product(&product)?;
    blocking(state, move |store| {
        Ok(store.product_tags()?.remove(&product).unwrap_or_default())
    })
    .await
}

/// How many violations in `state` each product the caller may see has, by rule and
/// level: `(product, rule, level, count)`.
pub(crate) async fn violation_counts(
    state: &Arc<State>,
    caller: &Caller,
    violations: chainwatch_store::ViolationState,
) -> Result<Vec<(String, String, String, u64)>, Problem> {
    caller.require(Role::Read)?;
    let mut rows = blocking(state, move |store| store.violation_counts(violations)).await?;
    rows.retain(|(product, ..)| caller.may(product));
    Ok(rows)
}

/// How many findings of the products the caller may see each vulnerability policy
/// decides, by analysis name.
pub(crate) async fn decision_counts(
    state: &Arc<State>,
    caller: &Caller,
) -> Result<std::collections::BTreeMap<String, u64>, Problem> {
    caller.require(Role::Read)?;
    let rows = blocking(state, chainwatch_store::Store::policy_decision_counts).await?;
    let mut out = std::collections::BTreeMap::new();
    for (product, rule, n) in rows {
        if caller.may(&product) {
            *out.entry(rule).or_default() += n;
        }
    }
    Ok(out)
}

/// A page of the violations `query` asks for that the caller may see, from the store's
/// index (a token limited to some products reads on until its page is full), with the
/// cursor of the next page.
pub(crate) async fn violations_page(
    state: &Arc<State>,
    caller: &Caller,
    query: chainwatch_store::ViolationQuery,
    page: &Page,
) -> Result<(Vec<chainwatch_store::StoredViolation>, Option<String>), Problem> {
    caller.require(Role::Read)?;
    if let Some(p) = &query.product {
        caller.require_product(p)?;
    }
    let (limit, after) = page_params(page)?;
    let after = after
        .map(|k| chainwatch_store::ViolationCursor::decode(&k).ok_or_else(bad_cursor))
        .transpose()?;
    let who = caller.clone();
    let (rows, more) = blocking(state, move |store| {
        filtered_page(
            limit,
            after,
            |from| store.violations_page(&query, from, limit + 1),
            |(c, _)| c.clone(),
            |(_, v)| who.may(&v.product),
        )
    })
    .await?;
    let next = if more {
        rows.last().map(|(c, _)| cursor(&c.encode()))
    } else {
        None
    };
    Ok((rows.into_iter().map(|(_, v)| v).collect(), next))
}
