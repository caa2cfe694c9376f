//! The OpenAPI document and a docs page whose assets are all served from this server.

use axum::extract::State;
use axum::response::{Html, IntoResponse};

use crate::state::AppState;

/// The docs page: Swagger UI from `/assets/docs/` (built from the npm registry).
pub async fn page() -> impl IntoResponse {
    Html(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>CRM API</title>
  <link rel="stylesheet" href="/assets/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/assets/docs/swagger-ui-bundle.js"></script>
  <script src="/assets/docs/init.js"></script>
</body>
</html>
"#,
    )
}

/// `/assets/docs/init.js`: starts Swagger UI on our document (a file, so no inline script).
pub async fn init_js() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "text/javascript")],
        "window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui' });\n",
    )
}

pub async fn openapi(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        state.openapi_json.get().cloned().unwrap_or_default(),
    )
}
