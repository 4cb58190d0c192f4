import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { client, graphql } from "ponder";

/*
 * GraphQL over the schema at / and /graphql (GraphiQL in a browser), and read-only SQL for @ponder/client at
 * /sql/*. Ponder itself serves /health, /ready, /status and /metrics.
 */
const app = new Hono();

app.use("/sql/*", client({ db, schema }));
app.use("/", graphql({ db, schema }));
app.use("/graphql", graphql({ db, schema }));

export default app;
