// How supabase-js 2.119 hands the user's JWT to the server beyond the first join, and that
// the server keeps the channel's user through it:
//   - setAuth(token) without the accessToken option (the README's alternative): right after
//     the join succeeds, realtime-js pushes `access_token` with the ANON KEY (its accessToken
//     fallback when there is no Supabase Auth session). The channel must stay the user's.
//   - a refreshing accessToken callback: every heartbeat that yields a new token pushes it as
//     `access_token`; the channel stays joined and keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bounded, sleep } from './lib/deadline.mjs';
import { assertFields } from './lib/expect.mjs';
import { newCallId, newRoomName, uniqueUser } from './lib/ids.mjs';
import { userToken } from './lib/jwt.mjs';
import { newSignaling, signalTypes, untilJoined } from './lib/signaling.mjs';
import { useServer } from './lib/suite.mjs';

const ctx = useServer();
const SIGNAL_MS = 5000;
const QUIET_MS = 500;

const next = (signaling, type) =>
  signaling.signals.next((s) => s?.type === type, SIGNAL_MS, `"${type}"`);

// B is called, answers, and A hangs up: proves B's channel still receives as B and that B's
// sends are still taken as B's.
async function callThrough(alice, bob) {
  const callId = newCallId();
  const roomName = newRoomName();
  await bounded(alice.initiateCall(bob.userId, callId, roomName));
  assertFields(
    await next(bob, 'call'),
    { type: 'call', from: alice.userId, to: bob.userId, callId, roomName },
    'call at B',
  );
  await bounded(bob.answerCall(callId));
  assertFields(
    await next(alice, 'answer'),
    { type: 'answer', from: bob.userId, to: alice.userId, callId, roomName },
    'answer at A',
  );
  await bounded(alice.hangup(callId));
  assertFields(
    await next(bob, 'hangup'),
    { type: 'hangup', from: alice.userId, callId, reason: 'completed' },
    'hangup at B',
  );
}

test(
  'setAuth(token): the anon-key access_token push after the join does not demote the channel',
  { timeout: 30_000 },
  async (t) => {
    const alice = newSignaling(t, ctx, uniqueUser('alice'));
    const bob = newSignaling(t, ctx, uniqueUser('bob'), { authMode: 'setAuth' });
    await Promise.all([untilJoined(alice), untilJoined(bob)]);
    await sleep(QUIET_MS); // the push follows the join reply at once; let the server process it
    assert.equal(bob.channel.state, 'joined', 'B after the access_token push');

    await callThrough(alice, bob);
    await sleep(QUIET_MS);
    assert.deepEqual(signalTypes(bob), ['call', 'hangup'], 'everything B received');
  },
);

test(
  'a refreshed token pushed as access_token keeps the channel joined and working',
  { timeout: 30_000 },
  async (t) => {
    const a = uniqueUser('alice');
    const b = uniqueUser('bob');
    let issued = 0;
    // A new token on every call (exp moves by a second each time), as after a session refresh.
    const refreshing = async () => userToken(ctx.secret, b, { ttlSeconds: 3600 + issued++ });
    const alice = newSignaling(t, ctx, a);
    const bob = newSignaling(t, ctx, b, { token: refreshing, heartbeatIntervalMs: 500 });
    await Promise.all([untilJoined(alice), untilJoined(bob)]);
    const before = issued;
    await sleep(2000); // about four heartbeats, each pushing a new token
    assert.ok(issued - before >= 3, `the accessToken callback ran ${issued - before} times`);
    assert.equal(bob.channel.state, 'joined', 'B after the refreshes');

    await callThrough(alice, bob);
  },
);
