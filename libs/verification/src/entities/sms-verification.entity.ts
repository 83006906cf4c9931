import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { DeliveryStatus } from '@app/sms';
import { VerificationStatus } from './verification-status';

/** One code sent to one phone. Never holds the code itself: only HMAC-SHA256(OTP_SECRET, id + ":" + code). */
@Entity({ name: 'sms_verifications' })
@Index('uq_sms_verifications_one_pending_per_phone', ['phoneNumber'], { unique: true, where: `status = 'pending'` })
// Admin pages are keyset-ordered by (created_at, id): each filter's index ends with both.
@Index('idx_sms_verifications_phone_created', ['phoneNumber', 'createdAt', 'id'])
@Index('idx_sms_verifications_created', ['createdAt', 'id'])
@Index('idx_sms_verifications_status_created', ['status', 'createdAt', 'id'])
@Index('idx_sms_verifications_provider_created', ['provider', 'createdAt', 'id'])
export class SmsVerification {
  @PrimaryGeneratedColumn('uuid') id: string;

  @Column({ name: 'phone_number', type: 'varchar', length: 16 }) phoneNumber: string;

  /** ISO 3166 alpha-2 of the number, for routing and statistics. */
  @Column({ type: 'varchar', length: 2, nullable: true }) country: string | null;

  @Column({ name: 'code_hash', type: 'char', length: 64 }) codeHash: string;

  @Column({ type: 'varchar', length: 32, default: VerificationStatus.Pending }) status: VerificationStatus;

  /** Wrong codes tried against this row. */
  @Column({ type: 'int', default: 0 }) attempts: number;

  @Column({ name: 'max_attempts', type: 'int' }) maxAttempts: number;

  @Column({ type: 'varchar', length: 8 }) locale: string;

  /** The provider that accepted the message (`test_number` when none was used). */
  @Column({ type: 'varchar', length: 32, nullable: true }) provider: string | null;

  /** The provider's message id (`sms_id` in responses). */
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true }) requestId: string | null;

  /**
   * The channel the statistics count the code under, kept by a trigger from its attempts (the one that
   * delivered it, else the last accepted); null while it is the default: `sms` once a provider took it, else none.
   */
  @Column({ type: 'varchar', length: 16, nullable: true }) channel: string | null;

  @Column({ name: 'delivery_status', type: 'varchar', length: 16, nullable: true })
  deliveryStatus: DeliveryStatus | null;

  @Column({ name: 'is_test_number', type: 'boolean', default: false }) isTestNumber: boolean;

  @Column({ type: 'varchar', length: 64, nullable: true }) ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true }) userAgent: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true }) verifiedAt: Date | null;

  @Column({ name: 'user_id', type: 'uuid', nullable: true }) userId: string | null;

  /** The code's place in its prefix's sequence of sends the fraud guard counted; null: not counted. */
  @Column({ name: 'fraud_seq', type: 'bigint', nullable: true }) fraudSeq: string | null;
}
