// The seed app's CallSignaling when nobody answers: with a 2 s ring timeout both parties get
// a hangup with reason no_answer, on realtime protocol vsn 2.0.0 and 1.0.0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bounded, sleep } from './lib/deadline.mjs';
import { assertFields, assertPositiveAtMost } from './lib/expect.mjs';
import { newCallId, newRoomName, uniqueUser } from './lib/ids.mjs';
import { newSignaling, signalTypes, untilJoined } from './lib/signaling.mjs';
import { useServer } from './lib/suite.mjs';

const RING_MS = 2000;
const ctx = useServer(['--ring-timeout', String(RING_MS / 1000)]);
const QUIET_MS = 500;

for (const vsn of ['2.0.0', '1.0.0']) {
  test(`[vsn ${vsn}] nobody answers: both get hangup no_answer`, { timeout: 30_000 }, async (t) => {
    const a = uniqueUser('alice');
    const b = uniqueUser('bob');
    const alice = newSignaling(t, ctx, a, { vsn });
    const bob = newSignaling(t, ctx, b, { vsn });
    await Promise.all([untilJoined(alice), untilJoined(bob)]);
    const callId = newCallId();
    const roomName = newRoomName();

    await bounded(alice.initiateCall(b, callId, roomName));
    const call = await bob.signals.next((s) => s?.type === 'call', 5000, '"call"');
    assertFields(call, { type: 'call', from: a, to: b, callId, roomName }, 'call at B');
    assertPositiveAtMost(call.expiresInMs, RING_MS, 'call.expiresInMs');

    const deadline = RING_MS + 3000;
    const [atAlice, atBob] = await Promise.all([
      alice.signals.next((s) => s?.type === 'hangup', deadline, '"hangup"'),
      bob.signals.next((s) => s?.type === 'hangup', deadline, '"hangup"'),
    ]);
    for (const [hangup, label] of [
      [atAlice, 'hangup at A'],
      [atBob, 'hangup at B'],
    ]) {
      assertFields(hangup, { type: 'hangup', callId, roomName, reason: 'no_answer' }, label);
      // Nobody sent this one; the spec only says it names both parties.
      assert.deepEqual([hangup.from, hangup.to].sort(), [a, b].sort(), `${label}: from/to`);
    }
    assert.equal(atAlice.to, a, 'hangup at A is addressed to A');
    assert.equal(atBob.to, b, 'hangup at B is addressed to B');

    await sleep(QUIET_MS);
    assert.deepEqual(signalTypes(alice), ['hangup'], 'everything A received');
    assert.deepEqual(signalTypes(bob), ['call', 'hangup'], 'everything B received');
  });
}
