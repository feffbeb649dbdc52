import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison of a presented secret against each accepted one (current, previous). */
export function matchesAny(presented: string | undefined, accepted: readonly string[]): boolean {
  if (presented === undefined) return false;
  const p = digest(presented);
  let ok = false;
  for (const a of accepted) ok = timingSafeEqual(p, digest(a)) || ok; // no early exit
  return ok;
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/** preHandler: 401 unless the request carries one of the accepted bearer tokens. */
export function requireBearer(accepted: readonly string[]) {
  if (accepted.length === 0) throw new Error('requireBearer: no token configured');
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!matchesAny(bearerToken(req), accepted)) {
      reply.header('WWW-Authenticate', 'Bearer');
      return sendError(reply, 'unauthorized', 'A valid admin token is required (Authorization: Bearer <token>).');
    }
  };
}

/** Who made an admin request: the shared admin token, or a signed-in admin's own session. */
export type Actor = { kind: 'token' } | { kind: 'session'; sessionId: string; memberId: number; name: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireAdmin; read by the audit log (src/http/audit.ts) and by actions done "as" an admin. */
    actor: Actor | null;
  }
}

/** How admin requests are authenticated: the static tokens, and (when wired) signed-in sessions. */
export interface AdminAuth {
  adminTokens: readonly string[];
  sessions?: { verify(token: string): Promise<{ sessionId: string; memberId: number; name: string } | null> } | undefined;
}

/** preHandler: 401 unless the request carries an admin token or a live session's token; sets req.actor. */
export function requireAdmin(auth: AdminAuth) {
  if (auth.adminTokens.length === 0) throw new Error('requireAdmin: no token configured');
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const presented = bearerToken(req);
    if (matchesAny(presented, auth.adminTokens)) {
      req.actor = { kind: 'token' };
      return;
    }
    const session = presented !== undefined && auth.sessions ? await auth.sessions.verify(presented) : null;
    if (session) {
      req.actor = { kind: 'session', ...session };
      return;
    }
    reply.header('WWW-Authenticate', 'Bearer');
    return sendError(reply, 'unauthorized', 'A valid admin token or sign-in session is required (Authorization: Bearer <token>).');
  };
}
