//! Create and update requests for streams, and the rules that turn them
//! into validated values. Every rule of the public API lives here so that
//! HTTP handlers and tests share one definition.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use crate::{FieldError, text};

pub const TITLE_MAX_CHARS: usize = 140;
pub const DESCRIPTION_MAX_CHARS: usize = 5000;
pub const CATEGORY_MAX_CHARS: usize = 64;
pub const TAGS_MAX: usize = 10;
pub const TAG_MAX_CHARS: usize = 25;
pub const THUMBNAIL_URL_MAX_CHARS: usize = 2048;
/// How far ahead a stream may be scheduled.
pub const SCHEDULE_HORIZON_DAYS: i64 = 365;

/// Body of `POST /live/streams`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStreamRequest {
    /// 1..=140 characters after trimming. Required.
    // `Option` so that a missing title is a field error, not a parse error;
    // the schema still says what the server demands.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 140)]
    pub title: Option<String>,
    /// At most 5000 characters.
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// At most 64 characters.
    #[schema(max_length = 64)]
    pub category: Option<String>,
    #[schema(schema_with = tags_schema)]
    pub tags: Option<Vec<String>>,
    /// An http(s) URL of at most 2048 characters; empty means none.
    #[schema(max_length = 2048)]
    pub thumbnail_url: Option<String>,
    /// In the future and within a year; makes the stream `scheduled`.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Record the broadcast as a replay (default true).
    pub record_replay: Option<bool>,
}

/// Body of `PUT /live/streams/{id}`: absent fields stay, `null` clears an
/// optional field; at least one field must be given.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStreamRequest {
    /// 1..=140 characters after trimming; cannot be cleared.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, min_length = 1, max_length = 140)]
    pub title: Option<Option<String>>,
    /// At most 5000 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub description: Option<Option<String>>,
    /// At most 64 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = tags_schema)]
    pub tags: Option<Option<Vec<String>>>,
    /// An http(s) URL of at most 2048 characters; empty means none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2048)]
    pub thumbnail_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub scheduled_at: Option<Option<DateTime<Utc>>>,
    /// Record the broadcast as a replay; read when the stream goes live,
    /// so it can only change before. Cannot be null.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = bool)]
    pub record_replay: Option<Option<bool>>,
}

/// The schema of `tags`, whose items carry bounds of their own (field
/// attributes bound only the array).
fn tags_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .description(Some(format!(
            "At most {TAGS_MAX} tags of 1..={TAG_MAX_CHARS} characters; `null` means none."
        )))
        .max_items(Some(TAGS_MAX))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(TAG_MAX_CHARS)),
        )
        .build()
}

/// Marks a field as present, so `null` can be told apart from absent.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Validated fields of a new stream.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStreamFields {
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub thumbnail_url: Option<String>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub record_replay: bool,
}

/// Validated changes to a stream; `None` leaves a field unchanged and
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub category: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub thumbnail_url: Option<Option<String>>,
    pub scheduled_at: Option<Option<DateTime<Utc>>>,
    pub record_replay: Option<bool>,
}

impl CreateStreamRequest {
    /// Checks every rule and returns the normalised fields.
    ///
    /// Fails with one [`FieldError`] per broken rule.
    pub fn validate(self, now: DateTime<Utc>) -> Result<NewStreamFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = match self.title {
            Some(title) => check_title(&title, &mut errors),
            None => {
                errors.push(FieldError::new("title", "title is required"));
                None
            }
        };
        let fields = NewStreamFields {
            title: title.unwrap_or_default(),
            description: self
                .description
                .and_then(|d| check_description(&d, &mut errors)),
            category: self.category.and_then(|c| check_category(&c, &mut errors)),
            tags: self
                .tags
                .map(|t| check_tags(&t, &mut errors))
                .unwrap_or_default(),
            thumbnail_url: self
                .thumbnail_url
                .and_then(|u| check_thumbnail(&u, &mut errors)),
            scheduled_at: self
                .scheduled_at
                .filter(|at| check_schedule(*at, now, &mut errors)),
            record_replay: self.record_replay.unwrap_or(true),
        };
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(errors)
        }
    }
}

impl UpdateStreamRequest {
    /// Checks every rule and returns the normalised changes.
    ///
    /// Fails with one [`FieldError`] per broken rule, or when nothing would
    /// change.
    pub fn validate(self, now: DateTime<Utc>) -> Result<StreamChanges, Vec<FieldError>> {
        let mut errors = Vec::new();
        let is_empty = self.title.is_none()
            && self.description.is_none()
            && self.category.is_none()
            && self.tags.is_none()
            && self.thumbnail_url.is_none()
            && self.scheduled_at.is_none()
            && self.record_replay.is_none();
        let title = match self.title {
            None => None,
            Some(None) => {
                errors.push(FieldError::new("title", "title cannot be null"));
                None
            }
            Some(Some(title)) => check_title(&title, &mut errors),
        };
        let changes = StreamChanges {
            title,
            description: self
                .description
                .map(|d| d.and_then(|d| check_description(&d, &mut errors))),
            category: self
                .category
                .map(|c| c.and_then(|c| check_category(&c, &mut errors))),
            tags: self
                .tags
                .map(|t| t.map(|t| check_tags(&t, &mut errors)).unwrap_or_default()),
            thumbnail_url: self
                .thumbnail_url
                .map(|u| u.and_then(|u| check_thumbnail(&u, &mut errors))),
            scheduled_at: self
                .scheduled_at
                .map(|at| at.filter(|at| check_schedule(*at, now, &mut errors))),
            record_replay: match self.record_replay {
                None => None,
                Some(None) => {
                    errors.push(FieldError::new(
                        "record_replay",
                        "record_replay cannot be null",
                    ));
                    None
                }
                Some(Some(record)) => Some(record),
            },
        };
        if is_empty {
            errors.push(FieldError::new("body", "at least one field must be given"));
        }
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors)
        }
    }
}

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

fn check_title(title: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let title = text::clean(title);
    let title = title.as_str();
    let len = title.chars().count();
    if len == 0 || len > TITLE_MAX_CHARS {
        errors.push(FieldError::new(
            "title",
            format!("title must be 1 to {TITLE_MAX_CHARS} characters after trimming"),
        ));
        return None;
    }
    if has_control(title) {
        errors.push(FieldError::new(
            "title",
            "title must not contain control characters",
        ));
        return None;
    }
    Some(title.to_owned())
}

fn check_description(text: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let text = text::clean(text);
    let text = text.as_str();
    if text.chars().count() > DESCRIPTION_MAX_CHARS {
        errors.push(FieldError::new(
            "description",
            format!("description must be at most {DESCRIPTION_MAX_CHARS} characters"),
        ));
        return None;
    }
    (!text.is_empty()).then(|| text.to_owned())
}

fn check_category(text: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let text = text::clean(text);
    let text = text.as_str();
    if text.chars().count() > CATEGORY_MAX_CHARS {
        errors.push(FieldError::new(
            "category",
            format!("category must be at most {CATEGORY_MAX_CHARS} characters"),
        ));
        return None;
    }
    if has_control(text) {
        errors.push(FieldError::new(
            "category",
            "category must not contain control characters",
        ));
        return None;
    }
    (!text.is_empty()).then(|| text.to_owned())
}

fn check_tags(tags: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if tags.len() > TAGS_MAX {
        errors.push(FieldError::new("tags", format!("at most {TAGS_MAX} tags")));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        let tag = text::clean(tag);
        let tag = tag.as_str();
        let len = tag.chars().count();
        if len == 0 || len > TAG_MAX_CHARS || has_control(tag) {
            errors.push(FieldError::new(
                format!("tags[{i}]"),
                format!("each tag must be 1 to {TAG_MAX_CHARS} printable characters"),
            ));
        } else if !out.iter().any(|t| t.as_str() == tag) {
            out.push(tag.to_owned());
        }
    }
    out
}

fn check_thumbnail(text: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let valid = text.chars().count() <= THUMBNAIL_URL_MAX_CHARS
        && url::Url::parse(text)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !valid {
        errors.push(FieldError::new(
            "thumbnail_url",
            format!("thumbnail_url must be an http(s) URL of at most {THUMBNAIL_URL_MAX_CHARS} characters"),
        ));
        return None;
    }
    Some(text.to_owned())
}

fn check_schedule(at: DateTime<Utc>, now: DateTime<Utc>, errors: &mut Vec<FieldError>) -> bool {
    if at <= now {
        errors.push(FieldError::new(
            "scheduled_at",
            "scheduled_at must be in the future",
        ));
        false
    } else if at > now + Duration::days(SCHEDULE_HORIZON_DAYS) {
        errors.push(FieldError::new(
            "scheduled_at",
            "scheduled_at must be within a year from now",
        ));
        false
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn create(json: &str) -> Result<NewStreamFields, Vec<FieldError>> {
        let req: CreateStreamRequest = serde_json::from_str(json).expect("valid JSON");
        req.validate(now())
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn create_trims_title_and_normalises_optional_fields() {
        let ok = create(r#"{"title":"  Night set  ","description":"  ","category":" house ","tags":[" a ","a","b"]}"#)
            .expect("valid");
        assert_eq!(ok.title, "Night set");
        assert_eq!(ok.description, None);
        assert_eq!(ok.category.as_deref(), Some("house"));
        assert_eq!(ok.tags, vec!["a", "b"]);
    }

    #[test]
    fn invisible_only_text_is_empty_and_bidi_controls_are_stripped() {
        for title in [r#""\u200b\u200b""#, r#""\ufeff""#, r#""\u202e""#] {
            let errors = create(&format!(r#"{{"title":{title}}}"#)).unwrap_err();
            assert_eq!(fields(errors), ["title"], "{title}");
        }
        let ok = create(
            r#"{"title":"\u202eevil\u202c set","description":"\u200b","category":"\u2066house\u2069","tags":["\u200b","ok"]}"#,
        );
        assert_eq!(fields(ok.clone().unwrap_err()), ["tags[0]"]);
        let ok = create(
            r#"{"title":"\u202eevil\u202c set","description":"\u200b","category":"\u2066house\u2069","tags":["ok"]}"#,
        )
        .expect("valid");
        assert_eq!(ok.title, "evil set");
        assert_eq!(ok.description, None);
        assert_eq!(ok.category.as_deref(), Some("house"));
    }

    #[test]
    fn create_requires_a_title_of_1_to_140_chars() {
        assert_eq!(fields(create("{}").unwrap_err()), ["title"]);
        assert_eq!(fields(create(r#"{"title":"   "}"#).unwrap_err()), ["title"]);
        let long = "é".repeat(141);
        assert_eq!(
            fields(create(&format!(r#"{{"title":"{long}"}}"#)).unwrap_err()),
            ["title"]
        );
        let exact = "é".repeat(140);
        assert!(create(&format!(r#"{{"title":"{exact}"}}"#)).is_ok());
    }

    #[test]
    fn create_reports_every_broken_rule_by_field() {
        let tags: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        let json = serde_json::json!({
            "title": "ok",
            "description": "x".repeat(5001),
            "category": "c".repeat(65),
            "tags": tags,
            "thumbnail_url": "ftp://example.com/a.png",
            "scheduled_at": "2025-12-31T00:00:00Z",
        });
        let req: CreateStreamRequest = serde_json::from_value(json).expect("shape");
        let errs = fields(req.validate(now()).unwrap_err());
        assert_eq!(
            errs,
            [
                "description",
                "category",
                "tags",
                "thumbnail_url",
                "scheduled_at"
            ]
        );
    }

    #[test]
    fn tag_errors_name_the_offending_tag() {
        let long = "t".repeat(26);
        let errs = create(&format!(r#"{{"title":"x","tags":["ok","{long}",""]}}"#)).unwrap_err();
        assert_eq!(fields(errs), ["tags[1]", "tags[2]"]);
    }

    #[test]
    fn schedule_must_be_future_and_within_a_year() {
        let in_a_day = r#"{"title":"x","scheduled_at":"2026-01-02T00:00:00Z"}"#;
        assert!(create(in_a_day).expect("valid").scheduled_at.is_some());
        let too_far = r#"{"title":"x","scheduled_at":"2027-01-02T00:00:00Z"}"#;
        assert_eq!(fields(create(too_far).unwrap_err()), ["scheduled_at"]);
        let now_exactly = r#"{"title":"x","scheduled_at":"2026-01-01T00:00:00Z"}"#;
        assert_eq!(fields(create(now_exactly).unwrap_err()), ["scheduled_at"]);
    }

    #[test]
    fn thumbnail_must_be_http_url() {
        assert!(create(r#"{"title":"x","thumbnail_url":"https://cdn.example/x.png"}"#).is_ok());
        assert!(create(r#"{"title":"x","thumbnail_url":"javascript:alert(1)"}"#).is_err());
        let long = format!("https://e.com/{}", "a".repeat(2048));
        assert!(create(&format!(r#"{{"title":"x","thumbnail_url":"{long}"}}"#)).is_err());
    }

    #[test]
    fn unknown_fields_are_rejected_by_the_shape() {
        assert!(
            serde_json::from_str::<CreateStreamRequest>(r#"{"title":"x","is_live":true}"#).is_err()
        );
        assert!(serde_json::from_str::<UpdateStreamRequest>(r#"{"status":"live"}"#).is_err());
    }

    #[test]
    fn update_tells_null_from_absent() {
        let req: UpdateStreamRequest =
            serde_json::from_str(r#"{"description":null,"category":"jazz"}"#).expect("shape");
        let changes = req.validate(now()).expect("valid");
        assert_eq!(changes.description, Some(None));
        assert_eq!(changes.category, Some(Some("jazz".into())));
        assert_eq!(changes.title, None);
        assert_eq!(changes.scheduled_at, None);
    }

    #[test]
    fn update_rejects_null_title_and_empty_body() {
        let req: UpdateStreamRequest = serde_json::from_str(r#"{"title":null}"#).expect("shape");
        assert_eq!(fields(req.validate(now()).unwrap_err()), ["title"]);
        let req: UpdateStreamRequest = serde_json::from_str("{}").expect("shape");
        assert_eq!(fields(req.validate(now()).unwrap_err()), ["body"]);
    }
}
