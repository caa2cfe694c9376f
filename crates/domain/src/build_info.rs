//! What this build is: its version and the git revision it was built from, baked in at compile
//! time. The image build passes them as `CRM_VERSION` and `CRM_GIT_REVISION` (Dockerfile build
//! arguments); a plain `cargo build` gets the crate version and `unknown`.

/// The release version: `CRM_VERSION` at build time, else the crate version.
pub const VERSION: &str = match option_env!("CRM_VERSION") {
    Some(v) if !v.is_empty() => v,
    _ => env!("CARGO_PKG_VERSION"),
};

/// The git revision built: `CRM_GIT_REVISION` at build time, else `unknown`.
pub const REVISION: &str = match option_env!("CRM_GIT_REVISION") {
    Some(r) if !r.is_empty() => r,
    _ => "unknown",
};

/// The name of the metric both processes export with this build's version and revision as
/// labels and the value 1 (the Prometheus `*_build_info` convention).
pub const METRIC: &str = "crm_build_info";
pub const HELP: &str = "This build: its version and git revision as labels";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_build_reports_the_crate_version_and_an_unknown_revision() {
        // The test build gets no image arguments (scripts/test.sh does not set them).
        if option_env!("CRM_VERSION").is_none() {
            assert_eq!(VERSION, env!("CARGO_PKG_VERSION"));
        }
        if option_env!("CRM_GIT_REVISION").is_none() {
            assert_eq!(REVISION, "unknown");
        }
        assert!(!VERSION.is_empty() && !REVISION.is_empty());
    }
}
