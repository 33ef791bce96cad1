import sys

from artfarm.cli import main

sys.exit(main())
