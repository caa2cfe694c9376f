// Reminders in the browser: a sales user chooses their default reminders under the calendar
// (kept after a reload), plans a meeting a few minutes ahead with a reminder of its own from
// the activity form, and the worker's pass brings the reminder to the open console as a notice
// that links to the meeting.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, launch, newPage, screenshot, signIn,
} from '../lib.mjs';

const RUN = Date.now() % 100000;
const TITLE = `Llamada con recordatorio ${RUN}`;

/** YYYY-MM-DD and HH:MM of an instant in Madrid (the demo tenant's zone). */
function madrid(date) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Madrid', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(date);
  const part = (type) => parts.find((p) => p.type === type).value;
  return { day: `${part('year')}-${part('month')}-${part('day')}`, time: `${part('hour')}:${part('minute')}` };
}

/** Chooses `values` in a searchable (Tom Select) multiple select, as its own API does. */
async function choose(page, selector, values) {
  await page.waitForFunction((s) => document.querySelector(s)?.tomselect, selector);
  await page.evaluate(([s, v]) => document.querySelector(s).tomselect.setValue(v), [selector, values]);
}

describe('reminders', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('a user keeps their default reminders under the calendar', async () => {
    const sales = await newPage(browser);
    await signIn(sales, demoUser('sales'));
    await sales.goto('/calendar');
    await choose(sales, '#calendar-reminder_minutes', ['10', '60']);
    await Promise.all([
      sales.waitForURL(/\/calendar\?reminders=saved$/),
      sales.click('button[data-action=save-reminders]'),
    ]);
    await sales.waitForSelector('[data-reminders-notice="calendar-reminders-saved"]');
    await sales.goto('/calendar');
    const chosen = await sales.$$eval('#calendar-reminder_minutes option:checked', (o) => o.map((x) => x.value));
    assert.deepEqual(chosen, ['10', '60']);
    await expectClean(sales);
    await axeCheck(sales);
    await sales.close();
  });

  it('a meeting planned a few minutes ahead is reminded in the open console', async () => {
    const sales = await newPage(browser);
    await signIn(sales, demoUser('sales'));
    await sales.goto('/clients');
    const clientId = await sales.locator('tr[data-client-id]').first().getAttribute('data-client-id');
    await sales.goto(`/calendar/activities/new?client_id=${clientId}`);
    const start = madrid(new Date(Date.now() + 8 * 60_000));
    const end = madrid(new Date(Date.now() + 38 * 60_000));
    await sales.fill('#activity-title', TITLE);
    await sales.fill('#activity-start_date', start.day);
    await sales.fill('#activity-start_time', start.time);
    await sales.fill('#activity-end_date', end.day);
    await sales.fill('#activity-end_time', end.time);
    await sales.uncheck('#activity-reminder_default');
    await choose(sales, '#activity-reminder_minutes', ['15']);
    await axeCheck(sales);
    await Promise.all([
      sales.waitForURL(/\/calendar\/activities\/[0-9a-f-]{36}$/),
      sales.click('button[data-action=save-activity]'),
    ]);
    const activityId = new URL(sales.url()).pathname.split('/').pop();
    const kept = await sales.$$eval('#activity-reminder_minutes option:checked', (o) => o.map((x) => x.value));
    assert.deepEqual(kept, ['15'], 'the form shows the reminder chosen');
    assert.equal(await sales.isChecked('#activity-reminder_default'), false);

    // The reminder (15 minutes before a meeting 8 minutes ahead) is due: the worker's next pass
    // (every minute) sends it, and the open console shows it.
    await sales.goto('/');
    const notice = sales.locator(`#toasts [data-reminder] a[href="/calendar/activities/${activityId}"]`);
    await notice.waitFor({ timeout: 100_000 });
    assert.equal(await notice.textContent(), TITLE);
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'reminder-notice');
    await Promise.all([sales.waitForURL(`**/calendar/activities/${activityId}`), notice.click()]);
    await sales.close();
  });
});
