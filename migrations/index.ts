import { InitialSchema1795240056819 } from './1795240056819-InitialSchema';
import { AuditEventsAppendOnly1795240100000 } from './1795240100000-AuditEventsAppendOnly';
import { TrackSmsDeliveryStatus1795241726949 } from './1795241726949-TrackSmsDeliveryStatus';
import { IndexAdminQueries1795242379114 } from './1795242379114-IndexAdminQueries';
import { HotPathFunctions1795300000000 } from './1795300000000-HotPathFunctions';
import { PhoneBlocks1795310000000 } from './1795310000000-PhoneBlocks';
import { DeliveryChannels1795320000000 } from './1795320000000-DeliveryChannels';
import { DeliveryFailover1795335000000 } from './1795335000000-DeliveryFailover';
import { FraudGuardTables1795350000000 } from './1795350000000-FraudGuardTables';
import { FraudGuardFunctions1795351000000 } from './1795351000000-FraudGuardFunctions';
import { PartitionAuditEvents1795362000000 } from './1795362000000-PartitionAuditEvents';
import { StatsRollups1795365000000 } from './1795365000000-StatsRollups';
import { PlpgsqlWriters1795370000000 } from './1795370000000-PlpgsqlWriters';
import { RefreshBatchByIndex1795371000000 } from './1795371000000-RefreshBatchByIndex';
import { FraudGuardInlined1795372000000 } from './1795372000000-FraudGuardInlined';

/** Every migration, oldest first. `npm run migration:generate` writes a new file; add it here. */
export const MIGRATIONS = [
  InitialSchema1795240056819,
  AuditEventsAppendOnly1795240100000,
  TrackSmsDeliveryStatus1795241726949,
  IndexAdminQueries1795242379114,
  HotPathFunctions1795300000000,
  PhoneBlocks1795310000000,
  DeliveryChannels1795320000000,
  DeliveryFailover1795335000000,
  FraudGuardTables1795350000000,
  FraudGuardFunctions1795351000000,
  PartitionAuditEvents1795362000000,
  StatsRollups1795365000000,
  PlpgsqlWriters1795370000000,
  RefreshBatchByIndex1795371000000,
  FraudGuardInlined1795372000000,
];
