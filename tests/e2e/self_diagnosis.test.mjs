// The first whole story: a teacher's self-diagnosis, offline, synced, seen by the department.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, waitForServiceWorker, screenshot, selfDiagnosisForm, PHONE, DESKTOP } from './harness.mjs';

const SCALE = ['Не владею', 'Владею частично', 'Владею уверенно', 'Владею и могу научить других'];
const SUBJECT = { code: 'math', title: 'Математика' };

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

/** The answer the test gives to every item of the i-th area: 0, 1, 2, 3, 0, … */
const valueForArea = (i) => i % 4;

/** What the result page must show, computed here from the shipped form, not by the app. */
function expectedAreas() {
  const form = selfDiagnosisForm();
  const { deficit_below_percent: deficit, strength_from_percent: strength } = form.scoring;
  return form.sections.map((section, i) => {
    const percent = (valueForArea(i) * 100) / 3;
    const level = percent < deficit ? 'Дефицит' : percent >= strength ? 'Сильная сторона' : 'Зона роста';
    return { id: section.id, title: section.title, percent: `${percent.toFixed(1).replace('.', ',').replace(/,0$/, '')} %`, level };
  });
}

async function departmentCompleted(context, schoolName) {
  const page = await context.newPage();
  await login(page, server.url, 'spassk.otdel');
  await page.getByRole('link', { name: 'Самодиагностика педагогов по школам' }).click();
  // The stored copy of an earlier visit shows at once; read the row once the fresh one is in
  // (the overview's «Обновить» is «Обновляем…» until then).
  const overview = page.locator('.card', { has: page.getByRole('heading', { name: 'Самодиагностика педагогов', exact: true }) });
  await overview.getByRole('button', { name: 'Обновить', exact: true }).waitFor();
  const row = page.locator(`tr[data-row="${schoolName}"]`);
  await row.waitFor();
  const completed = Number(await row.locator('[data-testid="completed"]').textContent());
  const teachers = Number(await row.locator('[data-testid="teachers"]').textContent());
  await screenshot(page, 'department');
  await page.close();
  return { completed, teachers };
}

async function answerSection(page, areaIndex, { stopAfter } = {}) {
  const items = page.locator('.item');
  const count = await items.count();
  assert.ok(count > 0, `area ${areaIndex} shows questions`);
  const label = SCALE[valueForArea(areaIndex)];
  for (let i = 0; i < Math.min(count, stopAfter ?? count); i++) {
    await items.nth(i).getByLabel(label, { exact: true }).check();
  }
  return count;
}

test('a teacher completes her self-diagnosis offline, it syncs by itself and the department sees it', async () => {
  const deptContext = await browser.newContext(DESKTOP);
  const before = await departmentCompleted(deptContext, 'Бураковская СОШ');
  assert.deepEqual(before, { completed: 5, teachers: 6 }, 'demo data: five of six teachers have completed');

  const context = await browser.newContext(PHONE);
  const page = await context.newPage();

  // 1. She logs in online, once.
  await page.goto(server.url);
  await page.waitForURL('**/login');
  await login(page, server.url, 'burakovo.t1');

  // 2. She opens the self-diagnosis, picks her subject and starts answering.
  await page.getByRole('link', { name: 'Пройти самодиагностику' }).click();
  await page.getByLabel(SUBJECT.title, { exact: true }).check();
  await page.getByRole('button', { name: 'Начать' }).click();
  await page.getByText('Раздел 1 из 10').waitFor();
  const answeredBeforeReload = 3;
  await answerSection(page, 0, { stopAfter: answeredBeforeReload });

  // Closing the tab or losing power mid-way: a reload continues where she stopped.
  await page.reload();
  await page.getByText('Раздел 1 из 10').waitFor();
  const items = page.locator('.item');
  for (let i = 0; i < answeredBeforeReload; i++) {
    assert.ok(await items.nth(i).getByLabel(SCALE[0], { exact: true }).isChecked(), `answer ${i + 1} survived the reload`);
  }
  assert.equal(await items.nth(answeredBeforeReload).locator('input:checked').count(), 0);
  await waitForServiceWorker(page);

  // 3. The network goes away; the app notices and says so.
  await context.setOffline(true);
  await page.getByText('Нет сети', { exact: true }).waitFor();
  await page.getByText('Всё, что вы вводите, сохраняется на этом устройстве').waitFor();

  const expected = expectedAreas();
  await answerSection(page, 0);
  for (let area = 0; area < expected.length; area++) {
    if (area > 0) await answerSection(page, area);
    if (area === 4) {
      // A reload while offline: the service worker serves the app, the draft is still there.
      await page.reload();
      await page.getByText(`Раздел ${area + 1} из 10`).waitFor();
      assert.equal(await page.locator('.item input:checked').count(), await page.locator('.item').count());
    }
    const next = area + 1 === expected.length ? 'К проверке ответов' : 'Далее';
    await page.getByRole('button', { name: next }).click();
  }
  await page.getByText('Все обязательные вопросы отвечены').waitFor();
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 360, 'nothing overflows a 360-pixel screen');
  await page.getByRole('button', { name: 'Отправить' }).click();

  // 4. Her result at once, computed in the browser, while still offline.
  await page.getByRole('heading', { name: 'Результаты самодиагностики' }).waitFor();
  for (const area of expected) {
    const row = page.locator(`[data-area="${area.id}"]`);
    assert.equal(await row.locator('.area-title').textContent(), area.title);
    const text = await row.textContent();
    assert.ok(text.includes(area.percent), `${area.id}: expected ${area.percent} in «${text}»`);
    assert.ok(text.includes(area.level), `${area.id}: expected ${area.level} in «${text}»`);
  }
  const deficits = expected.filter((a) => a.level === 'Дефицит').length;
  assert.ok(deficits > 0);
  assert.ok((await page.getByRole('heading', { name: 'Мой план развития' }).count()) === 1);
  assert.ok((await page.locator('.plan li').count()) >= deficits, 'development topics for every deficit');
  await screenshot(page, 'result-offline');

  // 5. The submission waits in the outbox, also across an offline reload.
  await page.getByText('Ожидает отправки', { exact: true }).waitFor();
  await page.getByText('Ожидают отправки: 1 запись').waitFor();
  const resultUrl = page.url();
  await page.reload();
  await page.getByRole('heading', { name: 'Результаты самодиагностики' }).waitFor();
  await page.getByText('Ожидают отправки: 1 запись').waitFor();

  // The network returns: it syncs on its own, no reload, no button.
  await context.setOffline(false);
  await page.getByText('Всё отправлено').waitFor({ timeout: 15_000 });
  await page.getByText('Отправлено', { exact: true }).waitFor();
  assert.match(await page.getByTestId('last-sync').textContent(), /Синхронизировано: \d\d\.\d\d\.\d{4}/);
  assert.equal(page.url(), resultUrl);

  // Sending again (the button) never creates a second record.
  await page.getByRole('button', { name: 'Синхронизировать' }).click();
  await page.getByRole('button', { name: 'Синхронизировать' }).waitFor();

  // 6. The department account for her municipality sees the count go up by exactly one.
  const afterSync = await departmentCompleted(deptContext, 'Бураковская СОШ');
  assert.deepEqual(afterSync, { completed: 6, teachers: 6 });

  // She can come back to her result later, offline.
  await context.setOffline(true);
  await page.goto(server.url + '/');
  await page.getByRole('link', { name: /Самодиагностика от/ }).first().click();
  await page.getByRole('heading', { name: 'Результаты самодиагностики' }).waitFor();
  await context.close();
  await deptContext.close();
});

test('after one online visit the app starts with the network off and is installable', async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await login(page, server.url, 'burakovo.t2');
  await waitForServiceWorker(page);
  const manifest = await page.evaluate(async () => {
    const href = document.querySelector('link[rel=manifest]').href;
    return (await fetch(href)).json();
  });
  assert.equal(manifest.lang, 'ru');
  assert.equal(manifest.display, 'standalone');
  assert.ok(manifest.icons.some((i) => i.sizes === '512x512'));

  await context.setOffline(true);
  // A cold start of another page of the app, with no network at all.
  const fresh = await context.newPage();
  await fresh.goto(server.url + '/self-diagnosis');
  await fresh.getByText('Нет сети', { exact: true }).waitFor();
  await fresh.getByText('Какой предмет вы преподаёте?').waitFor();
  await screenshot(fresh, 'offline-start');
  await context.close();
});
