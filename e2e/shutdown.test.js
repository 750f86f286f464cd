// Graceful shutdown as a client sees it: a second server of its own (so the other tests keep
// theirs), an open graphql-ws subscription, SIGTERM -> the socket closes with 1001 Going Away and
// the process exits 0. Needs E2E_SERVER_BIN and E2E_DATABASE_URL (e2e/run.sh sets them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { collect, signUpMember, sleep, VIEWER_UPDATED_TEXT, withTimeout, wsClient } from './lib/clients.js';

const BIN = process.env.E2E_SERVER_BIN;
const DB = process.env.E2E_DATABASE_URL;
const skip = !BIN || !DB ? 'E2E_SERVER_BIN and E2E_DATABASE_URL are not set (run e2e/run.sh)' : false;

async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

async function waitReady(base, child, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} during start`);
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`server not ready within ${ms} ms`);
}

test('SIGTERM closes open sockets with 1001 and the server exits 0 within 10 s', { skip, timeout: 40_000 }, async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, ['serve'], {
    env: {
      ...process.env,
      DATABASE_URL: DB,
      HTTP_ADDR: `127.0.0.1:${port}`,
      PUBLIC_URL: base,
      LOG_LEVEL: 'warn',
      CORS_ALLOWED_ORIGINS: base,
      MIGRATE_ON_START: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (b) => (log += b));
  child.stderr.on('data', (b) => (log += b));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  try {
    await waitReady(base, child, 20_000);
    const member = await signUpMember('shutdown', { uri: `${base}/graphql` });
    const { client, connected, closed } = wsClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      token: member.accessToken,
      retryAttempts: 0,
    });
    t.after(() => client.dispose().catch(() => {}));
    const sub = collect(client, { query: VIEWER_UPDATED_TEXT });
    await withTimeout(connected, 5000, 'connection_ack');

    const start = Date.now();
    child.kill('SIGTERM');
    const ev = await withTimeout(closed, 5000, 'close event on shutdown');
    assert.equal(ev.code, 1001, `close code (reason: ${ev.reason})`);
    assert.match(ev.reason, /shutting down/);
    const res = await withTimeout(sub.done, 5000, 'subscription end');
    assert.equal(res.error?.code, 1001, 'the sink sees the 1001 close (retryAttempts: 0)');

    const exit = await withTimeout(exited, 10_000, 'server exit after SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, 'exit status');
    assert.ok(Date.now() - start < 10_000);

    // Nothing listens any more.
    await assert.rejects(fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) }));
  } catch (err) {
    err.message += `\n--- log of the server started by this test ---\n${log.split('\n').slice(-30).join('\n')}`;
    throw err;
  }
});
