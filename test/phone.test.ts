import t from 'tap';
import { normalisePhone, fromVonage, maskPhone } from '../src/directory/phone.js';

const same: string[] = ['07700 900123', '+44 7700 900123', '447700900123', '0044 7700 900123', '+44 (0)7700 900123', '07700-900-123', '(07700) 900123'];
t.test('one member, however the number is written', async (t) => {
  for (const input of same) t.same(normalisePhone(input, 'GB'), { ok: true, e164: '+447700900123' }, input);
  t.same(fromVonage('447700900123', 'GB'), { ok: true, e164: '+447700900123' });
});

t.test('valid real numbers', async (t) => {
  t.same(normalisePhone('07400 123456', 'GB'), { ok: true, e164: '+447400123456' });
  t.same(normalisePhone('+1 202 555 0143', 'GB').ok, true, 'non-UK international');
  t.same(normalisePhone('+353 85 123 4567', 'GB'), { ok: true, e164: '+353851234567' });
});

t.test('invalid numbers refused with a reason', async (t) => {
  for (const bad of ['', '123', '07700 90012', '+44 7700 123', 'phone me', '0800 00', '07400 1234567890', '+999 123456']) {
    const r = normalisePhone(bad, 'GB');
    t.equal(r.ok, false, bad);
    if (!r.ok) t.ok(r.reason.length > 5, 'has a reason');
  }
  t.equal(normalisePhone('07700 900999', 'GB').ok, true, 'top of the drama range');
  t.equal(normalisePhone('07700 901000', 'GB').ok, false, 'just outside the drama range is invalid');
  t.equal(fromVonage('+447700900123', 'GB').ok, false, 'msisdn has no plus');
});

t.test('masking', async (t) => {
  t.equal(maskPhone('+447700900123'), '***123');
});
