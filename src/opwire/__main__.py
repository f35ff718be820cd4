from opwire.cli import main

main()
