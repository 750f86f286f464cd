// Matches through an Apollo Client 4 app: pages of `matches` fetched with fetchMore and merged by
// relayStylePagination, each Match normalised under its stable id, the same entry a
// node(id:) refetch updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryCache } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { authedClient, gql, signUpMember } from './lib/clients.js';

const T = { timeout: 30_000 };

const SKILL = gql`
  query Skill($slug: String!) {
    skill(slug: $slug) { id slug }
  }
`;
const ADD_SKILL = gql`
  mutation AddSkill($in: AddMemberSkillInput!) {
    addMemberSkill(input: $in) { user { id } }
  }
`;
const MATCHES = gql`
  query Matches($first: Int, $after: String) {
    matches(first: $first, after: $after) {
      edges { cursor node { id score mutual user { id displayName } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const MATCH_NODE = gql`
  query MatchNode($id: ID!) {
    node(id: $id) { id ... on Match { id score mutual user { id } } }
  }
`;

/** A member who offers and wants the given skills (ids to levels). */
async function member(tag, offers, wants) {
  const m = await signUpMember(tag);
  const client = authedClient(m.accessToken);
  for (const [kind, skills] of [['OFFER', offers], ['WANT', wants]]) {
    for (const [skillId, level] of Object.entries(skills)) {
      await client.mutate({ mutation: ADD_SKILL, variables: { in: { skillId, kind, level } } });
    }
  }
  return m;
}

test('matches: fetchMore pages merge into one list, each Match cached once under its id', T, async () => {
  const anon = authedClient(null);
  const id = async (slug) => (await anon.query({ query: SKILL, variables: { slug } })).data.skill.id;
  const [guitar, spanish] = await Promise.all([id('guitar'), id('spanish')]);

  const viewer = await member('matcher', { [guitar]: 'EXPERT' }, { [spanish]: 'INTERMEDIATE' });
  const partners = [];
  for (const [tag, offers, wants] of [
    ['mutual', { [spanish]: 'ADVANCED' }, { [guitar]: 'BEGINNER' }],
    ['teacher', { [spanish]: 'ADVANCED' }, {}],
    ['learner', {}, { [guitar]: 'BEGINNER' }],
  ]) {
    partners.push(await member(`match-${tag}`, offers, wants));
  }

  // The app's cache: `matches` is a Relay connection merged page after page.
  const cache = new InMemoryCache({ typePolicies: { Query: { fields: { matches: relayStylePagination() } } } });
  const client = authedClient(viewer.accessToken, { cache });
  const first = await client.query({ query: MATCHES, variables: { first: 2 } });
  assert.equal(first.data.matches.edges.length, 2);
  // The list screen watches the query and loads the next page with fetchMore.
  const list = client.watchQuery({ query: MATCHES, variables: { first: 2 } });
  const watching = list.subscribe(() => {});
  let { pageInfo } = first.data.matches;
  let pages = 1;
  while (pageInfo.hasNextPage) {
    const more = await list.fetchMore({ variables: { after: pageInfo.endCursor } });
    assert.ok(more.data.matches.edges.length > 0);
    pageInfo = more.data.matches.pageInfo;
    pages += 1;
    assert.ok(pages <= 300, 'at most 500 matches are reachable');
  }
  assert.ok(pages >= 2, 'the matches span several pages');
  watching.unsubscribe();

  const merged = client.readQuery({ query: MATCHES, variables: { first: 2 } }).matches;
  const ids = merged.edges.map((e) => e.node.id);
  assert.equal(new Set(ids).size, ids.length, `no match twice across pages: ${ids}`);
  for (const mid of ids) assert.match(mid, /^mch_[0-9a-f]{32}$/);
  const scores = merged.edges.map((e) => e.node.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'best first across page boundaries');
  const partnerIds = new Set(merged.edges.map((e) => e.node.user.id));
  for (const p of partners) assert.ok(partnerIds.has(p.user.id), `${p.user.displayName} is among the matches`);

  // Normalised: one Match:<id> entry per match, referenced by the list.
  const snapshot = cache.extract();
  const matchKeys = Object.keys(snapshot).filter((k) => k.startsWith('Match:'));
  assert.deepEqual(matchKeys.sort(), ids.map((mid) => `Match:${mid}`).sort());
  assert.equal(cache.identify({ __typename: 'Match', id: ids[0] }), `Match:${ids[0]}`);

  // A refetch by id lands on the same entry (no new one), and the id is stable across loads.
  const mutual = merged.edges.find((e) => e.node.user.id === partners[0].user.id).node;
  const viaNode = await client.query({ query: MATCH_NODE, variables: { id: mutual.id }, fetchPolicy: 'network-only' });
  assert.equal(viaNode.data.node.__typename, 'Match');
  assert.equal(viaNode.data.node.id, mutual.id);
  assert.equal(viaNode.data.node.user.id, partners[0].user.id);
  assert.equal(Object.keys(cache.extract()).filter((k) => k.startsWith('Match:')).length, ids.length);
  const again = await client.query({ query: MATCHES, variables: { first: 2 }, fetchPolicy: 'network-only' });
  assert.deepEqual(again.data.matches.edges.map((e) => e.node.id), ids.slice(0, 2));

  // The other member of the pair reads the same match (same id) from their side; a third
  // member gets null, exactly as for an id that does not exist.
  const fromPartner = await authedClient(partners[0].accessToken).query({ query: MATCH_NODE, variables: { id: mutual.id } });
  assert.equal(fromPartner.data.node.id, mutual.id);
  assert.equal(fromPartner.data.node.user.id, viewer.user.id);
  const outsider = await signUpMember('match-outsider');
  const hidden = await authedClient(outsider.accessToken).query({ query: MATCH_NODE, variables: { id: mutual.id } });
  assert.equal(hidden.data.node, null);
});
