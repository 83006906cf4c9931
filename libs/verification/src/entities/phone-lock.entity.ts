import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A phone barred from sending and verifying until `locked_until`, after too many wrong codes in 24 h. */
@Entity({ name: 'phone_locks' })
export class PhoneLock {
  @PrimaryColumn({ name: 'phone_number', type: 'varchar', length: 16 }) phoneNumber: string;

  @Column({ name: 'locked_until', type: 'timestamptz' }) lockedUntil: Date;

  @Column({ type: 'varchar', length: 64 }) reason: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
