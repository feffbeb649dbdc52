// The subject of an alert email: written into the email outbox row when the alert is created
// (src/outbox/write.ts) and rendered again at send time (src/channels/email/render.ts).
import { headline } from './when.js';

/** BATSIGNAL #12: Ransomware spreading via SMB... (EXERCISE first when it is one). */
export function emailSubject(a: { number: number; summary: string; exercise: boolean }): string {
  return `${a.exercise ? 'EXERCISE ' : ''}BATSIGNAL #${a.number}: ${headline(a.summary, 80)}`;
}

/** BATSIGNAL #12 UPDATE: <start of the text> / BATSIGNAL #12 ALL CLEAR: <start of the text> (EXERCISE first when it is one). */
export function followUpSubject(f: { number: number; kind: 'update' | 'allclear'; text: string; exercise: boolean; advisory?: boolean }): string {
  const words = headline(f.text, 80);
  const what = f.kind === 'update' ? 'UPDATE' : 'ALL CLEAR';
  return `${f.exercise ? 'EXERCISE ' : ''}${f.advisory ? 'NHS CYBER ADVISORY' : 'BATSIGNAL'} #${f.number} ${what}${words ? `: ${words}` : ''}`;
}
