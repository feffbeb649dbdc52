// POST /api/advisories (and the CLI and the dashboard form): the request validated into one shape.
// Pure. Every problem is listed at once, in words an admin can act on.
import { plainText } from '../text/plain.js';
import { parseTarget, type Parsed, type Target } from './target.js';
import { MAX_WINDOW_HOURS, SEVERITIES, type Severity } from './deadline.js';

export const MAX_TITLE = 120; // the title goes in the text: with the head and the ask, two SMS parts
export const MAX_BODY = 10_000; // the body goes by email only

export interface AdvisoryRequest {
  title: string;
  body: string;
  severity: Severity;
  target: Target;
  respondWithinHours: number | null;
  exercise: boolean;
  dryRun: boolean;
}

const KEYS = new Set(['title', 'body', 'severity', 'target', 'respondWithinHours', 'exercise', 'dryRun']);

export function parseAdvisoryRequest(v: unknown): Parsed<AdvisoryRequest> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, problems: ['the body must be a JSON object with title, body, severity and target'] };
  const o = v as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(o)) if (!KEYS.has(k)) problems.push(`${k} is not a field of an advisory; fields: ${[...KEYS].join(', ')}`);

  const text = (name: 'title' | 'body', max: number): string => {
    const raw = o[name];
    if (typeof raw !== 'string' || raw.trim() === '') {
      problems.push(`${name} is required (text)`);
      return '';
    }
    // eslint-disable-next-line no-control-regex -- NUL is exactly what is refused here
    if (/[\u0000\uD800-\uDFFF]/.test(raw.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
      problems.push(`${name} contains a character that cannot be stored (NUL or a lone surrogate)`);
      return '';
    }
    const s = name === 'title' ? plainText(raw) : raw.replace(/\r\n?/g, '\n').trim();
    if (s.length > max) problems.push(`${name} is ${s.length.toLocaleString('en-GB')} characters; at most ${max.toLocaleString('en-GB')}`);
    return s;
  };
  const title = text('title', MAX_TITLE);
  const body = text('body', MAX_BODY);

  const sev = typeof o.severity === 'string' ? o.severity.trim().toLowerCase() : o.severity;
  if (!(SEVERITIES as readonly unknown[]).includes(sev)) problems.push(`severity must be one of ${SEVERITIES.join(', ')}`);

  let target: Target | null = null;
  if (o.target === undefined) problems.push('target is required: {"types": [...], "regions": [...], "odsCodes": [...], "products": [...]} or {"all": true}');
  else {
    const t = parseTarget(o.target);
    if (t.ok) target = t.value;
    else problems.push(...t.problems);
  }

  let hours: number | null = null;
  if (o.respondWithinHours !== undefined && o.respondWithinHours !== null) {
    const h = o.respondWithinHours;
    if (typeof h !== 'number' || !Number.isInteger(h) || h < 1 || h > MAX_WINDOW_HOURS) problems.push(`respondWithinHours must be a whole number of hours from 1 to ${MAX_WINDOW_HOURS}`);
    else hours = h;
  }
  for (const k of ['exercise', 'dryRun'] as const) if (o[k] !== undefined && typeof o[k] !== 'boolean') problems.push(`${k} must be true or false`);

  if (problems.length > 0 || target === null) return { ok: false, problems };
  return {
    ok: true,
    value: { title, body, severity: sev as Severity, target, respondWithinHours: hours, exercise: o.exercise === true, dryRun: o.dryRun === true },
  };
}
