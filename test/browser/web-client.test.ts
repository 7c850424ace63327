/**
 * The web client in a real browser (Debian's Chromium driven by playwright-core) against a local
 * stack: two users in two browser contexts, one watching the other. Screenshots of every step go
 * to test-results/web-client/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { PresenceApi } from '../../client';
import { buildWeb } from '../../web/build';
import { describeInBrowser, launchChromium } from '../helpers/browser';
import { startTestStack, type TestStack } from '../helpers/local-stack';

const SHOTS = path.resolve(__dirname, '..', '..', 'test-results', 'web-client');
const GRACE_SECONDS = 1;
// The contract's bound for a pushed change (10 s), not its < 1 s target: this test proves the page
// shows the change, and latency figures live in `npm run bench -- notify`. A 2 s bound failed a CI
// run on 2 loaded cores (log-in includes a scrypt hash at N=2^17).
const ONLINE_WITHIN_MS = 10_000;
const PASSWORD = 'correct horse battery';

const suffix = Date.now().toString(36).slice(-5);
const watcherName = `watcher-${suffix}`;
const bobName = `bob-${suffix}`;

let env: TestStack;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
let watcherPage: Page;
let bobPage: Page;
let bobId: string;
const metrics: Record<string, number> = {};

const shot = async (page: Page, name: string): Promise<void> => {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
};

const openPage = async (): Promise<Page> => {
  if (browser === undefined) throw new Error('no browser');
  const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`${message.text()} (${message.location().url})`);
  });
  await page.goto(env.stack.httpUrl);
  return page;
};

const connection = (page: Page, state: string): Locator => page.locator(`#connection[data-state="${state}"]`);
const watchedRow = (page: Page, name: string): Locator =>
  page.getByRole('list', { name: 'Watched users' }).getByRole('listitem').filter({ hasText: name });

describeInBrowser('the web client in Chromium', () => {
  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    const [stack] = await Promise.all([startTestStack({ graceSeconds: GRACE_SECONDS }), buildWeb()]);
    env = stack;
    browser = await launchChromium();
    bobId = (await new PresenceApi({ baseUrl: env.stack.httpUrl }).signUp(bobName, PASSWORD)).user.id;
  }, 90_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await env?.dispose();
    if (Object.keys(metrics).length > 0) await writeFile(path.join(SHOTS, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  }, 30_000);

  it('signs up through the form and connects', async () => {
    watcherPage = await openPage();

    await watcherPage.getByLabel('Name', { exact: true }).fill(watcherName);
    await watcherPage.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await watcherPage.getByRole('button', { name: 'Sign up' }).click();
    await connection(watcherPage, 'connected').waitFor({ timeout: 5_000 });
    await shot(watcherPage, '01-watcher-signed-up');

    await expect(watcherPage.locator('#me-name').textContent()).resolves.toBe(watcherName);
    await expect(watcherPage.getByRole('radio', { name: 'Online' }).isChecked()).resolves.toBe(true);
  });

  it('finds a user by name prefix, with their status, and watches them', async () => {
    await watcherPage.getByLabel('Name starts with').fill(bobName.slice(0, 6));
    await watcherPage.keyboard.press('Enter');
    const result = watcherPage.getByRole('list', { name: 'Search results' }).getByRole('listitem').filter({ hasText: bobName });
    await result.locator('.presence', { hasText: 'Offline, never seen' }).waitFor({ timeout: 5_000 });

    await result.getByRole('button', { name: `Watch ${bobName}` }).click();
    await watchedRow(watcherPage, bobName).locator('.presence[data-status="offline"]').waitFor({ timeout: 5_000 });
    await shot(watcherPage, '02-search-and-watch');

    await expect(result.getByRole('button', { name: `Stop watching ${bobName}` }).count()).resolves.toBe(1);
    const stored = await watcherPage.evaluate<string | null>(
      "Object.keys(localStorage).filter((key) => key.startsWith('presence.watch.')).map((key) => localStorage.getItem(key))[0] ?? null",
    );
    expect(JSON.parse(stored ?? '[]')).toEqual([{ id: bobId, name: bobName }]);
  });

  it("shows the other user online within the contract's 10 s of their log-in", async () => {
    bobPage = await openPage();
    // Keyboard only: type, Tab to the password, Enter submits "Log in".
    await bobPage.getByLabel('Name', { exact: true }).focus();
    await bobPage.keyboard.type(bobName);
    await bobPage.keyboard.press('Tab');
    await bobPage.keyboard.type(PASSWORD);

    const loggedInAt = Date.now();
    await bobPage.keyboard.press('Enter');
    await watchedRow(watcherPage, bobName)
      .locator('.presence[data-status="online"]', { hasText: 'Online' })
      .waitFor({ timeout: ONLINE_WITHIN_MS });
    metrics.onlineLatencyMs = Date.now() - loggedInAt;
    console.log(`web client: the watcher saw ${bobName} online ${metrics.onlineLatencyMs} ms after the log-in was submitted`);
    await shot(watcherPage, '03-watcher-sees-online');
    await connection(bobPage, 'connected').waitFor({ timeout: 5_000 });
    await shot(bobPage, '03b-bob-logged-in');

    expect(metrics.onlineLatencyMs).toBeLessThanOrEqual(ONLINE_WITHIN_MS);
  });

  it('shows "appear offline" to the watcher as offline, and back', async () => {
    await bobPage.getByRole('radio', { name: 'Appear offline' }).check();
    const row = watchedRow(watcherPage, bobName);
    await row.locator('.presence[data-status="offline"]', { hasText: 'Offline, last seen just now' }).waitFor({ timeout: 5_000 });
    await bobPage.locator('#me-presence[data-status="offline"]').waitFor({ timeout: 5_000 });
    await shot(watcherPage, '04-watcher-sees-appear-offline');
    await shot(bobPage, '04b-bob-appears-offline');

    await bobPage.getByRole('radio', { name: 'Online' }).check();
    await row.locator('.presence[data-status="online"]').waitFor({ timeout: 5_000 });

    await expect(bobPage.locator('#me-presence').getAttribute('data-status')).resolves.toBe('online');
  });

  it('shows "offline, last seen just now" after the other user closes their page', async () => {
    const closedAt = Date.now();
    await bobPage.close();
    await watchedRow(watcherPage, bobName)
      .locator('.presence[data-status="offline"]', { hasText: 'Offline, last seen just now' })
      .waitFor({ timeout: GRACE_SECONDS * 1000 + 4_000 });
    metrics.offlineAfterCloseMs = Date.now() - closedAt;
    await shot(watcherPage, '05-watcher-sees-offline-after-close');

    const lastSeen = await watchedRow(watcherPage, bobName).locator('time').getAttribute('datetime');
    expect(Math.abs(Date.parse(lastSeen ?? '') - closedAt)).toBeLessThan(2_000);
  });

  it('keeps the watch list and session across a reload', async () => {
    await watcherPage.reload();
    await connection(watcherPage, 'connected').waitFor({ timeout: 5_000 });
    await watchedRow(watcherPage, bobName)
      .locator('.presence[data-status="offline"]', { hasText: 'last seen' })
      .waitFor({ timeout: 5_000 });
    await shot(watcherPage, '06-watcher-after-reload');

    expect(pageErrors).toEqual([]);
  });
});
