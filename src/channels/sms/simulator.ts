// Placeholder: the demo phone simulator (outbound texts land in per-number inboxes).
export interface PhoneSimulator {
  readonly name: string;
}
