//! Reports for the people who run the desk: every definition once ([`summary`]), what a
//! request asks for and the desk's calendar ([`period`]), the overview's slices
//! ([`overview`]) and the per-conversation rows of the drill-down and the CSV ([`rows`]).
//!
//! Why the stores give per-conversation facts and the numbers are summed here, rather than
//! each number aggregated in SQL and again in a MongoDB pipeline: a definition is then written
//! once, medians and percentiles need the values anyway, and the overview is by construction
//! exactly what the CSV's rows add up to. The stores keep the facts as conversations change
//! and read a period on an index (`Store::conversation_facts`).

pub mod overview;
pub mod period;
pub mod rows;
pub mod summary;

pub use period::{RawQuery, ReportQuery};
