/**
 * One request and the response it got, as the recorder builds it and the spool keeps it
 * (one JSON line each). The id is made before the spool append, so a replay after a crash
 * inserts the same row again and the unique key turns the second insert into a no-op.
 */
export interface AuditRecordData {
  id: string;
  requestId: string;
  /** ISO time the request arrived. */
  occurredAt: string;
  method: string;
  /** Route pattern (`/v1/admin/audit-records/:id`); null when no route matched (404). */
  route: string | null;
  /** Path and query as sent, secrets redacted. */
  url: string;
  query: Record<string, unknown> | null;
  requestBody: string | null;
  status: number;
  responseBody: string | null;
  durationMs: number;
  clientIp: string | null;
  userAgent: string | null;
  modelFamily: string | null;
  modelVersion: number | null;
  errorMessage: string | null;
}
