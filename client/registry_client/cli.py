"""The `registry` command: push, promote, predict and pull against a registry server.

Errors print `registry: error: <what went wrong>` and exit 1; usage mistakes exit 2."""

from __future__ import annotations

import argparse
import json
import os
import sys

from registry_client.http import HttpModelServer, HttpRegistry, RegistryClientError

PROGRESS_FROM_BYTES = 4 * 1024 * 1024  # smaller uploads finish before a percentage helps


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        args.run(args, parser)
    except RegistryClientError as exc:
        print(f"registry: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a local file missing or unwritable
        print(f"registry: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="registry", description="Push, promote, serve and pull registry models.")
    parser.add_argument("--url", default=os.environ.get("REGISTRY_URL"), help="server URL (env REGISTRY_URL)")
    parser.add_argument("--token", default=os.environ.get("REGISTRY_TOKEN"), help="API token (env REGISTRY_TOKEN)")
    commands = parser.add_subparsers(dest="command", required=True)

    push = commands.add_parser("push", help="upload a model file as a new version")
    push.add_argument("file")
    push.add_argument("--name", required=True)
    push.add_argument("--params", type=_json_object, help="JSON object, e.g. '{\"C\": 1.0}'")
    push.add_argument("--metrics", type=_json_object, help="JSON object, e.g. '{\"accuracy\": 0.97}'")
    push.add_argument("--inputs", nargs="+", metavar="URI", help="training datasets (lineage)")
    push.add_argument("--format", choices=["joblib", "pickle", "skops", "mlflow"])
    push.add_argument("--description")
    push.set_defaults(run=_push)

    promote = commands.add_parser("promote", help="move a version to a stage, or point an alias at it")
    promote.add_argument("name")
    promote.add_argument("version", type=int)
    target = promote.add_mutually_exclusive_group(required=True)
    target.add_argument("--stage")
    target.add_argument("--alias")
    promote.add_argument("--comment", default="")
    promote.set_defaults(run=_promote)

    predict = commands.add_parser("predict", help="predictions for the rows of a CSV file")
    predict.add_argument("model", metavar="NAME[/REF]")
    predict.add_argument("--csv", required=True, metavar="FILE", help="with a header row; - reads stdin")
    predict.set_defaults(run=_predict)

    pull = commands.add_parser("pull", help="download a version's artifact, verified by its sha256")
    pull.add_argument("model", metavar="NAME[/REF]")
    pull.add_argument("-o", "--output", required=True, metavar="FILE")
    pull.set_defaults(run=_pull)
    return parser


def _json_object(text: str) -> dict:
    # argparse prefixes the option's name: "argument --params: not valid JSON (...)".
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def _server_url(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    if not args.url:
        parser.error("no server: give --url or set REGISTRY_URL")
    return args.url


def _push(args, parser) -> None:
    registry = HttpRegistry(_server_url(args, parser), args.token)
    fields = {"params": args.params, "metrics": args.metrics, "inputs": args.inputs}
    fields |= {"format": args.format, "description": args.description}
    progress = _Progress(args.file) if os.path.getsize(args.file) >= PROGRESS_FROM_BYTES else None
    record = registry.push(args.file, args.name, progress=progress, **fields)
    print(f"{record['name']} version {record['version']}")


def _promote(args, parser) -> None:
    registry = HttpRegistry(_server_url(args, parser), args.token)
    record = registry.promote(args.name, args.version, stage=args.stage, alias=args.alias, comment=args.comment)
    print(f"{record['name']} version {record['version']}: stage {record['stage']}, aliases {record['aliases']}")


def _predict(args, parser) -> None:
    server = HttpModelServer(_server_url(args, parser), args.token)
    server.load(args.model)
    if args.csv == "-":
        text = sys.stdin.read()
    else:
        with open(args.csv, encoding="utf-8") as fh:
            text = fh.read()
    print(json.dumps(server.predict_csv(text)))


def _pull(args, parser) -> None:
    name, _, ref = args.model.partition("/")
    record = HttpRegistry(_server_url(args, parser), args.token).pull(name, ref or None, args.output)
    print(f"{args.output}: {name} version {record['version']}, sha256 {record['artifact']['sha256']} verified")


class _Progress:
    """`uploading FILE: 42%` on stderr, rewritten in place, one line per new percent."""

    def __init__(self, path: str) -> None:
        self.path, self.shown = os.path.basename(path), -1

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // total if total else 100
        if percent != self.shown:
            self.shown = percent
            end = "\n" if percent == 100 else ""
            print(f"\ruploading {self.path}: {percent}%", end=end, file=sys.stderr, flush=True)
