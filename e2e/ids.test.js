// Ids through an Apollo Client 4 cache set up with the recommended typePolicies: a mutation's
// payload updates the entry a query cached (by its stable id), and a part type without an id
// (Profile) is merged inside its parent across two queries that select different fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryCache } from '@apollo/client';
import { authedClient, gql, signUpMember } from './lib/clients.js';
import { typePolicies } from './lib/typepolicies.js';

const T = { timeout: 30_000 };

const PREFS = gql`
  query Prefs {
    notificationPreferences { id type inApp email }
  }
`;
const SET_PREF = gql`
  mutation SetPref($in: SetNotificationPreferenceInput!) {
    setNotificationPreference(input: $in) { preference { id type inApp email } }
  }
`;

test('ids: a mutation payload updates the cached list entry with the same id, without a refetch', T, async () => {
  const m = await signUpMember('ids-prefs');
  const cache = new InMemoryCache({ typePolicies });
  const client = authedClient(m.accessToken, { cache });
  const { data } = await client.query({ query: PREFS });
  const before = data.notificationPreferences.find((p) => p.type === 'NEW_MESSAGE');
  assert.match(before.id, /^npf_[0-9a-f]{32}$/);
  assert.equal(before.email, false);
  assert.equal(new Set(data.notificationPreferences.map((p) => p.id)).size, data.notificationPreferences.length);

  const res = await client.mutate({
    mutation: SET_PREF,
    variables: { in: { type: 'NEW_MESSAGE', inApp: true, email: true } },
  });
  assert.equal(res.data.setNotificationPreference.preference.id, before.id);
  const requests = client.exchanges.length;
  const cached = await client.query({ query: PREFS, fetchPolicy: 'cache-only' });
  const after = cached.data.notificationPreferences.find((p) => p.type === 'NEW_MESSAGE');
  assert.equal(after.email, true, 'the cached list shows the mutation result');
  assert.equal(client.exchanges.length, requests, 'answered from the cache');
  assert.ok(cache.extract()[`NotificationPreference:${before.id}`], 'normalised under its id');
});

test('ids: a Profile (no id) is kept inside its User and merged across queries', T, async () => {
  const m = await signUpMember('ids-profile');
  const client = authedClient(m.accessToken, { cache: new InMemoryCache({ typePolicies }) });
  await client.mutate({
    mutation: gql`mutation { updateProfile(input: {bio: "Potter", timeZone: "Europe/Paris"}) { user { id } } }`,
  });
  await client.query({ query: gql`query A { viewer { id profile { bio } } }` });
  await client.query({ query: gql`query B { viewer { id profile { timeZone } } }` });
  const both = await client.query({
    query: gql`query C { viewer { id profile { bio timeZone } } }`,
    fetchPolicy: 'cache-only',
  });
  assert.deepEqual(
    { bio: both.data.viewer.profile.bio, timeZone: both.data.viewer.profile.timeZone },
    { bio: 'Potter', timeZone: 'Europe/Paris' },
  );
  const entries = Object.keys(client.cache.extract());
  assert.ok(entries.includes(`User:${m.user.id}`));
  assert.ok(!entries.some((k) => k.startsWith('Profile')), `no Profile entry of its own: ${entries}`);
});
