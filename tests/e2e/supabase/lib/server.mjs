// Starts the switchboard binary on a free loopback port and stops it again: one server per
// test file. The binary comes from SWITCHBOARD_BINARY (set by run.sh).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { withTimeout } from './deadline.mjs';

const LISTENING = /listening on 127\.0\.0\.1:(\d+)/;
const STOP_GRACE_MS = 5000;
const SETPRIV = '/usr/bin/setpriv';

export function binaryFromEnv() {
  const binary = process.env.SWITCHBOARD_BINARY;
  if (!binary) throw new Error('SWITCHBOARD_BINARY is not set: run the suite through run.sh');
  return binary;
}

// How to run the binary so that it dies with the test process however that ends (a crash, a
// broken pipe, SIGKILL: cases where 'exit' handlers never run): util-linux's setpriv sets
// the kernel's parent-death signal and execs the binary in place (same pid, same exit code).
function launcher(binary, args) {
  if (existsSync(SETPRIV)) return [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', binary, ...args]];
  return [binary, args];
}

// `args` are per-suite flags such as ['--jwt-secret', s, '--ring-timeout', '2'].
export async function startServer({
  binary = binaryFromEnv(),
  args = [],
  startTimeoutMs = 10_000,
} = {}) {
  // The server also reads SWITCHBOARD_<OPTION> variables: keep the caller's out of it so
  // only the flags below configure it.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SWITCHBOARD_')),
  );
  const [command, argv] = launcher(binary, ['--port', '0', '--log-level', 'info', ...args]);
  const proc = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Where setpriv is missing, at least an orderly exit (--test-force-exit) kills it.
  const killOnExit = () => proc.kill('SIGKILL');
  process.on('exit', killOnExit);

  const log = [];
  const echo = process.env.E2E_SERVER_LOG === '1';
  let onPort;
  let onFail;
  const port = new Promise((resolve, reject) => {
    onPort = resolve;
    onFail = reject;
  });
  // The port line may come on stdout or stderr depending on the log sink: read both.
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.push(line);
      if (echo) process.stderr.write(`[switchboard] ${line}\n`);
      const match = LISTENING.exec(line);
      if (match) onPort(Number(match[1]));
    });
  }
  let exit = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exit = { code, signal };
      onFail(new Error(`switchboard exited (code ${code}, signal ${signal}) before listening`));
      resolve(exit);
    });
  });
  proc.on('error', (err) => onFail(new Error(`cannot start ${binary}: ${err.message}`)));

  const server = {
    log,
    exit: () => exit,
    async stop() {
      try {
        if (exit) return exit;
        proc.kill('SIGTERM');
        try {
          return await withTimeout(exited, STOP_GRACE_MS, 'switchboard to exit after SIGTERM');
        } catch {
          proc.kill('SIGKILL');
          await withTimeout(exited, 2000, 'switchboard to exit after SIGKILL');
          return { ...exit, killed: true };
        }
      } finally {
        // Only now: the test process may die while the server is still shutting down.
        if (exit) process.off('exit', killOnExit);
      }
    },
  };
  try {
    server.port = await withTimeout(port, startTimeoutMs, 'switchboard to log "listening on"');
  } catch (err) {
    await server.stop();
    throw new Error(`${err.message}\n--- server log ---\n${log.join('\n')}`);
  }
  server.httpUrl = `http://127.0.0.1:${server.port}`;
  server.wsUrl = `ws://127.0.0.1:${server.port}`;
  return server;
}
