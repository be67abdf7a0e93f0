"""The stubs name what the extension module has, and nothing it lacks."""

import ast
import pathlib

import asterism._native as native


def test_every_stubbed_class_and_method_exists():
    stub = ast.parse((pathlib.Path(native.__file__).parent / "_native.pyi").read_text())
    for cls in [n for n in stub.body if isinstance(n, ast.ClassDef)]:
        real = getattr(native, cls.name)
        for item in cls.body:
            if isinstance(item, ast.FunctionDef) and item.name != "__init__":
                assert hasattr(real, item.name), f"{cls.name}.{item.name}"
