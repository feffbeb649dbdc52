// The other channels of an alert (email, forum), queued in the alert's own transaction.
import type { Tx } from '../db/connect.js';
import type { Alert } from '../db/schema.js';

// Placeholder: filled in by the email/forum feature.
export async function enqueueOtherChannels(_trx: Tx, _alert: Alert, _raiserId: number | null): Promise<void> {}
