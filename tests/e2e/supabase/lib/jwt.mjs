// Mints HS256 JWTs like Supabase's: user access tokens (sub + role authenticated) and the
// anon key (role anon, no sub), signed with node:crypto so the suite needs no JWT library.
import { createHmac, randomBytes } from 'node:crypto';

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

export function signHs256(claims, secret) {
  const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

// What Supabase Auth issues for a signed-in user (aud and iat included for realism).
export function userToken(secret, userId, { ttlSeconds = 3600 } = {}) {
  const now = nowSeconds();
  return signHs256(
    { sub: userId, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + ttlSeconds },
    secret,
  );
}

// Correctly signed but expired two minutes ago (well past any clock-skew leeway).
export function expiredUserToken(secret, userId) {
  const now = nowSeconds();
  return signHs256(
    { sub: userId, role: 'authenticated', aud: 'authenticated', iat: now - 3600, exp: now - 120 },
    secret,
  );
}

// The project's public anon key: no sub, so it never identifies a user.
export function anonKey(secret) {
  const now = nowSeconds();
  return signHs256(
    { iss: 'supabase', role: 'anon', iat: now, exp: now + 10 * 365 * 24 * 3600 },
    secret,
  );
}

// A secret nobody else uses, for tokens that must fail signature verification.
export const randomSecret = () => randomBytes(32).toString('hex');
