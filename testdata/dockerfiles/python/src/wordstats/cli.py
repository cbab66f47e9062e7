"""The wordstats command: the most frequent words read from stdin."""

import sys

from wordstats import top


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 10
    for word, count in top(sys.stdin.read(), n):
        print(f"{count:7d} {word}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
