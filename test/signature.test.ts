import t from 'tap';
import { randomBytes } from 'node:crypto';
import { SMS } from '@vonage/sms';
import fc from 'fast-check';
import { verifyVonageSignature, signVonageParams, stringParams, SDK_ALGORITHM } from '../src/providers/vonage-sms/signature.js';
import type { SignatureMethod } from '../src/config.js';

const vector = {
  'message-timestamp': '2013-11-21 15:27:30', messageId: '020000001B0FE827', msisdn: '14843472194',
  text: 'Test again', timestamp: '1385047698', to: '13239877404', type: 'text',
};
const secret = 'my_secret_key_for_testing';

t.test('Vonage SDK test vectors', async (t) => {
  t.ok(verifyVonageSignature({ ...vector, sig: 'd2e7b1dc968737c5998ad624e02f90b7' }, [secret], 'md5hash'));
  t.ok(verifyVonageSignature({ ...vector, sig: 'DDB8397C2B90AAC7F3882D306475C9A5058C92322EEF43C92B298B6E0FC0D330' }, [secret], 'sha256'), 'upper-case hex accepted');
  t.notOk(verifyVonageSignature({ ...vector, sig: 'd2e7b1dc968737c5998ad624e02f90b8' }, [secret], 'md5hash'), 'one digit off');
  t.notOk(verifyVonageSignature({ ...vector, text: 'Test agaim', sig: 'd2e7b1dc968737c5998ad624e02f90b7' }, [secret], 'md5hash'), 'tampered text');
  t.notOk(verifyVonageSignature({ ...vector }, [secret], 'md5hash'), 'missing sig');
  t.notOk(verifyVonageSignature({ ...vector, sig: 'zz' }, [secret], 'md5hash'), 'malformed sig');
});

t.test('agrees with the SDK on random params, every method, and accepts the previous secret', async (t) => {
  const sms = new SMS({ apiKey: 'k', apiSecret: 's' });
  const methods: SignatureMethod[] = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'];
  for (let i = 0; i < 200; i++) {
    const method = methods[i % methods.length]!;
    const params = { msisdn: String(447000000000 + i), text: randomBytes(12).toString('base64') + '&x=y', to: '447700900000', messageId: randomBytes(8).toString('hex') };
    const signed = signVonageParams(params, 'current-secret', method);
    t.equal(sms.verifySignature(signed.sig!, { ...signed }, 'current-secret', SDK_ALGORITHM[method]), true);
    t.equal(verifyVonageSignature(signed, ['current-secret'], method), true);
    t.equal(verifyVonageSignature(signed, ['new-secret-xx', 'current-secret'], method), true, 'previous secret during rotation');
    t.equal(verifyVonageSignature(signed, ['other-secret'], method), false);
  }
});

t.test('the SDK and we agree on arbitrary values (any code point, & and =), every method', async (t) => {
  // The edge verifies with our code only; this is what makes that safe.
  const sms = new SMS({ apiKey: 'k', apiSecret: 's' });
  const methods: SignatureMethod[] = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'];
  const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: fc.constantFrom('&', '=', 'a', ' ', '+', '%', '\u00e9'), maxLength: 20 }));
  fc.assert(
    fc.property(fc.constantFrom(...methods), value, value, fc.string({ minLength: 1, maxLength: 30 }), (method, text, other, secret) => {
      const signed = signVonageParams({ msisdn: '447700900001', to: '447700900000', text, 'x-other': other }, secret, method);
      const sdkSays = sms.verifySignature(signed.sig!, { ...signed }, secret, SDK_ALGORITHM[method]);
      const tampered = { ...signed, text: text + 'x' };
      return sdkSays && verifyVonageSignature(signed, [secret], method) && !verifyVonageSignature(tampered, [secret], method);
    }),
    { numRuns: 1000 },
  );
  t.pass('1,000 random requests');
});

t.test('stringParams refuses what would make the SDK throw', async (t) => {
  t.same(stringParams({ a: 'x' }, { b: 'y' }), { params: { a: 'x', b: 'y' } });
  t.match(stringParams({ a: ['x', 'y'] }), { error: /repeated/ });
  t.match(stringParams({ 'concat-part': 2 }), { error: /concat-part/ });
  t.match(stringParams('text'), { error: /object/ });
  t.match(stringParams([1]), { error: /object/ });
});
