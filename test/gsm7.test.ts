// GSM-7 normalisation, encoding detection and segment counts; the broadcast's 3-segment cap.
import t from 'tap';
import { countSegments, isGsm7, normaliseGsm7 } from '../src/text/gsm7.js';
import { broadcastText, MAX_BROADCAST_SEGMENTS } from '../src/alerts/text.js';

t.test('typographic characters become their GSM-7 forms', async (t) => {
  const cases: [string, string][] = [
    ['‘single’ and “double”', `'single' and "double"`],
    ['en – em — minus − hyphen ‐', 'en - em - minus - hyphen -'],
    ['wait…', 'wait...'],
    ['non\u00A0breaking\u202Fthin\u2009space', 'non breaking thin space'],
    ['zero\u200Bwidth\uFEFF', 'zerowidth'],
    ['soft\u00ADhyphen', 'softhyphen'],
    ['• bullet', '- bullet'],
    ['façade', 'faÇade'],
    ['tab\there', 'tab here'],
  ];
  for (const [input, out] of cases) {
    t.equal(normaliseGsm7(input), out, JSON.stringify(input));
    t.ok(isGsm7(normaliseGsm7(input)), `${JSON.stringify(out)} is GSM-7`);
  }
  t.equal(normaliseGsm7('Ransomware 🔥'), 'Ransomware 🔥', 'emoji have no GSM-7 form: left alone');
  t.equal(normaliseGsm7('Zoë in Łódź'), 'Zoë in Łódź', 'letters are content: not transliterated');
  t.equal(normaliseGsm7('e\u0301'), 'é', 'composed (NFC) first: é is GSM-7');
});

t.test('encoding detection', async (t) => {
  t.ok(isGsm7('@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&\'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà'));
  t.ok(isGsm7('{}[]~^\\|€'), 'extension table is GSM-7');
  t.notOk(isGsm7('ç'), 'only the capital Ç is GSM-7');
  t.notOk(isGsm7('’'));
  t.notOk(isGsm7('😀'));
});

t.test('segment counts', async (t) => {
  const seg = (s: string) => countSegments(s);
  t.same(seg(''), { encoding: 'gsm7', units: 0, segments: 1 });
  t.same(seg('a'.repeat(160)), { encoding: 'gsm7', units: 160, segments: 1 });
  t.same(seg('a'.repeat(161)), { encoding: 'gsm7', units: 161, segments: 2 });
  t.same(seg('a'.repeat(306)), { encoding: 'gsm7', units: 306, segments: 2 });
  t.same(seg('a'.repeat(307)), { encoding: 'gsm7', units: 307, segments: 3 });
  t.same(seg('€'.repeat(80)), { encoding: 'gsm7', units: 160, segments: 1 }, 'extension characters count 2');
  t.same(seg('€'.repeat(81)), { encoding: 'gsm7', units: 162, segments: 2 });
  t.equal(seg('a'.repeat(152) + '€' + 'a'.repeat(10)).segments, 2, 'an escape pair straddling 153 moves to the next part');
  t.equal(seg('a'.repeat(152) + '€' + 'a'.repeat(152)).segments, 3, '...so the 2nd part may overflow into a 3rd');
  t.same(seg('ç'.repeat(70)), { encoding: 'ucs2', units: 70, segments: 1 });
  t.same(seg('ç'.repeat(71)), { encoding: 'ucs2', units: 71, segments: 2 });
  t.same(seg('ç'.repeat(134)), { encoding: 'ucs2', units: 134, segments: 2 });
  t.same(seg('😀'.repeat(35)), { encoding: 'ucs2', units: 70, segments: 1 }, 'emoji are surrogate pairs: 2 units');
  t.same(seg('aa' + '😀'.repeat(66)), { encoding: 'ucs2', units: 134, segments: 3 }, '134 units, but a pair never splits across parts: 3');
  t.equal(seg('a' + '😀'.repeat(34)).segments, 1, '69 units: one segment');
});

t.test('the broadcast: GSM-7 when the content allows, at most 3 segments, trimmed visibly', async (t) => {
  const base = { number: 12, raiserName: 'Jane Smith', raiserOrg: 'Northtown Trust', exercise: false };
  const short = broadcastText({ ...base, summary: 'Ransomware via SMB – block port 445…' });
  t.equal(short, 'BATSIGNAL #12 from Jane Smith (Northtown Trust): Ransomware via SMB - block port 445. Reply ACK 12 to confirm.');
  t.same(countSegments(short), { encoding: 'gsm7', units: short.length, segments: 1 });

  const long = broadcastText({ ...base, summary: 'Encrypting ransomware seen on ward PCs. '.repeat(30) });
  const c = countSegments(long);
  t.equal(c.encoding, 'gsm7');
  t.equal(c.segments, MAX_BROADCAST_SEGMENTS);
  t.ok(c.units > 440, `fills the 3 segments (${c.units} of 459)`);
  t.match(long, /^BATSIGNAL #12 from Jane Smith \(Northtown Trust\): Encrypting ransomware.*\.\.\. Reply ACK 12 to confirm\.$/);
  t.notMatch(long, /\w\.\.\.\./, 'no stray full stop after the ellipsis');

  const emoji = broadcastText({ ...base, summary: '🔥 Ransomware spreading from ward PCs over SMB, look for .locked files. '.repeat(6) });
  const e = countSegments(emoji);
  t.equal(e.encoding, 'ucs2', 'emoji keep the text UCS-2');
  t.ok(e.segments <= 3 && e.units > 180, `3 UCS-2 segments at most (${e.units} units)`);
  t.match(emoji, /\.\.\. Reply ACK 12 to confirm\.$/);

  const exercise = broadcastText({ ...base, exercise: true, summary: 'x '.repeat(400) });
  t.match(exercise, /^EXERCISE BATSIGNAL #12 .*\.\.\. Reply ACK 12 to confirm\. THIS IS AN EXERCISE\.$/);
  t.ok(countSegments(exercise).segments <= 3);

  const huge = broadcastText({ ...base, raiserName: 'N'.repeat(200), raiserOrg: 'O'.repeat(200), summary: 'S'.repeat(1000) });
  t.ok(countSegments(huge).segments <= 3, 'long names are cut too');
  t.match(huge, /^BATSIGNAL #12 from N+\.\.\. \(O+\.\.\.\): S+\.\.\. Reply ACK 12/);
});
