// Apollo Client 4 over HTTP (HttpLink + InMemoryCache, Node's fetch): authentication flows, cache
// normalisation and how the API's errors surface: GraphQL errors as CombinedGraphQLErrors, HTTP
// failures as ServerError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import {
  apolloHttpClient,
  GRAPHQL_URL,
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

// Apollo Client 4's HttpLink asks for this by default (the GraphQL-over-HTTP spec's media type).
const SPEC_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';
// What apps still on Apollo Client 3 send (its HttpLink's default), so older builds keep working.
const LEGACY_ACCEPT = '*/*';

/** The GraphQL errors of what an Apollo Client 4 operation threw (fails unless it is one). */
function graphQLErrorsOf(err) {
  assert.ok(CombinedGraphQLErrors.is(err), `expected CombinedGraphQLErrors, got ${err?.name}: ${err?.message}`);
  assert.ok(err.errors.length > 0, 'at least one GraphQL error');
  return err.errors;
}

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

  // What went over the wire: Apollo 4's default Accept (the spec's media type, which the server
  // answers with), a request id on every response.
  for (const x of client.exchanges) {
    assert.equal(x.method, 'POST');
    assert.equal(x.status, 200);
    assert.equal(x.accept, SPEC_ACCEPT);
    assert.match(x.contentType, /^application\/graphql-response\+json/);
    assert.match(x.requestId ?? '', /^[0-9a-f]{24}$/);
  }
});

test('viewer without a token fails with UNAUTHENTICATED in CombinedGraphQLErrors', T, async () => {
  const client = apolloHttpClient();
  const err = await rejectionOf(() => client.query({ query: VIEWER }));
  assert.equal(err.name, 'CombinedGraphQLErrors');
  const errors = graphQLErrorsOf(err);
  assert.equal(errors.length, 1);
  const [e] = errors;
  assert.equal(e.extensions.code, 'UNAUTHENTICATED');
  assert.deepEqual(e.path, ['viewer']);
  assert.match(e.extensions.requestId, /^[0-9a-f]{24}$/);
  assert.equal(err.data, null, 'the server answered data: null');
  assert.equal(client.exchanges.at(-1).status, 200, 'a field error is no request error');

  // errorPolicy "all" hands the error back next to the (empty) data instead of throwing.
  const res = await client.query({ query: VIEWER, errorPolicy: 'all', fetchPolicy: 'network-only' });
  assert.equal(res.data?.viewer ?? null, null);
  assert.equal(graphQLErrorsOf(res.error)[0].extensions.code, 'UNAUTHENTICATED');
});

test('a garbage Bearer token is UNAUTHENTICATED as well (not an HTTP 401)', T, async () => {
  const client = apolloHttpClient({ getToken: () => 'not-a-jwt' });
  const err = await rejectionOf(() => client.query({ query: VIEWER }));
  assert.equal(graphQLErrorsOf(err)[0].extensions.code, 'UNAUTHENTICATED');
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
  const [e] = graphQLErrorsOf(err);
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
  const [e] = graphQLErrorsOf(err);
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
    assert.equal(graphQLErrorsOf(err)[0].extensions.code, 'CONFLICT', `duplicate ${again}`);
  }
});

test('a wrong password at logIn gives UNAUTHENTICATED', T, async () => {
  const member = await signUpMember('wrongpw');
  const client = apolloHttpClient();
  const err = await rejectionOf(() =>
    client.mutate({ mutation: LOG_IN, variables: { in: { email: member.user.email, password: 'wrong-password-123456' } } }),
  );
  assert.equal(graphQLErrorsOf(err).at(0).extensions.code, 'UNAUTHENTICATED');
});

test('validation error with Apollo 4 defaults (spec Accept): HTTP 400, still CombinedGraphQLErrors', T, async () => {
  const client = apolloHttpClient();
  const err = await rejectionOf(() => client.query({ query: gql`query Bad { viewer { noSuchField } }` }));
  // Under the spec media type a request error is a 4xx; Apollo 4 still reads its body as a
  // GraphQL response, so the app sees the coded errors, not a bare HTTP failure.
  assert.equal(graphQLErrorsOf(err)[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  assert.equal(err.data, undefined, 'no data key on a request error');
  const x = client.exchanges.at(-1);
  assert.equal(x.accept, SPEC_ACCEPT);
  assert.equal(x.status, 400);
  assert.match(x.contentType, /^application\/graphql-response\+json/);
  assert.equal('data' in JSON.parse(x.body), false, 'no data key on a request error');
});

test('validation error for an Apollo 3 app (Accept: */*): HTTP 200 and the same coded errors', T, async () => {
  const client = apolloHttpClient({ headers: { accept: LEGACY_ACCEPT } });
  const err = await rejectionOf(() => client.query({ query: gql`query Bad { viewer { noSuchField } }` }));
  assert.equal(graphQLErrorsOf(err)[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  const x = client.exchanges.at(-1);
  assert.equal(x.accept, LEGACY_ACCEPT);
  assert.equal(x.status, 200);
  assert.match(x.contentType, /^application\/json/);
});

test('an HTTP failure without a GraphQL body is a ServerError', T, async () => {
  const client = apolloHttpClient({ uri: GRAPHQL_URL.replace(/\/graphql$/, '/no-such-endpoint') });
  const err = await rejectionOf(() => client.query({ query: VIEWER }));
  assert.ok(ServerError.is(err), `expected ServerError, got ${err?.name}: ${err?.message}`);
  assert.equal(err.statusCode, 404);
});

test('parse error: 400 with the spec Accept, 200 for an Apollo 3 app; GRAPHQL_PARSE_FAILED both times', T, async () => {
  // Apollo parses documents on the client, so a syntax error can only reach the server through a
  // custom `print` (as with a hand-written or truncated query string).
  const broken = () => '{ viewer { id ';
  const strict = apolloHttpClient({ print: broken });
  const err = await rejectionOf(() => strict.query({ query: VIEWER }));
  assert.equal(graphQLErrorsOf(err)[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
  assert.equal(strict.exchanges.at(-1).status, 400);

  const legacy = apolloHttpClient({ headers: { accept: LEGACY_ACCEPT }, print: broken });
  const err2 = await rejectionOf(() => legacy.query({ query: VIEWER }));
  assert.equal(graphQLErrorsOf(err2)[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
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
  assert.equal(graphQLErrorsOf(err).at(0).extensions.code, 'CONFLICT');

  // A token that never existed is UNAUTHENTICATED.
  const err2 = await rejectionOf(() =>
    client.mutate({ mutation: REFRESH, variables: { in: { refreshToken: 'x'.repeat(43) } } }),
  );
  assert.equal(graphQLErrorsOf(err2).at(0).extensions.code, 'UNAUTHENTICATED');
});

test('logOut ends the session: its access and refresh tokens stop working at once', T, async () => {
  const member = await signUpMember('logout');
  const client = authedClient(member.accessToken);
  const { data } = await client.mutate({ mutation: LOG_OUT });
  assert.equal(data.logOut.sessionId, member.session.id);

  const err = await rejectionOf(() => client.query({ query: VIEWER, fetchPolicy: 'network-only' }));
  assert.equal(graphQLErrorsOf(err).at(0).extensions.code, 'UNAUTHENTICATED');

  const err2 = await rejectionOf(() =>
    apolloHttpClient().mutate({ mutation: REFRESH, variables: { in: { refreshToken: member.refreshToken } } }),
  );
  assert.equal(graphQLErrorsOf(err2).at(0).extensions.code, 'UNAUTHENTICATED');
});

test('setUserRoles: FORBIDDEN for a member, allowed for the admin', T, async () => {
  const member = await signUpMember('roles');
  const asMember = authedClient(member.accessToken);
  const err = await rejectionOf(() =>
    asMember.mutate({ mutation: SET_USER_ROLES, variables: { id: member.user.id, roles: ['MEMBER', 'ADMIN'] } }),
  );
  assert.equal(graphQLErrorsOf(err).at(0).extensions.code, 'FORBIDDEN');

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
  ['Apollo 4 default Accept', undefined, 400],
  ['Apollo 3 app, Accept: */*', LEGACY_ACCEPT, 200],
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
