//! Message text as the widget draws it: plain text, with web links made clickable.
//!
//! Nothing here produces markup. The view turns `Segment::Text` into a text node and
//! `Segment::Link` into an `<a>` whose `href` is the link itself, so `<img onerror=…>` in a
//! message is shown as those characters, never parsed as HTML.

/// A piece of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    /// An `http://` or `https://` URL (other schemes, e.g. `javascript:`, stay text).
    Link(&'a str),
}

/// Splits text into plain runs and http(s) links. Trailing punctuation that usually ends a
/// sentence (`.`, `,`, `)`, `!`, `?`, `:`, `;`) is left out of the link.
pub fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = find_link_start(rest) {
        let (before, from) = rest.split_at(start);
        let end = from
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .unwrap_or(from.len());
        let mut link = &from[..end];
        while let Some(trimmed) = link.strip_suffix(['.', ',', ')', '!', '?', ':', ';', '\'']) {
            link = trimmed;
        }
        if link.len() <= "https://".len() {
            // A bare scheme is not a link; keep it as text and move on.
            let skip = start + link.len();
            push_text(&mut out, &rest[..skip]);
            rest = &rest[skip..];
            continue;
        }
        push_text(&mut out, before);
        out.push(Segment::Link(link));
        rest = &from[link.len()..];
    }
    push_text(&mut out, rest);
    out
}

fn push_text<'a>(out: &mut Vec<Segment<'a>>, text: &'a str) {
    if !text.is_empty() {
        out.push(Segment::Text(text));
    }
}

fn find_link_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::*;

    #[test]
    fn links_are_found_and_sentence_punctuation_left_out() {
        assert_eq!(
            segments("see https://example.com/a?b=1. thanks"),
            vec![
                Text("see "),
                Link("https://example.com/a?b=1"),
                Text(". thanks")
            ]
        );
        assert_eq!(
            segments("(http://x.io)"),
            vec![Text("("), Link("http://x.io"), Text(")")]
        );
    }

    #[test]
    fn markup_and_other_schemes_stay_text() {
        let evil = "<img src=x onerror=alert(1)> javascript:alert(1)";
        assert_eq!(segments(evil), vec![Text(evil)]);
        assert_eq!(
            segments("https:// nope"),
            vec![Text("https://"), Text(" nope")]
        );
    }

    #[test]
    fn multibyte_text_around_links_is_kept() {
        assert_eq!(
            segments("olá 😀 https://exemplo.com.br ok"),
            vec![Text("olá 😀 "), Link("https://exemplo.com.br"), Text(" ok")]
        );
    }
}
