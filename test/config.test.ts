import t from 'tap';
import { loadConfig, ConfigError } from '../src/config.js';

const base = {};

t.test('embedded defaults need nothing', async (t) => {
  const c = loadConfig(base);
  t.equal(c.databaseUrl, undefined);
  t.equal(c.port, 3000);
  t.equal(c.defaultCountry, 'GB');
  t.equal(c.smsRatePerSecond, 30);
  t.equal(c.signatureMethod, 'md5hash');
  t.equal(c.vonage, undefined);
  t.equal(c.demo, true);
});

const bad: [Record<string, string>, string, RegExp][] = [
  [{ PORT: 'abc' }, 'PORT', /whole number/],
  [{ PORT: '70000' }, 'PORT', /between/],
  [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgres/],
  [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL', /valid URL/],
  [{ DATABASE_URL: 'postgres://localhost/x' }, 'ADMIN_TOKEN', /required/],
  [{ DEFAULT_COUNTRY: 'XX' }, 'DEFAULT_COUNTRY', /supported/],
  [{ VONAGE_API_KEY: 'k' }, 'VONAGE_API_SECRET', /required/],
  [{ VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's' }, 'BATSIGNAL_NUMBER', /required/],
  [{ VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', BATSIGNAL_NUMBER: '447700900000' }, 'VONAGE_SIGNATURE_SECRET', /VONAGE_ALLOW_UNSIGNED/],
  [{ VONAGE_SIGNATURE_METHOD: 'sha3' }, 'VONAGE_SIGNATURE_METHOD', /one of/],
  [{ BATSIGNAL_NUMBER: 'call me' }, 'BATSIGNAL_NUMBER', /international/],
  [{ SMS_RATE_PER_SECOND: '-1' }, 'SMS_RATE_PER_SECOND', /number/],
  [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN', /16/],
  [{ DISCOURSE_URL: 'https://forum.example' }, 'DISCOURSE_API_KEY', /required/],
  [{ DISCOURSE_URL: 'https://f.example', DISCOURSE_API_KEY: 'k', DISCOURSE_API_USERNAME: 'u', DISCOURSE_CATEGORY_ID: 'x' }, 'DISCOURSE_CATEGORY_ID', /whole number/],
  [{ SMTP_URL: 'smtp://localhost:25' }, 'MAIL_FROM', /required/],
  [{ SMTP_URL: 'http://x', MAIL_FROM: 'a@b.c' }, 'SMTP_URL', /smtp/],
  [{ SMTP_URL: 'smtp://x', MAIL_FROM: 'nobody' }, 'MAIL_FROM', /email address/],
  [{ VONAGE_ALLOW_UNSIGNED: 'maybe' }, 'VONAGE_ALLOW_UNSIGNED', /true or false/],
  [{ VONAGE_ALLOW_UNSIGNED: 'true', HOST: '0.0.0.0' }, 'VONAGE_ALLOW_UNSIGNED', /refused with HOST=0\.0\.0\.0.*loopback/],
  [{ VONAGE_ALLOW_UNSIGNED: 'true', HOST: '192.168.1.20' }, 'VONAGE_ALLOW_UNSIGNED', /loopback/],
  [{ VONAGE_ALLOW_UNSIGNED: 'true', HOST: '::' }, 'VONAGE_ALLOW_UNSIGNED', /loopback/],
];

for (const [env, variable, message] of bad) {
  t.test(`${variable} rejected for ${JSON.stringify(env)}`, async (t) => {
    const err = t.throws(() => loadConfig(env)) as ConfigError;
    t.ok(err instanceof ConfigError, 'a ConfigError');
    t.equal(err.variable, variable);
    t.match(err.message, message);
    t.notMatch(err.message, /\n/, 'one line');
  });
}

t.test('real credentials with a signature secret', async (t) => {
  const c = loadConfig({
    VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', BATSIGNAL_NUMBER: '+44 7700 900000',
    VONAGE_SIGNATURE_SECRET: 'abcdefgh12', VONAGE_SIGNATURE_METHOD: 'SHA256',
  });
  t.equal(c.batsignalNumber, '447700900000');
  t.equal(c.signatureMethod, 'sha256');
  t.same(c.signatureSecrets, ['abcdefgh12']);
});

t.test('unsigned only when said explicitly', async (t) => {
  const c = loadConfig({ VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', BATSIGNAL_NUMBER: '447700900000', VONAGE_ALLOW_UNSIGNED: 'true' });
  t.equal(c.allowUnsigned, true);
  t.same(c.signatureSecrets, []);
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) {
    t.equal(loadConfig({ VONAGE_ALLOW_UNSIGNED: 'true', HOST: host }).allowUnsigned, true, `loopback ${host}`);
  }
});
