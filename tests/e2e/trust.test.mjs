// Nothing a principal saved silently stops on its way: a text longer than the form allows is kept
// on her device with a counter and the reason next to the field, the rest of the report still
// reaches the server, the status line counts what was not taken and never says «Всё отправлено»
// until it is fixed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, screenshot, serverPulled, DESKTOP, PHONE } from './harness.mjs';

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

/** The school's report as the server holds it, asked directly (not through the app). */
async function serverReport(loginName, form, period) {
  const pulled = await serverPulled(server.url, loginName);
  return pulled.filter((r) => r.type === 'report' && r.report.key.form === form && r.report.key.period === period).at(-1)?.report;
}

const field = (page, id) => page.locator(`[data-field="${id}"]`).locator('input, textarea');

async function type(page, id, value) {
  const input = field(page, id);
  await input.fill(value);
  await input.blur();
}

for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`a text too long for its field stays on the device, shown and counted, and holds nothing else back (${size})`, async () => {
    const period = size === 'desktop' ? '2019-2020' : '2020-2021';
    const page = await (await browser.newContext(viewport)).newPage();
    await login(page, server.url, 'burakovo.director');
    await page.goto(`${server.url}/reports/indicator-card/${period}`);
    await page.getByRole('heading', { name: 'Карта показателей школы с целевыми значениями' }).waitFor();

    const long = 'Договор о сетевом взаимодействии. '.repeat(160); // 5,440 characters; the form allows 500
    await type(page, 'c9.current', long);
    const here = page.locator('[data-field="c9.current"]');
    assert.equal(await here.getByTestId('counter').textContent(), `${long.length} из 500 знаков`);
    await here.locator('[role="alert"]').getByText(`Не больше 500 символов, сейчас ${long.length}`).waitFor();
    assert.equal(await field(page, 'c9.current').inputValue(), long, 'what she typed stays');

    // A field typed afterwards still reaches the server.
    await type(page, 'c1.current', '7%');
    await page.getByTestId('waiting').getByText('Отправлено всё, кроме непринятого').waitFor({ timeout: 20_000 });
    const refused = page.getByTestId('refused');
    assert.equal(await refused.textContent(), 'Не принято сервером: 1 — исправьте');
    assert.equal(await page.getByTestId('waiting').getByText('Всё отправлено', { exact: true }).count(), 0);
    const trouble = page.getByTestId('report-trouble');
    await trouble.getByRole('link', { name: /^9\. Мероприятия партнёрского договора.* — Текущий результат$/ }).waitFor();
    assert.match(await trouble.textContent(), /отправится, когда вы его исправите/);
    let stored = await serverReport('burakovo.director', 'indicator-card', period);
    assert.equal(stored.fields['c1.current'], '7%');
    assert.equal(stored.fields['c9.current'], undefined, 'the long text did not go');
    await screenshot(page, `trust-long-field-${size}`);

    // After a reload it is all still there, and still counted.
    await page.reload();
    await page.getByTestId('refused').waitFor();
    assert.equal(await field(page, 'c9.current').inputValue(), long);

    // The report list says so too, and the status link leads to it.
    await page.getByTestId('refused').click();
    await page.locator('[data-testid="trouble-badge"]').first().waitFor();

    // Shortened to fit, it goes, and only then is everything sent.
    await page.goto(`${server.url}/reports/indicator-card/${period}`);
    await type(page, 'c9.current', long.slice(0, 500));
    await page.getByTestId('waiting').getByText('Всё отправлено', { exact: true }).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('refused').count(), 0);
    assert.equal(await page.getByTestId('report-trouble').count(), 0);
    stored = await serverReport('burakovo.director', 'indicator-card', period);
    assert.equal(stored.fields['c9.current'], long.slice(0, 500));
  });
}
