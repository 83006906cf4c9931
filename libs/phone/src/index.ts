export * from './phone-number';
export * from './phone.service';
export * from './phone.module';
