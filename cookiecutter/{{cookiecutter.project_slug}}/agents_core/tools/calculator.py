"""A calculator tool: exact arithmetic without `eval`."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from agents_core.registry.tool_registry import register_tool

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_MAX_POWER = 100


def evaluate(expression: str) -> float | int:
    """The value of an arithmetic expression (+ - * / // % ** ^ and parentheses).

    Raises ValueError for anything else, naming what is allowed.
    """
    if len(expression) > 200:
        raise ValueError("Expressions are limited to 200 characters.")
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except SyntaxError as error:
        raise ValueError(f"Not an arithmetic expression: {expression!r}") from error
    value = _eval(tree.body)
    if not isinstance(value, int | float):
        raise ValueError(f"Not a number: {expression!r}")
    return value


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_POWER:
            raise ValueError(f"Exponents are limited to {_MAX_POWER}.")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    raise ValueError(
        "Only numbers, + - * / // % ** ^ and parentheses are allowed in an expression."
    )


@register_tool(
    name="calculator",
    description="Calculate the exact value of an arithmetic expression such as (12 + 3) * 4",
    category="math",
    parameters_description="expression (str): numbers, + - * / // % ** ^ and parentheses",
    returns_description="dict with the expression and its value, or an error",
)
def calculator(expression: str) -> dict[str, Any]:
    """Calculate an arithmetic expression.

    Args:
        expression: The arithmetic expression, e.g. "(12 + 3) * 4".
    """
    try:
        value = evaluate(expression)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        return {"expression": expression, "error": str(error)}
    return {"expression": expression, "value": value}
