import { describe, expect, it } from "vitest";
import { type KeyValue, MemoryStorage, SessionStore } from "../src/store";

describe("SessionStore", () => {
  it("remembers one session per tenant", () => {
    const storage = new MemoryStorage();
    const acme = new SessionStore("acme", storage);
    const globex = new SessionStore("globex", storage);
    expect(acme.load()).toBeNull();
    acme.save({ sessionId: "s1", token: "t1" });
    expect(acme.load()).toEqual({ sessionId: "s1", token: "t1" });
    expect(globex.load()).toBeNull();
    expect(new SessionStore("acme", storage).load()).toEqual({ sessionId: "s1", token: "t1" });
    acme.clear();
    expect(acme.load()).toBeNull();
  });

  it("forgets corrupt or incomplete entries", () => {
    const storage = new MemoryStorage();
    const store = new SessionStore("acme", storage);
    for (const raw of ["{not json", "null", '{"sessionId":"s"}', '{"sessionId":"","token":"t"}']) {
      storage.setItem("frontdesk-widget:acme", raw);
      expect(store.load()).toBeNull();
      expect(storage.getItem("frontdesk-widget:acme")).toBeNull();
    }
  });

  it("survives a storage that throws", () => {
    const broken: KeyValue = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    };
    const store = new SessionStore("acme", broken);
    expect(() => store.save({ sessionId: "s", token: "t" })).not.toThrow();
    expect(store.load()).toBeNull();
    expect(() => store.clear()).not.toThrow();
  });

  it("uses window.localStorage across instances", () => {
    new SessionStore("demo", window.localStorage).save({ sessionId: "s9", token: "t9" });
    expect(JSON.parse(window.localStorage.getItem("frontdesk-widget:demo") ?? "{}")).toEqual({
      sessionId: "s9",
      token: "t9",
    });
  });
});
