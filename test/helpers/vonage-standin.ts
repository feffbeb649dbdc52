// A local stand-in for Vonage's SMS REST API, for tests and benchmarks that drive the REAL
// the SDK's SMS client (point it here with `restHost: standin.url`).
//
//   const vonage = await startVonageStandin({ receipts: { url: `${base}/webhooks/vonage/status`, secret, method: 'md5hash' } });
//   vonage.url                      // http://127.0.0.1:PORT — give it as VONAGE_REST_HOST / restHost
//   vonage.apiKey, vonage.apiSecret // Basic auth it accepts (others get status 4 "Bad Credentials")
//   vonage.faults.throttleFraction = 0.2; vonage.faults.http500Fraction = 0.05;  // change any time
//   vonage.requests                 // every POST /sms/json: { to, from, text, type, clientRef, outcome, messageIds, at }
//   vonage.accepted()               // requests answered with status 0 (the provider "has" the text)
//   vonage.acceptedTo('447700900001'), vonage.duplicates()  // per-number counts; accepted client-refs seen twice
//   await vonage.waitFor(() => vonage.accepted().length >= 10)
//   await vonage.close()
//
// Answers as the real API does: HTTP 200 with Content-Type application/json even for failures,
// `message-count` as a string, one entry per part with status, message-id, to, remaining-balance,
// message-price, network and client-ref; failures carry `error-text`. Faults (all off by default):
//   latencyMs         delay before every answer
//   throttleFraction  status 1 "Throughput Rate Exceeded - please wait [ 1000 ] and retry"
//   maxPerSecond      real throughput limit: requests beyond it in a 1 s window get status 1
//   http500Fraction   HTTP 500 (not accepted)
//   http429Fraction   HTTP 429 with Retry-After: retryAfterSeconds (not accepted)
//   hangFraction      never answers (the client times out); not accepted
//   acceptThenHangFraction  accepted (and receipted) but the answer never comes: the ambiguous case
//   permanent         { '447700900009': '7' }: that number always gets that status
// Receipts (optional): for each accepted part, after `delayMs`, a form POST of Vonage's delivery
// receipt fields to `url` (or the request's `callback`), signed when `secret` is given.
// startVonageStandinProcess() runs it in a child process (benchmarks: no shared event loop).
import http from 'node:http';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { countSegments } from '../../src/text/gsm7.js';
import { signVonageParams } from '../../src/providers/vonage-sms/signature.js';
import type { SignatureMethod } from '../../src/config.js';

export interface Faults {
  latencyMs: number;
  throttleFraction: number;
  maxPerSecond: number;
  http500Fraction: number;
  http429Fraction: number;
  retryAfterSeconds: number;
  hangFraction: number;
  acceptThenHangFraction: number;
  permanent: Record<string, string>;
}

export interface ReceiptOptions {
  url?: string;
  secret?: string;
  method?: SignatureMethod;
  delayMs?: number;
  /** Receipt status and err-code per accepted request (default delivered, 0). */
  status?: (req: SmsRequest) => { status: string; errCode: string };
  /** As Vonage does, a receipt not answered 2xx is posted again (every retryMs, default 200, up to `retries`, default 100). */
  retries?: number;
  retryMs?: number;
}

export interface StandinOptions {
  port?: number;
  apiKey?: string;
  apiSecret?: string;
  faults?: Partial<Faults>;
  receipts?: ReceiptOptions;
  /** Seed for the fault dice (deterministic runs). */
  seed?: number;
}

export type Outcome = 'accepted' | 'throttled' | 'http500' | 'http429' | 'hang' | 'accepted-hang' | `status-${string}`;

export interface SmsRequest {
  to: string;
  from: string;
  text: string;
  type: string;
  clientRef: string | undefined;
  callback: string | undefined;
  outcome: Outcome;
  messageIds: string[];
  at: number;
}

export interface VonageStandin {
  url: string;
  apiKey: string;
  apiSecret: string;
  faults: Faults;
  receipts: ReceiptOptions | undefined;
  requests: SmsRequest[];
  accepted(): SmsRequest[];
  acceptedTo(to: string): number;
  /** Accepted requests whose client-ref was accepted before: texts a member got twice. */
  duplicates(): number;
  /** Receipts posted and the HTTP status each got. */
  receiptsSent: { clientRef: string | undefined; status: string; httpStatus: number }[];
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const NO_FAULTS: Faults = {
  latencyMs: 0, throttleFraction: 0, maxPerSecond: 0, http500Fraction: 0, http429Fraction: 0,
  retryAfterSeconds: 1, hangFraction: 0, acceptThenHangFraction: 0, permanent: {},
};

const ERROR_TEXT: Record<string, string> = {
  '1': 'Throughput Rate Exceeded - please wait [ 1000 ] and retry', '2': 'Missing to param', '3': 'Invalid to param',
  '4': 'Bad Credentials', '5': 'Internal Error', '6': 'Invalid Message', '7': 'Number barred', '8': 'Partner account barred',
  '9': 'Partner quota exceeded', '10': 'Too many existing binds', '11': 'Account not enabled for HTTP', '12': 'Message too long',
  '14': 'Invalid signature', '15': 'Invalid sender address', '22': 'Invalid network code', '23': 'Invalid callback url',
  '29': 'Non-Whitelisted Destination', '32': 'Signature and API secret disallowed', '33': 'Number De-activated',
};

/** mulberry32: small, seeded. */
function dice(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const vonageTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

export async function startVonageStandin(opts: StandinOptions = {}): Promise<VonageStandin> {
  const apiKey = opts.apiKey ?? 'standin-key';
  const apiSecret = opts.apiSecret ?? 'standin-secret';
  const expectedAuth = 'Basic ' + Buffer.from(`${apiKey}:${apiSecret}`).toString('base64');
  const faults: Faults = { ...NO_FAULTS, ...opts.faults, permanent: { ...opts.faults?.permanent } };
  const roll = dice(opts.seed ?? 42);
  const requests: SmsRequest[] = [];
  const receiptsSent: VonageStandin['receiptsSent'] = [];
  const hanging = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  let nextId = 0x0c000000_0000;
  let balance = 100000;
  let windowStart = 0;
  let windowCount = 0;
  let closed = false;

  const standin = {} as VonageStandin;

  function later(ms: number, fn: () => void) {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  }

  function sendReceipts(req: SmsRequest) {
    const r = standin.receipts;
    const url = req.callback ?? r?.url;
    if (!r || !url) return;
    const { status, errCode } = r.status?.(req) ?? { status: 'delivered', errCode: '0' };
    for (const messageId of req.messageIds) {
      later(r.delayMs ?? 0, () => {
        if (closed) return;
        const now = new Date();
        let params: Record<string, string> = {
          msisdn: req.to, to: req.from, 'network-code': '23410', messageId, price: '0.03330000', status,
          scts: vonageTime(now).replace(/\D/g, '').slice(2, 12), 'err-code': errCode, 'api-key': apiKey,
          'message-timestamp': vonageTime(now), ...(req.clientRef !== undefined ? { 'client-ref': req.clientRef } : {}),
        };
        if (r.secret) params = signVonageParams({ ...params, timestamp: String(Math.floor(now.getTime() / 1000)), nonce: messageId }, r.secret, r.method ?? 'md5hash');
        const body = new URLSearchParams(params).toString();
        const post = (attempt: number) => {
          if (closed) return;
          // Fire and forget, as Vonage posts receipts: the outcome is recorded in receiptsSent.
          void fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
            .then(async (res) => {
              await res.arrayBuffer();
              return res.status;
            }, () => 0)
            .then((httpStatus) => {
              if ((httpStatus < 200 || httpStatus > 299) && attempt < (r.retries ?? 100)) return later(r.retryMs ?? 200, () => post(attempt + 1));
              receiptsSent.push({ clientRef: req.clientRef, status, httpStatus });
            });
        };
        post(0);
      });
    }
  }

  function answer(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) {
    later(faults.latencyMs, () => {
      if (res.destroyed) return;
      const json = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...headers });
      res.end(json);
    });
  }

  function decide(p: Record<string, unknown>, auth: string | undefined): { outcome: Outcome; status?: string } {
    const basicOk = auth === expectedAuth;
    const bodyOk = p.api_key === apiKey && p.api_secret === apiSecret;
    if (!basicOk && !bodyOk) return { outcome: 'status-4', status: auth || p.api_key ? '4' : '2' };
    if (typeof p.to !== 'string' || !/^\d{6,15}$/.test(p.to)) return { outcome: p.to ? 'status-3' : 'status-2', status: p.to ? '3' : '2' };
    if (typeof p.from !== 'string' || p.from === '') return { outcome: 'status-2', status: '2' };
    if (typeof p.text !== 'string' || p.text === '') return { outcome: 'status-2', status: '2' };
    const perm = faults.permanent[p.to];
    if (perm) return { outcome: `status-${perm}`, status: perm };
    if (roll() < faults.hangFraction) return { outcome: 'hang' };
    if (roll() < faults.http500Fraction) return { outcome: 'http500' };
    if (roll() < faults.http429Fraction) return { outcome: 'http429' };
    if (roll() < faults.throttleFraction) return { outcome: 'throttled', status: '1' };
    if (faults.maxPerSecond > 0) {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        windowCount = 0;
      }
      if (++windowCount > faults.maxPerSecond) return { outcome: 'throttled', status: '1' };
    }
    if (roll() < faults.acceptThenHangFraction) return { outcome: 'accepted-hang', status: '0' };
    return { outcome: 'accepted', status: '0' };
  }

  /** A request field as the record keeps it: a string as sent, anything else (a JSON number, object…) as its JSON, absent as ''. */
  const asText = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v));

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    let p: Record<string, unknown>;
    try {
      p = /json/.test(req.headers['content-type'] ?? '') ? JSON.parse(raw || '{}') : Object.fromEntries(new URLSearchParams(raw));
    } catch {
      return answer(res, 400, { type: 'BAD_REQUEST', title: 'Bad Request' });
    }
    const d = decide(p, req.headers.authorization);
    const text = typeof p.text === 'string' ? p.text : '';
    const r: SmsRequest = {
      to: asText(p.to), from: asText(p.from), text, type: typeof p.type === 'string' ? p.type : 'text',
      clientRef: typeof p['client-ref'] === 'string' ? p['client-ref'] : undefined,
      callback: typeof p.callback === 'string' ? p.callback : undefined, outcome: d.outcome, messageIds: [], at: Date.now(),
    };
    requests.push(r);
    if (d.outcome === 'hang') return void hanging.add(res);
    if (d.outcome === 'http500') return answer(res, 500, { type: 'https://developer.nexmo.com/api-errors#internal-error', title: 'Internal Error' });
    if (d.outcome === 'http429') return answer(res, 429, { type: 'https://developer.nexmo.com/api-errors#throttled', title: 'Too Many Requests' }, { 'retry-after': String(faults.retryAfterSeconds) });
    if (d.status !== '0') {
      return answer(res, 200, { 'message-count': '1', messages: [{ status: d.status, 'error-text': ERROR_TEXT[d.status!] ?? 'Error' }] });
    }
    const parts = countSegments(text).segments;
    const messages = [];
    for (let i = 0; i < parts; i++) {
      const id = (nextId++).toString(16).toUpperCase().padStart(16, '0');
      r.messageIds.push(id);
      balance -= 0.0333;
      messages.push({
        to: r.to, 'message-id': id, status: '0', 'remaining-balance': balance.toFixed(8), 'message-price': '0.03330000',
        network: '23410', ...(r.clientRef !== undefined ? { 'client-ref': r.clientRef } : {}),
      });
    }
    sendReceipts(r);
    if (d.outcome === 'accepted-hang') return void hanging.add(res);
    answer(res, 200, { 'message-count': String(parts), messages });
  }

  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/sms/json') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end('{"type":"NOT_FOUND"}');
    }
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => handle(req, res, raw));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  Object.assign(standin, {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    apiSecret,
    faults,
    receipts: opts.receipts,
    requests,
    receiptsSent,
    accepted: () => requests.filter((r) => r.outcome === 'accepted' || r.outcome === 'accepted-hang'),
    acceptedTo: (to: string) => standin.accepted().filter((r) => r.to === to.replace(/^\+/, '')).length,
    duplicates: () => {
      const seen = new Set<string>();
      let dup = 0;
      for (const r of standin.accepted()) {
        const key = r.clientRef ?? `${r.to}|${r.text}`;
        if (seen.has(key)) dup++;
        seen.add(key);
      }
      return dup;
    },
    async waitFor(pred: () => boolean, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > until) throw new Error('vonage stand-in: condition not met in time');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  } satisfies VonageStandin);
  return standin;
}

// ---- In a child process (benchmarks) ----

export interface StandinProcess {
  /** The child's process id (CPU accounting in benchmarks). */
  pid: number;
  url: string;
  apiKey: string;
  apiSecret: string;
  /** Accept times (ms since epoch) of accepted requests, and the count of duplicates. */
  stats(): Promise<{ requests: number; accepted: number; duplicates: number; acceptedAt: number[] }>;
  reset(): Promise<void>;
  /** When the first accepted request at or after `since` whose text starts with `prefix` arrived (ms), or null. */
  firstAccepted(prefix: string, since: number): Promise<number | null>;
  close(): Promise<void>;
}

type Msg = { type: 'ready'; url: string; apiKey: string; apiSecret: string } | { type: 'stats'; stats: Awaited<ReturnType<StandinProcess['stats']>> } | { type: 'reset' } | { type: 'first'; at: number | null };

/** `nodeArgs`: extra node flags for the child, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to profile it. */
export async function startVonageStandinProcess(opts: Omit<StandinOptions, 'receipts'> = {}, nodeArgs: readonly string[] = []): Promise<StandinProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: [...nodeArgs, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`stand-in process exited (${code})`))));
  exited.catch(() => {});
  const next = (type: Msg['type']) => {
    const answer = new Promise<Msg>((resolve) => {
      const onMsg = (m: Msg) => {
        if (m.type === type) {
          child.off('message', onMsg);
          resolve(m);
        }
      };
      child.on('message', onMsg);
    });
    return Promise.race([answer, exited]);
  };
  const readyP = next('ready');
  child.send({ type: 'start', opts });
  const ready = (await readyP) as Extract<Msg, { type: 'ready' }>;
  return {
    pid: child.pid!,
    url: ready.url,
    apiKey: ready.apiKey,
    apiSecret: ready.apiSecret,
    async stats() {
      const p = next('stats');
      child.send({ type: 'stats' });
      return ((await p) as Extract<Msg, { type: 'stats' }>).stats;
    },
    async reset() {
      const p = next('reset');
      child.send({ type: 'reset' });
      await p;
    },
    async firstAccepted(prefix, since) {
      const p = next('first');
      child.send({ type: 'first', prefix, since });
      return ((await p) as Extract<Msg, { type: 'first' }>).at;
    },
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    },
  };
}

if (process.argv.includes('--child') && process.send) {
  let s: VonageStandin | undefined;
  const onMessage = async (m: { type: string; opts?: StandinOptions; prefix?: string; since?: number }) => {
    if (m.type === 'start') {
      s = await startVonageStandin(m.opts);
      process.send!({ type: 'ready', url: s.url, apiKey: s.apiKey, apiSecret: s.apiSecret });
    } else if (m.type === 'stats' && s) {
      const acc = s.accepted();
      process.send!({ type: 'stats', stats: { requests: s.requests.length, accepted: acc.length, duplicates: s.duplicates(), acceptedAt: acc.map((r) => r.at) } });
    } else if (m.type === 'first' && s) {
      const hit = s.accepted().find((r) => r.at >= m.since! && r.text.startsWith(m.prefix!));
      process.send!({ type: 'first', at: hit?.at ?? null });
    } else if (m.type === 'reset' && s) {
      s.requests.length = 0;
      process.send!({ type: 'reset' });
    }
  };
  process.on('message', (m: Parameters<typeof onMessage>[0]) => {
    onMessage(m).catch((err) => {
      console.error('vonage stand-in process failed:', err);
      process.exit(1);
    });
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0)); // exits normally, so a --cpu-prof profile is written
}
