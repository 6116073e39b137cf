//! The service filter as URL query parameters, shared by the list, its CSV download and every
//! dashboard figure's drill-down link. Bad values give a 400 naming the parameter.

use crate::error::AppError;
use caremarket_core::Date;
use caremarket_core::register::{ContractStatus, KeyQuestion, Rating, ServiceKind, Specialism};
use caremarket_store::register::ServiceFilter;

fn bad(param: &str, value: &str, expected: &str) -> AppError {
    AppError::BadRequest(format!("The '{param}' parameter '{value}' is not valid: {expected}"))
}

fn date(param: &str, v: &str) -> Result<Date, AppError> {
    v.trim().parse::<Date>().map_err(|_| bad(param, v, "use a date like 2020-01-01"))
}

fn truthy(v: &str) -> bool {
    matches!(v, "1" | "true" | "yes" | "on")
}

pub fn parse(query: Option<&str>) -> Result<ServiceFilter, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|_| AppError::BadRequest("The address has a query string that could not be read".into()))?;
    parse_pairs(&pairs)
}

pub fn parse_pairs(pairs: &[(String, String)]) -> Result<ServiceFilter, AppError> {
    let mut f = ServiceFilter::default();
    for (k, v) in pairs {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k.as_str() {
            "q" => f.q = Some(v.to_string()),
            "kind" => {
                for part in v.split(',') {
                    let kind = ServiceKind::parse(part).ok_or_else(|| bad("kind", part, "choose a kind of service from the list"))?;
                    if !f.kinds.contains(&kind) {
                        f.kinds.push(kind);
                    }
                }
            }
            "rating" => {
                if !matches!(v, "good_or_outstanding" | "rated" | "unrated") && Rating::parse(v).is_none() {
                    return Err(bad("rating", v, "choose a rating from the list"));
                }
                f.rating = Some(v.to_string());
            }
            "key_question" => {
                f.key_question = Some(
                    KeyQuestion::parse(v).ok_or_else(|| bad("key_question", v, "one of safe, effective, caring, responsive, well_led"))?,
                )
            }
            "key_question_rating" => {
                f.key_question_rating =
                    Some(Rating::parse(v).ok_or_else(|| bad("key_question_rating", v, "choose a rating from the list"))?)
            }
            "contract_status" => {
                f.contract_status =
                    Some(ContractStatus::parse(v).ok_or_else(|| bad("contract_status", v, "choose a contract status from the list"))?)
            }
            "contracted" => f.contracted = Some(truthy(v)),
            "framework_id" => f.framework_id = Some(v.to_string()),
            "lot_id" => f.lot_id = Some(v.to_string()),
            "area_id" => f.area_id = Some(v.to_string()),
            "specialism" => {
                f.specialism = Some(Specialism::parse(v).ok_or_else(|| bad("specialism", v, "choose a specialism from the list"))?)
            }
            "in_area" => match v {
                "all" => f.any_area = true,
                _ => f.in_area = Some(truthy(v)),
            },
            "registration" => {
                if !matches!(v, "active" | "registered" | "deregistered" | "all") {
                    return Err(bad("registration", v, "one of active, registered, deregistered, all"));
                }
                f.registration = Some(v.to_string());
            }
            "never_inspected" => f.never_inspected = truthy(v),
            "not_inspected_since" => f.not_inspected_since = Some(date("not_inspected_since", v)?),
            "rating_changed_since" => f.rating_changed_since = Some(date("rating_changed_since", v)?),
            "provider_id" => f.provider_id = Some(v.to_string()),
            "sort" => {
                if !matches!(v, "name" | "rating" | "inspected" | "kind" | "provider") {
                    return Err(bad("sort", v, "one of name, rating, inspected, kind, provider"));
                }
                f.sort = Some(v.to_string());
            }
            "page" => f.page = v.parse().map_err(|_| bad("page", v, "a page number"))?,
            "per_page" => f.per_page = v.parse::<i64>().map_err(|_| bad("per_page", v, "a number from 1 to 500"))?.clamp(1, 500),
            _ => {}
        }
    }
    if f.key_question.is_some() != f.key_question_rating.is_some() {
        return Err(AppError::BadRequest("Choose both a key question and its rating, or neither".into()));
    }
    Ok(f)
}

/// The query string for a filter (without page), so links reproduce it exactly.
pub fn to_query(f: &ServiceFilter) -> String {
    let mut p: Vec<(&str, String)> = Vec::new();
    if let Some(v) = &f.q {
        p.push(("q", v.clone()));
    }
    for k in &f.kinds {
        p.push(("kind", k.as_str().into()));
    }
    if let Some(v) = &f.rating {
        p.push(("rating", v.clone()));
    }
    if let (Some(k), Some(r)) = (f.key_question, f.key_question_rating) {
        p.push(("key_question", k.as_str().into()));
        p.push(("key_question_rating", r.as_str().into()));
    }
    if let Some(v) = f.contract_status {
        p.push(("contract_status", v.as_str().into()));
    }
    if let Some(v) = f.contracted {
        p.push(("contracted", v.to_string()));
    }
    for (k, v) in [("framework_id", &f.framework_id), ("lot_id", &f.lot_id), ("area_id", &f.area_id), ("provider_id", &f.provider_id)] {
        if let Some(v) = v {
            p.push((k, v.clone()));
        }
    }
    if let Some(v) = f.specialism {
        p.push(("specialism", v.as_str().into()));
    }
    if f.any_area {
        p.push(("in_area", "all".into()));
    } else if f.in_area == Some(false) {
        p.push(("in_area", "false".into()));
    }
    if let Some(v) = &f.registration {
        p.push(("registration", v.clone()));
    }
    if f.never_inspected {
        p.push(("never_inspected", "true".into()));
    }
    if let Some(v) = f.not_inspected_since {
        p.push(("not_inspected_since", v.to_string()));
    }
    if let Some(v) = f.rating_changed_since {
        p.push(("rating_changed_since", v.to_string()));
    }
    if let Some(v) = &f.sort {
        p.push(("sort", v.clone()));
    }
    serde_urlencoded::to_string(&p).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_bad_parameters() {
        let f =
            parse(Some("kind=care_home_nursing&kind=home_care&rating=good_or_outstanding&contracted=true&not_inspected_since=2020-01-01"))
                .expect("parse");
        assert_eq!(f.kinds, vec![ServiceKind::CareHomeNursing, ServiceKind::HomeCare]);
        let again = parse(Some(&to_query(&f))).expect("parse");
        assert_eq!(to_query(&again), to_query(&f));
        let err = parse(Some("rating=gud")).expect_err("bad");
        assert!(err.public_message().contains("'rating'"));
        let err = parse(Some("not_inspected_since=yesterday")).expect_err("bad");
        assert!(err.public_message().contains("not_inspected_since"));
    }
}
