// POST /webhooks/discourse: Discourse's outgoing webhook, the forum path for raising an alert.
// Verify first (HMAC-SHA256 of the raw body), then read only the fields we need.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { raiseFromForum, type ForumTopic } from '../inbound/forum-raise.js';
import { sendError } from '../http/errors.js';

/** A topic_created older than this is a replay, not a new topic. */
const MAX_TOPIC_AGE_MS = 60 * 60 * 1000;
const MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000;

// Topic payloads are a few kB; a post payload carries its cooked HTML too.
const BODY_LIMIT = 512 * 1024;

/** `sha256=<lowercase hex HMAC-SHA256(secret, body)>`, as Discourse signs. */
export function discourseSignature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of X-Discourse-Event-Signature against the raw body. */
export function verifyDiscourseSignature(secret: string, body: Buffer, header: unknown): boolean {
  if (typeof header !== 'string' || !/^sha256=[0-9a-fA-F]{64}$/.test(header.trim())) return false;
  const expected = Buffer.from(discourseSignature(secret, body).slice(7), 'hex');
  const given = Buffer.from(header.trim().slice(7).toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** The topic_created fields we use, or null when the payload is not one. */
export function topicFromPayload(payload: unknown): (ForumTopic & { createdAt: Date }) | null {
  const t = (payload as { topic?: unknown } | null)?.topic as Record<string, unknown> | undefined;
  if (!t || typeof t !== 'object') return null;
  const by = t.created_by as { username?: unknown } | undefined;
  if (!posInt(t.id) || typeof t.title !== 'string' || t.title.trim() === '' || !posInt(t.category_id)) return null;
  if (typeof by?.username !== 'string' || by.username === '') return null;
  const slug = typeof t.slug === 'string' && /^[\w%-]+$/.test(t.slug) ? t.slug : 'topic';
  const createdAt = typeof t.created_at === 'string' ? new Date(t.created_at) : new Date(NaN);
  if (Number.isNaN(createdAt.getTime())) return null;
  return { id: t.id, title: t.title, slug, categoryId: t.category_id, username: by.username, createdAt };
}

const header = (req: FastifyRequest, name: string): string => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : '';
};

export function registerDiscourseWebhook(app: FastifyInstance, deps: RouteDeps): void {
  // This scope only: keep the exact bytes Discourse signed; JSON is parsed after the check.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post('/webhooks/discourse', { bodyLimit: BODY_LIMIT }, async (req: FastifyRequest, reply: FastifyReply) => {
    const { config, db, clock } = deps;
    const secret = config.discourseWebhookSecret;
    if (!secret) return sendError(reply, 'not_configured', 'Raising from the forum is not configured (DISCOURSE_WEBHOOK_SECRET).');

    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifyDiscourseSignature(secret, raw, req.headers['x-discourse-event-signature'])) {
      req.log.warn({ instance: header(req, 'x-discourse-instance'), event: header(req, 'x-discourse-event') }, 'discourse webhook: bad or missing signature');
      return sendError(reply, 'invalid_signature', 'X-Discourse-Event-Signature does not match.');
    }

    const event = header(req, 'x-discourse-event');
    const eventId = header(req, 'x-discourse-event-id');
    if (event === 'ping' || header(req, 'x-discourse-event-type') === 'ping') return { result: 'pong' };
    if (event !== 'topic_created') return { result: 'ignored', reason: 'event' };

    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendError(reply, 'invalid_json_body', 'Send the webhook as application/json.');
    }
    const topic = topicFromPayload(payload);
    if (!topic) return sendError(reply, 'invalid_request', 'Not a topic_created payload.');
    // Only a topic created within the last hour raises: an old topic replayed (its signed body kept) does not.
    const age = clock().getTime() - topic.createdAt.getTime();
    if (age > MAX_TOPIC_AGE_MS || age < -MAX_CLOCK_AHEAD_MS) {
      req.log.warn({ topicId: topic.id, createdAt: topic.createdAt.toISOString() }, 'discourse webhook: topic outside the replay window');
      return sendError(reply, 'stale_request', `The topic was created at ${topic.createdAt.toISOString()}: only topics created within the last hour raise an alert.`);
    }

    const log = req.log.child({ discourseEventId: eventId, topicId: topic.id });
    if (!config.discourse || topic.categoryId !== config.discourse.categoryId) return { result: 'ignored', reason: 'category' };
    // Our own alert topics, posted through the API, fire this webhook too.
    if (topic.username.toLowerCase() === config.discourse.apiUsername.toLowerCase()) return { result: 'ignored', reason: 'own_topic' };

    const r = await raiseFromForum(db, config, topic, clock());
    switch (r.outcome) {
      case 'raised':
        deps.outboxSignal?.touch();
        deps.metrics.alertRaised('forum', r.exercise); // after the commit: raiseFromForum owns the transaction
        log.info({ alert: r.alert, recipients: r.recipients }, 'alert raised from the forum');
        return { result: 'raised', alert: r.alert, recipients: r.recipients };
      case 'seen':
        log.info('discourse webhook: topic already acted on (refused before): nothing done');
        return { result: 'duplicate' };
      case 'duplicate':
        log.info({ alert: r.alert }, 'discourse webhook repeated: topic already raised');
        return { result: 'duplicate', alert: r.alert };
      case 'unknownUser':
        // Refused, answered 200: the delivery worked, and a retry would be refused the same way.
        log.warn({ username: topic.username }, 'forum raise refused: forum user is not a registered member');
        return { result: 'refused', reason: 'unknown_user' };
      case 'raiseLimit':
        log.warn({ memberId: r.memberId }, 'forum raise refused: raise limit reached');
        return { result: 'refused', reason: 'raise_limit' };
    }
  });
}
