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

pub fn build(root: &Path) -> Result<()> {
    tools::ensure_wasm_target()?;
    run_cmd(cargo().current_dir(root).args([
        "build",
        "-p",
        "opora-app",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    let wasm = root.join("target/wasm32-unknown-unknown/wasm-release/opora_app.wasm");
    let bindgen_out = root.join("target/xtask/bindgen");
    let _ = fs::remove_dir_all(&bindgen_out);
    fs::create_dir_all(&bindgen_out)?;
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(&wasm)
        .web(true)?
        .typescript(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .out_name("app")
        .generate(&bindgen_out)
        .context("running wasm-bindgen")?;

    let dist = root.join("dist");
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(dist.join("icons"))?;
    let public = root.join("public");

    let wasm_bytes = fs::read(bindgen_out.join("app_bg.wasm"))?;
    let wasm_name = format!("app-{}_bg.wasm", short_hash(&wasm_bytes));
    fs::write(dist.join(&wasm_name), &wasm_bytes)?;

    // Start the app from the glue module itself: no extra boot script to fetch, and no inline
    // script for the Content-Security-Policy to allow. Register the service worker only after the
    // app is up, so its pre-cache does not compete with the first load on a slow link.
    let mut js = fs::read_to_string(bindgen_out.join("app.js"))?;
    if !js.contains("__wbg_init as default") {
        bail!("wasm-bindgen's glue no longer exports __wbg_init: update the boot code in xtask/src/build.rs");
    }
    js.push_str(&format!(
        "\n__wbg_init({{ module_or_path: '/{wasm_name}' }}).then(() => {{\n  \
           if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch((e) => console.warn('service worker', e));\n\
         }}, (e) => {{\n  \
           const boot = document.getElementById('boot');\n  \
           if (boot) boot.textContent = 'Не удалось загрузить приложение. Проверьте связь и обновите страницу.';\n  \
           console.error(e);\n\
         }});\n"
    ));
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
    let mut precache: Vec<String> = vec!["/".into(), format!("/{js_name}"), format!("/{wasm_name}"), format!("/{css_name}")];
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
