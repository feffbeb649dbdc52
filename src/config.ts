// The only module that reads the environment. Everything else receives a Config.
import { readFileSync } from 'node:fs';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';

export type SignatureMethod = 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';
const SIGNATURE_METHODS: readonly SignatureMethod[] = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'];

export interface VonageConfig {
  apiKey: string;
  apiSecret: string;
  restHost: string | undefined;
}

/** Vonage's Messages API (recommended over the SMS API): an application id and its private key. */
export interface VonageMessagesConfig {
  applicationId: string;
  /** PEM text (VONAGE_PRIVATE_KEY is the PEM or a path to it). */
  privateKey: string;
  /** VONAGE_MESSAGES_HOST (tests); absent: Vonage's. */
  host: string | undefined;
}

export interface TwilioConfig {
  accountSid: string;
  /** Accepted on webhooks: current first, then TWILIO_AUTH_TOKEN_PREVIOUS during a rotation. */
  authTokens: string[];
  /** Our Twilio number, digits without '+'. */
  number: string;
  /** TWILIO_API_BASE (tests); absent: https://api.twilio.com. */
  apiBase: string | undefined;
}

export type SmsProviderName = 'vonage' | 'twilio';
export const SMS_PROVIDER_NAMES: readonly SmsProviderName[] = ['vonage', 'twilio'];

export interface DiscourseConfig {
  url: string;
  apiKey: string;
  apiUsername: string;
  categoryId: number;
}

export interface SmtpConfig {
  url: string;
  from: string;
}

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  logLevel: string;
  batsignalNumber: string; // digits only, as Vonage writes numbers (no '+')
  defaultCountry: CountryCode;
  vonage: VonageConfig | undefined;
  /** Set: Vonage texts go through the Messages API (and its JWT-signed webhooks are accepted). */
  vonageMessages: VonageMessagesConfig | undefined;
  twilio: TwilioConfig | undefined;
  /** SMS_PROVIDERS: configured providers in order of preference (empty: simulator or log). */
  smsProviders: SmsProviderName[];
  /** Sends per second per provider (VONAGE_RATE_PER_SECOND, TWILIO_RATE_PER_SECOND; default SMS_RATE_PER_SECOND). */
  providerRates: Record<SmsProviderName, number>;
  /** The base URL providers call us on (PUBLIC_URL); Twilio signs its webhooks over it. */
  publicUrl: string | undefined;
  /** Secrets accepted on inbound webhooks: current first, then the previous one during a rotation. */
  signatureSecrets: string[];
  signatureMethod: SignatureMethod;
  allowUnsigned: boolean;
  smsRatePerSecond: number; // 0 = no limit (benchmarks only)
  adminToken: string | undefined; // undefined: generate one under dataDir (embedded only)
  adminTokenPrevious: string | undefined;
  metricsToken: string | undefined;
  discourse: DiscourseConfig | undefined;
  discourseWebhookSecret: string | undefined;
  smtp: SmtpConfig | undefined;
  thresholdQuestion: string;
  raiseExpiryMinutes: number;
  reminderMinutes: number;
  /** An organisation nobody at has acknowledged a peer alert after this long: its deputies get it. */
  escalateAfterMinutes: number;
  maxRaisesPerHour: number;
  concatTimeoutSeconds: number;
  /** Replies to unknown numbers, all of them together, per hour (each number gets one a day at most). */
  strangerRepliesPerHour: number;
  /** Offer demo members on a fresh database (embedded default only). */
  demo: boolean;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_THRESHOLD_QUESTION =
  'Have you detected an infected computer where the threat is likely to propagate to other NHS organisations? Reply YES or NO';

type Env = Record<string, string | undefined>;

/** A HOST only this machine can reach: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function num(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new ConfigError(name, `must be a number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const v = str(env, name);
  if (v === undefined) return def;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${v}"`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const v = str(env, name);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(u.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => p + '//').join(' or ')}`);
  }
  return v.replace(/\/+$/, '');
}

function secret(env: Env, name: string, minLength: number): string | undefined {
  const v = str(env, name);
  if (v !== undefined && v.length < minLength) {
    throw new ConfigError(name, `must be at least ${minLength} characters`);
  }
  return v;
}

function requireTogether(env: Env, names: string[]): boolean {
  const set = names.filter((n) => str(env, n) !== undefined);
  if (set.length === 0) return false;
  const missing = names.find((n) => str(env, n) === undefined);
  if (missing) throw new ConfigError(missing, `is required when ${set[0]} is set`);
  return true;
}

function privateKey(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  if (!v) return undefined;
  let pem: string;
  if (v.includes('-----BEGIN')) pem = v.replace(/\\n/g, '\n');
  else {
    try {
      pem = readFileSync(v, 'utf8');
    } catch {
      throw new ConfigError(name, `is neither a PEM private key nor a readable file ("${v.slice(0, 80)}")`);
    }
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new ConfigError(name, 'is not a PEM private key');
  return pem;
}

/** VONAGE_APPLICATION_ID + VONAGE_PRIVATE_KEY, TWILIO_*, PUBLIC_URL and SMS_PROVIDERS, checked together. */
function providerSettings(env: Env, vonageNumber: string | undefined, vonageSmsApi: boolean) {
  const hasMessages = requireTogether(env, ['VONAGE_APPLICATION_ID', 'VONAGE_PRIVATE_KEY']);
  const appId = str(env, 'VONAGE_APPLICATION_ID');
  if (appId !== undefined && !/^[0-9a-fA-F-]{8,64}$/.test(appId)) throw new ConfigError('VONAGE_APPLICATION_ID', 'must be the application id Vonage shows (a UUID)');
  const messagesHost = url(env, 'VONAGE_MESSAGES_HOST', ['http:', 'https:']);
  const vonageMessages = hasMessages ? { applicationId: appId!, privateKey: privateKey(env, 'VONAGE_PRIVATE_KEY')!, host: messagesHost } : undefined;
  if (vonageMessages && vonageNumber === undefined) throw new ConfigError('BATSIGNAL_NUMBER', 'is required when VONAGE_APPLICATION_ID is set');

  const hasTwilio = requireTogether(env, ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_NUMBER']);
  const sid = str(env, 'TWILIO_ACCOUNT_SID');
  if (sid !== undefined && !/^AC[0-9a-fA-F]{32}$/.test(sid)) throw new ConfigError('TWILIO_ACCOUNT_SID', 'must be "AC" followed by 32 hexadecimal digits');
  const token = secret(env, 'TWILIO_AUTH_TOKEN', 16);
  const tokenPrevious = secret(env, 'TWILIO_AUTH_TOKEN_PREVIOUS', 16);
  const twilioNumber = str(env, 'TWILIO_NUMBER')?.replace(/[\s()+-]/g, '');
  if (twilioNumber !== undefined && !/^\d{6,15}$/.test(twilioNumber)) throw new ConfigError('TWILIO_NUMBER', 'must be an international number such as 447700900999');
  const apiBase = url(env, 'TWILIO_API_BASE', ['http:', 'https:']);
  const publicUrl = url(env, 'PUBLIC_URL', ['http:', 'https:']);
  if (hasTwilio && !publicUrl) throw new ConfigError('PUBLIC_URL', 'is required when TWILIO_ACCOUNT_SID is set (Twilio signs its webhooks over it)');
  const twilio = hasTwilio ? { accountSid: sid!, authTokens: [token!, ...(tokenPrevious ? [tokenPrevious] : [])], number: twilioNumber!, apiBase } : undefined;
  if (twilio && vonageNumber === twilio.number) throw new ConfigError('TWILIO_NUMBER', 'must differ from BATSIGNAL_NUMBER (members may text either)');

  const configured = { vonage: vonageSmsApi || vonageMessages !== undefined, twilio: twilio !== undefined };
  const listed = str(env, 'SMS_PROVIDERS');
  let smsProviders: SmsProviderName[];
  if (listed === undefined) smsProviders = SMS_PROVIDER_NAMES.filter((n) => configured[n]);
  else {
    const names = listed.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
    for (const n of names) {
      if (!SMS_PROVIDER_NAMES.includes(n as SmsProviderName)) throw new ConfigError('SMS_PROVIDERS', `"${n}" is not a provider (use vonage, twilio)`);
      if (!configured[n as SmsProviderName]) {
        throw new ConfigError('SMS_PROVIDERS', n === 'twilio' ? 'names twilio but TWILIO_ACCOUNT_SID is not set' : 'names vonage but neither VONAGE_APPLICATION_ID nor VONAGE_API_KEY is set');
      }
    }
    if (new Set(names).size !== names.length) throw new ConfigError('SMS_PROVIDERS', 'names a provider twice');
    if (names.length === 0) throw new ConfigError('SMS_PROVIDERS', 'is empty');
    smsProviders = names as SmsProviderName[];
  }
  return { vonageMessages, twilio, smsProviders, publicUrl };
}

/** Parses and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);

  const country = (str(env, 'DEFAULT_COUNTRY') ?? 'GB').toUpperCase();
  if (!isSupportedCountry(country)) {
    throw new ConfigError('DEFAULT_COUNTRY', `"${country}" is not a supported ISO 3166 country code`);
  }

  const rawNumber = str(env, 'BATSIGNAL_NUMBER');
  const digits = rawNumber?.replace(/[\s()+-]/g, '');
  if (digits !== undefined && !/^\d{6,15}$/.test(digits)) {
    throw new ConfigError('BATSIGNAL_NUMBER', 'must be an international number such as 447700900000');
  }

  const hasVonage = requireTogether(env, ['VONAGE_API_KEY', 'VONAGE_API_SECRET']);
  const restHost = url(env, 'VONAGE_REST_HOST', ['http:', 'https:']);
  const vonage = hasVonage
    ? { apiKey: str(env, 'VONAGE_API_KEY')!, apiSecret: str(env, 'VONAGE_API_SECRET')!, restHost }
    : undefined;
  if (vonage && digits === undefined) {
    throw new ConfigError('BATSIGNAL_NUMBER', 'is required when VONAGE_API_KEY is set');
  }

  const method = (str(env, 'VONAGE_SIGNATURE_METHOD') ?? 'md5hash').toLowerCase();
  if (!SIGNATURE_METHODS.includes(method as SignatureMethod)) {
    throw new ConfigError('VONAGE_SIGNATURE_METHOD', `must be one of ${SIGNATURE_METHODS.join(', ')}, got "${method}"`);
  }
  const sigSecret = secret(env, 'VONAGE_SIGNATURE_SECRET', 8);
  const sigPrevious = secret(env, 'VONAGE_SIGNATURE_SECRET_PREVIOUS', 8);
  if (sigPrevious && !sigSecret) {
    throw new ConfigError('VONAGE_SIGNATURE_SECRET', 'is required when VONAGE_SIGNATURE_SECRET_PREVIOUS is set');
  }
  const allowUnsigned = bool(env, 'VONAGE_ALLOW_UNSIGNED', false);
  const host = str(env, 'HOST') ?? '127.0.0.1';
  if (allowUnsigned && !isLoopback(host)) {
    throw new ConfigError(
      'VONAGE_ALLOW_UNSIGNED',
      `is refused with HOST=${host}: unsigned webhooks are accepted only on a loopback address (127.0.0.1, ::1, localhost). Set VONAGE_SIGNATURE_SECRET instead`,
    );
  }
  if (vonage && !sigSecret && !allowUnsigned) {
    throw new ConfigError(
      'VONAGE_SIGNATURE_SECRET',
      'is required with real Vonage credentials (set VONAGE_ALLOW_UNSIGNED=true to accept unsigned webhooks)',
    );
  }

  const { vonageMessages, twilio, smsProviders, publicUrl } = providerSettings(env, digits, vonage !== undefined);
  if (vonageMessages && !sigSecret && !allowUnsigned) {
    throw new ConfigError('VONAGE_SIGNATURE_SECRET', 'is required with VONAGE_APPLICATION_ID (the Messages API signs its webhooks with it)');
  }
  const smsRate = num(env, 'SMS_RATE_PER_SECOND', 30, 0, 10000);
  const providerRates = {
    vonage: num(env, 'VONAGE_RATE_PER_SECOND', smsRate, 0, 10000),
    twilio: num(env, 'TWILIO_RATE_PER_SECOND', smsRate, 0, 10000),
  };

  const adminToken = secret(env, 'ADMIN_TOKEN', 16);
  if (!adminToken && databaseUrl) {
    throw new ConfigError('ADMIN_TOKEN', 'is required when DATABASE_URL is set (at least 16 characters)');
  }

  const hasDiscourse = requireTogether(env, ['DISCOURSE_URL', 'DISCOURSE_API_KEY', 'DISCOURSE_API_USERNAME', 'DISCOURSE_CATEGORY_ID']);
  const discourse = hasDiscourse
    ? {
        url: url(env, 'DISCOURSE_URL', ['http:', 'https:'])!,
        apiKey: str(env, 'DISCOURSE_API_KEY')!,
        apiUsername: str(env, 'DISCOURSE_API_USERNAME')!,
        categoryId: int(env, 'DISCOURSE_CATEGORY_ID', 0, 1, 2 ** 31 - 1),
      }
    : undefined;

  const hasSmtp = requireTogether(env, ['SMTP_URL', 'MAIL_FROM']);
  const smtpUrl = url(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  const mailFrom = str(env, 'MAIL_FROM');
  if (mailFrom && !/^[^@\s<>]+@[^@\s<>]+$|<[^@\s<>]+@[^@\s<>]+>$/.test(mailFrom)) {
    throw new ConfigError('MAIL_FROM', 'must be an email address, optionally as "Name <address>"');
  }
  const smtp = hasSmtp ? { url: smtpUrl!, from: mailFrom! } : undefined;

  return {
    databaseUrl,
    dataDir: str(env, 'DATA_DIR') ?? './data',
    port: int(env, 'PORT', 3000, 0, 65535),
    host,
    logLevel: str(env, 'LOG_LEVEL') ?? 'info',
    batsignalNumber: digits ?? '447700900000',
    defaultCountry: country,
    vonage,
    vonageMessages,
    twilio,
    smsProviders,
    providerRates,
    publicUrl,
    signatureSecrets: [sigSecret, sigPrevious].filter((s): s is string => s !== undefined),
    signatureMethod: method as SignatureMethod,
    allowUnsigned,
    smsRatePerSecond: smsRate,
    adminToken,
    adminTokenPrevious: secret(env, 'ADMIN_TOKEN_PREVIOUS', 16),
    metricsToken: secret(env, 'METRICS_TOKEN', 16),
    discourse,
    discourseWebhookSecret: secret(env, 'DISCOURSE_WEBHOOK_SECRET', 8),
    smtp,
    thresholdQuestion: str(env, 'THRESHOLD_QUESTION') ?? DEFAULT_THRESHOLD_QUESTION,
    raiseExpiryMinutes: int(env, 'RAISE_EXPIRY_MINUTES', 15, 1, 1440),
    reminderMinutes: int(env, 'REMINDER_MINUTES', 10, 1, 1440),
    escalateAfterMinutes: int(env, 'ESCALATE_AFTER_MINUTES', 15, 1, 1440),
    maxRaisesPerHour: int(env, 'MAX_RAISES_PER_HOUR', 3, 1, 100),
    concatTimeoutSeconds: int(env, 'CONCAT_TIMEOUT_SECONDS', 30, 1, 3600),
    strangerRepliesPerHour: int(env, 'STRANGER_REPLIES_PER_HOUR', 60, 0, 100000),
    demo: databaseUrl === undefined && bool(env, 'DEMO_MEMBERS', true),
  };
}

/** The one read of process.env: a bad setting stops start-up with one line naming it. */
export function configOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}
