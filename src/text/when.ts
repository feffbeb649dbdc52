// How an alert's time reads to members: UK time, whatever the server's zone.
const ukTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});

/** "Mon, 23 Nov 2026, 14:05 GMT" */
export function formatUkTime(d: Date): string {
  return ukTime.format(d);
}

/** "+447700900999" from Vonage-style digits. */
export function displayNumber(digits: string): string {
  return `+${digits.replace(/^\+/, '')}`;
}

/** The start of a text, cut at a word boundary, with "..." when cut. */
export function headline(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 3);
  const space = cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s.,;:-]+$/, '') + '...';
}
