// Issuing an advisory: the alert number, the advisory, its organisations and their routed
// contacts, one text per contact and one email each, all in the caller's transaction and all
// set-based (one statement per step, whatever the number of organisations).
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import { nextAlertNumber } from '../db/alert-number.js';
import { PRIORITY_BROADCAST } from '../outbox/write.js';
import type { AdvisoryRequest } from './request.js';
import { deadlines } from './deadline.js';
import { resolutionCtes, previewTargets, unknownOdsCodes, type PreviewOrganisation } from './resolve.js';
import { advisoryManyTemplate, advisorySubject, advisoryText, COUNT_PLACEHOLDER, type AdvisoryWords } from './text.js';

export type IssuedVia = 'api' | 'cli' | 'web';

export interface IssueOptions {
  /** SMTP is configured: contacts with an address get the email (the body), opted-out ones too. */
  email: boolean;
  via: IssuedVia;
}

export interface IssueSummary {
  /** null for a dry run: nothing was numbered. */
  number: number | null;
  dryRun: boolean;
  respondBy: Date | null;
  organisations: { targeted: number; reachable: number; unreachable: number; estateUnknown: number };
  recipients: number;
  texts: number;
  emails: number;
  /** Organisations with no reachable contact: listed, never silently skipped. */
  unreachable: { odsCode: string; name: string }[];
}

export interface DryRunResult extends IssueSummary {
  preview: PreviewOrganisation[];
}

/** The target names ODS codes the directory does not hold. */
export class UnknownOrganisations extends Error {
  constructor(readonly codes: string[]) {
    super(`unknown ODS code${codes.length === 1 ? '' : 's'} in target.odsCodes: ${codes.slice(0, 20).join(', ')}${codes.length > 20 ? ` and ${codes.length - 20} more` : ''}`);
    this.name = 'UnknownOrganisations';
  }
}

/** Nothing matched: an advisory to nobody is an error, not a silent no-op. */
export class NoOrganisations extends Error {
  constructor() {
    super('no organisation matches the target, so the advisory would reach nobody. Widen the target or check the directory.');
    this.name = 'NoOrganisations';
  }
}

export async function dryRunAdvisory(trx: Tx, req: AdvisoryRequest, now: Date, opts: IssueOptions): Promise<DryRunResult> {
  const unknown = await unknownOdsCodes(trx, req.target);
  if (unknown.length > 0) throw new UnknownOrganisations(unknown);
  const preview = await previewTargets(trx, req.target, opts.email);
  if (preview.length === 0) throw new NoOrganisations();
  const contacts = new Set(preview.flatMap((o) => o.contacts.map((c) => c.memberId)));
  const reachable = preview.filter((o) => o.reachable).length;
  return {
    number: null,
    dryRun: true,
    respondBy: deadlines(now, req.severity, req.respondWithinHours).respondBy,
    organisations: { targeted: preview.length, reachable, unreachable: preview.length - reachable, estateUnknown: preview.filter((o) => o.estateUnknown).length },
    recipients: contacts.size,
    texts: 0,
    emails: 0,
    unreachable: preview.filter((o) => !o.reachable).map((o) => ({ odsCode: o.odsCode, name: o.name })),
    preview,
  };
}

export async function issueAdvisory(trx: Tx, req: AdvisoryRequest, now: Date, opts: IssueOptions): Promise<IssueSummary> {
  const unknown = await unknownOdsCodes(trx, req.target);
  if (unknown.length > 0) throw new UnknownOrganisations(unknown);
  const d = deadlines(now, req.severity, req.respondWithinHours);
  const number = await nextAlertNumber(trx);

  await sql`
    INSERT INTO alerts (number, raised_by, raiser_name, raiser_org, summary, exercise, source, kind, created_at)
    VALUES (${number}, NULL, 'NHS cyber advisory', '', ${req.title}, ${req.exercise}, 'admin', 'advisory', ${now})`.execute(trx);
  await sql`
    INSERT INTO advisories (number, title, body, severity, target, window_hours, respond_by, remind_at, issued_via, created_at)
    VALUES (${number}, ${req.title}, ${req.body}, ${req.severity}, ${JSON.stringify(req.target)}::jsonb, ${d.windowHours},
            ${d.respondBy}, ${d.remindAt}, ${opts.via}, ${now})`.execute(trx);

  // Organisations and contacts in one statement.
  const orgs = await sql<{ targeted: number; reachable: number; estate_unknown: number }>`
    WITH ${resolutionCtes(req.target, opts.email)},
    k AS (SELECT ods_code, count(*) AS n FROM c GROUP BY ods_code),
    io AS (
      INSERT INTO advisory_organisations (advisory, ods_code, name, type, routing, estate_unknown, reachable)
      SELECT ${number}, t.ods_code, t.name, t.type, t.routing, t.estate_unknown, k.n IS NOT NULL
      FROM t LEFT JOIN k ON k.ods_code = t.ods_code
      RETURNING reachable, estate_unknown
    ), ic AS (
      INSERT INTO advisory_contacts (advisory, member_id, ods_code, route, added_at)
      SELECT ${number}, c.member_id, c.ods_code, c.route, ${now} FROM c
      RETURNING 1
    )
    SELECT count(*)::int AS targeted, (count(*) FILTER (WHERE reachable))::int AS reachable,
           (count(*) FILTER (WHERE estate_unknown))::int AS estate_unknown,
           (SELECT count(*) FROM ic)::int AS contacts
    FROM io`.execute(trx);
  const o = orgs.rows[0]!;
  if (o.targeted === 0) throw new NoOrganisations();

  const words: AdvisoryWords = { number, severity: req.severity, title: req.title, respondBy: d.respondBy, exercise: req.exercise };
  const sent = await sql<{ texts: number; emails: number; recipients: number }>`
    WITH k AS (
      SELECT member_id, count(*) AS n FROM advisory_contacts WHERE advisory = ${number} GROUP BY member_id
    ), s AS (
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, created_at, next_attempt_at)
      SELECT 'sms', 'advisory', ${PRIORITY_BROADCAST}, ${number}, m.id, m.phone,
             CASE WHEN k.n = 1 THEN ${advisoryText(words, 1)}
                  ELSE replace(${advisoryManyTemplate(words)}, ${COUNT_PLACEHOLDER}, to_char(k.n, 'FM999,999,990')) END,
             ${now}, ${now}
      FROM k JOIN members m ON m.id = k.member_id
      WHERE NOT m.opted_out
      ORDER BY m.id
      RETURNING id, member_id
    ), d AS (
      INSERT INTO deliveries (alert_number, member_id, sms_outbox_id, created_at)
      SELECT ${number}, member_id, id, ${now} FROM s
      RETURNING 1
    ), e AS (
      INSERT INTO outbox (channel, kind, priority, alert_number, member_id, recipient, body, payload, created_at, next_attempt_at)
      SELECT 'email', 'advisory', ${PRIORITY_BROADCAST}, ${number}, m.id, btrim(m.email), ${advisorySubject(words)},
             jsonb_build_object('smsOptedOut', m.opted_out), ${now}, ${now}
      FROM k JOIN members m ON m.id = k.member_id
      WHERE ${opts.email}::boolean AND m.email IS NOT NULL AND btrim(m.email) <> ''
      ORDER BY m.id
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM d)::int AS texts, (SELECT count(*) FROM e)::int AS emails, (SELECT count(*) FROM k)::int AS recipients`.execute(trx);
  const s = sent.rows[0]!;
  await sql`UPDATE alerts SET recipient_count = ${s.texts} WHERE number = ${number}`.execute(trx);

  const unreachable = await sql<{ ods_code: string; name: string }>`
    SELECT ods_code, name FROM advisory_organisations WHERE advisory = ${number} AND NOT reachable ORDER BY ods_code`.execute(trx);
  return {
    number,
    dryRun: false,
    respondBy: d.respondBy,
    organisations: { targeted: o.targeted, reachable: o.reachable, unreachable: o.targeted - o.reachable, estateUnknown: o.estate_unknown },
    recipients: s.recipients,
    texts: s.texts,
    emails: s.emails,
    unreachable: unreachable.rows.map((r) => ({ odsCode: r.ods_code, name: r.name })),
  };
}
