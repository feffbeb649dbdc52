// The words members see for an alert. Pure.

export interface AlertWords {
  number: number;
  raiserName: string;
  raiserOrg: string;
  summary: string;
  exercise: boolean;
}

const exerciseTag = (a: { exercise: boolean }) => (a.exercise ? 'EXERCISE ' : '');

/** BATSIGNAL #12 from Jane Smith (Northtown Trust): <summary>. Reply ACK 12 to confirm. */
export function broadcastText(a: AlertWords): string {
  const from = a.raiserOrg ? `${a.raiserName} (${a.raiserOrg})` : a.raiserName;
  const summary = a.summary.trim().replace(/[.\s]+$/, '');
  const tail = a.exercise ? ' THIS IS AN EXERCISE.' : '';
  return `${exerciseTag(a)}BATSIGNAL #${a.number} from ${from}: ${summary}. Reply ACK ${a.number} to confirm.${tail}`;
}
