//! The Reports page's logic, without the browser: the period from "now" and the zone
//! ([`period`]), the API's query strings for the overview, the drill-downs and the CSV
//! ([`query`]), numbers in words and their change from the previous period ([`numbers`]),
//! the bar charts' geometry ([`chart`]), the heatmap's shades and the histograms' bins
//! ([`heat`]) and the tables' order ([`table`]).
//!
//! Every number itself comes from the server (`docs/reports.md` defines them); nothing here
//! computes a statistic, only how to ask for one and how to show it.

pub mod chart;
pub mod heat;
pub mod numbers;
pub mod period;
pub mod query;
pub mod table;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_view;
