import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { KbAnswer, KbQueryResponse } from "../api/client";
import { AnswerView, QueryResults, safeUrl } from "./Knowledge";

const XSS = '<img src=x onerror="window.__xss=1">';

afterEach(cleanup);

const QUERY: KbQueryResponse = {
  results: [
    {
      chunk_id: "c1",
      document_id: "d1",
      content: `Returns are accepted within 30 days. ${XSS}`,
      score: 0.81234,
      scores: { vector: 0.9, keyword: 0.6 },
      metadata: { title: "Returns policy", source: "paste:returns" },
    },
    {
      chunk_id: "c2",
      document_id: "d2",
      content: "Shipping takes three days.",
      score: 0.2,
      scores: { vector: 0.25, keyword: 0 },
      metadata: {},
    },
  ],
  entity: null,
  latency_ms: 12,
};

const ANSWER: KbAnswer = {
  answer: `You can return items within 30 days [1]. ${XSS}`,
  mode: "extractive",
  entity: null,
  citations: [
    {
      number: 1,
      document_id: "d1",
      chunk_id: "c1",
      title: "Returns policy",
      source: "paste:returns",
      url: "https://shop.example/returns",
      score: 0.8,
      excerpt: "Returns are accepted within 30 days.",
    },
    {
      number: 2,
      document_id: "d3",
      chunk_id: "c3",
      title: "Evil",
      source: "paste:evil",
      url: "javascript:alert(1)",
      score: 0.5,
      excerpt: XSS,
    },
  ],
};

describe("QueryResults", () => {
  it("lists each passage with its score, document and excerpt, as text", () => {
    const { container } = render(<QueryResults data={QUERY} />);
    const rows = screen.getAllByTestId("kb-result");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByText("Returns policy")).toBeTruthy();
    expect(within(rows[0]).getByTestId("kb-score").textContent).toBe("score 0.812 · vector 0.900 · keyword 0.600");
    expect(rows[0].textContent).toContain(XSS);
    expect(within(rows[1]).getByText("d2")).toBeTruthy();
    expect(container.querySelector("img")).toBeNull();
  });

  it("says so when nothing matched", () => {
    render(<QueryResults data={{ results: [], entity: null, latency_ms: 1 }} />);
    expect(screen.getByText("No passages matched.")).toBeTruthy();
  });
});

describe("AnswerView", () => {
  it("shows the answer, its mode and numbered citations; unsafe URLs link to the document row instead", () => {
    const { container } = render(<AnswerView data={ANSWER} />);
    expect(screen.getByTestId("kb-answer-mode").textContent).toBe("extractive");
    expect(screen.getByTestId("kb-answer-text").textContent).toContain("within 30 days [1]");
    const citations = screen.getAllByTestId("kb-citation");
    expect(citations.map((c) => c.textContent?.slice(0, 3))).toEqual(["[1]", "[2]"]);
    const link = within(citations[0]).getByRole("link", { name: "Returns policy" });
    expect(link.getAttribute("href")).toBe("https://shop.example/returns");
    expect(within(citations[1]).getByRole("link", { name: "Evil" }).getAttribute("href")).toBe("#kb-doc-d3");
    expect(container.querySelector("img")).toBeNull();
    expect(container.innerHTML).not.toContain("javascript:");
  });

  it("labels a don't-know answer and lists no citations", () => {
    render(<AnswerView data={{ answer: "I don't know the answer to that.", mode: "dont_know", citations: [], entity: null }} />);
    expect(screen.getByTestId("kb-answer-mode").textContent).toBe("don't know");
    expect(screen.queryAllByTestId("kb-citation")).toHaveLength(0);
  });
});

describe("safeUrl", () => {
  it("keeps http(s) and drops other schemes and garbage", () => {
    expect(safeUrl("http://a.example/x")).toBe("http://a.example/x");
    expect(safeUrl("javascript:alert(1)")).toBeNull();
    expect(safeUrl("data:text/html,hi")).toBeNull();
    expect(safeUrl("not a url")).toBeNull();
    expect(safeUrl(null)).toBeNull();
  });
});
