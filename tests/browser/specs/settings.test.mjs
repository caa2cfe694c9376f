// The tenant's settings and each user's language: the owner switches the demo tenant to
// English and the console follows; a user chooses Spanish for themselves while the tenant
// stays English; a refused form shows its errors; custom fields are defined and deleted; a
// viewer may not open the settings. The tenant and the user are put back as they were.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, launch, newPage, screenshot, signIn,
} from '../lib.mjs';

// A refused form or page answers 4xx, which the browser logs as a failed resource.
const refusedLoad = (status) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

async function lang(page) {
  return page.locator('html').getAttribute('lang');
}

async function heading(page) {
  return (await page.locator('main h1').first().textContent()).trim();
}

// Submits `form` with its button `button` and waits for the page it leads to.
async function submit(page, form, button = 'button[type=submit]') {
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
  await page.locator(`${form} ${button}`).first().click();
  await navigated;
  await page.waitForLoadState('load');
}

// Chooses a language (`es`, `en`, or '' for the company's) with the navbar's switch.
async function chooseLanguage(page, locale) {
  const form = 'form[data-form=language]';
  await page.locator(`${form} [data-action=choose-language]`).click();
  await page.locator(`${form} button[name=locale][value="${locale}"]`).waitFor({ state: 'visible' });
  await submit(page, form, `button[name=locale][value="${locale}"]`);
}

// Sets the tenant's language on the settings page, as its owner.
async function setTenantLocale(page, locale) {
  await page.goto('/admin/settings');
  await page.locator('#tenant-locale').selectOption(locale);
  await submit(page, '#tenant-form');
  assert.equal(new URL(page.url()).searchParams.get('saved'), 'tenant');
}

describe('settings and languages', () => {
  let browser;
  let owner;
  before(async () => {
    browser = await launch();
    owner = await newPage(browser);
    await signIn(owner, demoUser('owner'));
  });
  after(async () => {
    try {
      if (owner) await setTenantLocale(owner, 'es');
      const sales = await newPage(browser);
      await signIn(sales, demoUser('sales'));
      await chooseLanguage(sales, '');
    } finally {
      await browser?.close();
    }
  });

  it('the owner switches the tenant to English and the dashboard follows', async () => {
    await owner.goto('/');
    assert.equal(await lang(owner), 'es');
    assert.equal(await heading(owner), 'Panel');

    const shown = await owner.goto('/admin/settings');
    assert.equal(shown.status(), 200);
    assert.equal(await owner.locator('#tenant-locale').inputValue(), 'es');
    assert.ok((await owner.locator('#tenant-name').inputValue()).length > 0);
    await screenshot(owner, 'settings-es');
    await expectClean(owner);
    await axeCheck(owner);

    await setTenantLocale(owner, 'en');
    assert.equal(await lang(owner), 'en');
    assert.match(await owner.locator('[data-notice]').textContent(), /settings were saved/);
    assert.equal(await owner.locator('#tenant-locale').inputValue(), 'en');

    await owner.goto('/');
    assert.equal(await lang(owner), 'en');
    assert.equal(await heading(owner), 'Dashboard');
    await screenshot(owner, 'dashboard-en');
    await expectClean(owner);
  });

  it('a user chooses Spanish for themselves while the tenant stays English', async () => {
    const sales = await newPage(browser);
    await signIn(sales, demoUser('sales'));
    assert.equal(await lang(sales), 'en', 'the tenant is English now');
    assert.equal(await heading(sales), 'Dashboard');

    await sales.goto('/clients');
    await chooseLanguage(sales, 'es');
    assert.equal(new URL(sales.url()).pathname, '/clients', 'back on the page it was sent from');
    assert.equal(await lang(sales), 'es');
    await sales.goto('/');
    assert.equal(await heading(sales), 'Panel');
    await screenshot(sales, 'dashboard-sales-es');
    await expectClean(sales);
    await axeCheck(sales);

    // The tenant, and whoever chose nothing, stay English.
    await owner.goto('/');
    assert.equal(await lang(owner), 'en');
    await owner.goto('/admin/settings');
    assert.equal(await owner.locator('#tenant-locale').inputValue(), 'en');
    await expectClean(owner);
  });

  it('shows a refused setting next to its field and keeps the stored one', async () => {
    await owner.goto('/admin/settings');
    const stored = await owner.locator('#tenant-name').inputValue();
    await owner.locator('#tenant-name').fill('   ');
    const answered = owner.waitForResponse((r) => r.request().method() === 'POST'
      && new URL(r.url()).pathname === '/admin/settings');
    await submit(owner, '#tenant-form');
    assert.equal((await answered).status(), 422);
    const name = owner.locator('#tenant-name');
    assert.match(await name.getAttribute('class'), /is-invalid/);
    assert.match(await name.getAttribute('aria-describedby'), /tenant-name-error/);
    assert.ok((await owner.locator('#tenant-name-error').textContent()).trim().length > 0);
    await screenshot(owner, 'settings-refused');
    await expectClean(owner, { allow: [refusedLoad(422)] });
    await axeCheck(owner);
    await owner.goto('/admin/settings');
    assert.equal(await owner.locator('#tenant-name').inputValue(), stored);
  });

  it('defines a custom field and deletes it', async () => {
    const key = `tier_${Date.now().toString(36)}`;
    await owner.goto('/admin/settings');
    await owner.locator('#field-label').fill('Customer tier');
    await owner.locator('#field-key').fill(key);
    await owner.locator('#field-type').selectOption('select');
    await owner.locator('#field-options').fill('Gold\nSilver\nBronze');
    await submit(owner, '#field-form');
    assert.equal(new URL(owner.url()).searchParams.get('saved'), 'field-created');
    const row = owner.locator(`tr[data-field="${key}"]`);
    assert.equal(await row.count(), 1);
    assert.match(await row.textContent(), /Gold, Silver, Bronze/);
    await expectClean(owner);
    await axeCheck(owner);

    // The same key again is refused on the form.
    await owner.locator('#field-label').fill('Tier again');
    await owner.locator('#field-key').fill(key);
    await owner.locator('#field-type').selectOption('text');
    await submit(owner, '#field-form');
    assert.match(await owner.locator('#field-key').getAttribute('class'), /is-invalid/);
    await expectClean(owner, { allow: [refusedLoad(409)] });

    await owner.goto('/admin/settings');
    await submit(owner, `tr[data-field="${key}"] form`);
    assert.equal(new URL(owner.url()).searchParams.get('saved'), 'field-deleted');
    assert.equal(await owner.locator(`tr[data-field="${key}"]`).count(), 0);
    await expectClean(owner);
  });

  it('refuses the settings to a viewer', async () => {
    const viewer = await newPage(browser);
    await signIn(viewer, demoUser('viewer'));
    const response = await viewer.goto('/admin/settings');
    assert.equal(response.status(), 403);
    assert.equal(await viewer.locator('#tenant-form').count(), 0);
    await screenshot(viewer, 'settings-viewer-403');
    await expectClean(viewer, { allow: [refusedLoad(403)] });
    await axeCheck(viewer);
  });
});
