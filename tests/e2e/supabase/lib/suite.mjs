// One switchboard per test file, in JWT mode: started in `before`, stopped in `after`.
// `after` also fails the file if the server died mid-suite or did not shut down cleanly,
// since every test in the file would otherwise blame the client side.
import { before, after } from 'node:test';
import { anonKey } from './jwt.mjs';
import { startServer } from './server.mjs';

export const JWT_SECRET = 'switchboard-e2e-supabase-secret-0123456789';

export function useServer(extraArgs = []) {
  const ctx = { server: null, secret: JWT_SECRET, anonKey: anonKey(JWT_SECRET) };
  before(
    async () => {
      ctx.server = await startServer({ args: ['--jwt-secret', JWT_SECRET, ...extraArgs] });
    },
    { timeout: 15_000 },
  );
  after(
    async () => {
      if (!ctx.server) return;
      const diedEarly = ctx.server.exit();
      const exit = await ctx.server.stop();
      const tail = () => `\n--- server log (tail) ---\n${ctx.server.log.slice(-40).join('\n')}`;
      if (diedEarly)
        throw new Error(`switchboard died during the suite: ${JSON.stringify(diedEarly)}${tail()}`);
      if (exit.killed)
        throw new Error(`switchboard ignored SIGTERM for 5 s and was killed${tail()}`);
      if (exit.code !== 0)
        throw new Error(`switchboard exited with ${JSON.stringify(exit)}${tail()}`);
    },
    { timeout: 15_000 },
  );
  return ctx;
}
