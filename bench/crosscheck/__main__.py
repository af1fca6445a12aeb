import sys

from bench.crosscheck.run import main

sys.exit(main())
