//! The mails themselves, in the visitor's language: a subject, a plain-text body and a simple
//! HTML body. Pure, so every word is tested without a server.
//!
//! Everything from people (names, messages, file names) is escaped in the HTML, and messages
//! keep their line breaks as text: a message is never HTML, whatever it contains.

use std::fmt::Write as _;

use chimpassist_protocol::TimestampMs;

/// The languages mail is written in; any other is English.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    PtBr,
}

impl Lang {
    /// From a BCP 47 tag such as the browser's (`pt-BR`, `pt`, `en-US`).
    pub fn of(tag: Option<&str>) -> Self {
        match tag {
            Some(t) if t.to_ascii_lowercase().starts_with("pt") => Self::PtBr,
            _ => Self::En,
        }
    }
}

/// One message as a mail shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub from: String,
    /// When, already in the visitor's time (`2026-12-07 14:05`).
    pub at: String,
    pub text: String,
    /// Names of the files it carried.
    pub files: Vec<String>,
}

/// A mail ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

struct Words {
    transcript_subject: &'static str,
    transcript_intro: &'static str,
    reply_subject: &'static str,
    reply_intro: &'static str,
    reply_link: &'static str,
    reply_no_link: &'static str,
    files: &'static str,
    more: &'static str,
    hello: &'static str,
    why: &'static str,
    no_replies: &'static str,
    stop: &'static str,
}

const EN: Words = Words {
    transcript_subject: "Your conversation with us",
    transcript_intro: "Here is a copy of your conversation with us.",
    reply_subject: "You have a new reply",
    reply_intro: "We answered while you were away:",
    reply_link: "Continue the conversation",
    reply_no_link: "Answer in the chat on our site.",
    files: "Files",
    more: "earlier messages are not included",
    hello: "Hello",
    why: "You get this e-mail because you left this address in our chat.",
    no_replies: "Replies to this e-mail are not read.",
    stop: "Stop these e-mails",
};

const PT_BR: Words = Words {
    transcript_subject: "Sua conversa conosco",
    transcript_intro: "Aqui está uma cópia da sua conversa conosco.",
    reply_subject: "Você tem uma nova resposta",
    reply_intro: "Respondemos enquanto você estava fora:",
    reply_link: "Continuar a conversa",
    reply_no_link: "Responda no chat do nosso site.",
    files: "Arquivos",
    more: "mensagens anteriores não incluídas",
    hello: "Olá",
    why: "Você recebe este e-mail porque deixou este endereço no nosso chat.",
    no_replies: "Respostas a este e-mail não são lidas.",
    stop: "Parar estes e-mails",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::PtBr => &PT_BR,
    }
}

/// Who a mail is for, in which language, and the link that turns mail off.
#[derive(Clone, Copy, Debug)]
pub struct To<'a> {
    pub lang: Lang,
    pub name: &'a str,
    pub stop: &'a str,
}

/// The transcript of a resolved conversation. `left_out` earlier messages did not fit.
pub fn transcript(to: To<'_>, lines: &[Line], left_out: usize) -> Mail {
    let w = words(to.lang);
    let intro = format!("{} {},\n\n{}", w.hello, to.name, w.transcript_intro);
    build(
        w,
        w.transcript_subject,
        &intro,
        lines,
        left_out,
        None,
        to.stop,
    )
}

/// The replies a visitor has not read; `link` reopens the chat (`None`: the visitor is told
/// to answer on the site).
pub fn reply(to: To<'_>, lines: &[Line], link: Option<&str>) -> Mail {
    let w = words(to.lang);
    let intro = format!("{} {},\n\n{}", w.hello, to.name, w.reply_intro);
    build(w, w.reply_subject, &intro, lines, 0, Some(link), to.stop)
}

fn build(
    w: &Words,
    subject: &str,
    intro: &str,
    lines: &[Line],
    left_out: usize,
    link: Option<Option<&str>>,
    stop: &str,
) -> Mail {
    let mut text = format!("{intro}\n\n");
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#1f2933\">",
    );
    for para in intro.split("\n\n") {
        let _ = write!(html, "<p>{}</p>", escape(para));
    }
    if left_out > 0 {
        let _ = writeln!(text, "({left_out} {})\n", w.more);
        let _ = write!(html, "<p><em>({left_out} {})</em></p>", w.more);
    }
    for line in lines {
        let _ = writeln!(text, "{} — {}\n{}", line.from, line.at, line.text);
        let _ = write!(
            html,
            "<p><strong>{}</strong> <span style=\"color:#616e7c\">{}</span><br>{}",
            escape(&line.from),
            escape(&line.at),
            escape(&line.text).replace('\n', "<br>")
        );
        if !line.files.is_empty() {
            let _ = writeln!(text, "{}: {}", w.files, line.files.join(", "));
            let _ = write!(
                html,
                "<br><em>{}: {}</em>",
                w.files,
                escape(&line.files.join(", "))
            );
        }
        text.push('\n');
        html.push_str("</p>");
    }
    match link {
        Some(Some(url)) => {
            let _ = writeln!(text, "{}: {url}\n", w.reply_link);
            let _ = write!(
                html,
                "<p><a href=\"{}\" style=\"color:#c2410c\">{}</a></p>",
                escape(url),
                w.reply_link
            );
        }
        Some(None) => {
            let _ = writeln!(text, "{}\n", w.reply_no_link);
            let _ = write!(html, "<p>{}</p>", w.reply_no_link);
        }
        None => {}
    }
    let _ = write!(
        text,
        "-- \n{}\n{}\n{}: {stop}\n",
        w.why, w.no_replies, w.stop
    );
    let _ = write!(
        html,
        "<hr><p style=\"color:#616e7c;font-size:small\">{}<br>{}<br>\
         <a href=\"{}\" style=\"color:#616e7c\">{}</a></p></body></html>",
        w.why,
        w.no_replies,
        escape(stop),
        w.stop
    );
    Mail {
        subject: subject.to_owned(),
        text,
        html,
    }
}

/// `at` in the visitor's time zone (IANA name) when known and valid, else UTC.
pub fn when(at: TimestampMs, time_zone: Option<&str>) -> String {
    let Ok(instant) = jiff::Timestamp::from_millisecond(at) else {
        return String::new();
    };
    match time_zone.and_then(|tz| jiff::tz::TimeZone::get(tz).ok()) {
        Some(tz) => instant
            .to_zoned_datetime(tz)
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        None => format!("{} UTC", instant.strftime("%Y-%m-%d %H:%M")),
    }
}

/// Text for an HTML element or a quoted attribute.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOP: &str = "https://chat.example/mail/unsubscribe#s";

    fn to(lang: Lang, name: &str) -> To<'_> {
        To {
            lang,
            name,
            stop: STOP,
        }
    }

    fn line(from: &str, text: &str) -> Line {
        Line {
            from: from.to_owned(),
            at: "2026-12-07 14:05".to_owned(),
            text: text.to_owned(),
            files: vec![],
        }
    }

    #[test]
    fn people_s_words_are_never_html() {
        let evil = line("<b>Ana</b>", "<script>alert(1)</script>\n& \"quotes\"");
        let mail = transcript(to(Lang::En, "Zoë <x>"), &[evil], 0);
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(!mail.html.contains("<b>Ana"), "{}", mail.html);
        assert!(
            mail.html
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;<br>&amp; &quot;quotes&quot;")
        );
        assert!(mail.html.contains("Hello Zoë &lt;x&gt;"));
        assert!(
            mail.text.contains("<script>alert(1)</script>"),
            "plain text stays as written"
        );
    }

    #[test]
    fn a_reply_carries_its_link_or_says_where_to_answer() {
        let lines = [line("Ana", "We found your order.")];
        let with = reply(
            to(Lang::En, "Zoë"),
            &lines,
            Some("https://chat.example/mail/open#t"),
        );
        assert_eq!(with.subject, "You have a new reply");
        assert!(
            with.text
                .contains("Continue the conversation: https://chat.example/mail/open#t")
        );
        assert!(
            with.html
                .contains("<a href=\"https://chat.example/mail/open#t\"")
        );
        let without = reply(to(Lang::En, "Zoë"), &lines, None);
        assert!(without.text.contains("Answer in the chat on our site."));
        assert!(!without.html.contains("/mail/open"));
        for mail in [&with, &without] {
            assert!(mail.text.contains(&format!("Stop these e-mails: {STOP}")));
            assert!(mail.html.contains(&format!("<a href=\"{STOP}\"")));
        }
    }

    #[test]
    fn portuguese_speakers_get_portuguese() {
        assert_eq!(Lang::of(Some("pt-BR")), Lang::PtBr);
        assert_eq!(Lang::of(Some("pt")), Lang::PtBr);
        assert_eq!(Lang::of(Some("en-GB")), Lang::En);
        assert_eq!(Lang::of(None), Lang::En);
        let mail = transcript(to(Lang::PtBr, "Zoë"), &[line("Ana", "Oi")], 3);
        assert_eq!(mail.subject, "Sua conversa conosco");
        assert!(mail.text.starts_with("Olá Zoë,"));
        assert!(mail.text.contains("(3 mensagens anteriores não incluídas)"));
        assert!(mail.text.contains("Respostas a este e-mail não são lidas."));
        assert!(mail.text.contains("Parar estes e-mails: "));
    }

    #[test]
    fn times_are_the_visitor_s_own() {
        let at = 1_765_115_100_000; // 2025-12-07 13:45 UTC
        assert_eq!(when(at, Some("America/Sao_Paulo")), "2025-12-07 10:45");
        assert_eq!(when(at, None), "2025-12-07 13:45 UTC");
        assert_eq!(when(at, Some("Nowhere/Atlantis")), "2025-12-07 13:45 UTC");
    }
}
