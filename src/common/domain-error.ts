import { STATUS_CODES } from 'node:http';

/** Stable error codes a service may throw; the HTTP filter maps each to a status. */
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  FileRefused = 'FILE_REFUSED',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  ModelUnavailable = 'MODEL_UNAVAILABLE',
  MissingFeature = 'MISSING_FEATURE',
  ArtifactCorrupt = 'ARTIFACT_CORRUPT',
  AdminDisabled = 'ADMIN_DISABLED',
  Unauthorized = 'UNAUTHORIZED',
  TooManyRequests = 'TOO_MANY_REQUESTS',
  InternalError = 'INTERNAL_ERROR',
}

export const ERROR_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.FileRefused]: 422,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.ModelUnavailable]: 503,
  [ErrorCode.MissingFeature]: 400,
  [ErrorCode.ArtifactCorrupt]: 500,
  [ErrorCode.AdminDisabled]: 503,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.TooManyRequests]: 429,
  [ErrorCode.InternalError]: 500,
};

/** The code of an error raised outside the services (the framework, a guard, a body parser): by its status. */
export function codeForStatus(status: number): string {
  const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find(
    (c) =>
      ERROR_STATUS[c] === status &&
      c !== ErrorCode.MissingFeature &&
      c !== ErrorCode.AdminDisabled &&
      c !== ErrorCode.ArtifactCorrupt,
  );
  if (code) return code;
  return (STATUS_CODES[status] ?? 'Error').toUpperCase().replace(/[^A-Z]+/g, '_');
}

/**
 * One entry of an error's `details`: what it is about (a request field as a path such as
 * `items.3.carat`, a query or path parameter, or a fact such as `runningRunId`), each rule it
 * broke with its message, and a value the client needs to act on, when there is one.
 */
export interface ErrorDetail {
  field: string;
  rules: Record<string, string>;
  value?: number | string;
}

/** An error a service throws on purpose: a code, a sentence for humans, optional details. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
