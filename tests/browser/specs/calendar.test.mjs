// The calendar in the browser: a sales user plans a meeting for a demo client (a refused form
// first, the problem next to the field), finds it on the week's calendar, drags it to a later
// time with the mouse and, after a reload, finds it where it was dropped, with the activity's
// page showing the new time; a viewer sees the calendar but may not drag.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, launch, newPage, screenshot, signIn,
} from '../lib.mjs';

const RUN = Date.now() % 100000;
const TITLE = `Revisión de contrato ${RUN}`;

/** The Wednesday of next week, as YYYY-MM-DD (a day every week view shows whole). */
function nextWednesday() {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7 + ((3 - d.getUTCDay() + 7) % 7));
  return d.toISOString().slice(0, 10);
}

/** HH:MM of an instant in Madrid (the demo tenant's zone, the activity's). */
function madridTime(iso) {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Madrid', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(iso));
}

/** Waits until the calendar has drawn the window's events. */
async function calendarReady(page) {
  await page.waitForSelector('[data-calendar][data-calendar-ready]');
  await page.waitForFunction(() => !document.querySelector('[data-calendar][data-loading]'));
}

describe('calendar', () => {
  let browser;
  let activityId;
  const day = nextWednesday();
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

  it('a sales user plans a meeting for a demo client and finds it on the calendar', async () => {
    const sales = await signedIn('sales');
    await sales.goto('/clients');
    const clientId = await sales.locator('tr[data-client-id]').first().getAttribute('data-client-id');
    await sales.goto(`/calendar/activities/new?client_id=${clientId}`);
    await sales.fill('#activity-start_date', day);
    await sales.fill('#activity-start_time', '10:00');
    await sales.fill('#activity-end_date', day);
    await sales.fill('#activity-end_time', '11:00');
    await sales.click('button[data-action=save-activity]');
    await sales.waitForSelector('#activity-title.is-invalid');
    assert.ok(await sales.locator('#activity-title-error').count());
    assert.equal(await sales.inputValue('#activity-start_date'), day, 'the typed value stays');
    await expectClean(sales, { allow: [/status of 422/] });
    await axeCheck(sales);
    await screenshot(sales, 'activity-new-errors');

    await sales.fill('#activity-title', TITLE);
    await Promise.all([
      sales.waitForURL(/\/calendar\/activities\/[0-9a-f-]{36}$/),
      sales.click('button[data-action=save-activity]'),
    ]);
    activityId = new URL(sales.url()).pathname.split('/').pop();
    assert.equal(await sales.inputValue('#activity-start_time'), '10:00');
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'activity');

    await sales.goto(`/calendar?date=${day}`);
    await calendarReady(sales);
    await sales.getByText(TITLE).first().waitFor();
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'calendar-week');
    await sales.close();
  });

  it('drags the meeting to a later time, where it stays after a reload', async () => {
    const sales = await signedIn('sales');
    await sales.goto(`/calendar?date=${day}`);
    await calendarReady(sales);
    const event = sales.getByText(TITLE).first();
    await event.scrollIntoViewIfNeeded();
    const box = await event.boundingBox();
    assert.ok(box, 'the meeting is on screen');
    const answered = sales.waitForResponse((r) => r.request().method() === 'POST'
      && new URL(r.url()).pathname === `/calendar/activities/${activityId}/move`);
    const x = box.x + box.width / 2;
    const y = box.y + 4;
    await sales.mouse.move(x, y);
    await sales.mouse.down();
    await sales.mouse.move(x, y + 10, { steps: 5 });
    await sales.mouse.move(x, y + 130, { steps: 25 });
    await sales.waitForTimeout(150);
    await sales.mouse.up();
    const answer = await answered;
    assert.equal(answer.status(), 200, await answer.text());
    const sent = new URLSearchParams(answer.request().postData());
    const newTime = madridTime(sent.get('start'));
    assert.notEqual(newTime, '10:00', `the drop moved it (${sent.get('start')})`);
    await sales.waitForFunction(() => !document.querySelector('[data-calendar][data-saving]'));
    assert.equal(await sales.locator('#calendar-notice [data-move-notice]').count(), 0, 'no refusal shown');

    await sales.reload();
    await calendarReady(sales);
    const after = await sales.getByText(TITLE).first().boundingBox();
    assert.ok(after && Math.abs(after.y - box.y) > 40, 'the reloaded calendar shows it lower down');
    await expectClean(sales);
    await screenshot(sales, 'calendar-moved');
    await sales.goto(`/calendar/activities/${activityId}`);
    assert.equal(await sales.inputValue('#activity-start_time'), newTime, 'the move was stored');
    assert.equal(await sales.inputValue('#activity-start_date'), day);
    await sales.close();
  });

  it('a viewer sees the calendar without dragging or planning', async () => {
    const viewer = await signedIn('viewer');
    await viewer.goto(`/calendar?who=all&date=${day}`);
    await calendarReady(viewer);
    await viewer.getByText(TITLE).first().waitFor();
    assert.equal(await viewer.getAttribute('[data-calendar]', 'data-editable'), 'false');
    assert.equal(await viewer.locator('[data-action=new-activity]').count(), 0);
    await expectClean(viewer);
    await axeCheck(viewer);
    await viewer.close();
  });
});
