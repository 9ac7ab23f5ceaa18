//! The HTML report as a person sees it: rendered by headless Chromium at 1280 x 800, it loads
//! without console errors, its summary sits above the fold and it never scrolls sideways.
//!
//! How: a test-only copy of the report gets two small scripts. The first, at the top of
//! `<head>`, records uncaught errors, failed resource loads (`error` events, captured) and
//! `console.error` calls; the second, at the end of `<body>`, writes those and the summary's
//! `getBoundingClientRect()` into a `<pre id="probe">`, which `--dump-dom` prints. Chromium's
//! own log (`--enable-logging=stderr`) is scanned too: any `CONSOLE` line is a message from the
//! page (the report has no scripts of its own). Two control pages (a JS error, a summary pushed
//! below the fold) prove both checks can fail.
//!
//! Needs `chromium` (Debian's package). Missing, the test installs it with the project's
//! `tests/setup/engines.sh chromium` (pinned; `.ci/run` runs that first) and fails saying so if
//! it cannot, unless `CHURN_SKIP_BROWSER=1` is set explicitly (CI never sets it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestEnv;

/// The viewport the report must fit its summary into.
const WINDOW: &str = "1280,800";

/// Records errors from the first moment the page runs.
const HEAD_PROBE: &str = "<script>window.__errors=[];\
window.addEventListener('error',function(e){window.__errors.push(String(e.message||(e.target&&e.target.outerHTML)||'error'));},true);\
window.addEventListener('unhandledrejection',function(e){window.__errors.push('unhandled rejection: '+String(e.reason));});\
(function(){var f=console.error;console.error=function(){window.__errors.push('console.error: '+Array.prototype.join.call(arguments,' '));return f.apply(console,arguments);};})();\
</script>";

/// Writes what was seen into the DOM, for `--dump-dom`.
const BODY_PROBE: &str = "<script>(function(){var s=document.getElementById('summary');\
var r=s?s.getBoundingClientRect():null;var p=document.createElement('pre');p.id='probe';\
p.textContent=JSON.stringify({summary_top:r?r.top:null,summary_bottom:r?r.bottom:null,\
viewport_height:window.innerHeight,page_width:document.documentElement.scrollWidth,\
viewport_width:window.innerWidth,errors:window.__errors});document.body.appendChild(p);})();</script>";

/// What the probe saw, and Chromium's console lines.
#[derive(Debug)]
struct Seen {
    summary_top: Option<f64>,
    summary_bottom: Option<f64>,
    viewport_height: f64,
    page_width: f64,
    viewport_width: f64,
    page_errors: Vec<String>,
    console_lines: Vec<String>,
}

/// The Chromium binary, or `None` when the test is explicitly skipped.
fn chromium() -> Option<PathBuf> {
    if std::env::var_os("CHURN_SKIP_BROWSER").is_some_and(|v| v == "1") {
        eprintln!("CHURN_SKIP_BROWSER=1: browser test skipped");
        return None;
    }
    let name = std::env::var_os("CHURN_CHROMIUM").unwrap_or_else(|| "chromium".into());
    let find = || {
        let found = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(&name))
                .find(|p| p.is_file())
        });
        found.or_else(|| Some(PathBuf::from(&name)).filter(|p| p.is_file()))
    };
    if let Some(path) = find() {
        return Some(path);
    }
    // Not there yet: the project's own setup installs it (pinned, once, under a lock).
    let setup = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/setup/engines.sh");
    let status = std::process::Command::new("bash")
        .args([setup, "chromium"])
        .status()
        .expect("run tests/setup/engines.sh");
    Some(find().unwrap_or_else(|| {
        panic!(
            "{name:?} not found on PATH, and `bash tests/setup/engines.sh chromium` did not install it ({status}); set CHURN_SKIP_BROWSER=1 to skip this test deliberately"
        )
    }))
}

/// `html` with the probes inserted.
fn probed(html: &str) -> String {
    let head = html.find("<head>").expect("a <head>") + "<head>".len();
    let body_end = html.rfind("</body>").expect("a </body>");
    format!(
        "{}{HEAD_PROBE}{}{BODY_PROBE}{}",
        &html[..head],
        &html[head..body_end],
        &html[body_end..]
    )
}

/// Render `page` (a file) in a fresh headless Chromium profile and read the probe back.
fn render(browser: &Path, page: &Path) -> Seen {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={WINDOW}"))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "chromium failed ({}):\n{stderr}",
        out.status
    );
    parse_probe(&dom, &stderr)
}

fn parse_probe(dom: &str, stderr: &str) -> Seen {
    let start = dom
        .find("<pre id=\"probe\">")
        .unwrap_or_else(|| panic!("no probe in the dumped DOM:\n{dom}"))
        + "<pre id=\"probe\">".len();
    let end = start + dom[start..].find("</pre>").expect("probe closed");
    let text = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("probe {text:?}: {e}"));
    Seen {
        summary_top: v["summary_top"].as_f64(),
        summary_bottom: v["summary_bottom"].as_f64(),
        viewport_height: v["viewport_height"].as_f64().expect("viewport height"),
        page_width: v["page_width"].as_f64().expect("page width"),
        viewport_width: v["viewport_width"].as_f64().expect("viewport width"),
        page_errors: v["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e.as_str().unwrap_or_default().to_string())
            .collect(),
        console_lines: stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect(),
    }
}

/// Write a probed copy of `html` as `name` in `env` and render it.
fn render_html(browser: &Path, env: &TestEnv, name: &str, html: &str) -> Seen {
    let page = env.write(name, probed(html));
    render(browser, &page)
}

/// A trained, evaluated and scored demo model's HTML report.
fn demo_report(env: &TestEnv) -> String {
    env.run(&["demo", "--out", "demo", "--customers", "400"])
        .ok();
    let dir = env.path("demo/report");
    let html = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "html"))
        .expect("an HTML report");
    std::fs::read_to_string(html).unwrap()
}

#[test]
fn the_report_loads_without_console_errors_and_opens_with_the_summary() {
    let Some(browser) = chromium() else { return };
    let env = TestEnv::new();
    let html = demo_report(&env);
    let seen = render_html(&browser, &env, "report.html", &html);
    assert!(
        seen.page_errors.is_empty(),
        "page errors: {:?}",
        seen.page_errors
    );
    assert!(
        seen.console_lines.is_empty(),
        "console messages: {:?}",
        seen.console_lines
    );
    let (Some(top), Some(bottom)) = (seen.summary_top, seen.summary_bottom) else {
        panic!("the report has no element with id \"summary\": {seen:?}");
    };
    assert!(
        top >= 0.0 && bottom <= seen.viewport_height,
        "summary spans {top}..{bottom} px, the fold is at {} px",
        seen.viewport_height
    );
    // Wide tables scroll inside their box: the page itself never scrolls sideways.
    assert!(
        seen.page_width <= seen.viewport_width,
        "the page is {} px wide in a {} px window",
        seen.page_width,
        seen.viewport_width
    );
}

#[test]
fn the_checks_catch_a_script_error_and_a_summary_below_the_fold() {
    let Some(browser) = chromium() else { return };
    let env = TestEnv::new();
    let broken = "<!DOCTYPE html><html><head><title>x</title></head><body>\
        <section id=\"summary\"><h2>Summary</h2></section>\
        <script>notDefinedAnywhere();</script></body></html>";
    let seen = render_html(&browser, &env, "broken.html", broken);
    assert!(
        seen.page_errors
            .iter()
            .any(|e| e.contains("notDefinedAnywhere")),
        "the page error went unseen: {seen:?}"
    );
    assert!(
        seen.console_lines
            .iter()
            .any(|l| l.contains("notDefinedAnywhere")),
        "Chromium's log did not show the error: {seen:?}"
    );
    let low = "<!DOCTYPE html><html><head><title>x</title></head><body>\
        <div style=\"height:2000px\">preamble</div>\
        <section id=\"summary\"><h2>Summary</h2></section></body></html>";
    let seen = render_html(&browser, &env, "low.html", low);
    assert!(seen.page_errors.is_empty() && seen.console_lines.is_empty());
    assert!(
        seen.summary_top.expect("the control page has a summary") > seen.viewport_height,
        "a summary 2000 px down reads as above the fold: {seen:?}"
    );
}
