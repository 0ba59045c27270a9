// A bare WebSocket upgrade attempt that reports how it went: opened, refused with an HTTP
// status, or failed. Used to check refusals that happen before any WebSocket traffic.
import WebSocket from 'ws';
import { withTimeout } from './deadline.mjs';

export function tryUpgrade(url, ms = 5000) {
  const ws = new WebSocket(url);
  const outcome = new Promise((resolve) => {
    ws.on('open', () => {
      ws.terminate();
      resolve({ opened: true });
    });
    // With this listener ws leaves the refused request to us: drain and drop it.
    ws.on('unexpected-response', (req, res) => {
      resolve({ status: res.statusCode });
      res.resume();
      req.destroy();
    });
    ws.on('error', (err) => resolve({ error: err.message }));
  });
  return withTimeout(outcome, ms, `the upgrade of ${url}`).finally(() => ws.terminate());
}
