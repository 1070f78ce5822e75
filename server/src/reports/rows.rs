//! One conversation as a report row: the drill-down's JSON and the CSV's line. Both come from
//! the same [`row`], so the list a chart opens and the CSV say the same.

use std::collections::HashMap;

use chimpassist_protocol::CustomerId;
use chimpassist_protocol::report::{MeasureKind, ReportConversation};
use chimpassist_store::ConversationFacts as Facts;

use super::overview::Names;
use super::period::Period;
use super::summary::{measure, rating, resolved_at};

/// `customers`: the names of (at least) this row's customer; one that is gone shows empty.
pub fn row(
    f: &Facts,
    attendants: &Names,
    customers: &HashMap<CustomerId, String>,
) -> ReportConversation {
    let c = &f.conversation;
    ReportConversation {
        id: c.id,
        customer_id: c.customer_id.clone(),
        customer_name: customers.get(&c.customer_id).cloned().unwrap_or_default(),
        queue: c.queue_id.clone(),
        attendant: c.attendant_id.clone(),
        attendant_name: c
            .attendant_id
            .as_ref()
            .and_then(|a| attendants.get(a.as_str()).cloned()),
        status: c.status,
        requested_at: f.created_at,
        first_assigned_at: f.first_assigned_at,
        first_response_at: f.first_response_at,
        resolved_at: resolved_at(f),
        reopened: f.reopened,
        customer_messages: f.customer_messages,
        attendant_messages: f.attendant_messages,
        rating: rating(f),
        wait_ms: measure(f, MeasureKind::Wait),
        first_response_ms: measure(f, MeasureKind::FirstResponse),
        first_response_after_assignment_ms: measure(f, MeasureKind::FirstResponseAfterAssignment),
        resolution_ms: measure(f, MeasureKind::Resolution),
        handle_ms: measure(f, MeasureKind::Handle),
        calls: f.calls,
        calls_answered: f.calls_answered,
        calls_missed: f.calls_missed,
        talk_ms: f.talk_ms,
    }
}

/// The CSV's columns, in order (`docs/reports.md` says what each holds).
pub const CSV_HEADER: &str = "conversation_id,customer_id,customer_name,queue,attendant_id,\
attendant_name,status,requested_at,first_assigned_at,first_response_at,resolved_at,reopened,\
customer_messages,attendant_messages,rating,wait_seconds,first_response_seconds,\
first_response_after_assignment_seconds,resolution_seconds,handle_seconds,calls,\
calls_answered,calls_missed,talk_seconds\r\n";

/// One CSV line (RFC 4180: comma-separated, CRLF, quoted when needed). Times are local to
/// the report's zone with their offset; durations are seconds to the millisecond, so they
/// add up exactly to the overview's.
pub fn csv_line(r: &ReportConversation, period: &Period) -> String {
    let time = |at: Option<i64>| at.map(|at| period.iso(at)).unwrap_or_default();
    let seconds = |ms: Option<i64>| ms.map(seconds).unwrap_or_default();
    let fields = [
        r.id.to_string(),
        r.customer_id.to_string(),
        text(&r.customer_name),
        r.queue.to_string(),
        r.attendant
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        text(r.attendant_name.as_deref().unwrap_or("")),
        r.status.to_string(),
        period.iso(r.requested_at),
        time(r.first_assigned_at),
        time(r.first_response_at),
        time(r.resolved_at),
        r.reopened.to_string(),
        r.customer_messages.to_string(),
        r.attendant_messages.to_string(),
        r.rating.map(|s| s.to_string()).unwrap_or_default(),
        seconds(r.wait_ms),
        seconds(r.first_response_ms),
        seconds(r.first_response_after_assignment_ms),
        seconds(r.resolution_ms),
        seconds(r.handle_ms),
        r.calls.to_string(),
        r.calls_answered.to_string(),
        r.calls_missed.to_string(),
        seconds(Some(r.talk_ms)),
    ];
    let mut line = fields.join(",");
    line.push_str("\r\n");
    line
}

fn seconds(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    format!("{sign}{}.{:03}", ms.abs() / 1000, ms.abs() % 1000)
}

/// A name typed by a visitor or an admin, made safe for a spreadsheet: quoted when it holds
/// a comma, quote or line break, and never read as a formula (a leading `=`, `+`, `-`, `@`,
/// tab or carriage return gets a `'` in front, as OWASP advises for CSV injection).
fn text(raw: &str) -> String {
    let mut value = String::with_capacity(raw.len() + 2);
    if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        value.push('\'');
    }
    value.push_str(raw);
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_never_formulas() {
        assert_eq!(text("Ana"), "Ana");
        assert_eq!(text("Silva, Ana"), "\"Silva, Ana\"");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("@SUM"), "'@SUM");
        assert_eq!(text("a\nb"), "\"a\nb\"");
    }

    #[test]
    fn durations_are_exact_seconds() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(90_061), "90.061");
        assert_eq!(seconds(-1_500), "-1.500");
    }
}
