// Proposals in the browser: a sales user drafts a proposal for a demo client in the editor,
// sees each line's amount and the totals follow what they type (3 × 9,995 at 21 % tax: 29,99
// + 6,30 = 36,29, rounded per line as the server does), adds and removes a row, saves the
// draft and finds it in the list and on its page with its preview; a refused form shows the
// problem on its row. A client rejects a sent proposal on its public page, signed out. A
// viewer sees the proposal but no editor.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, baseURL, demoUser, expectClean, launch, newPage, screenshot, signIn,
} from '../lib.mjs';

const RUN = Date.now() % 100000;
const TITLE = `Renovación de licencias ${RUN}`;

/** An API call as the demo owner (bearer token from the API's own sign-in). */
async function api(token, method, path, body) {
  const answer = await fetch(`${baseURL()}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: answer.status, body: await answer.json().catch(() => null) };
}

/** The demo owner's API token. */
async function ownerToken() {
  const { tenant, email, password } = demoUser('owner');
  const login = await api(null, 'POST', '/api/v1/auth/login', { tenant, email, password });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body.access_token;
}

/** The demo tenant has a proposal template to draft from (made here when it has none). */
async function ensureTemplate() {
  const token = await ownerToken();
  const found = await api(token, 'GET', '/api/v1/proposal-templates');
  assert.equal(found.status, 200, JSON.stringify(found.body));
  if (found.body.data?.length) return;
  const made = await api(token, 'POST', '/api/v1/proposal-templates', {
    name: `Oferta estándar ${RUN}`,
    sections: [{ title: 'Propuesta para {{clientName}}', body: 'Total: {{total}}.\n\nAnticipo: {{deposit}} %.' }],
    variables: [{ name: 'deposit', type: 'percentage', label: 'Anticipo' }],
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
}

// The proposal's own page in the preview frame is the services' document (its footer's grey
// is below the AA contrast ratio): the console's page around it is checked.
const PREVIEW = { exclude: ['iframe[data-proposal-preview]'] };

/** The text of a total (`subtotal`, `tax_total`, `total`). */
async function total(page, name) {
  return (await page.textContent(`[data-total="${name}"]`)).trim();
}

describe('proposals', () => {
  let browser;
  let proposalId;
  before(async () => {
    await ensureTemplate();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  async function signedIn(role) {
    const page = await newPage(browser);
    await signIn(page, demoUser(role));
    await expectClean(page);
    return page;
  }

  it('drafts a proposal with live totals, saves it and finds it listed', async () => {
    const sales = await signedIn('sales');
    await sales.goto('/clients');
    const clientId = await sales.locator('tr[data-client-id]').first().getAttribute('data-client-id');
    await sales.goto(`/proposals/new?client_id=${clientId}`);
    await expectClean(sales);
    await axeCheck(sales);

    // Another template redraws its variables, another client its opportunities (htmx).
    const templates = await sales.locator('#proposal-template_id option').evaluateAll((os) => os.map((o) => o.value));
    if (templates.length > 1) {
      const redrawn = sales.waitForResponse((r) => new URL(r.url()).searchParams.get('template_id') === templates[1]);
      await sales.selectOption('#proposal-template_id', templates[1]);
      assert.equal((await redrawn).status(), 200);
      await sales.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping'));
      assert.equal(await sales.locator('#proposal-variables').count(), 1, 'the variables, once');
    }
    const clients = await sales.locator('#proposal-client_id option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    const other = clients.find((c) => c !== clientId);
    const chosen = sales.waitForResponse((r) => new URL(r.url()).searchParams.get('client_id') === other);
    await sales.selectOption('#proposal-client_id', other, { force: true });
    assert.equal((await chosen).status(), 200);
    await sales.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping'));
    assert.equal(await sales.locator('#proposal-opportunity_id').count(), 1, 'the opportunities, once');
    await expectClean(sales);

    // The figures follow the typing, rounded per line.
    await sales.fill('#proposal-title', TITLE);
    await sales.fill('#item-0-description', 'Licencias');
    await sales.fill('#item-0-quantity', '3');
    await sales.fill('#item-0-unit_price', '9,995');
    assert.match(await total(sales, 'total'), /^29,99 /, 'before the tax');
    await sales.fill('#item-0-tax_rate', '21');
    assert.match(await sales.textContent('tr[data-item-row] [data-line-net]'), /29,99/);
    assert.match(await total(sales, 'subtotal'), /^29,99 EUR$/);
    assert.match(await total(sales, 'tax_total'), /^6,30 EUR$/);
    assert.match(await total(sales, 'total'), /^36,29 EUR$/);

    // A row added counts; removed, it no longer does.
    const rows = await sales.locator('tr[data-item-row]').count();
    await sales.click('[data-add-item]');
    assert.equal(await sales.locator('tr[data-item-row]').count(), rows + 1);
    const added = sales.locator('tr[data-item-row]').last();
    await added.locator('[data-item=description]').fill('Soporte');
    await added.locator('[data-item=quantity]').fill('1');
    await added.locator('[data-item=unit_price]').fill('100');
    assert.match(await total(sales, 'total'), /^136,29 EUR$/);
    await added.locator('[data-remove-item]').click();
    assert.equal(await sales.locator('tr[data-item-row]').count(), rows);
    assert.match(await total(sales, 'total'), /^36,29 EUR$/);

    // A refused row: the problem on it, the typed values kept.
    await sales.fill('#item-1-description', 'Formación');
    await sales.fill('#item-1-quantity', '0');
    await sales.click('button[data-action=create-proposal]');
    await sales.waitForSelector('#item-1-quantity.is-invalid');
    assert.ok(await sales.locator('#item-1-quantity-error').count());
    assert.equal(await sales.inputValue('#item-0-unit_price'), '9,995', 'the typed value stays');
    assert.match(await total(sales, 'total'), /^36,29 EUR$/);
    await expectClean(sales, { allow: [/status of 422/] });
    await axeCheck(sales);
    await screenshot(sales, 'proposal-new-errors');

    await sales.fill('#item-1-description', '');
    await sales.fill('#item-1-quantity', '');
    await Promise.all([
      sales.waitForURL(/\/proposals\/[0-9a-f-]{36}\?notice=created$/),
      sales.click('button[data-action=create-proposal]'),
    ]);
    proposalId = new URL(sales.url()).pathname.split('/').pop();
    assert.match(await sales.textContent('h1'), new RegExp(TITLE));
    assert.match(await sales.textContent('[data-field=total]'), /36,29 EUR/, "the server's total");
    assert.equal(await sales.getAttribute('[data-field=status]', 'data-status'), 'draft');
    assert.ok(await sales.locator('iframe[data-proposal-preview]').count(), 'the preview');
    assert.match(await total(sales, 'total'), /^36,29 EUR$/, 'the editor shows it again');
    await expectClean(sales);
    await axeCheck(sales, PREVIEW);
    await screenshot(sales, 'proposal-draft');

    await sales.goto('/proposals?status=draft');
    const row = sales.locator(`tr[data-proposal-id="${proposalId}"]`);
    assert.equal(await row.count(), 1, 'listed among the drafts');
    assert.match(await row.textContent(), /36,29 EUR/);
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'proposals');
    await sales.close();
  });

  it('the client answers a sent proposal on its public page, without an account', async (t) => {
    const token = await ownerToken();
    const sent = await api(token, 'GET', '/api/v1/proposals?status=sent&limit=1');
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const proposal = sent.body.data?.[0];
    if (!proposal) {
      t.skip('the demo tenant has no sent proposal');
      return;
    }
    const link = await api(token, 'GET', `/api/v1/proposals/${proposal.id}/link`);
    assert.equal(link.status, 200, JSON.stringify(link.body));
    const url = new URL(link.body.url);
    const client = await newPage(browser);
    await client.goto(url.pathname + url.search);
    assert.equal(await client.getAttribute('[data-field=status]', 'data-status'), 'sent');
    assert.ok(await client.locator('iframe[data-proposal-document]').count(), 'the proposal as sent');
    await expectClean(client);
    await axeCheck(client, { exclude: ['iframe[data-proposal-document]'] });
    await screenshot(client, 'proposal-public');

    await client.fill('#proposal-reject-note', 'Preferimos esperar al año que viene.');
    await Promise.all([
      client.waitForURL(/done=rejected$/),
      client.click('button[data-action=reject-proposal]'),
    ]);
    assert.equal(await client.getAttribute('[data-field=status]', 'data-status'), 'rejected');
    assert.ok(await client.locator('[data-thanks]').count());
    assert.equal(await client.locator('[data-action=accept-proposal]').count(), 0);
    await expectClean(client);
    await axeCheck(client, { exclude: ['iframe[data-proposal-document]'] });
    await screenshot(client, 'proposal-public-rejected');
    await client.close();
  });

  it('a viewer sees the proposal but no editor', async () => {
    const viewer = await signedIn('viewer');
    await viewer.goto(`/proposals/${proposalId}`);
    assert.equal(await viewer.locator('#proposal-form').count(), 0);
    assert.equal(await viewer.locator('[data-action=send-proposal]').count(), 0);
    assert.match(await viewer.textContent('[data-items]'), /Licencias/);
    await expectClean(viewer);
    await axeCheck(viewer, PREVIEW);
    await viewer.close();
  });
});
