from factory.cli.main import main

main()
