// Benchmark (run by `cargo xtask bench`, printed, not asserted): 100 queued self-diagnoses synced
// by the real app in Chromium through the fault proxy at 600 ms round trips, 100 kbit/s up and
// 200 kbit/s down. Reports round trips, bytes each way, seconds, and the ratio to the time the
// bytes alone need on that link (the goal: one round trip and at most 1.5×).
import { startServer, startProxy, launchBrowser, login, waitForServiceWorker, queueSubmissions, serverSubmissions, RURAL, PHONE } from '../harness.mjs';

const QUEUED = 100;
const server = await startServer();
const proxy = await startProxy(server.port);
const browser = await launchBrowser();
try {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await login(page, proxy.url, 'burakovo.t1');
  await page.getByText('Всё отправлено').waitFor();
  await waitForServiceWorker(page);
  await context.setOffline(true);
  const queued = await queueSubmissions(page, QUEUED, 'math', { random: true });
  await page.reload();
  await page.getByText(`Ожидают отправки: ${QUEUED} записей`).waitFor();
  await page.evaluate(() => performance.clearResourceTimings());

  await proxy.set(RURAL);
  await proxy.resetStats();
  const started = performance.now();
  await context.setOffline(false);
  await page.getByText('Всё отправлено').waitFor({ timeout: 300_000 });
  const seconds = (performance.now() - started) / 1000;
  const stats = await proxy.stats();
  const roundTrips = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/sync')).length);
  const onServer = new Set(await serverSubmissions(server.url, 'burakovo.t1'));
  const arrived = queued.filter((id) => onServer.has(id)).length;

  const rtt = (2 * RURAL.latency_ms) / 1000;
  const bytesTime = (stats.bytes_up * 8) / RURAL.up_bps + (stats.bytes_down * 8) / RURAL.down_bps;
  const ideal = bytesTime + rtt;
  console.log(`\nSync benchmark: ${QUEUED} queued self-diagnoses, link ${2 * RURAL.latency_ms} ms RTT, ${RURAL.up_bps / 1000}/${RURAL.down_bps / 1000} kbit/s up/down`);
  console.log(`  arrived on the server      ${arrived} of ${QUEUED}`);
  console.log(`  sync requests (round trips) ${roundTrips}   (goal: 1)`);
  console.log(`  bytes up / down            ${stats.bytes_up} / ${stats.bytes_down}  (${stats.connections} new connections)`);
  console.log(`  seconds to sync            ${seconds.toFixed(2)}`);
  console.log(`  bytes alone on this link   ${bytesTime.toFixed(2)} s; with one round trip ${ideal.toFixed(2)} s`);
  console.log(`  ratio to bytes alone       ${(seconds / bytesTime).toFixed(2)}×`);
  console.log(`  ratio to bytes + one RTT   ${(seconds / ideal).toFixed(2)}×   (goal: ≤ 1.5×)\n`);
  await context.close();
} finally {
  await browser.close();
  proxy.stop();
  await server.stop();
}
