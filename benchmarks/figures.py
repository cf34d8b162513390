"""A measured figure, its target, and the table and JSON they are reported in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RATIO = "×"
SECONDS = "s"
CALLS = "calls"
EXPONENT = "exponent"


@dataclass(frozen=True)
class Target:
    operator: str  # "<=" or ">="
    limit: float

    def holds(self, value: float) -> bool:
        return value <= self.limit if self.operator == "<=" else value >= self.limit

    def describe(self, unit: str) -> str:
        return f"{'≤' if self.operator == '<=' else '≥'} {format_value(self.limit, unit)}"


@dataclass
class Figure:
    id: str
    title: str
    value: float
    unit: str
    target: Target | None = None
    subject_seconds: float | None = None
    reference: str | None = None  # what the subject is compared with
    reference_seconds: float | None = None
    runs: int | None = None  # timed runs of the subject (and as many of the reference)
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.target.holds(self.value)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "value": self.value,
            "unit": self.unit,
            "target": None
            if self.target is None
            else {"operator": self.target.operator, "limit": self.target.limit},
            "passed": self.passed,
            "subject_seconds": self.subject_seconds,
            "reference": self.reference,
            "reference_seconds": self.reference_seconds,
            "runs": self.runs,
            "details": self.details,
            "note": self.note,
        }


def format_value(value: float, unit: str) -> str:
    if unit == RATIO:
        return f"{value:.2f}×"
    if unit == SECONDS:
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == CALLS:
        return f"{value:g}"
    return f"{value:.2f}"


def _seconds(value: float | None) -> str:
    return "" if value is None else format_value(value, SECONDS)


def result_text(figure: Figure, enforce: bool) -> str:
    if figure.passed is None:
        return ""
    if not enforce:
        return "(not enforced)"
    return "PASS" if figure.passed else "FAIL"


def markdown_table(figures: list[Figure], enforce: bool) -> str:
    rows = [
        ("figure", "subject", "reference", "value", "target", "result"),
        *(
            (
                figure.title,
                _seconds(figure.subject_seconds),
                f"{figure.reference} {_seconds(figure.reference_seconds)}".strip()
                if figure.reference
                else "",
                format_value(figure.value, figure.unit),
                "" if figure.target is None else figure.target.describe(figure.unit),
                result_text(figure, enforce),
            )
            for figure in figures
        ),
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)
