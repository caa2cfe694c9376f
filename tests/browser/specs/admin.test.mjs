// The administration pages: the owner makes a custom role in the permission matrix and
// invites someone with it; the invited person accepts through the link the page shows, signs
// in and sees only what the role allows. The server refuses what a role does not allow even
// when the request is forged: the viewer's invitation, the admin's handing out of the owner
// role.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, launch, newPage, screenshot, signIn, signOut, submitLogin,
} from '../lib.mjs';

// A refused POST answers 4xx by design: the browser logs it as a failed resource.
const REFUSED = /Failed to load resource: the server responded with a status of 4\d\d/;

/** The page's CSRF token (from any of its forms). */
async function csrfOf(page) {
  const token = await page.locator('input[name=_csrf]').first().getAttribute('value');
  assert.ok(token, 'the page carries a CSRF token');
  return token;
}

/** Waits until `check` answers true (polled for up to 5 s). */
async function eventually(check, what) {
  for (let i = 0; i < 50; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => { setTimeout(resolve, 100); });
  }
  assert.fail(`timed out waiting: ${what}`);
}

/** Submits the form `selector` with its submit button and waits for the page it leads to. */
async function submit(page, selector) {
  const form = page.locator(selector);
  await Promise.all([
    page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }),
    form.locator('button[type=submit]').first().click(),
  ]);
  await page.waitForLoadState('load');
}

describe('administration', () => {
  let browser;
  const suffix = Date.now().toString(36);
  const role = `reader-${suffix}`;
  const invitee = {
    tenant: 'demo',
    email: `reader-${suffix}@demo.example`,
    password: `Quartz-${suffix}-harbour-lantern-77`,
  };
  let invitationLink;

  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('lets the owner create a custom role in the permission matrix', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('owner'));
    await page.goto('/admin/roles');
    // Built-in roles are listed, and are read-only on their own page.
    assert.equal(await page.locator('tr[data-role=viewer]').count(), 1);
    await page.goto('/admin/roles/viewer');
    await page.locator('[data-note=built-in]').waitFor();
    assert.equal(await page.locator('#role-form input[type=checkbox]').count(), 0,
      'a built-in role has no checkboxes');
    assert.equal(await page.locator('[data-action=save-role]').count(), 0);
    await axeCheck(page);

    await page.goto('/admin/roles');
    await Promise.all([page.waitForURL('**/admin/roles/new'), page.click('[data-action=new-role]')]);
    await page.fill('#role-name', role);
    await page.fill('#role-description', 'Reads clients and their timeline');
    for (const permission of ['clients.view', 'timeline.view']) {
      const box = page.locator(`#role-form tr[data-permission="${permission}"] input[type=checkbox]`);
      await box.check();
    }
    await axeCheck(page);
    await submit(page, '#role-form');
    assert.equal(new URL(page.url()).pathname, `/admin/roles/${role}`);
    await screenshot(page, 'admin-role-created');
    const checked = await page.locator('#role-form input[type=checkbox]:checked')
      .evaluateAll((boxes) => boxes.map((b) => b.value));
    assert.deepEqual(checked.sort(), ['clients.view', 'timeline.view']);
    await expectClean(page);
    await axeCheck(page);
  });

  it('refuses a stale change of the role', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('owner'));
    await page.goto(`/admin/roles/${role}`);
    // Another tab saves first: this form's version is then out of date.
    const other = await newPage(page.context());
    await other.goto(`/admin/roles/${role}`);
    await other.fill('#role-description', 'Changed in another tab');
    await submit(other, '#role-form');
    await other.close();
    await page.locator('#role-form tr[data-permission="clients.export"] input').check();
    const answer = page.waitForResponse((r) => r.request().method() === 'POST');
    await submit(page, '#role-form');
    assert.equal((await answer).status(), 412);
    await page.locator('[data-refusal="412"]').waitFor();
    await page.goto(`/admin/roles/${role}`);
    const exportBox = page.locator('#role-form tr[data-permission="clients.export"] input');
    assert.equal(await exportBox.isChecked(), false, 'the stale change was not saved');
    await expectClean(page, { allow: [REFUSED] });
  });

  it('lets the owner invite a user with the role and shows the link once', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('owner'));
    await page.goto('/admin/users');
    await Promise.all([page.waitForURL('**/admin/users/new'), page.click('[data-action=invite-user]')]);
    await axeCheck(page);
    await page.fill('#invite-email', invitee.email);
    await page.fill('#invite-name', 'Rita Reader');
    await page.check(`#role-${role}`);
    await submit(page, '#invite-form');
    await screenshot(page, 'admin-user-invited');
    const link = page.locator('[data-invitation-link]');
    invitationLink = await link.getAttribute('href');
    assert.match(invitationLink, /^\/invitation\?token=/);
    await axeCheck(page);
    // The user's page: the change form and the disable button, for the owner.
    await Promise.all([
      page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/),
      page.click(`a[href^="/admin/users/"].btn-primary`),
    ]);
    assert.equal(await page.locator(`#role-${role}`).isChecked(), true);
    await page.locator('[data-action=disable-user]').waitFor();
    await axeCheck(page);

    // The list shows the new user as invited, with the role.
    await page.goto('/admin/users');
    const row = page.locator(`tr[data-email="${invitee.email}"]`);
    assert.ok((await row.textContent()).includes(role), 'the invited user has the role');
    // Inviting the same e-mail again is refused on the form.
    await page.goto('/admin/users/new');
    await page.fill('#invite-email', invitee.email);
    await page.fill('#invite-name', 'Rita Again');
    const answer = page.waitForResponse((r) => r.request().method() === 'POST');
    await submit(page, '#invite-form');
    assert.equal((await answer).status(), 409);
    await page.locator('[data-refusal="409"]').waitFor();
    await axeCheck(page);
    await expectClean(page, { allow: [REFUSED] });
  });

  it('lets the invited user in with only what the role allows', async () => {
    assert.ok(invitationLink, 'the invitation test ran first');
    const page = await newPage(browser);
    await page.goto(invitationLink);
    await page.fill('#invitation-password', invitee.password);
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/'),
      page.click('form[action="/invitation"] button[type=submit]'),
    ]);
    await signOut(page);
    await signIn(page, invitee);
    await screenshot(page, 'admin-invitee-dashboard');
    const nav = page.locator('nav.navbar');
    assert.equal(await nav.locator('a[href^="/admin"]').count(), 0, 'no administration menu');
    assert.equal(await nav.locator('.dropdown-toggle:not([data-action=choose-language])').count(), 0, 'no administration menu');
    assert.equal(await nav.locator('a[href="/clients"]').count(), 1, 'Clients is in the menu');
    const clients = await page.goto('/clients');
    assert.equal(clients.status(), 200);
    assert.equal(await page.locator('[data-action=new-client]').count(), 0, 'no "New client"');
    for (const path of ['/admin/users', '/admin/roles', '/admin/api-keys', '/admin/audit']) {
      const answer = await page.goto(path);
      assert.equal(answer.status(), 403, `${path} answered ${answer.status()}`);
    }
    await expectClean(page, { allow: [REFUSED] });
  });

  it('lets the owner disable the user, who can then no longer sign in, and enable them', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('owner'));
    await page.goto('/admin/users');
    await Promise.all([
      page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/),
      page.locator(`tr[data-email="${invitee.email}"] a`).click(),
    ]);
    const userPage = page.url();
    await Promise.all([
      page.waitForURL(userPage),
      page.click('[data-action=disable-user]'),
    ]);
    await page.locator('[data-action=enable-user]').waitFor();

    const outsider = await newPage(browser);
    await submitLogin(outsider, invitee);
    assert.equal(new URL(outsider.url()).pathname, '/login', 'a disabled user stays out');

    await Promise.all([
      page.waitForURL(userPage),
      page.click('[data-action=enable-user]'),
    ]);
    await page.locator('[data-action=disable-user]').waitFor();
    await signIn(outsider, invitee);
    await expectClean(page);
    await expectClean(outsider, { allow: [REFUSED] });
  });

  it('shows the viewer the users read-only and refuses what the role lacks', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('viewer'));
    // `users.view` is in every built-in role (as for `GET /api/v1/users`): the list, no controls.
    await page.goto('/admin/users');
    assert.equal(await page.locator('[data-action=invite-user]').count(), 0);
    await Promise.all([
      page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/),
      page.locator('tbody#user-rows a').first().click(),
    ]);
    assert.equal(await page.locator('#user-form').count(), 0, 'no change form');
    assert.equal(await page.locator('[data-action=disable-user]').count(), 0);
    const csrf = await csrfOf(page);
    for (const path of ['/admin/users/new', '/admin/roles/new', '/admin/api-keys', '/admin/audit']) {
      const answer = await page.goto(path);
      assert.equal(answer.status(), 403, `${path} answered ${answer.status()}`);
    }
    // A forged invitation is refused by the server.
    const forged = await page.request.post('/admin/users', {
      form: { _csrf: csrf, email: `forged-${suffix}@demo.example`, display_name: 'Forged', role: 'viewer' },
      maxRedirects: 0,
    });
    assert.equal(forged.status(), 403);
    await expectClean(page, { allow: [REFUSED] });
  });

  it('refuses the admin handing out the owner role, even when forged', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('admin'));
    await page.goto('/admin/users/new');
    // The owner role has a permission the admin lacks (tenant.settings): not offered.
    assert.equal(await page.locator('#role-owner').isDisabled(), true);
    const csrf = await csrfOf(page);
    const forged = await page.request.post('/admin/users', {
      form: { _csrf: csrf, email: `owner-${suffix}@demo.example`, display_name: 'Would-be owner', role: 'owner' },
      maxRedirects: 0,
    });
    assert.equal(forged.status(), 403);
    assert.match(await forged.text(), /data-refusal="403"/);
    // Nor can the admin change the owner.
    await page.goto('/admin/users');
    await Promise.all([
      page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/),
      page.locator(`tr[data-email="${demoUser('owner').email}"] a`).click(),
    ]);
    await page.locator('[data-note=cannot-change]').waitFor();
    assert.equal(await page.locator('[data-action=disable-user]').count(), 0);
    await axeCheck(page);
    await expectClean(page, { allow: [REFUSED] });
  });

  it('creates an API key, shows its secret once and revokes it', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('owner'));
    await page.goto('/admin/api-keys/new');
    await page.fill('#key-name', `Reporting ${suffix}`);
    await page.selectOption('#key-role', role);
    await axeCheck(page);
    await submit(page, '#key-form');
    const secret = await page.locator('[data-key-secret]').inputValue();
    assert.match(secret, /^crm_[0-9a-f]{32}_[0-9a-f]{32}_/);
    await axeCheck(page);
    // The key works on the API with its role's permissions, and not beyond them.
    const headers = { authorization: `Bearer ${secret}` };
    assert.equal((await page.request.get('/api/v1/clients', { headers })).status(), 200);
    assert.equal((await page.request.get('/api/v1/users', { headers })).status(), 403);

    await page.goto('/admin/api-keys');
    const row = page.locator('tr', { hasText: `Reporting ${suffix}` });
    await Promise.all([
      page.waitForURL('**/admin/api-keys'),
      row.locator('[data-action=revoke-key]').click(),
    ]);
    await page.waitForLoadState('load');
    assert.equal(await row.locator('[data-action=revoke-key]').count(), 0, 'revoked');
    assert.equal((await page.request.get('/api/v1/clients', { headers })).status(), 401);
    await expectClean(page);
  });

  it('filters the audit log by action and by who acted', async () => {
    const page = await newPage(browser);
    await signIn(page, demoUser('owner'));
    await page.goto('/admin/audit?action=role.*');
    const actions = await page.locator('tbody#audit-rows tr[data-audit-action]')
      .evaluateAll((rows) => rows.map((r) => r.dataset.auditAction));
    assert.ok(actions.length >= 2, `role changes listed: ${actions}`);
    assert.ok(actions.every((a) => a.startsWith('role.')), `${actions}`);
    await screenshot(page, 'admin-audit-filtered');
    await axeCheck(page);
    // Choosing an actor in the form narrows the list in place (htmx).
    const viewerOption = page.locator('#audit-actor option', { hasText: demoUser('viewer').email });
    const viewerId = await viewerOption.getAttribute('value');
    await page.selectOption('#audit-action', '');
    await Promise.all([
      page.waitForResponse((r) => r.url().includes(`actor_id=${viewerId}`)),
      page.selectOption('#audit-actor', viewerId),
    ]);
    // Wait for the swap: every row listed is then the viewer's (who signed in, so has some).
    const viewerEmail = demoUser('viewer').email;
    await eventually(async () => {
      const who = await page.locator('tbody#audit-rows tr[data-audit-action] td:nth-child(2)')
        .allTextContents();
      return who.length > 0 && who.every((w) => w.includes(viewerEmail));
    }, 'only the viewer\'s entries are listed');
    assert.equal(new URL(page.url()).searchParams.get('actor_id'), viewerId, 'the URL keeps the filter');
    await expectClean(page);
  });
});
