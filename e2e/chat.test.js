// Chat through the apps' clients: a message sent with Apollo Client over HTTP reaches another
// member's messageAdded subscription over graphql-ws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authedClient, collect, gql, signUpMember, withTimeout, wsClient } from './lib/clients.js';

const T = { timeout: 20_000 };

const OPEN_DIRECT = gql`
  mutation OpenDirect($userId: ID!) {
    openDirectConversation(input: { userId: $userId }) { conversation { id kind } }
  }
`;
const SEND = gql`
  mutation Send($input: SendMessageInput!) {
    sendMessage(input: $input) { message { id seq body } }
  }
`;
const MESSAGE_ADDED = `subscription MessageAdded($c: ID!, $after: Int) {
  messageAdded(conversationId: $c, afterSeq: $after) { id seq body sender { id } }
}`;

test('messageAdded over graphql-ws delivers a message another member sent', T, async (t) => {
  const alice = await signUpMember('chat-a');
  const bob = await signUpMember('chat-b');
  const aliceClient = authedClient(alice.accessToken);
  const { data } = await aliceClient.mutate({ mutation: OPEN_DIRECT, variables: { userId: bob.user.id } });
  const conv = data.openDirectConversation.conversation;
  assert.equal(conv.kind, 'DIRECT');

  const { client } = wsClient({ token: bob.accessToken });
  t.after(() => client.dispose());
  // afterSeq: 0 replays from the start, so the message is delivered even if it is sent before
  // the server has registered the subscription (the protocol has no "subscribed" ack).
  const sub = collect(client, { query: MESSAGE_ADDED, variables: { c: conv.id, after: 0 } });

  const sent = await aliceClient.mutate({
    mutation: SEND,
    variables: { input: { conversationId: conv.id, clientId: `e2e-${Date.now()}`, body: 'Hello from Apollo' } },
  });
  const msg = sent.data.sendMessage.message;
  assert.equal(msg.seq, 1);

  const v = await sub.next((x) => x.data?.messageAdded?.id === msg.id, 5000, 'messageAdded');
  assert.deepEqual(v, {
    data: { messageAdded: { id: msg.id, seq: 1, body: 'Hello from Apollo', sender: { id: alice.user.id } } },
  });
  sub.dispose();
  assert.deepEqual(await withTimeout(sub.done, 3000, 'complete'), { complete: true });
});
