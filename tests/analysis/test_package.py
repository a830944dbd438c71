"""The analysis package: public names, frozen results, and the worked examples in docstrings."""
import dataclasses
import doctest
import importlib
import pkgutil

import pytest

import analysis

MODULES = sorted(
    f"analysis.{info.name}"
    for info in pkgutil.iter_modules(analysis.__path__)
    if not info.name.startswith("_")
)


def test_every_public_name_is_exported_and_listed_in_the_docstring():
    for name in analysis.__all__:
        assert hasattr(analysis, name), name
        if not isinstance(getattr(analysis, name), type):
            assert f"``{name}(" in analysis.__doc__, name


def test_module_all_is_reexported():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if name.isupper():  # module constants stay in their module
                continue
            assert getattr(analysis, name) is getattr(module, name), (module_name, name)


def test_results_are_frozen_dataclasses_with_documented_fields():
    for name in analysis.__all__:
        obj = getattr(analysis, name)
        if isinstance(obj, type):
            assert dataclasses.is_dataclass(obj), name
            assert obj.__dataclass_params__.frozen, name
            for field in dataclasses.fields(obj):
                assert field.name in obj.__doc__, (name, field.name)


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failed == 0
