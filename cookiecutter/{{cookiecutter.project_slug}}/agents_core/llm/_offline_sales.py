"""Questions about the sales table as SQL: the offline model's data analyst.

A question is parsed into a metric, an optional dimension, filters, a time window, an order
and a limit (the words are data: `[sales]` of `offline_rules.toml`; the columns' values and the
data's date range are read from the agent's instructions, i.e. the schema text, as a real model
would read them). `to_sql` writes one SELECT; `describe` says what its rows answer.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from agents_core.llm._offline_rules import SalesRules, Vocabulary

_VALUES = re.compile(r"^\s*-\s*(\w+)\s+TEXT\b.*?\bone of\s+(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"'([^']+)'")
_RANGE = re.compile(r"from (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})")
_ISO = r"(\d{4}-\d{2}-\d{2})"
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): index for index, name in enumerate(calendar.month_abbr) if name})
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}
_COUNTS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_RELATIVE = (
    r"(?:last|this|latest|the latest|most recent|the most recent|current|the last|past|"
    r"previous|the previous)"
)
# Words after "by", "per" or "which" that need no vocabulary of their own.
_HARMLESS = frozenset(
    (
        "the",
        "a",
        "an",
        "is",
        "was",
        "were",
        "are",
        "has",
        "had",
        "did",
        "do",
        "does",
        "of",
        "in",
        "for",
        "total",
        "far",
        "much",
        "many",
        "one",
        "two",
        "three",
        "four",
        "five",
        "ten",
        "top",
        "bottom",
        "best",
        "worst",
        "highest",
        "lowest",
        "most",
        "least",
    )
)


@dataclass
class Window:
    start: date
    end: date
    label: str

    def scope(self) -> str:
        if self.label:
            return f" in {self.label} ({self.start.isoformat()} to {self.end.isoformat()})"
        return f" from {self.start.isoformat()} to {self.end.isoformat()}"


@dataclass
class SalesQuestion:
    """What a question about the sales table asks."""

    metric: Vocabulary
    dimension: Vocabulary | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    window: Window | None = None
    order: str | None = None
    """"asc" (lowest first) or "desc" (highest first)."""
    limit: int | None = None
    share: bool = False
    table: str = "sales"
    date_column: str = "order_date"

    def where(self) -> str:
        conditions = []
        if self.window is not None:
            conditions.append(
                f"{self.date_column} BETWEEN '{self.window.start.isoformat()}' "
                f"AND '{self.window.end.isoformat()}'"
            )
        for column, values in self.filters.items():
            quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
            conditions.append(
                f"{column} = {quoted}" if len(values) == 1 else f"{column} IN ({quoted})"
            )
        return " WHERE " + " AND ".join(conditions) if conditions else ""

    def to_sql(self) -> str:
        """One read-only SELECT that answers the question."""
        metric, where = self.metric, self.where()
        if self.dimension is None:
            return f"SELECT {metric.sql} AS {metric.name} FROM {self.table}{where}"
        dimension = self.dimension
        columns = [f"{dimension.sql} AS {dimension.name}", f"{metric.sql} AS {metric.name}"]
        if metric.additive:
            total = f"(SELECT {metric.sql} FROM {self.table}{where})"
            columns.append(f"ROUND(100.0 * {metric.sql} / {total}, 1) AS share_pct")
            columns.append(f"{total} AS total")
            groups = f"(SELECT COUNT(DISTINCT {dimension.sql}) FROM {self.table}{where})"
            columns.append(f"{groups} AS groups")
        if self.order is not None:
            order = f"{metric.name} {self.order.upper()}, {dimension.name}"
        elif dimension.chronological:
            order = dimension.name
        else:
            order = f"{metric.name} DESC, {dimension.name}"
        limit = f" LIMIT {self.limit}" if self.limit else ""
        return (
            f"SELECT {', '.join(columns)} FROM {self.table}{where} "
            f"GROUP BY {dimension.name} ORDER BY {order}{limit}"
        )

    def scope(self) -> str:
        parts = [
            f" for {' and '.join(values)}"
            for column, values in self.filters.items()
            if not (self.dimension and self.dimension.name == column)
        ]
        if self.window is not None:
            parts.append(self.window.scope())
        return "".join(parts)

    def describe(self, result: dict[str, Any]) -> str:
        """One or a few sentences on the query's result, naming what was asked."""
        if result.get("error"):
            return f"The query failed: {result['error']}"
        columns: list[str] = list(result.get("columns", []))
        rows = [dict(zip(columns, row, strict=False)) for row in result.get("rows", [])]
        label, scope = self.metric.label, self.scope()
        if self.dimension is None:
            value = rows[0].get(self.metric.name) if rows else None
            if value is None:
                return f"No sales match{scope or ' the question'}."
            return f"{label[:1].upper()}{label[1:]}{scope or ' in total'}: {_number(value)}."
        if not rows:
            return f"No sales match{scope or ' the question'}."
        name = self.dimension.name
        if self.limit == 1 and self.order is not None:
            row = rows[0]
            word = "lowest" if self.order == "asc" else "highest"
            sentence = (
                f"{row[name]} had the {word} {label}{scope}: {_number(row[self.metric.name])}"
            )
            if "share_pct" in row and "total" in row:
                sentence += f" ({_share(row['share_pct'])}% of the {_number(row['total'])} total"
                if isinstance(row.get("groups"), int):
                    sentence += f" over {row['groups']} {_plural(name, row['groups'])}"
                sentence += ")"
            return sentence + "."
        shown = "; ".join(
            f"{row[name]} {_number(row[self.metric.name])}"
            + (f" ({_share(row['share_pct'])}%)" if self.share and "share_pct" in row else "")
            for row in rows
        )
        if self.limit and self.order is not None:
            which = "Bottom" if self.order == "asc" else "Top"
            head = f"{which} {len(rows)} {_plural(name)} by {label}"
        else:
            head = f"{label[:1].upper()}{label[1:]} by {name}"
        sentence = f"{head}{scope}: {shown}."
        if len(self.filters.get(name, [])) == 2 and len(rows) == 2:
            high, low = sorted(rows, key=lambda r: float(r[self.metric.name] or 0), reverse=True)
            difference = float(high[self.metric.name] or 0) - float(low[self.metric.name] or 0)
            ahead = _number(_same_kind(difference, high[self.metric.name]))
            sentence += f" {high[name]} is ahead by {ahead}."
        return sentence


def read_schema(instructions: str) -> tuple[dict[str, list[str]], date | None]:
    """The text columns' values ("- region TEXT: one of 'North', ...") and the data's last date."""
    values = {
        match.group(1): _QUOTED.findall(match.group(2)) for match in _VALUES.finditer(instructions)
    }
    found = _RANGE.search(instructions)
    last = date.fromisoformat(found.group(2)) if found else None
    return values, last


def parse(
    question: str, instructions: str, rules: SalesRules, previous: str = ""
) -> SalesQuestion | None:
    """The question as a `SalesQuestion`, or None when it is not one the rules understand.

    `previous` is the previous question, for a follow-up ("and the lowest?"): what the new
    one does not say is taken from it.
    """
    values, last = read_schema(instructions)
    text = question.lower().strip()
    window, text = _window(text, last)
    asked = _asked(text, rules, values)
    if asked is None:
        return None
    if not asked["understood"]:
        if not previous:
            return None
        earlier = parse(previous, instructions, rules)
        if earlier is None or not (asked["order"] or window or asked["filters"]):
            return None
        return _merged(earlier, asked, window)
    metric = asked["metric"] or rules.metrics.get(rules.default_metric)
    if metric is None:
        return None
    return SalesQuestion(
        metric=metric,
        dimension=asked["dimension"],
        filters=asked["filters"],
        window=window,
        order=asked["order"],
        limit=asked["limit"],
        share=asked["share"],
        table=rules.table,
        date_column=rules.date_column,
    )


def _merged(earlier: SalesQuestion, asked: dict[str, Any], window: Window | None) -> SalesQuestion:
    merged = SalesQuestion(**{**earlier.__dict__})
    if asked["order"]:
        merged.order = asked["order"]
        merged.limit = asked["limit"] or earlier.limit or 1
    if window is not None:
        merged.window = window
    if asked["filters"]:
        merged.filters = {**earlier.filters, **asked["filters"]}
    return merged


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None


def _remove(text: str, phrase: str) -> str:
    return re.sub(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", " ", text)


def _asked(text: str, rules: SalesRules, values: dict[str, list[str]]) -> dict[str, Any] | None:
    """Metric, dimension, filters, order, limit and share the text names (None: unknown words)."""
    rest = text
    filters: dict[str, list[str]] = {}
    for column, options in values.items():
        for value in options:
            if _has(rest, value.lower()):
                filters.setdefault(column, []).append(value)
                rest = _remove(rest, value.lower())
    metric = _find(rest, rules.metrics)
    if metric is not None:
        for word in sorted(metric.words, key=len, reverse=True):
            rest = _remove(rest, word)
    dimension = _find(rest, rules.dimensions)
    compared = [column for column, chosen in filters.items() if len(chosen) > 1]
    if dimension is None and compared:
        dimension = rules.dimensions.get(compared[0])
    order_words = rules.order
    order = None
    if any(_has(text, word) for word in order_words.get("lowest", ())):
        order = "asc"
    elif any(_has(text, word) for word in order_words.get("highest", ())):
        order = "desc"
    limit = _limit(text)
    if order is not None and limit is None and dimension is not None:
        plural = any(_has(text, word) for word in dimension.words if word.endswith("s"))
        limit = None if plural else 1
    if limit is not None and order is None:
        order = "desc"
    for word in re.findall(r"\b(?:by|per|each|every|which)\s+([a-z]+)", rest):
        known = word in _HARMLESS or any(
            word in vocabulary.words or word.rstrip("s") in vocabulary.words
            for vocabulary in [*rules.metrics.values(), *rules.dimensions.values()]
        )
        if not known:
            return None  # "revenue per customer": a dimension the table does not have
    return {
        "metric": metric,
        "dimension": dimension,
        "filters": filters,
        "order": order,
        "limit": limit,
        "share": any(_has(text, word) for word in order_words.get("share", ())),
        "understood": metric is not None or dimension is not None or bool(filters),
    }


def _find(text: str, vocabularies: dict[str, Vocabulary]) -> Vocabulary | None:
    best: tuple[int, Vocabulary] | None = None
    for vocabulary in vocabularies.values():
        for word in vocabulary.words:
            if _has(text, word) and (best is None or len(word) > best[0]):
                best = (len(word), vocabulary)
    return best[1] if best else None


def _limit(text: str) -> int | None:
    counts = "|".join(_COUNTS)
    match = re.search(
        rf"\b(?:top|bottom|best|worst|first|last|highest|lowest)\s+(\d+|{counts})\b", text
    )
    match = match or re.search(
        rf"\b(\d+|{counts})\s+(?:best|worst|highest|lowest|top|bottom|biggest|smallest)\b", text
    )
    if not match:
        return None
    word = match.group(1)
    return int(word) if word.isdigit() else _COUNTS[word]


def _window(text: str, last: date | None) -> tuple[Window | None, str]:
    """The time window the text names, and the text without it."""
    match = re.search(rf"\b(?:between|from)\s+{_ISO}\s+(?:and|to|until)\s+{_ISO}", text)
    if match:
        start, end = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
        return Window(start, end, ""), text.replace(match.group(0), " ")
    year_of = last.year if last else None
    match = re.search(
        r"\b(?:q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th) quarter)"
        r"(?:\s+(?:of\s+)?(\d{4}))?\b",
        text,
    )
    if match:
        number = int(match.group(1)) if match.group(1) else _ORDINALS[match.group(2)]
        year = int(match.group(3)) if match.group(3) else year_of
        if year is not None:
            return _quarter(year, number), text.replace(match.group(0), " ")
    if last is not None:
        relative: dict[str, Callable[[], Window]] = {
            "quarter": lambda: _quarter(last.year, (last.month - 1) // 3 + 1),
            "month": lambda: _month(last.year, last.month),
            "year": lambda: Window(date(last.year, 1, 1), date(last.year, 12, 31), str(last.year)),
        }
        for unit, window in relative.items():
            match = re.search(rf"\b{_RELATIVE}\s+{unit}\b", text)
            if match:
                return window(), text.replace(match.group(0), " ")
        match = re.search(r"\b(?:year to date|ytd|so far this year)\b", text)
        if match:
            return Window(date(last.year, 1, 1), last, f"{last.year} to date"), text.replace(
                match.group(0), " "
            )
        match = re.search(rf"\b{_RELATIVE}\s+(\d+)\s+(days|weeks|months)\b", text)
        if match:
            count, unit = int(match.group(1)), match.group(2)
            days = count * {"days": 1, "weeks": 7, "months": 30}[unit]
            start = last - timedelta(days=days - 1)
            if unit == "months":
                start = _months_back(last, count)
            return Window(start, last, f"the last {count} {unit}"), text.replace(
                match.group(0), " "
            )
    names = "|".join(sorted(_MONTHS, key=len, reverse=True))
    match = re.search(
        rf"\b(?:in|for|during|of)\s+({names})\b(?:\s+(\d{{4}}))?|\b({names})\s+(\d{{4}})\b", text
    )
    if match:
        name = match.group(1) or match.group(3)
        year_text = match.group(2) or match.group(4)
        year = int(year_text) if year_text else year_of
        if year is not None:
            return _month(year, _MONTHS[name]), text.replace(match.group(0), " ")
    match = re.search(r"\b(?:in|for|during|of)?\s*((?:19|20)\d{2})\b", text)
    if match:
        year = int(match.group(1))
        return Window(date(year, 1, 1), date(year, 12, 31), str(year)), text.replace(
            match.group(0), " "
        )
    return None, text


def _quarter(year: int, number: int) -> Window:
    start = date(year, 3 * number - 2, 1)
    end_month = 3 * number
    end = date(year, end_month, calendar.monthrange(year, end_month)[1])
    return Window(start, end, f"Q{number} {year}")


def _month(year: int, month: int) -> Window:
    end = date(year, month, calendar.monthrange(year, month)[1])
    return Window(date(year, month, 1), end, f"{calendar.month_name[month]} {year}")


def _months_back(last: date, count: int) -> date:
    month = last.month - count + 1
    year = last.year
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def _plural(noun: str, count: int = 2) -> str:
    return noun if count == 1 or noun.endswith("s") else noun + "s"


def _same_kind(value: float, like: Any) -> float | int:
    return round(value) if isinstance(like, int) else round(value, 2)


def _share(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
