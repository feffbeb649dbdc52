// POST /api/actions/preview and /api/actions/send: raise, UPDATE and ALLCLEAR from the dashboard,
// by an admin member named in the request (recorded as the raiser / sender, source "admin"). The
// rules, texts and writers are the text conversation's (src/conversation/web.ts); this is the HTTP edge.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { errorSchema, HttpError } from '../http/errors.js';
import { performAction, previewAction, type WebAction } from '../conversation/web.js';

interface ActionBody {
  adminId: number;
  kind: 'raise' | 'update' | 'allclear';
  summary?: string;
  exercise?: boolean;
  thresholdMet?: boolean;
  alert?: number;
  text?: string;
  previewedText?: string;
}

const actionProperties = {
  adminId: { type: 'integer', minimum: 1, description: 'The admin member acting: recorded as the raiser or sender, named in the texts.' },
  kind: { type: 'string', enum: ['raise', 'update', 'allclear'] },
  summary: { type: 'string', maxLength: 2000, description: 'raise: the description (3 to 600 characters, as by text).' },
  exercise: { type: 'boolean', description: 'raise: an exercise (always one while exercise mode is on).' },
  thresholdMet: { type: 'boolean', description: "raise: the admin's answer to the threshold question (false: not raised)." },
  alert: { type: 'integer', minimum: 1, description: 'update/allclear: the alert number.' },
  text: { type: 'string', maxLength: 2000, description: 'update: the text (required); allclear: optional words.' },
} as const;

const previewBody = { type: 'object', additionalProperties: false, required: ['adminId', 'kind'], properties: actionProperties } as const;
const sendBody = {
  type: 'object',
  additionalProperties: false,
  required: ['adminId', 'kind', 'previewedText'],
  properties: { ...actionProperties, previewedText: { type: 'string', maxLength: 4000, description: 'The text the preview showed: sent only if it is still what would go.' } },
} as const;

const previewSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['raise', 'update', 'allclear'] },
    text: { type: 'string', description: 'The text every recipient will get, word for word.' },
    reach: { type: 'integer', description: 'Members it reaches now (not opted out; for a follow-up, the alert\'s recipients).' },
    exercise: { type: 'boolean' },
    alert: { type: 'integer', description: 'The alert followed up, or the number a raise will most likely get.' },
  },
} as const;

const sentSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    alert: { type: 'integer', description: 'The alert raised or followed up.' },
    recipients: { type: 'integer', description: 'Texts queued.' },
    exercise: { type: 'boolean' },
    message: { type: 'string', description: 'The confirmation the admin would have been texted.' },
  },
} as const;

const described = (description: string) => ({ ...errorSchema, description });
const errors = {
  400: described('refused (the reply a text would get: threshold not met, description too short or long), not_an_admin or invalid_request.'),
  401: described('No bearer token, or not an accepted one.'),
  404: described('No such alert.'),
  409: described('conflict: the alert is closed, or (send) what would go differs from previewedText.'),
  429: described('too_many_raises: the admin reached MAX_RAISES_PER_HOUR.'),
};

function action(b: ActionBody): WebAction {
  switch (b.kind) {
    case 'raise':
      return { kind: 'raise', summary: b.summary ?? '', exercise: b.exercise ?? false, thresholdMet: b.thresholdMet ?? false };
    case 'update':
    case 'allclear':
      if (b.alert === undefined) throw new HttpError('invalid_request', `${b.kind} needs the alert number`);
      return { kind: b.kind, alert: b.alert, text: b.text ?? '' };
  }
}

const CODES = { 400: 'refused', 404: 'not_found', 409: 'conflict', 429: 'too_many_raises' } as const;

export async function registerActionRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db, config } = deps;
  app.addHook('onRequest', requireAdmin(deps));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Cache-Control', 'no-store');
  });

  // The shared admin token may act as any admin; a signed-in admin acts as themselves only.
  const adminMember = async (id: number, actor: FastifyRequest['actor']) => {
    if (actor?.kind === 'session' && actor.memberId !== id) {
      throw new HttpError('not_an_admin', `Signed in as ${actor.name}: you act as yourself (adminId ${actor.memberId}), not as member ${id}.`);
    }
    const m = await db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirst();
    if (!m || m.role !== 'admin') throw new HttpError('not_an_admin', `Member ${id} is not an admin: only an admin member can act from the dashboard.`);
    return m;
  };

  app.post<{ Body: ActionBody }>('/api/actions/preview', {
    schema: {
      summary: 'Preview a raise, UPDATE or ALLCLEAR: the exact text and its reach, checked by the text conversation\'s rules; nothing is sent',
      tags: ['alerts'],
      body: previewBody,
      response: { 200: previewSchema, ...errors },
    },
  }, async (req) => {
    const admin = await adminMember(req.body.adminId, req.actor);
    const r = await db.transaction().execute((trx) => previewAction(trx, config, admin, action(req.body), deps.clock()));
    if (!r.ok) throw new HttpError(CODES[r.status], r.reason);
    return r.preview;
  });

  app.post<{ Body: ActionBody }>('/api/actions/send', {
    schema: {
      summary: 'Send a previewed raise, UPDATE or ALLCLEAR (409 if what would go differs from previewedText)',
      tags: ['alerts'],
      body: sendBody,
      response: { 200: sentSchema, ...errors },
    },
  }, async (req) => {
    const admin = await adminMember(req.body.adminId, req.actor);
    const a = action(req.body);
    const r = await db.transaction().execute((trx) => performAction(trx, config, admin, a, req.body.previewedText ?? '', deps.clock()));
    if (!r.ok) throw new HttpError(CODES[r.status], r.reason);
    deps.outboxSignal?.touch();
    if (a.kind === 'raise') deps.metrics.alertRaised('admin', r.exercise);
    req.log.info({ alert: r.alert, kind: a.kind, adminId: admin.id, recipients: r.recipients }, 'dashboard action sent');
    return { alert: r.alert, recipients: r.recipients, exercise: r.exercise, message: r.message };
  });
}
