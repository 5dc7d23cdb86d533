/** errorMessage(): the message of an Error, anything else as text. */
import assert from "node:assert/strict";
import { errorMessage } from "../src/error_message.ts";

Deno.test("errorMessage() of an Error (a subclass too) is its message, without the name", () => {
  assert.equal(errorMessage(new Error("no room")), "no room");
  assert.equal(errorMessage(new Deno.errors.NotFound("gone")), "gone");
});

Deno.test("errorMessage() of anything else thrown is its text", () => {
  assert.equal(errorMessage("plain"), "plain");
  assert.equal(errorMessage(42), "42");
  assert.equal(errorMessage(undefined), "undefined");
  assert.equal(errorMessage({ message: "not an Error" }), "[object Object]");
});
