// Browser storage under stress: a full quota, a corrupt entry, and two people on one computer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  startServer, launchBrowser, login, waitForServiceWorker, queueSubmissions, serverSubmissions, screenshot, PHONE,
} from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function startDiagnosis(page, subject = 'Физика') {
  await page.getByRole('link', { name: /самодиагностику/ }).click();
  await page.getByLabel(subject, { exact: true }).check();
  await page.getByRole('button', { name: 'Начать' }).click();
  await page.getByText('Раздел 1 из 10').waitFor();
}

test('when storage is full the app says so, keeps what was stored and offers the unsent work as a file', async () => {
  const context = await browser.newContext({ ...PHONE, acceptDownloads: true });
  const page = await context.newPage();
  await login(page, server.url, 'antonovka.t1');
  await startDiagnosis(page);
  const items = page.locator('.item');
  await items.nth(0).getByLabel('Владею уверенно', { exact: true }).check();
  await items.nth(1).getByLabel('Не владею', { exact: true }).check();
  await page.getByText('✓ Ответы сохранены на этом устройстве').waitFor();

  // Something else filled the origin's storage to the brim.
  const filled = await page.evaluate(() => {
    let chunk = 'x'.repeat(1 << 20);
    let n = 0;
    while (chunk.length > 16) {
      try { localStorage.setItem(`filler.${n++}`, chunk); } catch { chunk = chunk.slice(0, chunk.length >> 1); }
    }
    return n;
  });
  assert.ok(filled > 0);

  await items.nth(2).getByLabel('Владею частично', { exact: true }).check();
  await page.getByText('Память браузера заполнена').first().waitFor();
  await page.getByText('Последние ответы не сохранены').waitFor();
  assert.ok(await items.nth(2).getByLabel('Владею частично', { exact: true }).isChecked(), 'the answer stays on screen');
  await screenshot(page, 'storage-full');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Скачать неотправленные данные' }).first().click(),
  ]);
  const file = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const onScreen = file.entries['unsaved-on-screen'];
  assert.ok(onScreen, 'the file holds what could not be stored');
  assert.equal(Object.keys(onScreen.draft.answers).length, 3, 'with all three answers');

  // What was stored before the quota ran out is still there after a reload.
  await page.evaluate(() => { for (const k of Object.keys(localStorage)) if (k.startsWith('filler.')) localStorage.removeItem(k); });
  await page.reload();
  await page.getByText('Раздел 1 из 10').waitFor();
  assert.ok(await items.nth(0).getByLabel('Владею уверенно', { exact: true }).isChecked());
  assert.ok(await items.nth(1).getByLabel('Не владею', { exact: true }).isChecked());
  await context.close();
});

test('a corrupt entry is set aside and reported, and the app goes on working', async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await login(page, server.url, 'antonovka.t2');
  // The first sync reads the draft too: corrupting it before that ends would have the entry set
  // aside (and reported) before the reload below, which then has nothing left to find.
  await page.getByTestId('last-sync').getByText('Синхронизировано:').waitFor();
  const key = await page.evaluate(() => {
    const user = JSON.parse(localStorage.getItem('opora.session')).user.id;
    const key = `opora.u.${user}.draft.self-diagnosis`;
    localStorage.setItem(key, '{"submission_id": "half-written');
    return key;
  });
  await page.reload();
  await page.getByRole('link', { name: /самодиагностику/ }).click();
  await page.getByText('Повреждённые записи в памяти браузера отложены').waitFor();
  await page.getByLabel('География', { exact: true }).check();
  await page.getByRole('button', { name: 'Начать' }).click();
  await page.getByText('Раздел 1 из 10').waitFor();
  const kept = await page.evaluate((key) => [localStorage.getItem(`opora.corrupt.${key}`), localStorage.getItem(key)], key);
  assert.equal(kept[0], '{"submission_id": "half-written', 'the unreadable text is kept aside, not deleted');
  assert.ok(JSON.parse(kept[1]).draft.subject === 'geography', 'a fresh draft took its place');
  await context.close();
});

test('on a shared computer each teacher sends only her own work, and logging out with unsent work warns', async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await login(page, server.url, 'bolgar.t1');
  await waitForServiceWorker(page);
  await context.setOffline(true);
  const [hers] = await queueSubmissions(page, 1);
  await page.reload();
  await page.getByText('Ожидают отправки: 1 запись').waitFor();

  let warning = '';
  page.once('dialog', (d) => { warning = d.message(); d.accept(); });
  await page.getByRole('button', { name: 'Выйти' }).click();
  assert.match(warning, /неотправленные данные \(1\)/);
  await page.waitForURL('**/login');

  // A colleague logs in on the same browser: the first teacher's work is not hers to send.
  await context.setOffline(false);
  await login(page, server.url, 'bolgar.t2');
  await page.getByText('Всё отправлено').waitFor();
  assert.ok(!(await serverSubmissions(server.url, 'bolgar.t2')).includes(hers));
  assert.ok(!(await serverSubmissions(server.url, 'bolgar.t1')).includes(hers), 'still waiting on the device');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Выйти' }).click();

  // The first teacher comes back: her queued work goes out under her name.
  await login(page, server.url, 'bolgar.t1');
  await page.getByText('Всё отправлено').waitFor({ timeout: 30_000 });
  assert.ok((await serverSubmissions(server.url, 'bolgar.t1')).includes(hers));
  await context.close();
});
