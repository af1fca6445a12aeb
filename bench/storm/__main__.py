import sys

from bench.storm.run import main

sys.exit(main())
