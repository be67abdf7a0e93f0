//! The page of `viz --format html` in a real browser: headless Chromium driven through
//! ChromeDriver's WebDriver protocol (feature `browser`; Debian's chromium and chromium-driver,
//! which .ci/run installs). Pointing at a node shows its details, the wheel zooms about the
//! pointer, a drag pans, and a profiled page shows the node's timings — what a user does with it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A ChromeDriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver) must be installed for the feature `browser`");
        let driver = Driver { child, base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() };
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = driver.http.get(format!("{}/status", driver.base)).send().await
                && r.status().is_success()
            {
                return driver;
            }
            assert!(Instant::now() < until, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let doc: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!(status.is_success(), "{path}: {status} {doc}");
        doc["value"].clone()
    }

    async fn session(&self, profile: &std::path::Path) -> Session<'_> {
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1200,800",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}});
        let value = self.call(reqwest::Method::POST, "/session", Some(caps)).await;
        Session { driver: self, id: value["sessionId"].as_str().unwrap().to_string() }
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn post(&self, path: &str, body: Value) -> Value {
        self.driver.call(reqwest::Method::POST, &format!("/session/{}{path}", self.id), Some(body)).await
    }

    async fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []})).await
    }

    async fn element(&self, css: &str) -> Value {
        self.post("/element", json!({"using": "css selector", "value": css})).await
    }

    async fn actions(&self, actions: Value) {
        self.post("/actions", json!({"actions": actions})).await;
    }

    /// The SVG's viewBox: x, y, width, height.
    async fn view(&self) -> [f64; 4] {
        let v = self
            .script(
                "const b = document.querySelector('#view svg').viewBox.baseVal; return [b.x, b.y, b.width, b.height];",
            )
            .await;
        let n = |i: usize| v[i].as_f64().unwrap();
        [n(0), n(1), n(2), n(3)]
    }

    async fn details(&self) -> String {
        self.script("return document.getElementById('details').textContent;").await.as_str().unwrap().to_string()
    }

    async fn end(self) {
        self.driver.call(reqwest::Method::DELETE, &format!("/session/{}", self.id), None).await;
    }
}

fn mouse(actions: Value) -> Value {
    json!([{"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": actions}])
}

fn asterism(args: &[&str], dir: &std::path::Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_asterism")).args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn the_html_page_shows_details_on_hover_zooms_pans_and_carries_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let source = "in name: String\nin n: Int\ngreeting = \"hello ${name}\"\nloud = upper(greeting)\nsquare = n * n\nout loud\nout square\n";
    std::fs::write(dir.path().join("p.cst"), source).unwrap();
    asterism(&["run", "p.cst", "-i", "name=Ada", "-i", "n=7", "--profile-json", "profile.json"], dir.path());
    asterism(&["viz", "p.cst", "--profile", "profile.json", "-o", "page.html"], dir.path());
    let driver = Driver::start().await;
    let session = driver.session(&dir.path().join("chromium")).await;
    let url = format!("file://{}", dir.path().join("page.html").display());
    session.post("/url", json!({"url": url})).await;

    let nodes = session.script("return document.querySelectorAll('#view svg .node').length;").await;
    assert_eq!(nodes, json!(7), "two inputs, three operations, two outputs");
    assert!(session.details().await.starts_with("Point at a node"));

    // Pointing at `upper` shows its source line, its type and its timings.
    let upper = session
        .script("return [...document.querySelectorAll('.node')].find(n => n.querySelector('text').textContent == 'upper').id;")
        .await;
    let target = session.element(&format!("#{} rect", upper.as_str().unwrap())).await;
    session
        .actions(mouse(
            json!([{"type": "pointerMove", "duration": 0, "origin": {ELEMENT: target[ELEMENT]}, "x": 0, "y": 0}]),
        ))
        .await;
    let details = session.details().await;
    assert!(details.starts_with("upper\n"), "{details}");
    assert!(details.contains("line 4: upper(greeting)") && details.contains("type String"), "{details}");
    assert!(details.contains("profile: 1 calls"), "{details}");

    // The wheel zooms in about the pointer; a drag pans.
    let before = session.view().await;
    let wheel = json!([{"type": "wheel", "id": "wheel", "actions": [{"type": "scroll", "x": 300, "y": 300, "deltaX": 0, "deltaY": -120, "duration": 0}]}]);
    session.actions(wheel).await;
    let zoomed = session.view().await;
    assert!(zoomed[2] < before[2] && zoomed[3] < before[3], "zoomed in: {before:?} → {zoomed:?}");
    let drag = json!([
        {"type": "pointerMove", "duration": 0, "x": 300, "y": 300},
        {"type": "pointerDown", "button": 0},
        {"type": "pointerMove", "duration": 50, "x": 360, "y": 340},
        {"type": "pointerUp", "button": 0}
    ]);
    session.actions(mouse(drag)).await;
    let panned = session.view().await;
    assert!(
        panned[0] < zoomed[0] && panned[1] < zoomed[1],
        "dragging right and down moves the view left and up: {zoomed:?} → {panned:?}"
    );
    assert_eq!((panned[2], panned[3]), (zoomed[2], zoomed[3]), "a drag does not zoom");
    session.end().await;
}
