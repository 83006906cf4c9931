import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DatabaseAvailability } from './database-unavailable';

/** The app's DatabaseAvailability: probes through its DataSource, and stops probing before the pool closes. */
@Injectable()
export class DatabaseAvailabilityService extends DatabaseAvailability implements BeforeApplicationShutdown {
  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource);
  }

  beforeApplicationShutdown(): void {
    this.stop();
  }
}
