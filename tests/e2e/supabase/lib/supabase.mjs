// supabase-js clients pointed at the switchboard: `ws` as the realtime transport (node 20 has
// no global WebSocket), the user's JWT through the `accessToken` option (the way supabase-js
// 2.119 feeds realtime: join payload `access_token`, `access_token` pushes on change),
// bounded push timeouts, and a teardown that leaves no realtime-js timer running.
import assert from 'node:assert/strict';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { withTimeout } from './deadline.mjs';
import { Inbox } from './inbox.mjs';

// realtime-js's join/push timeout (default 10 s): shorter so a silent server fails fast.
const PUSH_TIMEOUT_MS = 5000;

// realtime-js logs through this instead of console (which also silences its REST-fallback
// warning); E2E_REALTIME_LOG=1 prints it for debugging.
function realtimeLogger(label) {
  if (process.env.E2E_REALTIME_LOG !== '1') return () => {};
  return (kind, msg, data) => console.error(`[${label}] ${kind}: ${msg}`, data ?? '');
}

// Exactly what an app's createClient wrapper returns: nothing awaited. Note that a channel
// subscribed right away joins before the accessToken callback has resolved, so its first
// phx_join carries no access_token (realtime-js rejoins with it after an error reply).
// `token`: the user's JWT, or an async function returning one (called on connect and on
// every heartbeat; a changed token is pushed to joined channels as `access_token`).
// Options: vsn ('1.0.0' | '2.0.0'), heartbeatIntervalMs, heartbeatCallback, fetch (recorded
// REST calls), anonKey (to present a bad one), label (for logs), and authMode: 'accessToken'
// (default) or 'setAuth' (no accessToken option; supabase.realtime.setAuth(token) right after
// createClient, the README's alternative).
export function createSupabase(ctx, token, opts = {}) {
  const realtime = {
    transport: WebSocket,
    timeout: PUSH_TIMEOUT_MS,
    logger: realtimeLogger(opts.label ?? 'realtime'),
  };
  for (const key of ['vsn', 'heartbeatIntervalMs', 'heartbeatCallback']) {
    if (opts[key] !== undefined) realtime[key] = opts[key];
  }
  const options = { realtime, ...(opts.fetch ? { global: { fetch: opts.fetch } } : {}) };
  if (opts.authMode === 'setAuth') {
    // No Supabase Auth session in these tests: don't let auth-js look for stored ones.
    options.auth = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };
    const client = createClient(ctx.server.httpUrl, opts.anonKey ?? ctx.anonKey, options);
    client.realtime.setAuth(token); // sets the token synchronously; the promise has no work left
    return client;
  }
  options.accessToken = typeof token === 'function' ? token : async () => token;
  return createClient(ctx.server.httpUrl, opts.anonKey ?? ctx.anonKey, options);
}

// A client whose realtime token is already resolved, so every phx_join carries the user's
// access_token from the first attempt: refusals and joins are then about that token only.
export async function supabaseClient(ctx, token, opts = {}) {
  const client = createSupabase(ctx, token, opts);
  await withTimeout(client.realtime.setAuth(), 2000, 'the accessToken callback');
  return client;
}

// The first status the subscribe callback reports (SUBSCRIBED, CHANNEL_ERROR, TIMED_OUT or
// CLOSED) with its error; later ones (realtime-js retries failed joins) are ignored.
// `joinReply` is the server's phx_reply to the join ({status, response}), or null when the
// status came from elsewhere: CHANNEL_ERROR is also what a failed socket produces.
export function subscribe(channel, ms = 8000) {
  const first = new Promise((resolve) =>
    channel.subscribe((status, err) =>
      resolve({ status, err, joinReply: channel.joinPush.receivedResp ?? null }),
    ),
  );
  return withTimeout(first, ms, `the first subscribe status of ${channel.topic}`);
}

export async function subscribed(channel, ms = 8000) {
  const { status, err } = await subscribe(channel, ms);
  assert.equal(
    status,
    'SUBSCRIBED',
    `subscribing ${channel.topic}: ${status} ${err?.message ?? ''}`,
  );
}

// Records every broadcast of `event` on `channel` (the whole message: type, event, payload).
// Must be called before subscribe().
export function listen(channel, event, label = channel.topic) {
  const inbox = new Inbox(label);
  channel.on('broadcast', { event }, (message) => inbox.push(message));
  return inbox;
}

// Leaves every channel and closes the socket, each step bounded: a server that never
// answers phx_leave must not stall the test, and nothing may keep node alive afterwards.
export async function closeSupabase(client) {
  try {
    await withTimeout(client.removeAllChannels(), 3000, 'removeAllChannels');
  } catch {
    // Fall through: disconnect below still stops the socket and its timers.
  }
  try {
    await withTimeout(client.realtime.disconnect(), 2000, 'realtime disconnect');
  } catch {
    // Nothing more to do; run.sh's --test-force-exit covers any timer realtime-js leaks.
  }
}
