//! A document's dependency graph, stored as one compact value per document: the edge
//! kinds used, then every edge as varints `(from, to, kind)`, sorted. Loading one
//! document's graph is one read; storing 1.5 million edges is one write. The graph
//! queries read it here together with the components it connects.

use crate::db::{Db, Row, Table, args};
use crate::{Result, StoreError};

/// A component of a stored document, as the graph queries see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub label: String,
    pub name_identity: Option<String>,
    pub version: Option<String>,
}

/// A document's components and edges.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<(u32, u32, String)>,
    pub subject: Option<u32>,
}

/// A node from `pk.purl, pk.name, o.name, o.version` at `offset`: labelled by its purl,
/// else its name and version.
fn node(r: &Row<'_>, offset: usize) -> Result<Node> {
    let purl: Option<String> = r.get(offset)?;
    let name_identity: Option<String> = r.get(offset + 1)?;
    let name: String = r.get(offset + 2)?;
    let version: Option<String> = r.get(offset + 3)?;
    let label = match (&purl, &version) {
        (Some(p), _) => p.clone(),
        (None, Some(v)) => format!("{name}@{v}"),
        (None, None) => name,
    };
    Ok(Node {
        label,
        name_identity,
        version: version
            .or_else(|| purl.and_then(|p| p.rsplit_once('@').map(|(_, v)| v.to_owned()))),
    })
}

/// A document's components (in order) and edges.
pub(crate) fn graph(db: &mut Db<'_>, document: i64) -> Result<Graph> {
    let subject: Option<u32> = db.value(
        "SELECT subject FROM documents WHERE id = $1",
        &args![document],
    )?;
    let mut graph = Graph {
        subject,
        ..Graph::default()
    };
    db.for_each(
        "SELECT o.ordinal, pk.purl, pk.name, o.name, o.version
         FROM occurrences o
         LEFT JOIN packages pk ON pk.id = o.package_id
         WHERE o.document_id = $1 ORDER BY o.ordinal",
        &args![document],
        &mut |r| {
            if r.get::<i64>(0)? != crate::int(graph.nodes.len()) {
                return Err(StoreError::Corrupt(format!(
                    "document {document} misses component {}",
                    graph.nodes.len()
                )));
            }
            graph.nodes.push(node(&r, 1)?);
            Ok(())
        },
    )?;
    graph.edges = edges(db, document)?;
    Ok(graph)
}

/// A document's edges only.
pub(crate) fn edges(db: &mut Db<'_>, document: i64) -> Result<Vec<(u32, u32, String)>> {
    let data: Option<Vec<u8>> = db.query_opt(
        "SELECT data FROM graphs WHERE document_id = $1",
        &args![document],
        |r| r.get(0),
    )?;
    data.map_or_else(|| Ok(Vec::new()), |d| decode(&d))
}

/// Some components of a document, by ordinal.
pub(crate) fn nodes(db: &mut Db<'_>, document: i64, ordinals: &[u32]) -> Result<Vec<(u32, Node)>> {
    let table = Table::new().int("ordinal", ordinals.iter().map(|o| i64::from(*o)).collect());
    let sql = format!(
        "SELECT o.ordinal, pk.purl, pk.name, o.name, o.version
         FROM {}
         JOIN occurrences o ON o.document_id = $1 AND o.ordinal = t.ordinal
         LEFT JOIN packages pk ON pk.id = o.package_id",
        db.dialect().table(2, "t", &table)
    );
    db.query(&sql, &[document.into(), table.into()], |r| {
        Ok((r.get(0)?, node(&r, 1)?))
    })
}

/// Format version of the encoding.
const VERSION: u8 = 1;

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(u8::try_from(v & 0x7f).unwrap_or(0) | 0x80);
        v >>= 7;
    }
    out.push(u8::try_from(v).unwrap_or(0));
}

fn get(data: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *data.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Encodes edges given as `(from, to, kind)`; duplicates are dropped.
pub(crate) fn encode(edges: &mut Vec<(u32, u32, &str)>) -> Vec<u8> {
    edges.sort_unstable();
    edges.dedup();
    // Kinds are few (relationship types): each once, without sorting one per edge.
    let kinds: Vec<&str> = edges
        .iter()
        .map(|e| e.2)
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .collect();
    let mut out = Vec::with_capacity(edges.len() * 5 + 16);
    out.push(VERSION);
    put(&mut out, kinds.len() as u64);
    for k in &kinds {
        put(&mut out, k.len() as u64);
        out.extend_from_slice(k.as_bytes());
    }
    put(&mut out, edges.len() as u64);
    for (from, to, kind) in edges.iter() {
        let k = kinds.binary_search(kind).unwrap_or(0);
        put(&mut out, u64::from(*from));
        put(&mut out, u64::from(*to));
        put(&mut out, k as u64);
    }
    out
}

/// Decodes what [`encode`] wrote.
pub(crate) fn decode(data: &[u8]) -> Result<Vec<(u32, u32, String)>> {
    let bad = || StoreError::Corrupt("a stored dependency graph cannot be decoded".into());
    if data.first() != Some(&VERSION) {
        return Err(bad());
    }
    let mut pos = 1;
    let n_kinds = usize::try_from(get(data, &mut pos).ok_or_else(bad)?).map_err(|_| bad())?;
    let mut kinds = Vec::with_capacity(n_kinds.min(1024));
    for _ in 0..n_kinds {
        let len = usize::try_from(get(data, &mut pos).ok_or_else(bad)?).map_err(|_| bad())?;
        let end = pos
            .checked_add(len)
            .filter(|e| *e <= data.len())
            .ok_or_else(bad)?;
        kinds.push(String::from_utf8(data[pos..end].to_vec()).map_err(|_| bad())?);
        pos = end;
    }
    let n = usize::try_from(get(data, &mut pos).ok_or_else(bad)?).map_err(|_| bad())?;
    let mut edges = Vec::with_capacity(n.min(data.len()));
    for _ in 0..n {
        let from = u32::try_from(get(data, &mut pos).ok_or_else(bad)?).map_err(|_| bad())?;
        let to = u32::try_from(get(data, &mut pos).ok_or_else(bad)?).map_err(|_| bad())?;
        let k = usize::try_from(get(data, &mut pos).ok_or_else(bad)?).map_err(|_| bad())?;
        edges.push((from, to, kinds.get(k).ok_or_else(bad)?.clone()));
    }
    if pos != data.len() {
        return Err(bad());
    }
    Ok(edges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut edges = vec![
            (3, 1, "depends-on"),
            (0, 300_000, "contains"),
            (3, 1, "depends-on"),
            (u32::MAX, 0, "dev-depends-on"),
        ];
        let data = encode(&mut edges);
        assert_eq!(edges.len(), 3);
        let owned: Vec<(u32, u32, String)> = edges
            .iter()
            .map(|(f, t, k)| (*f, *t, (*k).to_owned()))
            .collect();
        assert_eq!(decode(&data).unwrap(), owned);
        assert!(decode(&data[..data.len() - 1]).is_err());
        assert!(decode(&[]).is_err());
        assert!(decode(&[1, 200]).is_err());
        assert_eq!(decode(&encode(&mut Vec::new())).unwrap(), []);
    }
}
