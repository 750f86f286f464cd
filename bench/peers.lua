-- wrk script of the side-by-side benchmark (bench/peers.sh): POSTs the request body in the file
-- $BODY (written by bench/peerscheck) with the bearer token $TOKEN, to either server.
--
--   BODY=/tmp/bodies/nested.skillswap.json TOKEN=<accessToken> wrk -t1 -c8 -d10s --latency -s bench/peers.lua http://127.0.0.1:18190/graphql
--
-- No response() callback (parsing bodies in Lua would slow wrk, which shares the cores): the
-- data is compared by peerscheck before and after the runs, and wrk reports non-2xx answers.

function init(args)
  local path, token = os.getenv("BODY"), os.getenv("TOKEN")
  if path == nil or path == "" or token == nil or token == "" then
    error("peers.lua: set BODY=<file> and TOKEN=<accessToken>")
  end
  local f = assert(io.open(path, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end
