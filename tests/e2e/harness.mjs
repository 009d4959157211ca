// Shared set-up for the end-to-end tests: a real server on a free port with a throwaway database,
// and Debian's headless Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = process.env.OPORA_ROOT ?? path.resolve(import.meta.dirname, '../..');
const SERVER_BIN = process.env.OPORA_SERVER_BIN ?? path.join(ROOT, 'target/debug/opora-server');
export const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const DEMO_PASSWORD = JSON.parse(readFileSync(path.join(ROOT, 'data/demo/organisations.json'), 'utf8')).password;

/** Starts the server with demo data; resolves once it listens. `dbDir` reuses a database. */
export async function startServer({ dbDir = mkdtempSync(path.join(tmpdir(), 'opora-e2e-')), port = 0, extraArgs = [] } = {}) {
  const args = [
    '--addr', `127.0.0.1:${port}`,
    '--database-url', `sqlite://${dbDir}/opora.db`,
    '--dist-dir', path.join(ROOT, 'dist'),
    '--forms-dir', path.join(ROOT, 'data/forms'),
    '--demo-file', path.join(ROOT, 'data/demo/organisations.json'),
    '--demo',
    ...extraArgs,
  ];
  const child = spawn(SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[\d.:]+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
  return {
    url,
    dbDir,
    port: Number(new URL(url).port),
    process: child,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ru-RU' };
export const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'ru-RU' };

export async function login(page, baseUrl, loginName, password = DEMO_PASSWORD) {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Логин').fill(loginName);
  await page.getByLabel('Пароль').fill(password);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('button', { name: 'Выйти' }).waitFor();
}

/** Waits until a service worker controls the page, so the app can start offline. */
export async function waitForServiceWorker(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    }
  });
}

export function screenshot(page, name) {
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The self-diagnosis form as shipped, to compute expected results independently of the app. */
export function selfDiagnosisForm() {
  return JSON.parse(readFileSync(path.join(ROOT, 'data/forms/self-diagnosis.v1.json'), 'utf8'));
}
