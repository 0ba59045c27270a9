// The suite's own plumbing against the native protocol, which any switchboard speaks: the
// server starts in JWT mode and is found on its port, minted user tokens authenticate, the
// refusal tokens really are refused (so the Realtime refusal tests test the server, not the
// minting), and the native client helper completes a call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFields } from './lib/expect.mjs';
import { newCallId, newRoomName, uniqueUser } from './lib/ids.mjs';
import { expiredUserToken, randomSecret, signHs256, userToken } from './lib/jwt.mjs';
import { connectNative } from './lib/native_client.mjs';
import { useServer } from './lib/suite.mjs';
import { tryUpgrade } from './lib/upgrade.mjs';

const ctx = useServer();
const EVENT_MS = 5000;

test('the server answers /healthz on the port it logged', { timeout: 10_000 }, async () => {
  const response = await fetch(`${ctx.server.httpUrl}/healthz`, {
    signal: AbortSignal.timeout(3000),
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'ok' });
});

test(
  'minted tokens: a valid user token is accepted, the refusal tokens are refused',
  { timeout: 10_000 },
  async () => {
    const a = uniqueUser('alice');
    const nativeUrl = (token) => `${ctx.server.wsUrl}/v1/ws?${new URLSearchParams({ token })}`;
    assert.deepEqual(
      await tryUpgrade(nativeUrl(userToken(ctx.secret, a))),
      { opened: true },
      'valid',
    );
    assert.deepEqual(
      await tryUpgrade(nativeUrl(expiredUserToken(ctx.secret, a))),
      { status: 401 },
      'expired',
    );
    assert.deepEqual(
      await tryUpgrade(nativeUrl(userToken(randomSecret(), a))),
      { status: 401 },
      'other secret',
    );
    assert.deepEqual(
      await tryUpgrade(nativeUrl(ctx.anonKey)),
      { status: 401 },
      'anon key (no sub)',
    );
    // A's signature on other claims: proves the signature covers the claims we mint.
    const [header, , signature] = userToken(ctx.secret, a).split('.');
    const mallory = signHs256({ sub: uniqueUser('mallory'), exp: 4e9 }, ctx.secret);
    const otherClaims = mallory.split('.')[1];
    assert.deepEqual(
      await tryUpgrade(nativeUrl(`${header}.${otherClaims}.${signature}`)),
      { status: 401 },
      'tampered',
    );
  },
);

test(
  'two native clients complete a call: call, ringing, answer, hangup',
  { timeout: 20_000 },
  async (t) => {
    const a = uniqueUser('alice');
    const b = uniqueUser('bob');
    const alice = await connectNative(ctx.server, userToken(ctx.secret, a), { label: a });
    t.after(() => alice.close());
    const bob = await connectNative(ctx.server, userToken(ctx.secret, b), {
      label: b,
      device: 'phone',
    });
    t.after(() => bob.close());
    assertFields(alice.welcome, { userId: a, resumed: false }, 'welcome at A');
    assertFields(bob.welcome, { userId: b, deviceId: 'phone' }, 'welcome at B');

    const callId = newCallId();
    const roomName = newRoomName();
    assert.equal((await alice.command({ type: 'call', to: b, callId, roomName })).callId, callId);
    assertFields(
      await bob.next('call', EVENT_MS),
      { callId, from: a, to: b, roomName, media: 'audio' },
      'call at B',
    );
    await bob.command({ type: 'ringing', callId });
    assertFields(await alice.next('ringing', EVENT_MS), { callId, from: b }, 'ringing at A');
    await bob.command({ type: 'answer', callId });
    assertFields(await alice.next('answer', EVENT_MS), { callId, from: b }, 'answer at A');
    await alice.command({ type: 'hangup', callId });
    for (const [who, client] of [
      ['A', alice],
      ['B', bob],
    ]) {
      assertFields(
        await client.next('ended', EVENT_MS),
        { callId, reason: 'completed', by: a },
        `ended at ${who}`,
      );
    }
  },
);
