// The status page in a real browser: Debian's headless Chromium, driven by
// playwright-core (no browser download), against a real `xplane serve` whose
// loop makes a decision during the test. A wrong token is refused; the admin
// token logs in (a session cookie, HttpOnly and SameSite=Strict, the token in
// no URL); the page shows the regions, the decision with its commit and the
// weight chart, refreshes itself when the loop decides again, and logs no
// console error. The screenshot goes to test/artifacts/status-page.png.
// Without Chromium the test skips, except under CI (env CI set): there it fails.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../src/testing/index.js';
import { RIG_TOKENS, pushInvalidCommit, startLoopRig, takeSgOut, type LoopRig } from './helpers/loop-rig.js';

const CHROMIUM = process.env.XPLANE_TEST_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM) && process.env.CI) throw new Error(`CI must provide Chromium at ${CHROMIUM} (Debian package chromium) for the status page test`);
const noChromium = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (Debian package chromium)`;

/** Where the screenshot goes (git-ignored). */
export const SCREENSHOT = join(REPO_ROOT, 'test', 'artifacts', 'status-page.png');

/** A page that records what the console and the page's own errors say, and every URL it requests. */
async function watchedPage(context: BrowserContext): Promise<{ page: Page; errors: string[]; urls: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  const urls: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => urls.push(r.url()));
  return { page, errors, urls };
}

describe('the status page in headless Chromium', { skip: noChromium }, () => {
  let rig: LoopRig;
  let browser: Browser;
  let sgCommit: string;

  before(async () => {
    rig = await startLoopRig();
    sgCommit = await takeSgOut(rig);
    // Debian's chromium as root needs --no-sandbox; nothing it loads here comes from outside loopback.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  after(async () => {
    // before() may have stopped before assigning them.
    await (browser as Browser | undefined)?.close();
    await (rig as LoopRig | undefined)?.stop();
  });

  it('refuses a wrong token: the message shows, no cookie is set, the status stays hidden', async () => {
    const context = await browser.newContext();
    const { page, errors } = await watchedPage(context);
    await page.goto(`${rig.serve.url}/ui/`);
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', 'not-the-admin-token');
    await page.click('#login-form button[type=submit]');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#login-error'), 'That is not the admin token.');
    assert.equal(await page.isVisible('#status'), false);
    assert.deepEqual(await context.cookies(), []);
    // The refused login's 401 is the one error the browser reports.
    assert.deepEqual(
      errors.filter((e) => !e.includes('status of 401')),
      [],
    );
    await context.close();
  });

  it('logs in with the admin token and shows the regions, the decision with its commit and the chart, without console errors', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page, errors, urls } = await watchedPage(context);
    const response = await page.goto(`${rig.serve.url}/ui/`);
    const csp = (await response?.allHeaders())?.['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);

    await page.fill('#token', RIG_TOKENS.admin);
    await page.click('#login-form button[type=submit]');
    await page.locator('#status').waitFor({ state: 'visible' });

    const card = page.locator('section.card[data-service="svc-plus"]');
    await card.locator('tr[data-region="jp"]').waitFor();
    await card.locator('tr[data-region="sg"]').waitFor();
    assert.equal((await card.locator('tr[data-region="jp"] td.weight').textContent())?.trim(), '100');
    assert.equal((await card.locator('tr[data-region="sg"] td.weight').textContent())?.trim(), '0');
    const decision = page.locator('#decisions tr.decision', { hasText: 'gtm: svc-plus sg weight 10→0 (ready 0 < min 1)' });
    await decision.waitFor();
    assert.match((await decision.textContent()) ?? '', new RegExp(sgCommit.slice(0, 7)));
    assert.match((await decision.textContent()) ?? '', /10 → 0/);
    await page.locator('#nodes tr[data-node="sg-svc-plus-1"] td.state-down').waitFor();
    // The weight chart draws sg's line, which steps down to 0.
    const sgLine = card.locator('svg[aria-label="Weight over time"] path[data-region="sg"]');
    await sgLine.waitFor();
    assert.match((await sgLine.getAttribute('d')) ?? '', /^M[\d.]+,[\d.]+ H[\d.]+ V[\d.]+/);

    // The session is a cookie the page's script cannot read, and the token went in no URL.
    const [cookie] = await context.cookies();
    assert.equal(cookie?.name, 'xplane_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(!cookie.value.includes(RIG_TOKENS.admin));
    assert.equal(await page.evaluate<string>('document.cookie'), '', 'the page cannot read the session');
    assert.deepEqual(
      urls.filter((u) => u.includes(RIG_TOKENS.admin)),
      [],
    );
    assert.ok(
      urls.every((u) => u.startsWith(rig.serve.url)),
      'nothing is fetched from anywhere else',
    );

    // It refreshes itself: a drain made outside the page shows up in it.
    const drained = await fetch(`${rig.serve.url}/v1/nodes/drain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${RIG_TOKENS.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'jp-svc-plus-2' }),
    });
    assert.equal(drained.status, 200);
    await page.locator('#decisions tr.decision', { hasText: 'gtm: svc-plus jp exclude jp-svc-plus-2' }).waitFor({ timeout: 20_000 });
    await page.locator('#nodes tr[data-node="jp-svc-plus-2"] td.state-drain').waitFor({ timeout: 20_000 });

    mkdirSync(join(REPO_ROOT, 'test', 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(errors, [], 'the page logs no console error');

    // A commit the sync rejects shows as a config error with file:line:col; the regions stay.
    const bad = pushInvalidCommit(rig);
    const problems = page.locator('#config-problems');
    await problems.waitFor({ timeout: 20_000 });
    assert.match((await problems.textContent()) ?? '', new RegExp(`commit ${bad.slice(0, 7)} rejected; [0-9a-f]{7} stays in force`));
    assert.match((await problems.textContent()) ?? '', /platform-config\/autoscale\/svc-plus\.yaml:\d+:\d+ regions\.jp\.scale_up_cpu: /);
    await card.locator('tr[data-region="jp"]').waitFor();
    assert.deepEqual(errors, [], 'still no console error');

    // Logging out ends the session in the browser.
    await page.click('#logout');
    await page.locator('#login').waitFor({ state: 'visible' });
    assert.deepEqual(await context.cookies(), []);
    await context.close();
  });
});
