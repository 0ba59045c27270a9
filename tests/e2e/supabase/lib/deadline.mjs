// Deadlines for every wait in the suite: no test may hang on a server that never answers.
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Resolves or rejects like `promise`, or rejects after `ms` naming what was awaited.
export async function withTimeout(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

// Polls `predicate` until it returns true; for state that has no event to wait on
// (for example a realtime-js channel's `state`). `what` may be a function, evaluated at the
// deadline, to report the state that was reached instead.
export async function waitUntil(predicate, ms, what, intervalMs = 20) {
  const end = Date.now() + ms;
  for (;;) {
    if (predicate()) return;
    if (Date.now() >= end) {
      throw new Error(
        `timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`,
      );
    }
    await sleep(intervalMs);
  }
}

// For calls whose own timeout lives inside a library (realtime-js sends: 5 s push timeout,
// REST fallback included): a deadline of our own all the same.
export const bounded = (promise, what = 'a realtime-js send', ms = 7000) =>
  withTimeout(promise, ms, what);
