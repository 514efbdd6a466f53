import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { timingSafeEqual, createHash } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from './domain-error';

/** sha256 of a token: both sides hashed, so the comparison is constant-time whatever the lengths. */
function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * A bearer-token check against a set of accepted tokens, compared in constant time (every token
 * compared, whichever matches: the time does not say which one it was). With no token accepted,
 * 503; without a bearer header or with another token, 401. The messages are the guard's.
 */
abstract class BearerTokenGuard implements CanActivate {
  private readonly accepted: Buffer[];

  protected constructor(
    tokens: readonly (string | undefined)[],
    private readonly messages: { disabled: string; missing: string; invalid: string },
  ) {
    this.accepted = tokens.filter((token): token is string => Boolean(token)).map(tokenHash);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.accepted.length === 0)
      throw new DomainError(ErrorCode.AdminDisabled, this.messages.disabled);
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    const header = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) throw new DomainError(ErrorCode.Unauthorized, this.messages.missing);
    const given = tokenHash(match[1].trim());
    const matches = this.accepted.map((expected) => timingSafeEqual(given, expected));
    if (!matches.includes(true))
      throw new DomainError(ErrorCode.Unauthorized, this.messages.invalid);
    return true;
  }
}

/**
 * Admin endpoints need `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
 * With no token configured they answer 503 "admin disabled".
 */
@Injectable()
class AdminAuthGuard extends BearerTokenGuard {
  constructor(config: AppConfig) {
    super([config.ADMIN_TOKEN], {
      disabled: 'Admin endpoints are disabled: no ADMIN_TOKEN is configured',
      missing: 'Missing bearer token: send Authorization: Bearer <ADMIN_TOKEN>',
      invalid: 'Invalid admin token',
    });
  }
}

/**
 * Marks a controller or route as admin-only, in code and in the OpenAPI document. Never throttled:
 * operators must get through when the public API is saturated.
 */
export function AdminOnly() {
  return applyDecorators(
    UseGuards(AdminAuthGuard),
    SkipThrottle(),
    ApiBearerAuth('admin'),
    ApiResponse({ status: 401, description: 'Missing or invalid bearer token' }),
    ApiResponse({ status: 503, description: 'Admin disabled: no ADMIN_TOKEN configured' }),
  );
}

/**
 * Staff endpoints (the store's outcomes) take `Authorization: Bearer <STAFF_TOKEN>` or the admin
 * token, compared in constant time. With neither configured they answer 503.
 */
@Injectable()
class StaffAuthGuard extends BearerTokenGuard {
  constructor(config: AppConfig) {
    super([config.ADMIN_TOKEN, config.STAFF_TOKEN], {
      disabled: 'Staff endpoints are disabled: neither STAFF_TOKEN nor ADMIN_TOKEN is configured',
      missing: 'Missing bearer token: send Authorization: Bearer <STAFF_TOKEN or ADMIN_TOKEN>',
      invalid: 'Invalid token',
    });
  }
}

/** Marks a controller or route as staff-only (STAFF_TOKEN or ADMIN_TOKEN), in code and in OpenAPI. */
export function StaffOnly() {
  return applyDecorators(
    UseGuards(StaffAuthGuard),
    ApiBearerAuth('staff'),
    ApiResponse({ status: 401, description: 'Missing or invalid bearer token' }),
    ApiResponse({
      status: 503,
      description: 'Staff endpoints disabled: neither STAFF_TOKEN nor ADMIN_TOKEN configured',
    }),
  );
}
