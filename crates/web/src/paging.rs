//! Numbered pages for the long lists officers work through (signals, visits, RAG, returns, DP
//! monitoring, the watch list, a request's agencies). One page of a list is cut from the whole
//! filtered list, so the counts and summaries above a list stay those of every row, and each
//! page link keeps the filters the person chose: the URL says what is shown.

use crate::error::AppError;
use minijinja::{Value, context};

/// Rows on one page of a list: enough to scan, few enough to read on a phone.
pub(crate) const PER_PAGE: usize = 50;

#[derive(Debug, Clone)]
pub(crate) struct Paging {
    pub page: usize,
    pub per_page: usize,
    pub total: usize,
    path: String,
    /// The request's query without `page`, encoded, ending in `&` when not empty.
    keep: String,
    /// `#id` of the list on its page, or empty: page links land on the list, not the page's top.
    fragment: String,
}

impl Paging {
    /// The page asked for in `?page=`, for a list of `total` rows. A page past the end shows
    /// the last page (a list that shrank since the link was made); a page that is not a
    /// number is refused, naming the parameter.
    pub(crate) fn new(path: &str, query: &[(String, String)], total: usize, per_page: usize) -> Result<Self, AppError> {
        let per_page = per_page.max(1);
        let pages = total.div_ceil(per_page).max(1);
        let page = match query.iter().rev().find(|(k, _)| k == "page").map(|(_, v)| v.trim()) {
            None | Some("") => 1,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n >= 1 => n.min(pages),
                _ => return Err(AppError::BadRequest(format!("page: enter a page number from 1 to {pages}"))),
            },
        };
        let kept: Vec<(&str, &str)> = query.iter().filter(|(k, _)| k != "page").map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut keep = serde_urlencoded::to_string(&kept).unwrap_or_default();
        if !keep.is_empty() {
            keep.push('&');
        }
        Ok(Paging { page, per_page, total, path: path.to_string(), keep, fragment: String::new() })
    }

    /// Page links that land on the element with this id: for a list below other content.
    pub(crate) fn landing_on(mut self, id: &str) -> Self {
        self.fragment = format!("#{id}");
        self
    }

    pub(crate) fn pages(&self) -> usize {
        self.total.div_ceil(self.per_page).max(1)
    }

    pub(crate) fn range(&self) -> std::ops::Range<usize> {
        let start = ((self.page - 1) * self.per_page).min(self.total);
        start..(start + self.per_page).min(self.total)
    }

    /// This page's rows of the whole list.
    pub(crate) fn slice<T>(&self, items: Vec<T>) -> Vec<T> {
        let r = self.range();
        items.into_iter().skip(r.start).take(r.len()).collect()
    }

    fn href(&self, page: usize) -> String {
        format!("{}?{}page={page}{}", self.path, self.keep, self.fragment)
    }

    /// What the `paged` macro reads: the page, the links and "Showing 51 to 100 of 615".
    pub(crate) fn context(&self) -> Value {
        let pages = self.pages();
        let r = self.range();
        context! {
            page => self.page,
            pages => pages,
            total => self.total,
            first => if self.total == 0 { 0 } else { r.start + 1 },
            last => r.end,
            prev_href => (self.page > 1).then(|| self.href(self.page - 1)),
            next_href => (self.page < pages).then(|| self.href(self.page + 1)),
            page_href => format!("{}?{}page={{page}}{}", self.path, self.keep, self.fragment),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn pages_keep_the_filters_and_cut_the_rows() {
        let p = Paging::new("/quality/signals", &q(&[("kind", "complaint"), ("page", "2")]), 120, 50).unwrap();
        assert_eq!((p.page, p.pages()), (2, 3));
        assert_eq!(p.range(), 50..100);
        assert_eq!(p.slice((0..120).collect::<Vec<_>>()).first(), Some(&50));
        assert_eq!(p.href(3), "/quality/signals?kind=complaint&page=3");
        let last = Paging::new("/x", &q(&[("page", "9")]), 120, 50).unwrap();
        assert_eq!((last.page, last.range()), (3, 100..120));
        let landing = Paging::new("/dashboard", &q(&[("changes_since", "2025-01-01")]), 120, 50).unwrap().landing_on("changes");
        assert_eq!(landing.href(2), "/dashboard?changes_since=2025-01-01&page=2#changes");
        let empty = Paging::new("/x", &[], 0, 50).unwrap();
        assert_eq!((empty.page, empty.pages(), empty.range()), (1, 1, 0..0));
    }

    #[test]
    fn a_page_that_is_not_a_number_is_refused_by_name() {
        for bad in ["0", "two", "-1", "99999999999999999999999"] {
            let e = Paging::new("/x", &q(&[("page", bad)]), 10, 5).unwrap_err();
            assert!(e.to_string().starts_with("page: "), "{bad}: {e}");
        }
    }
}
