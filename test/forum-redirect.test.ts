// The Discourse client never hands its API key to another origin: the external_id lookup answers
// 301, and fetch's own redirect following keeps custom headers (Api-Key) across origins. Two real
// HTTP servers: "the forum", whose lookup redirects elsewhere, and "elsewhere", which records headers.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { discourseClient } from '../src/channels/forum/client.js';

const KEY = 'forum-api-key-that-must-stay-home';

async function server(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise((r) => s.close(() => r())) };
}

t.test('a redirect to another origin is not followed with the API key (nor at all)', async (t) => {
  const seen: http.IncomingHttpHeaders[] = [];
  const elsewhere = await server((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 99, slug: 'stolen' }));
  });
  t.teardown(elsewhere.close);
  const forum = await server((req, res) => {
    res.writeHead(301, { Location: `${elsewhere.url}/t/stolen/99.json` });
    res.end();
  });
  t.teardown(forum.close);
  const client = discourseClient({ url: forum.url, apiKey: KEY, apiUsername: 'system', categoryId: 1 });
  const answer = await client.findByExternalId('batsignal-alert-1');
  t.same(seen.map((h) => h['api-key']).filter(Boolean), [], 'the key never reached the other origin');
  t.equal(seen.length, 0, 'the other origin was not asked at all');
  t.match(answer, { kind: 'invalid' }, 'the lookup says what happened instead');
});
// A redirect within the forum (the real 301 of the lookup) is covered by test/forum-channel.test.ts against the stand-in.
