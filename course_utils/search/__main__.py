"""``python -m course_utils.search``: see `course_utils.search.cli`."""
import sys

from .cli import main

sys.exit(main())
