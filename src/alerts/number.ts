// Alert numbers: what members type (ACK 12). A leaf the conversation's parser and the alerts share.

/** Alert numbers are PostgreSQL integers; a longer number typed by mistake names no alert. */
export const MAX_ALERT_NUMBER = 2147483647;
export function isAlertNumber(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_ALERT_NUMBER;
}
