/** `SMS_PRICES="mobizon=0.012;twilio=0.0079"` → provider → price as a decimal string (exact; summed in SQL). */
export function parseSmsPrices(raw: string): Map<string, string> {
  const prices = new Map<string, string>();
  for (const entry of raw
    .split(';')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [provider, price] = entry.split('=').map((part) => part.trim());
    prices.set(provider.toLowerCase(), price);
  }
  return prices;
}
