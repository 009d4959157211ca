// Periods end to end (issue 11): the department switches the academic year and the comparison
// year, and the figures, the membership of the year, the programme's target checks and «нет
// отчёта» follow; the CSV and the XLSX carry the periods (the test reads the downloads).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { startServer, launchBrowser, login, screenshot, DESKTOP, ARTIFACTS } from './harness.mjs';
import path from 'node:path';

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

async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

/** Every text cell of the workbook's sheet named `name`. */
function xlsxTexts(bytes, name) {
  const zip = unzipSync(new Uint8Array(bytes));
  const shared = [...strFromU8(zip['xl/sharedStrings.xml']).matchAll(/<si>(.*?)<\/si>/gs)]
    .map((m) => [...m[1].matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map((t) => t[1]).join(''));
  const names = [...strFromU8(zip['xl/workbook.xml']).matchAll(/<sheet name="([^"]+)"/g)].map((m) => m[1]);
  const xml = strFromU8(zip[`xl/worksheets/sheet${names.indexOf(name) + 1}.xml`]);
  return [...xml.matchAll(/<c r="[A-Z]+\d+"[^>]*t="s"[^>]*>\s*<v>(\d+)<\/v>/gs)].map((m) => shared[Number(m[1])]);
}

const DYNAMICS = '[data-view="5"]';
const IDENTIFICATION = '[data-view="6"]';
const ROADMAPS = '[data-view="7"]';
const TARGETS = '[data-view="4"]';

test('the department switches the year: figures, membership, target checks and «нет отчёта» follow, and the exports carry the periods', async () => {
  const context = await browser.newContext({ ...DESKTOP, acceptDownloads: true });
  const page = await context.newPage();
  await login(page, server.url, 'spassk.otdel');
  await page.getByRole('link', { name: 'Аналитика' }).click();
  const years = page.getByTestId('years');
  await years.waitFor();

  // By default the latest year with cards, 2025-2026, against the one before, with that year's membership.
  assert.equal(await years.locator('.primary').textContent(), '2025-2026');
  await page.getByTestId('membership-year').getByText('на 2025-2026 учебный год, по приказам отдела').waitFor();
  await page.getByTestId('groups').getByText('5 = 3 + 1 + 1').waitFor();
  const kuznechikha = page.locator(`${DYNAMICS} tr`, { hasText: 'Кузнецкихинская ООШ' });
  await kuznechikha.first().getByText('нет отчёта').waitFor();
  assert.equal(await kuznechikha.count(), 1, 'one line saying there is no report, no older figures');
  assert.equal(await kuznechikha.locator('td').count(), 1, 'one cell across the criteria, no figures');
  assert.equal(
    await page.getByTestId('dynamics-periods').textContent(),
    'Текущее значение за 2025-2026; направление — против 2024-2025.',
  );
  // The programme's targets, every year: a year without results says so, never «да».
  const noData = page.locator(`${TARGETS} tr`, { hasText: '2021-2022' }).first();
  await noData.getByText('нет данных').first().waitFor();
  const judged = await page.locator(`${TARGETS} tr`, { hasText: '2024-2025' }).first().locator('td').allTextContents();
  assert.ok(['да', 'нет'].includes(judged.at(-1)), judged.join(' | '));
  await page.getByTestId('membership').getByText('Состав программы на 2025-2026 учебный год').waitFor();
  await page.getByTestId('proposals').getByText('Кимовская СОШ').waitFor();
  // The checklist and the plans of 2025-2026, each saying its period; none sent that year: «нет отчёта».
  await page.locator(IDENTIFICATION).getByText('перечень критериев — за 2025-2026').waitFor();
  const polyanka = page.locator(`${IDENTIFICATION} tr`, { hasText: 'Полянская СОШ' });
  assert.equal(await polyanka.getByText('Отмечено 3 из 6').count(), 0, 'one criterion in 2025-2026: no flag');
  await page.locator(`${IDENTIFICATION} tr`, { hasText: 'Антоновская СОШ' }).getByText('нет отчёта').first().waitFor();
  const antonovkaPlan = page.locator(`${ROADMAPS} tr`, { hasText: 'Антоновская СОШ' });
  await antonovkaPlan.getByText('нет отчёта за 2025-2026').waitFor();
  await page.locator(`${ROADMAPS} tr`, { hasText: 'Бураковская СОШ' }).getByText('II квартал 2026').waitFor();
  await screenshot(page, 'periods-2025-2026');
  await page.locator(IDENTIFICATION).screenshot({ path: path.join(ARTIFACTS, 'periods-identification-2025-2026.png') });
  await page.locator(ROADMAPS).screenshot({ path: path.join(ARTIFACTS, 'periods-roadmaps-2025-2026.png') });

  // The year before: six schools in the programme, Кузнецкихинская has its card.
  await years.getByRole('link', { name: '2024-2025' }).click();
  await page.getByTestId('groups').getByText('6 = 4 + 1 + 1').waitFor();
  await page.getByTestId('membership-year').getByText('на 2024-2025 учебный год').waitFor();
  await page.getByTestId('dynamics-periods').getByText('против 2023-2024').waitFor();
  const row = page.locator(`${DYNAMICS} tr`, { hasText: 'Кузнецкихинская ООШ' });
  await row.first().waitFor();
  assert.ok((await row.locator('td[data-direction]').count()) > 1, 'a figure per criterion');
  assert.equal(await page.locator(`${DYNAMICS}`).getByText('нет отчёта').count(), 0);
  // That year's checklist flags Полянская; Антоновская's plan of 2024-2025 is read, not «нет отчёта».
  await page.locator(IDENTIFICATION).getByText('перечень критериев — за 2024-2025').waitFor();
  await polyanka.getByText(/^Отмечено 3 из 6/).waitFor();
  await antonovkaPlan.getByText('II квартал 2025').waitFor();
  assert.equal(await antonovkaPlan.getByText('нет отчёта').count(), 0);
  await page.locator(IDENTIFICATION).screenshot({ path: path.join(ARTIFACTS, 'periods-identification-2024-2025.png') });

  // Back to 2025-2026, compared with 2023-2024 this time.
  await years.getByRole('link', { name: '2025-2026' }).click();
  await page.getByTestId('compare-with').getByRole('link', { name: '2023-2024' }).click();
  await page.getByTestId('dynamics-periods').getByText('за 2025-2026; направление — против 2023-2024').waitFor();
  assert.equal(await page.getByTestId('compare-with').locator('.primary').textContent(), '2023-2024');
  await screenshot(page, 'periods-compare-2023-2024');

  // The exports carry the periods: the CSV of the dynamics and the workbook's sheets.
  const csv = await download(page, page.locator(DYNAMICS).getByRole('button', { name: 'Скачать CSV' }));
  const lines = csv.bytes.toString('utf8').slice(1).split('\r\n');
  assert.equal(lines[0], 'Школа;Критерий;2023-2024;2025-2026;Ожидаемый;Цель достигнута;Динамика');
  assert.ok(lines.some((l) => l.startsWith('Кузнецкихинская ООШ;нет отчёта')), lines.join('\n'));
  const xlsx = await download(page, page.getByRole('button', { name: 'Скачать XLSX (все таблицы)' }));
  const dynamics = xlsxTexts(xlsx.bytes, 'Динамика');
  assert.ok(dynamics.includes('2023-2024') && dynamics.includes('2025-2026') && dynamics.includes('нет отчёта'), dynamics.slice(0, 12).join(' | '));
  const targets = xlsxTexts(xlsx.bytes, 'Цели программы');
  assert.ok(targets.includes('2024-2025') && targets.some((t) => t.startsWith('нет данных')), targets.slice(0, 20).join(' | '));
  await context.close();
});
