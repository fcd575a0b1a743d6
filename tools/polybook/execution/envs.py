"""One virtual environment and one Jupyter kernel per framework.

The frameworks' dependencies conflict (MXNet 1.9 needs numpy < 1.24; TensorFlow needs numpy 2),
so each framework runs in its own environment. An environment is named by a hash of what it is
asked to hold and lives in a per-user cache, so fresh clones and CI runs on one machine share it;
the project links to it as ``envs/<framework>``. The kernelspec ``polybook-<framework>`` is
written into the polybook environment itself (``sys.prefix``), never into the user's home.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import PolybookError
from ..fsutil import write_json
from ..source.config import BookConfig
from ..source.frameworks import Framework

#: What every framework's environment holds besides the framework.
#: The d2l library of books in this dialect downloads its data with requests and uses scipy.
COMMON_REQUIREMENTS = ("ipykernel", "matplotlib", "pandas", "scikit-learn", "requests", "scipy")
READY = "polybook-env.json"


class EnvironmentMissing(PolybookError):
    """A framework's environment or kernel is not set up."""

    def __init__(self, framework: str, detail: str) -> None:
        super().__init__(framework, detail)
        self.framework = framework
        self.detail = detail

    def __str__(self) -> str:
        return (
            f"the {self.framework} environment is not set up ({self.detail}); "
            f"create it with `make env-{self.framework}` (or `polybook env --framework {self.framework}`)"
        )


class EnvironmentFailed(PolybookError):
    """Creating an environment failed; carries the installer's last lines."""

    def __init__(self, framework: str, command: list[str], output: str) -> None:
        super().__init__(framework, command, output)
        self.framework, self.command, self.output = framework, command, output

    def __str__(self) -> str:
        tail = "\n".join(self.output.strip().splitlines()[-15:])
        return f"creating the {self.framework} environment failed: {' '.join(self.command)}\n{tail}"


def gpu_count() -> int:
    """GPUs that ``nvidia-smi`` lists; 0 without the tool or a driver."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return 0
    try:
        listing = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in listing.stdout.splitlines() if line.startswith("GPU "))


def cache_root() -> Path:
    """Where environments live: ``$POLYBOOK_ENV_CACHE``, else the user's cache folder."""
    if "POLYBOOK_ENV_CACHE" in os.environ:
        return Path(os.environ["POLYBOOK_ENV_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "polybook" / "envs"


@dataclass(frozen=True)
class EnvSpec:
    """What one framework's environment is asked to hold."""

    framework: Framework
    requirements: tuple[str, ...]
    python: str = f"{sys.version_info.major}.{sys.version_info.minor}"

    @property
    def digest(self) -> str:
        data = json.dumps([self.framework.name, self.python, sorted(self.requirements)])
        return hashlib.sha256(data.encode()).hexdigest()[:12]

    @property
    def name(self) -> str:
        return f"{self.framework.name}-py{self.python}-{self.digest}"

    @property
    def path(self) -> Path:
        return cache_root() / self.name


def spec_for(framework: Framework, config: BookConfig, gpus: int | None = None) -> EnvSpec:
    """The environment a framework needs on this machine (its GPU build when there are GPUs)."""
    gpus = gpu_count() if gpus is None else gpus
    wanted = framework.gpu_requirements if gpus and framework.gpu_requirements else framework.requirements
    return EnvSpec(framework, tuple(wanted) + COMMON_REQUIREMENTS + tuple(config.requirements))


def link_path(config: BookConfig, framework: Framework) -> Path:
    """``envs/<framework>`` in the book: a link to the environment in the cache."""
    return config.root / "envs" / framework.name


def python_of(config: BookConfig, framework: Framework) -> Path:
    return link_path(config, framework) / "bin" / "python"


def is_ready(path: Path) -> bool:
    return (path / READY).is_file() and (path / "bin" / "python").exists()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock named after ``path`` (two clones may create one environment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def create(spec: EnvSpec, log: Path | None = None) -> Path:
    """Create the environment of ``spec`` unless the cache has it; return its folder.

    The ready marker is written last, so an interrupted creation is found unfinished next time,
    removed and done again.
    """
    path = spec.path
    with _locked(path):
        if is_ready(path):
            return path
        if path.exists():
            shutil.rmtree(path)
        steps = [
            [sys.executable, "-m", "venv", str(path)],
            [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
            [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", *spec.requirements],
        ]
        for command in steps:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if log is not None:
                with open(log, "a", encoding="utf-8") as handle:
                    handle.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
            if done.returncode != 0:
                raise EnvironmentFailed(spec.framework.name, command, done.stdout + done.stderr)
        write_json(
            path / READY,
            {
                "framework": spec.framework.name,
                "requirements": list(spec.requirements),
                "python": spec.python,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            },
        )
    return path


def link(config: BookConfig, framework: Framework, target: Path) -> None:
    """Point ``envs/<framework>`` at ``target``, replacing an older link atomically."""
    where = link_path(config, framework)
    where.parent.mkdir(parents=True, exist_ok=True)
    if where.is_symlink() and Path(os.readlink(where)) == target:
        return
    if where.exists() and not where.is_symlink():
        return  # an environment the user made by hand: theirs to keep
    tmp = where.with_name(f".{where.name}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target, target_is_directory=True)
    os.replace(tmp, where)


def kernel_dir(framework: Framework) -> Path:
    """The kernelspec folder inside polybook's own environment."""
    return Path(sys.prefix) / "share" / "jupyter" / "kernels" / framework.kernel


def register_kernel(framework: Framework, python: Path) -> Path:
    """Write the kernelspec ``polybook-<framework>``, which starts ``python`` (rewritten only when
    it changes, so a kernel of another book's environment is never left in place)."""
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"{framework.display} (polybook)",
        "language": "python",
        "metadata": {"polybook": {"framework": framework.name}},
    }
    folder = kernel_dir(framework)
    write_json(folder / "kernel.json", spec)
    return folder


def ensure(config: BookConfig, framework: Framework, log: Path | None = None) -> Path:
    """The framework's environment, created if needed, linked and with its kernel registered."""
    path = create(spec_for(framework, config), log)
    link(config, framework, path)
    register_kernel(framework, python_of(config, framework))
    return path


def resolve(config: BookConfig, framework: Framework) -> Path:
    """The environment a book's notebooks of ``framework`` run in, its kernel registered.

    The book's own ``envs/<framework>`` if it has one; else the cached environment its
    configuration asks for (so ``--source`` books need no links of their own).

    :raises EnvironmentMissing: when neither exists.
    """
    linked = link_path(config, framework)
    if (linked / "bin" / "python").exists():
        python = linked / "bin" / "python"
        env = linked.resolve()
    else:
        env = spec_for(framework, config).path
        if not is_ready(env):
            raise EnvironmentMissing(framework.name, f"no {linked}, and no {env}")
        python = env / "bin" / "python"
    register_kernel(framework, python)
    return env


def site_packages(env: Path) -> Path | None:
    found = sorted(env.glob("lib/python*/site-packages"))
    return found[0] if found else None


def frozen(env: Path) -> list[str]:
    """The environment's installed distributions as ``name==version``, sorted, read from disk.

    Reading the ``.dist-info`` folders is what ``pip freeze`` does, without starting a Python.
    """
    packages = site_packages(env)
    if packages is None:
        return []
    found = set()
    for info in packages.glob("*.dist-info"):
        stem = info.name.removesuffix(".dist-info")
        name, _, version = stem.partition("-")
        found.add(f"{name.lower().replace('_', '-')}=={version}")
    return sorted(found)


def version_of(env: Path, *distributions: str) -> str:
    """The installed version of the first of ``distributions`` the environment has."""
    installed = dict(item.partition("==")[::2] for item in frozen(env))
    for distribution in distributions:
        name = re.split(r"[<>=!\[ ;]", distribution, maxsplit=1)[0].lower().replace("_", "-")
        if name in installed:
            return installed[name]
    return ""


def environment_digest(env: Path) -> str:
    """A hash of the environment's frozen package list (part of every cache key)."""
    return hashlib.sha256("\n".join(frozen(env)).encode()).hexdigest()[:16]


class EnvironmentMismatch(PolybookError):
    """No environment of this machine has the packages a job's cache key was made with."""

    def __init__(self, framework: str, digest: str, host: str, found: list[tuple[str, str]]) -> None:
        super().__init__(framework, digest, host, found)
        self.framework, self.digest, self.host, self.found = framework, digest, host, found

    def __str__(self) -> str:
        have = (
            "; it has " + ", ".join(f"{name} (packages {digest})" for name, digest in self.found)
            if self.found
            else f"; it has no {self.framework} environment at all"
        )
        return (
            f"{self.host} has no {self.framework} environment with packages {self.digest}{have}: "
            f"run `polybook env --framework {self.framework}` there, in a clone of the book at the "
            "same commit"
        )


#: Digests already computed, by environment folder and the time its packages last changed.
_DIGESTS: dict[Path, tuple[float, str]] = {}


def digest_of(env: Path) -> str:
    """:func:`environment_digest`, remembered while the environment's packages do not change."""
    packages = site_packages(env)
    stamp = packages.stat().st_mtime if packages is not None else 0.0
    known = _DIGESTS.get(env)
    if known is None or known[0] != stamp:
        known = _DIGESTS[env] = (stamp, environment_digest(env))
    return known[1]


def candidates(framework: str) -> list[Path]:
    """The ready environments of ``framework`` in this machine's environment cache."""
    root = cache_root()
    return [path for path in sorted(root.glob(f"{framework}-py*")) if is_ready(path)]


def available() -> dict[str, list[str]]:
    """Per framework, the package digests of this machine's environments (asked by a cluster
    client of each worker)."""
    found: dict[str, list[str]] = {}
    for path in sorted(cache_root().glob("*-py*")):
        if is_ready(path):
            framework = path.name.split("-py", 1)[0]
            found.setdefault(framework, []).append(digest_of(path))
    return found


def matching(framework: str, digest: str, hint: str = "") -> Path:
    """The environment of this machine whose packages have ``digest``: ``hint`` (where the
    planning machine found it) if it matches, else one from the environment cache.

    :raises EnvironmentMismatch: naming what this machine has instead.
    """
    tried: list[Path] = [Path(hint)] if hint else []
    tried += [path for path in candidates(framework) if path not in tried]
    found = []
    for env in tried:
        if (env / "bin" / "python").exists():
            here = digest_of(env)
            if here == digest:
                return env
            found.append((env.name, here))
    raise EnvironmentMismatch(framework, digest, socket.gethostname(), found)
