// Native-protocol clients and the seed app's supabase-js CallSignaling share one call engine:
// a native caller rings a Supabase callee and the reverse, through ringing, answer and hangup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bounded, sleep } from './lib/deadline.mjs';
import { assertFields, assertPositiveAtMost } from './lib/expect.mjs';
import { newCallId, newRoomName, uniqueUser } from './lib/ids.mjs';
import { userToken } from './lib/jwt.mjs';
import { connectNative } from './lib/native_client.mjs';
import { newSignaling, signalTypes, untilJoined } from './lib/signaling.mjs';
import { useServer } from './lib/suite.mjs';

const ctx = useServer();
const RING_MS = 30_000;
const SIGNAL_MS = 5000;
const QUIET_MS = 500;

async function native(t, userId) {
  const client = await connectNative(ctx.server, userToken(ctx.secret, userId), {
    label: `native ${userId}`,
  });
  t.after(() => client.close());
  return client;
}

const nextSignal = (signaling, type) =>
  signaling.signals.next((s) => s?.type === type, SIGNAL_MS, `"${type}"`);

test(
  'a native caller rings a Supabase callee, who answers; the native caller hangs up',
  { timeout: 30_000 },
  async (t) => {
    const a = uniqueUser('native-alice');
    const b = uniqueUser('sb-bob');
    const bob = newSignaling(t, ctx, b);
    await untilJoined(bob);
    const alice = await native(t, a);
    const callId = newCallId();
    const roomName = newRoomName();

    const ack = await alice.command({ type: 'call', to: b, callId, roomName });
    assert.equal(ack.callId, callId);
    const call = await nextSignal(bob, 'call');
    assertFields(
      call,
      { type: 'call', from: a, to: b, callId, roomName, media: 'audio' },
      'call-signal at B',
    );
    assertPositiveAtMost(call.expiresInMs, RING_MS, 'call.expiresInMs');

    // The seed app never sends ringing; a richer app would, on its own calls channel.
    await bounded(
      bob.channel.send({
        type: 'broadcast',
        event: 'call-signal',
        payload: { type: 'ringing', callId },
      }),
    );
    assertFields(
      await alice.next('ringing', SIGNAL_MS),
      { callId, from: b },
      'native ringing at A',
    );

    await bounded(bob.answerCall(callId));
    assertFields(await alice.next('answer', SIGNAL_MS), { callId, from: b }, 'native answer at A');

    await alice.command({ type: 'hangup', callId });
    assertFields(
      await nextSignal(bob, 'hangup'),
      { type: 'hangup', from: a, to: b, callId, roomName, reason: 'completed' },
      'call-signal hangup at B',
    );
    assertFields(
      await alice.next('ended', SIGNAL_MS),
      { callId, reason: 'completed', by: a },
      'native ended at A',
    );

    await sleep(QUIET_MS);
    assert.deepEqual(signalTypes(bob), ['call', 'hangup'], 'everything B received');
  },
);

test(
  'a Supabase caller rings a native callee, who answers and hangs up',
  { timeout: 30_000 },
  async (t) => {
    const a = uniqueUser('sb-alice');
    const b = uniqueUser('native-bob');
    const alice = newSignaling(t, ctx, a);
    const bob = await native(t, b);
    await untilJoined(alice);
    const callId = newCallId();
    const roomName = newRoomName();

    await bounded(alice.initiateCall(b, callId, roomName));
    const call = await bob.next('call', SIGNAL_MS);
    assertFields(call, { callId, from: a, to: b, roomName, media: 'audio' }, 'native call at B');
    assertPositiveAtMost(call.expiresInMs, RING_MS, 'call.expiresInMs');

    await bob.command({ type: 'ringing', callId });
    assertFields(
      await nextSignal(alice, 'ringing'),
      { type: 'ringing', from: b, to: a, callId },
      'ringing at A',
    );

    await bob.command({ type: 'answer', callId });
    assertFields(
      await nextSignal(alice, 'answer'),
      { type: 'answer', from: b, to: a, callId, roomName },
      'call-signal answer at A',
    );

    await bob.command({ type: 'hangup', callId });
    assertFields(
      await nextSignal(alice, 'hangup'),
      { type: 'hangup', from: b, to: a, callId, roomName, reason: 'completed' },
      'call-signal hangup at A',
    );
    assertFields(
      await bob.next('ended', SIGNAL_MS),
      { callId, reason: 'completed', by: b },
      'native ended at B',
    );

    await sleep(QUIET_MS);
    assert.deepEqual(signalTypes(alice), ['ringing', 'answer', 'hangup'], 'everything A received');
  },
);
