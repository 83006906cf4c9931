/** `+77001234567` → `+7******4567`: enough to correlate log lines, not enough to identify a person. */
export function maskPhone(e164: string): string {
  if (e164.length <= 6) return '*'.repeat(e164.length);
  return `${e164.slice(0, 2)}${'*'.repeat(e164.length - 6)}${e164.slice(-4)}`;
}
