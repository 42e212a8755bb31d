// Answers a clarification question on its page in headless Chromium: the open questions, the
// question with each source's value as a labelled choice, the answer chosen with the keyboard
// and sent; then the question reads answered. A post without the CSRF token is refused.
//
//   REVLOOP_WEB_URL  REVLOOP_TOKEN  REVLOOP_QUESTION_ID  REVLOOP_CHOICE (the option's label text)
'use strict';
const { env, check, checkLabels, signIn, run } = require('./common.cjs');

const base = env('REVLOOP_WEB_URL');
const token = env('REVLOOP_TOKEN');
const questionId = env('REVLOOP_QUESTION_ID');
const choice = env('REVLOOP_CHOICE');

run(async (context, page) => {
  await page.goto(`${base}/app/sign-in`);
  await signIn(page, base, token);
  await page.getByRole('link', { name: 'Questions' }).click();
  const link = page.locator(`a[href="/app/questions/${questionId}"]`);
  check(await link.count() === 1, 'the open question is listed');
  await link.click();
  await checkLabels(page, 'question');
  const options = await page.locator('input[type=radio]').count();
  check(options === 2, `one choice per source, got ${options}`);

  const noCsrf = await page.request.post(`${base}/app/questions/${questionId}/answer`, { form: { choice: '1' } });
  check(noCsrf.status() === 403 && (await noCsrf.text()).includes('CSRF_MISSING'), `an answer without CSRF token is refused, got ${noCsrf.status()}`);

  // Choose by the option's label, with the keyboard: focus it, Space selects it.
  await page.getByLabel(choice).focus();
  await page.keyboard.press('Space');
  check(await page.getByLabel(choice).isChecked(), `the option "${choice}" is chosen`);
  await page.getByRole('button', { name: 'Choose' }).click();
  await page.waitForURL(/done=answer/);
  for (let i = 0; i < 60; i++) {
    await page.goto(`${base}/app/questions/${questionId}`);
    if ((await page.locator('dd .status').first().innerText()) === 'answered') {
      console.log(JSON.stringify({ answered: questionId }));
      return;
    }
    await page.waitForTimeout(500);
  }
  throw new Error(`question ${questionId} never read answered`);
});
