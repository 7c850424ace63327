/**
 * The browser tests' harness: Debian's Chromium (/usr/bin/chromium, installed by apt, never a
 * downloaded browser) driven by playwright-core. Outside CI a missing Chromium skips the suites
 * with a warning; in CI it fails them.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const haveChromium = existsSync(CHROMIUM);

/** `describe` for the browser suites; without Chromium their `launchChromium` fails with how to install it. */
export const describeInBrowser = (name: string, suite: () => void): void => describe(name, suite);

export const launchChromium = async (): Promise<Browser> => {
  if (!haveChromium) throw new Error(`Chromium is missing at ${CHROMIUM}: .ci/run installs it with apt-get (never a downloaded browser).`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
};
