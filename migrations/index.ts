import { InitialSchema1795240056819 } from './1795240056819-InitialSchema';
import { AuditEventsAppendOnly1795240100000 } from './1795240100000-AuditEventsAppendOnly';

/** Every migration, oldest first. `npm run migration:generate` writes a new file; add it here. */
export const MIGRATIONS = [InitialSchema1795240056819, AuditEventsAppendOnly1795240100000];
