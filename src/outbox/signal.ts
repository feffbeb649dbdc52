// Wakes dispatchers after a commit. Not a NOTIFY inside the deciding transaction: PostgreSQL holds a
// cluster-wide lock from a notifying transaction's commit until it ends, which serialised every
// webhook's commit (pgbench here: 7,290 tps plain, 1,480 with NOTIFY inside the transaction).
// Instead the edge calls touch() after its commit: dispatchers in this process wake at once, and
// one coalesced NOTIFY, sent on its own, wakes the other instances. The dispatchers' poll covers
// anything missed (a touch before a crash, a lost connection).
import { sql } from 'kysely';
import type { Database } from '../db/connect.js';

export interface OutboxSignal {
  /** Call after committing outbox rows. Cheap; never throws. */
  touch(): void;
  subscribe(fn: () => void): () => void;
}

/** NOTIFY outbox outside any transaction: for other instances (and tests that enqueue directly). */
export async function notifyOutbox(db: Database): Promise<void> {
  await sql`SELECT pg_notify('outbox', '')`.execute(db);
}

export function createOutboxSignal(db: Database, onError: (err: unknown) => void = () => {}, minGapMs = 5): OutboxSignal {
  const listeners = new Set<() => void>();
  let localPending = false;
  let notifying = false;
  let notifyAgain = false;

  const notifyOthers = () => {
    if (notifying) {
      notifyAgain = true;
      return;
    }
    notifying = true;
    notifyOutbox(db)
      .catch(onError)
      .finally(() =>
        setTimeout(() => {
          notifying = false;
          if (notifyAgain) {
            notifyAgain = false;
            notifyOthers();
          }
        }, minGapMs).unref?.(),
      );
  };

  return {
    touch() {
      if (!localPending) {
        localPending = true;
        setImmediate(() => {
          localPending = false;
          for (const fn of listeners) fn();
        });
      }
      notifyOthers();
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
