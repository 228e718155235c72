import sys

from educluster.cli import main

sys.exit(main())
