// The SDK's SMS client with its HTTP transport replaced by node's http(s).request over one
// keep-alive agent. The SDK still builds every request (prepareRequest: Basic auth, user agent,
// URL; prepareBody: the JSON body with its kebab-case keys) and interprets every answer (SMS.send:
// camel-case keys, MessageSendAllFailure / MessageSendPartialFailure per message status); only
// its fetch is ours. Why: its fetch (node-fetch, an AbortController and a stream pipeline per
// request whose finish builds a DOMException, the debug JSON.stringify of every response) cost
// most of the CPU: a loop of 20,000 sends at 100 in flight to the stand-in took 426-557 us per
// send, 178 with this transport; the dispatcher instance of bench/delivery.bench.ts section 2
// (20,000 texts, A/B back to back, load 7-8) 554-647 -> 194-196 us per text, 640-1,053 -> 1,916-2,076 msg/s.
// What it throws is what the SDK's fetch threw, as outcomeOfError (client.ts) reads it:
// non-2xx -> an error with `response.status` and `response.headers.get` (VetchError's shape);
// the timeout -> name 'AbortError'; a connection failure -> the socket error with its `code`.
import http from 'node:http';
import https from 'node:https';
import { SMS } from '@vonage/sms';

type Request = Parameters<SMS['sendRequest']>[0];
type Response<T> = Omit<Awaited<ReturnType<SMS['sendRequest']>>, 'data'> & { data: T };

/** A non-2xx answer, shaped as the SDK's VetchError (outcomeOfError reads response.status and the Retry-After header). */
export class VonageHttpError extends Error {
  override readonly name = 'VetchError';
  readonly response: { status: number; statusText: string; headers: { get(name: string): string | null } };
  constructor(message: string, status: number, statusText: string, headers: http.IncomingHttpHeaders) {
    super(message);
    this.response = {
      status,
      statusText,
      headers: { get: (name) => { const v = headers[name.toLowerCase()]; return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v; } },
    };
  }
}

interface Answer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class KeepAliveSMS extends SMS {
  // As node's global agents (keep-alive, lifo, idle sockets closed after 5 s and unref'd), one pair per client.
  private readonly agents = { http: new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5_000 }), https: new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5_000 }) };

  override async sendRequest<T>(request: Request): Promise<Response<T>> {
    const timeoutMs = request.timeout || this.config.timeout;
    const prepared = await this.prepareRequest(request);
    const body = this.prepareBody(prepared);
    const a = await this.exchange(new URL(prepared.url), prepared.method, { ...(prepared.headers as Record<string, string>) }, body, timeoutMs ?? undefined);
    if (a.status < 200 || a.status > 299) throw new VonageHttpError(`Request failed with status code ${a.status}`, a.status, a.statusText, a.headers);
    const contentType = (a.headers['content-type'] ?? '').split(';')[0];
    let data: unknown = a.body;
    if (contentType === 'application/json') {
      try {
        data = JSON.parse(a.body);
      } catch {
        // As the SDK: a body that does not parse is an error unless it is empty.
        if (a.body.length > 0) throw new VonageHttpError('Failed to decode response body', a.status, a.statusText, a.headers);
        data = null;
      }
    }
    return { data: data as T, config: prepared, status: a.status, statusText: a.statusText, headers: {}, request: prepared };
  }

  private exchange(url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number | undefined): Promise<Answer> {
    const secure = url.protocol === 'https:';
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    headers.accept ??= '*/*';
    return new Promise<Answer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const req = (secure ? https : http).request(url, { method, headers, agent: secure ? this.agents.https : this.agents.http }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: text });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      if (timeoutMs) {
        // The SDK aborted its fetch after `timeout`: the same AbortError, the request torn down.
        timer = setTimeout(() => req.destroy(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' })), timeoutMs);
      }
      req.end(body);
    });
  }
}
