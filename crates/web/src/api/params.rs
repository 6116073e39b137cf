//! Reading query parameters and JSON values strictly: anything that cannot be understood is a
//! 400 naming the parameter, never ignored (a mistyped filter would otherwise silently return
//! the whole register) and never a panic.

use super::dto::RATING_BANDS;
use super::error::ApiError;
use caremarket_core::Date;
use caremarket_core::register::{ContractStatus, KeyQuestion, Rating, ServiceKind, Specialism};
use caremarket_store::register::ServiceFilter;

/// A request's query parameters, checked against the names the endpoint accepts.
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>, accepted: &[&str]) -> Result<Query, ApiError> {
        let pairs: Vec<(String, String)> = match raw {
            Some(raw) => serde_urlencoded::from_str(raw)
                .map_err(|_| ApiError::bad_request("The query string could not be read: check its percent-encoding."))?,
            None => Vec::new(),
        };
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !accepted.contains(&k.as_str())) {
            let message = if accepted.is_empty() {
                "is not a parameter of this endpoint, which takes none".to_string()
            } else {
                format!("is not a parameter of this endpoint; it takes {}", accepted.join(", "))
            };
            return Err(ApiError::invalid(k, message));
        }
        Ok(Query { pairs })
    }

    /// A parameter given at most once; an empty value counts as not given (as forms send it).
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::invalid(name, "was given more than once; give it once"));
        }
        Ok(first)
    }

    /// A repeatable parameter, each value possibly a comma-separated list.
    pub fn many(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).flat_map(|(_, v)| v.split(',')).map(str::trim).filter(|v| !v.is_empty()).collect()
    }

    pub fn parsed<T>(&self, name: &str, parse: impl Fn(&str, &str) -> Result<T, ApiError>) -> Result<Option<T>, ApiError> {
        self.one(name)?.map(|v| parse(name, v)).transpose()
    }
}

fn one_of<'a>(codes: impl IntoIterator<Item = &'a str>) -> String {
    codes.into_iter().collect::<Vec<_>>().join(", ")
}

pub fn kind(name: &str, v: &str) -> Result<ServiceKind, ApiError> {
    ServiceKind::parse(v).ok_or_else(|| {
        ApiError::invalid(name, format!("'{v}' is not a kind of service; use one of {}", one_of(ServiceKind::ALL.map(|k| k.as_str()))))
    })
}

pub fn rating(name: &str, v: &str) -> Result<Rating, ApiError> {
    Rating::parse(v)
        .ok_or_else(|| ApiError::invalid(name, format!("'{v}' is not a rating; use one of {}", one_of(Rating::ALL.map(|r| r.as_str())))))
}

pub fn contract_status(name: &str, v: &str) -> Result<ContractStatus, ApiError> {
    ContractStatus::parse(v).ok_or_else(|| {
        ApiError::invalid(name, format!("'{v}' is not a contract status; use one of {}", one_of(ContractStatus::ALL.map(|c| c.as_str()))))
    })
}

pub fn specialism(name: &str, v: &str) -> Result<Specialism, ApiError> {
    Specialism::parse(v).ok_or_else(|| {
        ApiError::invalid(name, format!("'{v}' is not a specialism; use one of {}", one_of(Specialism::ALL.map(|s| s.as_str()))))
    })
}

pub fn key_question(name: &str, v: &str) -> Result<KeyQuestion, ApiError> {
    KeyQuestion::parse(v).ok_or_else(|| {
        ApiError::invalid(name, format!("'{v}' is not a key question; use one of {}", one_of(KeyQuestion::ALL.map(|k| k.as_str()))))
    })
}

/// An id: a UUID, returned in the form the register stores (lower case, hyphenated).
pub fn uuid(name: &str, v: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(v.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::invalid(name, format!("'{v}' is not an id (a UUID such as 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b)")))
}

pub fn date(name: &str, v: &str) -> Result<Date, ApiError> {
    caremarket_core::parse_date(name, v).map_err(|e| ApiError::invalid(name, e.message))
}

pub fn boolean(name: &str, v: &str) -> Result<bool, ApiError> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ApiError::invalid(name, format!("'{v}' is not true or false"))),
    }
}

pub fn integer(name: &str, v: &str, min: i64, max: i64) -> Result<i64, ApiError> {
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid(name, format!("'{v}' is not a whole number from {min} to {max}"))),
    }
}

fn word<'a>(name: &str, v: &str, words: &[&'a str]) -> Result<&'a str, ApiError> {
    words
        .iter()
        .find(|w| w.eq_ignore_ascii_case(v))
        .copied()
        .ok_or_else(|| ApiError::invalid(name, format!("'{v}' is not one of {}", words.join(", "))))
}

pub const SERVICE_PARAMS: [&str; 20] = [
    "q",
    "kind",
    "rating",
    "key_question",
    "key_question_rating",
    "contract_status",
    "contracted",
    "framework_id",
    "lot_id",
    "area_id",
    "specialism",
    "in_area",
    "registration",
    "never_inspected",
    "not_inspected_since",
    "rating_changed_since",
    "provider_id",
    "sort",
    "page",
    "per_page",
];

/// The largest page of services the API returns (the store's limit).
pub const MAX_PER_PAGE: i64 = 1000;

/// `GET /api/v1/services`'s parameters as the store's filter.
pub fn service_filter(raw: Option<&str>) -> Result<ServiceFilter, ApiError> {
    let q = Query::parse(raw, &SERVICE_PARAMS)?;
    let mut f = ServiceFilter { q: q.one("q")?.map(str::to_string), ..Default::default() };
    for k in q.many("kind") {
        let k = kind("kind", k)?;
        if !f.kinds.contains(&k) {
            f.kinds.push(k);
        }
    }
    f.rating = match q.one("rating")? {
        None => None,
        Some(v) => match RATING_BANDS.iter().find(|(band, _)| band.eq_ignore_ascii_case(v)) {
            Some((band, _)) => Some(band.to_string()),
            None => Some(
                rating("rating", v)
                    .map_err(|_| {
                        ApiError::invalid(
                            "rating",
                            format!(
                                "'{v}' is not a rating or band; use one of {}, {}",
                                one_of(Rating::ALL.map(|r| r.as_str())),
                                one_of(RATING_BANDS.map(|(b, _)| b))
                            ),
                        )
                    })?
                    .as_str()
                    .to_string(),
            ),
        },
    };
    f.key_question = q.parsed("key_question", key_question)?;
    f.key_question_rating = q.parsed("key_question_rating", rating)?;
    match (f.key_question, f.key_question_rating) {
        (Some(_), None) => {
            return Err(ApiError::invalid("key_question_rating", "is needed with key_question"));
        }
        (None, Some(_)) => {
            return Err(ApiError::invalid("key_question", "is needed with key_question_rating"));
        }
        _ => {}
    }
    f.contract_status = q.parsed("contract_status", contract_status)?;
    f.contracted = q.parsed("contracted", boolean)?;
    f.framework_id = q.parsed("framework_id", uuid)?;
    f.lot_id = q.parsed("lot_id", uuid)?;
    f.area_id = q.parsed("area_id", uuid)?;
    f.specialism = q.parsed("specialism", specialism)?;
    match q.one("in_area")?.map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("true" | "1" | "yes") => f.in_area = None,
        Some("false" | "0" | "no") => f.in_area = Some(false),
        Some("all") => f.any_area = true,
        Some(_) => {
            return Err(ApiError::invalid("in_area", "is not one of true, false, all"));
        }
    }
    f.registration = q
        .parsed("registration", |n, v| word(n, v, &["active", "registered", "deregistered", "all"]))?
        .filter(|r| *r != "active")
        .map(str::to_string);
    f.never_inspected = q.parsed("never_inspected", boolean)?.unwrap_or(false);
    f.not_inspected_since = q.parsed("not_inspected_since", date)?;
    f.rating_changed_since = q.parsed("rating_changed_since", date)?;
    f.provider_id = q.parsed("provider_id", uuid)?;
    f.sort = q.parsed("sort", |n, v| word(n, v, &["name", "rating", "inspected", "kind", "provider"]))?.map(str::to_string);
    f.page = q.parsed("page", |n, v| integer(n, v, 1, i64::from(i32::MAX)))?.unwrap_or(1);
    f.per_page = q.parsed("per_page", |n, v| integer(n, v, 1, MAX_PER_PAGE))?.unwrap_or(50);
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ApiError) -> Option<String> {
        match e {
            ApiError::App(crate::AppError::Store(caremarket_store::StoreError::Invalid(fe))) => Some(fe.field),
            _ => None,
        }
    }

    #[test]
    fn reads_a_full_filter() {
        let f = service_filter(Some(
            "q=oak&kind=home_care,extra_care&kind=home_care&rating=good_or_outstanding&key_question=well-led&key_question_rating=good&contracted=false&in_area=all&registration=all&never_inspected=1&page=2&per_page=10&sort=rating",
        ))
        .expect("valid filter");
        assert_eq!(f.q.as_deref(), Some("oak"));
        assert_eq!(f.kinds, vec![ServiceKind::HomeCare, ServiceKind::ExtraCare]);
        assert_eq!(f.rating.as_deref(), Some("good_or_outstanding"));
        assert_eq!(f.key_question, Some(KeyQuestion::WellLed));
        assert_eq!(f.contracted, Some(false));
        assert!(f.any_area && f.never_inspected);
        assert_eq!(f.registration.as_deref(), Some("all"));
        assert_eq!((f.page, f.per_page), (2, 10));
        let f = service_filter(Some("rating=Requires%20improvement&kind=")).expect("valid filter");
        assert_eq!(f.rating.as_deref(), Some("requires_improvement"));
        assert!(f.kinds.is_empty());
    }

    #[test]
    fn names_the_parameter_at_fault() {
        for (q, field) in [
            ("kind=care_homes", "kind"),
            ("rating=gud", "rating"),
            ("framework_id=12", "framework_id"),
            ("page=0", "page"),
            ("per_page=100000", "per_page"),
            ("page=99999999999999999999", "page"),
            ("not_inspected_since=2020-13-01", "not_inspected_since"),
            ("contracted=maybe", "contracted"),
            ("key_question=safe", "key_question_rating"),
            ("sort=random", "sort"),
            ("ratings=good", "ratings"),
            ("q=a&q=b", "q"),
            ("in_area=elsewhere", "in_area"),
        ] {
            let e = service_filter(Some(q)).err().unwrap_or_else(|| panic!("{q} accepted"));
            assert_eq!(field_of(e).as_deref(), Some(field), "{q}");
        }
    }
}
