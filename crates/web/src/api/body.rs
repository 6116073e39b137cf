//! Reading a JSON request body, once for every API write (issue 17 item 11). Every string in the
//! body, and every object key, meets the same rule as a web form's field
//! ([`limits::check_text`]): no NUL character, which PostgreSQL cannot store and would answer
//! with an internal error, and no more than a form field's length. A refusal is a 400 that names
//! the field by its place in the body (`lines[2].bed_type`), before any handler reads it.

use super::error::ApiError;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use caremarket_core::limits;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The body as JSON, checked. `example` shows the shape expected, for a body that is not JSON.
pub fn value(body: Result<Json<Value>, JsonRejection>, example: &str) -> Result<Value, ApiError> {
    let Json(v) = body.map_err(|e| match e.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::Status {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: "Send the body as JSON, with the header 'Content-Type: application/json'.".into(),
        },
        _ if example.is_empty() => ApiError::bad_request(format!("The body is not valid JSON: {}", e.body_text())),
        _ => ApiError::bad_request(format!("The body must be JSON like {example}: {}", e.body_text())),
    })?;
    check(&v, &mut String::new())?;
    Ok(v)
}

/// The body as the request type `T`, checked first as [`value`] does.
pub fn typed<T: DeserializeOwned>(body: Result<Json<Value>, JsonRejection>, example: &str) -> Result<T, ApiError> {
    let v = value(body, example)?;
    serde_json::from_value(v).map_err(|e| {
        if example.is_empty() {
            ApiError::bad_request(format!("The body is not a valid request: {e}"))
        } else {
            ApiError::bad_request(format!("The body must be JSON like {example}: {e}"))
        }
    })
}

/// Walk every string and key; `path` is where in the body the walk is, as a person would name it.
fn check(v: &Value, path: &mut String) -> Result<(), ApiError> {
    match v {
        Value::String(s) => text(path, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                // A key is checked before it becomes part of a message.
                text(if path.is_empty() { "body" } else { path.as_str() }, key)?;
                path.push_str(key);
                check(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

fn text(path: &str, s: &str) -> Result<(), ApiError> {
    let field = if path.is_empty() { "body" } else { path };
    limits::check_text(field, &format!("'{field}'"), s, limits::FIELD_CHARS).map_err(|e| ApiError::invalid(&e.field, e.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(v: Value) -> String {
        match check(&v, &mut String::new()) {
            Err(ApiError::App(crate::AppError::Store(caremarket_store::StoreError::Invalid(f)))) => format!("{}: {}", f.field, f.message),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_nul_anywhere_is_refused_by_its_place() {
        let msg = refused(serde_json::json!({"date": "2024-11-08", "lines": [{"bed_type": "x"}, {"bed_type": "a\u{0}b"}]}));
        assert_eq!(msg, "lines[1].bed_type: 'lines[1].bed_type' must not contain control characters");
        let msg = refused(serde_json::json!({"na\u{0}me": 1}));
        assert!(msg.contains("must not contain control characters"), "{msg}");
        let msg = refused(serde_json::json!({"notes": "x".repeat(limits::FIELD_CHARS + 1)}));
        assert_eq!(msg, "notes: 'notes' must be 10,000 characters or fewer");
    }

    #[test]
    fn ordinary_bodies_pass() {
        let v = serde_json::json!({"name": "Elm House – 'A' lot", "lots": ["A", "B"], "n": 3, "ok": true, "none": null});
        assert!(check(&v, &mut String::new()).is_ok());
        assert!(check(&serde_json::json!({"notes": "x".repeat(limits::FIELD_CHARS)}), &mut String::new()).is_ok());
    }
}
