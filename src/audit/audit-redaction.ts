/**
 * Keys whose values never reach the audit table, in queries and bodies alike: any key containing
 * one of these words, or a short signature parameter (`sig`, `x-sig`) as in signed URLs.
 */
const SECRET_WORDS =
  'token|password|passwd|pwd|passphrase|secret|auth|bearer|api[-_]?key|private[-_]?key|cookie|credential|creds?|session|signature';
const SECRET_KEY = new RegExp(`${SECRET_WORDS}|(^|[-_.])sig$`, 'i');
export const REDACTED = '[REDACTED]';

/**
 * Necessary for any secret key in a text (a secret word, or `sig` ending a key): text where it
 * does not match holds none, and the costlier per-key work can be skipped.
 */
const MAYBE_SECRET = new RegExp(`${SECRET_WORDS}|sig`, 'i');

/** The verdicts of the keys seen so far: traffic uses a handful of keys, a regex per key is not free. */
const secretKeyCache = new Map<string, boolean>();
const SECRET_KEY_CACHE_MAX = 1024;

function isSecretKey(key: string): boolean {
  let secret = secretKeyCache.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    if (key.length <= 64 && secretKeyCache.size < SECRET_KEY_CACHE_MAX)
      secretKeyCache.set(key, secret);
  }
  return secret;
}

/**
 * True when a raw query string certainly has no secret-looking parameter and no NUL: no escape
 * (so every key reads as sent) and no secret word anywhere in it.
 */
export function isPlainQuery(rawQuery: string): boolean {
  return !rawQuery.includes('%') && !MAYBE_SECRET.test(rawQuery);
}

/** A deep copy with every secret-looking key's value replaced; depth-limited so a hostile body cannot recurse us to death. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return stripNul(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 20) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    out[stripNul(k)] = isSecretKey(k) ? REDACTED : redactDeep(v, depth + 1);
  return out;
}

/** Path plus query with secret-looking parameters' values replaced. */
/** maxLength leaves room for the truncation marker inside the column's 2048 characters. */
export function redactUrl(originalUrl: string, maxLength = 1900): string {
  const q = originalUrl.indexOf('?');
  let url = originalUrl;
  if (q >= 0 && !isPlainQuery(originalUrl.slice(q + 1))) {
    const params = originalUrl
      .slice(q + 1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        const rawKey = eq >= 0 ? pair.slice(0, eq) : pair;
        let key = rawKey;
        try {
          key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
        } catch {
          // a malformed escape: judge the raw key
        }
        return isSecretKey(key) && eq >= 0 ? `${rawKey}=${encodeURIComponent(REDACTED)}` : pair;
      });
    url = `${originalUrl.slice(0, q)}?${params.join('&')}`;
  }
  return truncateText(url, maxLength);
}

/** Text cut to at most maxBytes UTF-8 bytes, with a marker saying how long it was. */
export function truncateText(text: string, maxBytes: number): string {
  // Fast path: a string is at most 3 bytes per UTF-16 unit, so short strings need no byte count.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  return `${Buffer.from(text).subarray(0, maxBytes).toString('utf8')}…[truncated: ${bytes} bytes]`;
}

/** Response text with secret-looking JSON keys redacted; the parse only happens when such a key appears. */
const SECRET_JSON_KEY = new RegExp(`"([^"]*(${SECRET_WORDS})[^"]*|([^"]*[-_.])?sig)"\\s*:`, 'i');
/** Necessary for SECRET_JSON_KEY to match, and four times cheaper to look for. */
const MAYBE_SECRET_JSON_KEY = new RegExp(`${SECRET_WORDS}|sig"`, 'i');
export function redactJsonText(text: string): string {
  if (!MAYBE_SECRET_JSON_KEY.test(text) || !SECRET_JSON_KEY.test(text)) return text;
  try {
    return JSON.stringify(redactDeep(JSON.parse(text)));
  } catch {
    return text;
  }
}

/** PostgreSQL refuses NUL in text and jsonb: one such byte from a client would make a batch fail forever. */
export function stripNul(text: string): string {
  return text.includes('\u0000') ? text.split('\u0000').join('\\u0000') : text;
}
