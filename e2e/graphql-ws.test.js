// graphql-ws (graphql-transport-ws protocol) with Node's `ws` package: authentication in
// connection_init, viewerUpdated events, and the close codes the apps rely on.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  authedClient,
  collect,
  LOG_OUT,
  logInAdmin,
  primeUntil,
  SET_USER_ROLES,
  signUpMember,
  VIEWER_UPDATED_TEXT,
  WebSocket,
  withTimeout,
  wsClient,
} from './lib/clients.js';

const T = { timeout: 20_000 };
const SUBSCRIBE = { query: VIEWER_UPDATED_TEXT };

let admin;
before(async () => {
  admin = await logInAdmin();
});

async function safeDispose(client) {
  try {
    await withTimeout(client.dispose(), 2000, 'dispose');
  } catch {
    // already closed by the server
  }
}

/** Has the admin set `roles` on `userId`. */
function setRoles(userId, roles) {
  return authedClient(admin.accessToken).mutate({ mutation: SET_USER_ROLES, variables: { id: userId, roles } });
}

test('viewerUpdated delivers a role change made by an admin', T, async (t) => {
  const member = await signUpMember('wssub');
  const { client, connected, events } = wsClient({ token: member.accessToken });
  t.after(() => safeDispose(client));

  const sub = collect(client, SUBSCRIBE);
  await withTimeout(connected, 5000, 'connection_ack');

  // Wait until the server has registered the subscription (the protocol has no "subscribed"
  // acknowledgement): change the roles harmlessly until one event arrives.
  await primeUntil(() => sub.values.length > 0, () => setRoles(member.user.id, ['SUPPORT']));
  assert.deepEqual(sub.values[0].data.viewerUpdated.id, member.user.id);

  const seen = sub.values.length;
  await setRoles(member.user.id, ['MEMBER', 'MENTOR']);
  const v = await sub.next(
    (x) => sub.values.indexOf(x) >= seen && x.data.viewerUpdated.roles.includes('MENTOR'),
    5000,
    'viewerUpdated with MENTOR',
  );
  assert.deepEqual(v, { data: { viewerUpdated: { id: member.user.id, roles: ['MEMBER', 'MENTOR'] } } });
  for (const x of sub.values) {
    assert.deepEqual(Object.keys(x), ['data'], 'no errors in any event');
    assert.equal(x.data.viewerUpdated.id, member.user.id);
  }

  // Completing from the client ends the subscription cleanly; the lazy client then closes 1000.
  sub.dispose();
  assert.deepEqual(await withTimeout(sub.done, 3000, 'complete'), { complete: true });
  const closed = await withTimeout(
    new Promise((resolve) => {
      const check = () => {
        const c = events.find((e) => e.type === 'closed');
        if (c) resolve(c);
        else setTimeout(check, 20);
      };
      check();
    }),
    3000,
    'lazy close',
  );
  assert.equal(closed.code, 1000);
});

test('a bad token is refused: close 4403, reported to `closed` and to the subscription sink', T, async (t) => {
  const { client, closed, events } = wsClient({ token: 'not-a-valid-token', lazy: false, retryAttempts: 0 });
  t.after(() => safeDispose(client));
  const sub = collect(client, SUBSCRIBE);

  const ev = await withTimeout(closed, 5000, 'close event');
  assert.equal(ev.code, 4403);
  assert.match(ev.reason, /^Forbidden/);
  const res = await withTimeout(sub.done, 5000, 'subscription error');
  assert.ok(res.error, 'the sink got an error');
  assert.equal(res.error.code, 4403, 'the sink error is the CloseEvent');
  assert.equal(sub.values.length, 0);
  assert.ok(!events.some((e) => e.type === 'connected'), 'never acknowledged');
});

test('a missing token (no connectionParams) is refused with 4403', T, async (t) => {
  const { client, closed } = wsClient({ lazy: false });
  t.after(() => safeDispose(client));
  const ev = await withTimeout(closed, 5000, 'close event');
  assert.equal(ev.code, 4403);
});

test('logOut closes the sockets of the session with 4403', T, async (t) => {
  const member = await signUpMember('wslogout');
  const { client, connected, closed } = wsClient({ token: member.accessToken });
  t.after(() => safeDispose(client));
  const sub = collect(client, SUBSCRIBE);
  await withTimeout(connected, 5000, 'connection_ack');

  const { data } = await authedClient(member.accessToken).mutate({ mutation: LOG_OUT });
  assert.equal(data.logOut.sessionId, member.session.id);

  const ev = await withTimeout(closed, 5000, 'close after logOut');
  assert.equal(ev.code, 4403);
  assert.match(ev.reason, /session ended/);
  const res = await withTimeout(sub.done, 5000, 'subscription error');
  assert.equal(res.error?.code, 4403);
});

test('graphql-ws retries 4403; connectionParams as a function lets the app reconnect with a fresh token', T, async (t) => {
  const member = await signUpMember('wsretry');
  const tokens = ['expired-or-revoked-token', member.accessToken];
  let calls = 0;
  const { client, events } = wsClient({
    connectionParams: async () => ({ authorization: `Bearer ${tokens[Math.min(calls++, tokens.length - 1)]}` }),
    retryAttempts: 2,
    retryWait: () => new Promise((r) => setTimeout(r, 50)),
  });
  t.after(() => safeDispose(client));
  const sub = collect(client, SUBSCRIBE);

  await primeUntil(() => sub.values.length > 0, () => setRoles(member.user.id, ['SUPPORT']));
  assert.equal(calls, 2, 'connectionParams was evaluated again for the retry');
  const kinds = events.map((e) => (e.type === 'closed' ? `closed ${e.code}` : e.type));
  assert.deepEqual(kinds.slice(0, 2), ['closed 4403', 'connected']);
  assert.equal(sub.values[0].data.viewerUpdated.id, member.user.id);
});

test('an Origin equal to the host, or in CORS_ALLOWED_ORIGINS, is accepted; another is refused at the upgrade', T, async (t) => {
  const member = await signUpMember('wsorigin');
  const host = new URL(process.env.E2E_URL || 'http://127.0.0.1:18282').host;
  const withOrigin = (origin) =>
    class extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols, { origin });
      }
    };

  // React Native on Android sends an Origin derived from the socket URL; browsers send the page's.
  for (const origin of [`http://${host}`, `http://localhost:${host.split(':')[1]}`]) {
    const { client, connected } = wsClient({ token: member.accessToken, lazy: false, webSocketImpl: withOrigin(origin) });
    t.after(() => safeDispose(client));
    await withTimeout(connected, 5000, `connection_ack with Origin ${origin}`);
  }

  const { client, events } = wsClient({ token: member.accessToken, webSocketImpl: withOrigin('https://evil.example') });
  t.after(() => safeDispose(client));
  const sub = collect(client, SUBSCRIBE);
  const res = await withTimeout(sub.done, 5000, 'refused upgrade');
  // The handshake fails with HTTP 403, so graphql-ws hands the sink the socket's error event
  // (ws: an ErrorEvent), not a CloseEvent with a code: nothing to tell it from a network failure
  // but the message.
  assert.ok(res.error, 'the sink got an error');
  assert.equal(res.error.code, undefined, 'no close code');
  assert.equal(res.error.type, 'error');
  assert.match(res.error.message, /Unexpected server response: 403/);
  assert.ok(!events.some((e) => e.type === 'connected'));
});
