// Drives the approval pages in a real headless Chromium (Debian's, through playwright-core):
// sign in with the keyboard, read the feed and "why this?", approve one action, reject
// another, and post forms without their CSRF token and from another site. Screenshots go to
// REVLOOP_SCREENSHOTS. Any failed check exits non-zero with what failed.
//
//   REVLOOP_WEB_URL  REVLOOP_TOKEN  REVLOOP_APPROVE_ID  REVLOOP_REJECT_ID  REVLOOP_SCREENSHOTS
'use strict';
const path = require('path');
const { env, check, checkLabels, signIn, run } = require('./common.cjs');

const base = env('REVLOOP_WEB_URL');
const token = env('REVLOOP_TOKEN');
const approveId = env('REVLOOP_APPROVE_ID');
const rejectId = env('REVLOOP_REJECT_ID');
const shots = env('REVLOOP_SCREENSHOTS');

// Reloads the action's page until its status reads `status` (the workflow decides a moment
// after the signal).
async function waitForStatus(page, id, status) {
  for (let i = 0; i < 60; i++) {
    await page.goto(`${base}/app/actions/${id}`);
    const shown = await page.locator('dd .status').first().innerText();
    if (shown === status) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`action ${id} never showed ${status}`);
}

run(async (context, page) => {
  // Signed out, the feed sends you to sign in.
  await page.goto(`${base}/app`);
  check(page.url().endsWith('/app/sign-in'), `redirected to sign in, at ${page.url()}`);
  await checkLabels(page, 'sign-in');
  await page.screenshot({ path: path.join(shots, 'sign-in.png') });
  await signIn(page, base, token);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'revloop_session');
  check(session && session.httpOnly && session.sameSite === 'Strict', `session cookie HttpOnly and SameSite=Strict: ${JSON.stringify(session)}`);

  // The feed: ranked actions, the ledger badge, filters with labels.
  const feedText = await page.locator('main').innerText();
  check(/most urgent first/.test(feedText), 'the feed says how it is ranked');
  check(await page.locator(`a[href="/app/actions/${approveId}"]`).count() === 1, 'the action to approve is listed');
  check(await page.locator(`a[href="/app/actions/${rejectId}"]`).count() === 1, 'the action to reject is listed');
  check(/Ledger verified: \d+ entries intact/.test(await page.locator('header').innerText()), 'the ledger badge says verified');
  await checkLabels(page, 'feed');
  await page.screenshot({ path: path.join(shots, 'feed.png'), fullPage: true });

  // A filter narrows the feed, without script (a GET form).
  await page.getByLabel('Status').selectOption('awaiting_approval');
  await page.getByRole('button', { name: 'Filter' }).click();
  check(page.url().includes('status=awaiting_approval'), 'the filter is in the URL');
  const statuses = await page.locator('tbody .status').allInnerTexts();
  check(statuses.length >= 2 && statuses.every((s) => s === 'awaiting approval'), `only awaiting approval: ${statuses}`);

  // Why this?
  await page.locator(`a[href="/app/actions/${approveId}"]`).click();
  const why = await page.locator('main').innerText();
  for (const part of ['Why this?', 'Signals', 'Evidence', 'Validators', 'Budget', 'Snapshot', 'Timeline', 'Proposed by']) {
    check(why.includes(part), `"why this?" shows ${part}`);
  }
  check(await page.locator('caption:has-text("Evidence") + thead + tbody tr').count() >= 1, 'at least one evidence record');
  check(await page.locator('a[href*="/namespaces/default/workflows/"]').count() >= 1, 'timeline links into the Temporal Web UI');
  await checkLabels(page, 'why this');
  await page.screenshot({ path: path.join(shots, 'why-this.png'), fullPage: true });
  await page.screenshot({ path: path.join(shots, 'why-this-top.png') });

  // Posts without the CSRF token, or from another site, are refused.
  const noCsrf = await page.request.post(`${base}/app/actions/${approveId}/approve`, { form: { reason: 'no token' } });
  check(noCsrf.status() === 403, `a post without CSRF token is refused, got ${noCsrf.status()}`);
  check((await noCsrf.text()).includes('CSRF_MISSING'), 'and says why');
  const csrf = await page.locator('form[action$="/approve"] input[name=csrf]').inputValue();
  const crossSite = await page.request.post(`${base}/app/actions/${approveId}/approve`, {
    form: { reason: 'from elsewhere', csrf }, headers: { Origin: 'https://evil.test' },
  });
  check(crossSite.status() === 403 && (await crossSite.text()).includes('CROSS_SITE'), `a cross-site post is refused, got ${crossSite.status()}`);
  const forged = await page.request.post(`${base}/app/actions/${approveId}/approve`, { form: { reason: 'guess', csrf: '00'.repeat(32) } });
  check(forged.status() === 403 && (await forged.text()).includes('CSRF_INVALID'), `a guessed CSRF token is refused, got ${forged.status()}`);
  const stillWaiting = await page.locator('dd .status').first().innerText();
  check(stillWaiting === 'awaiting approval', `nothing was decided by the refused posts: ${stillWaiting}`);

  // Approve.
  await page.locator('#approve-reason').fill('agenda looks right');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.waitForURL(/done=approve/);
  await waitForStatus(page, approveId, 'executed');
  await page.screenshot({ path: path.join(shots, 'approved.png'), fullPage: true });

  // Reject another, with a reason.
  await page.goto(`${base}/app/actions/${rejectId}`);
  await page.locator('#reject-reason').fill('not the right moment');
  await page.getByRole('button', { name: 'Reject', exact: true }).click();
  await page.waitForURL(/done=reject/);
  await waitForStatus(page, rejectId, 'rejected');
  console.log(JSON.stringify({ approved: approveId, rejected: rejectId }));
});
