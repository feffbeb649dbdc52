// The one edge of every SMS webhook (Vonage SMS API, Vonage Messages API, Twilio): what each does
// after its provider-specific check, and the one vocabulary of refusals they answer with.
//   - Vonage SMS API (inbound and receipts): vonageSmsParams() runs flatten -> repeated-key check ->
//     field cap -> signature (never open: unsigned only with VONAGE_ALLOW_UNSIGNED) -> replay window.
//   - every provider: intake() hands a parsed text to the inbound pipeline, receipt() a parsed receipt
//     to the outbox, with the same logging, metrics and error answers.
// Providers retry anything but 2xx (Vonage for 24 hours): bad input gets a 4xx saying what is wrong,
// never a 5xx; only an infrastructure failure gets a 500 (then the retry is what we want).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import type { Config } from '../config.js';
import type { InboundSms } from '../inbound/message.js';
import { receiveInbound, type Converse } from '../inbound/pipeline.js';
import { applyReceipt, type Receipt } from '../outbox/receipts.js';
import { maskPhone } from '../directory/phone.js';
import { stringParams, verifyVonageSignature, type WebhookParams } from '../providers/vonage-sms/signature.js';
import { MAX_FIELDS } from '../providers/vonage-sms/fields.js';
import { INTERNAL_MESSAGE, sendError, type ErrorCode } from '../http/errors.js';

/** The refusals every webhook shares: the error code is also the outcome in logs and metrics. */
export type EdgeRefusal = Extract<ErrorCode, 'invalid_request' | 'invalid_signature' | 'stale_request'>;

export type EdgeCheck = { ok: true; params: WebhookParams } | { ok: false; code: EdgeRefusal; message: string };

/** Vonage retries a webhook for 24 hours; an hour's margin for its queue and clocks. */
export const MAX_REQUEST_AGE_S = 25 * 60 * 60;
/** Clocks disagree a little; a request from further ahead than this was not sent by Vonage now. */
export const MAX_CLOCK_AHEAD_S = 5 * 60;

/** A field in both query and body would be read one way and signed another: refused. */
function sentTwice(query: unknown, body: unknown): string | undefined {
  if (!query || !body || typeof query !== 'object' || typeof body !== 'object') return undefined;
  return Object.keys(query).find((k) => Object.hasOwn(body, k));
}

/**
 * Why a signed request's `timestamp` (Unix seconds, covered by the signature) is outside the replay
 * window, or undefined when it is inside. A request without one passes: Vonage signs every request
 * over its timestamp, so a captured request cannot lose it without losing its signature.
 */
export function replayProblem(timestamp: string | undefined, now: Date): { code: EdgeRefusal; message: string } | undefined {
  if (timestamp === undefined) return undefined;
  if (!/^\d{1,12}$/.test(timestamp)) return { code: 'invalid_request', message: 'timestamp must be a Unix time in seconds' };
  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (age > MAX_REQUEST_AGE_S) return { code: 'stale_request', message: `timestamp is ${Math.floor(age / 3600)} hours old (at most 25 hours accepted)` };
  if (age < -MAX_CLOCK_AHEAD_S) return { code: 'stale_request', message: `timestamp is ${-age} seconds in the future (at most ${MAX_CLOCK_AHEAD_S} accepted)` };
  return undefined;
}

/** Unsigned requests are accepted only when no secret is set and VONAGE_ALLOW_UNSIGNED says so (loopback only: src/config.ts). */
export const acceptsUnsigned = (config: Pick<Config, 'signatureSecrets' | 'allowUnsigned'>): boolean =>
  config.signatureSecrets.length === 0 && config.allowUnsigned;

/** A Vonage SMS API webhook's fields, checked in order: flatten, once each, how many, signature, replay window (signed requests only). */
export function vonageSmsParams(req: FastifyRequest, config: Config, now: Date): EdgeCheck {
  const body = req.method === 'POST' ? req.body : undefined;
  const flat = stringParams(req.query, body);
  if ('error' in flat) return { ok: false, code: 'invalid_request', message: flat.error };
  const twice = sentTwice(req.query, body);
  if (twice) return { ok: false, code: 'invalid_request', message: `field "${twice}" was sent both in the query string and in the body` };
  const params = flat.params;
  if (Object.keys(params).length > MAX_FIELDS) return { ok: false, code: 'invalid_request', message: `too many fields (at most ${MAX_FIELDS})` };
  if (acceptsUnsigned(config)) return { ok: true, params };
  // No secret and unsigned not allowed: every request is refused (never open).
  if (config.signatureSecrets.length === 0 || !verifyVonageSignature(params, config.signatureSecrets, config.signatureMethod)) {
    return { ok: false, code: 'invalid_signature', message: 'missing or invalid webhook signature' };
  }
  // A captured signed request stays valid for ever unless its (signed) timestamp is checked.
  const stale = replayProblem(params.timestamp, now);
  if (stale) return { ok: false, ...stale };
  return { ok: true, params };
}

/** Logs and answers a refusal; `count` records it in the webhook's metric. */
export function refuse(req: FastifyRequest, reply: FastifyReply, what: string, code: EdgeRefusal, message: string, extra: object = {}): FastifyReply {
  // A bad signature or a replay is someone trying something (or a secret out of step): a warning.
  if (code === 'invalid_request') req.log.info({ outcome: code, problem: message, ...extra }, what);
  else req.log.warn({ outcome: code, problem: message, ...extra }, what);
  return sendError(reply, code, message);
}

/** A parsed inbound text into the pipeline: 200 with `ok` once stored (or a duplicate), 500 if the database failed. */
export async function intake(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: RouteDeps,
  sms: InboundSms,
  ok: (reply: FastifyReply) => FastifyReply,
  opts: { converse: Converse; provider?: string; onError?: () => Promise<void> },
): Promise<FastifyReply> {
  const { metrics } = deps;
  const facts = {
    messageId: sms.messageId,
    from: maskPhone(sms.msisdn),
    type: sms.type,
    chars: sms.text.length,
    ...(sms.concat ? { part: `${sms.concat.part}/${sms.concat.total}` } : {}),
    ...(opts.provider ? { provider: opts.provider } : {}),
  };
  let result;
  try {
    result = await receiveInbound({ config: deps.config, db: deps.db, converse: opts.converse, metrics }, sms, deps.clock());
  } catch (err) {
    // Rolled back: not marked seen, so the provider's retry will bring it again.
    await opts.onError?.().catch(() => {});
    req.log.error({ outcome: 'error', ...facts, err }, 'inbound sms');
    metrics.inbound('error');
    return sendError(reply, 'internal', INTERNAL_MESSAGE);
  }
  if (result.outcome !== 'duplicate') deps.outboxSignal?.touch();
  metrics.inbound(result.outcome);
  // A member over the loop cap is worth a look (an auto-responder, or someone in trouble).
  if (result.reason === 'rate_limited') req.log.warn({ ...result, ...facts }, 'inbound sms');
  else req.log.info({ ...result, ...facts }, 'inbound sms');
  return ok(reply);
}

/** A parsed receipt onto its outbox row: 200 whatever it matched (a retry would not help), 500 if the database failed. */
export async function receipt(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: RouteDeps,
  r: Receipt,
  ok: (reply: FastifyReply) => FastifyReply,
  opts: { provider?: string; onError?: () => Promise<void> } = {},
): Promise<FastifyReply> {
  const { metrics } = deps;
  const facts = {
    clientRef: r.clientRef,
    messageId: r.messageId,
    to: r.msisdn ? maskPhone(r.msisdn) : undefined,
    status: r.status,
    error: r.error,
    ...(opts.provider ? { provider: opts.provider } : {}),
  };
  let result;
  try {
    result = await applyReceipt(deps.db, r, deps.clock());
  } catch (err) {
    await opts.onError?.().catch(() => {});
    req.log.error({ outcome: 'error', ...facts, err }, 'delivery receipt');
    metrics.statusWebhook('error');
    return sendError(reply, 'internal', INTERNAL_MESSAGE);
  }
  const outcome = !result.matched ? result.reason : result.applied ? 'recorded' : 'superseded';
  metrics.statusWebhook(outcome, r.status);
  if (!result.matched) req.log.warn({ outcome, ...facts }, 'delivery receipt');
  else req.log.info({ outcome, outboxId: result.outboxId, ...facts }, 'delivery receipt');
  return ok(reply);
}
