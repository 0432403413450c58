from clawgym.cli import main

main()
