// Issuing from any door (API, CLI, dashboard): validate, then a dry run (reads only, in a
// transaction that is rolled back) or the real issue (one transaction; the dispatchers are woken
// after commit). Admins only: no text command reaches this (docs/advisories.md).
import type { Database } from '../db/connect.js';
import { HttpError } from '../http/errors.js';
import { parseAdvisoryRequest } from './request.js';
import { dryRunAdvisory, issueAdvisory, NoOrganisations, UnknownOrganisations, type DryRunResult, type IssuedVia, type IssueSummary } from './issue.js';

export interface SendDeps {
  db: Database;
  /** SMTP configured: the email (with the body) goes too. */
  email: boolean;
  outboxSignal?: { touch(): void } | undefined;
}

class Rollback extends Error {}

/** Throws HttpError 400 with every problem in words; otherwise the summary (with `preview` for a dry run). */
export async function sendAdvisory(deps: SendDeps, body: unknown, now: Date, via: IssuedVia): Promise<IssueSummary | DryRunResult> {
  const parsed = parseAdvisoryRequest(body);
  if (!parsed.ok) throw new HttpError('invalid_advisory', parsed.problems.join('; '));
  const req = parsed.value;
  const opts = { email: deps.email, via };
  try {
    if (req.dryRun) {
      let result: DryRunResult | undefined;
      // Reads only; rolled back all the same, so a dry run can never leave anything behind.
      await deps.db.transaction().execute(async (trx) => {
        result = await dryRunAdvisory(trx, req, now, opts);
        throw new Rollback();
      }).catch((err: unknown) => {
        if (!(err instanceof Rollback)) throw err;
      });
      return result!;
    }
    const issued = await deps.db.transaction().execute((trx) => issueAdvisory(trx, req, now, opts));
    deps.outboxSignal?.touch();
    return issued;
  } catch (err) {
    if (err instanceof UnknownOrganisations) throw new HttpError('unknown_organisation', `${err.message}. Check the codes against GET /api/organisations.`);
    if (err instanceof NoOrganisations) throw new HttpError('no_organisations', err.message);
    throw err;
  }
}

/** The answer's JSON shape (POST /api/advisories, the CLI's --json). */
export function summaryView(r: IssueSummary | DryRunResult) {
  return {
    number: r.number,
    dryRun: r.dryRun,
    respondBy: r.respondBy ? r.respondBy.toISOString() : null,
    organisations: r.organisations,
    recipients: r.recipients,
    texts: r.texts,
    emails: r.emails,
    unreachableOrganisations: r.unreachable,
    ...('preview' in r ? { preview: r.preview } : {}),
  };
}
