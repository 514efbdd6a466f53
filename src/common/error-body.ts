import type { ErrorDetail } from './domain-error';

/** The one JSON shape of every error the API returns. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
  details?: ErrorDetail[];
  requestId?: string;
}
