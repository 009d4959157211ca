// School reports end to end: the department opens a collection; the principal fills the indicator
// card over two sessions, the second offline, with the seeds' own typing quirks, submits and syncs;
// a second device of the school edits another field while the first edits one too; both changes
// survive, and the department sees the sent card and its amendment side by side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, login, waitForServiceWorker, screenshot, ROOT, DESKTOP, PHONE } from './harness.mjs';

// Бураковская СОШ's card as seed 000 gives it (the demo's 2018-2019 values), typed into a new period.
// The card of today (v3) does not ask for last year's result again: it shows 2018-2019's card beside.
const CARD = JSON.parse(readFileSync(path.join(ROOT, 'data/demo/indicator-cards.json'), 'utf8')).cards.burakovo;
const FIELDS = Object.keys(CARD).filter((id) => !id.endsWith('.previous'));
const FIRST_SESSION = FIELDS.slice(0, 14);
const SECOND_SESSION = FIELDS.slice(14);
const REPORT = '/reports/indicator-card/2019-2020';

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

const field = (page, id) => page.locator(`[data-field="${id}"]`).locator('input, textarea');

async function type(page, id, value) {
  const input = field(page, id);
  await input.fill(value);
  // Leaving the field queues the edit, as it does when she tabs on.
  await input.blur();
}

async function allSent(page) {
  await page.getByTestId('waiting').getByText('Всё отправлено').waitFor({ timeout: 20_000 });
}

test('a principal fills the indicator card over two sessions, one offline; two devices edit it; nothing is lost', async () => {
  // The department opens the collection with a deadline.
  const department = await (await browser.newContext(DESKTOP)).newPage();
  await login(department, server.url, 'spassk.otdel');
  await department.goto(`${server.url}/department`);
  await department.getByRole('heading', { name: 'Сбор отчётов школ' }).waitFor();
  await department.locator('select[name="campaign-form"]').selectOption('indicator-card');
  await department.locator('input[name="campaign-period"]').fill('2019-2020');
  await department.locator('input[name="campaign-deadline"]').fill('2030-05-31');
  await department.getByRole('button', { name: 'Открыть сбор', exact: true }).click();
  const campaignRow = department.locator('tr[data-row="indicator-card 2019-2020"]');
  await campaignRow.waitFor();
  assert.equal(await campaignRow.getByTestId('submitted').textContent(), '0 из 6');

  // Session 1, online: the principal sees what is due and starts the card.
  const office = await browser.newContext(DESKTOP);
  const a = await office.newPage();
  await login(a, server.url, 'burakovo.director');
  await a.getByRole('link', { name: 'Отчёты школы' }).click();
  const due = a.locator('[data-testid="due"] tr[data-row="indicator-card 2019-2020"]');
  assert.equal(await due.getByTestId('standing').textContent(), 'ожидается');
  await due.getByRole('button', { name: 'Начать' }).click();
  await a.getByRole('heading', { name: 'Карта показателей школы с целевыми значениями' }).waitFor();
  await waitForServiceWorker(a);
  // Last year's result is the school's 2018-2019 card, shown beside the criterion and not typed again.
  const lastYear = a.locator('tr#section-c3 [data-testid="previous-period"]');
  // The seed's «63» is points, said as Russian says it after that figure.
  assert.match(await lastYear.textContent(), new RegExp(`2018-2019: ${CARD['c3.current']} балла$`));
  assert.equal(await lastYear.locator('input').count(), 0, 'read-only');

  // The seeds' own quirks: a doubled percent sign is read, an impossible score is explained
  // next to the field and kept as typed, a negative count is refused.
  await type(a, 'c1.current', '9%%');
  assert.equal(await a.locator('[data-field="c1.current"] [role="alert"]').count(), 0, '«9%%» is 9 %');
  await type(a, 'c5.target', 'Более 670 баллов');
  await a.locator('[data-field="c5.target"] [role="alert"]').waitFor();
  assert.equal(await field(a, 'c5.target').inputValue(), 'Более 670 баллов', 'what she typed stays');
  await type(a, 'c1.count', '-1');
  await a.locator('[data-field="c1.count"] [role="alert"]').getByText('не может быть отрицательным').waitFor();

  for (const id of FIRST_SESSION) await type(a, id, CARD[id]);
  await allSent(a);
  await screenshot(a, 'report-first-session');

  // Session 2, days later, offline: the page opens from the service worker with everything typed.
  await office.setOffline(true);
  await a.reload();
  await a.getByText('Нет сети', { exact: true }).waitFor();
  for (const id of FIRST_SESSION) assert.equal(await field(a, id).inputValue(), CARD[id], `${id} survived`);
  for (const id of SECOND_SESSION) await type(a, id, CARD[id]);
  await a.getByRole('button', { name: 'Проверить и отправить' }).click();
  await a.getByTestId('review').getByText('Ошибок нет').waitFor();
  await a.getByRole('button', { name: 'Отправить в отдел образования' }).click();
  await a.getByTestId('waiting').getByText(/Ожидают отправки: 1/).waitFor();
  // A reload while offline loses nothing: the queued submission is still there.
  await a.reload();
  await a.getByTestId('waiting').getByText(/Ожидают отправки: 1/).waitFor();
  await office.setOffline(false);
  await allSent(a);
  await a.getByTestId('report-status').getByText('отправлен в отдел образования').waitFor();

  // A second device of the school (the deputy's computer, same account) changes another field
  // while the first changes one too, each from the same revision.
  const b = await (await browser.newContext(DESKTOP)).newPage();
  await login(b, server.url, 'burakovo.director');
  await b.goto(`${server.url}${REPORT}`);
  await b.getByTestId('report-status').getByText('отправлен в отдел образования').waitFor();
  assert.equal(await field(b, 'c11.current').inputValue(), CARD['c11.current'], 'the sent card reached the second device');
  // A sent card opens closed; changing it is asked first, since it makes a new version.
  for (const device of [a, b]) {
    assert.equal(await field(device, 'c1.current').isDisabled(), true, 'a sent report is not changed by accident');
    await device.getByRole('button', { name: 'Изменить отчёт' }).click();
    await device.getByText('станет новой версией').waitFor();
    await device.getByRole('button', { name: 'Да, изменить' }).click();
  }
  await office.setOffline(true);
  await type(a, 'c1.current', '3 %');
  await type(b, 'c8.current', '95 %');
  await allSent(b);
  await office.setOffline(false);
  await a.getByRole('button', { name: 'Синхронизировать' }).click();
  await allSent(a);
  // Both changes, on both devices.
  await a.getByTestId('report-status').getByText('изменён после отправки').waitFor();
  await a.waitForFunction(() => document.querySelector('[data-field="c8.current"] input').value === '95 %');
  assert.equal(await field(a, 'c1.current').inputValue(), '3 %');
  await b.getByRole('button', { name: 'Синхронизировать' }).click();
  await b.waitForFunction(() => document.querySelector('[data-field="c1.current"] input').value === '3 %');
  assert.equal(await field(b, 'c8.current').inputValue(), '95 %');
  const conflicts = a.getByTestId('conflicts');
  assert.equal(await conflicts.count(), 0, `different fields: nothing to resolve, but: ${await conflicts.allTextContents()}`);

  // The amendment is sent; the department sees the card and the amendment side by side.
  await b.getByRole('button', { name: 'Проверить и отправить' }).click();
  await b.getByRole('button', { name: 'Отправить в отдел образования' }).click();
  await allSent(b);
  await department.getByRole('button', { name: 'Обновить', exact: true }).nth(1).click();
  await campaignRow.getByTestId('submitted').getByText('1 из 6').waitFor();
  await campaignRow.getByRole('button', { name: 'Открыть' }).click();
  const school = department.locator('tr[data-row="Бураковская СОШ"]');
  assert.equal(await school.getByTestId('standing').textContent(), 'сдан');
  await school.getByRole('button', { name: 'Смотреть' }).click();
  const sent = department.getByTestId('sent-report');
  const cells = async (id) => sent.locator(`tr[data-row="${id}"] td`).allTextContents();
  await sent.locator('tr[data-row="c8.current"]').waitFor();
  assert.deepEqual(await cells('c1.current'), ['Текущий результат', '9', '3 %']);
  assert.deepEqual(await cells('c8.current'), ['Текущий результат', CARD['c8.current'], '95 %']);
  assert.deepEqual(await cells('c3.current'), ['Текущий результат', CARD['c3.current'], CARD['c3.current']]);
  assert.equal(await sent.locator('tr[data-row="c1.current"] td.changed').count(), 1);
  await screenshot(department, 'department-sent-report');
});

test("a teacher's phone never downloads the office pages; a principal's computer switches to them at login", async () => {
  const requested = (page) => {
    const urls = [];
    page.on('request', (r) => urls.push(new URL(r.url()).pathname));
    return urls;
  };
  const teacher = await (await browser.newContext(PHONE)).newPage();
  const teacherUrls = requested(teacher);
  await login(teacher, server.url, 'burakovo.t1');
  await waitForServiceWorker(teacher);
  await teacher.getByRole('link', { name: 'Пройти самодиагностику' }).waitFor();
  assert.ok(teacherUrls.some((u) => /^\/app-[0-9a-f]+_bg\.wasm$/.test(u)), 'the teacher bundle');
  assert.deepEqual(teacherUrls.filter((u) => u.startsWith('/office-')), [], 'nothing of the office bundle');

  const principal = await (await browser.newContext(DESKTOP)).newPage();
  const principalUrls = requested(principal);
  await login(principal, server.url, 'burakovo.director');
  await principal.getByRole('link', { name: 'Отчёты школы' }).waitFor();
  assert.ok(principalUrls.some((u) => /^\/office-[0-9a-f]+_bg\.wasm$/.test(u)), 'the office bundle after login');
});

test('a new quarter of the roadmap starts from the last one; rows are added and marked', async () => {
  const page = await (await browser.newContext(DESKTOP)).newPage();
  await login(page, server.url, 'burakovo.director');
  await page.getByRole('link', { name: 'Отчёты школы' }).waitFor();
  await page.goto(`${server.url}/reports/roadmap/2019-Q3`);
  await page.getByRole('heading', { name: 'План мероприятий (дорожная карта) и его исполнение' }).waitFor();
  // Seed 000's 17 measures came over from 2019-Q2 with their deadlines; the marks did not.
  const rows = page.locator('fieldset.table-row');
  assert.equal(await rows.count(), 17);
  assert.match(await field(page, 'measure#1').inputValue(), /^Утверждение порядка определения школ/);
  assert.equal(await field(page, 'deadline#1').inputValue(), 'Август 2018');
  assert.equal(await field(page, 'progress#1').inputValue(), '');
  // A mark, and a new measure in a new row.
  await type(page, 'progress#1', 'Выполнено. Приказ № 512 от 02.09.2019');
  await page.getByRole('button', { name: 'Добавить строку' }).click();
  await rows.nth(17).waitFor();
  await type(page, 'measure#18', 'Методический день для учителей математики');
  await type(page, 'deadline#18', 'Сентябрь 2019');
  await type(page, 'responsible#18', 'Заместитель директора по УВР');
  await allSent(page);
  // The server has the quarter's report with the carried plan, the mark and the new row.
  const stored = await page.evaluate(async () => {
    const { token } = JSON.parse(localStorage.getItem('opora.session'));
    const body = { protocol: 1, device: crypto.randomUUID(), push: [], cursor: 0, pull_limit: 500 };
    const res = await fetch('/api/sync', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const reports = (await res.json()).pulled.filter((p) => p.type === 'report').map((p) => p.report);
    return reports.find((r) => r.key.form === 'roadmap' && r.key.period === '2019-Q3');
  });
  assert.ok(stored, 'the 2019-Q3 roadmap is on the server');
  assert.equal(stored.fields['progress#1'], 'Выполнено. Приказ № 512 от 02.09.2019');
  assert.equal(stored.fields['measure#18'], 'Методический день для учителей математики');
  assert.equal(stored.fields['deadline#17'], 'В течение 2018-2019 уч. года');
});
