// The conversation's entry point, called by the inbound edge inside its transaction (after
// de-duplication and the per-sender advisory lock) for every text from a known member.
import type { Tx } from '../db/connect.js';
import type { Config } from '../config.js';
import type { Member } from '../db/schema.js';
import { enqueueSms } from '../outbox/enqueue.js';

// First version: every text gets the command list. The state machine replaces this.
export async function converse(trx: Tx, deps: { config: Config }, member: Member, text: string, now: Date): Promise<void> {
  void deps;
  void text;
  void now;
  await enqueueSms(trx, [
    {
      memberId: member.id,
      to: member.phone,
      kind: 'reply',
      body: 'Batsignal: RAISE to raise an alert, ACK <n> to acknowledge, STATUS <n>, STOP to opt out, HELP for this list.',
    },
  ]);
}
