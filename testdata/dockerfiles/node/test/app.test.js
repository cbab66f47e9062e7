// Runs against the compiled output, as the image does.
const assert = require("assert");
const http = require("http");
const { createApp, greeting } = require("../dist/app");

describe("app", function () {
  it("greets by name", function () {
    assert.strictEqual(greeting("imgdiff"), "hello, imgdiff");
  });

  it("answers /hello/:name", function (done) {
    const server = createApp().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      http.get({ host: "127.0.0.1", port, path: "/hello/e2e" }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => {
          server.close();
          assert.strictEqual(res.statusCode, 200);
          assert.deepStrictEqual(JSON.parse(body), { message: "hello, e2e" });
          done();
        });
      });
    });
  });
});
