// Builds the seed's CallSignaling for one user of the test server, exactly as the app would
// (the factory returns a plain supabase-js client with that user's JWT), and tears it down
// after the test.
import { defineCallSignaling } from '../call_signaling.mjs';
import { waitUntil } from './deadline.mjs';
import { userToken } from './jwt.mjs';
import { closeSupabase, createSupabase } from './supabase.mjs';

// opts: token (default: a valid token for userId) plus createSupabase's options (vsn, fetch…).
export function newSignaling(t, ctx, userId, opts = {}) {
  const token = opts.token ?? userToken(ctx.secret, userId);
  const CallSignaling = defineCallSignaling(() =>
    createSupabase(ctx, token, { label: userId, ...opts }),
  );
  const signaling = new CallSignaling(userId);
  t.after(() => stopSignaling(signaling));
  return signaling;
}

// The seed has no subscribe callback, so its channel state is polled. The deadline allows for
// the first join being refused: the seed subscribes before supabase-js has resolved the
// accessToken callback, and realtime-js rejoins with the token 1 s after the error reply.
export function untilJoined(signaling, ms = 8000) {
  const { channel, supabase } = signaling;
  return waitUntil(
    () => channel.state === 'joined',
    ms,
    () => {
      const reply = JSON.stringify(channel.joinPush.receivedResp);
      const socket = supabase.realtime.connectionState();
      const state = `channel ${channel.state}, socket ${socket}, last join reply ${reply}`;
      return `calls:${signaling.userId} to be joined (${state})`;
    },
  );
}

export async function stopSignaling(signaling) {
  signaling.cleanup(); // the seed's own teardown (removeChannel, not awaited by the seed)
  await closeSupabase(signaling.supabase);
}

// The signal types a user received so far, in order, for "and nothing else" checks.
export const signalTypes = (signaling) => signaling.signals.received.map((s) => s?.type);
