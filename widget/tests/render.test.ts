import { describe, expect, it, vi } from "vitest";
import { parseRich, renderMessage, safeImageUrl } from "../src/render";
import { message } from "./fixtures";

const XSS = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;

describe("renderMessage", () => {
  it("shows customer and bot text as text, never as markup", () => {
    for (const direction of ["in", "out"]) {
      const node = renderMessage(document, message({ direction, text: XSS }), () => {});
      expect(node.querySelector(".fd-text")?.textContent).toBe(XSS);
      expect(node.querySelector("img, script")).toBeNull();
    }
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("marks who said it, for screen readers too", () => {
    const mine = renderMessage(document, message({ direction: "in", sender: "customer" }), () => {});
    const agent = renderMessage(document, message({ sender: "agent" }), () => {});
    expect(mine.className).toContain("fd-mine");
    expect(mine.getAttribute("aria-label")).toBe("You said");
    expect(agent.getAttribute("aria-label")).toBe("Agent said");
    expect(agent.className).toContain("fd-theirs");
  });

  it("renders reply buttons that send their payload", () => {
    const onAction = vi.fn();
    const node = renderMessage(
      document,
      message({
        content: {
          buttons: [
            { label: "Track order", payload: "TRACK" },
            { title: XSS },
            { nothing: "here" },
          ],
        },
      }),
      onAction,
    );
    const buttons = [...node.querySelectorAll<HTMLButtonElement>(".fd-actions button")];
    expect(buttons.map((b) => b.textContent)).toEqual(["Track order", XSS]);
    expect(buttons[0].type).toBe("button");
    expect(node.querySelector(".fd-actions")?.getAttribute("role")).toBe("group");
    buttons[0].click();
    buttons[1].click();
    expect(onAction.mock.calls).toEqual([
      ["TRACK", "Track order"],
      [XSS, XSS],
    ]);
  });

  it("renders a list; items with a payload are buttons", () => {
    const onAction = vi.fn();
    const node = renderMessage(
      document,
      message({
        content: {
          list: {
            title: "Your orders",
            items: [
              { title: "#1001", description: "Shipped", payload: "order 1001" },
              { title: "#1002 <b>bold</b>" },
            ],
          },
        },
      }),
      onAction,
    );
    expect(node.querySelector(".fd-list-title")?.textContent).toBe("Your orders");
    const items = node.querySelectorAll(".fd-list-item");
    expect(items).toHaveLength(2);
    expect(items[0].querySelector(".fd-list-item-desc")?.textContent).toBe("Shipped");
    expect(items[1].querySelector("button")).toBeNull();
    expect(items[1].textContent).toBe("#1002 <b>bold</b>");
    expect(node.querySelector("b")).toBeNull();
    items[0].querySelector("button")?.click();
    expect(onAction).toHaveBeenCalledWith("order 1001", "#1001");
  });

  it("renders http(s) images with alt text and drops any other scheme", () => {
    const node = renderMessage(
      document,
      message({
        text: "",
        content: {
          image: { url: "https://cdn.example/a.png", alt: "A parcel" },
          images: [{ url: "javascript:alert(1)" }, { url: "data:image/png;base64,AAAA" }],
        },
      }),
      () => {},
    );
    const imgs = node.querySelectorAll("img");
    expect(imgs).toHaveLength(1);
    expect(imgs[0].getAttribute("src")).toBe("https://cdn.example/a.png");
    expect(imgs[0].alt).toBe("A parcel");
    expect(node.querySelector(".fd-text")).toBeNull();
  });
});

describe("parseRich", () => {
  it("ignores unknown or malformed content", () => {
    for (const content of [null, 5, "x", [], { buttons: "no" }, { list: 3 }, { image: 7 }]) {
      expect(parseRich(content)).toEqual({
        buttons: [],
        listTitle: null,
        items: [],
        images: [],
        files: [],
      });
    }
  });

  it("caps the number of parts", () => {
    const buttons = Array.from({ length: 50 }, (_, i) => ({ label: `b${i}` }));
    expect(parseRich({ buttons }).buttons).toHaveLength(20);
  });

  it("accepts a bare list and a bare image URL", () => {
    const rich = parseRich({ list: [{ label: "One", value: "1" }], image: "http://x.test/i.png" });
    expect(rich.items).toEqual([{ title: "One", description: null, payload: "1" }]);
    expect(rich.images).toEqual([{ url: "http://x.test/i.png", alt: "" }]);
  });
});

describe("media", () => {
  const base = "https://desk.example/api/v1/webchat/";

  it("shows an image, and offers any other file as a link, resolved against the server", () => {
    const file = { kind: "document", url: "/media/m1?expires=9&signature=ab", filename: "invoice.pdf" };
    const node = renderMessage(document, message({ text: "", content: { media: file } }), () => {}, base);
    const link = node.querySelector<HTMLAnchorElement>("a.fd-file");
    expect(link?.href).toBe("https://desk.example/media/m1?expires=9&signature=ab");
    expect(link?.textContent).toBe("invoice.pdf");
    expect(link?.rel).toBe("noopener noreferrer");
    const image = parseRich({ media: { kind: "image", url: "/media/m2", caption: "Your parcel" } }, base);
    expect(image.images).toEqual([{ url: "https://desk.example/media/m2", alt: "Your parcel" }]);
  });

  it("refuses script URLs and ignores media without a URL", () => {
    for (const media of [{ kind: "document", url: "javascript:alert(1)" }, { kind: "image" }, "x"]) {
      const rich = parseRich({ media }, base);
      expect([rich.images, rich.files]).toEqual([[], []]);
    }
  });
});

describe("safeImageUrl", () => {
  it("keeps only absolute http(s) URLs", () => {
    expect(safeImageUrl("https://a.test/x.png")).toBe("https://a.test/x.png");
    expect(safeImageUrl("JaVaScRiPt:alert(1)")).toBeNull();
    expect(safeImageUrl("/relative.png")).toBeNull();
    expect(safeImageUrl(42)).toBeNull();
  });
});
