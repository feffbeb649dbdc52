// The two Discourse API calls we make, over the built-in fetch. Answers are classified here;
// what to do about them (retry, look up, give up) is the sender's decision.
import type { DiscourseConfig } from '../../config.js';

export interface DiscourseTopicRef {
  topicId: number;
  slug: string;
}

export type DiscourseAnswer =
  | { kind: 'created'; topic: DiscourseTopicRef }
  /** A reply posted in a topic. */
  | { kind: 'replied'; postId: number }
  /** One page of a topic's posts as Markdown (GET /raw/:topic_id): `posts` on this page. */
  | { kind: 'raw'; text: string; posts: number }
  | { kind: 'found'; topic: DiscourseTopicRef }
  | { kind: 'notFound' }
  | { kind: 'enqueued'; pendingPostId: number | null }
  | { kind: 'rateLimited'; waitMs: number | null }
  | { kind: 'unavailable'; status: number; waitMs: number | null }
  | { kind: 'invalid'; status: number; errors: string[] }
  /** No answer: refused, reset or timed out. `maybeSent`: the request may have reached Discourse. */
  | { kind: 'unreachable'; error: string; maybeSent: boolean };

export interface NewTopic {
  title: string;
  raw: string;
  category: number;
  externalId: string;
}

/** Posts a page of /raw/:topic_id holds (Discourse's MARKDOWN_TOPIC_PAGE_SIZE). */
export const RAW_PAGE_SIZE = 100;
/** What Discourse writes after each post in /raw/:topic_id. */
export const RAW_POST_SEPARATOR = '\n-------------------------\n';

export interface DiscourseClient {
  createTopic(t: NewTopic): Promise<DiscourseAnswer>;
  /** POST /posts.json with topic_id: a reply in an existing topic. */
  createReply(topicId: number, raw: string): Promise<DiscourseAnswer>;
  /** GET /raw/:topic_id?page=n (1-based): the topic's posts' Markdown, 100 posts a page. */
  rawPage(topicId: number, page: number): Promise<DiscourseAnswer>;
  findByExternalId(externalId: string): Promise<DiscourseAnswer>;
  topicUrl(t: DiscourseTopicRef): string;
}

/** Seconds (or an HTTP date) in Retry-After, else Discourse's extras.wait_seconds. */
export function waitFrom(headers: Headers, body: unknown, now: number): number | null {
  const h = headers.get('retry-after')?.trim();
  if (h) {
    if (/^\d+(\.\d+)?$/.test(h)) return Math.round(Number(h) * 1000);
    const at = Date.parse(h);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const wait = (body as { extras?: { wait_seconds?: unknown } } | null)?.extras?.wait_seconds;
  return typeof wait === 'number' && Number.isFinite(wait) && wait >= 0 ? Math.round(wait * 1000) : null;
}

function errorsOf(body: unknown, text: string): string[] {
  const errs = (body as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errs) && errs.length > 0) return errs.map(String);
  return [text.slice(0, 200) || 'no detail'];
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? `${err.name}: ${err.message}`;
  }
  return String(err);
}

const asTopic = (id: unknown, slug: unknown): DiscourseTopicRef | null =>
  typeof id === 'number' && Number.isInteger(id) && id > 0 ? { topicId: id, slug: typeof slug === 'string' && slug ? slug : 'topic' } : null;

export function discourseClient(cfg: DiscourseConfig, timeoutMs = 10_000): DiscourseClient {
  const headers = { 'Api-Key': cfg.apiKey, 'Api-Username': cfg.apiUsername, Accept: 'application/json' };

  const origin = new URL(cfg.url).origin;

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ res: Response; json: unknown; text: string } | DiscourseAnswer> {
    let res: Response;
    try {
      // Redirects are followed here, not by fetch: fetch keeps custom headers (Api-Key) across
      // origins. Discourse redirects within itself (the external_id lookup answers 301 to the topic);
      // a redirect to any other origin is refused, so the key never leaves the forum.
      let url = cfg.url + path;
      for (let hops = 0; ; hops++) {
        res = await fetch(url, {
          method,
          headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
          body: body === undefined ? null : JSON.stringify(body),
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
        if (location === null || method !== 'GET') break;
        await res.body?.cancel();
        const next = new URL(location, url);
        if (next.origin !== origin) return { kind: 'invalid', status: res.status, errors: [`redirected to another origin (${next.origin}); not followed with the API key`] };
        if (hops >= 4) return { kind: 'invalid', status: res.status, errors: ['too many redirects'] };
        url = next.href;
      }
    } catch (err) {
      // A refused connection never reached Discourse; a timeout or reset may have.
      const code = describe(err);
      return { kind: 'unreachable', error: code, maybeSent: !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(code) };
    }
    let text = '';
    try {
      text = await res.text();
    } catch (err) {
      return { kind: 'unreachable', error: `reading the answer: ${describe(err)}`, maybeSent: true };
    }
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (res.status === 429) return { kind: 'rateLimited', waitMs: waitFrom(res.headers, json, Date.now()) };
    if (res.status >= 500) return { kind: 'unavailable', status: res.status, waitMs: waitFrom(res.headers, json, Date.now()) };
    return { res, json, text };
  }

  return {
    async createTopic(t) {
      const r = await call('POST', '/posts.json', { title: t.title, raw: t.raw, category: t.category, external_id: t.externalId });
      if ('kind' in r) return r;
      const j = r.json as { topic_id?: unknown; topic_slug?: unknown; action?: unknown; pending_post?: { id?: unknown } } | null;
      if (r.res.ok && j?.action === 'enqueued') {
        const id = j.pending_post?.id;
        return { kind: 'enqueued', pendingPostId: typeof id === 'number' ? id : null };
      }
      const topic = r.res.ok ? asTopic(j?.topic_id, j?.topic_slug) : null;
      if (topic) return { kind: 'created', topic };
      return { kind: 'invalid', status: r.res.status, errors: errorsOf(j, r.text) };
    },

    async createReply(topicId, raw) {
      const r = await call('POST', '/posts.json', { topic_id: topicId, raw });
      if ('kind' in r) return r;
      const j = r.json as { id?: unknown; action?: unknown; pending_post?: { id?: unknown } } | null;
      if (r.res.ok && j?.action === 'enqueued') {
        const id = j.pending_post?.id;
        return { kind: 'enqueued', pendingPostId: typeof id === 'number' ? id : null };
      }
      if (r.res.ok && typeof j?.id === 'number') return { kind: 'replied', postId: j.id };
      return { kind: 'invalid', status: r.res.status, errors: errorsOf(j, r.text) };
    },

    async rawPage(topicId, page) {
      const r = await call('GET', `/raw/${topicId}?page=${page}`);
      if ('kind' in r) return r;
      if (r.res.status === 404 || r.res.status === 410) return { kind: 'notFound' };
      if (!r.res.ok) return { kind: 'invalid', status: r.res.status, errors: errorsOf(r.json, r.text) };
      return { kind: 'raw', text: r.text, posts: r.text.split(RAW_POST_SEPARATOR).length - 1 };
    },

    async findByExternalId(externalId) {
      // 301 to /t/{slug}/{id}.json (followed by call(), same origin only); 404 when no topic has this external_id.
      const r = await call('GET', `/t/external_id/${encodeURIComponent(externalId)}.json`);
      if ('kind' in r) return r;
      if (r.res.status === 404 || r.res.status === 410) return { kind: 'notFound' };
      const j = r.json as { id?: unknown; slug?: unknown } | null;
      const topic = r.res.ok ? asTopic(j?.id, j?.slug) : null;
      if (topic) return { kind: 'found', topic };
      return { kind: 'invalid', status: r.res.status, errors: errorsOf(j, r.text) };
    },

    topicUrl: (t) => `${cfg.url}/t/${encodeURIComponent(t.slug)}/${t.topicId}`,
  };
}
