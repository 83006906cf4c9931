import { createHmac } from 'node:crypto';
import { isValidTwilioSignature, twilioSignature, urlPortVariants } from './twilio-signature';

// Twilio's published validation example (api-snippets, security/signature_validation).
const EXAMPLE_TOKEN = '12345';
const EXAMPLE_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const EXAMPLE_PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675310',
  Digits: '1234',
  From: '+14158675310',
  To: '+18005551212',
};
const EXAMPLE_SIGNATURE = 'GvWf1cFY/Q7PnoempGyD5oXAezc=';

describe('twilioSignature', () => {
  it("matches Twilio's published example", () => {
    expect(twilioSignature(EXAMPLE_TOKEN, EXAMPLE_URL, EXAMPLE_PARAMS)).toBe(EXAMPLE_SIGNATURE);
  });

  it('signs a repeated key with each distinct value, sorted', () => {
    const expected = createHmac('sha1', 'token').update('https://x.test/hookAaBa1Ba2').digest('base64');
    expect(twilioSignature('token', 'https://x.test/hook', { B: ['a2', 'a1', 'a2'], A: 'a' })).toBe(expected);
  });
});

describe('isValidTwilioSignature', () => {
  it('accepts the right signature and refuses a wrong or truncated one', () => {
    expect(isValidTwilioSignature(EXAMPLE_TOKEN, EXAMPLE_SIGNATURE, EXAMPLE_URL, EXAMPLE_PARAMS)).toBe(true);
    expect(isValidTwilioSignature('54321', EXAMPLE_SIGNATURE, EXAMPLE_URL, EXAMPLE_PARAMS)).toBe(false);
    expect(isValidTwilioSignature(EXAMPLE_TOKEN, EXAMPLE_SIGNATURE.slice(0, -1), EXAMPLE_URL, EXAMPLE_PARAMS)).toBe(
      false,
    );
    expect(isValidTwilioSignature(EXAMPLE_TOKEN, '', EXAMPLE_URL, EXAMPLE_PARAMS)).toBe(false);
  });

  it('accepts a signature made over the URL with the explicit default port', () => {
    const withPort = twilioSignature(EXAMPLE_TOKEN, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', EXAMPLE_PARAMS);
    expect(isValidTwilioSignature(EXAMPLE_TOKEN, withPort, EXAMPLE_URL, EXAMPLE_PARAMS)).toBe(true);
    expect(
      isValidTwilioSignature(
        EXAMPLE_TOKEN,
        EXAMPLE_SIGNATURE,
        'https://mycompany.com:443/myapp.php?foo=1&bar=2',
        EXAMPLE_PARAMS,
      ),
    ).toBe(true);
  });
});

describe('urlPortVariants', () => {
  it.each([
    ['https://a.test/p?q=1', ['https://a.test/p?q=1', 'https://a.test:443/p?q=1']],
    ['https://a.test:443/p', ['https://a.test/p', 'https://a.test:443/p']],
    ['http://a.test/p', ['http://a.test/p', 'http://a.test:80/p']],
    ['http://user:pw@[::1]:80/p', ['http://user:pw@[::1]/p', 'http://user:pw@[::1]:80/p']],
    ['https://a.test:8443/p', ['https://a.test:8443/p']],
    ['http://a.test:443/p', ['http://a.test:443/p']],
    ['/api/v1/sms-auth/webhooks/twilio', ['/api/v1/sms-auth/webhooks/twilio']],
  ])('%s → %j', (url, variants) => {
    expect(urlPortVariants(url)).toEqual(variants);
  });
});
