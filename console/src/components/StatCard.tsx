/** One figure in a `.cards` grid: a label and a large value, orange when it needs attention. */
export function StatCard({
  label,
  value,
  warn,
  testId,
}: {
  label: string;
  value: number | string;
  warn?: boolean;
  testId?: string;
}) {
  return (
    <div className={warn ? "card stat warn" : "card stat"}>
      <div className="muted">{label}</div>
      <div className="value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}
