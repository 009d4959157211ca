// Accounts end to end: a principal creates a teacher, the teacher activates with the code,
// completes her self-diagnosis offline and syncs; the municipality sees the aggregate but never
// her answers. And an expired session during sync keeps the outbox for its owner.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, login, waitForServiceWorker, screenshot, queueSubmissions, serverSubmissions,
  DEMO_PASSWORD, PHONE, DESKTOP, ARTIFACTS,
} from './harness.mjs';

const NEW_PASSWORD = 'Весна-2027-бураки';

let server;
let browser;
before(async () => {
  // Debug logging, so the check that the log holds no secret covers everything the server says.
  server = await startServer({ logLevel: 'debug' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function schoolRow(page, schoolName) {
  await page.goto(`${server.url}/department`);
  // The stored copy shows at once; «Обновить» returns when the fresh one has arrived.
  const overview = page.locator('.card', { has: page.getByRole('heading', { name: 'Самодиагностика педагогов', exact: true }) });
  await overview.getByRole('button', { name: 'Обновить', exact: true }).waitFor();
  const row = page.locator(`tr[data-row="${schoolName}"]`);
  await row.waitFor();
  return {
    completed: Number(await row.locator('[data-testid="completed"]').textContent()),
    teachers: Number(await row.locator('[data-testid="teachers"]').textContent()),
  };
}

/** Clicks through the whole questionnaire, answering «Владею уверенно» everywhere. */
async function completeSelfDiagnosis(page) {
  await page.getByRole('link', { name: 'Пройти самодиагностику' }).click();
  await page.getByLabel('Русский язык', { exact: true }).check();
  await page.getByRole('button', { name: 'Начать' }).click();
  for (let area = 1; area <= 10; area++) {
    await page.getByText(`Раздел ${area} из 10`).waitFor();
    const items = page.locator('.item');
    const count = await items.count();
    for (let i = 0; i < count; i++) await items.nth(i).getByLabel('Владею уверенно', { exact: true }).check();
    await page.getByRole('button', { name: area === 10 ? 'К проверке ответов' : 'Далее' }).click();
  }
  await page.getByText('Все обязательные вопросы отвечены').waitFor();
  await page.getByRole('button', { name: 'Отправить' }).click();
  await page.getByRole('heading', { name: 'Результаты самодиагностики' }).waitFor();
}

test('a principal creates a teacher, she activates, works offline and syncs; the municipality sees only the aggregate', async () => {
  const department = await (await browser.newContext(DESKTOP)).newPage();
  await login(department, server.url, 'spassk.otdel');
  assert.deepEqual(await schoolRow(department, 'Бураковская СОШ'), { completed: 5, teachers: 6 });

  // 1. The principal adds the teacher and gets the slip to hand over.
  const principal = await (await browser.newContext(DESKTOP)).newPage();
  await login(principal, server.url, 'burakovo.director');
  await principal.getByRole('heading', { name: 'Учителя', exact: true }).waitFor();
  await principal.getByLabel('Фамилия, имя, отчество').fill('Щукина Юлия Петровна');
  await principal.getByRole('button', { name: 'Создать учётную запись и код' }).click();
  const slip = principal.getByTestId('code-slip');
  await slip.waitFor();
  const teacherLogin = (await slip.getByTestId('slip-login').textContent()).trim();
  const code = (await slip.getByTestId('slip-code').textContent()).trim();
  assert.equal(teacherLogin, 'burakovo.shchukina');
  assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  assert.equal(await slip.getByTestId('slip-sealed').count(), 0, 'a first code seals nothing');
  const row = principal.locator(`tr[data-row="${teacherLogin}"]`);
  await row.getByText('ждёт активации').waitFor();
  await screenshot(principal, 'principal-code-slip');

  // 2. The teacher, on her phone, types the code the way phones do and chooses a password.
  const phone = await browser.newContext(PHONE);
  const teacher = await phone.newPage();
  await teacher.goto(`${server.url}/login`);
  await teacher.getByRole('link', { name: 'Первый вход: у меня есть код активации' }).click();
  await teacher.getByLabel('Код активации').fill(code.toLowerCase().replaceAll('-', ' '));
  await teacher.getByLabel('Новый пароль (не меньше 8 символов)').fill('короткий'.slice(0, 5));
  await teacher.getByLabel('Пароль ещё раз').fill('корот');
  await teacher.getByRole('button', { name: 'Установить пароль и войти' }).click();
  await teacher.getByText('Пароль слишком короткий').waitFor();
  await teacher.getByLabel('Новый пароль (не меньше 8 символов)').fill(NEW_PASSWORD);
  await teacher.getByLabel('Пароль ещё раз').fill(NEW_PASSWORD);
  await teacher.getByRole('button', { name: 'Установить пароль и войти' }).click();
  assert.equal(await teacher.getByTestId('my-login').textContent(), teacherLogin);
  assert.equal(await teacher.getByTestId('answers-sealed').count(), 0, 'a first password seals nothing');
  await teacher.getByRole('link', { name: 'Продолжить' }).click();
  await waitForServiceWorker(teacher);

  // 3. Offline, she completes the self-diagnosis; it waits, then syncs when the network returns.
  await phone.setOffline(true);
  await teacher.getByText('Нет сети', { exact: true }).waitFor();
  await completeSelfDiagnosis(teacher);
  await teacher.getByText('Ожидает отправки', { exact: true }).waitFor();
  await phone.setOffline(false);
  await teacher.getByText('Всё отправлено').waitFor({ timeout: 20_000 });
  const [submissionId] = teacher.url().split('/').slice(-1);

  // 4. The principal sees her active, with the date of her self-diagnosis.
  await principal.getByRole('button', { name: 'Обновить' }).first().click();
  await row.getByText('активна').waitFor();
  assert.doesNotMatch(await row.textContent(), /не пройдена/);

  // 5. The municipality: one more teacher, one more completed — and no way to her answers.
  assert.deepEqual(await schoolRow(department, 'Бураковская СОШ'), { completed: 6, teachers: 7 });
  assert.doesNotMatch(await department.locator('main').textContent(), /Щукина/);
  const refused = await department.evaluate(async (id) => {
    const { token } = JSON.parse(localStorage.getItem('opora.session'));
    const res = await fetch(`/api/self-diagnoses/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.text() };
  }, submissionId);
  assert.equal(refused.status, 404);
  assert.doesNotMatch(refused.body, /answers|Щукина/);
  // Her own device can read them: the id is right, the refusal is about who asks.
  const own = await teacher.evaluate(async (id) => {
    const { token } = JSON.parse(localStorage.getItem('opora.session'));
    return (await fetch(`/api/self-diagnoses/${id}`, { headers: { authorization: `Bearer ${token}` } })).status;
  }, submissionId);
  assert.equal(own, 200);

  // 6. Nothing secret reached the server's log, even at debug level.
  const log = server.log();
  assert.ok(log.length > 0);
  const tokens = await Promise.all([teacher, principal, department].map((p) =>
    p.evaluate(() => JSON.parse(localStorage.getItem('opora.session')).token)));
  for (const secret of [NEW_PASSWORD, code, code.replaceAll('-', ''), ...tokens]) {
    assert.ok(!log.includes(secret), `the server log holds a secret: ${secret.slice(0, 6)}…`);
  }
  assert.doesNotMatch(log, /"answers"/);
  await phone.close();
});

test('an expired session during sync keeps the outbox; another user logging in does not send it', async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await login(page, server.url, 'polyanka.t1');
  await waitForServiceWorker(page);
  // The session ends on the server (as after 60 days offline) while the device still holds it.
  await page.evaluate(async () => {
    const { token } = JSON.parse(localStorage.getItem('opora.session'));
    await fetch('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  });
  await context.setOffline(true);
  const [queued] = await queueSubmissions(page, 1);
  await page.reload();
  await page.getByText('Ожидают отправки: 1 запись').waitFor();

  await context.setOffline(false);
  await page.getByRole('alert').filter({ hasText: 'Сеанс истёк' }).waitFor({ timeout: 20_000 });
  await page.getByText('Ожидают отправки: 1 запись').waitFor();
  const outboxKeys = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('.outbox.')).length);
  assert.equal(outboxKeys, 1, 'the outbox is intact');

  // A colleague logs in on this phone: the login page says whose work waits, and it stays hers.
  await page.getByRole('link', { name: 'Войдите снова' }).click();
  await page.getByTestId('pending-elsewhere').getByText(/: 1$/).waitFor();
  await page.getByLabel('Логин').fill('polyanka.t2');
  await page.getByLabel('Пароль').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByText('Всё отправлено').waitFor({ timeout: 20_000 });
  assert.ok(!(await serverSubmissions(server.url, 'polyanka.t2')).includes(queued));
  assert.ok(!(await serverSubmissions(server.url, 'polyanka.t1')).includes(queued));
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Выйти' }).click();

  // The owner logs in again: her work goes out, once.
  await login(page, server.url, 'polyanka.t1');
  await page.getByText('Всё отправлено').waitFor({ timeout: 20_000 });
  const hers = await serverSubmissions(server.url, 'polyanka.t1');
  assert.equal(hers.filter((id) => id === queued).length, 1);
  await context.close();
});

test('a teacher who forgot her password is told, on the slip, before and after, what happens to her earlier answers', async () => {
  // The principal issues a new code for a teacher who already has a password.
  const principal = await (await browser.newContext({ ...DESKTOP, viewport: { width: 1280, height: 800 } })).newPage();
  await login(principal, server.url, 'antonovka.director');
  const row = principal.locator('tr[data-row="antonovka.t1"]');
  await row.getByText('активна').waitFor();
  await row.getByRole('button', { name: 'Новый код' }).click();
  const slip = principal.getByTestId('code-slip');
  await slip.getByRole('heading', { name: 'Новый код вместо забытого пароля' }).waitFor();
  assert.match(await slip.getByTestId('slip-sealed').textContent(), /на сервере закрываются.*Копии остаются на телефоне/s);
  const code = (await slip.getByTestId('slip-code').textContent()).trim();
  await slip.screenshot({ path: `${ARTIFACTS}/reset-slip-1280.png` });

  for (const [viewport, size] of [[PHONE, '360'], [{ ...DESKTOP, viewport: { width: 1280, height: 800 } }, '1280']]) {
    const context = await browser.newContext(viewport);
    const page = await context.newPage();
    await page.goto(`${server.url}/activate`);
    // Before: the page says it plainly, above the form.
    const before = page.getByTestId('reset-note');
    await before.getByText('Забыли пароль и получили новый код?').waitFor();
    assert.match(await before.textContent(), /их не откроет никто, и вы тоже не увидите их с сервера/);
    await page.screenshot({ path: `${ARTIFACTS}/activate-before-${size}.png` });
    if (size === '360') {
      // After: the same words, once the code has replaced her password.
      await page.getByLabel('Код активации').fill(code);
      await page.getByLabel('Новый пароль (не меньше 8 символов)').fill(NEW_PASSWORD);
      await page.getByLabel('Пароль ещё раз').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Установить пароль и войти' }).click();
      await page.getByText('Новый пароль установлен, вы вошли в «Опору».').waitFor();
      const after = page.getByTestId('answers-sealed');
      assert.match(await after.textContent(), /В сводных данных школы они учитываются по-прежнему, без имени/);
      await page.screenshot({ path: `${ARTIFACTS}/activate-after-360.png` });
    }
    await context.close();
  }
});
