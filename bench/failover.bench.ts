// Failover figure (issue 15): the real server (src/main.ts, the entry point `npm start` runs compiled, in its own
// process) broadcasts to 1,800 members through the Vonage Messages API (primary, 100/s) with Twilio
// as the secondary (50/s); the primary goes down (HTTP 503) after 500 accepted texts. Reported:
// the time from the raise to the last text accepted, against the ideal (500 at the primary's rate,
// the other 1,300 at the secondary's), and the ratio; duplicates across both providers.
// The provider stand-ins (the real SDKs' wire protocol) run in this process; they do nothing else.
import { benchDatabase, fmt } from './helpers.js';
import { addMembers, memberSpecs, raiseAlert } from '../test/helpers/alert-fixtures.js';
import { settled } from '../test/helpers/delivery.js';
import { spawnServer } from '../test/helpers/server-process.js';
import { startVonageMessagesStandin } from '../test/helpers/vonage-messages-standin.js';
import { startTwilioStandin } from '../test/helpers/twilio-standin.js';
import { PUBLIC_URL, TWILIO_NUMBER } from '../test/helpers/providers.js';

const N = 1800;
const FAIL_AFTER = 500;
const PRIMARY_RATE = 100;
const SECONDARY_RATE = 50;

const { db, url, close } = await benchDatabase();
await addMembers(db, memberSpecs(N));
const vm = await startVonageMessagesStandin({ number: '447700900999', faults: { failAfter: FAIL_AFTER, latencyMs: 30 } });
const tw = await startTwilioStandin({ number: TWILIO_NUMBER, faults: { latencyMs: 30 } });
const server = spawnServer({
  DATABASE_URL: url, ADMIN_TOKEN: 'bench-admin-token-0123456789', PORT: '0', DATA_DIR: './data/bench-failover',
  BATSIGNAL_NUMBER: vm.number, VONAGE_APPLICATION_ID: vm.applicationId, VONAGE_PRIVATE_KEY: vm.privateKey, VONAGE_MESSAGES_HOST: vm.url,
  VONAGE_SIGNATURE_SECRET: vm.signatureSecret,
  TWILIO_ACCOUNT_SID: tw.accountSid, TWILIO_AUTH_TOKEN: tw.authToken, TWILIO_NUMBER: tw.number, TWILIO_API_BASE: tw.url, PUBLIC_URL,
  SMS_PROVIDERS: 'vonage,twilio', VONAGE_RATE_PER_SECOND: String(PRIMARY_RATE), TWILIO_RATE_PER_SECOND: String(SECONDARY_RATE),
});
try {
  await server.ready;
  const t0 = Date.now();
  await raiseAlert(db, new Date());
  await settled(db, 300_000);
  const accepted = [...vm.accepted(), ...tw.accepted()].map((r) => r.at).sort((a, b) => a - b);
  const tookMs = accepted[accepted.length - 1]! - t0;
  const idealMs = (FAIL_AFTER / PRIMARY_RATE + (N - FAIL_AFTER) / SECONDARY_RATE) * 1000;
  const perMember = memberSpecs(N).map((m) => vm.acceptedTo(m.phone) + tw.acceptedTo(m.phone));
  const twice = perMember.filter((c) => c > 1).length;
  const missed = perMember.filter((c) => c === 0).length;
  console.log(`failover, ${fmt(N, 0)} members, primary (${PRIMARY_RATE}/s) down after ${FAIL_AFTER}, secondary ${SECONDARY_RATE}/s: ` +
    `${vm.accepted().length} via the primary, ${tw.accepted().length} via the secondary; primary requests ${vm.requests.length}`);
  console.log(`failover, raise to last text accepted: ${fmt(tookMs / 1000, 2)} s (ideal ${fmt(idealMs / 1000, 2)} s): ratio ${fmt(tookMs / idealMs, 3)} (target within 5%: ${tookMs <= idealMs * 1.05 ? 'met' : 'missed'})`);
  console.log(`failover, members texted twice: ${twice}; missed: ${missed}`);
} finally {
  server.kill('SIGTERM');
  await server.exited;
  await vm.close();
  await tw.close();
  await close();
}
