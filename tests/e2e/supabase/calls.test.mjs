// The seed app's CallSignaling on real supabase-js, two users: answer then hangup, reject
// (both on realtime protocol vsn 2.0.0 and 1.0.0), and a call placed before the caller's
// channel has joined, which realtime-js sends through the REST broadcast endpoint; a caller
// who cancels, and a callee who is not connected (unavailable).
// The ring timeout case is no_answer.test.mjs (it needs a server with a short one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bounded, sleep } from './lib/deadline.mjs';
import { assertFields, assertPositiveAtMost } from './lib/expect.mjs';
import { newCallId, newRoomName, uniqueUser } from './lib/ids.mjs';
import { userToken } from './lib/jwt.mjs';
import { newSignaling, signalTypes, untilJoined } from './lib/signaling.mjs';
import { useServer } from './lib/suite.mjs';

const ctx = useServer();
const RING_MS = 30_000; // the server's default --ring-timeout
const SIGNAL_MS = 5000; // deadline for each expected signal
const QUIET_MS = 500; // time for stray or duplicate signals to arrive before "nothing else"

const next = (signaling, type) =>
  signaling.signals.next((s) => s?.type === type, SIGNAL_MS, `"${type}"`);

for (const vsn of ['2.0.0', '1.0.0']) {
  test(`[vsn ${vsn}] A calls B, B answers, A hangs up`, { timeout: 30_000 }, async (t) => {
    const a = uniqueUser('alice');
    const b = uniqueUser('bob');
    const alice = newSignaling(t, ctx, a, { vsn });
    const bob = newSignaling(t, ctx, b, { vsn });
    await Promise.all([untilJoined(alice), untilJoined(bob)]);
    const callId = newCallId();
    const roomName = newRoomName();

    await bounded(alice.initiateCall(b, callId, roomName));
    const call = await next(bob, 'call');
    assertFields(
      call,
      { type: 'call', from: a, to: b, callId, roomName, media: 'audio' },
      'call at B',
    );
    assertPositiveAtMost(call.expiresInMs, RING_MS, 'call.expiresInMs');

    await bounded(bob.answerCall(callId));
    assertFields(
      await next(alice, 'answer'),
      { type: 'answer', from: b, to: a, callId, roomName },
      'answer at A',
    );

    await bounded(alice.hangup(callId));
    assertFields(
      await next(bob, 'hangup'),
      { type: 'hangup', from: a, to: b, callId, roomName, reason: 'completed' },
      'hangup at B',
    );

    await sleep(QUIET_MS);
    assert.deepEqual(signalTypes(alice), ['answer'], 'everything A received');
    assert.deepEqual(signalTypes(bob), ['call', 'hangup'], 'everything B received');
  });

  test(`[vsn ${vsn}] A calls B, B rejects`, { timeout: 30_000 }, async (t) => {
    const a = uniqueUser('alice');
    const b = uniqueUser('bob');
    const alice = newSignaling(t, ctx, a, { vsn });
    const bob = newSignaling(t, ctx, b, { vsn });
    await Promise.all([untilJoined(alice), untilJoined(bob)]);
    const callId = newCallId();
    const roomName = newRoomName();

    await bounded(alice.initiateCall(b, callId, roomName));
    assertFields(
      await next(bob, 'call'),
      { type: 'call', from: a, to: b, callId, roomName },
      'call at B',
    );

    await bounded(bob.rejectCall(callId));
    assertFields(
      await next(alice, 'reject'),
      { type: 'reject', from: b, to: a, callId, roomName, reason: 'declined' },
      'reject at A',
    );

    await sleep(QUIET_MS);
    assert.deepEqual(signalTypes(alice), ['reject'], 'everything A received');
    assert.deepEqual(signalTypes(bob), ['call'], 'everything B received');
  });
}

test(
  'a call placed before the caller joined goes through the REST endpoint and rings B',
  { timeout: 30_000 },
  async (t) => {
    const a = uniqueUser('alice');
    const b = uniqueUser('bob');
    const aliceToken = userToken(ctx.secret, a);
    // Record what realtime-js POSTs (supabase-js routes realtime's fetch through global.fetch).
    const requests = [];
    const recordingFetch = async (input, init = {}) => {
      const request = {
        url: String(input),
        method: init.method,
        headers: new Headers(init.headers),
        body: init.body,
      };
      requests.push(request);
      const response = await fetch(input, init);
      request.status = response.status;
      return response;
    };
    const bob = newSignaling(t, ctx, b);
    await untilJoined(bob);

    const alice = newSignaling(t, ctx, a, { token: aliceToken, fetch: recordingFetch });
    // Precondition for the REST fallback: the socket is not even open yet.
    assert.notEqual(alice.channel.state, 'joined');
    const callId = newCallId();
    const roomName = newRoomName();
    await bounded(alice.initiateCall(b, callId, roomName));

    const call = await next(bob, 'call');
    assertFields(
      call,
      { type: 'call', from: a, to: b, callId, roomName, media: 'audio' },
      'call at B',
    );
    assertPositiveAtMost(call.expiresInMs, RING_MS, 'call.expiresInMs');

    assert.equal(
      requests.length,
      1,
      `REST requests: ${JSON.stringify(requests.map((r) => r.url))}`,
    );
    const [post] = requests;
    assert.equal(new URL(post.url).pathname, '/realtime/v1/api/broadcast');
    assert.equal(post.method, 'POST');
    assert.equal(post.headers.get('apikey'), ctx.anonKey);
    assert.equal(post.headers.get('authorization'), `Bearer ${aliceToken}`);
    assert.deepEqual(JSON.parse(post.body), {
      messages: [
        {
          topic: `calls:${a}`,
          event: 'call-signal',
          payload: { type: 'call', from: a, to: b, callId, roomName },
          private: false,
        },
      ],
    });
    assert.ok(
      post.status >= 200 && post.status < 300,
      `REST broadcast answered HTTP ${post.status}`,
    );

    // The rest of the call runs over the socket once A's channel has joined.
    await untilJoined(alice);
    await bounded(bob.rejectCall(callId));
    assertFields(
      await next(alice, 'reject'),
      { type: 'reject', from: b, to: a, callId, roomName, reason: 'declined' },
      'reject at A',
    );
    await sleep(QUIET_MS);
    assert.deepEqual(signalTypes(alice), ['reject'], 'everything A received');
    assert.deepEqual(signalTypes(bob), ['call'], 'everything B received');
  },
);

test('A hangs up before B answers: B gets hangup canceled', { timeout: 30_000 }, async (t) => {
  const a = uniqueUser('alice');
  const b = uniqueUser('bob');
  const alice = newSignaling(t, ctx, a);
  const bob = newSignaling(t, ctx, b);
  await Promise.all([untilJoined(alice), untilJoined(bob)]);
  const callId = newCallId();
  const roomName = newRoomName();

  await bounded(alice.initiateCall(b, callId, roomName));
  assertFields(await next(bob, 'call'), { type: 'call', from: a, to: b, callId }, 'call at B');
  await bounded(alice.hangup(callId));
  assertFields(
    await next(bob, 'hangup'),
    { type: 'hangup', from: a, to: b, callId, roomName, reason: 'canceled' },
    'hangup at B',
  );

  await sleep(QUIET_MS);
  assert.deepEqual(signalTypes(alice), [], 'everything A received');
  assert.deepEqual(signalTypes(bob), ['call', 'hangup'], 'everything B received');
});

test(
  'calling a user with no connection: A gets hangup unavailable',
  { timeout: 30_000 },
  async (t) => {
    const a = uniqueUser('alice');
    const b = uniqueUser('nobody'); // never connects
    const alice = newSignaling(t, ctx, a);
    await untilJoined(alice);
    const callId = newCallId();
    const roomName = newRoomName();

    await bounded(alice.initiateCall(b, callId, roomName));
    const hangup = await next(alice, 'hangup');
    assertFields(
      hangup,
      { type: 'hangup', to: a, callId, roomName, reason: 'unavailable' },
      'at A',
    );
    assert.equal(hangup.from, b, 'hangup at A names the callee as from');
  },
);
