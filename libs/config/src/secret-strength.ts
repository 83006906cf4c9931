const PLACEHOLDER_WORDS = ['change', 'secret', 'example', 'placeholder', 'password', 'default', 'xxxx', '1234'];

/** True for values that look like a placeholder or carry too little entropy to sign tokens in production. */
export function isWeakSecret(value: string | undefined): boolean {
  if (!value || value.length < 32) return true;
  const lower = value.toLowerCase();
  if (PLACEHOLDER_WORDS.some((word) => lower.includes(word))) return true;
  return new Set(value).size < 12;
}
