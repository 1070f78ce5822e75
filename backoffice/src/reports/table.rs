//! The per-attendant and per-queue tables' order: by a clicked column, either way, rows
//! without a value last whichever way.

use std::cmp::Ordering;

use chimpassist_protocol::report::ReportRow;

/// A sortable column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Name,
    Created,
    Resolved,
    FirstResponse,
    Resolution,
    Csat,
}

impl Column {
    pub const ALL: [Column; 6] = [
        Column::Name,
        Column::Created,
        Column::Resolved,
        Column::FirstResponse,
        Column::Resolution,
        Column::Csat,
    ];

    /// The way a first click sorts: names A to Z, times quickest first, counts and scores
    /// highest first.
    pub fn first_descending(self) -> bool {
        !matches!(
            self,
            Column::Name | Column::FirstResponse | Column::Resolution
        )
    }

    /// The `data-sort` attribute, for tests and styles.
    pub fn slug(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Created => "created",
            Column::Resolved => "resolved",
            Column::FirstResponse => "first_response",
            Column::Resolution => "resolution",
            Column::Csat => "csat",
        }
    }
}

/// A table's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    /// Busiest first, as the server sends them.
    fn default() -> Self {
        Sort {
            column: Column::Created,
            descending: true,
        }
    }
}

impl Sort {
    /// After a click on `column`'s header: the other way if it was already the order, else
    /// that column its first way.
    pub fn clicked(self, column: Column) -> Sort {
        if self.column == column {
            Sort {
                column,
                descending: !self.descending,
            }
        } else {
            Sort {
                column,
                descending: column.first_descending(),
            }
        }
    }

    /// `aria-sort` of a header.
    pub fn aria(self, column: Column) -> &'static str {
        match (self.column == column, self.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        }
    }
}

/// A row's value in a numeric column; `None` when it has none (no ratings, no replies).
fn value(row: &ReportRow, column: Column) -> Option<f64> {
    let s = &row.summary;
    match column {
        Column::Name => None,
        Column::Created => Some(s.created as f64),
        Column::Resolved => Some(s.resolved as f64),
        Column::FirstResponse => s.first_response.median_ms.map(|v| v as f64),
        Column::Resolution => s.resolution.median_ms.map(|v| v as f64),
        Column::Csat => s.csat.score,
    }
}

/// Sorts `rows` by `sort`; ties keep their order (the server's, busiest first).
pub fn sort(rows: &mut [ReportRow], sort: Sort) {
    rows.sort_by(|a, b| {
        if sort.column == Column::Name {
            let order = a.name.to_lowercase().cmp(&b.name.to_lowercase());
            return if sort.descending {
                order.reverse()
            } else {
                order
            };
        }
        match (value(a, sort.column), value(b, sort.column)) {
            (Some(x), Some(y)) => {
                let order = x.total_cmp(&y);
                if sort.descending {
                    order.reverse()
                } else {
                    order
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    });
}
