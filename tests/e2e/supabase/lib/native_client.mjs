// A native-protocol client (protocol/PROTOCOL.md) on the `ws` package: connect with a JWT,
// send commands, await events by type with a deadline.
import WebSocket from 'ws';
import { once } from 'node:events';
import { withTimeout } from './deadline.mjs';
import { Inbox } from './inbox.mjs';

export class NativeClient {
  constructor(ws, label) {
    this.ws = ws;
    this.inbox = new Inbox(label);
    this.nextId = 0;
    ws.on('message', (data, isBinary) => {
      this.inbox.push(isBinary ? { type: '<binary frame>' } : JSON.parse(data.toString()));
    });
  }

  // The next event of `type` (optionally also matching `predicate`) within `ms`.
  next(type, ms = 5000, predicate = () => true) {
    return this.inbox.next((m) => m.type === type && predicate(m), ms, `native "${type}"`);
  }

  // Sends a command with an id and returns its ack; an error reply throws.
  async command(fields, ms = 5000) {
    const id = `c${++this.nextId}`;
    this.ws.send(JSON.stringify({ ...fields, id }));
    const reply = await this.inbox.next(
      (m) => (m.type === 'ack' || m.type === 'error') && m.id === id,
      ms,
      `the reply to ${fields.type} (${id})`,
    );
    if (reply.type === 'error')
      throw new Error(`${fields.type} failed: ${reply.code}: ${reply.message}`);
    return reply;
  }

  // Leaves with a close frame (the protocol's "leaving", not a drop).
  async close() {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = once(this.ws, 'close');
    this.ws.close(1000);
    try {
      await withTimeout(closed, 2000, 'the native close handshake');
    } catch {
      this.ws.terminate();
    }
  }
}

export async function connectNative(server, token, { device, label = 'native', ms = 5000 } = {}) {
  const query = new URLSearchParams({ token });
  if (device) query.set('device', device);
  const ws = new WebSocket(`${server.wsUrl}/v1/ws?${query}`);
  const client = new NativeClient(ws, label);
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      reject(new Error(`native upgrade refused: HTTP ${res.statusCode}`));
      res.resume();
      req.destroy();
    });
  });
  try {
    await withTimeout(opened, ms, `${label} to connect`);
    client.welcome = await client.next('welcome', ms);
  } catch (err) {
    ws.terminate();
    throw err;
  }
  return client;
}
