// CSV import with a bad row (live progress, then the row's error), duplicates merged and the
// merge undone, and a second browser seeing a new client appear on the dashboard live.

import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, newPage, screenshot, signIn, startAs,
} from '../lib.mjs';

const RUN = Date.now() % 100000;

describe('import, merge and live updates', () => {
  let browser;
  let owner;
  before(async () => {
    ({ browser, page: owner } = await startAs('owner'));
  });
  after(async () => {
    await browser?.close();
  });

  it('imports a CSV with one bad row and shows that row\'s error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crm-import-'));
    const file = join(dir, 'clients.csv');
    await writeFile(file, [
      'company_name,emails,status',
      `Importada Uno ${RUN} S.L.,uno${RUN}@importada.example,lead`,
      `Importada Dos ${RUN} S.L.,not-an-email,lead`,
      `Importada Tres ${RUN} S.L.,tres${RUN}@importada.example,client`,
    ].join('\n'));
    await owner.goto('/clients/import');
    await axeCheck(owner);
    await owner.setInputFiles('#import-file', file);
    await Promise.all([
      owner.waitForURL(/\/imports\/[0-9a-f-]{36}$/),
      owner.click('button[data-action=start-import]'),
    ]);
    await owner.waitForSelector('#import-progress[data-import-status=done]', { timeout: 30_000 });
    assert.match(await owner.textContent('[data-field=rows]'), /3.*3.*2|3 of 3 rows read, 2 imported|3 de 3 filas leídas, 2 importadas/);
    const report = owner.locator('[data-import-errors] tbody tr');
    assert.equal(await report.count(), 1);
    assert.match(await report.textContent(), /3/);
    assert.match(await report.textContent(), /emails/);
    await expectClean(owner);
    await axeCheck(owner);
    await screenshot(owner, 'import-report');
  });

  it('merges a duplicate into a client and undoes it', async () => {
    const name = `Duplicada ${RUN}`;
    const ids = [];
    for (const suffix of ['S.L.', 'SL']) {
      await owner.goto('/clients/new');
      await owner.fill('#client-company_name', `${name} ${suffix}`);
      await owner.fill('#client-emails', `info${RUN}@duplicada.example`);
      await Promise.all([owner.waitForURL(/\/clients\/[0-9a-f-]{36}$/), owner.click('button[data-action=save-client]')]);
      ids.push(new URL(owner.url()).pathname.split('/').pop());
    }
    const [other, keeper] = ids;
    await owner.click('button[data-action=find-duplicates]');
    const candidate = owner.locator(`[data-duplicate-id="${other}"]`);
    await candidate.waitFor();
    assert.match(await candidate.textContent(), /email/);
    await screenshot(owner, 'client-duplicates');
    await Promise.all([owner.waitForURL(/merged=/), candidate.locator('button[data-action=merge]').click()]);
    assert.equal((await owner.request.get(`/clients/${other}`)).status(), 404);
    await Promise.all([owner.waitForURL('**/clients'), owner.click('button[data-action=undo-merge]')]);
    assert.equal((await owner.request.get(`/clients/${other}`)).status(), 200);
    assert.equal((await owner.request.get(`/clients/${keeper}`)).status(), 200);
    await expectClean(owner);
  });

  it('shows a client created elsewhere on another browser\'s dashboard without a reload', async () => {
    const watcher = await newPage(browser);
    await signIn(watcher, demoUser('sales'));
    await watcher.goto('/');
    await watcher.waitForFunction(() => document.body.dataset.live === 'open');
    const before = await watcher.textContent('[data-kpi=total]');
    const name = `En Directo ${RUN} S.L.`;
    await owner.goto('/clients/new');
    await owner.fill('#client-company_name', name);
    await Promise.all([owner.waitForURL(/\/clients\/[0-9a-f-]{36}$/), owner.click('button[data-action=save-client]')]);
    await watcher.waitForSelector(`[data-live-timeline] >> text=${name}`, { timeout: 15_000 });
    await watcher.waitForFunction(
      (old) => document.querySelector('[data-kpi=total]').textContent !== old,
      before,
      { timeout: 15_000 },
    );
    await expectClean(watcher);
    await screenshot(watcher, 'dashboard-live');
  });
});
