// Who may join what: a user's calls:<id> topic needs that user's valid JWT (else the join
// gets an error reply: CHANNEL_ERROR), and a bad apikey is refused at the upgrade (HTTP 401).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './lib/deadline.mjs';
import { uniqueUser } from './lib/ids.mjs';
import { anonKey, expiredUserToken, randomSecret, userToken } from './lib/jwt.mjs';
import {
  closeSupabase,
  createSupabase,
  subscribe,
  subscribed,
  supabaseClient,
} from './lib/supabase.mjs';
import { useServer } from './lib/suite.mjs';
import { tryUpgrade } from './lib/upgrade.mjs';

const ctx = useServer();

async function client(t, token, opts) {
  const supabase = await supabaseClient(ctx, token, opts);
  t.after(() => closeSupabase(supabase));
  return supabase;
}

// An error reply to the join itself, not a socket failure (which also reads CHANNEL_ERROR).
async function assertJoinRefused(channel) {
  const { status, err, joinReply } = await subscribe(channel);
  assert.equal(
    status,
    'CHANNEL_ERROR',
    `joining ${channel.topic}: ${status} ${err?.message ?? ''}`,
  );
  assert.equal(
    joinReply?.status,
    'error',
    `the reply to joining ${channel.topic}: ${JSON.stringify(joinReply)}`,
  );
}

test("a user cannot join another user's calls topic", { timeout: 20_000 }, async (t) => {
  const a = uniqueUser('alice');
  const b = uniqueUser('bob');
  const supabase = await client(t, userToken(ctx.secret, a));
  await assertJoinRefused(supabase.channel(`calls:${b}`));
  // Same socket, same token: its own topic is fine, so the refusal was about the topic.
  await subscribed(supabase.channel(`calls:${a}`));
});

test('an expired user token cannot join its calls topic', { timeout: 20_000 }, async (t) => {
  const a = uniqueUser('alice');
  const supabase = await client(t, expiredUserToken(ctx.secret, a));
  await assertJoinRefused(supabase.channel(`calls:${a}`));
});

test(
  'a user token signed with another secret cannot join its calls topic',
  { timeout: 20_000 },
  async (t) => {
    const a = uniqueUser('alice');
    const supabase = await client(t, userToken(randomSecret(), a));
    await assertJoinRefused(supabase.channel(`calls:${a}`));
  },
);

test(
  'an apikey signed with another secret is refused at the upgrade with 401',
  { timeout: 20_000 },
  async (t) => {
    const endpoint = (apikey) =>
      `${ctx.server.wsUrl}/realtime/v1/websocket?${new URLSearchParams({ apikey, vsn: '2.0.0' })}`;
    assert.deepEqual(
      await tryUpgrade(endpoint(anonKey(randomSecret()))),
      { status: 401 },
      'bad apikey',
    );
    assert.deepEqual(
      await tryUpgrade(endpoint(ctx.anonKey)),
      { opened: true },
      'the real anon key',
    );

    // supabase-js with that apikey (and a valid user token) never gets a socket.
    const a = uniqueUser('alice');
    const supabase = createSupabase(ctx, userToken(ctx.secret, a), {
      anonKey: anonKey(randomSecret()),
    });
    t.after(() => closeSupabase(supabase));
    let opened = 0;
    supabase.realtime.socketAdapter.onOpen(() => opened++);
    const channel = supabase.channel(`calls:${a}`).subscribe();
    await sleep(2500); // long enough for realtime-js's first reconnect attempts
    assert.equal(opened, 0, 'the socket opened');
    assert.notEqual(channel.state, 'joined');
  },
);
