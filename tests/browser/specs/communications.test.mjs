// Communications in the browser: a marketing user's template is refused first for an unknown
// variable (the problem next to the text), then saved with a variable inserted by a click;
// the owner points the e-mail channel at an SMTP stub this spec starts (the secret never shown
// back); a sales user opens a new client's communications tab, chooses the template and sees
// it previewed for that client, sends it and sees it in the thread, queued and then sent
// without reloading (the worker hands it to the stub and the live stream redraws the thread);
// logs a call and sees it in the thread; the inbox lists both.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, launch, newPage, screenshot, signIn,
} from '../lib.mjs';

const RUN = Date.now() % 100000;
const TEMPLATE = `Bienvenida ${RUN}`;
const CLIENT = `Ferreteria Ruiz ${RUN} S.L.`;

/**
 * A local SMTP server that accepts every message: `{ port, received, close }`, `received`
 * holding each message's data.
 */
function startSmtpStub() {
  const received = [];
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    let buffer = '';
    let data = null;
    socket.write('220 stub.example ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data !== null) {
          if (line === '.') {
            received.push(data);
            data = null;
            socket.write('250 2.0.0 queued\r\n');
          } else {
            data += `${line}\n`;
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-stub.example\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 OK\r\n');
        else if (verb === 'DATA') {
          data = '';
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 OK\r\n');
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      received,
      close: () => new Promise((done) => server.close(done)),
    }));
  });
}

describe('communications', () => {
  let browser;
  let smtp;
  let clientId;
  before(async () => {
    browser = await launch();
    smtp = await startSmtpStub();
  });
  after(async () => {
    await browser?.close();
    await smtp?.close();
  });

  async function signedIn(role) {
    const page = await newPage(browser);
    await signIn(page, demoUser(role));
    await expectClean(page);
    return page;
  }

  it('the template editor refuses an unknown variable, then saves one inserted by a click', async () => {
    const marketing = await signedIn('marketing');
    await marketing.goto('/templates/new');
    await marketing.fill('#template-name', TEMPLATE);
    await marketing.selectOption('#template-channel', 'email');
    await marketing.fill('#template-subject', 'Hola {{clientName}}');
    await marketing.fill('#template-body', 'Estimados {{nombreCliente}}: gracias por su confianza.');
    await marketing.click('button[data-action=save-template]');
    await marketing.waitForSelector('#template-body.is-invalid');
    assert.match(await marketing.textContent('#template-body-error'), /nombreCliente/);
    assert.equal(await marketing.locator('#template-subject.is-invalid').count(), 0);
    await expectClean(marketing, { allow: [/status of 422/] });
    await axeCheck(marketing);
    await screenshot(marketing, 'template-unknown-variable');

    await marketing.fill('#template-body', 'Estimados ');
    await marketing.click('#template-variables button[data-variable=clientName]');
    await marketing.locator('#template-body').pressSequentially(': gracias por su confianza.');
    assert.equal(
      await marketing.inputValue('#template-body'),
      'Estimados {{clientName}}: gracias por su confianza.',
    );
    await Promise.all([
      marketing.waitForURL(/\/templates\/[0-9a-f-]{36}\?notice=saved$/),
      marketing.click('button[data-action=save-template]'),
    ]);
    assert.equal(await marketing.inputValue('#template-name'), TEMPLATE);
    await expectClean(marketing);
    await axeCheck(marketing);
    await marketing.goto('/templates');
    assert.ok(await marketing.locator('tr[data-template-id]', { hasText: TEMPLATE }).count());
    await marketing.close();
  });

  it('the owner points the e-mail channel at an SMTP server, its password never shown back', async () => {
    const owner = await signedIn('owner');
    await owner.goto('/admin/channels');
    await owner.check('#channel-email-enabled');
    await owner.fill('#channel-email-host', '127.0.0.1');
    await owner.fill('#channel-email-port', String(smtp.port));
    await owner.selectOption('#channel-email-security', 'none');
    await owner.fill('#channel-email-password', 'stub-password');
    await owner.fill('#channel-email-from_address', 'ventas@demo.example');
    await Promise.all([
      owner.waitForURL(/\/admin\/channels\?saved=email$/),
      owner.click('button[data-action=save-channel-email]'),
    ]);
    assert.equal(await owner.locator('[data-stored=password]').count(), 1);
    assert.equal(await owner.inputValue('#channel-email-password'), '');
    assert.equal(await owner.inputValue('#channel-email-host'), '127.0.0.1');
    assert.ok(!(await owner.content()).includes('stub-password'));
    assert.match(await owner.textContent('[data-webhook=sms]'), /\/api\/v1\/webhooks\/twilio\/[0-9a-f-]{36}\/messages/);
    await expectClean(owner);
    await axeCheck(owner);
    await screenshot(owner, 'admin-channels');
    await owner.close();
  });

  it('a sales user sends an e-mail from the template, previewed for the client, and sees it sent live', async () => {
    const sales = await signedIn('sales');
    await sales.goto('/clients/new');
    await sales.fill('#client-company_name', CLIENT);
    await sales.fill('#client-emails', 'compras@ferreteria-ruiz.example');
    await Promise.all([
      sales.waitForURL(/\/clients\/[0-9a-f-]{36}$/),
      sales.click('button[data-action=save-client]'),
    ]);
    clientId = new URL(sales.url()).pathname.split('/').pop();
    await Promise.all([
      sales.waitForURL(`**/clients/${clientId}/communications`),
      sales.click(`a[href="/clients/${clientId}/communications"]`),
    ]);
    await sales.waitForSelector('body[data-live=open]');
    await expectClean(sales);
    await axeCheck(sales);

    const option = sales.locator('#compose-template_id option', { hasText: TEMPLATE });
    await sales.selectOption('#compose-template_id', await option.getAttribute('value'));
    const preview = sales.locator('#compose-preview [data-preview=body]');
    await preview.waitFor();
    assert.equal((await preview.textContent()).trim(), `Estimados ${CLIENT}: gracias por su confianza.`);
    assert.equal((await sales.textContent('#compose-preview [data-preview=subject]')).trim(), `Hola ${CLIENT}`);
    await expectClean(sales);
    await screenshot(sales, 'communications-compose-preview');

    await Promise.all([
      sales.waitForURL(/notice=sent$/),
      sales.click('button[data-action=send-message]'),
    ]);
    const message = sales.locator('#comm-thread li[data-channel=email]');
    assert.equal(await message.count(), 1);
    assert.match(await message.getAttribute('data-status'), /^(queued|sent)$/, await message.textContent());
    assert.match(await message.locator('[data-field=subject]').textContent(), new RegExp(`Hola ${CLIENT}`));
    // The worker hands it to the stub; the live stream redraws the thread, no reload.
    await sales.waitForSelector('body[data-live=open]');
    await sales.waitForSelector('#comm-thread li[data-channel=email][data-status=sent]', { timeout: 60_000 });
    assert.equal(new URL(sales.url()).search, '?notice=sent', 'not reloaded');
    assert.ok(smtp.received.some((m) => m.includes('compras@ferreteria-ruiz.example')), 'the stub got it');
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'communications-thread-sent');
    await sales.close();
  });

  it('a sales user logs a call and sees it in the thread; the inbox lists both messages', async () => {
    const sales = await signedIn('sales');
    await sales.goto(`/clients/${clientId}/communications`);
    await sales.fill('#call-to', '+34600111222');
    await sales.check('#call-direction-inbound');
    await sales.fill('#call-minutes', '');
    await sales.fill('#call-seconds', '');
    await sales.click('button[data-action=log-call]');
    await sales.waitForSelector('#call-seconds.is-invalid');
    assert.ok(await sales.locator('#call-duration-error').count());
    await expectClean(sales, { allow: [/status of 422/] });
    await axeCheck(sales);

    await sales.fill('#call-minutes', '4');
    await sales.fill('#call-seconds', '30');
    await sales.selectOption('#call-outcome', 'answered');
    await sales.fill('#call-body', 'Pide presupuesto para 200 cerraduras.');
    await Promise.all([
      sales.waitForURL(/notice=logged$/),
      sales.click('button[data-action=log-call]'),
    ]);
    const call = sales.locator('#comm-thread li[data-channel=phone]');
    assert.equal(await call.getAttribute('data-status'), 'logged');
    assert.equal(await call.getAttribute('data-direction'), 'inbound');
    assert.match(await call.locator('[data-field=call]').textContent(), /4 min 30 s/);
    assert.match(await call.locator('[data-field=body]').textContent(), /200 cerraduras/);
    assert.equal(await sales.locator('#comm-thread li[data-communication-id]').count(), 2);
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'communications-thread');

    await sales.goto('/communications');
    const rows = sales.locator('#inbox-rows tr[data-communication-id]', { hasText: CLIENT });
    assert.equal(await rows.count(), 2);
    await sales.selectOption('#inbox-channel', 'phone');
    await sales.waitForURL(/channel=phone/);
    await sales.waitForFunction(() => [...document.querySelectorAll('#inbox-rows tr[data-channel]')]
      .every((r) => r.dataset.channel === 'phone'));
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'communications-inbox');
    await sales.close();
  });
});
