"""Display logic: conditions on earlier answers and the contact, as data (a safe subset of JsonLogic).

    {"<=": [{"var": "answers.rating"}, 2]}
    {"and": [{"==": [{"var": "contact.location"}, "Leeds"]}, {"in": ["Billing", {"var": "answers.topics"}]}]}

A condition is JSON that form builders and other tools already write (https://jsonlogic.com), evaluated here
by a small interpreter of a few operators, never by `eval`: anything else is refused by name. Variables are
`answers.<question key>` (a rating's scale position 1..n, NPS 0–10, yes/no "yes"/"no", a choice its label,
a multiple choice the list of ticked labels, a number the number, a text its text), a matrix statement's
`answers.<question key>.<statement key>` (its scale position 1..n, as a rating's) and `contact.<field>`
(name, email or an attribute). A variable that has no value (not answered, not asked, no contact on the
public link) is null, and a comparison with null is false, so a condition about the contact is false on the
public link unless written otherwise ({"!": …}, {"!=": …}).

`problems` checks a condition against the questions before it (every problem as "where: what");
`evaluate` answers it for one customer. Pure: no Flask, no database.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
OPERATORS = (*COMPARISONS, "in", "and", "or", "!", "!!", "var")
# answers.<key>, a matrix statement's answers.<key>.<statement> (its answer key, Question.parts), contact.<field>.
VARIABLE = re.compile(r"^(answers|contact)\.([a-z_][a-z0-9_]{0,63})(?:\.([a-z][a-z0-9_]{0,63}))?$")
# The types whose answers are numbers, which "<", "<=", ">" and ">=" compare.
ORDERED_TYPES = ("rating", "nps", "numeric")
MAX_DEPTH = 20
MAX_NODES = 200


class Asked(Protocol):
    """What a condition is checked against: a question's key, type and options, a matrix's statements
    ((key, text) pairs) and a number question's limits (a QuestionSpec)."""

    key: str
    type: str
    options: Sequence[str]
    statements: Sequence[tuple[str, str]]
    minimum: int | float | str | None
    maximum: int | float | str | None
    integer: bool


@dataclasses.dataclass
class _Statement:
    """A matrix statement as a condition reads it: a rating on the matrix's scale, keyed "<key>.<statement>"."""

    key: str
    options: Sequence[str]
    type: str = "rating"
    statements: Sequence[tuple[str, str]] = ()
    minimum: int | float | str | None = None
    maximum: int | float | str | None = None
    integer: bool = False


def variables(condition: Any) -> set[str]:
    """Every `var` name in a condition ("answers.rating", "contact.location")."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for operator, args in node.items():
                if operator == "var":
                    name = args[0] if isinstance(args, list) and args else args
                    if isinstance(name, str):
                        found.add(name)
                else:
                    walk(args)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(condition)
    return found


def answer_keys(condition: Any) -> set[str]:
    """The question keys a condition reads (a matrix's, for one of its statements)."""
    return {question_key(name.split(".", 1)[1]) for name in variables(condition) if name.startswith("answers.")}


def question_key(answer_key: str) -> str:
    """The question an answer key belongs to: "service.wait" (a matrix statement) is part of "service"."""
    return answer_key.split(".", 1)[0]


ARITY = {"!": (1, 1), "!!": (1, 1), "in": (2, 2), "==": (2, 2), "!=": (2, 2), "and": (1, None), "or": (1, None),
         "<": (2, 3), "<=": (2, 3), ">": (2, 3), ">=": (2, 3)}


def problems(condition: Any, where: str, earlier: Sequence[Asked], *, later: Sequence[str] = ()) -> list[str]:
    """What is wrong with `condition`, each as "where: what". `earlier` are the questions it may read;
    `later` the keys of the survey's other questions (named as not asked before, rather than unknown)."""
    if not isinstance(condition, dict):
        return [f"{where}: must be a condition object such as {{\"==\": [{{\"var\": \"answers.key\"}}, 1]}}"]
    checker = _Checker(where, {q.key: q for q in earlier}, set(later))
    checker.walk(condition, 0)
    return checker.found


class _Checker:
    def __init__(self, where: str, by_key: Mapping[str, Asked], later: set[str]):
        self.where, self.by_key, self.later = where, by_key, later
        self.found: list[str] = []
        self.nodes = 0

    def problem(self, what: str) -> None:
        self.found.append(f"{self.where}: {what}")

    def walk(self, node: Any, depth: int) -> None:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            if not any("is too large" in p for p in self.found):
                self.problem(f"is too large (at most {MAX_NODES} parts, nested {MAX_DEPTH} deep)")
            return
        if isinstance(node, list):
            for item in node:
                self.walk(item, depth + 1)
        elif isinstance(node, dict):
            self.operation(node, depth)
        elif not (node is None or isinstance(node, (bool, int, float, str))):
            self.problem(f"{node!r} is not a value")

    def operation(self, node: dict, depth: int) -> None:
        if len(node) != 1:
            self.problem(f"an operation is an object with one operator, got {sorted(node)}")
            return
        ((operator, args),) = node.items()
        if operator == "var":
            self.variable(args)
            return
        if operator not in ARITY:
            self.problem(f"unknown operator {operator!r} (known: {', '.join(OPERATORS)})")
            return
        args = args if isinstance(args, list) else [args]
        low, high = ARITY[operator]
        if len(args) < low or (high is not None and len(args) > high):
            most = "or more" if high is None else ("" if high == low else f"to {high}")
            self.problem(f"{operator!r} takes {low} {most} arguments, got {len(args)}".replace("  ", " "))
            return
        for arg in args:
            self.walk(arg, depth + 1)
        if operator == "in":
            self.membership(args)
        elif operator in COMPARISONS:
            self.comparison(operator, args)

    def variable(self, args: Any) -> None:
        name = args[0] if isinstance(args, list) and args else args
        match = VARIABLE.match(name) if isinstance(name, str) else None
        if match is None:
            self.problem(f"{{\"var\": {args!r}}} must name answers.<question key> or contact.<field>")
        elif match[1] == "contact" and match[3]:
            self.problem(f"{{\"var\": {args!r}}}: a contact field is named without a dot, e.g. contact.location")
        elif match[1] == "answers" and match[2] not in self.by_key:
            self.problem(f"refers to {match[2]!r}, which comes later in the survey (a condition reads only "
                         "answers given before it)" if match[2] in self.later
                         else f"refers to {match[2]!r}, which is not a question of this survey")
        elif match[1] == "answers":
            question = self.by_key[match[2]]
            statements = [key for key, _text in question.statements]
            if question.type == "matrix" and not match[3]:
                self.problem(f"refers to {match[2]!r}, a matrix: name one of its statements, e.g. "
                             f"answers.{match[2]}.{statements[0]} ({', '.join(map(repr, statements))})")
            elif match[3] and question.type != "matrix":
                self.problem(f"refers to {match[2]}.{match[3]}, but only a matrix question's statements are named "
                             f"after a dot, and {match[2]!r} is a {question.type} question")
            elif question.type == "ranking":
                # Its answer is every option in order: "==" a label never holds and "in" always does.
                self.problem(f"refers to {match[2]!r}, a ranking, whose answer (every option in order) a condition "
                             "cannot test")
            elif match[3] and match[3] not in statements:
                self.problem(f"refers to {match[2]}.{match[3]}, which is not a statement of {match[2]!r} "
                             f"({', '.join(map(repr, statements))})")

    def question_of(self, node: Any) -> Asked | None:
        """The question (a matrix statement as a rating) whose answer `node` reads, if it is an answer."""
        if isinstance(node, dict) and list(node) == ["var"]:
            name = node["var"]
            name = name[0] if isinstance(name, list) and name else name
            match = VARIABLE.match(name) if isinstance(name, str) else None
            if match is None or match[1] != "answers" or (question := self.by_key.get(match[2])) is None:
                return None
            if question.type == "matrix":
                statements = dict(question.statements)
                return _Statement(f"{match[2]}.{match[3]}", question.options) if match[3] in statements else None
            return None if match[3] else question
        return None

    def membership(self, args: list) -> None:
        """{"in": [label, answers.multi]} or {"in": [answers.x, [values]]}: the labels and values must be
        ones the answer can hold."""
        needle, haystack = args
        question = self.question_of(haystack)
        if question is not None and question.type == "multi" and not isinstance(needle, (dict, list)):
            self.value(question, needle)
        elif (question := self.question_of(needle)) is not None and isinstance(haystack, list):
            for item in haystack:
                self.value(question, item)

    def comparison(self, operator: str, args: list) -> None:
        for question in filter(None, map(self.question_of, args)):
            if operator in COMPARISONS[2:] and question.type not in ORDERED_TYPES:
                self.problem(f"{operator!r} compares numbers, and {question.key!r} is a {question.type} question; "
                             "use \"==\", \"!=\" or \"in\"")
                return
            for arg in args:
                if not isinstance(arg, (dict, list)):
                    self.value(question, arg)

    def value(self, question: Asked, value: Any) -> None:
        """`value` must be one `question`'s answer can be (or, for a multiple choice, contain)."""
        if value is None:
            return
        if question.type in ("rating", "nps"):
            low, high = (0, 10) if question.type == "nps" else (1, len(question.options))
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                self.problem(f"{value!r} is not an answer to {question.key!r} (a whole number from {low} to {high})")
        elif question.type == "numeric":
            self.number(question, value)
        elif question.type == "yesno":
            if value not in ("yes", "no"):
                self.problem(f"{value!r} is not an answer to {question.key!r} (\"yes\" or \"no\")")
        elif question.type in ("choice", "multi"):
            if value not in question.options:
                self.problem(f"{value!r} is not an option of {question.key!r} "
                             f"({', '.join(map(repr, question.options))})")
        elif not isinstance(value, str):
            self.problem(f"{value!r} is not an answer to {question.key!r} (a text)")


    def number(self, question: Asked, value: Any) -> None:
        """A number question's answer: a number, whole when only whole numbers are accepted, within its limits."""
        low = question.minimum if isinstance(question.minimum, (int, float)) else None
        high = question.maximum if isinstance(question.maximum, (int, float)) else None
        limits = (f"from {low} to {high}" if low is not None and high is not None else f"of at least {low}"
                  if low is not None else f"up to {high}" if high is not None else "")
        kind = "a whole number" if question.integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.problem(f"{value!r} is not an answer to {question.key!r} ({kind}{' ' + limits if limits else ''}; "
                         "write it without quotes)")
        elif question.integer and value != int(value):
            self.problem(f"{value!r} is not an answer to {question.key!r} (it accepts whole numbers only)")
        elif (low is not None and value < low) or (high is not None and value > high):
            self.problem(f"{value!r} is not an answer to {question.key!r} ({kind} {limits})")


def evaluate(condition: Any, data: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether `condition` holds for `data` = {"answers": {key: value}, "contact": {field: value}}; a
    condition checked by `problems` never raises."""
    return _truthy(_value(condition, data))


def _truthy(value: Any) -> bool:
    # JsonLogic's truthiness: [] and "" and 0 and null are false.
    return bool(value)


def _lookup(name: Any, data: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(name, list):
        name = name[0] if name else None
    if not isinstance(name, str) or "." not in name:
        return None
    scope, key = name.split(".", 1)
    value = data.get(scope, {}).get(key)
    return None if value == "" or value == [] else value


def _compare(operator: str, a: Any, b: Any) -> bool:
    if operator == "==":
        return a == b if type(a) is type(b) or _numbers(a, b) else False
    if operator == "!=":
        return not _compare("==", a, b)
    if not _numbers(a, b):
        return False  # a missing answer (null) or a text is neither above nor below a number
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))


def _all(args: list, data: Mapping) -> Any:
    result: Any = True
    for arg in args:
        if not _truthy(result := _value(arg, data)):
            return result
    return result


def _any(args: list, data: Mapping) -> Any:
    result: Any = False
    for arg in args:
        if _truthy(result := _value(arg, data)):
            return result
    return result


def _in(needle: Any, haystack: Any) -> bool:
    if isinstance(haystack, list):
        return needle in haystack
    return isinstance(haystack, str) and isinstance(needle, str) and needle in haystack


def _comparison(operator: str, values: list) -> bool:
    if len(values) == 3:  # between: {"<": [1, x, 5]}
        return _compare(operator, values[0], values[1]) and _compare(operator, values[1], values[2])
    return _compare(operator, values[0], values[1])


# Operators that read every argument's value; "and" and "or" stop at the first that decides.
_EAGER: dict[str, Callable[[list], bool]] = {
    "!": lambda v: not _truthy(v[0]), "!!": lambda v: _truthy(v[0]), "in": lambda v: _in(v[0], v[1]),
    **{op: functools.partial(_comparison, op) for op in COMPARISONS}}


def _value(node: Any, data: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(node, list):
        return [_value(item, data) for item in node]
    if not isinstance(node, dict) or len(node) != 1:
        return node
    ((operator, args),) = node.items()
    if operator == "var":
        return _lookup(args, data)
    args = args if isinstance(args, list) else [args]
    if operator == "and":
        return _all(args, data)
    if operator == "or":
        return _any(args, data)
    return _EAGER[operator]([_value(arg, data) for arg in args])


class Conditional(Protocol):
    """A question as the route reads it (a QuestionSpec or a stored Question)."""

    key: str
    type: str
    show_if: Any
    end_if: Any
    section: str


def answer_value(question_type: str, value: Any) -> Any:
    """A parsed answer as conditions see it: yes/no as "yes"/"no", everything else as parsed."""
    if question_type == "yesno" and isinstance(value, bool):
        return "yes" if value else "no"
    return value


def has_logic(questions: Sequence[Conditional], section_conditions: Mapping[str, Any] | None = None) -> bool:
    return any(q.show_if is not None or q.end_if is not None for q in questions) or any(
        (section_conditions or {}).values())


class Route:
    """Which questions one customer is asked, given their answers and their contact, in order."""

    def __init__(self, asked: list[str], not_asked: list[str], ended_after: str | None):
        self.asked = asked
        self.not_asked = not_asked
        self.ended_after = ended_after  # the question whose end_if ended the survey, or None


def route(questions: Sequence[Conditional], section_conditions: Mapping[str, Any], answers: Mapping[str, Any],
          contact: Mapping[str, Any]) -> Route:
    """Walk the questions in order: a question is asked when its section's condition and its own hold (each
    read from the answers to questions asked before it: an answer to a question not asked counts as none),
    until an asked question's `end_if` holds. `answers` are condition values (`answer_value`)."""
    seen: dict[str, Any] = {}
    data = {"answers": seen, "contact": contact}
    asked: list[str] = []
    not_asked: list[str] = []
    sections_shown: dict[str, bool] = {}
    ended_after = None
    for question in questions:
        if ended_after is not None:
            not_asked.append(question.key)
            continue
        section = question.section
        if section not in sections_shown:
            condition = section_conditions.get(section) if section else None
            sections_shown[section] = condition is None or evaluate(condition, data)
        if not sections_shown[section] or (question.show_if is not None and not evaluate(question.show_if, data)):
            not_asked.append(question.key)
            continue
        asked.append(question.key)
        # Its answer, or a matrix's answers to its statements ("service.wait"), each under its answer key.
        seen.update((key, value) for key, value in answers.items() if question_key(key) == question.key)
        if question.end_if is not None and evaluate(question.end_if, data):
            ended_after = question.key
    return Route(asked, not_asked, ended_after)


# The manager's editor builds one comparison without JSON: a subject (an earlier question's answer or a
# contact attribute), an operator and a value. Anything more (and, or, …) comes from an imported definition
# and is kept as it is.
EDITOR_OPERATORS = {"==": "is", "!=": "is not", "<=": "is at most", ">=": "is at least", "<": "is less than",
                    ">": "is more than", "in": "includes (multiple choice)"}


def simple_condition(subject: str, operator: str, value: str, question_type: str | None) -> dict:
    """{operator: [{"var": subject}, value]} from the editor's fields; `value` typed as the subject's
    answers are (a number for a rating or NPS, "yes"/"no" lower-case), `question_type` None for a contact
    attribute. "in" on a multiple choice is {"in": [value, {"var": subject}]} (the answer includes it)."""
    typed: Any = value.strip()
    if question_type in ("rating", "nps") and re.fullmatch(r"-?\d{1,3}", typed):
        typed = int(typed)
    elif question_type == "numeric" and (number := _editor_number(typed)) is not None:
        typed = number
    elif question_type == "yesno":
        typed = typed.lower()
    if operator == "in":
        return {"in": [typed, {"var": subject}]}
    return {operator: [{"var": subject}, typed]}


def _editor_number(text: str) -> int | float | None:
    """A number as a manager types it ("3", "2.5", "2,5"), or None (then it stays text and is refused by name)."""
    cleaned = re.sub(r"\s", "", text)
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"[+-]?(?:\d{1,13}(?:\.\d{0,9})?|\.\d{1,9})", cleaned):
        return None
    number = float(cleaned)
    return int(number) if number == int(number) else number


class Subject(Protocol):
    """A question as the editor offers it (a stored Question)."""

    key: str
    type: str
    text: str
    statements: Sequence[Mapping[str, str]]


def editor_subjects(questions: Sequence[Subject]) -> list[tuple[str, str, str]]:
    """(answer key, what it is in words, type) of each answer a condition on `questions` can read: a
    question's own, or each of a matrix's statements, keyed "service.wait" and read as a rating."""
    subjects = []
    for question in questions:
        if question.type == "ranking":
            continue  # a condition cannot test one (_Checker.variable)
        if question.type == "matrix":
            subjects += [(f"{question.key}.{statement['key']}",
                          f"the answer to “{statement['text'][:60]}” (in “{question.text[:40]}”)", "rating")
                         for statement in question.statements]
        else:
            subjects.append((question.key, f"the answer to “{question.text[:80]}”", question.type))
    return subjects


def editor_fields(condition: Any) -> tuple[str, str, str] | None:
    """(subject, operator, value as text) of a condition the editor can show, or None when it is more than
    one comparison."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    ((operator, args),) = condition.items()
    if operator not in EDITOR_OPERATORS or not isinstance(args, list) or len(args) != 2:
        return None
    if operator == "in":
        args = args[::-1]
    subject, value = args
    if not (isinstance(subject, dict) and list(subject) == ["var"] and isinstance(subject["var"], str)):
        return None
    if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
        return None
    return subject["var"], operator, str(value)


def describe(condition: Any) -> str:
    """A condition in words for the editor's list ("satisfaction is at most 2"); JSON when it is more."""
    fields = editor_fields(condition)
    if fields is None:
        return json.dumps(condition, ensure_ascii=False)
    subject, operator, value = fields
    return f"{subject.split('.', 1)[1]}{' (contact)' if subject.startswith('contact.') else ''} " \
           f"{EDITOR_OPERATORS[operator].replace(' (multiple choice)', '')} {value}"
