// Shared helpers of the browser tests: Debian's chromium driven by playwright-core, a page that
// records console errors, page errors and CSP violations, axe-core accessibility checks that
// work under a strict CSP, screenshots, and signing in and out of the console.
// scripts/browser-test.sh serves the real `crm` and runs the specs with BASE_URL set.

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The console pages every signed-in role visits; each module appends its own. */
export const consolePages = [
  '/',
  '/clients',
  '/clients/new',
  '/clients/import',
  '/timeline',
  '/admin/users',
  '/admin/users/new',
  '/admin/roles',
  '/admin/roles/new',
  '/admin/api-keys',
  '/admin/api-keys/new',
  '/admin/audit',
  '/admin/settings',
  '/tickets',
  '/tickets/new',
  '/admin/ticket-categories',
  '/admin/business-calendars',
  '/communications',
  '/templates',
  '/templates/new',
  '/admin/channels',
  '/pipeline',
  '/pipeline/opportunities/new',
  '/admin/pipelines',
  '/admin/pipelines/new',
  '/proposals',
  '/proposals/new',
  '/calendar',
  '/calendar/activities/new',
  '/calendar/connections',
];

/** Roles of the demo tenant that `crm seed-demo` creates. */
export const demoRoles = ['owner', 'admin', 'sales', 'support', 'marketing', 'viewer'];

/** Sign-in details of a demo user (crates/services/src/tenants.rs `demo_users`). */
export function demoUser(role) {
  assert.ok(demoRoles.includes(role), `no demo user with role ${role}`);
  return { tenant: 'demo', email: `${role}@demo.example`, password: `${role}-lighthouse-tangerine` };
}

/** Where screenshots and reports go: target/browser/ at the repository root. */
export const outDir = process.env.BROWSER_OUT_DIR
  ?? fileURLToPath(new URL('../../target/browser', import.meta.url));

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The server under test, from BASE_URL (set by scripts/browser-test.sh). */
export function baseURL() {
  const url = process.env.BASE_URL;
  assert.ok(url, 'BASE_URL is not set: run the specs with scripts/browser-test.sh');
  return url.replace(/\/+$/, '');
}

/** Debian's chromium, headless; without the sandbox (`--no-sandbox`) only as root, where it cannot start. */
export async function launch() {
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: !root });
}

// What each page has reported since its last `expectClean`.
const issuesOf = new WeakMap();

// Runs in every document before its own scripts, as the driver's own script (so a strict CSP
// does not block it), and reports each violation through the exposed binding.
function reportCspViolations() {
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__crmCspViolation({
      disposition: e.disposition,
      directive: e.violatedDirective,
      blocked: e.blockedURI,
      source: e.sourceFile,
      line: e.lineNumber,
      sample: e.sample,
    });
  });
}

// Contexts whose pages already report CSP violations (the binding is added once per context).
const watchedContexts = new WeakSet();

/**
 * A page that records everything `expectClean` checks: given the browser, in a fresh context
 * (its own cookies); given a context (`page.context()`), beside the pages already in it.
 */
export async function newPage(browserOrContext) {
  const context = 'newContext' in browserOrContext
    ? await browserOrContext.newContext({ baseURL: baseURL(), viewport: { width: 1280, height: 800 } })
    : browserOrContext;
  if (!watchedContexts.has(context)) {
    watchedContexts.add(context);
    // A local server answers in milliseconds: fail a missing element fast, not after 30 s.
    context.setDefaultTimeout(10_000);
    context.setDefaultNavigationTimeout(15_000);
    await context.exposeBinding('__crmCspViolation', ({ page }, v) => {
      issuesOf.get(page)?.push(`CSP violation (${v.disposition}) on ${page.url()}: ${v.directive} `
        + `blocked ${v.blocked || '(inline)'}${v.source ? ` at ${v.source}:${v.line}` : ''}`
        + (v.sample ? ` (${v.sample})` : ''));
    });
    await context.addInitScript(reportCspViolations);
  }
  const page = await context.newPage();
  const issues = [];
  issuesOf.set(page, issues);
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location();
      issues.push(`console error on ${page.url()}: ${msg.text()}`
        + (where?.url ? ` (${where.url}:${where.lineNumber})` : ''));
    }
  });
  page.on('pageerror', (err) => issues.push(`page error on ${page.url()}: ${err.message}`));
  return page;
}

/**
 * Fails when the page reported a console error, an uncaught error or a CSP violation since
 * the last call, except those matching one of `allow` (regular expressions); then forgets them.
 */
export async function expectClean(page, { allow = [] } = {}) {
  // Let events already queued in the page reach the test (run through the driver, not a page
  // script, so it works under any CSP).
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
  const issues = issuesOf.get(page);
  assert.ok(issues, 'expectClean needs a page made by newPage');
  const left = issues.splice(0).filter((i) => !allow.some((re) => re.test(i)));
  if (left.length) assert.fail(`${page.url()} is not clean:\n  ${left.join('\n  ')}`);
}

let axeSource;

/**
 * Runs axe-core on the page (and its frames) and fails on violations of impact serious or
 * critical. The axe source is evaluated through the DevTools protocol, like `page.evaluate`,
 * not added as a page script, so a CSP without inline scripts does not stop it.
 */
export async function axeCheck(page, { exclude = [] } = {}) {
  // Colours are measured as shown: wait until fades, transitions and htmx swaps have settled.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running')
    && !document.querySelector('.htmx-settling, .htmx-swapping, .htmx-request'));
  // A fade (Bootstrap's tabs: 150 ms) may start a frame after the click that causes it.
  await page.waitForTimeout(200);
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  for (const frame of page.frames()) {
    if (frame.isDetached()) continue;
    const loaded = await frame.evaluate(() => typeof window.axe === 'object').catch(() => true);
    if (!loaded) await frame.evaluate(axeSource);
  }
  const violations = await page.evaluate(async (exclude) => {
    const context = exclude.length ? { include: [document], exclude } : document;
    const result = await window.axe.run(context, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  }, exclude);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length) {
    const lines = serious.map((v) => `${v.impact} ${v.id}: ${v.help} [${v.targets.join(', ')}]`);
    assert.fail(`accessibility violations on ${page.url()}:\n  ${lines.join('\n  ')}`);
  }
  return violations;
}

/** A full-page PNG in target/browser/screenshots/<name>.png; returns its path. */
export async function screenshot(page, name) {
  const dir = join(outDir, 'screenshots');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^a-zA-Z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'page'}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Fills and submits the login form, waits for the page the browser lands on and returns the
 * answer to the POST (no assertion on it).
 */
export async function submitLogin(page, { tenant, email, password }) {
  const shown = await page.goto('/login');
  assert.ok(shown.status() < 400, `GET /login answered ${shown.status()}`);
  const form = page.locator('form#login-form');
  await form.locator('[name=tenant]').fill(tenant);
  await form.locator('[name=email]').fill(email);
  await form.locator('[name=password]').fill(password);
  const posted = page.waitForResponse((r) => r.request().method() === 'POST'
    && new URL(r.url()).pathname === '/login');
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
  await form.locator('button[type=submit], input[type=submit]').first().click();
  const response = await posted;
  await navigated;
  await page.waitForLoadState('load');
  return response;
}

/** Signs in through the login form and fails unless it left the login page. */
export async function signIn(page, credentials) {
  await submitLogin(page, credentials);
  if (new URL(page.url()).pathname === '/login') {
    const alert = await page.locator('[role=alert]').allTextContents();
    assert.fail(`sign-in as ${credentials.email} failed: ${alert.join(' ').trim() || 'no message'}`);
  }
}

/** Signs out with the navbar's button and waits for the login page. */
export async function signOut(page) {
  const button = page.locator('form[action="/logout"][method=post] button[data-action=sign-out]');
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/login'),
    button.click(),
  ]);
}

/** A browser with one page signed in as the demo user of `role`: `{ browser, page }`. */
export async function startAs(role) {
  const browser = await launch();
  const page = await newPage(browser);
  await signIn(page, demoUser(role));
  return { browser, page };
}
