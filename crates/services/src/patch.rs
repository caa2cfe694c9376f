//! How a change (PATCH) reads an optional member, the same in every module: absent keeps the
//! value, `null` clears it, a value sets it.

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "crate::patch::present")]` on an
/// `Option<Option<T>>`: `None` when absent, `Some(None)` for `null`, `Some(Some(v))` for a value.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
