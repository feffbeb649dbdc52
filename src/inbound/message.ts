// An inbound text as every provider's webhook edge hands it to the intake (src/inbound/pipeline.ts).
// Types only, so a provider's parser (src/providers/*/) can produce it without importing the intake.

export interface ConcatInfo {
  ref: string;
  part: number; // 1-based
  total: number;
}

export interface InboundSms {
  messageId: string;
  /** Sender as Vonage writes it: international digits without '+' (or an alphanumeric sender id). */
  msisdn: string;
  /** Our number as Vonage writes it. */
  to: string;
  /** Cleaned text: no control characters except tab and newlines, well-formed UTF-16. */
  text: string;
  /** 'text' | 'unicode' are interpreted; anything else (binary, future types) is recorded and ignored. */
  type: string;
  concat: ConcatInfo | undefined;
  /** The provider (number) it came in through, kept so replies go back the same way; absent: Vonage. */
  provider?: string;
}

const INTERPRETED_TYPES = new Set(['text', 'unicode']);

/** Texts of these types are read; binary and future types are recorded and ignored. */
export const isInterpretedType = (type: string): boolean => INTERPRETED_TYPES.has(type);
