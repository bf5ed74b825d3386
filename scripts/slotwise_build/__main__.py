"""``python -m slotwise_build`` (with ``PYTHONPATH=scripts``): the commands ``scripts/package`` runs.

Must not: hold logic of its own: it parses arguments, calls one function, prints its answer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from slotwise_build import BuildError
from slotwise_build.checks import check_vsix
from slotwise_build.project import project_version, task_folders, task_version
from slotwise_build.runtime import read_lock
from slotwise_build.stage import DEFAULT_PUBLISHER, stage


def _version(root: Path, args: argparse.Namespace) -> None:
    version = project_version(root)
    task_version(version)
    print(version)


def _stage(root: Path, args: argparse.Namespace) -> None:
    folders = stage(root, args.out.resolve(), wheel=args.wheel.resolve(), publisher=args.publisher)
    print(f"staged {len(folders)} tasks in {args.out}: {', '.join(folders)}")


def _check_vsix(root: Path, args: argparse.Namespace) -> None:
    problems = check_vsix(args.vsix, task_folders(root), project_version(root))
    if problems:
        raise BuildError("\n  ".join(["the .vsix is incomplete:", *problems]))
    print(f"{args.vsix}: manifest and {len(task_folders(root))} complete task folders")


def _wheelhouse(root: Path, args: argparse.Namespace) -> None:
    from slotwise_build import wheelhouse  # needs packaging, which staging does not

    folders = wheelhouse.build(
        read_lock(root),
        args.wheel.resolve(),
        args.out.resolve(),
        version=project_version(root),
        targets=args.target or tuple(wheelhouse.TARGETS),
        pythons=args.python or wheelhouse.PYTHONS,
    )
    for folder in folders:
        files = sum(1 for path in folder.iterdir() if path.suffix == ".whl")
        print(f"{folder} ({files} wheels) and {folder.name}.zip")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m slotwise_build", description="scripts/package's Python half"
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout (default: here)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("version", help="print pyproject's version").set_defaults(run=_version)
    staging = commands.add_parser("stage", help="stage the extension tree and check it")
    staging.add_argument("--wheel", type=Path, required=True)
    staging.add_argument("--out", type=Path, required=True)
    staging.add_argument("--publisher", default=DEFAULT_PUBLISHER)
    staging.set_defaults(run=_stage)
    checking = commands.add_parser("check-vsix", help="check what a built .vsix holds")
    checking.add_argument("vsix", type=Path)
    checking.set_defaults(run=_check_vsix)
    house = commands.add_parser("wheelhouse", help="offline wheelhouses of the lock and the wheel")
    house.add_argument("--wheel", type=Path, required=True)
    house.add_argument("--out", type=Path, required=True)
    house.add_argument("--target", action="append", choices=["linux-x64", "windows-x64"])
    house.add_argument("--python", action="append", choices=["3.10", "3.11", "3.12", "3.13"])
    house.set_defaults(run=_wheelhouse)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root: Path = args.root.resolve()
    try:
        args.run(root, args)
    except BuildError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
