-- wrk script: POST `{ viewer { id displayName } }` to /graphql with a bearer token.
--
--   TOKEN=<accessToken> wrk -t2 -c32 -d25s --latency -s bench/viewer.lua http://127.0.0.1:18181/graphql
--
-- The token comes from $TOKEN (or the first argument after `--`). No response() callback on
-- purpose: parsing every body in Lua would slow the load generator, which shares the machine's
-- cores with the server; bench/run.sh checks correctness through the server's /metrics instead
-- (HTTP 200 count and GraphQL error count before and after each run).

local token = os.getenv("TOKEN")

function init(args)
  if args[1] ~= nil and args[1] ~= "" then
    token = args[1]
  end
  if token == nil or token == "" then
    error("viewer.lua: set TOKEN=<accessToken> (or pass it after --)")
  end
  wrk.method = "POST"
  wrk.body = '{"query":"{ viewer { id displayName } }"}'
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end
