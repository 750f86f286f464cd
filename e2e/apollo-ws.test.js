// Apollo Client with the link the apps use: split(subscription ? GraphQLWsLink : HttpLink).
// Queries and mutations go over HTTP, `client.subscribe` over graphql-ws, one InMemoryCache.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, split } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import {
  authedClient,
  GRAPHQL_URL,
  logInAdmin,
  primeUntil,
  SET_USER_ROLES,
  signUpMember,
  VIEWER,
  VIEWER_UPDATED,
  WebSocket,
  withTimeout,
  wsClient,
} from './lib/clients.js';

// GraphQLWsLink reads the global `WebSocket` (WebSocket.CLOSED) when a socket error event (not a
// close) reaches it; Node 20 has none and would throw an uncaught ReferenceError. The apps' React
// Native runtime has one, so give Node the same.
globalThis.WebSocket ??= WebSocket;

const T = { timeout: 20_000 };

let admin;
before(async () => {
  admin = await logInAdmin();
});

/** The app's Apollo Client: auth over HTTP headers and over connection_init. */
function appClient(token) {
  const ws = wsClient({ connectionParams: () => ({ authorization: `Bearer ${token}` }) });
  const auth = new ApolloLink((op, forward) => {
    op.setContext(({ headers = {} }) => ({ headers: { ...headers, authorization: `Bearer ${token}` } }));
    return forward(op);
  });
  const link = split(
    ({ query }) => {
      const def = getMainDefinition(query);
      return def.kind === 'OperationDefinition' && def.operation === 'subscription';
    },
    new GraphQLWsLink(ws.client),
    ApolloLink.from([auth, new HttpLink({ uri: GRAPHQL_URL })]),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  return { client, ws };
}

/** client.subscribe(...) collected into an array, with its end as a promise. */
function subscribe(client, query) {
  const values = [];
  let settle;
  const done = new Promise((r) => (settle = r));
  const sub = client.subscribe({ query }).subscribe({
    next: (v) => values.push(v),
    error: (error) => settle({ error }),
    complete: () => settle({ complete: true }),
  });
  return { values, done, unsubscribe: () => sub.unsubscribe() };
}

test('client.subscribe through GraphQLWsLink + split; the event updates the normalised cache', T, async (t) => {
  const member = await signUpMember('apollows');
  const { client, ws } = appClient(member.accessToken);
  t.after(async () => {
    client.stop();
    await ws.client.dispose().catch(() => {});
  });

  // The viewer query goes over HTTP (the split's right side) and fills the cache.
  const q = await client.query({ query: VIEWER });
  assert.deepEqual(q.data.viewer.roles, ['MEMBER']);
  assert.equal(ws.events.length, 0, 'no socket opened for a query');

  const sub = subscribe(client, VIEWER_UPDATED);
  await withTimeout(ws.connected, 5000, 'connection_ack');
  const setRoles = (roles) =>
    authedClient(admin.accessToken).mutate({ mutation: SET_USER_ROLES, variables: { id: member.user.id, roles } });
  await primeUntil(() => sub.values.length > 0, () => setRoles(['SUPPORT']));

  const seen = sub.values.length;
  await setRoles(['MEMBER', 'MENTOR']);
  await withTimeout(
    new Promise((resolve) => {
      const tick = () =>
        sub.values.slice(seen).some((v) => v.data.viewerUpdated.roles.includes('MENTOR')) ? resolve() : setTimeout(tick, 20);
      tick();
    }),
    5000,
    'viewerUpdated with MENTOR',
  );
  const last = sub.values.at(-1);
  // Apollo adds __typename to the subscription's selection; the server answers it.
  assert.deepEqual(last.data, {
    viewerUpdated: { __typename: 'User', id: member.user.id, roles: ['MEMBER', 'MENTOR'] },
  });

  // Subscription results are written to the cache: the viewer query now reads the new roles
  // without a request, because both point at User:<id>.
  const cached = client.readQuery({ query: VIEWER });
  assert.deepEqual(cached.viewer.roles, ['MEMBER', 'MENTOR']);

  sub.unsubscribe();
});

test('a bad token surfaces through Apollo as an error mentioning the 4403 close', T, async (t) => {
  const { client, ws } = appClient('not-a-valid-token');
  t.after(async () => {
    client.stop();
    await ws.client.dispose().catch(() => {});
  });
  const sub = subscribe(client, VIEWER_UPDATED);
  const res = await withTimeout(sub.done, 5000, 'subscription end');
  // Apollo Client 4's client.subscribe never errors the observable: a failure is one result
  // carrying `error` (no data), then `complete`. GraphQLWsLink turns the CloseEvent into a plain
  // `Error("Socket closed with event 4403 Forbidden: …")` (not a CombinedGraphQLErrors: no
  // extensions.code), so the close code is only in the message.
  assert.deepEqual(res, { complete: true });
  assert.equal(sub.values.length, 1, JSON.stringify(sub.values));
  const [failed] = sub.values;
  assert.equal(failed.data, undefined);
  assert.ok(failed.error, `expected an error, got ${JSON.stringify(failed)}`);
  assert.equal(failed.error.name, 'Error');
  assert.equal(CombinedGraphQLErrors.is(failed.error), false);
  assert.match(failed.error.message, /^Socket closed with event 4403 Forbidden/);
  assert.equal(ws.events.find((e) => e.type === 'closed')?.code, 4403);
});
