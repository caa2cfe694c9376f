//! How a body reads a whole number, the same in every module: JSON Schema counts `29.0` as the
//! integer 29, so the API does too; a fraction, or a number out of the field's range, is refused.

use serde::{Deserialize, Deserializer};

fn whole_of<E: serde::de::Error, T: TryFrom<i64>>(v: &serde_json::Number) -> Result<T, E> {
    let n = match (v.as_i64(), v.as_f64()) {
        (Some(n), _) => Some(n),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
        _ => None,
    };
    n.and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| E::custom("must be a whole number in range"))
}

/// For `#[serde(deserialize_with = "crate::number::whole")]`.
pub fn whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    whole_of(&n)
}

/// For `#[serde(default, deserialize_with = "crate::number::whole_opt")]` on an `Option<T>`.
pub fn whole_opt<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => whole_of(&n).map(Some),
    }
}

/// For `#[serde(deserialize_with = "crate::number::whole_list")]` on a `Vec<T>`.
pub fn whole_list<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Vec<T>, D::Error> {
    Vec::<serde_json::Number>::deserialize(d)?
        .iter()
        .map(whole_of)
        .collect()
}

/// For `#[serde(default, deserialize_with = "crate::number::whole_list_opt")]` on an
/// `Option<Vec<T>>`.
pub fn whole_list_opt<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    match Option::<Vec<serde_json::Number>>::deserialize(d)? {
        None => Ok(None),
        Some(list) => list
            .iter()
            .map(whole_of)
            .collect::<Result<_, _>>()
            .map(Some),
    }
}

/// For a change's `Option<Option<Vec<T>>>` with `#[serde(default, deserialize_with = …)]`:
/// absent keeps (`None`), `null` clears (`Some(None)`), a list sets.
pub fn whole_list_present<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    d: D,
) -> Result<Option<Option<Vec<T>>>, D::Error> {
    whole_list_opt(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Body {
        #[serde(deserialize_with = "super::whole")]
        position: i64,
        #[serde(default, deserialize_with = "super::whole_opt")]
        percent: Option<i16>,
    }

    fn parse(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn integral_floats_are_whole_numbers() {
        assert_eq!(
            parse(r#"{"position": 48806.0, "percent": 29.0}"#),
            Ok(Body {
                position: 48806,
                percent: Some(29)
            })
        );
        assert_eq!(
            parse(r#"{"position": 3}"#),
            Ok(Body {
                position: 3,
                percent: None
            })
        );
        assert_eq!(
            parse(r#"{"position": 3, "percent": null}"#),
            Ok(Body {
                position: 3,
                percent: None
            })
        );
    }

    #[test]
    fn fractions_text_and_overflow_are_refused() {
        for bad in [
            r#"{"position": 1.5}"#,
            r#"{"position": "1"}"#,
            r#"{"position": 1, "percent": 40000}"#,
            r#"{"position": 1e300}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
