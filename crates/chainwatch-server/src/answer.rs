//! What the JSON handlers share: answers marked with the caller's token (for the access
//! log), pages of items, and the rule that what applies to every product needs an
//! unscoped token.

use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::logging::TokenName;
use crate::query::{self, Page};
use crate::{Code, Problem};

/// An answer, marked with the caller's token name for the access log.
pub(crate) fn answered_for(caller: &Caller, response: impl IntoResponse) -> Response {
    let mut r = response.into_response();
    r.extensions_mut()
        .insert(TokenName(caller.token.name.clone()));
    r
}

/// A page of any list: `{"items": [...], "next": cursor}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ItemPage {
    #[schema(value_type = Vec<Object>)]
    pub(crate) items: Vec<serde_json::Value>,
    /// The cursor of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next: Option<String>,
}

/// One page of JSON rows keyed for sorting (see [`query::paginate`]).
pub(crate) fn item_page(
    rows: Vec<(String, serde_json::Value)>,
    page: &Page,
) -> Result<ItemPage, Problem> {
    let (items, next) = query::paginate(rows, page)?;
    Ok(ItemPage { items, next })
}

/// VEX, advisories and policies apply to every product: only tokens without a product
/// limit may upload or change them.
pub(crate) fn require_unscoped(caller: &Caller, what: &str) -> Result<(), Problem> {
    if caller.token.products.is_some() {
        return Err(Problem::new(
            Code::ForbiddenProduct,
            format!(
                "{what} apply to every product: token `{}` is limited to some",
                caller.token.name
            ),
        ));
    }
    Ok(())
}

/// Whether a list's `format` asks for SARIF (`sarif`) rather than a page of JSON (`json`,
/// the default).
pub(crate) fn sarif_requested(format: Option<&str>) -> Result<bool, Problem> {
    match format {
        None | Some("json") => Ok(false),
        Some("sarif") => Ok(true),
        Some(other) => Err(Problem::new(
            Code::InvalidFormat,
            format!("`format` `{other}`: expected json or sarif"),
        )),
    }
}
