// Programme membership end to end (issue 11, «Must work» 4): the department reads the rules'
// proposal for next year, changes a line, is told what is missing when the order is not given
// (and keeps what she chose), confirms with the order, and the confirmed year opens with its
// order and stays after a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, login, ARTIFACTS, DESKTOP, PHONE } from './harness.mjs';

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

const SCHOOL = 'Кимовская СОШ';

test('the department changes the proposal for next year and confirms it with its order', async () => {
  const context = await browser.newContext(DESKTOP);
  const page = await context.newPage();
  await login(page, server.url, 'spassk.otdel');
  await page.getByRole('link', { name: 'Аналитика' }).click();
  const card = page.getByTestId('membership');
  await card.getByRole('heading', { name: 'Состав программы на 2025-2026 учебный год' }).waitFor();
  await card.getByRole('heading', { name: 'Предложение правил выявления на 2026-2027' }).waitFor();

  // Flip the rules' ШНОР proposal for one school: the department decides, not the rules.
  const row = card.getByTestId('proposals').locator('tr', { hasText: SCHOOL });
  const low = row.locator('input[type=checkbox]').nth(0);
  const proposedLow = await low.isChecked();
  await low.setChecked(!proposedLow);

  // No order: refused with what is missing, and the changed line stays as she set it.
  const confirm = card.getByRole('button', { name: 'Утвердить состав на 2026-2027' });
  await confirm.click();
  await card.getByText('Укажите основание').waitFor();
  assert.equal(await low.isChecked(), !proposedLow, 'the change survives the refusal');

  await card.locator('input[name=membership-basis]').fill('Приказ № 301');
  await card.locator('input[name=membership-date]').fill('31.08.2026');
  await confirm.click();
  await card.getByTestId('membership-saved').getByText('Состав на 2026-2027 утверждён.').waitFor();
  // The confirmed year opens: decided by the order, the school in the group she chose.
  await card.getByRole('heading', { name: 'Состав программы на 2026-2027 учебный год' }).waitFor();
  await card.getByText('По приказам отдела.').waitFor();
  const decided = card.locator('table').first().locator('tr', { hasText: SCHOOL });
  const group = await decided.locator('td').nth(1).textContent();
  assert.equal(group.includes('ШНОР'), !proposedLow, `${SCHOOL}: ${group}`);
  assert.match(await decided.locator('td').nth(2).textContent(), /^Приказ № 301 от /);
  await card.screenshot({ path: path.join(ARTIFACTS, 'membership-confirmed-desk.png') });

  // After a reload the year is recorded, and picking it shows the same list.
  await page.reload();
  await card.getByRole('heading', { name: 'Состав программы на 2025-2026 учебный год' }).waitFor();
  await card.getByText(/2026-2027: \d+/).waitFor();
  await card.getByTestId('membership-years').getByRole('button', { name: '2026-2027' }).click();
  await card.getByRole('heading', { name: 'Состав программы на 2026-2027 учебный год' }).waitFor();
  const again = card.locator('table').first().locator('tr', { hasText: SCHOOL });
  assert.equal(await again.locator('td').nth(1).textContent(), group);
  await context.close();

  // On a phone the card fits: nothing wider than the screen.
  const phone = await browser.newContext(PHONE);
  const small = await phone.newPage();
  await login(small, server.url, 'spassk.otdel');
  await small.getByRole('link', { name: 'Аналитика' }).click();
  await small.getByTestId('membership').getByTestId('membership-years').waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await small.getByTestId('membership').screenshot({ path: path.join(ARTIFACTS, 'membership-phone.png') });
  await phone.close();
});
