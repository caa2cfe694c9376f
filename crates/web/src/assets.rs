//! The console's browser files (`assets/dist/console/`, made by `scripts/assets.sh` from the
//! npm registry and `crates/web/static/`), read once at start and served from memory under
//! names carrying a hash of their content, so browsers may keep them for a year: a new release
//! changes the names of exactly the files that changed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

/// Where hashed files are served.
pub const PREFIX: &str = "/static/";

struct File {
    body: Vec<u8>,
    gzip: Option<Vec<u8>>,
    content_type: &'static str,
    immutable: bool,
}

/// The files and the hashed name of each.
#[derive(Clone, Default)]
pub struct Assets {
    /// `bootstrap.min.css` → `bootstrap.min.3f9a1c0b2d.css`
    hashed: Arc<HashMap<String, String>>,
    files: Arc<HashMap<String, File>>,
}

impl Assets {
    /// Reads `dir` (the console's folder of the assets directory); a missing folder gives an
    /// empty set and a warning, so the API still serves.
    pub fn load(dir: &Path) -> Self {
        let mut hashed = HashMap::new();
        let mut files = HashMap::new();
        for (name, path) in walk(dir) {
            let Some(ext) = name.rsplit_once('.').map(|(_, e)| e.to_owned()) else {
                continue;
            };
            if ext == "gz" {
                continue;
            }
            let Ok(body) = std::fs::read(&path) else {
                continue;
            };
            let gzip = std::fs::read(format!("{}.gz", path.display())).ok();
            let content_type = content_type(&ext);
            // Fonts are named by the style sheet that loads them; they keep their name.
            if name.contains('/') {
                files.insert(
                    name,
                    File {
                        body,
                        gzip,
                        content_type,
                        immutable: false,
                    },
                );
                continue;
            }
            let digest = Sha256::digest(&body);
            let short = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..8]);
            let stem = name.trim_end_matches(&format!(".{ext}"));
            let served = format!("{stem}.{short}.{ext}");
            hashed.insert(name, served.clone());
            files.insert(
                served,
                File {
                    body,
                    gzip,
                    content_type,
                    immutable: true,
                },
            );
        }
        if files.is_empty() {
            tracing::warn!(dir = %dir.display(), "no console assets: run scripts/assets.sh");
        }
        Self {
            hashed: Arc::new(hashed),
            files: Arc::new(files),
        }
    }

    /// The URL of a file by its plain name, e.g. `htmx.min.js`.
    pub fn url(&self, name: &str) -> String {
        match self.hashed.get(name) {
            Some(served) => format!("{PREFIX}{served}"),
            None => format!("{PREFIX}{name}"),
        }
    }

    fn answer(&self, name: &str, headers: &HeaderMap) -> Response {
        let Some(file) = self.files.get(name) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let gzip_ok = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
        let cache = if file.immutable {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=86400"
        };
        let mut out = HeaderMap::new();
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.content_type),
        );
        out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        match (&file.gzip, gzip_ok) {
            (Some(gz), true) => {
                out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                (out, gz.clone()).into_response()
            }
            _ => (out, file.body.clone()).into_response(),
        }
    }
}

/// `GET /static/{*file}`
pub async fn serve(
    State(assets): State<Assets>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    assets.answer(&name, &headers)
}

/// Every file under `dir`, by its path relative to it (one level of folders).
fn walk(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            for (inner, p) in walk(&path) {
                out.push((format!("{name}/{inner}"), p));
            }
        } else {
            out.push((name, path));
        }
    }
    out
}

fn content_type(ext: &str) -> &'static str {
    match ext {
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "woff2" => "font/woff2",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_a_hash_of_the_content_and_change_with_it() {
        let dir = std::env::temp_dir().join(format!("crm-assets-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("fonts")).expect("dir");
        std::fs::write(dir.join("app.js"), "one").expect("write");
        std::fs::write(dir.join("fonts/icons.woff2"), "font").expect("write");
        let first = Assets::load(&dir).url("app.js");
        assert!(
            first.starts_with("/static/app.") && first.ends_with(".js"),
            "{first}"
        );
        std::fs::write(dir.join("app.js"), "two").expect("write");
        let assets = Assets::load(&dir);
        assert_ne!(assets.url("app.js"), first);
        let served = assets.url("app.js");
        let response = assets.answer(served.trim_start_matches(PREFIX), &HeaderMap::new());
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let font = assets.answer("fonts/icons.woff2", &HeaderMap::new());
        assert_eq!(font.status(), StatusCode::OK);
        let stale = assets.answer(first.trim_start_matches(PREFIX), &HeaderMap::new());
        assert_eq!(stale.status(), StatusCode::NOT_FOUND);
        std::fs::remove_dir_all(dir).ok();
    }
}
