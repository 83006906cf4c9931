import { ErrorCode } from './error-code';

/** The HTTP status of each error code: the one table the error filter and the API docs share. */
export const ERROR_HTTP_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.InvalidPhone]: 400,
  [ErrorCode.CountryNotAllowed]: 403,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.ResendTooSoon]: 429,
  [ErrorCode.CodeInvalid]: 400,
  [ErrorCode.CodeExpired]: 410,
  [ErrorCode.MaxAttemptsReached]: 403,
  [ErrorCode.NoActiveCode]: 404,
  [ErrorCode.PhoneLocked]: 423,
  [ErrorCode.PhoneBlocked]: 403,
  [ErrorCode.SendBlocked]: 429,
  [ErrorCode.SmsProviderUnavailable]: 503,
  [ErrorCode.SmsProviderRejected]: 502,
  [ErrorCode.ChannelUnavailable]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.RefreshTokenReused]: 401,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.ServiceUnavailable]: 503,
  [ErrorCode.Internal]: 500,
};

export const ERROR_EXAMPLES: Record<ErrorCode, { message: string; details?: Record<string, unknown> }> = {
  [ErrorCode.ValidationFailed]: {
    message: 'The request is not valid',
    details: { fields: [{ field: 'phone_number', messages: ['phone_number must be a string'] }] },
  },
  [ErrorCode.InvalidPhone]: { message: 'This is not a valid phone number' },
  [ErrorCode.CountryNotAllowed]: {
    message: 'Codes cannot be sent to numbers of this country',
    details: { country: 'US' },
  },
  [ErrorCode.RateLimited]: {
    message: 'Too many codes were requested for this number; try again later',
    details: { retry_after: 1800, limit: 'phone_hour' },
  },
  [ErrorCode.ResendTooSoon]: { message: 'A new code can be requested in 60 s', details: { retry_after: 60 } },
  [ErrorCode.CodeInvalid]: { message: 'The code is wrong', details: { attempts_left: 4 } },
  [ErrorCode.CodeExpired]: { message: 'The code has expired; request a new one' },
  [ErrorCode.MaxAttemptsReached]: { message: 'Too many wrong codes; request a new one' },
  [ErrorCode.NoActiveCode]: { message: 'There is no active code for this number; request one' },
  [ErrorCode.PhoneLocked]: {
    message: 'This number is locked after too many wrong codes',
    details: { retry_after: 3600, locked_until: '2026-01-01T12:00:00.000Z' },
  },
  [ErrorCode.PhoneBlocked]: { message: 'This number is blocked by the operator' },
  [ErrorCode.SendBlocked]: {
    message: 'Codes cannot be sent to this number right now; try again later',
    details: { retry_after: 3600, reason: 'prefix_velocity' },
  },
  [ErrorCode.SmsProviderUnavailable]: {
    message: 'The SMS provider is unavailable; try again later',
    details: { provider: 'mobizon', provider_code: 'timeout' },
  },
  [ErrorCode.SmsProviderRejected]: {
    message: 'The SMS provider refused the message',
    details: { provider: 'mobizon', provider_code: '2' },
  },
  [ErrorCode.ChannelUnavailable]: {
    message: 'No configured provider of this number can deliver by telegram',
    details: { channel: 'telegram', country: 'KZ' },
  },
  [ErrorCode.Unauthorized]: { message: 'The access token is missing, invalid or expired' },
  [ErrorCode.RefreshTokenReused]: {
    message: 'This refresh token was already used; the session has been revoked. Sign in again.',
  },
  [ErrorCode.NotFound]: { message: 'Cannot POST /api/v1/nowhere' },
  [ErrorCode.ServiceUnavailable]: { message: 'Not ready', details: { checks: { database: { status: 'down' } } } },
  [ErrorCode.Internal]: { message: 'Internal server error' },
};
