// POST /api/actions/preview and /api/actions/send: raise, UPDATE and ALLCLEAR from the dashboard,
// by an admin member named in the request (recorded as the raiser / sender, source "admin"). The
// rules, texts and writers are the text conversation's (src/conversation/web.ts); this is the HTTP edge.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { errorSchema, HttpError } from '../http/errors.js';
import { StringEnum } from '../http/schema.js';
import { performAction, previewAction, type WebAction } from '../conversation/web.js';

/** What the dashboard can do (WebAction's kinds). */
const ACTION_KINDS = ['raise', 'update', 'allclear'] as const;

const { adminId, kind, ...optional } = {
  adminId: Type.Integer({ minimum: 1, description: 'The admin member acting: recorded as the raiser or sender, named in the texts.' }),
  kind: StringEnum(ACTION_KINDS),
  summary: Type.String({ maxLength: 2000, description: 'raise: the description (3 to 600 characters, as by text).' }),
  exercise: Type.Boolean({ description: 'raise: an exercise (always one while exercise mode is on).' }),
  thresholdMet: Type.Boolean({ description: "raise: the admin's answer to the threshold question (false: not raised)." }),
  alert: Type.Integer({ minimum: 1, description: 'update/allclear: the alert number.' }),
  text: Type.String({ maxLength: 2000, description: 'update: the text (required); allclear: optional words.' }),
};
const optionalProperties = Type.Partial(Type.Object(optional)).properties;

const previewBody = Type.Object({ adminId, kind, ...optionalProperties }, { additionalProperties: false });
type ActionBody = Static<typeof previewBody>;
const sendBody = Type.Object(
  {
    adminId,
    kind,
    previewedText: Type.String({ maxLength: 4000, description: 'The text the preview showed: sent only if it is still what would go.' }),
    ...optionalProperties,
  },
  { additionalProperties: false },
);

const previewSchema = Type.Partial(
  Type.Object({
    kind: StringEnum(ACTION_KINDS),
    text: Type.String({ description: 'The text every recipient will get, word for word.' }),
    reach: Type.Integer({ description: 'Members it reaches now (not opted out; for a follow-up, the alert\'s recipients).' }),
    exercise: Type.Boolean(),
    alert: Type.Integer({ description: 'The alert followed up, or the number a raise will most likely get.' }),
  }),
  { additionalProperties: false },
);

const sentSchema = Type.Partial(
  Type.Object({
    alert: Type.Integer({ description: 'The alert raised or followed up.' }),
    recipients: Type.Integer({ description: 'Texts queued.' }),
    exercise: Type.Boolean(),
    message: Type.String({ description: 'The confirmation the admin would have been texted.' }),
  }),
  { additionalProperties: false },
);

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

export function registerActionRoutes(app: FastifyInstance, deps: RouteDeps): void {
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

  // Body and reply types come from the schemas above.
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post('/api/actions/preview', {
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

  api.post('/api/actions/send', {
    schema: {
      summary: 'Send a previewed raise, UPDATE or ALLCLEAR (409 if what would go differs from previewedText)',
      tags: ['alerts'],
      body: sendBody,
      response: { 200: sentSchema, ...errors },
    },
  }, async (req) => {
    const admin = await adminMember(req.body.adminId, req.actor);
    const a = action(req.body);
    const r = await db.transaction().execute((trx) => performAction(trx, config, admin, a, req.body.previewedText, deps.clock()));
    if (!r.ok) throw new HttpError(CODES[r.status], r.reason);
    deps.outboxSignal?.touch();
    if (a.kind === 'raise') deps.metrics.alertRaised('admin', r.exercise);
    req.log.info({ alert: r.alert, kind: a.kind, adminId: admin.id, recipients: r.recipients }, 'dashboard action sent');
    return { alert: r.alert, recipients: r.recipients, exercise: r.exercise, message: r.message };
  });
}
