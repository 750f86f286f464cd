-- wrk script: the logIn mutation with a demo member's credentials (each call verifies the
-- password with argon2id, creates a session and a refresh token, and signs an access token).
--
--   EMAIL=admin@demo.skillswap.local PASSWORD='swap-skills-2026!' \
--     wrk -t1 -c2 -d20s --latency -s bench/login.lua http://127.0.0.1:18181/graphql
--
-- The server's login rate limits (RATE_LOGIN_PER_ACCOUNT, RATE_LOGIN_PER_IP) must be raised, or
-- most calls answer RATE_LIMITED quickly and the numbers mean nothing; bench/run.sh raises them
-- and counts GraphQL errors through /metrics to prove every call succeeded.

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

function init(args)
  local email = os.getenv("EMAIL") or "admin@demo.skillswap.local"
  local password = os.getenv("PASSWORD") or "swap-skills-2026!"
  local query = "mutation LogIn($input: LogInInput!) { logIn(input: $input) { accessToken } }"
  wrk.method = "POST"
  wrk.body = '{"query":' .. json_string(query)
    .. ',"operationName":"LogIn","variables":{"input":{"email":' .. json_string(email)
    .. ',"password":' .. json_string(password) .. '}}}'
  wrk.headers["Content-Type"] = "application/json"
end
