export * from './entities/verification-status';
export * from './entities/sms-verification.entity';
export * from './entities/sms-delivery.entity';
export * from './entities/phone-lock.entity';
export * from './code-hasher';
export * from './send-policy';
export * from './verification.service';
export * from './verification.module';
