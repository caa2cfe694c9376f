// Connecting a Google calendar in the browser, against a fake of Google's OAuth endpoints that
// this spec serves (scripts/browser-test.sh registers it): from the calendar page to the
// connections page, "Connect" goes on to the provider's page (by itself, from a page of the
// console: forms may only post to the console), which sends the user back with a code; the console exchanges it and shows the connection syncing; "Disconnect" revokes it at
// the provider and shows Google ready to connect again. The page is checked for accessibility.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  axeCheck, demoUser, expectClean, launch, newPage, screenshot, signIn,
} from '../lib.mjs';

const PORT = Number(process.env.FAKE_GOOGLE_PORT);

/** The fake provider: what it was asked, by path. */
function fakeGoogle() {
  const asked = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const url = new URL(req.url, `http://127.0.0.1:${PORT}`);
      asked.push({ path: url.pathname, query: url.searchParams, body: new URLSearchParams(body) });
      const json = (status, value) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (url.pathname === '/authorize') {
        const back = new URL(url.searchParams.get('redirect_uri'));
        back.searchParams.set('code', 'browser-code');
        back.searchParams.set('state', url.searchParams.get('state'));
        res.writeHead(302, { location: back.toString() });
        res.end();
      } else if (url.pathname === '/token') {
        json(200, { access_token: 'ya29.browser', refresh_token: '1//browser', expires_in: 3599 });
      } else if (url.pathname === '/revoke') {
        json(200, {});
      } else if (req.method === 'GET' && url.pathname.endsWith('/events')) {
        json(200, { items: [], nextSyncToken: 'browser-1' });
      } else if (url.pathname.includes('/events')) {
        const sent = body ? JSON.parse(body) : {};
        json(200, { id: sent.id || 'ev', etag: '"1"', status: 'confirmed' });
      } else {
        json(404, {});
      }
    });
  });
  return { asked, server };
}

describe('calendar connections', () => {
  let browser;
  let google;
  before(async () => {
    browser = await launch();
    google = fakeGoogle();
    await new Promise((ok) => google.server.listen(PORT, '127.0.0.1', ok));
  });
  after(async () => {
    await browser?.close();
    await new Promise((ok) => google?.server.close(ok));
  });

  it('a user connects their Google calendar and disconnects it', async () => {
    const sales = await newPage(browser);
    await signIn(sales, demoUser('sales'));
    await sales.goto('/calendar');
    await Promise.all([sales.waitForURL(/\/calendar\/connections$/), sales.click('[data-connections-link]')]);
    const card = sales.locator('[data-provider="google"]');
    await Promise.all([
      sales.waitForURL(/\/calendar\/connections\?outcome=connected$/),
      card.locator('button[data-action=connect]').click(),
    ]);
    await sales.waitForSelector('[data-connections-notice="connections-connected"]');
    assert.equal(await card.locator('[data-connection-status]').getAttribute('data-connection-status'), 'active');
    const authorize = google.asked.find((a) => a.path === '/authorize');
    assert.equal(authorize.query.get('code_challenge_method'), 'S256');
    const exchange = google.asked.find((a) => a.path === '/token');
    assert.equal(exchange.body.get('code'), 'browser-code');
    assert.ok(exchange.body.get('code_verifier')?.length >= 43, 'the PKCE verifier goes with the code');
    await expectClean(sales);
    await axeCheck(sales);
    await screenshot(sales, 'calendar-connections');

    await Promise.all([
      sales.waitForURL(/\/calendar\/connections\?outcome=disconnected$/),
      card.locator('button[data-action=disconnect]').click(),
    ]);
    assert.ok(google.asked.some((a) => a.path === '/revoke' && a.body.get('token') === '1//browser'));
    await card.locator('button[data-action=connect]').waitFor();
    await sales.close();
  });
});
