// Shared by the browser scripts: launch Debian's Chromium through playwright-core (never a downloaded
// browser) with a fresh profile, and report results as one JSON line on stdout.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
// playwright-core lives in infra/node_modules; ES modules ignore NODE_PATH, so resolve it from there.
const require = createRequire(path.join(REPO, 'infra', 'package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The configuration the Python test passed as the first argument (JSON). */
export function config() {
  return JSON.parse(process.argv[2] || '{}');
}

/**
 * Launch Chromium with a fresh user-data dir; returns {context, close}. `viewport` defaults to a desktop.
 * Every page's console errors and uncaught exceptions are collected in `problems`.
 */
export async function launch({ executablePath = '/usr/bin/chromium', viewport = { width: 1100, height: 850 }, isMobile = false } = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openchecks-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath, headless: true, args: CHROMIUM_ARGS, viewport, isMobile, hasTouch: isMobile,
    deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC',
  });
  const problems = [];
  const watch = (page) => {
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  };
  // This 2-core machine runs the whole stack beside the browser: allow slow steps under load.
  context.setDefaultTimeout(90000);
  context.on('page', watch);
  context.pages().forEach(watch);
  return {
    context,
    problems,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Save a full-page screenshot as <dir>/<name>.png and return its path. */
export async function screenshot(page, dir, name) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Run `steps(results)` and print {results, problems, error} as one JSON line; exit code 0 either way. */
export async function report(steps) {
  const results = {};
  let error = null;
  try {
    await steps(results);
  } catch (e) {
    error = String(e && e.stack ? e.stack : e);
  }
  process.stdout.write(`${JSON.stringify({ results, error })}\n`);
}
