// Clients in the browser: create one and find it by a search with a typo; edit it in two tabs
// and see the conflict (who changed what), then keep one's values on purpose; convert the
// lead; delete and undo; a viewer sees no edit buttons and a forged POST is refused, as is a
// POST without the CSRF token.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, newPage, screenshot, signIn, startAs,
} from '../lib.mjs';

const NAME = `Cerámicas Albéniz ${Date.now() % 100000} S.L.`;

async function createClient(page, name) {
  await page.goto('/clients/new');
  await page.fill('#client-company_name', name);
  await page.fill('#client-emails', 'compras@albeniz.example');
  await page.fill('#client-tags', 'cerámica, norte');
  await Promise.all([
    page.waitForURL(/\/clients\/[0-9a-f-]{36}$/),
    page.click('button[data-action=save-client]'),
  ]);
  return new URL(page.url()).pathname.split('/').pop();
}

describe('clients', () => {
  let browser;
  let owner;
  let clientId;
  before(async () => {
    ({ browser, page: owner } = await startAs('owner'));
  });
  after(async () => {
    await browser?.close();
  });

  it('refuses a client without a name, next to the field, and changes nothing', async () => {
    await owner.goto('/clients/new');
    await owner.fill('#client-emails', 'not-an-email');
    await owner.click('button[data-action=save-client]');
    await owner.waitForSelector('#client-company_name.is-invalid');
    assert.match(await owner.textContent('#client-company_name-error'), /1-300/);
    assert.ok(await owner.locator('#client-emails.is-invalid').count());
    await expectClean(owner, { allow: [/status of 422/] });
    await axeCheck(owner);
    await screenshot(owner, 'client-new-errors');
  });

  it('creates a client and finds it by a search with a typo', async () => {
    clientId = await createClient(owner, NAME);
    assert.match(await owner.textContent('h1'), /Albéniz/);
    await owner.goto('/clients');
    // "Albeniz" misspelt: one letter dropped.
    await owner.fill('#clients-q', 'Albniz');
    await owner.waitForURL(/q=Albniz/);
    // Only the client searched for is left (the demo data holds no other Albéniz).
    await owner.waitForFunction(
      (id) => [...document.querySelectorAll('tr[data-client-id]')].every((r) => r.dataset.clientId === id),
      clientId,
    );
    assert.equal(await owner.locator(`tr[data-client-id="${clientId}"]`).count(), 1);
    await expectClean(owner);
    await screenshot(owner, 'clients-search');
  });

  it('exports only the rows picked, and filters by owner and custom field', async () => {
    await owner.goto('/clients');
    const rows = owner.locator('tr[data-client-id]');
    const picked = [await rows.nth(0).getAttribute('data-client-id'), await rows.nth(2).getAttribute('data-client-id')];
    for (const id of picked) await owner.check(`input[data-pick][value="${id}"]`);
    const link = owner.locator('a[data-action=export-selected]');
    await link.waitFor({ state: 'visible' });
    assert.equal((await link.locator('[data-picked-count]').textContent()).trim(), '2');
    const csv = await (await owner.request.get(await link.getAttribute('href'))).text();
    const lines = csv.trim().split(/\r?\n/);
    assert.equal(lines.length, 3, csv.slice(0, 300));
    assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]).sort(), [...picked].sort());
    await owner.check('input[data-pick-all]');
    assert.equal(
      (await link.locator('[data-picked-count]').textContent()).trim(),
      String(await owner.locator('input[data-pick]').count()),
    );
    await owner.selectOption('#clients-owner', { index: 1 });
    await owner.waitForURL(/owner_id=/);
    const field = await owner.locator('#clients-field option').nth(1).getAttribute('value');
    await owner.selectOption('#clients-field', field);
    await owner.fill('#clients-field-value', 'no such value anywhere');
    await owner.press('#clients-field-value', 'Enter');
    await owner.waitForURL(/field_value=/);
    await owner.waitForSelector('#client-rows td.text-secondary');
    assert.equal(await owner.locator('tr[data-client-id]').count(), 0);
    await link.waitFor({ state: 'hidden' });
    await expectClean(owner);
    await axeCheck(owner);
    await screenshot(owner, 'clients-picked-filters');
  });

  it('shows who changed what when an edit went stale, and saves only on purpose', async () => {
    const second = await newPage(owner.context());
    await owner.goto(`/clients/${clientId}/edit`);
    await second.goto(`/clients/${clientId}/edit`);
    await second.fill('#client-sector', 'Industria');
    await Promise.all([second.waitForURL(`**/clients/${clientId}`), second.click('button[data-action=save-client]')]);
    await owner.fill('#client-sector', 'Comercio');
    await owner.click('button[data-action=save-client]');
    await owner.waitForSelector('[data-problem=stale]');
    assert.match(await owner.textContent('[data-field=changed-by]'), /Owner/);
    const row = owner.locator('tr[data-conflict-field=sector]');
    assert.match(await row.textContent(), /Comercio/);
    assert.match(await row.textContent(), /Industria/);
    await expectClean(owner, { allow: [/status of 409/] });
    await axeCheck(owner);
    await screenshot(owner, 'client-conflict');
    await Promise.all([owner.waitForURL(`**/clients/${clientId}`), owner.click('button[data-action=apply-mine]')]);
    assert.match(await owner.textContent('#pane-profile'), /Comercio/);
    await second.close();
  });

  it('converts the lead and shows it on the timeline', async () => {
    await owner.goto(`/clients/${clientId}`);
    await Promise.all([owner.waitForLoadState('load'), owner.click('button[data-action=convert-client]')]);
    assert.equal(await owner.locator('button[data-action=convert-client]').count(), 0);
    await owner.click('#tab-timeline');
    await owner.waitForSelector('#client-timeline >> text=client.converted');
    await expectClean(owner);
    await axeCheck(owner);
    await screenshot(owner, 'client-detail');
  });

  it('deletes a client and undoes it', async () => {
    await owner.goto(`/clients/${clientId}`);
    await Promise.all([owner.waitForURL(/deleted=/), owner.click('button[data-action=delete-client]')]);
    assert.equal((await owner.goto(`/clients/${clientId}`)).status(), 404);
    await owner.goBack();
    await Promise.all([owner.waitForURL(`**/clients/${clientId}`), owner.click('button[data-action=restore-client]')]);
    assert.match(await owner.textContent('h1'), /Albéniz/);
  });

  it('shows a viewer no edit button and refuses a forged or token-less POST', async () => {
    const viewer = await newPage(browser);
    await signIn(viewer, demoUser('viewer'));
    await viewer.goto(`/clients/${clientId}`);
    for (const action of ['edit-client', 'delete-client', 'convert-client']) {
      assert.equal(await viewer.locator(`[data-action=${action}]`).count(), 0, action);
    }
    await viewer.goto('/clients');
    assert.equal(await viewer.locator('[data-action=new-client]').count(), 0);
    // A forged form post with the viewer's own valid CSRF token: the role refuses it.
    const token = await viewer.locator('input[name=_csrf]').first().inputValue();
    const forged = await viewer.request.post(`/clients/${clientId}/delete`, {
      form: { _csrf: token }, maxRedirects: 0,
    });
    assert.equal(forged.status(), 403);
    // The owner's session without the token: refused before any permission is looked at.
    const tokenless = await owner.request.post(`/clients/${clientId}/delete`, { form: {}, maxRedirects: 0 });
    assert.equal(tokenless.status(), 403);
    assert.match(await tokenless.text(), /data-problem="csrf"/);
    const still = await owner.goto(`/clients/${clientId}`);
    assert.equal(still.status(), 200);
  });
});
