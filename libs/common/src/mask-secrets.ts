/** `text` with every occurrence of each non-empty secret replaced by `***`, before it is quoted in a message. */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  return secrets.reduce<string>((masked, secret) => (secret ? masked.split(secret).join('***') : masked), text);
}
