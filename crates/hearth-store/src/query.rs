//! Filters, paging and counts, written once for both databases.
//!
//! A filter is a sea-query `Condition` built from the filter's fields; `page_of` and `count_of`
//! build the SELECT, the COUNT and the LIMIT/OFFSET for the database in use, so the WHERE
//! text and the order of its binds can never drift apart.

use sea_query::{
    Alias, Asterisk, Condition, Expr, Func, LikeExpr, Order, Query, SelectStatement, SimpleExpr,
};
use sea_query_binder::SqlxBinder;
use sqlx::any::AnyRow;

use crate::{Db, Page, StoreError};

/// A record read from a row by column names (every `record!` struct).
pub(crate) trait FromRow: Sized {
    fn from_row(row: &AnyRow) -> Result<Self, StoreError>;
}

pub(crate) fn col(name: &'static str) -> Expr {
    Expr::col(Alias::new(name))
}

/// "Any of `columns` contains `text`", case-insensitively and with `%` and `_` taken
/// literally (`LOWER(c) LIKE '%text%' ESCAPE '\'`).
pub(crate) fn contains(columns: &[&'static str], text: &str) -> Condition {
    let pattern = crate::like_contains(text);
    columns.iter().fold(Condition::any(), |any, c| {
        any.add(
            SimpleExpr::from(Func::lower(col(c))).like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}

/// `column IN (ids)`; an empty list matches nothing.
pub(crate) fn one_of(column: &'static str, ids: &[i64]) -> SimpleExpr {
    if ids.is_empty() {
        Expr::cust("1 = 0")
    } else {
        col(column).is_in(ids.iter().copied())
    }
}

/// A list's order chosen by the person reading it: one column (from the list's closed set of
/// sortable columns), ascending or descending. The record id breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: &'static str,
    pub descending: bool,
}

/// The order of a list: `sort` if chosen, else `default`; then the id, so pages never overlap.
pub(crate) fn order_by(
    sort: Option<Sort>,
    default: &'static str,
) -> [(&'static str, sea_query::Order); 2] {
    let first = match sort {
        Some(Sort {
            column,
            descending: true,
        }) => (column, Order::Desc),
        Some(Sort { column, .. }) => (column, Order::Asc),
        None => (default, Order::Asc),
    };
    [first, ("id", Order::Asc)]
}

impl Db {
    fn build(&self, q: &SelectStatement) -> (String, sea_query_binder::SqlxValues) {
        q.build_any_sqlx(crate::write::builder(self.backend()))
    }

    /// How many rows of `table` match.
    pub(crate) async fn count_where(
        &self,
        table: &'static str,
        cond: Condition,
    ) -> Result<i64, StoreError> {
        let q = Query::select()
            .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
            .from(Alias::new(table))
            .cond_where(cond)
            .to_owned();
        let (sql, values) = self.build(&q);
        let row = sqlx::query_with(&sql, values)
            .fetch_one(self.pool())
            .await?;
        crate::accounts::count_of(&row)
    }

    /// Rows of `table` that match, in `order` (columns, each ascending or descending), at most
    /// `limit`.
    pub(crate) async fn rows_where<R: FromRow>(
        &self,
        table: &'static str,
        cond: Condition,
        order: &[(&'static str, Order)],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<R>, StoreError> {
        let mut q = Query::select()
            .column(Asterisk)
            .from(Alias::new(table))
            .cond_where(cond)
            .to_owned();
        for (c, o) in order {
            q.order_by(Alias::new(*c), o.clone());
        }
        q.limit(u64::try_from(limit.max(0)).unwrap_or(0))
            .offset(u64::try_from(offset.max(0)).unwrap_or(0));
        let (sql, values) = self.build(&q);
        let rows = sqlx::query_with(&sql, values)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(R::from_row).collect()
    }

    /// One page of the rows of `table` that match, with the total (`per_page` 0 or less means
    /// 50; pages count from 1).
    pub(crate) async fn page_of<R: FromRow>(
        &self,
        table: &'static str,
        cond: Condition,
        order: &[(&'static str, Order)],
        page: i64,
        per_page: i64,
    ) -> Result<Page<R>, StoreError> {
        let per_page = if per_page <= 0 { 50 } else { per_page };
        let page = hearth_domain::paging::page(Some(page));
        let total = self.count_where(table, cond.clone()).await?;
        let items = self
            .rows_where(
                table,
                cond,
                order,
                per_page,
                hearth_domain::paging::offset(page, per_page),
            )
            .await?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }
}
