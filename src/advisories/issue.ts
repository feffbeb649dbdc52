// Issuing an advisory: the alert number, the advisory, its organisations and their routed
// contacts, one text per contact and one email each, all in the caller's transaction and all
// set-based (one statement per step, whatever the number of organisations).
import { sql } from 'kysely';
import type { Tx } from '../db/connect.js';
import { nextAlertNumber } from '../db/alert-number.js';
import { enqueueEmailToMembers, enqueueSmsToMembers } from '../outbox/write.js';
import type { AdvisoryRequest } from './request.js';
import { deadlines } from './deadline.js';
import { resolutionCtes, previewTargets, unknownOdsCodes, type PreviewOrganisation } from './resolve.js';
import { advisorySubject, advisoryText, type AdvisoryWords } from './text.js';

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
  const k = await sql<{ member_id: number; n: number }>`
    SELECT member_id, count(*)::int AS n FROM advisory_contacts WHERE advisory = ${number} GROUP BY member_id ORDER BY member_id`.execute(trx);
  const memberIds = k.rows.map((r) => r.member_id);
  // One text per contact, saying how many organisations when more than one.
  const queued = await enqueueSmsToMembers(trx, { kind: 'advisory', alertNumber: number, now, memberIds, bodies: k.rows.map((r) => advisoryText(words, r.n)) });
  await recordDeliveries(trx, number, queued, now);
  const emails = opts.email ? await enqueueEmailToMembers(trx, { kind: 'advisory', alertNumber: number, now, memberIds, subject: advisorySubject(words) }) : 0;
  const s = { texts: queued.length, emails, recipients: memberIds.length };
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

/** A deliveries row per text: receipts, bare ACK and the alert counts work for advisories as for alerts. */
export async function recordDeliveries(trx: Tx, n: number, queued: readonly { id: string; member_id: number }[], now: Date): Promise<void> {
  if (queued.length === 0) return;
  await sql`
    INSERT INTO deliveries (alert_number, member_id, sms_outbox_id, created_at)
    SELECT ${n}, member_id, id, ${now} FROM unnest(${queued.map((q) => q.member_id)}::int[], ${queued.map((q) => q.id)}::bigint[]) AS x(member_id, id)
    ON CONFLICT DO NOTHING`.execute(trx);
}
