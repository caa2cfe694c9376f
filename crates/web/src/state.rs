//! What every console handler can reach: the API's state (pools, keys, authorization, live
//! hub) and the console's own files.

use api::state::AppState;
use axum::extract::FromRef;

use crate::assets::Assets;
use crate::cookies::Jar;
use crate::session::Refreshes;

#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub assets: Assets,
    pub refreshes: Refreshes,
    pub weekly_counts: crate::pages::dashboard::WeeklyCounts,
}

impl WebState {
    pub fn new(app: AppState) -> Self {
        let assets = Assets::load(&app.config.assets_dir.join("console"));
        Self {
            app,
            assets,
            refreshes: Refreshes::default(),
            weekly_counts: Default::default(),
        }
    }

    /// How this server writes cookies.
    pub fn jar(&self) -> Jar {
        Jar {
            secure: self.app.config.secure_cookies,
        }
    }
}

impl FromRef<WebState> for Assets {
    fn from_ref(s: &WebState) -> Self {
        s.assets.clone()
    }
}

impl FromRef<WebState> for AppState {
    fn from_ref(s: &WebState) -> Self {
        s.app.clone()
    }
}
