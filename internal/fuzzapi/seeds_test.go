package fuzzapi_test

// seeds start the fuzzer (and run as a test with the rest): generated documents from a few byte
// patterns for each identity, and raw documents a hostile client sends. More inputs, among them
// every failure the fuzzer found, live in testdata/fuzz/FuzzGraphQL.
var seeds = []struct {
	mode uint8
	doc  string
	data string
}{
	{4, "", ""},
	{5, "", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"},
	{6, "", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4"},
	{13, "", "mutation proposeSession durationMinutes"},
	{0, `{ __typename }`, ""},
	{1, `{ viewer { id email profile { bio location { latitude longitude } } } }`, ""},
	{2, `query($f: Int) { users(first: $f) { edges { node { id email roles } } } }`, `{"f": 2147483648}`},
	{1, `query($n: NearInput!) { searchMembers(filter: {near: $n}) { totalCount } }`, `{"n": {"latitude": "NaN", "longitude": 1e-320, "radiusKm": 1e-320}}`},
	{1, `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { id } } }`, `{"in": {"bio": "a\u0000b", "location": {"latitude": "Infinity", "longitude": 0}}}`},
	{1, `mutation { proposeSession(input: {skillId: "skl_x", teacherId: "usr_x", learnerId: "usr_y", startsAt: "9999-12-31T23:59:59-23:59", durationMinutes: 2147483647, mode: ONLINE}) { session { id } } }`, ""},
	{1, `mutation($t: DateTime) { muteConversation(input: {conversationId: "cnv_x", muted: true, until: $t}) { conversation { id } } }`, `{"t": "0000-01-01T00:00:00+23:59"}`},
	{9, `{ searchSkills(text: "\u0000") { edges { node { id } } } }`, ""},
	{0, `{ node(id: "usr_AAAAAAAAAAAAAAAAAAAAAA") { id } }`, ""},
	{0, `query { a: __schema { types { name fields { name args { name type { name } } } } } }`, ""},
	{0, `{ ...F } fragment F on Query { ...F }`, ""},
	{0, `query($v: [[Int!]!]) { __typename }`, `{"v": [[1, null]]}`},
	{0, `subscription { messageAdded(conversationId: "x") { id } }`, ""},
	{2, `mutation { refundPayment(input: {paymentId: "pay_x", amountMinor: -1, reason: "", requestId: "x"}) { payment { id } } }`, ""},
}
