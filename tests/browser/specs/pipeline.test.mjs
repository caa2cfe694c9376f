// The sales pipeline in the browser: a sales user opens an opportunity for a demo client (a
// refused form first, the problem next to the field), finds its card in the board's first
// column, drags it with the mouse into the next column and, after a reload, still finds it
// there; when someone else moves the card first, a drag from the stale board is refused with a
// clear message and the board is redrawn as it stands; a viewer sees the board but cannot drag.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, launch, newPage, screenshot, signIn,
} from '../lib.mjs';

const RUN = Date.now() % 100000;
const TITLE = `Renovación de licencias ${RUN}`;

/** The stage ids of the board's columns, in order. */
async function columns(page) {
  return page.locator('ol.kanban-cards').evaluateAll((lists) => lists.map((l) => l.dataset.stageId));
}

/** The stage whose column shows the card (null when it is not on the board). */
async function columnOf(page, id) {
  const card = page.locator(`li[data-opportunity-id="${id}"]`);
  if (!(await card.count())) return null;
  return card.evaluate((li) => li.closest('ol.kanban-cards').dataset.stageId);
}

/**
 * Drags the card into the column of `stageId` with real pointer moves (SortableJS follows the
 * pointer and checks where it is every 50 ms), and returns the answer of the move it posts.
 * The pointer ends inside the column at the card's height (columns scroll on their own, so
 * that height is on screen in both).
 */
async function dragCard(page, id, stageId) {
  const card = page.locator(`li[data-opportunity-id="${id}"]`);
  const target = page.locator(`ol.kanban-cards[data-stage-id="${stageId}"]`);
  await card.scrollIntoViewIfNeeded();
  const from = await card.boundingBox();
  const to = await target.boundingBox();
  assert.ok(from && to, 'the card and the column are on screen');
  const startX = from.x + from.width / 2;
  const startY = from.y + Math.min(12, from.height / 2);
  const endX = to.x + to.width / 2;
  const endY = Math.min(Math.max(startY, to.y + 12), to.y + to.height - 12);
  const answered = page.waitForResponse((r) => r.request().method() === 'POST'
    && new URL(r.url()).pathname === `/pipeline/opportunities/${id}/move`);
  await page.mouse.move(startX, startY);
  await page.mouse.down();
  await page.mouse.move(startX + 10, startY + 6, { steps: 5 });
  await page.mouse.move(endX, endY, { steps: 25 });
  await page.waitForTimeout(150);
  await page.mouse.move(endX, endY + 4, { steps: 3 });
  await page.waitForTimeout(150);
  await page.mouse.up();
  return answered;
}

/** Waits until htmx has redrawn the board (after a drop). */
async function boardSettled(page) {
  await page.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, li[data-moving]'));
}

describe('pipeline', () => {
  let browser;
  let opportunityId;
  let stages;
  before(async () => {
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

  it('a sales user opens an opportunity for a demo client and finds it on the board', async () => {
    const sales = await signedIn('sales');
    await sales.goto('/clients');
    const clientId = await sales.locator('tr[data-client-id]').first().getAttribute('data-client-id');
    await sales.goto(`/pipeline/opportunities/new?client_id=${clientId}`);
    await sales.fill('#opportunity-estimated_value', '15000,50');
    await sales.click('button[data-action=create-opportunity]');
    await sales.waitForSelector('#opportunity-title.is-invalid');
    assert.ok(await sales.locator('#opportunity-title-error').count());
    assert.equal(await sales.inputValue('#opportunity-estimated_value'), '15000,50', 'the typed value stays');
    await expectClean(sales, { allow: [/status of 422/] });
    await axeCheck(sales);
    await screenshot(sales, 'opportunity-new-errors');

    await sales.fill('#opportunity-title', TITLE);
    await sales.fill('#opportunity-expected_close_date', '2027-03-31');
    await Promise.all([
      sales.waitForURL(/\/pipeline\/opportunities\/[0-9a-f-]{36}\?notice=created$/),
      sales.click('button[data-action=create-opportunity]'),
    ]);
    opportunityId = new URL(sales.url()).pathname.split('/').pop();
    assert.equal((await sales.textContent('h1')).trim(), TITLE);
    assert.match(await sales.textContent('[data-field=value]'), /15\.000,50 EUR/);
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'opportunity');

    await sales.goto('/pipeline');
    stages = await columns(sales);
    assert.ok(stages.length >= 3, `the default pipeline's stages: ${stages}`);
    assert.equal(await columnOf(sales, opportunityId), stages[0], 'a new card starts in the first stage');
    assert.ok(await sales.locator('ol.kanban-cards[data-sortable]').count(), 'sales may drag');
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'pipeline-board');
    await sales.close();
  });

  it('drags the card to the next stage, where it stays after a reload', async () => {
    const sales = await signedIn('sales');
    await sales.goto('/pipeline');
    // The stream's first opening redraws the board (what happened before it was connected):
    // the drag starts on the board as it is after that.
    await sales.waitForFunction(() => document.body.dataset.live === 'open');
    await boardSettled(sales);
    const before = Number(await sales.getAttribute(`li[data-opportunity-id="${opportunityId}"]`, 'data-version'));
    const answer = await dragCard(sales, opportunityId, stages[1]);
    assert.equal(answer.status(), 200, await answer.text());
    const moved = await answer.json();
    assert.equal(moved.stage_id, stages[1]);
    assert.equal(moved.version, before + 1);
    await boardSettled(sales);
    assert.equal(await columnOf(sales, opportunityId), stages[1]);
    await sales.reload();
    assert.equal(await columnOf(sales, opportunityId), stages[1], 'the move was stored');
    assert.equal(
      Number(await sales.getAttribute(`li[data-opportunity-id="${opportunityId}"]`, 'data-version')),
      before + 1,
    );
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'pipeline-board-moved');
    await sales.close();
  });

  it('a drag from a stale board is refused with a message and the board is redrawn', async () => {
    const sales = await signedIn('sales');
    // Without the live stream the board does not follow the other user's move: it stays stale.
    await sales.route('**/live', (route) => route.abort());
    await sales.goto('/pipeline');
    // Someone else moves the card first, from its page (the keyboard's way).
    const other = await signedIn('owner');
    await other.goto(`/pipeline/opportunities/${opportunityId}`);
    await other.selectOption('#opportunity-move-stage_id', stages[2]);
    await Promise.all([
      other.waitForURL(/notice=moved$/),
      other.click('button[data-action=move-opportunity]'),
    ]);
    await expectClean(other);
    await other.close();

    assert.equal(await columnOf(sales, opportunityId), stages[1], 'the stale board still shows it there');
    const answer = await dragCard(sales, opportunityId, stages[0]);
    assert.equal(answer.status(), 409);
    const notice = sales.locator('#pipeline-notice [data-move-notice=warning]');
    await notice.waitFor();
    assert.match(await notice.textContent(), /Otra persona movió esta tarjeta antes/);
    await boardSettled(sales);
    await sales.waitForFunction(
      ([id, stage]) => document.querySelector(`li[data-opportunity-id="${id}"]`)
        ?.closest('ol.kanban-cards')?.dataset.stageId === stage,
      [opportunityId, stages[2]],
    );
    await expectClean(sales, { allow: [/status of 409/, /net::ERR_FAILED/] });
    await axeCheck(sales);
    await screenshot(sales, 'pipeline-board-conflict');
    await sales.close();
  });

  it("follows another user's move live, without a reload", async () => {
    const sales = await signedIn('sales');
    await sales.goto('/pipeline');
    await sales.waitForFunction(() => document.body.dataset.live === 'open');
    assert.equal(await columnOf(sales, opportunityId), stages[2]);
    const other = await signedIn('owner');
    await other.goto(`/pipeline/opportunities/${opportunityId}`);
    await other.selectOption('#opportunity-move-stage_id', stages[3]);
    await Promise.all([
      other.waitForURL(/notice=moved$/),
      other.click('button[data-action=move-opportunity]'),
    ]);
    await other.close();
    await sales.waitForFunction(
      ([id, stage]) => document.querySelector(`li[data-opportunity-id="${id}"]`)
        ?.closest('ol.kanban-cards')?.dataset.stageId === stage,
      [opportunityId, stages[3]],
    );
    await expectClean(sales);
    await sales.close();
  });

  it('a viewer sees the board but cannot drag or open new opportunities', async () => {
    const viewer = await signedIn('viewer');
    await viewer.goto('/pipeline');
    assert.equal(await columnOf(viewer, opportunityId), stages[3]);
    assert.equal(await viewer.locator('ol.kanban-cards[data-sortable]').count(), 0);
    assert.equal(await viewer.locator('[data-action=new-opportunity]').count(), 0);
    await viewer.goto(`/pipeline/opportunities/${opportunityId}`);
    assert.equal(await viewer.locator('#opportunity-form').count(), 0);
    await expectClean(viewer);
    await axeCheck(viewer);
    await viewer.close();
  });
});
