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
        path: "/web/rackmap.js",
        content_type: JS,
        body: include_str!("rackmap.js"),
    },
    Asset {
        path: "/web/rackmap.css",
        content_type: CSS,
        body: include_str!("rackmap.css"),
    },
    Asset {
        path: "/pick",
        content_type: HTML,
        body: include_str!("pick.html"),
    },
    Asset {
        path: "/web/pick.js",
        content_type: JS,
        body: include_str!("pick.js"),
    },
    Asset {
        path: "/tasks",
        content_type: HTML,
        body: include_str!("tasks.html"),
    },
    Asset {
        path: "/web/tasks.js",
        content_type: JS,
        body: include_str!("tasks.js"),
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
        path: "/contents",
        content_type: HTML,
        body: include_str!("contents.html"),
    },
    Asset {
        path: "/web/contents.js",
        content_type: JS,
        body: include_str!("contents.js"),
    },
    Asset {
        path: "/web/contents.css",
        content_type: CSS,
        body: include_str!("contents.css"),
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
        path: "/web/paper.js",
        content_type: JS,
        body: include_str!("paper.js"),
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

/// The pages in every page's navigation, in order: path, text key, Chinese text (common.js
/// holds both languages under the key).
const NAV: &[(&str, &str, &str)] = &[
    ("/", "nav.counter", "柜台"),
    ("/supervisor", "nav.supervisor", "查询"),
    ("/desk", "nav.desk", "日常"),
    ("/pick", "nav.pick", "取件"),
    ("/contents", "nav.contents", "资料清单"),
    ("/tasks", "nav.tasks", "待办"),
    ("/import", "nav.import", "导入"),
    ("/admin", "nav.admin", "管理"),
];

/// Where a page's navigation goes: each page's header has this one line in its place.
const NAV_PLACEHOLDER: &str = "<!-- station:nav -->";

/// The navigation of the page at `path` (the current page marked for screen readers and
/// the style sheet): one piece of HTML for every page's header.
fn nav_for(path: &str) -> String {
    let here = if path == "/counter" { "/" } else { path };
    let mut nav = String::from("<nav>\n");
    for (href, key, text) in NAV {
        let current = if *href == here {
            " aria-current=\"page\""
        } else {
            ""
        };
        nav.push_str(&format!(
            "    <a href=\"{href}\"{current} data-i18n=\"{key}\">{text}</a>\n"
        ));
    }
    nav.push_str("  </nav>");
    nav
}

/// Every asset's body as served: a page with its navigation in place, other files as they
/// are. Built once.
fn bodies() -> &'static [String] {
    static BODIES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    BODIES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                if asset.content_type == HTML {
                    asset
                        .body
                        .replacen(NAV_PLACEHOLDER, &nav_for(asset.path), 1)
                } else {
                    asset.body.to_owned()
                }
            })
            .collect()
    })
}

/// The page routes (no token needed: the pages ask for one and send it with every call).
/// Paths not listed here fall through to the app's 404.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS
        .iter()
        .zip(bodies())
        .fold(Router::new(), |router, (asset, body)| {
            let content_type = asset.content_type;
            let body: &'static str = body.as_str();
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

    /// Every page has the one navigation, with itself (and only itself) marked current.
    #[test]
    fn every_page_has_the_shared_navigation_marking_itself() {
        for (asset, body) in ASSETS.iter().zip(super::bodies()) {
            if asset.content_type != super::HTML {
                continue;
            }
            assert!(!body.contains(super::NAV_PLACEHOLDER), "{}", asset.path);
            assert_eq!(body.matches("<nav>").count(), 1, "{}", asset.path);
            for (href, key, _) in super::NAV {
                assert!(
                    body.contains(&format!("data-i18n=\"{key}\"")),
                    "{}",
                    asset.path
                );
                let here = asset.path == *href || (asset.path == "/counter" && *href == "/");
                assert_eq!(
                    body.contains(&format!("<a href=\"{href}\" aria-current=\"page\"")),
                    here,
                    "{} {href}",
                    asset.path
                );
            }
            assert_eq!(body.matches("aria-current").count(), 1, "{}", asset.path);
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
