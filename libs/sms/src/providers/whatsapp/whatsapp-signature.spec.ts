import { hubSignature, isValidHubSignature } from './whatsapp-signature';

// A published vector (the whatsapp_sdk Elixir docs: compute_signature("test", "secret")), independent of our code.
const SECRET = 'secret';
const BODY = Buffer.from('test');
const SIGNATURE = 'sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914';

describe('X-Hub-Signature-256', () => {
  it('matches the published vector', () => {
    expect(hubSignature(SECRET, BODY)).toBe(SIGNATURE);
  });

  it('accepts the right signature in either case and refuses anything else', () => {
    expect(isValidHubSignature(SECRET, SIGNATURE, BODY)).toBe(true);
    expect(isValidHubSignature(SECRET, SIGNATURE.toUpperCase(), BODY)).toBe(true);
    expect(isValidHubSignature('other', SIGNATURE, BODY)).toBe(false);
    expect(isValidHubSignature(SECRET, SIGNATURE, Buffer.from('test '))).toBe(false);
    expect(isValidHubSignature(SECRET, SIGNATURE.slice(0, -1), BODY)).toBe(false);
    expect(isValidHubSignature(SECRET, SIGNATURE.slice('sha256='.length), BODY)).toBe(false);
    expect(isValidHubSignature(SECRET, '', BODY)).toBe(false);
  });
});
