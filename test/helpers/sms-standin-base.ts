// What the Twilio and Vonage Messages stand-ins share: an HTTP server on 127.0.0.1, seeded fault
// dice, a record of every send request, "down" and "unreachable" switches, and callbacks posted
// (and retried, as the real services do) to the service under test.
import http from 'node:http';

export interface StandinFaults {
  /** Delay before every answer. */
  latencyMs: number;
  /** 429 (throttled) for this fraction of requests. */
  throttleFraction: number;
  /** Real throughput limit: requests beyond it in a 1 s window get 429. */
  maxPerSecond: number;
  /** 500 for this fraction of requests (not accepted). */
  http500Fraction: number;
  /** Never answers (the client times out); not accepted. */
  hangFraction: number;
  /** Accepted (and receipted) but the answer never comes: the ambiguous case. */
  acceptThenHangFraction: number;
  /** Every request answered 503 (the provider is down); not accepted. */
  down: boolean;
  /** After this many accepted texts the provider goes down (503); 0 = never. */
  failAfter: number;
  /** Recipient (digits) → an error the provider always gives for it (provider-specific code). */
  permanent: Record<string, string>;
}

export const NO_FAULTS: StandinFaults = {
  latencyMs: 0, throttleFraction: 0, maxPerSecond: 0, http500Fraction: 0, hangFraction: 0, acceptThenHangFraction: 0,
  down: false, failAfter: 0, permanent: {},
};

export type StandinOutcome = 'accepted' | 'accepted-hang' | 'throttled' | 'http500' | 'down' | 'hang' | 'unauthorized' | 'bad_request' | `error-${string}`;

export interface SendRequest {
  to: string; // digits
  from: string;
  text: string;
  /** Our outbox id as the request carried it (Twilio: in the status callback URL; Vonage: client_ref). */
  clientRef: string | undefined;
  outcome: StandinOutcome;
  id: string | undefined;
  at: number;
}

/** mulberry32: small, seeded. */
export function dice(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fault a request meets (before its own validation), in a fixed order. */
export function rollFault(f: StandinFaults, roll: () => number, acceptedSoFar: number, window: { start: number; count: number }): StandinOutcome | undefined {
  if (f.down || (f.failAfter > 0 && acceptedSoFar >= f.failAfter)) return 'down';
  if (roll() < f.hangFraction) return 'hang';
  if (roll() < f.http500Fraction) return 'http500';
  if (roll() < f.throttleFraction) return 'throttled';
  if (f.maxPerSecond > 0) {
    const now = Date.now();
    if (now - window.start >= 1000) {
      window.start = now;
      window.count = 0;
    }
    if (++window.count > f.maxPerSecond) return 'throttled';
  }
  if (roll() < f.acceptThenHangFraction) return 'accepted-hang';
  return undefined;
}

export interface BaseServer {
  port: number;
  url: string;
  hanging: Set<http.ServerResponse>;
  later(ms: number, fn: () => void): void;
  /** Posts a callback, retrying a non-2xx answer every retryMs up to `retries` times; resolves with the last HTTP status. */
  post(url: string, headers: Record<string, string>, body: string | (() => { headers: Record<string, string>; body: string }), retries?: number, retryMs?: number): Promise<number>;
  /** Stop listening (connections refused) or listen again on the same port. */
  setUnreachable(on: boolean): Promise<void>;
  close(): Promise<void>;
  closed(): boolean;
}

export async function startBaseServer(port: number | undefined, handle: (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => void): Promise<BaseServer> {
  const hanging = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let listening = false;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => handle(req, res, raw));
  });
  server.keepAliveTimeout = 60_000;
  const listen = (p: number) => new Promise<void>((resolve) => server.listen(p, '127.0.0.1', () => ((listening = true), resolve())));
  await listen(port ?? 0);
  const actual = (server.address() as { port: number }).port;
  const later = (ms: number, fn: () => void) => {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const stop = async () => {
    for (const res of hanging) res.destroy();
    hanging.clear();
    server.closeAllConnections();
    if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    listening = false;
  };
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    hanging,
    later,
    post(url, headers, body, retries = 100, retryMs = 200) {
      return new Promise<number>((resolve, reject) => {
        const attempt = (n: number) => {
          if (closed) return resolve(0);
          // A signed body may be made afresh for each attempt (a new token, as the real services do).
          const made = typeof body === 'function' ? body() : { headers, body };
          fetch(url, { method: 'POST', headers: made.headers, body: made.body })
            .then(async (res) => (await res.arrayBuffer(), res.status), () => 0)
            .then((status) => {
              if ((status < 200 || status > 299) && n < retries) return later(retryMs, () => attempt(n + 1));
              resolve(status);
            })
            .catch(reject);
        };
        attempt(0);
      });
    },
    async setUnreachable(on) {
      if (on) await stop();
      else if (!listening) await listen(actual);
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      await stop();
    },
    closed: () => closed,
  };
}

export function answerJson(base: BaseServer, latencyMs: number, res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  base.later(latencyMs, () => {
    if (res.destroyed) return;
    const json = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...headers });
    res.end(json);
  });
}

export async function waitFor(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`${what}: condition not met in time`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Accepted requests whose outbox id was accepted before (texts a member got twice). */
export function duplicates(accepted: readonly SendRequest[]): number {
  const seen = new Set<string>();
  let dup = 0;
  for (const r of accepted) {
    const key = r.clientRef ?? `${r.to}|${r.text}`;
    if (seen.has(key)) dup++;
    seen.add(key);
  }
  return dup;
}
