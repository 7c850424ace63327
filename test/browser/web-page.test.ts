/**
 * The page tells the truth (issue 12), in Chromium against a local stack: the status control after
 * a reload, watched users while the connection is lost, a 375 px wide screen, error messages a
 * person understands, and a log-out that ends the browser session's presence. Screenshots go to
 * test-results/web-page/.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { PresenceApi } from '../../client';
import { buildWeb } from '../../web/build';
import { describeInBrowser, launchChromium } from '../helpers/browser';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

const SHOTS = path.resolve(__dirname, '..', '..', 'test-results', 'web-page');
const GRACE_SECONDS = 1;
const PASSWORD = 'correct horse battery';
const suffix = Date.now().toString(36).slice(-5);

let env: TestStack;
let proxy: TcpProxy;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
let accounts = 0;

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

const newContext = async (width = 900): Promise<BrowserContext> => {
  if (browser === undefined) throw new Error('no browser');
  const context = await browser.newContext({ viewport: { width, height: 800 } });
  contexts.push(context);
  return context;
};

const openPage = async (context: BrowserContext): Promise<Page> => {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(env.stack.httpUrl);
  return page;
};

/** A new account (through the API) logged in on `page` through the form. */
const logIn = async (
  page: Page,
  prefix: string,
  name = `${prefix}-${(accounts += 1)}-${suffix}`,
): Promise<{ id: string; name: string; api: PresenceApi }> => {
  const api = new PresenceApi({ baseUrl: env.stack.httpUrl });
  const { user } = await api.signUp(name, PASSWORD);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await connection(page, 'connected').waitFor({ timeout: 5_000 });
  return { id: user.id, name, api };
};

const connection = (page: Page, state: string): Locator => page.locator(`#connection[data-state="${state}"]`);
const watchedRow = (page: Page, name: string): Locator =>
  page.getByRole('list', { name: 'Watched users' }).getByRole('listitem').filter({ hasText: name });

const watch = async (page: Page, name: string): Promise<void> => {
  await page.getByLabel('Name starts with').fill(name);
  await page.keyboard.press('Enter');
  await page
    .getByRole('list', { name: 'Search results' })
    .getByRole('button', { name: `Watch ${name}` })
    .click();
  await watchedRow(page, name).locator('.presence:not([data-status="unknown"])').waitFor({ timeout: 5_000 });
};

describeInBrowser('the page tells the truth', () => {
  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    const [stack] = await Promise.all([startTestStack({ graceSeconds: GRACE_SECONDS }), buildWeb()]);
    env = stack;
    proxy = await startTcpProxy(env.stack.ports.wsPort);
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await proxy?.close();
    await env?.dispose();
  }, 30_000);

  it('shows "Appear offline" after a reload while appearing offline, and one click on "Online" goes online', async () => {
    const page = await openPage(await newContext());
    const me = await logIn(page, 'reloader');
    await page.getByRole('radio', { name: 'Appear offline' }).check();
    await page.locator('#me-presence[data-status="offline"]').waitFor({ timeout: 5_000 });

    await page.reload();
    await connection(page, 'connected').waitFor({ timeout: 5_000 });
    await page.waitForTimeout(500);
    await shot(page, '01-reloaded-while-appearing-offline');
    const afterReload = await page.getByRole('radio', { name: 'Appear offline' }).isChecked();
    await page.getByRole('radio', { name: 'Online' }).click();
    await page.locator('#me-presence[data-status="online"]').waitFor({ timeout: 5_000 });

    expect(afterReload).toBe(true);
    expect((await me.api.getMe()).setting).toBe('online');
  });

  it('shows watched users as unknown while the connection is lost, with "Connection lost — retrying in N s" and a working "Retry now"', async () => {
    const context = await newContext();
    // This page's WebSocket goes through a proxy the test can cut, as a lost network would.
    await context.route('**/config.js', async (route) => {
      const original = await (await route.fetch()).text();
      await route.fulfill({ contentType: 'text/javascript', body: original.replace(env.stack.wsUrl, `ws://127.0.0.1:${proxy.port}`) });
    });
    const page = await openPage(context);
    await logIn(page, 'cutoff');
    const bob = await logIn(await openPage(await newContext()), 'cutoff-bob');
    await watch(page, bob.name);
    await watchedRow(page, bob.name).locator('.presence[data-status="online"]').waitFor({ timeout: 5_000 });

    proxy.down();
    const banner = page.locator('#connection', { hasText: /Connection lost — retrying in \d+ s/ });
    await banner.waitFor({ timeout: 5_000 });
    await page.waitForTimeout(2_500);
    await shot(page, '02-connection-lost');
    const shown = await watchedRow(page, bob.name).locator('.presence').getAttribute('data-status');
    const bannerText = await page.locator('#connection').textContent();
    proxy.up();
    const clickedAt = Date.now();
    await page.getByRole('button', { name: 'Retry now' }).click();
    await connection(page, 'connected').waitFor({ timeout: 3_000 });
    const reconnectMs = Date.now() - clickedAt;
    await watchedRow(page, bob.name).locator('.presence[data-status="online"]').waitFor({ timeout: 5_000 });

    expect(shown).toBe('unknown');
    expect(bannerText).toMatch(/Connection lost — retrying in \d+ s/);
    expect(reconnectMs).toBeLessThan(3_000);
    await expect(page.getByRole('button', { name: 'Retry now' }).isVisible()).resolves.toBe(false);
  });

  it('fits a 375 px wide screen: nothing overflows or is cut off', async () => {
    const page = await openPage(await newContext(375));
    const long = `a_rather_long_name_${suffix}_xyz`.slice(0, 32);
    await new PresenceApi({ baseUrl: env.stack.httpUrl }).signUp(long, PASSWORD);
    await shot(page, '03a-narrow-signed-out');
    const signedOut = await overflowing(page);
    await logIn(page, 'narrow');
    await watch(page, long);
    await shot(page, '03b-narrow-signed-in');

    expect(signedOut).toEqual([]);
    expect(await overflowing(page)).toEqual([]);
  });

  it('says what is wrong in words a person understands', async () => {
    const page = await openPage(await newContext());
    const taken = `taken-${suffix}`;
    await new PresenceApi({ baseUrl: env.stack.httpUrl }).signUp(taken, PASSWORD);
    const attempt = async (name: string, password: string, button: 'Sign up' | 'Log in'): Promise<string> => {
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: button }).click();
      await page.locator('#auth-error:not(:empty)').waitFor({ timeout: 5_000 });
      const text = (await page.locator('#auth-error').textContent()) ?? '';
      await page.evaluate("document.getElementById('auth-error').textContent = ''");
      return text;
    };

    const messages = [
      await attempt(`short-${suffix}`, 'short', 'Sign up'),
      await attempt('ab', PASSWORD, 'Sign up'),
      await attempt(taken, PASSWORD, 'Sign up'),
      await attempt(taken, 'wrong password', 'Log in'),
    ];
    await shot(page, '04-error-message');

    expect(messages).toEqual([
      'Password must be at least 8 characters.',
      'Name must be 3–32 characters: letters, digits, “_”, “.” or “-”.',
      'That name is taken. Please choose another.',
      'Wrong name or password.',
    ]);
  });

  it('logs out every tab of the browser session at once: its user goes offline for watchers after the grace', async () => {
    const watcherPage = await openPage(await newContext());
    await logIn(watcherPage, 'lo-watcher');
    const bobContext = await newContext();
    const bobPage = await openPage(bobContext);
    const bob = await logIn(bobPage, 'lo-bob');
    const secondTab = await openPage(bobContext);
    await connection(secondTab, 'connected').waitFor({ timeout: 5_000 });
    await watch(watcherPage, bob.name);
    await watchedRow(watcherPage, bob.name).locator('.presence[data-status="online"]').waitFor({ timeout: 5_000 });

    const loggedOutAt = Date.now();
    await bobPage.getByRole('button', { name: 'Log out' }).click();
    await secondTab.getByRole('button', { name: 'Log in' }).waitFor({ timeout: 3_000 });
    const bothOutAt = Date.now();
    await watchedRow(watcherPage, bob.name)
      .locator('.presence[data-status="offline"]')
      .waitFor({ timeout: GRACE_SECONDS * 1000 + 4_000 });
    await shot(bobPage, '05-logged-out');
    const lastSeen = await watchedRow(watcherPage, bob.name).locator('time').getAttribute('datetime');
    const note = await bobPage.locator('#auth-note').textContent();

    // The contract: lastSeen within 2 s of the real disconnect (generous: 2 busy cores).
    expect(Date.parse(lastSeen ?? '')).toBeGreaterThanOrEqual(loggedOutAt - 1_000);
    expect(Date.parse(lastSeen ?? '')).toBeLessThanOrEqual(bothOutAt + 2_000);
    expect(note).toBe(`Logged out. Others see you offline within ${GRACE_SECONDS} s, unless you are signed in on another device.`);
    await expect(connection(secondTab, 'idle').count()).resolves.toBe(1);
    expect(pageErrors).toEqual([]);
  });
});

/** Elements wider than the viewport, reaching past its edges, or with their own content cut off (text in an input scrolls by design). */
const overflowing = (page: Page): Promise<string[]> =>
  page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width) out.push('page: scrollWidth ' + document.documentElement.scrollWidth + ' > ' + width);
    for (const el of document.body.querySelectorAll('*')) {
      if (el.closest('.visually-hidden') || el.closest('[hidden]')) continue;
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0) continue;
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '');
      if (rect.left < -0.5 || rect.right > width + 0.5) out.push(name + ': ' + Math.round(rect.left) + '..' + Math.round(rect.right) + ' of ' + width);
      else if (el.tagName !== 'INPUT' && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') out.push(name + ': content ' + el.scrollWidth + ' > ' + el.clientWidth);
    }
    return out;
  })()`);
