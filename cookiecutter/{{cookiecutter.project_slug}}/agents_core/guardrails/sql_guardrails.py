"""Sample guardrails: the sales assistant reads data and never changes it.

Two checks share one list of write keywords:

- `check_sql_read_only(context, text)`, registered as the input guardrail ``sql_read_only``,
  refuses a user message that asks to change data, written as SQL ("DROP TABLE sales") or as a
  request ("please delete all the North orders"), before any model runs.
- `sql_read_only_tool_guardrail`, an SDK tool input guardrail on ``run_sql_query``, refuses a
  statement the model wrote that is not a plain SELECT, and tells the model why.

Both only give early, clear refusals: the read-only connection of
`agents_core.tools.sales_database` is what makes writing impossible.
"""

import json
import re
from typing import Any, Final

from agents import ToolGuardrailFunctionOutput, ToolInputGuardrailData, tool_input_guardrail

from agents_core.registry import register_guardrail

WRITE_KEYWORDS: Final = frozenset(
    {
        "alter",
        "attach",
        "create",
        "delete",
        "detach",
        "drop",
        "insert",
        "pragma",
        "reindex",
        "replace",
        "truncate",
        "update",
        "upsert",
        "vacuum",
    }
)
"""SQL words that start or imply a change; none may appear in a query outside literals."""

ALLOWED_HINT: Final = (
    "Only read-only questions about the sales data are allowed, e.g. 'total revenue by "
    "region' or a SELECT query; nothing can be deleted, changed or added."
)

# SQL write statements inside free text. Each keyword must be followed by what makes it a
# statement ("DELETE FROM", "UPDATE x SET"...), so "what was the update on sales?" passes.
_SQL_WRITE_STATEMENT: Final = re.compile(
    r"""\b(?:
        drop \s+ (?:table|view|index|trigger|database|schema)\b
      | delete \s+ from\b
      | update \s+ [\w."`\[\]]+ \s+ set\b
      | insert \s+ (?:or \s+ \w+ \s+)? into\b
      | replace \s+ into\b
      | alter \s+ (?:table|database)\b
      | create \s+ (?:(?:temp|temporary|unique|virtual) \s+)? (?:table|view|index|trigger)\b
      | attach \s+ (?:database\b|['"])
      | detach \s+ (?:database\b|\w+\s*(?:;|$))
      | pragma \s+ \w+
      | truncate \s+ table\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# A request in words: a write verb at the start of a sentence or after "please", "can you"...
# (so it is an instruction, not a noun as in "the drop in sales"), then, within five words, a
# thing that holds data. "Update me on sales" asks for news, not a change.
_REQUEST_START: Final = (
    r"(?:^|[.!?;:\n]|\b(?:please|pls|can\s+you|could\s+you|would\s+you|will\s+you|you\s+to|"
    r"want\s+to|need\s+to|like\s+to|let[’']?s|go\s+ahead\s+and|and|then|also|now|just)\b)"
)
_WRITE_VERBS: Final = (
    r"delete|drop|remove|erase|wipe|purge|truncate|update|modify|alter|overwrite|insert|edit"
)
_DATA_NOUNS: Final = (
    r"tables?|rows?|records?|data|database|db|sales?|orders?|columns?|entry|entries|schema|"
    r"prices?|values?|regions?|products?|channels?|revenue|units"
)
_WRITE_REQUEST: Final = re.compile(
    rf"{_REQUEST_START}\s*(?P<verb>{_WRITE_VERBS})\b(?!\s+(?:me|us)\b)"
    rf"(?:\W+\w+){{0,4}}?\W+(?:{_DATA_NOUNS})\b",
    re.IGNORECASE,
)

# String literals, quoted identifiers and comments, whose content is not SQL to check.
_SQL_NOT_CODE: Final = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?(?:\*/|\Z)""",
    re.DOTALL,
)
_SQL_TOKEN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|\(")


def check_sql_read_only(context: Any, text: str) -> tuple[bool, str]:
    """Refuse a user message that asks to change data; accept questions.

    Args:
        context: The run's AgentContext (unused: the text alone decides).
        text: The latest user message.

    Returns:
        (True, reason) to let the message through, or (False, message for the user).
    """
    statement = _SQL_WRITE_STATEMENT.search(text)
    if statement:
        found = " ".join(statement.group(0).split()).upper()
        return False, f"Refused: the message contains the SQL statement {found!r}. {ALLOWED_HINT}"
    request = _WRITE_REQUEST.search(text)
    if request:
        verb = request.group("verb").lower()
        return False, f"Refused: the message asks to {verb} data. {ALLOWED_HINT}"
    return True, "No request to change data."


def check_sql_query(sql: str) -> tuple[bool, str]:
    """Accept one SELECT (or WITH ... SELECT) that names no write keyword outside literals.

    Args:
        sql: The statement the model wants to run.

    Returns:
        (True, reason) or (False, message telling the model what is allowed).
    """
    tokens = [token.lower() for token in _SQL_TOKEN.findall(_SQL_NOT_CODE.sub(" ", sql))]
    words = [token for token in tokens if token != "("]
    if not words or words[0] not in ("select", "with"):
        first = words[0].upper() if words else "nothing"
        return False, f"Refused: the query starts with {first}. {ALLOWED_HINT}"
    for index, token in enumerate(tokens):
        # replace(x, 'a', 'b') is a read-only string function; REPLACE INTO is a write.
        is_function = index + 1 < len(tokens) and tokens[index + 1] == "("
        if token in WRITE_KEYWORDS and not (token == "replace" and is_function):
            return False, f"Refused: the query contains {token.upper()}. {ALLOWED_HINT}"
    return True, "A read-only SELECT."


@tool_input_guardrail(name="sql_read_only")
def sql_read_only_tool_guardrail(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
    """Tool input guardrail for a tool whose argument ``sql`` holds one SELECT statement."""
    try:
        arguments = json.loads(data.context.tool_arguments or "{}")
    except json.JSONDecodeError:
        arguments = None
    sql = arguments.get("sql") if isinstance(arguments, dict) else None
    if not isinstance(sql, str):
        return ToolGuardrailFunctionOutput.reject_content(
            'Refused: send the arguments as {"sql": "SELECT ..."}.',
            output_info={"guardrail": "sql_read_only", "ok": False},
        )
    ok, message = check_sql_query(sql)
    info = {"guardrail": "sql_read_only", "ok": ok, "message": message}
    if ok:
        return ToolGuardrailFunctionOutput.allow(output_info=info)
    return ToolGuardrailFunctionOutput.reject_content(message, output_info=info)


register_guardrail(
    "sql_read_only",
    check_sql_read_only,
    description="Refuses requests to change the sales data (DROP, DELETE, UPDATE, INSERT...).",
)
