// A real SMTP server (smtp-server) that records what it accepts and can refuse or be down.
import net, { type AddressInfo, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  /** The raw message with quoted-printable soft breaks and escapes undone: good enough to search. */
  decoded: string;
}

/** How the server answers RCPT TO for an address: accept, or refuse with an SMTP code. */
export type RcptRule = { code: number; message: string };

export interface SmtpStandin {
  readonly url: string;
  readonly port: number;
  readonly messages: ReceivedMail[];
  /** Refuse RCPT TO for these addresses (or every address with '*'), e.g. { code: 550, message: 'No such user' }. */
  refuse(address: string, rule: RcptRule | null): void;
  /** Stop listening and drop every connection: the mail server is down. */
  down(): Promise<void>;
  /** Listen again on the same port (as a working server: ends a hang too). */
  up(): Promise<void>;
  /**
   * Hang: accept every connection on the same port and never say a word (no greeting), until up().
   * A mail server that is wedged, not down: the client's connect succeeds and then it waits.
   */
  hang(): Promise<void>;
  /** Connections accepted while hanging. */
  readonly hung: number;
  close(): Promise<void>;
  to(address: string): ReceivedMail[];
}

function decodeQp(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= / ?B?), as nodemailer writes a subject with special characters. */
function decodeWords(header: string): string {
  return header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([\w-]+)\?([QB])\?([^?]*)\?=/gi, (_, _cs: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
    );
}

function smtpError(rule: RcptRule): Error {
  const err = new Error(rule.message) as Error & { responseCode: number };
  err.responseCode = rule.code;
  return err;
}

export async function startSmtpStandin(): Promise<SmtpStandin> {
  const messages: ReceivedMail[] = [];
  const rules = new Map<string, RcptRule>();
  let port = 0;
  let server: SMTPServer | null = null;
  let hanger: net.Server | null = null;
  const held = new Set<Socket>();
  let hung = 0;
  const stopHanging = async () => {
    const h = hanger;
    hanger = null;
    if (!h) return;
    for (const sock of held) sock.destroy();
    held.clear();
    await new Promise<void>((r) => h.close(() => r()));
  };

  const make = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 50,
      onRcptTo(address, _session, cb) {
        const rule = rules.get(address.address.toLowerCase()) ?? rules.get('*');
        cb(rule ? smtpError(rule) : null);
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(raw)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
          const subjectText = decodeWords(subject);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          messages.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw, subject: subjectText, decoded: decodeQp(raw) });
          cb(null);
        });
      },
    });

  const listen = (s: SMTPServer, p: number) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(p, '127.0.0.1', () => resolve(((s as unknown as { server: { address(): AddressInfo } }).server.address()).port));
    });

  server = make();
  port = await listen(server, 0);

  const standin: SmtpStandin = {
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    messages,
    refuse(address, rule) {
      if (rule) rules.set(address.toLowerCase(), rule);
      else rules.delete(address.toLowerCase());
    },
    get hung() {
      return hung;
    },
    async down() {
      await stopHanging();
      const s = server;
      server = null;
      if (s) await new Promise<void>((r) => s.close(() => r()));
    },
    async hang() {
      await standin.down();
      const h = net.createServer((sock) => {
        hung++;
        held.add(sock);
        sock.on('error', () => {});
        sock.on('close', () => held.delete(sock));
      });
      await new Promise<void>((resolve, reject) => {
        h.once('error', reject);
        h.listen(port, '127.0.0.1', () => resolve());
      });
      hanger = h;
    },
    async up() {
      await stopHanging();
      if (server) return;
      server = make();
      await listen(server, port);
    },
    close: () => standin.down(),
    to: (address) => messages.filter((m) => m.to.includes(address)),
  };
  return standin;
}
