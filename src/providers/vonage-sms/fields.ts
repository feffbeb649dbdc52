// The one allow-list of Vonage SMS API webhook fields shared by inbound texts and delivery receipts:
// the patterns a field must match wherever it appears. Only the fields parsed in inbound.ts and
// receipt.ts are read; anything else Vonage adds is signed over but otherwise ignored.

/** More fields than Vonage ever sends (about 15) means someone is stuffing the request. */
export const MAX_FIELDS = 40;
/** Vonage's message ids (16 hex digits today; ours in the simulator are SIM-...): both webhooks, one pattern. */
export const MESSAGE_ID = /^[A-Za-z0-9._-]{1,64}$/;
export const MESSAGE_ID_RULE = 'must be 1 to 64 letters, digits, dots, dashes or underscores';
/** A phone number as Vonage writes it: international digits, no '+'. */
export const NUMBER = /^\d{3,15}$/;
/** A sender: a number, or an alphanumeric sender id (up to 11 characters; 20 allowed). */
export const SENDER = /^[A-Za-z0-9]{1,20}$/;
/** client-ref: Vonage echoes up to 40 characters (ours is the outbox id). */
export const CLIENT_REF_MAX = 40;
