// A local HTTP server with the Discourse API's shape, for the forum channel's tests:
// POST /posts.json, GET /t/external_id/:id.json (301 to /t/:slug/:id.json), 422/429/5xx answers,
// hanging requests, and "create the topic, then fail" for uncertain failures. Replies: POST
// /posts.json with topic_id, and GET /raw/:topic_id?page=n (each post's raw, then a separator line,
// 100 posts a page) as Discourse's posts#markdown_num answers.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StandinTopic {
  id: number;
  slug: string;
  title: string;
  raw: string;
  category: number;
  externalId: string | null;
  username: string;
  /** Replies, in order (the first post is `raw`). */
  replies: { id: number; raw: string }[];
}

/** What the next matching request gets instead of the normal answer. */
export type Behaviour =
  | { kind: 'status'; status: number; body?: unknown; retryAfter?: string }
  /** 429 as the admin API limiter sends it: Retry-After and extras.wait_seconds (or the per-IP text/plain one). */
  | { kind: 'rateLimit'; waitSeconds: number; plain?: boolean }
  /** Accept the request and never answer (until the stand-in closes). */
  | { kind: 'hang' }
  /** Create the topic, then answer 500 or never answer: the caller cannot know it worked. */
  | { kind: 'createThen'; then: 'fail' | 'hang' }
  /** Queue the post for approval: {"action":"enqueued"}. */
  | { kind: 'enqueued' };

export type Route = 'post' | 'lookup' | 'raw';

export interface DiscourseStandin {
  readonly url: string;
  readonly apiKey: string;
  readonly apiUsername: string;
  readonly topics: StandinTopic[];
  /** Every request received, as "METHOD /path". */
  readonly requests: string[];
  readonly pendingPosts: { title: string; externalId: string | null }[];
  /** The next `times` requests on `route` get `behaviour`. */
  next(route: Route, behaviour: Behaviour, times?: number): void;
  /** Every request gets this until cleared (null): e.g. a 503 outage or a hang. */
  always(behaviour: Behaviour | null): void;
  /** Stop listening and drop connections (connection refused), and listen again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};

const slugify = (title: string) =>
  title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'topic';

export async function startDiscourseStandin(opts: { apiKey?: string; apiUsername?: string; categories?: number[] } = {}): Promise<DiscourseStandin> {
  const apiKey = opts.apiKey ?? 'discourse-api-key-for-tests';
  const apiUsername = opts.apiUsername ?? 'batsignal';
  const categories = new Set(opts.categories ?? [7]);
  const topics: StandinTopic[] = [];
  const requests: string[] = [];
  const pendingPosts: { title: string; externalId: string | null }[] = [];
  const queues: Record<Route, Behaviour[]> = { post: [], lookup: [], raw: [] };
  let nextPostId = 5000;
  let always: Behaviour | null = null;
  let nextId = 100;
  const sockets = new Set<Socket>();
  let port = 0;
  let server: http.Server | null = null;

  function reply(body: Record<string, unknown>): { topic?: StandinTopic; postId?: number; errors?: string[] } {
    const topic = topics.find((t) => t.id === Number(body.topic_id));
    const raw = typeof body.raw === 'string' ? body.raw : '';
    if (!topic) return { errors: ['Topic not found'] };
    if (raw.trim().length < 20) return { errors: ['Body must be at least 20 characters'] };
    const id = nextPostId++;
    topic.replies.push({ id, raw });
    return { topic, postId: id };
  }

  function create(body: Record<string, unknown>): { topic?: StandinTopic; postId?: number; errors?: string[] } {
    if (body.topic_id !== undefined) return reply(body);
    const title = typeof body.title === 'string' ? body.title.trim() : '';
    const raw = typeof body.raw === 'string' ? body.raw : '';
    const externalId = typeof body.external_id === 'string' ? body.external_id : null;
    const errors: string[] = [];
    if (title.length < 15) errors.push('Title must be at least 15 characters');
    if (raw.trim().length < 20) errors.push('Body must be at least 20 characters');
    if (topics.some((t) => t.title.toLowerCase() === title.toLowerCase())) errors.push('Title has already been used');
    if (externalId !== null && (!/^[\w-]+$/.test(externalId) || externalId.length > 50)) errors.push('External ID is invalid');
    if (externalId !== null && topics.some((t) => t.externalId === externalId)) errors.push('External ID has already been taken');
    if (!categories.has(Number(body.category))) errors.push('Category can’t be blank');
    if (errors.length) return { errors };
    const topic: StandinTopic = { id: nextId++, slug: slugify(title), title, raw, category: Number(body.category), externalId, username: apiUsername, replies: [] };
    topics.push(topic);
    return { topic };
  }

  const postAnswer = (t: StandinTopic) => ({ id: t.id * 10, post_number: 1, topic_id: t.id, topic_slug: t.slug, username: t.username, raw: t.raw });
  const topicAnswer = (t: StandinTopic) => ({ id: t.id, title: t.title, slug: t.slug, category_id: t.category, posts_count: 1, external_id: t.externalId });

  function behave(b: Behaviour, res: http.ServerResponse, body: Record<string, unknown>): boolean {
    switch (b.kind) {
      case 'status':
        json(res, b.status, b.body ?? { errors: [`status ${b.status}`] }, b.retryAfter ? { 'Retry-After': b.retryAfter } : {});
        return true;
      case 'rateLimit':
        if (b.plain) {
          res.writeHead(429, { 'Content-Type': 'text/plain', 'Retry-After': String(b.waitSeconds) });
          res.end('Slow down, too many requests from this IP address');
        } else {
          json(
            res,
            429,
            { errors: [`You’ve performed this action too many times. Please wait ${b.waitSeconds} seconds before trying again.`], error_type: 'rate_limit', extras: { wait_seconds: b.waitSeconds, time_left: `${b.waitSeconds} seconds` } },
            { 'Retry-After': String(b.waitSeconds) },
          );
        }
        return true;
      case 'hang':
        return true; // never answered
      case 'createThen': {
        create(body);
        if (b.then === 'fail') json(res, 500, { errors: ['Internal Server Error'] });
        return true;
      }
      case 'enqueued':
        pendingPosts.push({ title: String(body.title), externalId: typeof body.external_id === 'string' ? body.external_id : null });
        json(res, 200, { success: true, action: 'enqueued', pending_post: { id: pendingPosts.length, raw: body.raw }, pending_count: pendingPosts.length });
        return true;
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(`${req.method} ${path}`);
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return json(res, 400, { errors: ['invalid JSON'] });
    }

    const route: Route | null =
      req.method === 'POST' && path === '/posts.json' ? 'post' : req.method === 'GET' && path.startsWith('/t/') ? 'lookup' : req.method === 'GET' && path.startsWith('/raw/') ? 'raw' : null;
    if (route) {
      const b = queues[route].shift() ?? always;
      if (b && behave(b, res, body)) return;
    }

    if (req.headers['api-key'] !== apiKey || req.headers['api-username'] !== apiUsername) {
      return json(res, 403, { errors: ['You are not permitted to view the requested resource. The API username or key is invalid.'], error_type: 'invalid_access' });
    }

    if (route === 'post') {
      const r = create(body);
      if (r.errors) return json(res, 422, { action: 'create_post', errors: r.errors });
      if (r.postId !== undefined) return json(res, 200, { id: r.postId, post_number: r.topic!.replies.length + 1, topic_id: r.topic!.id, topic_slug: r.topic!.slug, username: apiUsername, raw: String(body.raw) });
      return json(res, 200, postAnswer(r.topic!));
    }
    const raw = /^\/raw\/(\d+)$/.exec(path);
    if (req.method === 'GET' && raw) {
      const t = topics.find((x) => x.id === Number(raw[1]));
      if (!t) return json(res, 404, { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' });
      const page = Math.max(1, Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1') || 1);
      const posts = [t.raw, ...t.replies.map((r) => r.raw)].slice((page - 1) * 100, page * 100);
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(posts.map((p, i) => `${t.username} | 2026-11-23 10:00:00 UTC | #${(page - 1) * 100 + i + 1}\n\n${p}\n\n-------------------------\n\n`).join(''));
      return;
    }
    let m = /^\/t\/external_id\/([^/]+)\.json$/.exec(path);
    if (req.method === 'GET' && m) {
      const t = topics.find((x) => x.externalId === decodeURIComponent(m![1]!));
      if (!t) return json(res, 404, { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' });
      res.writeHead(301, { Location: `/t/${t.slug}/${t.id}.json` });
      res.end();
      return;
    }
    m = /^\/t\/([^/]+)\/(\d+)\.json$/.exec(path);
    if (req.method === 'GET' && m) {
      const t = topics.find((x) => x.id === Number(m[2]));
      if (!t) return json(res, 404, { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' });
      return json(res, 200, topicAnswer(t));
    }
    json(res, 404, { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' });
  }

  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      const s = http.createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
      s.on('connection', (sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
      });
      s.once('error', reject);
      s.listen(p, '127.0.0.1', () => {
        server = s;
        port = (s.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen(0);

  const standin: DiscourseStandin = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    apiKey,
    apiUsername,
    topics,
    requests,
    pendingPosts,
    next(route, behaviour, times = 1) {
      for (let i = 0; i < times; i++) queues[route].push(behaviour);
    },
    always(b) {
      always = b;
    },
    async down() {
      const s = server;
      server = null;
      if (!s) return;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
    async up() {
      if (!server) await listen(port);
    },
    close: () => standin.down(),
  };
  return standin;
}

/** `sha256=<hex>` as Discourse signs an outgoing webhook body. */
export function discourseSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A topic_created webhook body as Discourse sends it (the fields we read, and some we do not). */
export function topicCreatedBody(t: { id: number; title: string; categoryId: number; username: string; slug?: string; createdAt?: string | null }): string {
  return JSON.stringify({
    topic: {
      tags: [],
      id: t.id,
      title: t.title,
      fancy_title: t.title,
      posts_count: 1,
      ...(t.createdAt === null ? {} : { created_at: t.createdAt ?? '2026-11-23T10:00:00.000Z' }),
      archetype: 'regular',
      slug: t.slug ?? slugify(t.title),
      category_id: t.categoryId,
      visible: true,
      closed: false,
      user_id: 42,
      created_by: { id: 42, username: t.username, name: t.username, avatar_template: '/letter_avatar/x/{size}/1.png' },
      last_poster: { id: 42, username: t.username, name: t.username, avatar_template: '/letter_avatar/x/{size}/1.png' },
    },
  });
}
