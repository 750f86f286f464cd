// bench/peers/graphile.config.mjs - PostGraphile 5 for the side-by-side benchmark (make bench-peers).
//
// Production settings: GRAPHILE_ENV=production (set by bench/peers.sh), no GraphiQL, no explain,
// no watch mode, the Amber preset (PostGraphile's default) and its JWT verification
// (PgLazyJWTPreset) with SkillSwap's own HS256 key, issuer and audience, so the signed-in query
// is verified on both servers; the claims reach PostgreSQL as jwt.claims.* settings.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgLazyJWTPreset } from "postgraphile/presets/lazy-jwt";
import { makePgService } from "postgraphile/adaptors/pg";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const [host, port] = env("PEERS_ADDR").split(":");

/** @type {GraphileConfig.Preset} */
export default {
  extends: [PostGraphileAmberPreset, PgLazyJWTPreset],
  pgServices: [
    makePgService({
      connectionString: env("DATABASE_URL"),
      schemas: ["peers"],
      // The same pool size as SkillSwap's DATABASE_MAX_CONNS default.
      poolConfig: { max: Number(process.env.PEERS_POOL_MAX ?? 8) },
    }),
  ],
  grafserv: {
    host,
    port: Number(port),
    graphiql: false,
    watch: false,
    pgJwtSecret: Buffer.from(env("PEERS_JWT_SECRET_B64"), "base64"),
    pgJwtVerifyOptions: { audience: env("PEERS_JWT_AUDIENCE"), issuer: env("PEERS_JWT_ISSUER"), algorithms: ["HS256"] },
  },
  grafast: { explain: false },
};
