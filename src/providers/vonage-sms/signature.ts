// Vonage webhook signatures (inbound SMS and delivery receipts).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AlgorithmTypes } from '@vonage/auth';
import type { SignatureMethod } from '../../config.js';

export const SDK_ALGORITHM: Record<SignatureMethod, AlgorithmTypes> = {
  md5hash: AlgorithmTypes.md5hash,
  md5: AlgorithmTypes.md5hmac,
  sha1: AlgorithmTypes.sha1hmac,
  sha256: AlgorithmTypes.sha256hmac,
  sha512: AlgorithmTypes.sha512hmac,
};

/** Webhook parameters after the edge has checked every value is a single string. */
export type WebhookParams = Record<string, string>;

/** Flattens query + body into string params, or says which field is malformed (repeated key, non-string). */
export function stringParams(...sources: unknown[]): { params: WebhookParams } | { error: string } {
  const params = Object.create(null) as WebhookParams;
  for (const src of sources) {
    if (src === undefined || src === null) continue;
    if (typeof src !== 'object' || Array.isArray(src)) return { error: 'body must be an object of fields' };
    for (const [k, v] of Object.entries(src)) {
      if (typeof v !== 'string') {
        return { error: `field "${k}" must be a single string${Array.isArray(v) ? ' (it was repeated)' : ''}` };
      }
      params[k] = v;
    }
  }
  return { params };
}

// Vonage's string to sign: params except sig, sorted, values with & and = replaced by _.
function expectedSignature(params: WebhookParams, secret: string, method: SignatureMethod): string {
  let signed = '';
  for (const k of Object.keys(params).filter((k) => k !== 'sig').sort()) {
    signed += `&${k}=${params[k]!.replace(/[&=]/g, '_')}`;
  }
  if (method === 'md5hash') return createHash('md5').update(signed + secret).digest('hex');
  return createHmac(method, secret).update(signed).digest('hex');
}

/**
 * True when `sig` matches under any accepted secret (current, then previous during rotation).
 * The comparison is constant-time. The signature is computed once, by us: test/signature.test.ts
 * holds ours to the SDK's (its test vectors, and fast-check over arbitrary values and every
 * method), so the SDK's second, non-constant-time check no longer runs on every webhook.
 */
export function verifyVonageSignature(params: WebhookParams, secrets: readonly string[], method: SignatureMethod): boolean {
  const sig = params.sig;
  if (typeof sig !== 'string' || !/^[0-9a-fA-F]{32,128}$/.test(sig)) return false;
  const presented = Buffer.from(sig.toLowerCase());
  for (const secret of secrets) {
    const expected = Buffer.from(expectedSignature(params, secret, method));
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) {
      return true;
    }
  }
  return false;
}

/** Signs params the way Vonage does (for tests, the simulator and the local stand-in). */
export function signVonageParams(params: WebhookParams, secret: string, method: SignatureMethod): WebhookParams {
  const { sig: _drop, ...rest } = params;
  return { ...rest, sig: expectedSignature(rest, secret, method) };
}
