//! A list read a page at a time from a cursor ("Load more", "Load older"): what the callback
//! requests and a webhook's delivery log share.

use leptos::prelude::*;

use super::failure;
use crate::api::ApiError;
use crate::ctx::Ctx;

/// The items listed so far, and the cursor of the next page (`None`: no more).
#[derive(Clone, Debug)]
pub(super) struct Listed<T, C> {
    pub(super) items: Vec<T>,
    pub(super) next: Option<C>,
}

/// `None` until the first page is in.
pub(super) type ListedSignal<T, C> = RwSignal<Option<Result<Listed<T, C>, ApiError>>>;

/// Applies an answer: a first page (`older` false) replaces the list or its error; a later
/// one adds the items not already held (`key` says which are the same) and moves the cursor, or
/// leaves the list and reports its error in `more_error`.
pub(super) fn settle<T, C, K>(
    ctx: Ctx,
    listed: ListedSignal<T, C>,
    more_error: RwSignal<Option<String>>,
    answer: Result<(Vec<T>, Option<C>), ApiError>,
    older: bool,
    key: impl Fn(&T) -> K,
) where
    T: Send + Sync + 'static,
    C: Send + Sync + 'static,
    K: PartialEq,
{
    match (answer, older) {
        (Ok((items, next)), false) => listed.set(Some(Ok(Listed { items, next }))),
        (Ok((page, next)), true) => listed.update(|l| {
            if let Some(Ok(l)) = l {
                crate::paging::append_new(&mut l.items, page, &key);
                l.next = next;
            }
        }),
        (Err(e), false) => listed.set(Some(Err(e))),
        (Err(e), true) => more_error.set(Some(failure(ctx, &e))),
    }
}

/// What a list's area shows.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Shown {
    Loading,
    Failed(ApiError),
    Empty,
    Rows,
}

impl Shown {
    /// For a list that is `None` while loading; `empty` says whether a loaded one is.
    pub(super) fn of<L>(state: &Option<Result<L, ApiError>>, empty: impl Fn(&L) -> bool) -> Self {
        match state {
            None => Self::Loading,
            Some(Err(e)) => Self::Failed(e.clone()),
            Some(Ok(list)) if empty(list) => Self::Empty,
            Some(Ok(_)) => Self::Rows,
        }
    }
}

/// What a paged list shows, as it changes.
pub(super) fn shown<T, C>(listed: ListedSignal<T, C>) -> Memo<Shown>
where
    T: Send + Sync + 'static,
    C: Send + Sync + 'static,
{
    Memo::new(move |_| listed.with(|l| Shown::of(l, |l| l.items.is_empty())))
}

/// Whether an older page is there to load.
pub(super) fn has_more<T, C>(listed: ListedSignal<T, C>) -> bool
where
    T: Send + Sync + 'static,
    C: Send + Sync + 'static,
{
    listed.with(|l| matches!(l, Some(Ok(l)) if l.next.is_some()))
}

/// The items listed so far (none while loading or failed).
pub(super) fn items<T, C>(listed: ListedSignal<T, C>) -> Vec<T>
where
    T: Clone + Send + Sync + 'static,
    C: Send + Sync + 'static,
{
    listed.with(|l| match l {
        Some(Ok(l)) => l.items.clone(),
        _ => Vec::new(),
    })
}
