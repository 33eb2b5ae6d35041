//! The web pages, embedded in the binary: the counter page and the supervisor page.
//!
//! Plain HTML, CSS and JavaScript compiled in with `include_str!`: no front-end build, no
//! files to deploy, and the pages always match the API of the binary that serves them.
//! The pages need no token to load; they ask for one, keep it in the browser's
//! `localStorage` and send it with every API call (`Authorization: Bearer …`, or `?token=`
//! for the live stream, which browsers open without headers).
//!
//! **Invariant:** the scripts insert data only through `textContent` and attributes, never
//! through `innerHTML`, and the pages forbid inline scripts (Content-Security-Policy), so
//! a box title or a scan cannot run code in a supervisor's browser.

use axum::http::header::{HeaderName, CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// One embedded file: its route, content type and text.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Every page and file the station serves to browsers.
const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: HTML,
        body: include_str!("counter.html"),
    },
    Asset {
        path: "/counter",
        content_type: HTML,
        body: include_str!("counter.html"),
    },
    Asset {
        path: "/supervisor",
        content_type: HTML,
        body: include_str!("supervisor.html"),
    },
    Asset {
        path: "/admin",
        content_type: HTML,
        body: include_str!("admin.html"),
    },
    Asset {
        path: "/desk",
        content_type: HTML,
        body: include_str!("desk.html"),
    },
    Asset {
        path: "/web/office.css",
        content_type: CSS,
        body: include_str!("office.css"),
    },
    Asset {
        path: "/web/office.js",
        content_type: JS,
        body: include_str!("office.js"),
    },
    Asset {
        path: "/web/admin.js",
        content_type: JS,
        body: include_str!("admin.js"),
    },
    Asset {
        path: "/web/desk.js",
        content_type: JS,
        body: include_str!("desk.js"),
    },
    Asset {
        path: "/import",
        content_type: HTML,
        body: include_str!("import.html"),
    },
    Asset {
        path: "/web/import.js",
        content_type: JS,
        body: include_str!("import.js"),
    },
    Asset {
        path: "/web/app.css",
        content_type: CSS,
        body: include_str!("app.css"),
    },
    Asset {
        path: "/web/supervisor.css",
        content_type: CSS,
        body: include_str!("supervisor.css"),
    },
    Asset {
        path: "/web/common.js",
        content_type: JS,
        body: include_str!("common.js"),
    },
    Asset {
        path: "/web/counter.js",
        content_type: JS,
        body: include_str!("counter.js"),
    },
    Asset {
        path: "/web/supervisor.js",
        content_type: JS,
        body: include_str!("supervisor.js"),
    },
    Asset {
        path: "/web/layout.js",
        content_type: JS,
        body: include_str!("layout.js"),
    },
    Asset {
        path: "/web/favicon.svg",
        content_type: SVG,
        body: include_str!("favicon.svg"),
    },
];

/// Only the station's own scripts and styles run, and it calls only itself; the pages
/// are never framed and never send the address (which can hold a token) elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The page routes (no token needed: the pages ask for one and send it with every call).
/// Paths not listed here fall through to the app's 404.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS.iter().fold(Router::new(), |router, asset| {
        let content_type = asset.content_type;
        let body = asset.body;
        router.route(
            asset.path,
            get(move || async move { serve(content_type, body) }),
        )
    })
}

/// An embedded file with its type; `no-cache` makes browsers revalidate, so a new binary's
/// pages are seen at once.
fn serve(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "no-cache"),
            (HeaderName::from_static("x-content-type-options"), "nosniff"),
            (
                HeaderName::from_static("content-security-policy"),
                CONTENT_SECURITY_POLICY,
            ),
            (HeaderName::from_static("referrer-policy"), "no-referrer"),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    /// The pages insert data only through `textContent`: no script or page may use
    /// `innerHTML`, `outerHTML`, `insertAdjacentHTML` or `document.write`.
    #[test]
    fn assets_never_insert_markup_from_strings() {
        for asset in ASSETS {
            for forbidden in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
            ] {
                assert!(
                    !asset.body.contains(forbidden),
                    "{} uses {forbidden}",
                    asset.path
                );
            }
        }
    }

    /// Every script or stylesheet a page names is served.
    #[test]
    fn pages_link_only_served_files() {
        for page in ASSETS
            .iter()
            .filter(|asset| asset.content_type == super::HTML)
        {
            for attribute in ["src=\"", "href=\""] {
                for piece in page.body.split(attribute).skip(1) {
                    let target = piece.split('"').next().unwrap_or_default();
                    assert!(
                        ASSETS.iter().any(|asset| asset.path == target),
                        "{} links {target}, which is not served",
                        page.path
                    );
                }
            }
        }
    }
}
