// LISTEN outbox on a dedicated connection: enqueueSms and createAlert pg_notify('outbox') in their
// transaction, which PostgreSQL delivers at commit, so a confirmed alert wakes every dispatcher of
// every instance at once. Lost notifications (a reconnect) are covered by the dispatchers' poll.
import pg from 'pg';

export interface Wake {
  subscribe(fn: () => void): () => void;
  close(): Promise<void>;
}

export function listenOutbox(connectionString: string | undefined, onError: (err: unknown) => void): Wake {
  const listeners = new Set<() => void>();
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    if (closed || !connectionString) return;
    const c = new pg.Client({ connectionString });
    c.on('notification', () => {
      for (const fn of listeners) fn();
    });
    c.on('error', (err) => {
      onError(err);
      if (client === c) client = undefined;
      c.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(), 1000);
    });
    try {
      await c.connect();
      await c.query('LISTEN outbox');
      if (closed) return void (await c.end());
      client = c;
      for (const fn of listeners) fn(); // anything queued while we were not listening
    } catch (err) {
      onError(err);
      c.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(), 1000);
    }
  };
  void connect();

  return {
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
