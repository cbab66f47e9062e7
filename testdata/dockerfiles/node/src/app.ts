// The service: a greeting and a health check. Kept apart from server.ts so
// the tests can mount it without listening on a port.
import express from "express";

export function greeting(name: string): string {
  return `hello, ${name}`;
}

export function createApp(): express.Express {
  const app = express();
  app.get("/healthz", (_req, res) => {
    res.send("ok");
  });
  app.get("/hello/:name", (req, res) => {
    res.json({ message: greeting(req.params.name) });
  });
  return app;
}
