from habeas.cli.main import run

run()
