// Signing in and out of the console: the login page, a refused password, the owner's
// dashboard, and sign-out closing the console again.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, baseURL, demoUser, expectClean, launch, newPage, screenshot, signIn, signOut, submitLogin,
} from '../lib.mjs';

// Asks for `path` without following redirects and expects the way to the login page.
async function expectSentToLogin(page, path) {
  const answer = await page.request.get(path, { maxRedirects: 0 });
  assert.equal(answer.status(), 303, `${path} answered ${answer.status()} signed out`);
  const to = new URL(answer.headers().location, baseURL());
  assert.equal(to.pathname, '/login', `${path} sent to ${answer.headers().location}`);
  const next = to.searchParams.get('next');
  if (path === '/') {
    assert.ok(next === null || next === '/', `next is ${next}`);
  } else {
    assert.equal(next, path);
  }
}

describe('signing in and out', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('sends a signed-out visitor to the login page', async () => {
    const page = await newPage(browser);
    await expectSentToLogin(page, '/');
    await expectSentToLogin(page, '/clients');
    const response = await page.goto('/');
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/login');
    await screenshot(page, 'login');
    const form = page.locator('form#login-form');
    assert.equal(await form.getAttribute('method').then((m) => m?.toLowerCase()), 'post');
    assert.equal(new URL(await form.evaluate((f) => f.action)).pathname, '/login');
    for (const name of ['tenant', 'email', 'password']) {
      const input = form.locator(`[name=${name}]`);
      assert.equal(await input.count(), 1, `one ${name} input`);
      const labels = await input.evaluate((el) => [...el.labels].map((l) => l.textContent.trim()));
      assert.ok(labels.some((l) => l.length > 0), `the ${name} input has no label`);
    }
    await expectClean(page);
    await axeCheck(page);
  });

  it('shows the error on the login page for a wrong password', async () => {
    const page = await newPage(browser);
    const owner = demoUser('owner');
    await submitLogin(page, { ...owner, password: 'not-the-owner-password' });
    await screenshot(page, 'login-refused');
    assert.equal(new URL(page.url()).pathname, '/login');
    const alert = page.locator('[role=alert]');
    await alert.first().waitFor({ state: 'visible' });
    assert.ok((await alert.first().textContent()).trim().length > 0, 'the alert is empty');
    await expectSentToLogin(page, '/');
    // The refused POST's own status (4xx) is what a refusal looks like, not a page fault.
    await expectClean(page, {
      allow: [/Failed to load resource: the server responded with a status of 4\d\d .*\/login:\d+\)$/],
    });
    await axeCheck(page);
  });

  it('lets the owner sign in and reach the dashboard', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('owner'));
    assert.equal(new URL(page.url()).pathname, '/');
    await screenshot(page, 'dashboard');
    assert.equal(await page.locator('main').count(), 1, 'one <main>');
    assert.ok(await page.locator('h1').count() >= 1, 'an <h1>');
    await page.locator('form[action="/logout"][method=post] button[data-action=sign-out]')
      .waitFor({ state: 'visible' });
    await expectClean(page);
    await axeCheck(page);
  });

  it('signs out to the login page and refuses the console again', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('owner'));
    await signOut(page);
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/login');
    await expectSentToLogin(page, '/');
    await expectSentToLogin(page, '/clients');
    await expectClean(page);
  });
});
