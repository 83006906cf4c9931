import { AuditEvent } from '@app/audit';
import { RefreshToken, Session, User } from '@app/auth';
import { PhoneLock, SmsDelivery, SmsVerification } from '@app/verification';
import { MIGRATIONS } from '../../../../migrations';

/** Every entity and migration of the service: the app, the CLI data source and the tests share this list. */
export const ENTITIES = [User, Session, RefreshToken, SmsVerification, SmsDelivery, PhoneLock, AuditEvent];
export { MIGRATIONS };
