// Every console page in lib.mjs `consolePages`, signed in as the owner: it answers, keeps the
// console's layout, logs no error or CSP violation, passes axe, and is photographed.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, consolePages, demoUser, expectClean, launch, newPage, screenshot, signIn,
} from '../lib.mjs';

describe('console pages as the owner', () => {
  let browser;
  let signedIn;
  before(async () => {
    browser = await launch();
    signedIn = await newPage(browser);
    await signIn(signedIn, demoUser('owner'));
    await expectClean(signedIn);
  });
  after(async () => {
    await browser?.close();
  });

  for (const path of consolePages) {
    it(`${path} renders cleanly and accessibly`, async () => {
      // A page of its own in the signed-in context, so one page's faults stay in its test.
      const page = await newPage(signedIn.context());
      try {
        const response = await page.goto(path);
        await screenshot(page, `owner${path === '/' ? '-dashboard' : path}`);
        assert.ok(response.status() < 400, `${path} answered ${response.status()}`);
        assert.equal(new URL(page.url()).pathname, path, `${path} sent the owner elsewhere`);
        assert.equal(await page.locator('main').count(), 1, 'one <main>');
        assert.ok(await page.locator('h1').count() >= 1, 'an <h1>');
        await expectClean(page);
        await axeCheck(page);
      } finally {
        await page.close();
      }
    });
  }
});
