// The email channel: one message per outbox row over a pooled SMTP transport (nodemailer).
// Rendered at send time, so a forum link recorded after the alert was created is included.
import { createRequire } from 'node:module';
import type Nodemailer from 'nodemailer';
import type { Database } from '../../db/connect.js';
import type { SmtpConfig } from '../../config.js';
import type { OutboxRow } from '../../db/schema.js';
import type { Sender, SendOutcome } from '../../outbox/channel.js';
import type { EmailPayload } from '../../outbox/write.js';
import { renderAlertEmail, renderFollowUpEmail } from './render.js';
import { renderAdvisoryEmail, type AdvisoryEmailFacts } from './advisory.js';

/** An advisory and the organisations this contact answers for (read at send time). */
async function advisoryEmailFacts(db: Database, n: number, memberId: number | null, overdue: boolean): Promise<AdvisoryEmailFacts | null> {
  const a = await db
    .selectFrom('advisories')
    .innerJoin('alerts', 'alerts.number', 'advisories.number')
    .select(['advisories.number', 'advisories.title', 'advisories.body', 'advisories.severity', 'advisories.respond_by', 'advisories.created_at', 'alerts.exercise'])
    .where('advisories.number', '=', n)
    .executeTakeFirst();
  if (!a) return null;
  const orgs = await db
    .selectFrom('advisory_contacts as c')
    .innerJoin('advisory_organisations as o', (j) => j.onRef('o.advisory', '=', 'c.advisory').onRef('o.ods_code', '=', 'c.ods_code'))
    .select(['o.ods_code', 'o.name'])
    .where('c.advisory', '=', n)
    .where('c.member_id', '=', memberId ?? -1)
    .where('c.route', 'in', overdue ? ['deputy', 'own_primary'] : ['direct', 'via_support'])
    .distinct()
    .orderBy('o.ods_code')
    .execute();
  return {
    number: a.number,
    title: a.title,
    body: a.body,
    severity: a.severity,
    respondBy: a.respond_by,
    exercise: a.exercise,
    createdAt: a.created_at,
    organisations: orgs.map((o) => ({ odsCode: o.ods_code, name: o.name })),
    overdue,
  };
}

export interface EmailSenderDeps {
  db: Database;
  smtp: SmtpConfig;
  batsignalNumber: string;
  /** Connection, greeting and socket timeouts in ms (defaults 10 s, 10 s, 30 s; nodemailer's are minutes). */
  timeouts?: { connection?: number; greeting?: number; socket?: number };
  /** Pooled connections kept open to the server (default 3). */
  maxConnections?: number;
}

export interface EmailSender extends Sender {
  close(): void;
}

interface SmtpFailure {
  code?: string;
  response?: string;
  responseCode?: number;
  permanent?: boolean;
  message?: string;
}

/**
 * A refusal for good (5xx, except 503 which is about session state) fails this recipient with the
 * server's words; anything else (4xx, connection refused or dropped, timeouts, authentication) is
 * temporary or about our side, and the row is tried again with backoff.
 */
export function classifySmtpError(err: unknown): SendOutcome {
  const e = (err ?? {}) as SmtpFailure;
  const reason = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim().slice(0, 500);
  const permanent = e.permanent ?? (typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode !== 503);
  if (permanent) return { ok: false, retry: false, error: `refused by mail server: ${reason}` };
  return { ok: false, retry: true, error: `mail server ${e.responseCode ?? e.code ?? 'error'}: ${reason}` };
}

function domainOf(from: string): string {
  const m = /@([^@\s<>]+)>?\s*$/.exec(from);
  return m?.[1] ?? 'batsignal.invalid';
}

// Loaded when SMTP is configured, not at every start (41 files; the second start has a 2 s budget).
const mailer = (): typeof Nodemailer => createRequire(import.meta.url)('nodemailer') as typeof Nodemailer;

export function createEmailSender(deps: EmailSenderDeps): EmailSender {
  const t = deps.timeouts ?? {};
  const transport = mailer().createTransport({
    url: deps.smtp.url,
    pool: true,
    maxConnections: deps.maxConnections ?? 3,
    // The outbox is the retry mechanism (backoff in the data); the pool must not resend on its own.
    maxRequeues: 0,
    connectionTimeout: t.connection ?? 10_000,
    greetingTimeout: t.greeting ?? 10_000,
    socketTimeout: t.socket ?? 30_000,
  });
  const domain = domainOf(deps.smtp.from);

  async function send(row: OutboxRow): Promise<SendOutcome> {
    if (row.alert_number === null) return { ok: false, retry: false, error: 'email row without an alert' };
    const alert = await deps.db
      .selectFrom('alerts')
      .select(['number', 'raiser_name', 'raiser_org', 'summary', 'exercise', 'created_at', 'forum_topic_url'])
      .where('number', '=', row.alert_number)
      .executeTakeFirst();
    if (!alert) return { ok: false, retry: false, error: `alert #${row.alert_number} not found` };
    const payload = row.payload as Partial<EmailPayload> | null;
    const ctx = { batsignalNumber: deps.batsignalNumber, smsOptedOut: payload?.smsOptedOut === true };
    let mail = renderAlertEmail(alert, ctx);
    if (row.kind === 'advisory' || row.kind === 'advisory_escalation') {
      const facts = await advisoryEmailFacts(deps.db, row.alert_number, row.member_id, row.kind === 'advisory_escalation');
      if (!facts) return { ok: false, retry: false, error: `advisory #${row.alert_number} not found` };
      mail = renderAdvisoryEmail(facts, ctx);
    } else if (row.kind === 'update' || row.kind === 'allclear') {
      const f = payload?.followUp;
      if (!f || typeof f.from !== 'string' || typeof f.text !== 'string') return { ok: false, retry: false, error: `${row.kind} email row without its words` };
      mail = renderFollowUpEmail(alert, { kind: row.kind, from: f.from, text: f.text, at: new Date(f.at) }, ctx);
    }
    try {
      const info = await transport.sendMail({
        from: deps.smtp.from,
        to: row.recipient,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        // Stable per outbox row: a resend after an uncertain failure carries the same Message-ID.
        messageId: `<batsignal-${alert.number}-${row.id}@${domain}>`,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Batsignal-Alert': String(alert.number) },
      });
      return { ok: true, providerId: info.messageId };
    } catch (err) {
      return classifySmtpError(err);
    }
  }

  return {
    channel: 'email',
    async send(row) {
      try {
        return await send(row);
      } catch (err) {
        return { ok: false, retry: true, error: `email sender: ${err instanceof Error ? err.message : String(err)}` };
      }
    },
    close: () => transport.close(),
  };
}
