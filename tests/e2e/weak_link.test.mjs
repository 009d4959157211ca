// Sync over the links the users really have: slow, high-latency, resetting, and a server that
// dies mid-sync. Whatever happens, every queued self-diagnosis reaches the server exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, startProxy, launchBrowser, login, waitForServiceWorker, queueSubmissions, serverSubmissions,
  screenshot, RURAL, PHONE,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** Logs in through the proxy on a good link and leaves the page controlled by the service worker. */
async function teacherThroughProxy(proxy, loginName) {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await login(page, proxy.url, loginName);
  await page.getByText('Всё отправлено').waitFor();
  await waitForServiceWorker(page);
  return { context, page };
}

function assertExactlyOnce(onServer, queued) {
  const unique = new Set(onServer);
  assert.equal(unique.size, onServer.length, 'no submission is stored twice');
  for (const id of queued) assert.ok(unique.has(id), `${id} reached the server`);
}

test('queued self-diagnoses sync over a 600 ms, 100/200 kbit/s link that resets connections', async () => {
  const server = await startServer();
  const proxy = await startProxy(server.port);
  try {
    const { context, page } = await teacherThroughProxy(proxy, 'kimovka.t1');
    await context.setOffline(true);
    const queued = await queueSubmissions(page, 12);
    await page.reload();
    await page.getByText('Ожидают отправки: 12 записей').waitFor();

    // A rural link whose first connection dies after 1 KB, mid-request; later ones die with
    // probability 0.3.
    await proxy.set({ ...RURAL, reset_after_bytes: 1_000, reset_probability: 1, seed: 7 });
    await proxy.resetStats();
    await context.setOffline(false);
    while ((await proxy.stats()).resets === 0) await new Promise((r) => setTimeout(r, 50));
    await proxy.set({ ...RURAL, reset_after_bytes: 1_000, reset_probability: 0.3, seed: 7 });
    await page.getByText('Всё отправлено').waitFor({ timeout: 120_000 });
    const stats = await proxy.stats();
    await screenshot(page, 'weak-link-synced');

    assertExactlyOnce(await serverSubmissions(server.url, 'kimovka.t1'), queued);
    assert.ok(stats.resets >= 1, 'a connection died mid-sync');
    console.log(`weak link: ${stats.connections} connections, ${stats.resets} resets, ${stats.bytes_up} B up, ${stats.bytes_down} B down`);
    await context.close();
  } finally {
    proxy.stop();
    await server.stop();
  }
});

test('a server killed mid-sync and restarted loses and duplicates nothing', async () => {
  let server = await startServer();
  const { dbDir, port } = server;
  const proxy = await startProxy(port);
  try {
    const { context, page } = await teacherThroughProxy(proxy, 'polyanka.t1');
    await context.setOffline(true);
    const queued = await queueSubmissions(page, 40);
    await page.reload();
    await page.getByText('Ожидают отправки: 40 записей').waitFor();

    // Slow enough upstream that the request is still arriving when the server dies.
    await proxy.set({ latency_ms: 100, up_bps: 40_000 });
    await proxy.resetStats();
    await context.setOffline(false);
    while ((await proxy.stats()).bytes_up === 0) await new Promise((r) => setTimeout(r, 50));
    await server.stop('SIGKILL');
    await page.getByText('Нет связи с сервером', { exact: true }).waitFor({ timeout: 60_000 });

    server = await startServer({ dbDir, port });
    await proxy.set({});
    await page.getByText('Всё отправлено').waitFor({ timeout: 120_000 });
    assertExactlyOnce(await serverSubmissions(server.url, 'polyanka.t1'), queued);
    await context.close();
  } finally {
    proxy.stop();
    await server.stop();
  }
});
