import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** The operators' dashboard page at GET /admin (no key needed for the page; its data calls need one). */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
