from bench.flow.run import cli

cli()
