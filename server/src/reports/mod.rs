//! Reports for the people who run the desk (issue 17), built in steps. This step: the
//! definitions, as a pure function of per-conversation facts ([`summary`]). The stores'
//! queries for those facts, the `/api/reports` routes, time zones and buckets, and the
//! back-office's page come next.
//!
//! Why facts, summed here, rather than each number aggregated in each store: a definition is
//! then written once (not once in SQL and once in a MongoDB pipeline), and the overview is by
//! construction exactly what the CSV's rows add up to.

pub mod summary;

pub use summary::{Csat, Facts, Measure, Summary, summarize};
