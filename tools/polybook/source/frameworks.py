"""Frameworks as data: adding one is a configuration change, not code."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Framework:
    """One deep-learning framework a book is written for."""

    name: str
    """Lower-case name used in ``#@tab``, ``:begin_tab:`` and paths."""
    display: str
    """Name shown to readers, e.g. on tabs."""
    module: str
    """Name of the library module: ``from d2l import <module> as d2l``."""
    requirements: tuple[str, ...] = ()
    """pip requirements of the framework's own environment."""
    aliases: tuple[str, ...] = field(default=())
    """Other spellings accepted in the source (case-insensitive)."""
    gpu_requirements: tuple[str, ...] = ()
    """pip requirements on a machine with GPUs, when they differ from ``requirements``."""
    distribution: str = ""
    """The pip distribution whose version ``polybook doctor`` shows."""
    kernel_env: tuple[tuple[str, str], ...] = ()
    """Environment variables of the framework's kernels (part of every cache key)."""
    stderr_noise: tuple[str, ...] = ()
    """Regular expressions of whole stderr lines the framework writes on its own (start-up
    notices no setting silences); they are removed from executed outputs."""

    @property
    def kernel(self) -> str:
        return f"polybook-{self.name}"


BUILTIN: dict[str, Framework] = {
    fw.name: fw
    for fw in (
        Framework(
            "pytorch",
            "PyTorch",
            "torch",
            ("torch==2.14.1", "torchvision==0.29.1"),
            aliases=("torch",),
            distribution="torch",
        ),
        Framework(
            "tensorflow",
            "TensorFlow",
            "tensorflow",
            ("tensorflow-cpu==2.21.0",),
            aliases=("tf",),
            gpu_requirements=("tensorflow[and-cuda]==2.21.0",),
            distribution="tensorflow",
            # TensorFlow's start-up chatter (oneDNN, CPU features) would fill every notebook's stderr
            kernel_env=(("TF_CPP_MIN_LOG_LEVEL", "2"),),
            # ... but it writes these two before its logging reads that setting (TF 2.21); the
            # only switch, TF_ENABLE_ONEDNN_OPTS=0, would change the computation to hide a notice
            stderr_noise=(
                r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR",
                r"I\d{4} [\d:.]+ +\d+ port\.cc:\d+\] oneDNN custom operations are on\..*",
            ),
        ),
        Framework("mxnet", "MXNet", "mxnet", ("mxnet==1.9.1", "numpy<1.24"), distribution="mxnet"),
        Framework("jax", "JAX", "jax", ("jax", "jaxlib", "flax"), distribution="jax"),
    )
}


def framework_from_spec(spec: str | dict[str, object]) -> Framework:
    """A framework named by a built-in name or described by a mapping of its fields.

    :raises ValueError: for an unknown name or a mapping without name, display or module.
    """
    if isinstance(spec, str):
        key = spec.strip().lower()
        for fw in BUILTIN.values():
            if key == fw.name or key in fw.aliases:
                return fw
        known = ", ".join(BUILTIN)
        raise ValueError(f"unknown framework {spec!r} (built in: {known}; or give a mapping)")
    missing = [k for k in ("name", "display", "module") if k not in spec]
    if missing:
        raise ValueError(f"framework mapping lacks {', '.join(missing)}: {spec!r}")
    return Framework(
        name=str(spec["name"]).lower(),
        display=str(spec["display"]),
        module=str(spec["module"]),
        requirements=tuple(str(r) for r in _items(spec.get("requirements"))),
        aliases=tuple(str(a).lower() for a in _items(spec.get("aliases"))),
        gpu_requirements=tuple(str(r) for r in _items(spec.get("gpu_requirements"))),
        distribution=str(spec.get("distribution", spec["module"])),
        kernel_env=tuple((str(k), str(v)) for k, v in _mapping(spec.get("kernel_env")).items()),
        stderr_noise=tuple(str(p) for p in _items(spec.get("stderr_noise"))),
    )


def _mapping(value: object) -> dict[object, object]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise ValueError(f"expected a mapping of names to values, got {value!r}")


def _items(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ValueError(f"expected a list, got {value!r}")
