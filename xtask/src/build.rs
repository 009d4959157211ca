//! Building the app into `dist/`.

use crate::{cargo, run_cmd, size, tools};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Files served as they are, from `public/`, and pre-cached by the service worker.
const STATIC_FILES: &[&str] =
    &["manifest.webmanifest", "favicon.svg", "icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png"];

/// One wasm bundle: its glue script (not yet started) and its wasm, content-hashed in `dist/`.
struct Bundle {
    wasm_name: String,
    /// The wasm's length in bytes: what the boot screen counts the download against.
    wasm_size: usize,
    glue: String,
}

fn build_bundle(root: &Path, dist: &Path, name: &str, features: &[&str]) -> Result<Bundle> {
    let mut args =
        vec!["build", "-p", "opora-app", "--lib", "--target", "wasm32-unknown-unknown", "--profile", "wasm-release"];
    if !features.is_empty() {
        args.push("--features");
        args.extend(features);
    }
    run_cmd(cargo().current_dir(root).args(&args))?;
    let wasm = root.join("target/wasm32-unknown-unknown/wasm-release/opora_app.wasm");
    let bindgen_out = root.join("target/xtask/bindgen").join(name);
    let _ = fs::remove_dir_all(&bindgen_out);
    fs::create_dir_all(&bindgen_out)?;
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(&wasm)
        .web(true)?
        .typescript(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .out_name(name)
        .generate(&bindgen_out)
        .context("running wasm-bindgen")?;
    let wasm_bytes = fs::read(bindgen_out.join(format!("{name}_bg.wasm")))?;
    let wasm_name = format!("{name}-{}_bg.wasm", short_hash(&wasm_bytes));
    fs::write(dist.join(&wasm_name), &wasm_bytes)?;
    let glue = fs::read_to_string(bindgen_out.join(format!("{name}.js")))?;
    if !glue.contains("__wbg_init as default") {
        bail!("wasm-bindgen's glue no longer exports __wbg_init: update the boot code in xtask/src/build.rs");
    }
    Ok(Bundle { wasm_name, wasm_size: wasm_bytes.len(), glue })
}

/// Reads a wasm as it arrives, so the page can say how much of the app has come: `size` is the
/// wasm's length, known at build time (the browser hands over the decompressed bytes, so a
/// compressed transfer's Content-Length would not do). The box is the boot screen or, when the
/// app is already up (a principal's login in the teacher's bundle), a box of its own.
const LOADER: &str = r#"
if (!window.oporaCrash) {
  // A panic of the wasm (its hook calls this) or any trap of it stops the app where it was: say
  // so plainly, offer a reload, and tell the server's log (path only: a query is never sent).
  let crashed = false;
  window.oporaCrash = (message) => {
    console.error(`opora-crash: ${message}`);
    if (crashed) return;
    crashed = true;
    try {
      const box = document.createElement('div');
      box.className = 'crash';
      box.setAttribute('role', 'alert');
      box.setAttribute('data-testid', 'crash');
      const text = document.createElement('p');
      text.textContent = 'Произошла ошибка в приложении. Ваши данные сохранены на устройстве. Перезагрузите страницу.';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn primary';
      button.textContent = 'Перезагрузить';
      button.addEventListener('click', () => location.reload());
      box.append(text, button);
      document.body.append(box);
      button.focus();
    } catch (e) { /* the notice is best effort */ }
    fetch('/api/client-errors', {
      method: 'POST', keepalive: true, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        message: String(message).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ').slice(0, 1000),
        location: location.pathname.slice(0, 200),
        bundle: window.oporaBundle || 'teacher',
        user_agent: navigator.userAgent.slice(0, 200),
      }),
    }).catch(() => {});
  };
  const trap = (e) => e instanceof WebAssembly.RuntimeError;
  addEventListener('error', (e) => { if (trap(e.error)) window.oporaCrash(String(e.error)); });
  addEventListener('unhandledrejection', (e) => { if (trap(e.reason)) window.oporaCrash(String(e.reason)); });
}
const oporaShow = (got, size, what) => {
  const pct = Math.min(100, Math.floor((got * 100) / size));
  let box = document.getElementById('boot');
  if (!box) {
    box = document.getElementById('app-loading');
    if (!box) {
      box = document.createElement('div');
      box.id = 'app-loading';
      box.className = 'boot boot-overlay';
      box.setAttribute('role', 'status');
      for (const [tag, cls] of [['p', 'boot-what'], ['progress', 'boot-bar'], ['p', 'boot-text'], ['p', 'boot-once']]) {
        const el = document.createElement(tag);
        el.className = cls;
        box.append(el);
      }
      document.body.append(box);
    }
  }
  const bar = box.querySelector('.boot-bar');
  if (bar) { bar.max = 100; bar.value = pct; bar.hidden = false; bar.setAttribute('data-loaded', String(got)); bar.setAttribute('data-total', String(size)); }
  const what_ = box.querySelector('.boot-what');
  if (what_ && what) what_.textContent = what;
  const text = box.querySelector('.boot-text');
  if (text) text.textContent = `Загружено ${pct} %`;
  const once = box.querySelector('.boot-once');
  if (once) once.textContent = 'Это происходит один раз: потом приложение открывается сразу, и без сети тоже.';
};
const oporaFetch = async (url, size, what) => {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  if (!res.body || !size) return new Uint8Array(await res.arrayBuffer());
  oporaShow(0, size, what);
  const reader = res.body.getReader();
  const parts = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    oporaShow(got, size, what);
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const part of parts) { bytes.set(part, at); at += part.length; }
  return bytes;
};
"#;

/// Starts a bundle's wasm, fetched with [`LOADER`]'s progress; once it is up, registers the
/// service worker (not earlier, so its pre-cache does not compete with the first load on a slow
/// link) and asks it to keep `keep` (the office bundle's own files, which teachers' service
/// workers never fetch).
fn start_code(bundle: &str, wasm_name: &str, wasm_size: usize, what: &str, keep: &[String]) -> String {
    format!(
        "window.oporaBundle = '{bundle}';\n{LOADER}\noporaFetch('/{wasm_name}', {wasm_size}, {what}).then((bytes) => __wbg_init({{ module_or_path: bytes }})).then(() => {{\n  \
           if (!('serviceWorker' in navigator)) return;\n  \
           navigator.serviceWorker.register('/sw.js').catch((e) => console.warn('service worker', e));\n  \
           const keep = {keep};\n  \
           if (keep.length) navigator.serviceWorker.ready.then((r) => r.active && r.active.postMessage({{ keep }}));\n\
         }}, (e) => {{\n  \
           const boot = document.getElementById('boot');\n  \
           if (boot) boot.textContent = 'Не удалось загрузить приложение. Проверьте связь и обновите страницу.';\n  \
           console.error(e);\n\
         }});\n",
        what = serde_json::to_string(what).expect("strings serialise"),
        keep = serde_json::to_string(keep).expect("strings serialise"),
    )
}

pub fn build(root: &Path) -> Result<()> {
    tools::ensure_wasm_target()?;
    let dist = root.join("dist");
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(dist.join("icons"))?;
    let public = root.join("public");

    // Two bundles. The teacher's (the page's script) holds login, activation and the
    // self-diagnosis; the office bundle is the whole app, for principals and departments. The
    // page starts the teacher's unless the stored session is someone else's.
    let office = build_bundle(root, &dist, "office", &["office"])?;
    let mut office_js = office.glue.clone();
    let office_js_name_placeholder = "__OFFICE_JS__";
    office_js.push_str(&start_code(
        "office",
        &office.wasm_name,
        office.wasm_size,
        "Загружается раздел для руководителей и отдела образования",
        &[office_js_name_placeholder.to_owned(), format!("/{}", office.wasm_name)],
    ));
    let office_js_name = format!("office-{}.js", short_hash(office_js.as_bytes()));
    let office_js = office_js.replace(office_js_name_placeholder, &format!("/{office_js_name}"));
    fs::write(dist.join(&office_js_name), &office_js)?;

    let teacher = build_bundle(root, &dist, "app", &[])?;
    let wasm_name = teacher.wasm_name.clone();
    let mut js = teacher.glue;
    js.push_str(&format!(
        "\nconst officeSession = (() => {{\n  \
           try {{ const s = JSON.parse(localStorage.getItem('opora.session') || 'null'); return !!(s && s.user && s.user.role !== 'teacher'); }}\n  \
           catch (e) {{ return false; }}\n\
         }})();\n\
         if (officeSession) import('/{office_js_name}');\n\
         else {{"
    ));
    // After a principal's or department's login in this bundle, the app calls this: the office
    // bundle downloads at once, with the same progress, and only then does the page restart in it.
    js.push_str(&format!(
        "\nwindow.oporaPrefetchOffice = () => Promise.all([fetch('/{office_js_name}'), \
         oporaFetch('/{office_wasm}', {office_size}, 'Загружается раздел для руководителей и отдела образования')]);\n",
        office_wasm = office.wasm_name,
        office_size = office.wasm_size,
    ));
    js.push_str(&start_code("teacher", &wasm_name, teacher.wasm_size, "", &[]));
    js.push_str("}\n");
    let js_name = format!("app-{}.js", short_hash(js.as_bytes()));
    fs::write(dist.join(&js_name), &js)?;

    let css = fs::read(public.join("style.css"))?;
    let css_name = format!("style-{}.css", short_hash(&css));
    fs::write(dist.join(&css_name), &css)?;

    for file in STATIC_FILES {
        fs::copy(public.join(file), dist.join(file)).with_context(|| format!("copying public/{file}"))?;
    }

    let html = fs::read_to_string(public.join("index.html"))?
        .replace("__APP_JS__", &js_name)
        .replace("__APP_WASM__", &wasm_name)
        .replace("__STYLE_CSS__", &css_name);
    fs::write(dist.join("index.html"), &html)?;

    // The service worker pre-caches the shell and every asset; its cache is named after the
    // content of all of them, so any change installs a fresh cache and drops the old one.
    let mut precache: Vec<String> =
        vec!["/".into(), format!("/{js_name}"), format!("/{wasm_name}"), format!("/{css_name}")];
    precache.extend(STATIC_FILES.iter().map(|f| format!("/{f}")));
    let mut version = Sha256::new();
    for url in &precache[1..] {
        version.update(fs::read(dist.join(url.trim_start_matches('/')))?);
    }
    version.update(html.as_bytes());
    let version = hex(&version.finalize()[..8]);
    let sw = fs::read_to_string(public.join("sw.js"))?
        .replace("__VERSION__", &version)
        .replace("__PRECACHE__", &serde_json::to_string(&precache)?);
    fs::write(dist.join("sw.js"), sw)?;

    precompress(&dist)?;
    size::report(&dist)?;
    Ok(())
}

fn short_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes)[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `.br` and `.gz` beside every compressible file: the server sends them as they are,
/// so a 2G link gets the smallest bytes without the server compressing on each request.
fn precompress(dist: &Path) -> Result<()> {
    for path in files(dist)? {
        let compressible = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("html" | "js" | "wasm" | "css" | "webmanifest" | "svg" | "json")
        );
        if !compressible {
            continue;
        }
        let bytes = fs::read(&path)?;
        let mut br = Vec::new();
        {
            let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
            brotli::BrotliCompress(&mut bytes.as_slice(), &mut br, &params)?;
        }
        fs::write(with_suffix(&path, "br"), br)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes)?;
        fs::write(with_suffix(&path, "gz"), gz.finish()?)?;
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

pub fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(files(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
