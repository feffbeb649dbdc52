// The phone simulator's web side: the /simulator page and its JSON API. Registered only when the
// simulator is the SMS sender (no Vonage credentials), so with Vonage every path here is a 404.
// A text typed into a simulated phone is posted to the real inbound webhook with app.inject:
// same signature check, parsing, de-duplication, state machine and outbox as a real text.
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteDeps } from '../deps.js';
import type { PhoneSimulator, SimulatedText } from '../providers/simulator/simulator.js';
import { requireAdmin } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { normalisePhone, toVonage } from '../directory/phone.js';
import { MAX_TEXT_CHARS } from '../providers/vonage-sms/inbound.js';
import { signVonageParams, type WebhookParams } from '../providers/vonage-sms/signature.js';
import { exerciseMode } from '../alerts/exercise.js';
import { inboundRequests, vonageTimestamp } from './simulator-inbound.js';
import { SIMULATOR_PATH, simulatorPage } from './simulator-page.js';
import { servePage } from './layout.js';

const INBOUND_PATH = '/webhooks/vonage/inbound';
const STATUS_PATH = '/webhooks/vonage/status';
/** A receipt comes a moment after the send, as Vonage's do (and after the dispatcher marks the row sent). */
const RECEIPT_DELAY_MS = 500;
const MAX_PHONES_PER_POLL = 12;
const MAX_MESSAGES_PER_POLL = 200;

const messageJson = (m: SimulatedText) => ({
  id: m.id,
  phone: m.phone,
  from: m.direction === 'in' ? 'phone' : 'batsignal',
  text: m.text,
  error: m.error,
  at: m.createdAt.toISOString(),
});

export function registerSimulator(app: FastifyInstance, deps: RouteDeps): void {
  const sim = deps.simulator;
  if (!sim) return; // Vonage is configured: no simulator, every path here is a 404.
  const { config } = deps;
  // Webhooks are never open: the simulator signs what it injects (main.ts gives it a secret kept in
  // DATA_DIR when VONAGE_SIGNATURE_SECRET is not set); unsigned only with VONAGE_ALLOW_UNSIGNED.
  if (!config.signatureSecrets[0] && !config.allowUnsigned) {
    throw new Error('The phone simulator needs a webhook signature secret (src/runtime.ts withWebhookSecret) or VONAGE_ALLOW_UNSIGNED=true');
  }
  const signature = config.signatureSecrets[0] ? { secret: config.signatureSecrets[0], method: config.signatureMethod } : undefined;
  const sign = (p: WebhookParams) => (signature ? signVonageParams(p, signature.secret, signature.method) : p);
  const post = (url: string, params: WebhookParams) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(params).toString(),
    });

  attachReceipts(app, sim, deps, (params) => post(STATUS_PATH, sign(params)));

  servePage(app, SIMULATOR_PATH, simulatorPage());

  // onRequest, not preHandler: the token is checked before the body is even validated.
  const auth = requireAdmin(deps);
  const api = {
    onRequest: auth,
    onSend: async (_req: unknown, reply: FastifyReply, payload: unknown) => {
      reply.header('Cache-Control', 'no-store');
      return payload;
    },
  };

  /** The phones to show: members (admins first), with the number to text. */
  app.get('/api/simulator/phones', api, async () => {
    const members = await deps.db
      .selectFrom('members')
      .select(['id', 'name', 'organisation', 'role', 'phone', 'opted_out'])
      .orderBy('role')
      .orderBy('id')
      .limit(200)
      .execute();
    return {
      batsignalNumber: config.batsignalNumber,
      exercise: (await exerciseMode(deps.db)).on,
      phones: members.map((m) => ({
        memberId: m.id,
        name: m.name,
        organisation: m.organisation,
        role: m.role,
        phone: m.phone,
        optedOut: m.opted_out,
      })),
    };
  });

  app.get<{ Querystring: { phones: string; after?: string } }>(
    '/api/simulator/messages',
    {
      ...api,
      schema: {
        querystring: {
          type: 'object',
          required: ['phones'],
          properties: { phones: { type: 'string', maxLength: 400 }, after: { type: 'string', pattern: '^\\d{1,18}$' } },
        },
      },
    },
    async (req) => {
      const phones = req.query.phones.split(',').filter((p) => p !== '');
      if (phones.length > MAX_PHONES_PER_POLL) throw new HttpError('too_many_phones', `at most ${MAX_PHONES_PER_POLL} phones at once`);
      if (!phones.every((p) => /^\+[1-9]\d{5,14}$/.test(p))) throw new HttpError('invalid_phone', 'phones are E.164 numbers separated by commas');
      const rows = await sim.messages(phones, req.query.after ?? '0', MAX_MESSAGES_PER_POLL + 1);
      return { messages: rows.slice(0, MAX_MESSAGES_PER_POLL).map(messageJson), more: rows.length > MAX_MESSAGES_PER_POLL };
    },
  );

  app.post<{ Body: { phone: string; text: string } }>(
    '/api/simulator/send',
    {
      ...api,
      schema: {
        body: {
          type: 'object',
          required: ['phone', 'text'],
          additionalProperties: false,
          properties: { phone: { type: 'string', maxLength: 40 }, text: { type: 'string', minLength: 1, maxLength: MAX_TEXT_CHARS } },
        },
      },
    },
    async (req) => {
      const phone = normalisePhone(req.body.phone, config.defaultCountry);
      if (!phone.ok) throw new HttpError('invalid_phone', phone.reason);
      const now = deps.clock();
      // Stored first, so the phone shows its own text above the reply the dispatcher may send at once.
      const stored = await sim.recordInbound(phone.e164, req.body.text, now);
      const requests = inboundRequests({
        msisdn: toVonage(phone.e164),
        to: config.batsignalNumber,
        text: req.body.text,
        now,
        newMessageId: () => `SIM-${randomUUID()}`,
        concatRef: String(randomBytes(2).readUInt16BE() & 0xff),
        signature,
      });
      for (const params of requests) {
        const res = await post(INBOUND_PATH, params);
        if (res.statusCode < 200 || res.statusCode > 205) {
          let reason = `the webhook answered ${res.statusCode}`;
          try {
            const body = res.json<{ message?: unknown }>();
            if (typeof body.message === 'string') reason += `: ${body.message}`;
          } catch {
            // not JSON: the status says enough
          }
          await sim.markRefused(stored.id, reason);
          return { message: messageJson({ ...stored, error: reason }), delivered: false, parts: requests.length };
        }
      }
      return { message: messageJson(stored), delivered: true, parts: requests.length };
    },
  );
}

/** Delivery receipts for simulated sends, through the real status webhook, as Vonage would post them. */
function attachReceipts(app: FastifyInstance, sim: PhoneSimulator, deps: RouteDeps, post: (p: WebhookParams) => Promise<unknown>): void {
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  sim.onDelivered((msg, providerId) => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const now = deps.clock();
      const scts = vonageTimestamp(now).replace(/\D/g, '').slice(2, 12); // YYMMDDHHMM
      post({
        msisdn: msg.to.replace(/^\+/, ''),
        to: msg.from,
        'network-code': '23410',
        messageId: providerId,
        price: '0.00000000',
        status: 'delivered',
        scts,
        'err-code': '0',
        'client-ref': msg.id,
        'message-timestamp': vonageTimestamp(now),
        timestamp: String(Math.floor(now.getTime() / 1000)),
        nonce: randomUUID(),
      }).catch((err) => app.log.warn({ err }, 'simulator receipt'));
    }, RECEIPT_DELAY_MS);
    timer.unref();
    timers.add(timer);
  });
  app.addHook('onClose', (_app, done) => {
    closed = true;
    sim.onDelivered(undefined);
    for (const t of timers) clearTimeout(t);
    done();
  });
}
