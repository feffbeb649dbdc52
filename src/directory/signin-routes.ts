// Admin sign-in by a code texted to the admin's phone (src/directory/signin.ts), their sessions,
// and signing out. The code routes need no token; every answer to a code request is the same
// whether or not the number is an admin's.
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../deps.js';
import { requireAdmin } from '../http/auth.js';
import { HttpError, notFound } from '../http/errors.js';
import { liveSessions, requestSigninCode, revokeSession, verifySigninCode } from './signin.js';

const CodeRequest = Type.Object({ phone: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false });
const CodeCheck = Type.Object(
  { phone: Type.String({ minLength: 1, maxLength: 40 }), code: Type.String({ minLength: 1, maxLength: 20 }) },
  { additionalProperties: false },
);
const SESSION_ID = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$' }) });
export const CODE_SENT = 'If that number belongs to an admin, a sign-in code is on its way by text. It works for 10 minutes.';

export function registerSigninRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['sign-in'];

  api.post('/api/signin/code', { schema: { tags, summary: 'Text a one-time sign-in code to an admin\'s phone', body: CodeRequest } }, async (req, reply) => {
    const r = await deps.db.transaction().execute((trx) => requestSigninCode(trx, req.body.phone, deps.config.defaultCountry, deps.clock()));
    if (!r.ok) throw new HttpError('invalid_phone', r.reason);
    if (r.texted) deps.outboxSignal?.touch();
    return reply.code(202).send({ message: CODE_SENT });
  });

  api.post('/api/signin/verify', { schema: { tags, summary: 'Exchange the texted code for a session token (kept in the tab, sent as a bearer token)', body: CodeCheck } }, async (req) => {
    const r = await deps.db.transaction().execute((trx) => verifySigninCode(trx, req.body.phone, req.body.code, deps.config.defaultCountry, deps.clock()));
    if (!r.ok) {
      throw new HttpError('unauthorized', r.reason === 'locked'
        ? 'Three wrong codes: this code no longer works. Ask for a new one.'
        : 'That code is wrong or has expired. Check the text, or ask for a new one.');
    }
    req.log.info({ memberId: r.memberId, sessionId: r.sessionId }, 'admin signed in');
    return { token: r.token, expiresAt: r.expiresAt.toISOString(), name: r.name };
  });

  const auth = requireAdmin(deps);
  api.post('/api/signout', { onRequest: auth, schema: { tags, summary: 'End this session (a signed-in admin); nothing to do for the admin token' } }, async (req, reply) => {
    if (req.actor?.kind === 'session') await revokeSession(deps.db, req.actor.sessionId, deps.clock());
    return reply.code(204).send();
  });

  api.get('/api/sessions', { onRequest: auth, schema: { tags, summary: 'Live sign-in sessions' } }, async () => {
    const sessions = await liveSessions(deps.db, deps.clock());
    return { sessions: sessions.map((s) => ({ ...s, createdAt: s.createdAt.toISOString(), lastSeenAt: s.lastSeenAt.toISOString(), expiresAt: s.expiresAt.toISOString() })) };
  });

  api.delete('/api/sessions/:id', { onRequest: auth, schema: { tags, summary: 'Revoke a session (it stops working at once)', params: SESSION_ID } }, async (req, reply) => {
    if (!(await revokeSession(deps.db, req.params.id, deps.clock()))) throw notFound(`Live session ${req.params.id}`);
    return reply.code(204).send();
  });
}
