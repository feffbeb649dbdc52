// What the app is built from (AppDeps) and what each route module receives (RouteDeps).
// Route modules import these types from here, never from app.ts: app.ts imports the routes.
import type { Config } from './config.js';
import type { Database } from './db/connect.js';
import type { Clock } from './clock.js';
import type { PhoneSimulator } from './providers/simulator/simulator.js';
import type { OutboxSignal } from './outbox/signal.js';
import type { AppMetrics } from './metrics/registry.js';

export interface AppDeps {
  config: Config;
  db: Database;
  clock: Clock;
  /** Accepted admin bearer tokens: current first, then the previous one during a rotation. */
  adminTokens: string[];
  /** Present when texts go to the built-in phone simulator instead of Vonage. */
  simulator?: PhoneSimulator | undefined;
  /** Wakes the dispatchers after a commit that queued outbox rows (absent: they poll). */
  outboxSignal?: OutboxSignal | undefined;
  /** Shared with the workers (main.ts); absent: buildApp makes one for this app (src/metrics/registry.ts). */
  metrics?: AppMetrics | undefined;
}

/** What route modules receive: the deps with metrics and the session check always present (buildApp fills them in). */
export type RouteDeps = AppDeps & {
  metrics: AppMetrics;
  /** Signed-in admins' sessions (src/directory/signin.ts), checked by requireAdmin (src/http/auth.ts). */
  sessions?: { verify(token: string): Promise<{ sessionId: string; memberId: number; name: string } | null> } | undefined;
};
