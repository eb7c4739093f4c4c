"""Every public callable, called with malformed arguments nobody listed.

For each function and constructible class in the ``__all__`` of every subpackage, one valid call
(from ``boundary_examples/`` or synthesised from the signature) is run, then each parameter in turn
is replaced by malformed values derived from its annotation (``malformed.mutations``). Each must
raise ``ValueError`` or ``TypeError`` whose message names the parameter: no error from inside
torch/NumPy/JAX, no silent return, no hang.
"""

from __future__ import annotations

import importlib
import typing
from types import ModuleType

import pytest
from malformed import (
    SUBPACKAGES,
    Call,
    bind,
    mutations,
    outcome,
    public_callables,
    synthesize,
    time_limit,
)

from theorybook.boundary import declared_parameters

COVERAGE_FLOOR = 0.90


def _table(subpackage: str) -> ModuleType | None:
    short = subpackage.rsplit(".", 1)[-1]
    try:
        return importlib.import_module(f"boundary_examples.{short}")
    except ModuleNotFoundError:
        return None


def _example(subpackage: str, name: str, fn: object) -> tuple[Call | None, str]:
    table = _table(subpackage)
    examples = getattr(table, "EXAMPLES", {})
    not_driven = getattr(table, "NOT_DRIVEN", {})
    if name in examples:
        return examples[name](), "example"
    if name in not_driven:
        return None, f"not driven: {not_driven[name]}"
    made = synthesize(fn)
    return made, "synthesised" if made is not None else "no example and not synthesisable"


CASES = [
    pytest.param(sub, name, id=f"{sub.rsplit('.', 1)[-1]}.{name}")
    for sub in SUBPACKAGES
    for name in public_callables(sub)
]


@pytest.mark.parametrize(("subpackage", "name"), CASES)
def test_malformed_arguments_get_clear_errors(subpackage: str, name: str) -> None:
    fn = public_callables(subpackage)[name]
    example, source = _example(subpackage, name, fn)
    if example is None:
        if source.startswith("not driven"):
            pytest.skip(source)
        pytest.fail(f"{name}: {source}; add it to tests/boundary_examples/")
    if not declared_parameters(fn):
        # Nothing to make malformed (and the call may change the process: enable_jax_x64);
        # an unexpected argument must be refused before the body runs.
        with pytest.raises(TypeError):
            fn("unexpected")
        return
    try:
        with time_limit(120):
            fn(*example.args, **example.kwargs)
    except Exception as err:
        pytest.fail(f"{name}: the valid call ({source}) failed: {type(err).__name__}: {err}")
    problems = []
    for mutation in mutations(fn, dict(bind(fn, example).arguments)):
        fresh, _ = _example(subpackage, name, fn)
        assert fresh is not None
        problem = outcome(fn, bind(fn, fresh), mutation)
        if problem is not None:
            problems.append(f"  {mutation.parameter} = {mutation.label}: {problem}")
    assert not problems, f"{name} ({source}):\n" + "\n".join(problems)


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_the_generic_test_drives_most_public_callables(subpackage: str) -> None:
    callables = public_callables(subpackage)
    if not callables:
        pytest.skip(f"{subpackage} exports no callables")
    driven = [n for n, fn in callables.items() if _example(subpackage, n, fn)[0] is not None]
    share = len(driven) / len(callables)
    print(f"{subpackage}: {len(driven)} of {len(callables)} public callables driven ({share:.0%})")
    assert share >= COVERAGE_FLOOR, (
        f"{subpackage}: only {len(driven)} of {len(callables)} public callables are driven; "
        f"not driven: {sorted(set(callables) - set(driven))}"
    )


def _bare_numbers(fn: object) -> list[str]:
    out = []
    for p in declared_parameters(fn).values():
        if typing.get_origin(p.hint) is typing.Annotated:
            continue
        leaves = [a for a in (typing.get_args(p.hint) or (p.hint,)) if a is not type(None)]
        if leaves and all(a is int or a is float for a in leaves):
            out.append(p.name)
    return out


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_every_public_number_declares_its_range(subpackage: str) -> None:
    """A bare ``int``/``float`` says nothing of zero or negative values: declare the range
    (``PositiveInt``, ``Probability``, ``Annotated[float, Interval(...)]``, ``AnyInt``, …)."""
    bare = {
        name: params
        for name, fn in public_callables(subpackage).items()
        if (params := _bare_numbers(fn))
    }
    assert not bare, f"{subpackage}: parameters without a declared range: {bare}"
