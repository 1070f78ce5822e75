//! A round picture, or the name's initial on a colour derived from the name.

use leptos::prelude::*;

use crate::format::initial;

#[component]
pub(crate) fn Avatar(
    name: String,
    url: Option<String>,
    #[prop(optional)] small: bool,
) -> impl IntoView {
    let class = if small {
        "ba-avatar small"
    } else {
        "ba-avatar"
    };
    match url {
        Some(src) => view! { <img class=class src=src alt="" /> }.into_any(),
        None => {
            let hue = name
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
                % 360;
            let style = format!("background: hsl({hue} 45% 45%)");
            view! { <span class=class style=style aria-hidden="true">{initial(&name)}</span> }
                .into_any()
        }
    }
}
