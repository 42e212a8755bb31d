// What the browser tests share: Debian's Chromium launched for a closed network, checks that
// name what failed, the label check, and signing in with the keyboard alone.
'use strict';
const { chromium } = require('playwright-core');

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

function launch() {
  return chromium.launch({
    executablePath: process.env.REVLOOP_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Every visible form control has a label a screen reader announces.
async function checkLabels(page, where) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 80)),
  );
  check(unlabelled.length === 0, `${where}: controls without a label: ${unlabelled.join(' | ')}`);
}

// Signs in from the sign-in page: type the token, Tab to the button, Enter.
async function signIn(page, base, token) {
  await page.getByLabel('Bearer token').fill(token);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.textContent);
  check(focused === 'Sign in', `Tab moves to the sign-in button, not ${focused}`);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(page.url() === `${base}/app`, `signed in, at ${page.url()}: ${await page.locator('main').innerText()}`);
}

// Runs `body` with a fresh page; any failure exits non-zero with what failed.
function run(body) {
  (async () => {
    const browser = await launch();
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      await body(context, await context.newPage());
    } finally {
      await browser.close();
    }
  })().catch((e) => {
    console.error(e.stack || String(e));
    process.exit(1);
  });
}

module.exports = { env, check, checkLabels, signIn, run };
