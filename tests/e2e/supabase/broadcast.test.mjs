// Plain Supabase broadcast on a topic that is not a calls: topic, between two supabase-js
// clients: fan-out to the other subscriber exactly once, to the sender only with self:true,
// and send() resolving 'ok' with ack:true only once the server acknowledged. Each pair of
// realtime protocol versions, including a 2.0.0 client talking to a 1.0.0 one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { bounded, sleep } from './lib/deadline.mjs';
import { assertFields } from './lib/expect.mjs';
import { uniqueTopic, uniqueUser } from './lib/ids.mjs';
import { userToken } from './lib/jwt.mjs';
import { closeSupabase, listen, subscribed, supabaseClient } from './lib/supabase.mjs';
import { useServer } from './lib/suite.mjs';

const ctx = useServer();
const MESSAGE_MS = 5000;
const QUIET_MS = 500;
// With ack:true send() waits for the server's reply; 'timed out' after this means no ack.
const SEND_TIMEOUT_MS = 3000;

// A client of its own user, subscribed to `topic` with `broadcast` config, recording 'chat'.
async function member(t, name, vsn, topic, broadcast) {
  const supabase = await supabaseClient(ctx, userToken(ctx.secret, uniqueUser(name)), {
    vsn,
    label: name,
  });
  t.after(() => closeSupabase(supabase));
  const channel = supabase.channel(topic, { config: { broadcast } });
  const inbox = listen(channel, 'chat', `${name} on ${topic}`);
  await subscribed(channel);
  return { channel, inbox };
}

// Non-ASCII on purpose: the 2.0.0 binary frames carry byte lengths.
const chat = (from) => ({
  from,
  nonce: randomUUID(),
  text: 'héllo 👋',
  n: 42,
  nested: { ok: true },
});
const send = (member, payload) =>
  bounded(
    member.channel.send(
      { type: 'broadcast', event: 'chat', payload },
      { timeout: SEND_TIMEOUT_MS },
    ),
  );
const receive = (member, payload) =>
  member.inbox.next((m) => m.payload?.nonce === payload.nonce, MESSAGE_MS, `chat ${payload.nonce}`);
const copies = (member, payload) =>
  member.inbox.received.filter((m) => m.payload?.nonce === payload.nonce).length;

for (const [vsnX, vsnY] of [
  ['2.0.0', '2.0.0'],
  ['1.0.0', '1.0.0'],
  ['2.0.0', '1.0.0'],
]) {
  const versions = `[vsn ${vsnX} / ${vsnY}]`;

  test(
    `${versions} self and ack: the sender hears itself only with self:true`,
    { timeout: 30_000 },
    async (t) => {
      const topic = `room:${uniqueTopic('lobby')}`;
      const x = await member(t, 'x', vsnX, topic, { self: true, ack: true });
      const y = await member(t, 'y', vsnY, topic, { self: false, ack: true });

      const fromX = chat('x');
      assert.equal(await send(x, fromX), 'ok', 'X send() with ack');
      for (const [who, m] of [
        ['Y', y],
        ['X (self)', x],
      ]) {
        assertFields(
          await receive(m, fromX),
          { type: 'broadcast', event: 'chat', payload: fromX },
          `X's message at ${who}`,
        );
      }

      const fromY = chat('y');
      assert.equal(await send(y, fromY), 'ok', 'Y send() with ack');
      assertFields(
        await receive(x, fromY),
        { type: 'broadcast', event: 'chat', payload: fromY },
        "Y's message at X",
      );

      await sleep(QUIET_MS);
      assert.equal(copies(y, fromX), 1, "copies of X's message at Y");
      assert.equal(copies(x, fromX), 1, "copies of X's message at X");
      assert.equal(copies(x, fromY), 1, "copies of Y's message at X");
      assert.equal(copies(y, fromY), 0, "copies of Y's message at Y (self:false)");
    },
  );

  test(
    `${versions} no self, no ack: each message reaches only the other client, once`,
    { timeout: 30_000 },
    async (t) => {
      const topic = `room:${uniqueTopic('lobby')}`;
      const x = await member(t, 'x', vsnX, topic, { self: false, ack: false });
      const y = await member(t, 'y', vsnY, topic, { self: false, ack: false });

      const fromX = chat('x');
      const fromY = chat('y');
      assert.equal(await send(x, fromX), 'ok');
      assert.equal(await send(y, fromY), 'ok');
      assertFields(
        await receive(y, fromX),
        { type: 'broadcast', event: 'chat', payload: fromX },
        "X's message at Y",
      );
      assertFields(
        await receive(x, fromY),
        { type: 'broadcast', event: 'chat', payload: fromY },
        "Y's message at X",
      );

      await sleep(QUIET_MS);
      assert.deepEqual(
        [copies(y, fromX), copies(x, fromY), copies(x, fromX), copies(y, fromY)],
        [1, 1, 0, 0],
        'copies: X→Y, Y→X, X→X, Y→Y',
      );
    },
  );
}
