import { describe, expect, it } from "vitest";
import type { TeamMember } from "../api/client";
import { answerers, ownerName } from "./ConversationView";

const member = (id: string, email: string, role: TeamMember["role"], available: boolean, name = ""): TeamMember => ({
  id,
  email,
  name,
  role,
  available,
});

describe("conversation owners", () => {
  it("offers the answering roles, the available members first", () => {
    const team = [
      member("m1", "zoe@x.test", "agent", true),
      member("m2", "bo@x.test", "agent", false),
      member("m3", "cy@x.test", "viewer", true),
      member("m4", "al@x.test", "admin", true),
    ];
    expect(answerers(team).map((m) => m.id)).toEqual(["m4", "m1", "m2"]);
  });

  it("names the owner by name, else e-mail, else says another member", () => {
    const team = [member("m1", "ana@x.test", "agent", true, "Ana"), member("m2", "bo@x.test", "agent", true)];
    expect(ownerName("m1", team)).toBe("Ana");
    expect(ownerName("m2", team)).toBe("bo@x.test");
    expect(ownerName("m9", team)).toBe("Another member");
    expect(ownerName("m1", undefined)).toBe("Another member");
  });
});
