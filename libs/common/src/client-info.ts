/** Who made a request, as recorded in the audit trail. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export const UNKNOWN_CLIENT: ClientInfo = { ip: null, userAgent: null };
