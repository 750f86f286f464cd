// Apollo Client 3 over HTTP (HttpLink + InMemoryCache, Node's fetch): authentication flows, cache
// normalisation and how the API's errors surface in ApolloError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';
import {
  apolloHttpClient,
  authedClient,
  gql,
  LOG_IN,
  LOG_OUT,
  logInAdmin,
  REFRESH,
  rejectionOf,
  SET_USER_ROLES,
  SIGN_UP,
  signUpMember,
  STRONG_PASSWORD,
  uniqueEmail,
  VIEWER,
} from './lib/clients.js';

const T = { timeout: 15_000 };

// Apollo Client 4 (and clients that follow the GraphQL-over-HTTP spec) ask for this; Apollo
// Client 3's HttpLink sends `Accept: */*` unless told otherwise.
const SPEC_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';

test('signUp, then viewer with a Bearer token; the cache normalises User and AuthSession', T, async () => {
  let token = null;
  const client = apolloHttpClient({ getToken: () => token });
  const email = uniqueEmail('signup');

  const { data } = await client.mutate({
    mutation: SIGN_UP,
    variables: { in: { email, password: STRONG_PASSWORD, displayName: 'Ada E2E' } },
  });
  const p = data.signUp;
  assert.equal(p.__typename, 'AuthPayload');
  assert.equal(p.tokenType, 'Bearer');
  assert.match(p.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'accessToken is a JWT');
  assert.ok(p.refreshToken.length >= 20, 'refreshToken is opaque and long');
  assert.ok(Date.parse(p.accessTokenExpiresAt) > Date.now(), 'accessTokenExpiresAt is in the future');
  assert.equal(p.user.__typename, 'User');
  assert.match(p.user.id, /^usr_/);
  assert.equal(p.user.email, email);
  assert.deepEqual(p.user.roles, ['MEMBER']);
  assert.equal(p.session.__typename, 'AuthSession');
  assert.match(p.session.id, /^ses_/);

  token = p.accessToken;
  const { data: v } = await client.query({ query: VIEWER, fetchPolicy: 'network-only' });
  assert.deepEqual(
    { ...v.viewer },
    { __typename: 'User', id: p.user.id, displayName: 'Ada E2E', email, roles: ['MEMBER'] },
  );

  // One normalised User entry, keyed __typename:id, shared by the mutation and the query.
  const userKey = client.cache.identify({ __typename: 'User', id: p.user.id });
  assert.equal(userKey, `User:${p.user.id}`);
  const snapshot = client.cache.extract();
  assert.ok(snapshot[userKey], 'the User is stored under its normalised key');
  assert.equal(snapshot[userKey].email, email);
  assert.equal(snapshot[userKey].displayName, 'Ada E2E');
  assert.deepEqual(snapshot.ROOT_QUERY.viewer, { __ref: userKey });
  assert.ok(snapshot[`AuthSession:${p.session.id}`], 'AuthSession is normalised too');
  assert.equal(Object.keys(snapshot).filter((k) => k.startsWith('User:')).length, 1);

  // cache-first answers from the cache without a request.
  const before = client.exchanges.length;
  const cached = await client.query({ query: VIEWER });
  assert.equal(cached.data.viewer.id, p.user.id);
  assert.equal(client.exchanges.length, before, 'no HTTP request for a cached query');

  // What went over the wire: Apollo 3's default Accept, JSON back, a request id on every response.
  for (const x of client.exchanges) {
    assert.equal(x.method, 'POST');
    assert.equal(x.status, 200);
    assert.equal(x.accept, '*/*');
    assert.match(x.contentType, /^application\/json/);
    assert.match(x.requestId ?? '', /^[0-9a-f]{24}$/);
  }
});

test('viewer without a token fails with UNAUTHENTICATED in graphQLErrors', T, async () => {
  const client = apolloHttpClient();
  const err = await rejectionOf(() => client.query({ query: VIEWER }));
  assert.equal(err.name, 'ApolloError');
  assert.equal(err.networkError, null);
  assert.equal(err.graphQLErrors.length, 1);
  const [e] = err.graphQLErrors;
  assert.equal(e.extensions.code, 'UNAUTHENTICATED');
  assert.deepEqual(e.path, ['viewer']);
  assert.match(e.extensions.requestId, /^[0-9a-f]{24}$/);

  // errorPolicy "all" keeps the error next to (null) data instead of throwing.
  const res = await client.query({ query: VIEWER, errorPolicy: 'all', fetchPolicy: 'network-only' });
  assert.equal(res.data, null);
  assert.equal(res.errors[0].extensions.code, 'UNAUTHENTICATED');
});

test('a garbage Bearer token is UNAUTHENTICATED as well (not an HTTP 401)', T, async () => {
  const client = apolloHttpClient({ getToken: () => 'not-a-jwt' });
  const err = await rejectionOf(() => client.query({ query: VIEWER }));
  assert.equal(err.networkError, null);
  assert.equal(err.graphQLErrors[0].extensions.code, 'UNAUTHENTICATED');
  assert.equal(client.exchanges.at(-1).status, 200);
});

test('an invalid email gives BAD_USER_INPUT with field input.email', T, async () => {
  const client = apolloHttpClient();
  const err = await rejectionOf(() =>
    client.mutate({
      mutation: SIGN_UP,
      variables: { in: { email: 'not-an-email', password: STRONG_PASSWORD, displayName: 'X' } },
    }),
  );
  assert.equal(err.name, 'ApolloError');
  assert.equal(err.networkError, null);
  const [e] = err.graphQLErrors;
  assert.equal(e.extensions.code, 'BAD_USER_INPUT');
  assert.equal(e.extensions.field, 'input.email');
  assert.deepEqual(e.path, ['signUp']);
});

test('a weak password gives BAD_USER_INPUT with field input.password', T, async () => {
  const client = apolloHttpClient();
  const err = await rejectionOf(() =>
    client.mutate({
      mutation: SIGN_UP,
      variables: { in: { email: uniqueEmail('weak'), password: 'password123', displayName: 'X' } },
    }),
  );
  const [e] = err.graphQLErrors;
  assert.equal(e.extensions.code, 'BAD_USER_INPUT');
  assert.equal(e.extensions.field, 'input.password');
});

test('a duplicate signUp gives CONFLICT (case-insensitive email)', T, async () => {
  const client = apolloHttpClient();
  const email = uniqueEmail('dup');
  const vars = (e) => ({ in: { email: e, password: STRONG_PASSWORD, displayName: 'Dup' } });
  await client.mutate({ mutation: SIGN_UP, variables: vars(email) });
  for (const again of [email, email.toUpperCase()]) {
    const err = await rejectionOf(() => client.mutate({ mutation: SIGN_UP, variables: vars(again) }));
    assert.equal(err.networkError, null);
    assert.equal(err.graphQLErrors[0].extensions.code, 'CONFLICT', `duplicate ${again}`);
  }
});

test('a wrong password at logIn gives UNAUTHENTICATED', T, async () => {
  const member = await signUpMember('wrongpw');
  const client = apolloHttpClient();
  const err = await rejectionOf(() =>
    client.mutate({ mutation: LOG_IN, variables: { in: { email: member.user.email, password: 'wrong-password-123456' } } }),
  );
  assert.equal(err.graphQLErrors[0].extensions.code, 'UNAUTHENTICATED');
});

test('validation error with Apollo 3 defaults (Accept: */*): HTTP 200 and graphQLErrors', T, async () => {
  const client = apolloHttpClient();
  const err = await rejectionOf(() => client.query({ query: gql`query Bad { viewer { noSuchField } }` }));
  assert.equal(err.networkError, null);
  assert.equal(err.graphQLErrors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  const x = client.exchanges.at(-1);
  assert.equal(x.accept, '*/*');
  assert.equal(x.status, 200);
  assert.match(x.contentType, /^application\/json/);
});

test('validation error with the spec Accept header: HTTP 400, a ServerError in networkError', T, async () => {
  const client = apolloHttpClient({ headers: { accept: SPEC_ACCEPT } });
  const err = await rejectionOf(() => client.query({ query: gql`query Bad { viewer { noSuchField } }` }));
  // Apollo 3 turns any status >= 300 into a network error; because the spec forbids `data` on a
  // request error, it does not copy the body's errors into graphQLErrors.
  assert.deepEqual(err.graphQLErrors, []);
  assert.ok(err.networkError, 'networkError is set');
  assert.equal(err.networkError.name, 'ServerError');
  assert.equal(err.networkError.statusCode, 400);
  assert.equal(err.networkError.result.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  assert.equal('data' in err.networkError.result, false, 'no data key on a request error');
  const x = client.exchanges.at(-1);
  assert.equal(x.accept, SPEC_ACCEPT);
  assert.match(x.contentType, /^application\/graphql-response\+json/);
});

test('parse error: 400 ServerError with the spec Accept, 200 graphQLErrors with Apollo 3 defaults', T, async () => {
  // Apollo parses documents on the client, so a syntax error can only reach the server through a
  // custom `print` (as with a hand-written or truncated query string).
  const broken = () => '{ viewer { id ';
  const strict = apolloHttpClient({ headers: { accept: SPEC_ACCEPT }, print: broken });
  const err = await rejectionOf(() => strict.query({ query: VIEWER }));
  assert.deepEqual(err.graphQLErrors, []);
  assert.equal(err.networkError?.name, 'ServerError');
  assert.equal(err.networkError.statusCode, 400);
  assert.equal(err.networkError.result.errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');

  const legacy = apolloHttpClient({ print: broken });
  const err2 = await rejectionOf(() => legacy.query({ query: VIEWER }));
  assert.equal(err2.networkError, null);
  assert.equal(err2.graphQLErrors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
  assert.equal(legacy.exchanges.at(-1).status, 200);
});

test('refreshSession rotates tokens; a replayed refresh token gives CONFLICT inside the grace window', T, async () => {
  const member = await signUpMember('refresh');
  const client = apolloHttpClient();
  const { data } = await client.mutate({ mutation: REFRESH, variables: { in: { refreshToken: member.refreshToken } } });
  const next = data.refreshSession;
  assert.notEqual(next.refreshToken, member.refreshToken);
  assert.notEqual(next.accessToken, member.accessToken);
  assert.equal(next.session.id, member.session.id, 'same login session');
  assert.equal(next.user.id, member.user.id);

  const v = await authedClient(next.accessToken).query({ query: VIEWER });
  assert.equal(v.data.viewer.id, member.user.id);

  // The old refresh token is single-use: replaying it right away is treated as a lost race.
  const err = await rejectionOf(() =>
    client.mutate({ mutation: REFRESH, variables: { in: { refreshToken: member.refreshToken } } }),
  );
  assert.equal(err.graphQLErrors[0].extensions.code, 'CONFLICT');

  // A token that never existed is UNAUTHENTICATED.
  const err2 = await rejectionOf(() =>
    client.mutate({ mutation: REFRESH, variables: { in: { refreshToken: 'x'.repeat(43) } } }),
  );
  assert.equal(err2.graphQLErrors[0].extensions.code, 'UNAUTHENTICATED');
});

test('logOut ends the session: its access and refresh tokens stop working at once', T, async () => {
  const member = await signUpMember('logout');
  const client = authedClient(member.accessToken);
  const { data } = await client.mutate({ mutation: LOG_OUT });
  assert.equal(data.logOut.sessionId, member.session.id);

  const err = await rejectionOf(() => client.query({ query: VIEWER, fetchPolicy: 'network-only' }));
  assert.equal(err.graphQLErrors[0].extensions.code, 'UNAUTHENTICATED');

  const err2 = await rejectionOf(() =>
    apolloHttpClient().mutate({ mutation: REFRESH, variables: { in: { refreshToken: member.refreshToken } } }),
  );
  assert.equal(err2.graphQLErrors[0].extensions.code, 'UNAUTHENTICATED');
});

test('setUserRoles: FORBIDDEN for a member, allowed for the admin', T, async () => {
  const member = await signUpMember('roles');
  const asMember = authedClient(member.accessToken);
  const err = await rejectionOf(() =>
    asMember.mutate({ mutation: SET_USER_ROLES, variables: { id: member.user.id, roles: ['MEMBER', 'ADMIN'] } }),
  );
  assert.equal(err.graphQLErrors[0].extensions.code, 'FORBIDDEN');

  const admin = await logInAdmin();
  assert.ok(admin.user.roles.includes('ADMIN'));
  const asAdmin = authedClient(admin.accessToken);
  const { data } = await asAdmin.mutate({
    mutation: SET_USER_ROLES,
    variables: { id: member.user.id, roles: ['MENTOR'] },
  });
  assert.deepEqual(data.setUserRoles.user.roles, ['MEMBER', 'MENTOR'], 'MEMBER is always kept');

  // The member's existing access token sees the new roles (roles are not frozen in the JWT).
  const v = await asMember.query({ query: VIEWER, fetchPolicy: 'network-only' });
  assert.deepEqual(v.data.viewer.roles, ['MEMBER', 'MENTOR']);

  // The mutation result updated the member's normalised entry in the admin's cache.
  const key = asAdmin.cache.identify({ __typename: 'User', id: member.user.id });
  assert.deepEqual(asAdmin.cache.extract()[key].roles, ['MEMBER', 'MENTOR']);
});

for (const [label, accept, notFoundStatus] of [
  ['Apollo 3 default Accept', undefined, 200],
  ['spec Accept', SPEC_ACCEPT, 400],
]) {
  test(`automatic persisted queries through Apollo, GET for hashed queries (${label})`, T, async () => {
    const member = await signUpMember('apq');
    const sha256 = (q) => createHash('sha256').update(q).digest('hex');
    const client = apolloHttpClient({
      getToken: () => member.accessToken,
      headers: accept ? { accept } : {},
      link: createPersistedQueryLink({ sha256, useGETForHashedQueries: true }),
    });
    // A document of its own, so that the server's in-memory APQ cache cannot know it yet.
    const query = gql(`query ViewerApq${Date.now()}${notFoundStatus} { viewer { id displayName } }`);
    const first = await client.query({ query, fetchPolicy: 'network-only' });
    assert.equal(first.data.viewer.id, member.user.id);
    const second = await client.query({ query, fetchPolicy: 'network-only' });
    assert.equal(second.data.viewer.id, member.user.id);

    // 1st: GET with the hash only -> PERSISTED_QUERY_NOT_FOUND (a request error: 400 under the
    // spec media type); 2nd: Apollo retries with hash + query, over POST (useGETForHashedQueries
    // only applies to hash-only requests); 3rd: GET with the hash only, now known to the server.
    const x = client.exchanges;
    const summary = x.map((e) => `${e.method} ${e.status} query=${new URL(e.url).searchParams.has('query')}`);
    assert.deepEqual(
      summary,
      [`GET ${notFoundStatus} query=false`, 'POST 200 query=false', 'GET 200 query=false'],
      JSON.stringify(x),
    );
    assert.equal(JSON.parse(x[0].body).errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
  });
}
