// Shared set-up for the end-to-end tests: a real server on a free port with a throwaway database,
// and Debian's headless Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterEach, after } from 'node:test';

export const ROOT = process.env.OPORA_ROOT ?? path.resolve(import.meta.dirname, '../..');
const SERVER_BIN = process.env.OPORA_SERVER_BIN ?? path.join(ROOT, 'target/debug/opora-server');
export const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const DEMO_PASSWORD = JSON.parse(readFileSync(path.join(ROOT, 'data/demo/organisations.json'), 'utf8')).password;

/** Starts the server with demo data; resolves once it listens. `dbDir` reuses a database. */
export async function startServer({ dbDir = mkdtempSync(path.join(tmpdir(), 'opora-e2e-')), port = 0, extraArgs = [], logLevel = 'warn' } = {}) {
  const args = [
    '--addr', `127.0.0.1:${port}`,
    '--database-url', `sqlite://${dbDir}/opora.db`,
    '--dist-dir', path.join(ROOT, 'dist'),
    '--forms-dir', path.join(ROOT, 'data/forms'),
    '--demo-file', path.join(ROOT, 'data/demo/organisations.json'),
    '--demo',
    ...extraArgs,
  ];
  const child = spawn(SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: logLevel } });
  // Everything the server writes, both streams: tests check it never holds a secret.
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/[\d.:]+)/);
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
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}

/**
 * Every page error of every page the tests open (an uncaught exception, a trap of the wasm) and
 * every crash the app's panic hook reports on the console. Any of them fails the test during
 * which it happened (or the file, after its last test): a panic under `panic = "abort"` leaves
 * the app half-updated even when the page happens to look right.
 */
const pageErrors = [];

function watchPageErrors(context) {
  context.on('page', (page) => {
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.name}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /^opora-crash: |panicked at/.test(m.text())) pageErrors.push(`${page.url()}: ${m.text()}`);
    });
  });
}

/** The page errors so far, taken out of the list: for a test that causes them on purpose. */
export function takePageErrors() {
  return pageErrors.splice(0);
}

function failOnPageErrors() {
  if (pageErrors.length) throw new Error(`page errors:\n${pageErrors.splice(0).join('\n')}`);
}
afterEach(failOnPageErrors);
after(failOnPageErrors);

/** Chromium; every context it opens (and so every page) is watched for page errors. */
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    watchPageErrors(context);
    return context;
  };
  return browser;
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

/**
 * Waits until a service worker controls the page and holds every script and wasm the page
 * loaded (the office bundle is kept on request, after it starts), so the app can start offline.
 */
export async function waitForServiceWorker(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    }
    const loaded = performance.getEntriesByType('resource')
      .map((e) => new URL(e.name))
      .filter((u) => u.origin === location.origin && /\.(js|wasm)$/.test(u.pathname) && u.pathname !== '/sw.js')
      .map((u) => u.pathname);
    for (let tries = 0; tries < 200; tries++) {
      const cached = await Promise.all(loaded.map((p) => caches.match(p)));
      if (cached.every(Boolean)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the service worker never cached all of ${loaded.join(', ')}`);
  });
}

export function screenshot(page, name) {
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The self-diagnosis form as shipped, to compute expected results independently of the app. */
export function selfDiagnosisForm() {
  return JSON.parse(readFileSync(path.join(ROOT, 'data/forms/self-diagnosis.v1.json'), 'utf8'));
}

const PROXY_BIN = process.env.OPORA_PROXY_BIN ?? path.join(ROOT, 'target/debug/faultproxy');

/** Starts the fault-injecting proxy in front of `upstreamPort`; `set(config)` changes the link. */
export async function startProxy(upstreamPort, config = {}) {
  const child = spawn(PROXY_BIN, ['--upstream', `127.0.0.1:${upstreamPort}`, '--config', JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { port, control } = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/proxy [\d.]+:(\d+) control [\d.]+:(\d+)/);
      if (m) resolve({ port: Number(m[1]), control: Number(m[2]) });
    });
    child.on('exit', (code) => reject(new Error(`faultproxy exited with ${code}`)));
  });
  const { createConnection } = await import('node:net');
  const command = (line) => new Promise((resolve, reject) => {
    const socket = createConnection({ port: control, host: '127.0.0.1' }, () => socket.write(line + '\n'));
    let reply = '';
    socket.on('data', (d) => {
      reply += d;
      if (reply.includes('\n')) {
        socket.end();
        const text = reply.trim();
        text.startsWith('ERR') ? reject(new Error(text)) : resolve(text);
      }
    });
    socket.on('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    set: (c) => command(`SET ${JSON.stringify(c)}`),
    stats: async () => JSON.parse(await command('STATS')),
    resetStats: () => command('RESET_STATS'),
    stop: () => { child.kill('SIGTERM'); },
  };
}

/** The rural link of the issue: 600 ms round trips, 100 kbit/s up, 200 kbit/s down. */
export const RURAL = { latency_ms: 300, jitter_ms: 40, up_bps: 100_000, down_bps: 200_000 };

/** Applicable answers of the shipped form for `subject`, each `value(i)`. */
export function answersFor(subject, value = (i) => i % 4) {
  const form = selfDiagnosisForm();
  const answers = {};
  let i = 0;
  for (const section of form.sections) {
    for (const field of section.fields) {
      if (!field.variant || field.variant === subject) answers[field.id] = value(i++);
    }
  }
  return answers;
}

/**
 * Queues `count` finished self-diagnoses in the logged-in user's outbox exactly as the app stores
 * them (see app/src/store.rs), for tests that need many queued items without clicking through
 * the questionnaire each time. Returns their ids.
 */
export async function queueSubmissions(page, count, subject = 'math', { random = false } = {}) {
  const template = answersFor(subject);
  return page.evaluate(({ count, template, subject, random }) => {
    const session = JSON.parse(localStorage.getItem('opora.session'));
    const user = session.user.id;
    let seq = JSON.parse(localStorage.getItem('opora.next_seq') ?? '0');
    const ids = [];
    for (let n = 0; n < count; n++) {
      const now = Date.now();
      // Random answers, as real teachers give, unless identical ones are good enough.
      const answers = random
        ? Object.fromEntries(Object.keys(template).map((k) => [k, Math.floor(Math.random() * 4)]))
        : template;
      const submission = {
        id: crypto.randomUUID(), form: { id: 'self-diagnosis', version: 1 }, subject, answers,
        started_at_ms: now - 600000, submitted_at_ms: now,
      };
      localStorage.setItem('opora.next_seq', JSON.stringify(seq + 1));
      localStorage.setItem(`opora.u.${user}.outbox.${seq}`, JSON.stringify({ type: 'submit_self_diagnosis', submission }));
      localStorage.setItem(`opora.u.${user}.sd.${submission.id}`, JSON.stringify({ submission, synced: false }));
      seq += 1;
      ids.push(submission.id);
    }
    return ids;
  }, { count, template, subject, random });
}

/** Every record the server's sync pull gives `loginName`, asked directly (not through the app). */
export async function serverPulled(serverUrl, loginName) {
  const login = await fetch(`${serverUrl}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: loginName, password: DEMO_PASSWORD }),
  }).then((r) => r.json());
  const pulled = [];
  let cursor = 0;
  for (;;) {
    const res = await fetch(`${serverUrl}/api/sync`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${login.token}` },
      body: JSON.stringify({ protocol: 1, device: crypto.randomUUID(), cursor, pull_limit: 500 }),
    }).then((r) => r.json());
    pulled.push(...res.pulled);
    cursor = res.cursor;
    if (!res.more) return pulled;
  }
}

/** The self-diagnoses the server holds for `loginName`, asked directly (not through the app). */
export async function serverSubmissions(serverUrl, loginName) {
  return (await serverPulled(serverUrl, loginName)).filter((r) => r.type === 'self_diagnosis').map((r) => r.stored.submission.id);
}
