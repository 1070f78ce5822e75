//! A `page` frame parsed into what may be kept ([`Report`]), and the browser and OS named
//! from the socket's `User-Agent` ([`Agent`]). Everything is bounded here, once: the
//! desk shows these values as text, and the store keeps them as they leave this module.

use chimpassist_protocol::{PageReport, PageTracking};
use url::Url;

use crate::domain;
use crate::error::{AppError, AppResult};

/// Longest address kept; a longer one (with `full`) loses its query and fragment first.
const MAX_URL_BYTES: usize = 2048;
/// Longest address read at all (the frame's own limit bounds it further).
const MAX_RAW_URL_BYTES: usize = 8192;
const MAX_TITLE_CHARS: usize = 200;
const MAX_LANGUAGE_BYTES: usize = 35;
const MAX_TIME_ZONE_BYTES: usize = 64;
/// UTC−14:00 … UTC+14:00, the span of the world's clocks.
const MAX_OFFSET_MINUTES: i32 = 14 * 60;

/// What a `page` frame says, parsed. The page and referrer are absent when the site's
/// `PAGE_TRACKING` is `off`, whatever the frame held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub page: Option<(String, String)>,
    /// Only a page of *another* site: a referrer on the same host is the previous page of
    /// the trail, not where the visitor came from.
    pub referrer: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub utc_offset_minutes: Option<i16>,
}

impl Report {
    /// Refuses (`invalid_field`) what no browser sends: an address that is not `http(s)`,
    /// one on a site that may not open the chat (`on_site` says, from its origin), a
    /// malformed language or time zone, an offset beyond ±14 h. A referrer that does not
    /// parse is left out (browsers send `""` for none).
    ///
    /// Why the site check: the desk links the page, so a visitor must not be able to make
    /// it a link to anywhere else ("Account – Shop" on another domain).
    pub fn parse(
        frame: PageReport,
        tracking: PageTracking,
        on_site: impl Fn(&str) -> bool,
    ) -> AppResult<Self> {
        let page = match tracking {
            PageTracking::Off => None,
            _ => {
                let url = web_page(&frame.url, tracking)
                    .ok_or_else(|| AppError::invalid("url must be an http(s) address"))?;
                if !on_site(&origin_of(&url)) {
                    return Err(AppError::invalid(
                        "url must be a page of the site the chat runs on",
                    ));
                }
                Some((
                    url,
                    domain::one_line(own_title(&frame.title), MAX_TITLE_CHARS),
                ))
            }
        };
        let referrer = match (&page, frame.referrer.as_deref()) {
            (Some((url, _)), Some(raw)) => web_page(raw, tracking).filter(|r| !same_host(r, url)),
            _ => None,
        };
        let language = frame
            .language
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                token(l, MAX_LANGUAGE_BYTES, |c| {
                    c.is_ascii_alphanumeric() || c == '-'
                })
            })
            .transpose()
            .map_err(|()| AppError::invalid("language must be a BCP 47 tag such as pt-BR"))?;
        let time_zone = frame
            .time_zone
            .filter(|z| !z.trim().is_empty())
            .map(|z| {
                token(z, MAX_TIME_ZONE_BYTES, |c| {
                    c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+')
                })
            })
            .transpose()
            .map_err(|()| {
                AppError::invalid("time_zone must be an IANA name such as America/Sao_Paulo")
            })?;
        let utc_offset_minutes = frame
            .utc_offset
            .map(|m| {
                i16::try_from(m)
                    .ok()
                    .filter(|m| i32::from(*m).abs() <= MAX_OFFSET_MINUTES)
                    .ok_or_else(|| AppError::invalid("utc_offset must be within ±840 minutes"))
            })
            .transpose()?;
        Ok(Report {
            page,
            referrer,
            language,
            time_zone,
            utc_offset_minutes,
        })
    }
}

/// An `http(s)` address without credentials, cut to origin and path unless tracking is
/// `full` (or the whole address would be longer than [`MAX_URL_BYTES`]).
fn web_page(raw: &str, tracking: PageTracking) -> Option<String> {
    let raw = raw.trim();
    if raw.len() > MAX_RAW_URL_BYTES {
        return None;
    }
    let mut url = Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if tracking != PageTracking::Full || url.as_str().len() > MAX_URL_BYTES {
        url.set_query(None);
        url.set_fragment(None);
    }
    (url.as_str().len() <= MAX_URL_BYTES).then(|| url.to_string())
}

/// `https://shop.example` (with its port when it is not the scheme's) of a parsed address.
fn origin_of(url: &str) -> String {
    Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// The page's own title: the widget's unread notice (`(2) New message – Shop`, see
/// `widget/src/title.rs`) is taken off, so the desk is not told the visitor's page changed
/// each time a reply arrives.
fn own_title(title: &str) -> &str {
    let notice = title
        .strip_prefix('(')
        .and_then(|t| t.split_once(") "))
        .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        .and_then(|(_, rest)| {
            ["New message – ", "Nova mensagem – "]
                .iter()
                .find_map(|label| rest.strip_prefix(label))
        });
    notice.unwrap_or(title)
}

fn same_host(a: &str, b: &str) -> bool {
    let host = |u: &str| {
        Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    };
    host(a) == host(b)
}

/// A short identifier of allowed ASCII characters; `Err` when it is not one.
fn token(raw: String, max: usize, allowed: impl Fn(char) -> bool) -> Result<String, ()> {
    let t = raw.trim();
    if t.len() > max || !t.chars().all(allowed) {
        return Err(());
    }
    Ok(t.to_owned())
}

/// The browser and operating system a `User-Agent` names, as the desk shows them
/// (`Chrome 156`, `Mac OSX 10.15.7`); `None` where it names none (a bot, an unknown agent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agent {
    pub browser: Option<String>,
    pub os: Option<String>,
}

impl Agent {
    pub fn parse(user_agent: Option<&str>) -> Self {
        let known = |v: &str| !v.is_empty() && v != woothee::woothee::VALUE_UNKNOWN;
        let Some(found) = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua)) else {
            return Agent::default();
        };
        // The major version is what people say ("Chrome 156"), not 156.0.8078.73.
        let major = found.version.split('.').next().unwrap_or("");
        let browser = known(found.name).then(|| match known(major) {
            true => format!("{} {major}", found.name),
            false => found.name.to_owned(),
        });
        let os = known(found.os).then(|| match known(&found.os_version) {
            // Windows names carry their version already ("Windows 10"; os_version "NT 10.0").
            true if !found.os.starts_with("Windows") => {
                format!("{} {}", found.os, found.os_version)
            }
            _ => found.os.to_owned(),
        });
        Agent { browser, os }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: &str) -> bool {
        true
    }

    fn frame(url: &str) -> PageReport {
        PageReport {
            url: url.to_owned(),
            title: "  Pricing\n– Shop ".to_owned(),
            referrer: None,
            language: Some("pt-BR".to_owned()),
            time_zone: Some("America/Sao_Paulo".to_owned()),
            utc_offset: Some(-180),
        }
    }

    #[test]
    fn query_strings_and_fragments_stay_out_unless_tracking_is_full() {
        let url = "https://user:pw@shop.example/reset?token=s3cret#step-2";
        let path = Report::parse(frame(url), PageTracking::Path, any).unwrap();
        assert_eq!(
            path.page,
            Some((
                "https://shop.example/reset".to_owned(),
                "Pricing – Shop".to_owned()
            ))
        );
        let full = Report::parse(frame(url), PageTracking::Full, any).unwrap();
        assert_eq!(
            full.page.unwrap().0,
            "https://shop.example/reset?token=s3cret#step-2",
            "credentials never kept, even in full"
        );
        let off = Report::parse(frame(url), PageTracking::Off, any).unwrap();
        assert_eq!((off.page, off.language.as_deref()), (None, Some("pt-BR")));
    }

    #[test]
    fn only_another_sites_page_counts_as_referrer() {
        let mut f = frame("https://shop.example/a");
        f.referrer = Some("https://www.search.example/q?s=shoes".to_owned());
        let r = Report::parse(f, PageTracking::Path, any).unwrap();
        assert_eq!(r.referrer.as_deref(), Some("https://www.search.example/q"));
        for same in ["https://shop.example/previous", "", "javascript:alert(1)"] {
            let mut f = frame("https://shop.example/a");
            f.referrer = Some(same.to_owned());
            assert_eq!(
                Report::parse(f, PageTracking::Path, any).unwrap().referrer,
                None
            );
        }
    }

    #[test]
    fn what_no_browser_sends_is_refused() {
        for url in ["javascript:alert(1)", "file:///etc/passwd", "not a url", ""] {
            assert!(
                Report::parse(frame(url), PageTracking::Path, any).is_err(),
                "{url}"
            );
        }
        let long = format!("https://shop.example/{}", "a".repeat(3000));
        assert!(Report::parse(frame(&long), PageTracking::Path, any).is_err());
        let mut f = frame("https://shop.example/");
        f.language = Some("<script>".to_owned());
        assert!(Report::parse(f, PageTracking::Path, any).is_err());
        let mut f = frame("https://shop.example/");
        f.time_zone = Some("Europe/Lisbon; DROP".to_owned());
        assert!(Report::parse(f, PageTracking::Path, any).is_err());
        let mut f = frame("https://shop.example/");
        f.utc_offset = Some(900);
        assert!(Report::parse(f, PageTracking::Path, any).is_err());
        let mut f = frame("https://shop.example/");
        f.title = "x".repeat(500);
        assert_eq!(
            Report::parse(f, PageTracking::Path, any)
                .unwrap()
                .page
                .unwrap()
                .1
                .len(),
            200
        );
    }

    #[test]
    fn only_pages_of_the_site_and_the_pages_own_title_are_kept() {
        let shop = |o: &str| o == "https://shop.example";
        let f = frame("https://evil.example/account");
        assert!(Report::parse(f, PageTracking::Path, shop).is_err());
        let mut f = frame("https://shop.example/a");
        f.title = "(3) New message – Pricing".into();
        let r = Report::parse(f, PageTracking::Path, shop).unwrap();
        assert_eq!(r.page.unwrap().1, "Pricing");
        let mut f = frame("https://shop.example/a");
        f.title = "(3) Inbox".into();
        let r = Report::parse(f, PageTracking::Path, shop).unwrap();
        assert_eq!(r.page.unwrap().1, "(3) Inbox", "a page's own count stays");
        // Too long with its query: kept without it.
        let long = format!("https://shop.example/a?q={}", "x".repeat(3000));
        let r = Report::parse(frame(&long), PageTracking::Full, shop).unwrap();
        assert_eq!(r.page.unwrap().0, "https://shop.example/a");
    }

    #[test]
    fn user_agents_name_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.8078.73 Safari/537.36";
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
        let windows =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
        let named = |ua| {
            let a = Agent::parse(Some(ua));
            (a.browser.unwrap_or_default(), a.os.unwrap_or_default())
        };
        assert_eq!(named(chrome), ("Chrome 156".into(), "Linux".into()));
        assert_eq!(named(iphone), ("Safari 17".into(), "iPhone 17.2".into()));
        assert_eq!(named(windows), ("Firefox 121".into(), "Windows 10".into()));
        assert_eq!(Agent::parse(Some("curl/8.5.0")).os, None);
        assert_eq!(Agent::parse(None), Agent::default());
    }
}
