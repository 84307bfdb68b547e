"""The `registry` command."""


def main(argv: list[str] | None = None) -> int:
    raise SystemExit("registry: not built yet")
