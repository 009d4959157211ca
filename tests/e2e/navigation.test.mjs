// Quick clicking through the office pages: every click starts a fetch, and the view that started it
// is gone by the time the answer arrives (or a newer fetch has answered first). No page error, no
// panic of the wasm, whatever the order the answers come back in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, takePageErrors, startProxy, ARTIFACTS, DESKTOP, PHONE } from './harness.mjs';

let server;
let proxy;
let browser;
before(async () => {
  server = await startServer();
  // The server's answers come back late and in any order, as on a rural link.
  proxy = await startProxy(server.port, { latency_ms: 150, jitter_ms: 140 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  proxy?.stop();
  await server?.stop();
});

const GROUPS = ['ШНОР', 'все школы', 'ШФНСУ', 'ШНОР и ШФНСУ одновременно'];

/** Every page error and every panic the app reports, from the moment the page opens. */
function errorsOf(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && /panicked|RuntimeError/.test(m.text())) errors.push(`console: ${m.text()}`); });
  return errors;
}

/** The server log's crash reports (colours taken out), once there are `count` of them. */
async function crashLines(page, count) {
  const lines = () => server.log().replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l.includes('the app crashed in a browser'));
  for (let i = 0; i < 50 && lines().length < count; i++) await page.waitForTimeout(100);
  return lines();
}

for (const pause of [200, 1500]) {
  test(`group links and year pickers clicked every ${pause} ms leave no page error`, async () => {
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const errors = errorsOf(page);
    await login(page, proxy.url, 'spassk.otdel');
    await page.goto(`${proxy.url}/department/analytics`);
    await page.getByTestId('years').waitFor();
    const years = await page.getByTestId('years').getByRole('link').allTextContents();
    assert.ok(years.length >= 2, `years to pick: ${years}`);
    const links = page.locator('p.actions');
    const clicks = pause < 1000 ? 18 : 10;
    for (let i = 0; i < clicks; i++) {
      // Groups in the order, then a year, then the group again: the links are always on
      // the page (the year pickers once a copy of the views is there).
      const name = i % 3 === 2 ? years[i % years.length] : GROUPS[i % GROUPS.length];
      const link = links.getByRole('link', { name, exact: true }).first();
      if (await link.count()) await link.click({ timeout: 2000 }).catch(() => {});
      await page.waitForTimeout(pause);
    }
    // Away from the page while its last fetch is on the way.
    await links.getByRole('link', { name: GROUPS[0], exact: true }).first().click();
    await page.getByRole('link', { name: '← Отдел образования' }).click();
    // Every answer still on the way arrives.
    await page.waitForTimeout(2500);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('a crash of the app is shown plainly, with a reload, and reaches the server\'s log', async () => {
  const context = await browser.newContext({ ...PHONE });
  const page = await context.newPage();
  await login(page, server.url, 'burakovo.t1');
  // A trap of the wasm as the browser reports it (what `panic = "abort"` ends in).
  await page.evaluate(() => setTimeout(() => { throw new WebAssembly.RuntimeError('unreachable'); }));
  const notice = page.getByTestId('crash');
  await notice.getByText('Произошла ошибка в приложении. Ваши данные сохранены на устройстве. Перезагрузите страницу.').waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/crash-360.png` });
  // The panic hook's message comes second: one notice, both on the console.
  await page.evaluate(() => window.oporaCrash('panicked at app/src/pages/home.rs:1:1:\nпроверка'));
  assert.equal(await page.getByTestId('crash').count(), 1);
  const errors = takePageErrors();
  assert.ok(errors.some((e) => /RuntimeError: unreachable/.test(e)), errors.join('\n'));
  assert.ok(errors.some((e) => /opora-crash: panicked at/.test(e)), errors.join('\n'));
  // The server's log heard of it once (the trap and the panic that caused it are one crash),
  // with the page and the bundle.
  const lines = await crashLines(page, 1);
  assert.equal(lines.length, 1, server.log());
  assert.match(lines[0], /bundle=teacher location="\/" .*"RuntimeError: unreachable"/);
  // The reload button starts the app again.
  await notice.getByRole('button', { name: 'Перезагрузить' }).click();
  await page.getByRole('button', { name: 'Выйти' }).waitFor();
  assert.equal(await page.getByTestId('crash').count(), 0);
  await context.close();
});

test('the crash notice fits a desktop screen too', async () => {
  const context = await browser.newContext({ ...DESKTOP, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await login(page, server.url, 'spassk.otdel');
  await page.getByRole('link', { name: 'Аналитика' }).click();
  await page.getByTestId('years').waitFor();
  await page.evaluate(() => window.oporaCrash('panicked at app/src/pages/analytics.rs:1:1:\nпроверка'));
  await page.getByTestId('crash').waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/crash-1280.png` });
  takePageErrors();
  // The panic's message, its line break escaped: one line of the log, never a forged second one.
  const line = (await crashLines(page, 2)).at(-1);
  assert.match(line ?? '', /bundle=office location="\/department\/analytics" .*"panicked at app\/src\/pages\/analytics.rs:1:1:\\nпроверка"$/);
  await context.close();
});
