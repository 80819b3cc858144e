from seawall.cli.app import main

main()
