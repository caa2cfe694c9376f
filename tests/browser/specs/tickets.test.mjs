// Tickets in the browser: the owner defines a business calendar (a refused stretch first,
// holidays from an iCalendar file) and a 24/7 category with SLA targets; a support user
// opens the queue, opens a ticket for a demo client (a refused form first, the problem next to
// the field), finds it in the queue with its SLA countdown, which keeps ticking in the browser
// and turns late past its due time; posts a public reply and an internal note, sees both in
// the thread told apart and the first-response target met; a viewer sees the ticket but no
// reply or change form.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, launch, newPage, screenshot, signIn,
} from '../lib.mjs';

const RUN = Date.now() % 100000;
const CATEGORY = `Soporte web ${RUN}`;
const TITLE = `La factura no se descarga ${RUN}`;
const PRIORITIES = ['urgent', 'high', 'normal', 'low'];

describe('tickets', () => {
  let browser;
  let ticketId;
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

  it('the owner defines a business calendar, with holidays from an iCalendar file', async () => {
    const owner = await signedIn('owner');
    await owner.goto('/admin/business-calendars/new');
    await owner.fill('#calendar-name', `Oficina Madrid ${RUN}`);
    assert.equal(await owner.inputValue('#mon-0-start'), '09:00', 'Monday to Friday by default');
    await owner.fill('#tue-0-end', '08:00');
    await owner.click('button[data-action=save-calendar]');
    await owner.waitForSelector('#tue-0-start.is-invalid');
    assert.ok(await owner.locator('#tue-0-error').count());
    await expectClean(owner, { allow: [/status of 422/] });
    await axeCheck(owner);
    await screenshot(owner, 'business-calendar-errors');

    await owner.fill('#tue-0-end', '17:00');
    await owner.fill('#mon-1-start', '16:00');
    await owner.fill('#mon-0-end', '14:00');
    await owner.fill('#mon-1-end', '19:00');
    await owner.fill('#calendar-holidays', '2026-01-01');
    await owner.setInputFiles('#calendar-ical-file', {
      name: 'festivos.ics',
      mimeType: 'text/calendar',
      buffer: Buffer.from('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\n'
        + 'SUMMARY:Navidad\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'),
    });
    await owner.waitForFunction(() => document.querySelector('#calendar-ical').value.includes('BEGIN:VCALENDAR'));
    await Promise.all([
      owner.waitForURL(/\/admin\/business-calendars\/[0-9a-f-]{36}$/),
      owner.click('button[data-action=save-calendar]'),
    ]);
    assert.equal(await owner.inputValue('#calendar-holidays'), '2026-01-01\n2026-12-25');
    assert.equal(await owner.inputValue('#mon-1-end'), '19:00');
    await expectClean(owner);
    await axeCheck(owner);
    await screenshot(owner, 'business-calendar');
    await owner.close();
  });

  it('the owner defines a 24/7 category with SLA targets', async () => {
    const owner = await signedIn('owner');
    await owner.goto('/admin/ticket-categories/new');
    await owner.fill('#category-name', CATEGORY);
    for (const p of PRIORITIES) {
      await owner.fill(`#sla-${p}-first_response`, '60');
      await owner.fill(`#sla-${p}-resolution`, '480');
    }
    await Promise.all([
      owner.waitForURL(/\/admin\/ticket-categories\/[0-9a-f-]{36}$/),
      owner.click('button[data-action=save-category]'),
    ]);
    assert.equal(await owner.inputValue('#sla-high-first_response'), '60');
    await expectClean(owner);
    await axeCheck(owner);
    await screenshot(owner, 'ticket-category');
    await owner.goto('/admin/ticket-categories');
    assert.ok(await owner.locator('tr[data-category-id]', { hasText: CATEGORY }).count());
    await owner.close();
  });

  it('a support user opens a ticket for a demo client and sees it in the queue with a countdown', async () => {
    const support = await signedIn('support');
    await support.goto('/tickets');
    await expectClean(support);
    await axeCheck(support);
    await support.goto('/clients');
    const clientId = await support.locator('tr[data-client-id]').first().getAttribute('data-client-id');
    await support.goto(`/tickets/new?client_id=${clientId}`);
    await support.click('button[data-action=create-ticket]');
    await support.waitForSelector('#ticket-title.is-invalid');
    assert.ok(await support.locator('#ticket-title-error').count());
    await expectClean(support, { allow: [/status of 422/] });
    await axeCheck(support);
    await screenshot(support, 'ticket-new-errors');

    await support.fill('#ticket-title', TITLE);
    await support.fill('#ticket-description', 'No puede descargar la factura de octubre desde el portal.');
    await support.selectOption('#ticket-category_id', { label: CATEGORY });
    await support.selectOption('#ticket-priority', 'high');
    await support.fill('#ticket-priority_reason', 'Bloquea el cierre contable');
    await Promise.all([
      support.waitForURL(/\/tickets\/[0-9a-f-]{36}$/),
      support.click('button[data-action=create-ticket]'),
    ]);
    ticketId = new URL(support.url()).pathname.split('/').pop();
    assert.equal((await support.textContent('h1')).trim(), TITLE);
    assert.match(await support.textContent('[data-field=priority-reason]'), /cierre contable/);
    assert.equal(await support.locator('tr[data-target=first_response] [data-state]').getAttribute('data-state'), 'running');
    await expectClean(support);
    await axeCheck(support);

    await support.goto('/tickets');
    const row = support.locator(`tr[data-ticket-id="${ticketId}"]`);
    await row.waitFor();
    const countdown = row.locator('time[data-countdown]');
    assert.match(await countdown.textContent(), /\d+ (min|h)/);
    assert.ok(!(await countdown.getAttribute('class')).includes('countdown-late'));
    await expectClean(support);
    await axeCheck(support);
    await screenshot(support, 'tickets-queue');
    await support.close();
  });

  it('the countdown ticks in the browser and turns late past its due time', async () => {
    const support = await signedIn('support');
    await support.clock.install();
    await support.goto('/tickets');
    const countdown = support.locator(`tr[data-ticket-id="${ticketId}"] time[data-countdown]`);
    const first = await countdown.textContent();
    await support.clock.fastForward('00:20:00');
    await support.waitForFunction(
      ([el, before]) => el.textContent !== before, [await countdown.elementHandle(), first],
    );
    await support.clock.fastForward('02:00:00');
    await support.waitForFunction((el) => el.classList.contains('countdown-late'), await countdown.elementHandle());
    await expectClean(support);
    await screenshot(support, 'tickets-queue-late');
    await support.close();
  });

  it('posts a public reply and an internal note, told apart, and the first response is met', async () => {
    const support = await signedIn('support');
    await support.goto(`/tickets/${ticketId}`);
    await support.check('#ticket-reply-public');
    await support.fill('#ticket-reply-body', 'Hola, ya estamos revisando la descarga de la factura.');
    await Promise.all([
      support.waitForURL(/notice=reply/),
      support.click('button[data-action=send-reply]'),
    ]);
    await support.check('#ticket-reply-note');
    await support.fill('#ticket-reply-body', 'El PDF falla solo con facturas rectificativas.');
    await Promise.all([
      support.waitForURL(/notice=note/),
      support.click('button[data-action=send-reply]'),
    ]);
    const replies = support.locator('#ticket-thread [data-comment-kind=public]');
    const notes = support.locator('#ticket-thread [data-comment-kind=note]');
    assert.equal(await replies.count(), 1);
    assert.equal(await notes.count(), 1);
    assert.match(await replies.textContent(), /revisando la descarga/);
    assert.match(await notes.textContent(), /rectificativas/);
    assert.notEqual(await replies.getAttribute('class'), await notes.getAttribute('class'));
    assert.equal(await support.locator('tr[data-target=first_response] [data-state]').getAttribute('data-state'), 'met');
    await expectClean(support);
    await axeCheck(support);
    await screenshot(support, 'ticket-thread');
    await support.close();
  });

  it('a viewer sees the ticket and its thread but no reply or change form', async () => {
    const viewer = await signedIn('viewer');
    await viewer.goto(`/tickets/${ticketId}`);
    assert.equal((await viewer.textContent('h1')).trim(), TITLE);
    assert.equal(await viewer.locator('#ticket-thread [data-comment-kind]').count(), 2);
    assert.equal(await viewer.locator('#ticket-reply-form').count(), 0);
    assert.equal(await viewer.locator('#ticket-change-form').count(), 0);
    await viewer.goto('/tickets');
    assert.equal(await viewer.locator('[data-action=new-ticket]').count(), 0);
    await expectClean(viewer);
    await axeCheck(viewer);
    await screenshot(viewer, 'ticket-viewer');
    await viewer.close();
  });
});
