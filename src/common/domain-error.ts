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
};

/** An error a service throws on purpose: a code, a sentence for humans, optional details. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
