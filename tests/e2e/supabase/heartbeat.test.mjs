// realtime-js's phoenix heartbeat: the server must answer it, or the client drops and
// reconnects. With 1 s heartbeats (and 1 s server pings) an idle client stays joined on the
// same socket for 8 s and still receives broadcasts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bounded, sleep } from './lib/deadline.mjs';
import { assertFields } from './lib/expect.mjs';
import { uniqueTopic, uniqueUser } from './lib/ids.mjs';
import { userToken } from './lib/jwt.mjs';
import { closeSupabase, listen, subscribed, supabaseClient } from './lib/supabase.mjs';
import { useServer } from './lib/suite.mjs';

const ctx = useServer(['--heartbeat', '1']);
const IDLE_MS = 8000;

test(
  'an idle client keeps its socket and channel through heartbeats',
  { timeout: 30_000 },
  async (t) => {
    const beats = [];
    const idle = await supabaseClient(ctx, userToken(ctx.secret, uniqueUser('idle')), {
      heartbeatIntervalMs: 1000,
      heartbeatCallback: (status) => beats.push(status),
    });
    t.after(() => closeSupabase(idle));
    const topic = `room:${uniqueTopic('idle')}`;
    const channel = idle.channel(topic);
    const inbox = listen(channel, 'wake-up');
    await subscribed(channel);

    // Any drop shows up as a close and, after realtime-js's reconnect, an open.
    const socketEvents = [];
    idle.realtime.socketAdapter.onOpen(() => socketEvents.push('open'));
    idle.realtime.socketAdapter.onClose(() => socketEvents.push('close'));
    const end = Date.now() + IDLE_MS;
    while (Date.now() < end) {
      assert.equal(
        channel.state,
        'joined',
        `channel state after ${IDLE_MS - (end - Date.now())} ms idle`,
      );
      await sleep(100);
    }
    assert.deepEqual(socketEvents, [], 'socket events while idle');
    assert.ok(idle.realtime.isConnected(), 'still connected');
    assert.ok(!beats.includes('timeout') && !beats.includes('error'), `heartbeats: ${beats}`);
    const answered = beats.filter((s) => s === 'ok').length;
    assert.ok(answered >= IDLE_MS / 1000 - 2, `only ${answered} heartbeats answered: ${beats}`);

    const sender = await supabaseClient(ctx, userToken(ctx.secret, uniqueUser('sender')));
    t.after(() => closeSupabase(sender));
    const senderChannel = sender.channel(topic);
    await subscribed(senderChannel);
    await bounded(
      senderChannel.send({ type: 'broadcast', event: 'wake-up', payload: { after: IDLE_MS } }),
    );
    const message = await inbox.next(() => true, 5000, 'the broadcast after idling');
    assertFields(
      message,
      { type: 'broadcast', event: 'wake-up', payload: { after: IDLE_MS } },
      'broadcast',
    );
  },
);
