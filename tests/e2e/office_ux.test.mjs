// The office pages as the principal and the department read them, at a desk (1280×800) and on a
// phone (360×740): nothing sticks out of its box except the tables meant to scroll, every link
// and button is big enough for a thumb, the text is Russian, chart bars are as long as their
// values say, the status line says one thing. Screenshots of every page at both sizes go to
// artifacts/. The аналитическая справка prints on A4 within the printable width, and the XLSX
// carries its heat map, percent formats, frozen header and column widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { startServer, launchBrowser, login, screenshot, queueSubmissions, PHONE, DEMO_PASSWORD, ARTIFACTS } from './harness.mjs';
import { layoutProblems } from './layout.mjs';

const DESK = { viewport: { width: 1280, height: 800 }, locale: 'ru-RU' };
const SIZES = [['desk', DESK], ['phone', PHONE]];

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // What the principal owes: a report not started, one sent, a quarter's plan overdue.
  const { token } = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'spassk.otdel', password: DEMO_PASSWORD }),
  }).then((r) => r.json());
  for (const [form, period, deadline] of [['indicator-card', '2021-2022', '2030-06-01'], ['indicator-card', '2018-2019', '2030-06-01'], ['roadmap', '2026-Q3', '2026-10-10']]) {
    const res = await fetch(`${server.url}/api/department/campaigns`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ form, period, deadline }),
    });
    assert.ok(res.ok, `campaign ${form} ${period}: ${res.status} ${await res.text()}`);
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Chart bars as long as their values, target lines where the targets are (read from the DOM). */
async function chartProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    for (const figure of document.querySelectorAll('figure.chart')) {
      const target = figure.dataset.target === undefined ? null : Number(figure.dataset.target);
      for (const row of figure.querySelectorAll('.chart-row')) {
        const track = row.querySelector('.chart-track').getBoundingClientRect();
        const bar = row.querySelector('.chart-bar').getBoundingClientRect();
        const value = Math.min(1, Math.max(0, Number(row.dataset.value)));
        if (Math.abs(bar.width / track.width - value) > 0.01) problems.push(`bar ${bar.width}/${track.width} for ${value}`);
        if (bar.left < track.left - 0.5) problems.push('a bar starts outside its track');
        if (target !== null) {
          const line = row.querySelector('.chart-target').getBoundingClientRect();
          if (Math.abs((line.left - track.left) / track.width - target) > 0.01) problems.push(`target line at ${(line.left - track.left) / track.width} for ${target}`);
        }
        const label = row.querySelector('.chart-label');
        if (label.scrollWidth > label.clientWidth + 1) problems.push(`a label is cut: ${label.textContent}`);
        if (parseFloat(getComputedStyle(label).fontSize) < 12) problems.push(`a label too small to read: ${label.textContent}`);
      }
    }
    return problems;
  });
}

/** The status line says one thing: at most one state pill, and never «all sent» beside a doubt. */
async function statusProblems(page) {
  const status = page.getByTestId('status');
  if (!(await status.count())) return ['no status line'];
  const pills = await status.getByTestId('state').count();
  const text = await status.innerText();
  const problems = [];
  if (pills > 1) problems.push(`${pills} states at once: ${text}`);
  if (/Всё отправлено/.test(text) && /Нет сети|Нет связи|Ещё не синхронизировано|Ожидают|Не принято/.test(text)) problems.push(`contradicts itself: ${text}`);
  return problems;
}

async function check(page, name, size) {
  await page.waitForTimeout(300); // let the last fetch settle into the page
  await screenshot(page, `office-${name}-${size}`);
  const problems = [
    ...(await layoutProblems(page, { phone: size === 'phone' })),
    ...(await chartProblems(page)),
    ...(await statusProblems(page)),
  ];
  assert.deepEqual(problems, [], `${name} (${size})`);
}

for (const [size, viewport] of SIZES) {
  test(`the principal's pages fit, read in Russian and say each report's state (${size})`, async () => {
    const page = await (await browser.newContext(viewport)).newPage();
    await login(page, server.url, 'burakovo.director');
    await page.goto(`${server.url}/reports`);
    await page.getByRole('heading', { name: 'Отчёты школы' }).waitFor();
    // The demo's sent reports: a state in words and colour, never a grey «ревизия».
    const sentBadge = page.locator('[data-testid="reports"] .badge.state-sent').first();
    await sentBadge.waitFor({ timeout: 20_000 });
    assert.equal(await sentBadge.textContent(), 'отправлен');
    // What she owes: every campaign's state and its button in sight, on a phone as at a desk.
    const due = page.getByTestId('due');
    await due.locator('tr[data-row="indicator-card 2021-2022"]').waitFor({ timeout: 20_000 });
    for (const tr of await due.locator('tbody tr').all()) {
      for (const el of [tr.getByTestId('standing'), tr.getByRole('button')]) {
        const box = await el.boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= viewport.viewport.width + 1,
          `${await tr.getAttribute('data-row')}: «${await el.innerText()}» in sight (${JSON.stringify(box)})`);
      }
    }
    await due.locator('tr[data-row="indicator-card 2021-2022"]').getByRole('button', { name: 'Начать' }).waitFor();
    assert.match(await due.locator('tr[data-row="roadmap 2026-Q3"]').innerText(), /III квартал 2026/);
    assert.match(await page.getByTestId('reports').innerText(), /II квартал 2026/, 'her plans by quarter, in words');
    await check(page, 'reports', size);

    // A report on the server, changed after it was sent: its state in words that wrap on a phone,
    // last year's figure with its unit, a shared hint said once, the status line in sight.
    const changed = size === 'phone' ? '2024-2025' : '2025-2026';
    await page.goto(`${server.url}/reports/indicator-card/${changed}`);
    await page.getByTestId('sent-lock').waitFor();
    await page.getByRole('button', { name: 'Изменить отчёт' }).click();
    await page.getByRole('button', { name: 'Да, изменить' }).click();
    const c2 = page.locator('[data-field="c2.current"] input');
    await c2.fill('0,5');
    await c2.press('Tab');
    await page.getByTestId('report-status').getByText('изменён после отправки — отправьте новую версию').waitFor({ timeout: 20_000 });
    const previous = await page.locator('tr#section-c1 [data-testid="previous-period"]').innerText();
    assert.match(previous, /\d{4}-\d{4}: [\d,]+ %$/, `last year's figure with its unit: ${previous}`);
    const hintShown = await page.evaluate(() => [...document.querySelectorAll('.hint')]
      .filter((h) => h.getBoundingClientRect().height > 0 && h.textContent.includes('Поставьте «–»')).length);
    assert.equal(hintShown, 1, 'the hint the criteria share is said once');
    const length = await page.evaluate(() => document.documentElement.scrollHeight);
    console.log(`report editor (${size}): ${length} px long`);
    if (size === 'phone') assert.ok(length < 4600, `the editor is ${length} px long on a phone`);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(200);
    const statusBox = await page.getByTestId('status').boundingBox();
    assert.ok(statusBox.y >= -1 && statusBox.y + statusBox.height <= viewport.viewport.height, `the status line in sight at the page's foot: ${JSON.stringify(statusBox)}`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await check(page, 'report-changed', size);

    // The roadmap editor names its quarter in words.
    await page.goto(`${server.url}/reports/roadmap/2026-Q2`);
    await page.getByText('Период: II квартал 2026').waitFor();
    await check(page, 'roadmap-editor', size);

    // A sent report opens closed, saying so; changing it is asked first.
    await page.goto(`${server.url}/reports/indicator-card/2018-2019`);
    await page.getByTestId('sent-lock').waitFor();
    assert.equal(await page.locator('[data-field="c1.current"] input').isDisabled(), true);
    await check(page, 'report-sent', size);

    // A new report: the card's criteria are a table (a row per criterion), a card per row on a phone.
    await page.goto(`${server.url}/reports/indicator-card/2021-2022`);
    const grid = page.locator('table.form-grid');
    await grid.waitFor();
    assert.equal(await grid.locator('tbody tr').count(), 11, 'a row per criterion');
    assert.deepEqual(await grid.locator('thead th').evaluateAll((ths) => ths.map((th) => th.firstChild.textContent)),
      ['Критерий', 'Число выпускников без аттестата', 'Текущий результат', 'Результат прошлого года', 'Ожидаемый результат']);
    const rowDisplay = await grid.locator('tbody tr').first().evaluate((tr) => getComputedStyle(tr).display);
    assert.equal(rowDisplay, size === 'phone' ? 'block' : 'table-row');
    // Units and optional marks from the form; hints under their labels, not run into them.
    const c1 = page.locator('[data-field="c1.current"]');
    assert.equal(await c1.locator('.unit').textContent(), '%');
    assert.match(await page.locator('[data-field="c1.count"] .field-label').textContent(), /\(необязательно\)$/);
    // Last year's result is read from the school's own card of 2020-2021, which it never sent.
    assert.match(await page.locator('tr#section-c1 [data-testid="previous-period"]').textContent(), /нет отчёта за 2020-2021$/);
    // A hint every criterion shares: under its column's heading on a desk, once above the cards on a phone.
    assert.equal(await c1.locator('.hint').count(), 0, 'no shared hint repeated in a cell');
    if (size === 'phone') assert.match(await page.getByTestId('column-hints').innerText(), /Текущий результат: Поставьте «–»/);
    else assert.match(await grid.locator('thead th').nth(2).locator('.hint').textContent(), /^Поставьте «–»/, 'a shared hint under its column heading');
    // A text field has a counter.
    await page.locator('[data-field="c9.current"]').getByTestId('counter').waitFor();
    await check(page, 'report-editor', size);

    // The review names the criterion of each problem and links to its field.
    await page.getByRole('button', { name: 'Проверить и отправить' }).click();
    const review = page.getByTestId('review');
    const first = review.getByRole('link', { name: /^1\. Доля выпускников 9 классов, не получивших аттестат — Текущий результат$/ });
    await first.waitFor();
    await check(page, 'report-review', size);
    await first.click();
    assert.equal(new URL(page.url()).hash, '#field-c1.current');
  });

  test(`the department's pages use the desk, tell the truth in charts and print a справка (${size})`, async () => {
    const context = await browser.newContext({ ...viewport, acceptDownloads: true });
    const page = await context.newPage();
    await login(page, server.url, 'spassk.otdel');
    await page.goto(`${server.url}/department`);
    await page.locator('[data-testid="overview"]').waitFor();
    await page.getByTestId('status').getByText('Всё отправлено').waitFor({ timeout: 20_000 });
    await check(page, 'department', size);
    if (size === 'desk') {
      const width = await page.locator('main').evaluate((m) => m.getBoundingClientRect().width);
      assert.ok(width >= 1200, `the department's page uses the desk: main is ${width} px wide`);
    }

    // A campaign for the demo's sent indicator cards, its schools and one school's report.
    const period = '2018-2019';
    await page.getByTestId('campaigns').or(page.getByText('Отдел образования пока не открыл')).first().waitFor();
    await page.waitForTimeout(500);
    const row = page.locator(`[data-testid="campaigns"] tr[data-row="indicator-card ${period}"]`);
    if (!(await row.count())) {
      await page.locator('select[name="campaign-form"]').selectOption('indicator-card');
      await page.locator('input[name="campaign-period"]').fill(period);
      await page.locator('input[name="campaign-deadline"]').fill('2030-06-01');
      await page.getByRole('button', { name: 'Открыть сбор' }).click();
    }
    await row.getByRole('button', { name: 'Открыть' }).click();
    const schools = page.getByTestId('campaign-schools');
    await schools.waitFor();
    await check(page, 'campaign', size);
    await schools.getByRole('button', { name: 'Смотреть' }).first().click();
    const sent = page.getByTestId('sent-report');
    await sent.waitFor();
    // A sent value is in sight, not past the table's edge.
    const cell = sent.locator('tr[data-row="c1.current"] td').nth(1);
    const [box, wrap] = [await cell.boundingBox(), await page.locator('.table-wrap').first().boundingBox()];
    assert.ok(box.x + box.width <= wrap.x + wrap.width + 1, 'the sent value is within the visible table');
    await check(page, 'sent-report', size);

    // Analytics, with its charts, and the справка.
    await page.goto(`${server.url}/department/analytics`);
    await page.getByTestId('charts').locator('.chart-row').first().waitFor();
    await page.locator('[data-view="11"]').waitFor();
    // Shares as percentages everywhere; an empty group's target is not «met».
    const total = await page.locator('[data-view="0"] tbody tr').first().locator('td').allTextContents();
    assert.match(total[3], /^\d+(,\d)? %$/);
    // The membership form's placeholders read as examples, in a placeholder's colour.
    const basis = page.locator('input[name="membership-basis"]');
    await basis.waitFor();
    assert.match(await basis.getAttribute('placeholder'), /^например, /);
    assert.equal(await page.locator('input[name="membership-date"]').getAttribute('placeholder'), 'дд.мм.гггг');
    const [placeholderColour, textColour] = await basis.evaluate((el) => [getComputedStyle(el, '::placeholder').color, getComputedStyle(el).color]);
    assert.notEqual(placeholderColour, textColour, 'a placeholder does not look typed');
    await check(page, 'analytics', size);
    for (const [group, label] of [['unfavourable', 'ШФНСУ']]) {
      await page.goto(`${server.url}/department/analytics?group=${group}`);
      await page.locator('[data-view="0"] tbody tr').first().waitFor();
      const first = await page.locator('[data-view="0"] tbody tr').first().locator('td').allTextContents();
      if (first[1] === '0') assert.notEqual(first[5], 'да', `${label}: no teachers, no target met`);
      await check(page, `analytics-${group}`, size);
    }

    if (size === 'desk') {
      await page.goto(`${server.url}/department/analytics`);
      await page.locator('[data-view="11"]').waitFor();
      await spravkaPrints(page);
      await xlsxIsStyled(page);
    }
    await context.close();
  });
}

/** The справка as Chromium prints it: A4 pages, every table within the printable width. */
async function spravkaPrints(page) {
  await page.emulateMedia({ media: 'print' });
  // A4 less the page's 12 mm side margins, in CSS pixels: what a table must fit in.
  const printable = Math.floor(((210 - 24) / 25.4) * 96);
  await page.setViewportSize({ width: printable, height: 1100 });
  await page.getByTestId('doc-head').waitFor();
  const head = await page.getByTestId('doc-head').innerText();
  assert.match(head, /Аналитическая справка/);
  assert.match(head, /Спасский муниципальный район/);
  // The year shown and the year it is compared with, not three periods of different things.
  assert.match(head, /Период: \d{4}-\d{4} учебный год в сравнении с \d{4}-\d{4} учебным годом/);
  assert.match(head, /Дата: \d{1,2} [а-я]+ \d{4}/);
  const tooWide = await page.evaluate((limit) => [...document.querySelectorAll('table')]
    .map((t) => ({ right: t.getBoundingClientRect().right, title: t.closest('.card')?.querySelector('h2')?.textContent }))
    .filter((t) => t.right > limit + 1), printable);
  assert.deepEqual(tooWide, [], 'every table fits the printable width');
  assert.deepEqual(await layoutProblems(page, { print: true }), [], 'the справка as printed');
  // A section's heading goes with the start of its table, never alone at a page's foot.
  const loose = await page.evaluate(() => [...document.querySelectorAll('.card h2')]
    .filter((h) => getComputedStyle(h).display !== 'none' && getComputedStyle(h).breakAfter !== 'avoid').map((h) => h.textContent));
  assert.deepEqual(loose, [], 'headings kept with what follows');
  const numbered = await page.locator('.card:not(.no-print) h2').allTextContents();
  assert.ok(numbered.length >= 12 && numbered.every((h, i) => h.startsWith(`${i + 1}. `)), numbered.join(' | '));
  await screenshot(page, 'office-spravka-print');
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  writeFileSync(path.join(ARTIFACTS, 'office-spravka-print.pdf'), pdf);
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const boxes = [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.ok(boxes.length >= 2, 'the справка runs to several pages');
  for (const [w, h] of boxes) assert.ok(Math.abs(w - 595.3) < 2 && Math.abs(h - 841.9) < 2, `an A4 page, not ${w}×${h}`);
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize(DESK.viewport);
}

/** The workbook a specialist keeps: heat-map fills, percent formats, a frozen header, widths. */
async function xlsxIsStyled(page) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Скачать XLSX/ }).click()]);
  const zip = unzipSync(new Uint8Array(readFileSync(await file.path())));
  const styles = strFromU8(zip['xl/styles.xml']);
  const numFmts = Object.fromEntries([...styles.matchAll(/<numFmt numFmtId="(\d+)" formatCode="([^"]+)"/g)].map((m) => [m[1], m[2]]));
  const fills = [...styles.match(/<fills[^>]*>(.*?)<\/fills>/s)[1].matchAll(/<fill>(.*?)<\/fill>/gs)].map((m) => m[1].match(/fgColor rgb="FF([0-9A-F]{6})"/)?.[1] ?? null);
  const xfs = [...styles.match(/<cellXfs[^>]*>(.*?)<\/cellXfs>/s)[1].matchAll(/<xf ([^>]*?)\/?>/g)].map((m) => ({
    numFmt: m[1].match(/numFmtId="(\d+)"/)?.[1],
    fill: Number(m[1].match(/fillId="(\d+)"/)?.[1] ?? 0),
  }));
  const cellStyle = (sheet, ref) => {
    const xml = strFromU8(zip[`xl/worksheets/sheet${sheet}.xml`]);
    const s = xml.match(new RegExp(`<c r="${ref}"[^>]*?s="(\\d+)"`))?.[1];
    return s === undefined ? null : xfs[Number(s)];
  };
  // Sheet 1 (coverage): the share in D4 is a percentage.
  const share = cellStyle(1, 'D4');
  assert.ok(share && numFmts[share.numFmt] === '0.0%', `D4 is a percent: ${JSON.stringify(share)}`);
  // Sheet 9 (deficits by school): the first area's share is coloured as on screen.
  const deficits = strFromU8(zip['xl/worksheets/sheet9.xml']);
  const heat = cellStyle(9, 'D4');
  assert.ok(heat && ['F3F7FB', 'FDE9C8', 'F9C58D', 'F08A6A'].includes(fills[heat.fill]), `D4 has a heat-map fill: ${JSON.stringify(heat)} ${fills[heat?.fill]}`);
  assert.match(deficits, /<pane [^>]*ySplit="3"[^>]*state="frozen"/, 'the header rows are frozen');
  assert.match(deficits, /<col [^>]*width="[\d.]+"[^>]*customWidth="1"/, 'columns have widths');
}

test('loading says how much of the app has come, once; a principal\'s login fetches the office pages at once', async () => {
  // No service worker: its fetches would not be slowed down with the page's.
  const context = await browser.newContext({ ...PHONE, serviceWorkers: 'block' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 300, downloadThroughput: 60_000, uploadThroughput: 30_000 });
  await page.goto(`${server.url}/login`);
  await page.waitForFunction(() => {
    const bar = document.querySelector('#boot .boot-bar');
    return bar && !bar.hidden && bar.value > 0 && bar.value < 100;
  }, null, { timeout: 60_000 });
  assert.match(await page.locator('#boot').innerText(), /Загружено \d+ %[\s\S]*один раз/);
  await screenshot(page, 'office-boot-progress-phone');
  await page.getByLabel('Логин').waitFor({ timeout: 120_000 });
  await page.getByLabel('Логин').fill('burakovo.director');
  await page.getByLabel('Пароль').fill(JSON.parse(readFileSync(new URL('../../data/demo/organisations.json', import.meta.url))).password);
  await page.getByRole('button', { name: 'Войти' }).click();
  // The office bundle's download shows the same progress, over the login page.
  await page.waitForFunction(() => {
    const bar = document.querySelector('#app-loading .boot-bar');
    return bar && bar.value > 0 && bar.value < 100;
  }, null, { timeout: 60_000 });
  assert.match(await page.locator('#app-loading').innerText(), /руководителей[\s\S]*Загружено \d+ %[\s\S]*один раз/);
  await screenshot(page, 'office-prefetch-progress-phone');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.getByRole('link', { name: 'Отчёты школы' }).waitFor({ timeout: 120_000 });
  await context.close();
});

test("a teacher's home has no storage warning with nothing waiting; her result opens with a summary and her plan prints on one A4 page", async () => {
  const page = await (await browser.newContext(PHONE)).newPage();
  await login(page, server.url, 'antonovka.t1');
  // A finished self-diagnosis, queued as the app queues it; once it is sent nothing waits. Its
  // answers are the lowest everywhere: every area a deficit, the longest plan there is.
  const [id] = await queueSubmissions(page, 1, 'math');
  await page.evaluate((id) => {
    const user = JSON.parse(localStorage.getItem('opora.session')).user.id;
    for (const key of Object.keys(localStorage).filter((k) => k.startsWith(`opora.u.${user}.`))) {
      const value = JSON.parse(localStorage.getItem(key));
      const submission = value.submission;
      if (submission?.id !== id) continue;
      for (const item of Object.keys(submission.answers)) submission.answers[item] = 0;
      localStorage.setItem(key, JSON.stringify(value));
    }
  }, id);
  await page.reload();
  await page.getByTestId('status').getByText('Всё отправлено').waitFor({ timeout: 20_000 });
  const result = page.getByRole('link', { name: /^Самодиагностика от / }).first();
  await result.waitFor({ timeout: 20_000 });
  assert.equal(await page.getByText('Данные на этом устройстве').count(), 0, 'no storage card with nothing waiting');
  assert.equal(await page.getByText('не откладывайте отправку').count(), 0);
  await screenshot(page, 'teacher-home-phone');
  const [status, header] = await Promise.all([page.getByTestId('status').boundingBox(), page.locator('.topbar').boundingBox()]);
  assert.ok(status.height + header.height <= 740 / 5, `header and status take ${status.height + header.height} px of 740`);
  await result.click();
  const summary = page.getByTestId('summary');
  await summary.waitFor();
  assert.deepEqual((await summary.locator('.summary-line strong').allTextContents()).map((t) => t.trim()),
    ['Сильные стороны:', 'Зоны роста:', 'Дефициты:']);
  const folded = page.locator('details.plan-area');
  assert.ok((await folded.count()) > 0, 'topics folded per area');
  assert.equal(await page.locator('details.plan-area[open]').count(), 0);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(height < 3000, `the result page is ${height} px long`);
  assert.deepEqual(await layoutProblems(page, { phone: true }), []);
  await screenshot(page, 'teacher-result-phone');
  // «Мой план развития» on paper: every area open, one A4 page.
  await page.evaluate(() => document.querySelectorAll('details.plan-area').forEach((d) => { d.open = true; }));
  await page.emulateMedia({ media: 'print' });
  // Whose plan it is, on paper: name, school, subject, dates; type that reads (10 pt and more).
  const owner = await page.getByTestId('plan-owner').innerText();
  for (const [what, pattern] of [['name', /Педагог\s+\S+ \S+/], ['school', /Школа\s+\S+/], ['subject', /Предмет\s+Математика/], ['date', /Напечатано\s+\d{1,2} [а-я]+ \d{4}/]]) {
    assert.match(owner, pattern, `the printed plan names the ${what}: ${owner}`);
  }
  const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll('.my-plan li, .my-plan summary, .my-plan p')]
    .filter((e) => e.getBoundingClientRect().height > 0).map((e) => parseFloat(getComputedStyle(e).fontSize))));
  assert.ok(smallest >= (10 * 96) / 72 - 0.1, `the plan's smallest type is ${(smallest * 72) / 96} pt`);
  const pdfBytes = await page.pdf({ format: 'A4' });
  writeFileSync(path.join(ARTIFACTS, 'teacher-plan-print.pdf'), pdfBytes);
  const pdf = pdfBytes.toString('latin1');
  const pages = pdf.match(/\/Type\s*\/Page[^s]/g)?.length;
  assert.ok(pages <= 2, `the plan prints on ${pages} pages`);
});
