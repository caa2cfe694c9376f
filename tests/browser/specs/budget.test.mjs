// The dashboard's weight budget: JavaScript + CSS shipped compressed under 300 KB (asserted:
// the bytes are deterministic), and its cold load time in a fresh browser context, written to
// target/browser/budget.json for the record (a time is measured, never asserted in a test).

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoUser, launch, newPage, outDir, signIn } from '../lib.mjs';

const BUDGET_BYTES = 300 * 1024;

describe('dashboard budget', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('ships under 300 KB of compressed JavaScript and CSS, and records its cold load', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('owner'));
    // A second context: same session cookies, nothing cached.
    const cold = await browser.newContext({
      baseURL: new URL(page.url()).origin,
      storageState: await page.context().storageState(),
    });
    const fresh = await cold.newPage();
    const started = Date.now();
    await fresh.goto('/', { waitUntil: 'load' });
    const loadMs = Date.now() - started;
    const resources = await fresh.evaluate(() => performance.getEntriesByType('resource')
      .map((r) => ({ name: r.name, type: r.initiatorType, bytes: r.encodedBodySize })));
    const navigation = await fresh.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return { responseEnd: n.responseEnd, domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd };
    });
    const shipped = resources.filter((r) => /\.(js|css)$/.test(new URL(r.name).pathname));
    const bytes = shipped.reduce((sum, r) => sum + r.bytes, 0);
    assert.ok(shipped.length >= 8, `only ${shipped.length} scripts and style sheets loaded`);
    assert.ok(bytes > 0 && bytes < BUDGET_BYTES, `${bytes} bytes of JS + CSS (budget ${BUDGET_BYTES})`);
    await writeFile(join(outDir, 'budget.json'), `${JSON.stringify({
      dashboard_js_css_compressed_bytes: bytes,
      budget_bytes: BUDGET_BYTES,
      cold_load_ms: loadMs,
      navigation,
      files: shipped,
    }, null, 2)}\n`);
    await cold.close();
  });
});
