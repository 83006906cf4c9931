import { Logger } from '@nestjs/common';
import { DeliveryStatus } from '../delivery-status';
import { ConsoleSmsProvider } from './console.sms-provider';

const MESSAGE = { to: '+77001234567', text: 'Ваш код подтверждения sms-auth: 482913. Код действителен 5 минут.' };

describe(ConsoleSmsProvider.name, () => {
  let log: jest.SpyInstance;
  const logged = () => log.mock.calls.map((args) => args.map(String).join(' ')).join('\n');

  beforeEach(() => {
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it("is named 'console'", () => {
    expect(new ConsoleSmsProvider({ revealText: true }).name).toBe('console');
  });

  it('logs the recipient and the whole text when revealText is on', async () => {
    await new ConsoleSmsProvider({ revealText: true }).send(MESSAGE);
    expect(log).toHaveBeenCalled();
    expect(logged()).toContain(MESSAGE.text);
    expect(logged()).toContain(MESSAGE.to);
  });

  it('never logs the text, the code or the full number when revealText is off', async () => {
    await new ConsoleSmsProvider({ revealText: false }).send(MESSAGE);
    expect(log).toHaveBeenCalled();
    expect(logged()).not.toContain(MESSAGE.text);
    expect(logged()).not.toContain('482913');
    expect(logged()).not.toContain(MESSAGE.to);
  });

  it.each([true, false])('answers a console- message id, delivered (revealText=%p)', async (revealText) => {
    const result = await new ConsoleSmsProvider({ revealText }).send(MESSAGE);
    expect(result.messageId).toMatch(/^console-[0-9a-f-]{36}$/);
    expect(result.status).toBe(DeliveryStatus.Delivered);
  });

  it('gives each message its own id', async () => {
    const sut = new ConsoleSmsProvider({ revealText: false });
    const [a, b] = await Promise.all([sut.send(MESSAGE), sut.send(MESSAGE)]);
    expect(a.messageId).not.toBe(b.messageId);
  });
});
